"""workbench.data.amounts: amounts as exports write them (NT$, HK$, accounting negatives, full-width), one
decimal-mark rule per column, non-finite values and amounts above max_amount rejected with their rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kit import write_text_file as write

from workbench.data import DataValidationError, load_transactions, parse_amounts
from workbench.errors import ArgumentError


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


@pytest.mark.parametrize("text", ["abc", "1,2,3", "1,23,4", "1.2.3", "(-300)", "--5", "NT$", "12 34", "(300"])
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
    ("values", "expected"),
    [
        (
            ["12.5", "3.400", "1,234"],
            [12.5, 3.4, 1234.0],
        ),  # a dot decimal (12.5): 3.400 is 3.4, 1,234 is 1234
        (["1,234.50", "3.400"], [1234.5, 3.4]),
        (["2,55", "1.234,50", "3.400", "1,234"], [2.55, 1234.5, 3400.0, 1.234]),  # a decimal comma column
        (["1.234.567", "3.400"], [1234567.0, 3400.0]),  # dots grouping thousands twice: dot thousands
        (["1,234", "1,234,567", "5"], [1234.0, 1234567.0, 5.0]),  # comma thousands (the default reading)
        (["NT$1.234,50", "(HK$2,50)"], [1234.5, -2.5]),
    ],
)
def test_one_decimal_mark_per_column(values, expected):
    """The decimal mark comes from the column's values, never from each value alone."""
    out, bad, missing, _ = parse_amounts(pd.Series(values, dtype="str"))
    assert not bad.any() and not missing.any()
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-12)


def test_a_column_mixing_decimal_marks_names_the_rows(tmp_path):
    path = write(
        tmp_path / "tx.csv",
        'member_id,ordered_at,amount\n01,2024-01-01,"1.234,50"\n02,2024-01-02,"1,234.50"\n'
        '03,2024-01-03,"2.345,00"\n04,2024-01-04,"12,5"\n',
    )
    with pytest.raises(
        DataValidationError,
        match=r"column 'amount': 1 row written as 1,234\.50 \(a decimal point\) while the column's other values "
        r"are written as 1\.234,50 \(a decimal comma\): one rule per column \(row 2: '1,234\.50'\)",
    ):
        load_transactions(path)


def test_dot_and_three_digits_with_nothing_to_decide_is_ambiguous(tmp_path):
    """``3.400`` in a column whose other values are whole numbers: 3.4 or 3400 is not guessed."""
    path = write(
        tmp_path / "tx.csv", "member_id,ordered_at,amount\n01,2024-01-01,3.400\n02,2024-01-02,1200\n"
    )
    with pytest.raises(
        DataValidationError,
        match=r"column 'amount': 1 row with a dot and three digits \(3\.400\) that may be a decimal point \(3\.4\) "
        r"or a thousands separator \(3400\): no other value of the column tells which \(row 1: '3\.400'\); "
        r"set decimal: '\.' if the dot is the decimal point",
    ):
        load_transactions(path)
    assert list(load_transactions(path, decimal=",")["amount"]) == [3400.0, 1200.0]
    assert list(load_transactions(path, decimal=".")["amount"]) == [3.4, 1200.0]
    with pytest.raises(
        ArgumentError, match=r"load_transactions: decimal must be one of 'auto', '\.', ','; got ';'"
    ):
        load_transactions(path, decimal=";")


def test_a_set_decimal_mark_rejects_values_written_the_other_way():
    out, bad, _, _ = parse_amounts(pd.Series(["1.234,50", "12.5"], dtype="str"), decimal=".")
    assert list(bad) == [True, False] and out[1] == 12.5
    out, bad, _, _ = parse_amounts(pd.Series(["1.234,50", "12.5"], dtype="str"), decimal=",")
    assert list(bad) == [False, True] and out[0] == 1234.5


def test_non_finite_amounts_are_rejected(tmp_path):
    path = write(
        tmp_path / "tx.csv",
        "member_id,ordered_at,amount\n01,2024-01-01,inf\n02,2024-01-02,NaN\n03,2024-01-03,-Infinity\n04,2024-01-04,5\n",
    )
    with pytest.raises(
        DataValidationError,
        match=r"column 'amount': 3 rows with non-finite amounts \(inf or nan\) \(row 1: 'inf', row 2: 'NaN', "
        r"row 3: '-Infinity'\)",
    ):
        load_transactions(path)
    frame = pd.DataFrame(
        {
            "member_id": ["01", "02", "03"],
            "ordered_at": pd.to_datetime(["2024-01-01"] * 3).astype("datetime64[us]"),
            "amount": [1.0, np.inf, -np.inf],
        }
    )
    frame.to_parquet(tmp_path / "inf.parquet", index=False)
    with pytest.raises(
        DataValidationError,
        match=r"column 'amount': 2 rows with non-finite amounts \(inf or -inf\) \(row 2: 'inf', row 3: '-inf'\)",
    ):
        load_transactions(tmp_path / "inf.parquet")
    assert list(load_transactions(frame.iloc[:1])["amount"]) == [1.0]


def test_amounts_above_max_amount_are_rejected(tmp_path):
    path = write(
        tmp_path / "tx.csv",
        'member_id,ordered_at,amount\n01,2024-01-01,1e15\n02,2024-01-02,"NT$12,000,000"\n03,2024-01-03,-20000000\n'
        "04,2024-01-04,9999999\n",
    )
    with pytest.raises(
        DataValidationError,
        match=r"column 'amount': 3 rows with amounts above max_amount 10,000,000 TWD per row \(row 1: '1e15', "
        r"row 2: 'NT\$12,000,000', row 3: '-20000000'\)",
    ):
        load_transactions(path, currency="TWD")
    assert load_transactions(path, max_amount=1e16)["amount"].max() == 1e15
    frame = pd.DataFrame({"member_id": ["01"], "ordered_at": ["2024-01-01"], "amount": [2.5e7]})
    with pytest.raises(
        DataValidationError,
        match=r"1 row with amounts above max_amount 10,000,000 per row \(row 1: '25,000,000\.00'\)",
    ):
        load_transactions(frame)
    with pytest.raises(ArgumentError, match=r"max_amount must be a positive number; got 0"):
        load_transactions(frame, max_amount=0)
