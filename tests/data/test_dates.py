"""workbench.data.dates: dates as exports write them (ISO, ROC, AM/PM, time zones, full-width), two-digit
years refused, a list of patterns with ambiguous values reported, bad patterns named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kit import write_text_file as write

from workbench.data import DataParams, DataValidationError, load_transactions, parse_dates
from workbench.errors import ArgumentError
from workbench.settings import SettingsError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-05", "2024-03-05 00:00:00"),
        ("2024-03-05T14:30:15", "2024-03-05 14:30:15"),
        ("2024/03/05", "2024-03-05 00:00:00"),
        ("2024/3/5 9:05", "2024-03-05 09:05:00"),
        ("20240305", "2024-03-05 00:00:00"),
        ("113/03/05", "2024-03-05 00:00:00"),
        ("113/03/05 14:30:00", "2024-03-05 14:30:00"),
        ("1130305", "2024-03-05 00:00:00"),
        ("民國99年12月31日", "2010-12-31 00:00:00"),
        ("民國113年3月5日", "2024-03-05 00:00:00"),
        ("2024/03/05 下午 02:30:00", "2024-03-05 14:30:00"),
        ("2024/03/05 上午 12:10:00", "2024-03-05 00:10:00"),
        ("2024-03-05 02:30:00 PM", "2024-03-05 14:30:00"),
        ("２０２４／０３／０５", "2024-03-05 00:00:00"),
        ("2024-03-05 14:30:15.25", "2024-03-05 14:30:15.250000"),
        ("2024-03-05T06:30:00Z", "2024-03-05 14:30:00"),  # UTC -> Asia/Taipei (+08:00)
        ("2024-03-05T14:30:00+08:00", "2024-03-05 14:30:00"),
        ("2024-03-05 06:30:00+00", "2024-03-05 14:30:00"),
        ("2024-03-05 14:30:00-0130", "2024-03-06 00:00:00"),
        (" 2024-02-29 ", "2024-02-29 00:00:00"),
    ],
)
def test_parse_dates_auto(text, expected):
    out, bad, missing = parse_dates(pd.Series([text], dtype="str"), "auto", "Asia/Taipei")
    assert not bad[0] and not missing[0]
    assert out[0] == np.datetime64(pd.Timestamp(expected))


@pytest.mark.parametrize(
    "text", ["2023-02-29", "2024-13-01", "2024-03-05 25:00", "5/3/2024", "abc", "240305", "113/02/30"]
)
def test_parse_dates_rejects(text):
    out, bad, missing = parse_dates(pd.Series([text], dtype="str"))
    assert bad[0] and np.isnat(out[0])


def test_parse_dates_roc_and_pattern_override():
    roc, bad, _ = parse_dates(pd.Series(["113/03/05", "1130305", "2024/03/05"], dtype="str"), "roc")
    assert list(roc[:2]) == [np.datetime64("2024-03-05T00:00:00", "us")] * 2
    assert list(bad) == [False, False, True]  # a 4-digit year is not a 民國 year
    dmy, bad, _ = parse_dates(
        pd.Series(["05/03/2024 14:30", "31/12/2023 09:00"], dtype="str"), "%d/%m/%Y %H:%M"
    )
    assert not bad.any()
    assert list(dmy) == [np.datetime64("2024-03-05T14:30", "us"), np.datetime64("2023-12-31T09:00", "us")]


def test_iso_fast_path_keeps_missing_and_rejects_impossible_dates():
    out, bad, missing = parse_dates(pd.Series(["2024-01-01 10:00:00.5", "", "2024-01-02"], dtype="str"))
    assert list(missing) == [False, True, False] and not bad.any()
    assert out[0] == np.datetime64("2024-01-01T10:00:00.5", "us") and np.isnat(out[1])
    out, bad, _ = parse_dates(pd.Series(["2024-01-01", "2023-02-29"], dtype="str"))
    assert list(bad) == [False, True] and out[0] == np.datetime64("2024-01-01", "us")


def test_two_digit_years_need_a_date_format(tmp_path):
    """``24/03/05`` (was read as 民國 24 = 1935) and ``03/05/24`` (was 1914-05-24) are refused with the hint;
    three-digit 民國 years and 民國 with two digits stay accepted."""
    path = write(
        tmp_path / "tx.csv",
        "member_id,ordered_at,amount\n01,24/03/05,5\n02,03/05/24,5\n03,113/03/05,5\n04,民國99年12月31日,5\n"
        "05,24年3月5日,5\n",
    )
    with pytest.raises(
        DataValidationError,
        match=r"column 'ordered_at': 3 rows with two-digit years, which could be 20xx, a 民國 year or a day "
        r"\(row 1: '24/03/05', row 2: '03/05/24', row 5: '24年3月5日'\); set date_format to the export's pattern "
        r"\(e\.g\. %y/%m/%d or %m/%d/%y\), or roc for 民國 years",
    ) as e:
        load_transactions(path, observation_end="2026-10-31")
    assert [p.kind for p in e.value.problems] == ["two_digit_year"]
    good = write(tmp_path / "ok.csv", "member_id,ordered_at,amount\n01,113/03/05,5\n02,民國99年12月31日,5\n")
    assert list(load_transactions(good)["ordered_at"]) == [
        pd.Timestamp("2024-03-05"),
        pd.Timestamp("2010-12-31"),
    ]
    ymd = write(tmp_path / "ymd.csv", "member_id,ordered_at,amount\n01,24/03/05,5\n02,99/12/31,5\n")
    assert list(load_transactions(ymd, date_format="%y/%m/%d")["ordered_at"]) == [
        pd.Timestamp("2024-03-05"),
        pd.Timestamp("1999-12-31"),
    ]
    assert list(load_transactions(ymd, date_format="roc")["ordered_at"]) == [
        pd.Timestamp("1935-03-05"),
        pd.Timestamp("2010-12-31"),
    ]


def test_a_list_of_patterns_reads_two_formats_in_one_column(tmp_path):
    """``12/06/2010 10:08`` and ``2/20/11 11:39`` in one column (a file edited in Excel)."""
    path = write(
        tmp_path / "tx.csv",
        "member_id,ordered_at,amount\n01,12/06/2010 10:08,5\n02,2/20/11 11:39,5\n03,2010-12-01 08:26:00,5\n",
    )
    formats = ["%m/%d/%Y %H:%M", "%m/%d/%y %H:%M", "auto"]
    tx = load_transactions(path, date_format=formats)
    assert list(tx["ordered_at"]) == [
        pd.Timestamp("2010-12-06 10:08"),
        pd.Timestamp("2011-02-20 11:39"),
        pd.Timestamp("2010-12-01 08:26"),
    ]
    with pytest.raises(
        DataValidationError,
        match=r"column 'ordered_at': 2 rows with dates that cannot be parsed with date_format "
        r"\['%m/%d/%Y %H:%M'\] \(row 2: '2/20/11 11:39', row 3: '2010-12-01 08:26:00'\)",
    ):
        load_transactions(path, date_format=["%m/%d/%Y %H:%M"])


def test_a_value_two_patterns_read_differently_is_ambiguous(tmp_path):
    path = write(
        tmp_path / "tx.csv",
        "member_id,ordered_at,amount\n01,13/03/2024,5\n02,02/03/2024,5\n03,03/25/2024,5\n04,05/05/2024,5\n",
    )
    with pytest.raises(
        DataValidationError,
        match=r"column 'ordered_at': 1 row with ambiguous dates: two patterns of date_format "
        r"\['%d/%m/%Y', '%m/%d/%Y'\] read them as different dates \(e\.g\. day-first and month-first\) "
        r"\(row 2: '02/03/2024'\)",
    ) as e:
        load_transactions(path, date_format=["%d/%m/%Y", "%m/%d/%Y"])
    assert [p.kind for p in e.value.problems] == ["ambiguous_date"]  # 05/05/2024 reads the same both ways
    out, bad, _ = parse_dates(pd.Series(["13/03/2024", "03/25/2024", "05/05/2024"]), ["%d/%m/%Y", "%m/%d/%Y"])
    assert not bad.any()
    assert list(out) == [np.datetime64(d, "us") for d in ("2024-03-13", "2024-03-25", "2024-05-05")]


@pytest.mark.parametrize(
    ("date_format", "problem"),
    [
        ("%Q/%m/%d", r"pattern '%Q/%m/%d' uses %Q, which is not a strftime directive pandas reads"),
        ("dd/mm/yyyy", r"must be auto, roc or a strftime pattern such as %d/%m/%Y; got 'dd/mm/yyyy'"),
        ("%H:%M", r"pattern '%H:%M' must give a year \(%Y or %y\), a month \(%m or %b\) and a day \(%d\)"),
        (
            ["%d/%m/%Y", 5],
            r"must be auto, roc, a strftime pattern or a non-empty list of them; got \['%d/%m/%Y', 5\]",
        ),
    ],
)
def test_a_bad_date_format_is_named(small_csv, date_format, problem):
    with pytest.raises(ArgumentError, match=r"load_transactions: date_format " + problem):
        load_transactions(small_csv, date_format=date_format)
    if not isinstance(date_format, list):
        with pytest.raises(SettingsError, match=r"DataParams\.date_format " + problem):
            DataParams.from_dict({"transactions": "demo", "date_format": date_format})
