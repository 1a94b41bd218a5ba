"""What every plot module shares: a new Axes when none is given, and money on an axis."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter

from workbench.i18n import money, money_compact, t


def axes(ax=None, figsize=(7.5, 4)):
    """``ax``, or the Axes of a new figure of ``figsize`` (constrained layout)."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def money_formatter(currency: str, lang: str) -> FuncFormatter:
    """Tick labels in the brand's currency: in full below 100,000, compact (萬 / K, M) above."""
    return FuncFormatter(
        lambda x, _: money(x, currency) if abs(x) < 1e5 else money_compact(x, currency, lang, 1)
    )


def titles(ax, lang: str, title: str, xlabel: str | None = None, ylabel: str | None = None, **values):
    """Set the title and axis labels of ``ax`` from catalog keys (``workbench.i18n.t``), filled with ``values``."""
    labels = {"title": title, "xlabel": xlabel, "ylabel": ylabel}
    ax.set(**{k: t(key, lang, **values) for k, key in labels.items() if key is not None})
    return ax
