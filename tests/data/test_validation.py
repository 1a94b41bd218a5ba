"""workbench.data.validation: member ids (lost or stripped zeros, decimals), order conflicts, dates after
the observation end, every problem reported together, the trim check."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from kit import write_text_file as write

from workbench.data import DataValidationError, load_transactions

OBS_END = "2026-10-31"


def test_dates_after_observation_end(tmp_path):
    path = write(
        tmp_path / "tx.csv",
        "member_id,ordered_at,amount\n0001,2026-10-31 23:59:59,5\n0002,2026-11-01 00:00:00,5\n0003,2027-01-01,5\n",
    )
    with pytest.raises(
        DataValidationError,
        match=r"2 rows dated after the observation end 2026-10-31 00:00:00 "
        r"\(row 2: '2026-11-01T00:00:00', row 3: '2027-01-01T00:00:00'\)",
    ):
        load_transactions(path, observation_end=OBS_END)
    assert len(load_transactions(path, observation_end="2027-01-01")) == 3


def test_order_lines_that_disagree(tmp_path):
    path = write(
        tmp_path / "tx.csv",
        "member_id,ordered_at,amount,order_id\n"
        "0001,2024-03-05 10:00,100,A1\n"
        "0002,2024-03-05 10:00,50,A1\n"  # another member on the same order
        "0003,2024-03-05,70,B7\n"
        "0003,2024-03-08,70,B7\n"  # same order, another day (both purchases)
        "0004,2024-03-09,10,C9\n",
    )
    with pytest.raises(DataValidationError) as e:
        load_transactions(path)
    msg = str(e.value)
    assert re.search(
        r"column 'order_id': 2 rows in 1 order id whose rows disagree on member_id "
        r"\(row 1: 'A1' member '0001' on 2024-03-05T10:00:00, row 2: 'A1' member '0002' on 2024-03-05T10:00:00\)",
        msg,
    )
    assert "2 rows in 1 order id whose rows disagree on date (row 3: 'B7'" in msg
    assert [p.kind for p in e.value.problems] == ["order_conflict", "order_conflict"]


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


def test_all_problems_reported_together(tmp_path):
    path = write(
        tmp_path / "export.csv",
        "會員,日期,金額,單號\n"
        "0001,2024-01-01,100,A\n"
        "0002,2024-02-30,abc,B\n"
        ",2030-01-01,,C\n"
        "0004,2024-01-03,5,A\n",
    )
    cols = {"member_id": "會員", "ordered_at": "日期", "amount": "金額", "order_id": "單號"}
    # guest_ids=[]: an empty member id is a missing id, not a guest sale
    with pytest.raises(DataValidationError, match=r"export\.csv: 7 problems found") as e:
        load_transactions(path, cols, observation_end="2026-10-31", guest_ids=[])
    kinds = [p.kind for p in e.value.problems]
    assert kinds == [
        "missing_member_id",
        "bad_date",
        "bad_amount",
        "missing_amount",
        "after_observation_end",
        "order_conflict",
        "order_conflict",
    ]
    for p in e.value.problems:
        assert p.message in str(e.value)


def test_canonical_parquet_is_still_validated(tmp_path):
    """Canonical dtypes are no pass: untrimmed text is trimmed, and every check runs (missing values, stripped
    leading zeros, order conflicts, infinite discounts)."""
    frame = pd.DataFrame(
        {
            "member_id": pd.array([" 00012", "00345\u3000", "00012"], dtype="str"),
            "ordered_at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]).astype("datetime64[us]"),
            "amount": [1.0, 2.0, -1.0],
            "order_id": pd.array(["A1", "B2 ", "C3"], dtype="str"),
            "discount": [0.0, np.nan, 5.0],
        }
    )
    frame.to_parquet(tmp_path / "ok.parquet", index=False)
    tx = load_transactions(tmp_path / "ok.parquet")
    assert list(tx["member_id"]) == ["00012", "00345", "00012"]
    assert list(tx["order_id"]) == ["A1", "B2", "C3"]
    assert list(tx["discount"]) == [0.0, 0.0, 5.0]
    frame.assign(discount=[0.0, np.nan, np.inf]).to_parquet(tmp_path / "inf.parquet", index=False)
    with pytest.raises(
        DataValidationError,
        match=r"column 'discount': 1 row with non-finite discounts \(inf or -inf\) \(row 3: 'inf'\)",
    ):
        load_transactions(tmp_path / "inf.parquet")
    bad = frame.assign(
        member_id=pd.array(["00012", "12", None], dtype="str"),
        amount=[1.0, np.nan, 2.0],
        order_id=pd.array(["A1", "A1", "C3"], dtype="str"),
    )
    bad.loc[2, "ordered_at"] = pd.NaT
    bad.to_parquet(tmp_path / "bad.parquet", index=False)
    with pytest.raises(DataValidationError) as e:
        load_transactions(tmp_path / "bad.parquet", guest_ids=[])  # a null id is then missing, not a guest
    assert sorted(p.kind for p in e.value.problems) == [
        "member_id_zeros",
        "missing_amount",
        "missing_date",
        "missing_member_id",
        "order_conflict",  # A1 has two members
        "order_conflict",  # and two days
    ]
    assert "rows disagree on member_id (row 1: 'A1' member '00012'" in str(e.value)


@pytest.mark.parametrize("kind", ["string", "large_string"])
def test_trim_check_agrees_with_the_trim_kernel(rng, kind):
    """``_may_need_trim`` (edge bytes read from the Arrow buffers) never says False when trimming changes
    something; checked on random text with whitespace at random places, sliced and chunked."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from workbench.data.validation import _may_need_trim

    alphabet = np.array(["0", "7", "a", "é", " ", "\t", "\u3000", "\xa0", "\x1f", "-"])
    for _ in range(200):
        n = int(rng.integers(0, 6))
        values = ["".join(rng.choice(alphabet, int(rng.integers(0, 4)))) for _ in range(n)]
        if n and rng.random() < 0.2:
            values[int(rng.integers(n))] = None
        arr = pa.array(values, type=getattr(pa, kind)())
        arr = arr.slice(int(rng.integers(0, 2)))
        for candidate in (arr, pa.chunked_array([arr, arr], type=arr.type)):
            trimmed = pc.utf8_trim_whitespace(candidate)
            changes = len(candidate) and not pc.all(pc.fill_null(pc.equal(trimmed, candidate), True)).as_py()
            if changes:
                assert _may_need_trim(candidate), values
    clean = pa.array(["0012", "", None, "A-1"], type=getattr(pa, kind)())
    assert not _may_need_trim(clean) and not _may_need_trim(clean.slice(1))
    assert _may_need_trim(pa.array(["0012", " 3"], type=getattr(pa, kind)()))
