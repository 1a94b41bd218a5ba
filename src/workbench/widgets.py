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

from workbench.i18n import check_language, currency_symbol, money, pct, t
from workbench.plots.tiers import spend_distribution
from workbench.text import inert_html, table_html
from workbench.text.tiers import summary_table
from workbench.tiers import Response, TierProgram, TierProgramError, TierSimulation, simulate

__all__ = ["TierPanel"]

#: the report's table style (report/templates/report/report.css) for the panel in JupyterLab, and how an out
#: of date result and an invalid setting look
PANEL_CSS = """<style>
.wb-panel table { border-collapse: collapse; margin: .6em 0 1em; font-size: .92rem;
  font-variant-numeric: tabular-nums; }
.wb-panel th, .wb-panel td { padding: .4em .75em; border: 0; border-bottom: 1px solid #d9e2ec;
  text-align: right; vertical-align: top; }
.wb-panel th { background: #f0f4f8; font-weight: 600; }
.wb-panel thead th { border-bottom: 2px solid #9fb3c8; }
.wb-panel tbody th, .wb-panel td.wb-text, .wb-panel th.wb-text { text-align: left; }
.wb-panel tbody tr:nth-child(even) td { background: #fafbfc; }
.wb-panel caption { caption-side: top; text-align: left; color: #b42318; font-weight: 600; }
.wb-panel .wb-stale { opacity: .45; filter: grayscale(1); }
.wb-panel .wb-panel-error { color: #b42318; font-weight: 600; border-left: 4px solid #b42318;
  padding: .3em .7em; background: #fef3f2; }
</style>"""


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
        unit = currency_symbol(currency) if program.metric == "spend" else t("tiers.panel.orders_unit", lang)
        positive = self.spend[self.spend > 0]
        top = max(program.upgrades.max() * 2, float(np.quantile(positive, 0.995)) if len(positive) else step)
        top = float(np.ceil((max_threshold or top) / step) * step)
        self.thresholds: dict[str, w.FloatSlider] = {}
        self.discounts: dict[str, w.FloatSlider] = {}
        self.vouchers: dict[str, w.FloatSlider] = {}
        for tier in program.tiers[1:]:
            b = tier.benefits
            self.thresholds[tier.name] = _slider(
                tier.upgrade,
                step,
                top,
                step,
                ",.0f",
                t("tiers.panel.threshold", lang, tier=tier.name, unit=unit),
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
                t("tiers.panel.voucher", lang, tier=tier.name, unit=currency_symbol(currency)),
            )
        self.status = w.HTML()
        self.table = w.HTML()
        self.output = w.Output()
        self.figure, self.ax = plt.subplots(figsize=(7.5, 3.6), layout="constrained")
        plt.close(self.figure)  # shown through the Output widget only
        self.result: TierSimulation | None = None
        self.error: str | None = None
        self.stale = False  # True while the sliders describe no valid programme: result is the last valid one
        for slider in self.sliders:
            slider.observe(self.update, names="value")
        self.widget = w.VBox(
            [
                w.HTML(PANEL_CSS),
                w.HBox([w.VBox(list(self.thresholds.values())), w.VBox(list(self.discounts.values()))]),
                w.VBox(list(self.vouchers.values())),
                self.status,
                self.table,
                self.output,
            ]
        )
        self.widget.add_class("wb-panel")
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
        problem = self._problem()
        if problem is None:
            try:
                program = self.current_program()
            except TierProgramError as err:  # a rule of the programme the sliders cannot check beforehand
                problem = str(err)
        if problem is not None:
            self.error = t("tiers.panel.invalid", self.lang, problem=problem)
            self.stale = self.result is not None
            self.status.value = f'<p class="wb-panel-error" role="alert">{_escape(self.error)}</p>'
            if self.stale:
                self.table.add_class("wb-stale")
                self.output.add_class("wb-stale")
                self.table.value = self._table_html(stale=True)
            return
        self.error, self.stale = None, False
        self.table.remove_class("wb-stale")
        self.output.remove_class("wb-stale")
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
        self.table.value = self._table_html()
        self.ax.clear()
        spend_distribution(self.spend, program, lang=self.lang, currency=self.currency, ax=self.ax)
        self._show()

    def _problem(self) -> str | None:
        """Thresholds that do not increase from tier to tier, in the panel's language (else None)."""
        names = list(self.thresholds)
        for lower, upper in zip(names, names[1:], strict=False):
            low, high = self.thresholds[lower].value, self.thresholds[upper].value
            if not high > low:
                amount = money if self.program.metric == "spend" else (lambda v, _c: f"{v:,.0f}")
                return t(
                    "tiers.panel.not_increasing",
                    self.lang,
                    upper=upper,
                    lower=lower,
                    high=amount(high, self.currency),
                    low=amount(low, self.currency),
                )
        return None

    def _table_html(self, *, stale: bool = False) -> str:
        """The last valid simulation as the report's table (escaped), captioned as out of date when stale."""
        if self.result is None:
            return ""
        frame, kwargs = summary_table(self.result.summary, self.lang, self.currency)
        if stale:
            kwargs = {**kwargs, "caption": t("tiers.panel.stale", self.lang)}
        return inert_html(table_html(frame, self.lang, **kwargs))

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
