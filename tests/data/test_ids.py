"""workbench.data.ids: guest rows set apart and counted, member ids that lost their leading zeros, decimals
and scientific notation."""

from __future__ import annotations

import pandas as pd
import pytest
from kit import write_text_file as write

from workbench.data import DEFAULT_GUEST_IDS, DataParams, DataValidationError, guest_totals, load_transactions
from workbench.errors import ArgumentError
from workbench.settings import SettingsError


def test_numeric_member_ids_lost_zeros(tmp_path):
    frame = pd.DataFrame(
        {
            "member_id": [1, 23, 4567, 1234],
            "ordered_at": pd.to_datetime(["2024-01-01"] * 4),
            "amount": [1.0] * 4,
        }
    )
    frame.to_parquet(tmp_path / "ints.parquet")
    with pytest.raises(
        DataValidationError,
        match=r"(?s)ints\.parquet: 1 problem.*column 'member_id': 2 rows with member ids stored as numbers \(int64\) "
        r"with fewer digits than the longest id \(4\): their leading zeros are lost \(row 1: '1', row 2: '23'\); "
        r"export member ids as text, or set member_id_width",
    ):
        load_transactions(tmp_path / "ints.parquet")
    # the same width everywhere: nothing visibly lost, accepted as text
    same = frame.assign(member_id=[1001, 1002, 1003, 1004])
    assert list(load_transactions(same)["member_id"]) == ["1001", "1002", "1003", "1004"]


def test_text_member_ids_with_stripped_zeros(tmp_path):
    path = write(
        tmp_path / "tx.csv",
        "member_id,ordered_at,amount\n00012,2024-01-01,1\n12,2024-01-01,1\n00345,2024-01-01,1\n345,2024-01-02,1\n"
        "A-77,2024-01-01,1\n",
    )
    with pytest.raises(
        DataValidationError,
        match=r"2 rows with digit-only member ids shorter than the zero-padded width 5 that other ids use: "
        r"their leading zeros were probably stripped \(e\.g\. by Excel\) \(row 2: '12', row 4: '345'\); "
        r"re-export ids as text, or set member_id_width: 5",
    ):
        load_transactions(path)
    assert list(load_transactions(path, member_id_width=5)["member_id"]) == [
        "00012",
        "00012",
        "00345",
        "00345",
        "A-77",
    ]


def test_decimal_looking_member_ids(tmp_path):
    path = write(tmp_path / "tx.csv", "member_id,ordered_at,amount\n123.0,2024-01-01,1\n124,2024-01-01,1\n")
    with pytest.raises(
        DataValidationError,
        match=r"1 row with member ids that look like converted decimals \(row 1: '123\.0'\)",
    ):
        load_transactions(path)


def test_guest_rows_are_set_apart_and_counted(tmp_path):
    """Empty ids and the default guest ids (trimmed, any case, full-width) leave the frame, before the
    member-id checks ('0' would otherwise be an id that lost its zeros), and are counted with their net
    revenue; every member analysis then sees members only."""
    path = write(
        tmp_path / "pos.csv",
        "member_id,ordered_at,amount\n"
        "00012,2024-03-05,100\n"
        ",2024-03-05,40\n"
        " NA ,2024-03-05,10\n"
        "n/a,2024-03-05,5\n"
        "0,2024-03-06,7\n"
        "非會員,2024-03-06,-3\n"
        "訪客,2024-03-06,11\n"
        "GUEST,2024-03-06,13\n"
        "ｇｕｅｓｔ,2024-03-06,17\n"
        "00345,2024-03-07,200\n",
    )
    tx = load_transactions(path)
    assert list(tx["member_id"]) == ["00012", "00345"]
    assert list(tx["amount"]) == [100.0, 200.0]
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    members = raw["member_id"].str.strip().isin(["00012", "00345"])
    expected = pd.to_numeric(raw.loc[~members, "amount"]).sum()
    kept = pd.to_numeric(raw.loc[members, "amount"]).sum()
    counted = {"rows": 8, "revenue": float(expected), "member_revenue": float(kept)}
    assert tx.attrs["guests"] == counted == guest_totals(tx)
    assert guest_totals(tx.iloc[:1]) == tx.attrs["guests"]  # attrs travel with the frame
    # a canonical Parquet file written from the frame (the monthly run's cache) keeps the count: read from
    # its metadata without loading, and carried over when the file is loaded again
    tx.to_parquet(tmp_path / "cache.parquet")
    assert guest_totals(tmp_path / "cache.parquet") == counted
    assert guest_totals(load_transactions(tmp_path / "cache.parquet")) == counted
    assert guest_totals(pd.DataFrame()) == {"rows": 0, "revenue": 0.0, "member_revenue": 0.0}
    # the brand's own list: 'NA' is then a member id, and an empty id is missing
    with pytest.raises(DataValidationError) as e:
        load_transactions(path, guest_ids=["guest"])
    kinds = sorted(p.kind for p in e.value.problems)
    assert kinds == ["member_id_zeros", "missing_member_id"], str(e.value)
    assert "1 row without a member id (row 2: <empty>)" in str(e.value)


def test_guest_ids_must_be_a_list(small_csv):
    assert DataParams.from_dict({"transactions": "demo"}).guest_ids == DEFAULT_GUEST_IDS
    assert DataParams.from_dict({"transactions": "demo", "guest_ids": ["", "walk-in"]}).guest_ids == (
        "",
        "walk-in",
    )
    with pytest.raises(SettingsError, match=r"DataParams\.guest_ids must be a list; got 'guest'"):
        DataParams.from_dict({"transactions": "demo", "guest_ids": "guest"})
    with pytest.raises(SettingsError, match=r"DataParams\.guest_ids\[1\] must be text; got 0"):
        DataParams.from_dict({"transactions": "demo", "guest_ids": ["NA", 0]})
    with pytest.raises(
        ArgumentError, match=r"load_transactions: guest_ids must be a list of texts; got 'guest'"
    ):
        load_transactions(small_csv, guest_ids="guest")


def test_scientific_notation_ids_are_rejected(tmp_path):
    """Excel shows a 12-digit id as 1.23457E+11 and saves it so to CSV: the id is gone."""
    path = write(
        tmp_path / "tx.csv",
        "member_id,ordered_at,amount,order_id\n"
        "1.23457E+11,2024-01-01,5,A1\n"
        "123456789012,2024-01-02,5,4.5e+12\n"
        "1E+05,2024-01-03,5,A3\n",
    )
    with pytest.raises(DataValidationError) as e:
        load_transactions(path)
    msg = str(e.value)
    assert (
        "column 'member_id': 2 rows with ids in scientific notation, as Excel shows and saves long numbers: the "
        "digits after the sixth are lost (row 1: '1.23457E+11', row 3: '1E+05'); export the id column as text"
    ) in msg
    assert "column 'order_id': 1 row with ids in scientific notation" in msg and "(row 2: '4.5e+12')" in msg
    ok = write(
        tmp_path / "ok.csv", "member_id,ordered_at,amount\nE1234,2024-01-01,5\n123456789012,2024-01-02,5\n"
    )
    assert list(load_transactions(ok)["member_id"]) == ["E1234", "123456789012"]


def test_a_source_of_guests_only_is_an_error(tmp_path):
    path = write(tmp_path / "tx.csv", "member_id,ordered_at,amount\n,2024-01-01,5\nNA,2024-01-02,6\n")
    with pytest.raises(
        DataValidationError,
        match=r"column 'member_id': all 2 rows are guest sales \(member id empty or one of guest_ids \['', 'NA', ",
    ):
        load_transactions(path)
