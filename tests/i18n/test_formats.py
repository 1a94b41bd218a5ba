"""workbench.i18n.formats: money, numbers, percentages, compact numbers, dates and lists as each locale
writes them."""

from __future__ import annotations

import math

import numpy as np
import pytest

from workbench.i18n import (
    compact,
    date_label,
    join_list,
    money,
    money_compact,
    month_label,
    number,
    pct,
    pct_points,
    period_label,
)


@pytest.mark.parametrize(
    ("value", "currency", "decimals", "expected"),
    [
        (1234567, "TWD", 0, "NT$1,234,567"),
        (1234567.5, "HKD", 2, "HK$1,234,567.50"),
        (-1234.4, "TWD", 0, "-NT$1,234"),
        (0.4, "HKD", 0, "HK$0"),
        (99.5, "USD", 0, "US$100"),
        (1000, "EUR", 0, "EUR 1,000"),
        (float("nan"), "TWD", 0, "–"),
        (None, "TWD", 0, "–"),
    ],
)
def test_money(value, currency, decimals, expected):
    assert money(value, currency, decimals) == expected


def test_nothing_rounds_to_a_negative_zero():
    assert money(-0.4, "TWD") == "NT$0" and money(-0.004, "HKD", 2) == "HK$0.00"
    assert number(-0.3) == "0" and number(-0.04, 1) == "0.0"
    assert pct(-0.00001) == "0.0%" and pct(-0.00001, signed=True) == "+0.0%"
    assert pct_points(-0.00001, "en") == "+0.0 pp"
    assert money_compact(-0.2, "TWD", "en") == "NT$0"
    assert money(-0.6, "TWD") == "-NT$1" and pct(-0.0006) == "-0.1%"


def test_number_and_pct():
    assert number(1234567.891, 2) == "1,234,567.89"
    assert number(np.int64(42)) == "42"
    assert pct(0.1234) == "12.3%"
    assert pct(0.05, 0) == "5%"
    assert pct(0.021, signed=True) == "+2.1%"
    assert pct(-0.021, signed=True) == "-2.1%"
    assert pct(math.nan) == "–"


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [
        (12_345_678, "zh-TW", "1,234.6萬"),
        (12_345_678, "en", "12.3M"),
        (250_000_000, "zh-TW", "2.5億"),
        (2_500_000_000, "en", "2.5B"),
        (10_000, "zh-TW", "1萬"),
        (9_999, "zh-TW", "9,999"),
        (15_000, "en", "15K"),
        (999, "en", "999"),
        (-52_000, "zh-TW", "-5.2萬"),
    ],
)
def test_compact_numbers_follow_the_language(value, lang, expected):
    assert compact(value, lang) == expected


def test_compact_money_and_percentage_points():
    assert money_compact(12_345_678, "TWD", "zh-TW") == "NT$1,234.6萬"
    assert money_compact(-3_400_000, "HKD", "en") == "-HK$3.4M"
    assert pct_points(0.0123, "zh-TW") == "+1.2 個百分點"
    assert pct_points(-0.004, "en") == "-0.4 pp"
    # independent check of the rounding: 0.0125 -> 1.25 points -> one decimal
    assert pct_points(0.0126, "en") == f"{1.26:+.1f} pp"


def test_dates_and_months_as_each_locale_writes_them():
    assert month_label("2026-10", "zh-TW") == "2026年10月"
    assert month_label("2026-10", "en") == "Oct 2026"
    assert date_label("2026-09-01", "zh-TW") == "2026年9月1日"
    assert date_label("2026-09-01", "en") == "1 Sep 2026"
    assert period_label("2026-09-01", "2026-09-30", "zh-TW") == "2026年9月1日至2026年9月30日"
    assert period_label("2026-09-01", "2026-09-30", "en") == "1 Sep 2026 – 30 Sep 2026"
    assert join_list(["台北", "台中", "高雄"], "zh-TW") == "台北、台中和高雄"
    assert join_list(["Taipei", "Taichung", "Kaohsiung"], "en") == "Taipei, Taichung and Kaohsiung"
    assert join_list(["Taipei"], "en") == "Taipei"
    assert join_list(["Gold 5%", "Silver 15%"], "zh-TW") == "Gold 5% 和 Silver 15%"
    assert join_list(["會員", "Silver"], "zh-TW") == "會員 和 Silver"
