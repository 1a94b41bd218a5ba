"""plots.base: money on an axis is written one way per axis (full or compact, never both)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from workbench.i18n import money, money_compact
from workbench.plots.base import money_formatter


def _labels(ax, axis="x"):
    """The labels of the major ticks in view."""
    ax.figure.canvas.draw()
    which = ax.xaxis if axis == "x" else ax.yaxis
    low, high = sorted(which.get_view_interval())
    ticks = which.get_major_ticks()
    return [t.label1.get_text() for t in ticks if low <= t.get_loc() <= high and t.label1.get_text()]


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_a_log_axis_up_to_300k_is_compact_on_every_tick(lang):
    fig, ax = plt.subplots()
    ax.set_xscale("log")
    ax.set_xlim(50, 300_000)
    ax.xaxis.set_major_formatter(money_formatter("TWD", lang))
    labels = _labels(ax)
    plt.close(fig)
    assert labels == [money_compact(v, "TWD", lang, 2) for v in (100, 1_000, 10_000, 100_000)]
    assert "NT$10,000" not in labels  # the mix the issue saw: NT$10,000 beside NT$10萬


def test_an_axis_below_100k_is_in_full():
    fig, ax = plt.subplots()
    ax.set_ylim(0, 50_000)
    ax.yaxis.set_major_formatter(money_formatter("HKD", "en"))
    labels = _labels(ax, "y")
    ticks = [v for v in ax.get_yticks() if 0 <= v <= 50_000]
    plt.close(fig)
    assert labels == [money(v, "HKD") for v in ticks]
    assert not any(label.endswith(("K", "M")) for label in labels)
