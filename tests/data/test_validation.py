"""workbench.data.validation: dates after the observation end and in the future, every problem reported
together, canonical input still checked, the trim check."""

from __future__ import annotations

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


def test_future_dates_need_an_observation_end(tmp_path):
    """Without observation_end, rows more than 3 days after today (the machine's date in the brand's time
    zone) are an error; with it, rows up to it are accepted and rows after it are the usual error."""
    from workbench.data.validation import today_in

    today = today_in("Asia/Taipei")
    days = [
        today - pd.Timedelta(days=30),
        today + pd.Timedelta(days=3, hours=23),
        today + pd.Timedelta(days=4),
    ]
    days.append(today + pd.Timedelta(days=400))
    lines = [f"{i:04d},{d:%Y-%m-%d %H:%M:%S},5" for i, d in enumerate(days, start=1)]
    path = write(tmp_path / "tx.csv", "member_id,ordered_at,amount\n" + "\n".join(lines) + "\n")
    last = today + pd.Timedelta(days=3)
    with pytest.raises(
        DataValidationError,
        match=rf"column 'ordered_at': 2 rows dated in the future, after {last:%Y-%m-%d} \(3 days after today, "
        rf"{today:%Y-%m-%d} in Asia/Taipei\) \(row 3: '{days[2]:%Y-%m-%dT%H:%M:%S}', row 4: .*\); fix the dates, "
        r"or set observation_end",
    ) as e:
        load_transactions(path)
    assert [p.kind for p in e.value.problems] == ["future_date"]
    end = f"{today + pd.Timedelta(days=400):%Y-%m-%d}"
    assert len(load_transactions(path, observation_end=end)) == 4
    with pytest.raises(DataValidationError, match=r"3 rows dated after the observation end"):
        load_transactions(path, observation_end=f"{today:%Y-%m-%d}")
    ok = write(tmp_path / "ok.csv", "member_id,ordered_at,amount\n" + lines[1] + "\n")
    assert len(load_transactions(ok)) == 1  # 3 days and 23 hours ahead: still accepted


def test_an_unreadable_observation_end_is_named(small_csv):
    from workbench.data import DataParams
    from workbench.errors import ArgumentError
    from workbench.settings import SettingsError

    with pytest.raises(
        ArgumentError, match=r"load_transactions: observation_end must be a date such as 2026-10-31"
    ):
        load_transactions(small_csv, observation_end="end of October")
    with pytest.raises(
        SettingsError, match=r"DataParams\.observation_end must be a date .*; got 'yesterday'"
    ):
        DataParams.from_dict({"transactions": "demo", "observation_end": "yesterday"})
