"""Campaign design plots: the audience funnel and the expected budget per arm.

Each takes the aggregate frames of a ``workbench.experiments.PlannedCampaign`` and ``ax=None``, labels through
``workbench.i18n.t`` and returns the Axes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.i18n import number
from workbench.plots.base import axes, money_formatter, titles
from workbench.text.design import arm_name, rule_text


def funnel(steps: pd.DataFrame, *, lang: str = "zh-TW", currency: str = "TWD", ax=None):
    """Members left after each condition (horizontal bars, first step on top), counts at the bar ends.

    Parameters
    ----------
    steps : DataFrame
        ``workbench.audience.funnel`` output (``attrs["rule"]`` names the conditions).
    lang, currency : str
        Language of the labels; currency of amounts in the conditions.
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    from workbench.i18n import t

    rule = steps.attrs["rule"]
    labels = [t("design.step.all", lang)] + [_short(rule_text(s, lang, currency)) for s in rule.steps()]
    ax = axes(ax, (8, 0.55 * len(steps) + 1.6))
    y = np.arange(len(steps))
    values = steps["members"].to_numpy()
    ax.barh(y, values, color="#1f77b4")
    for yi, v in zip(y, values, strict=True):
        ax.text(v, yi, f" {number(v)}", va="center", ha="left", fontsize=10)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()  # the first step on top
    ax.set_xlim(0, max(values.max(), 1) * 1.18)
    titles(ax, lang, "design.plot.funnel_title", xlabel="design.plot.members")
    return ax


def _short(text: str, width: int = 38) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def budget(arms: pd.DataFrame, *, lang: str = "zh-TW", currency: str = "TWD", ax=None):
    """Expected budget per arm (bars), in the brand's currency.

    Parameters
    ----------
    arms : DataFrame
        ``PlannedCampaign.arms`` (``arm``, ``budget``).
    lang, currency : str
        Labels and amounts.
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    ax = axes(ax, (7, 3.6))
    names = [arm_name(a, lang) for a in arms["arm"]]
    ax.bar(range(len(arms)), arms["budget"].to_numpy(dtype=float), color="#2ca02c")
    ax.set_xticks(range(len(arms)), names)
    ax.yaxis.set_major_formatter(money_formatter(currency, lang))
    titles(ax, lang, "design.plot.budget_title", ylabel="design.plot.budget")
    return ax
