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


@pytest.mark.parametrize("lang", LANGUAGES)
def test_without_a_channel_column_no_channel_rows_and_a_sentence_for_the_plot(demo, lang):
    from workbench.i18n import t

    tx = demo.transactions
    with_channel = wk.monthly_kpis(tx, month="2026-10")
    without = wk.monthly_kpis(tx.drop(columns="channel"), month="2026-10")
    assert words.channel_note(with_channel, lang=lang) is None
    assert words.channel_note(without, lang=lang) == t("overview.empty.no_channel", lang)
    full, short = (
        words.kpi_table(with_channel, "2026-10", lang=lang),
        words.kpi_table(without, "2026-10", lang=lang),
    )
    names = [t(f"overview.kpi.{c}", lang) for c in words.CHANNEL_KPIS]
    kpi = t("overview.col.kpi", lang)
    assert set(names) <= set(full[kpi]) and not set(names) & set(short[kpi])
    assert len(short) == len(full) - 3
    assert (full.set_index(kpi).drop(index=names) == short.set_index(kpi)).all().all()  # the rest unchanged
    # channel labels the loader did not map (kept as written): nothing is store or online
    other = wk.monthly_kpis(
        tx.assign(channel=tx["channel"].cat.rename_categories(["LINE", "kiosk"])), month="2026-10"
    )
    assert words.channel_note(other, lang=lang, months=6) == t("overview.empty.channel", lang, months="6")
