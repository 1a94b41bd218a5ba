"""workbench.text.overview: the KPI table and findings generated from the numbers, in both languages."""

from __future__ import annotations

import pytest
from kit import small_kpi_log

from workbench import kpis as wk
from workbench.i18n import LANGUAGES, catalog
from workbench.text import overview as words


@pytest.fixture
def small():
    """Three members over three months, with an order of two lines, a return and a cross-month order."""
    return small_kpi_log()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_kpi_table_and_findings(demo, lang):
    k = wk.monthly_kpis(demo.transactions, month="2026-10")
    table = words.kpi_table(k, "2026-10", lang=lang)
    assert len(table) == len(wk.KPI_COLUMNS) - 1
    from workbench.i18n import money, number

    row = k.loc["2026-10"]
    flat = table.to_numpy().ravel().tolist()
    assert number(row["active_members"]) in flat and money(row["net_revenue"]) in flat
    sentences = words.findings(k, "2026-10", lang=lang)
    assert 2 <= len(sentences) <= 5
    assert number(row["active_members"]) in sentences[0] and money(row["net_revenue"]) in sentences[0]


def test_findings_follow_the_numbers(small):
    k = wk.monthly_kpis(small, month="2026-03")
    # March: active members flat (0%), revenue per active +20% -> revenue driven by spend per buyer
    sentences = words.findings(k, "2026-03", lang="en")
    assert "mainly because revenue per active member changed (+20.0%" in sentences[1]
    # first month: no comparison sentence
    first = words.findings(k, "2026-01", lang="en")
    assert first[0].startswith("In Jan 2026, 1 members bought and net revenue was NT$150")


def test_overview_messages_have_both_languages():
    keys = [k for k in catalog() if k.startswith("overview.")]
    assert len(keys) > 50
    for key in keys:
        assert set(LANGUAGES) <= set(catalog()[key]), key
    for col in wk.KPI_COLUMNS:
        assert f"overview.kpi.{col}" in catalog()
