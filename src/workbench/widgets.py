"""Interactive panels for JupyterLab (ipywidgets). The monthly report shows static results, not these.

``TierPanel(spend, program)``: sliders for each tier's upgrade threshold, discount and birthday voucher;
every change re-runs ``simulate`` and updates the per-tier table (shares, revenue, cost), the cost line and
the spend histogram with the threshold lines. ``panel.update()`` is a plain method, so tests drive it
without a browser: set a slider's ``value`` and read ``panel.result``.
"""

from __future__ import annotations

import dataclasses

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from workbench.i18n import check_language, money, pct, t
from workbench.plots.tiers import spend_distribution
from workbench.text import table_html
from workbench.text.tiers import summary_table
from workbench.tiers import Response, TierProgram, TierProgramError, TierSimulation, simulate

__all__ = ["TierPanel"]


class TierPanel:
    """Sliders for a tier programme over a year of spend per member; ``result`` holds the latest simulation."""

    def __init__(
        self,
        spend: pd.Series,
        program: TierProgram,
        *,
        current: pd.Series | None = None,
        response: Response | None = None,
        lang: str = "zh-TW",
        currency: str = "TWD",
        step: float = 500.0,
        max_threshold: float | None = None,
    ):
        check_language(lang)
        self.spend = pd.Series(spend, dtype=float)
        self.program = program
        self.current = current
        self.response = response
        self.lang, self.currency = lang, currency
        positive = self.spend[self.spend > 0]
        top = max(program.upgrades.max() * 2, float(np.quantile(positive, 0.995)) if len(positive) else step)
        top = float(np.ceil((max_threshold or top) / step) * step)
        self.thresholds: dict[str, w.FloatSlider] = {}
        self.discounts: dict[str, w.FloatSlider] = {}
        self.vouchers: dict[str, w.FloatSlider] = {}
        for tier in program.tiers[1:]:
            b = tier.benefits
            self.thresholds[tier.name] = _slider(
                tier.upgrade, step, top, step, ",.0f", t("tiers.panel.threshold", lang, tier=tier.name)
            )
            self.discounts[tier.name] = _slider(
                b.discount, 0.0, 0.3, 0.005, ".1%", t("tiers.panel.discount", lang, tier=tier.name)
            )
            self.vouchers[tier.name] = _slider(
                b.birthday_voucher,
                0.0,
                max(2000.0, b.birthday_voucher),
                50.0,
                ",.0f",
                t("tiers.panel.voucher", lang, tier=tier.name),
            )
        self.status = w.HTML()
        self.table = w.HTML()
        self.output = w.Output()
        self.figure, self.ax = plt.subplots(figsize=(7.5, 3.6), layout="constrained")
        plt.close(self.figure)  # shown through the Output widget only
        self.result: TierSimulation | None = None
        self.error: str | None = None
        for slider in self.sliders:
            slider.observe(self.update, names="value")
        self.widget = w.VBox(
            [
                w.HBox([w.VBox(list(self.thresholds.values())), w.VBox(list(self.discounts.values()))]),
                w.VBox(list(self.vouchers.values())),
                self.status,
                self.table,
                self.output,
            ]
        )
        self.update()

    @property
    def sliders(self) -> list[w.FloatSlider]:
        """Every slider of the panel: thresholds, discounts, vouchers."""
        return [*self.thresholds.values(), *self.discounts.values(), *self.vouchers.values()]

    def current_program(self) -> TierProgram:
        """The programme the sliders describe (raises ``TierProgramError`` when thresholds do not increase)."""
        tiers = []
        for tier in self.program.tiers:
            if tier.name in self.thresholds:
                benefits = dataclasses.replace(
                    tier.benefits,
                    discount=float(self.discounts[tier.name].value),
                    birthday_voucher=float(self.vouchers[tier.name].value),
                )
                tier = dataclasses.replace(tier, benefits=benefits)
            tiers.append(tier)
        program = dataclasses.replace(self.program, tiers=tuple(tiers))
        return program.with_thresholds({name: s.value for name, s in self.thresholds.items()})

    def update(self, change=None) -> None:
        """Re-simulate with the sliders' values and refresh the table, the cost line and the histogram."""
        try:
            program = self.current_program()
        except TierProgramError as err:
            self.error = str(err)
            self.status.value = f'<p style="color:#C44E52">{_escape(self.error)}</p>'
            return
        self.error = None
        self.result = simulate(self.spend, program, current=self.current, response=self.response)
        total = self.result.summary.loc["Total"]
        self.status.value = "<p><b>{}</b></p>".format(
            _escape(
                t(
                    "tiers.panel.summary",
                    self.lang,
                    cost=money(total["benefit_cost"], self.currency),
                    cost_pct=pct(total["cost_pct"]),
                )
            )
        )
        frame, kwargs = summary_table(self.result.summary, self.lang, self.currency)
        self.table.value = table_html(frame, self.lang, **kwargs)
        self.ax.clear()
        spend_distribution(self.spend, program, lang=self.lang, currency=self.currency, ax=self.ax)
        self._show()

    def _show(self) -> None:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover
            return
        if get_ipython() is None:
            return
        from IPython.display import display

        with self.output:
            self.output.clear_output(wait=True)
            display(self.figure)

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def _slider(value: float, low: float, high: float, step: float, fmt: str, description: str) -> w.FloatSlider:
    """A slider of the panel: updates on release, labelled, the readout in ``fmt``."""
    look = {
        "continuous_update": False,
        "style": {"description_width": "11em"},
        "layout": w.Layout(width="30em"),
    }
    return w.FloatSlider(
        value=value, min=low, max=high, step=step, description=description, readout_format=fmt, **look
    )


def _escape(text: str) -> str:
    import html

    return html.escape(text)
