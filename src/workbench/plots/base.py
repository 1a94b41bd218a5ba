"""What every plot module shares: a new Axes when none is given, and money on an axis."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.ticker import Formatter

from workbench.i18n import money, money_compact, t


def axes(ax=None, figsize=(7.5, 4)):
    """``ax``, or the Axes of a new figure of ``figsize`` (constrained layout)."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


#: an axis whose largest tick reaches this is labelled compactly (萬 / K, M), every tick alike
COMPACT_FROM = 1e5


class MoneyFormatter(Formatter):
    """Tick labels in the brand's currency, one style per axis.

    Every label in full (``NT$50,000``) when the largest tick in view is below ``COMPACT_FROM``, else every
    label compact (``NT$10萬``, ``HK$1.5M``), never ``NT$10,000`` beside ``NT$10萬``.
    """

    def __init__(self, currency: str, lang: str):
        self.currency, self.lang = currency, lang

    def _compact(self, values) -> bool:
        if self.axis is not None:
            low, high = sorted(self.axis.get_view_interval())
            values = [v for v in values if low - 1e-9 <= v <= high + 1e-9] or list(values)
        return max((abs(v) for v in values), default=0.0) >= COMPACT_FROM

    def format_ticks(self, values):
        """The labels of all ``values`` (the axis' ticks), in one style."""
        if self._compact(values):
            return [money_compact(v, self.currency, self.lang, 2) for v in values]
        return [money(v, self.currency) for v in values]

    def __call__(self, x, pos=None):
        """One label, in the style of the axis' current ticks."""
        locs = list(self.locs) if len(getattr(self, "locs", [])) else [x]
        style = self._compact(locs)
        return money_compact(x, self.currency, self.lang, 2) if style else money(x, self.currency)


def money_formatter(currency: str, lang: str) -> MoneyFormatter:
    """Tick labels in the brand's currency, in full or compact alike on one axis (:class:`MoneyFormatter`).

    Parameters
    ----------
    currency : str
        ``TWD``, ``HKD`` or ``USD``.
    lang : str
        ``zh-TW`` or ``en`` (萬 / 億 or K / M / B).

    Returns
    -------
    MoneyFormatter
        For ``ax.xaxis.set_major_formatter``.
    """
    return MoneyFormatter(currency, lang)


def titles(ax, lang: str, title: str, xlabel: str | None = None, ylabel: str | None = None, **values):
    """Set the title and axis labels of ``ax`` from catalog keys (``workbench.i18n.t``), filled with ``values``."""
    labels = {"title": title, "xlabel": xlabel, "ylabel": ylabel}
    ax.set(**{k: t(key, lang, **values) for k, key in labels.items() if key is not None})
    return ax
