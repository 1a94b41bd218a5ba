"""workbench.data.parsing: dates (ISO, ROC, AM/PM, time zones, full-width), amounts (NT$, HK$, accounting
negatives) and the channel labels of real exports."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.data import describe_transactions, load_transactions, parse_amounts, parse_dates


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


@pytest.mark.parametrize(
    ("text", "expected", "currency"),
    [
        ("NT$1,200", 1200.0, "TWD"),
        ("$1,200.50", 1200.5, ""),
        ("1,200", 1200.0, ""),
        ("1200", 1200.0, ""),
        ("(300)", -300.0, ""),
        ("(NT$300)", -300.0, "TWD"),
        ("-NT$300", -300.0, "TWD"),
        ("NT$-300", -300.0, "TWD"),
        ("300-", -300.0, ""),
        ("\u22125", -5.0, ""),  # U+2212 MINUS SIGN
        ("１，２００", 1200.0, ""),  # full-width digits and comma
        ("ＮＴ＄１２００", 1200.0, "TWD"),
        ("HK$88.5", 88.5, "HKD"),
        ("hk$ 1,000", 1000.0, "HKD"),
        ("1,200元", 1200.0, "TWD"),
        ("0", 0.0, ""),
        (".5", 0.5, ""),
        ("1.2e3", 1200.0, ""),
    ],
)
def test_parse_amounts(text, expected, currency):
    out, bad, missing, cur = parse_amounts(pd.Series([text], dtype="str"))
    assert not bad[0] and not missing[0]
    assert out[0] == expected
    assert (cur[0].as_py() if cur is not None else "") == currency  # None: plain numbers only


@pytest.mark.parametrize("text", ["abc", "1,2,3", "1.2.3", "(-300)", "--5", "NT$", "12 34", "(300"])
def test_parse_amounts_rejects(text):
    out, bad, missing, _ = parse_amounts(pd.Series([text], dtype="str"))
    assert bad[0] and np.isnan(out[0]) and not missing[0]


def test_parse_amounts_numeric_and_missing():
    out, bad, missing, cur = parse_amounts(pd.Series([1.5, np.nan, -2.0]))
    assert cur is None and not bad.any()
    assert list(missing) == [False, True, False]
    out, bad, missing, _ = parse_amounts(pd.Series(["", None, "7"], dtype="str"))
    assert list(missing) == [True, True, False] and not bad.any() and out[2] == 7.0


@pytest.mark.parametrize(
    ("label", "channel"),
    [("門市", "store"), ("實體店", "store"), ("POS", "store"), ("網路商店", "online"), ("官網", "online"),
     (" E-Commerce ", "online"), ("網上商店", "online"), ("APP", "online"), ("LINE 禮物", "LINE 禮物")],
)  # fmt: skip
def test_channel_labels_of_real_exports(label, channel):
    """Back-office channel labels read as the canonical store/online; unknown labels are kept as written."""
    frame = pd.DataFrame(
        {"member_id": ["001", "002"], "ordered_at": ["2026-01-01", "2026-01-02"], "amount": ["1", "2"]}
    )
    frame["channel"] = [label, "門市"]
    tx = load_transactions(frame)
    assert tx["channel"].tolist() == [channel, "store"]
    if channel in ("store", "online"):
        assert list(tx["channel"].cat.categories) == ["store", "online"]
    else:
        facts = dict(describe_transactions(tx))
        assert label in facts["note"] and "neither" in facts["note"]
