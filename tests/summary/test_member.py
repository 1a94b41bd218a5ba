"""member_summary (both engines) against lifetimes and an independent pandas computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifetimes.utils import summary_data_from_transaction_data

from workbench.summary import MODEL_COLUMNS, member_summary


def _lifetimes(tx: pd.DataFrame, end, freq: str) -> pd.DataFrame:
    ref = summary_data_from_transaction_data(
        tx,
        "member_id",
        "ordered_at",
        monetary_value_col="amount",
        observation_period_end=pd.Timestamp(end),
        freq=freq,
    )
    return ref.sort_index()


def _assert_same(ours: pd.DataFrame, ref: pd.DataFrame) -> None:
    assert list(ours.index) == list(ref.index.astype(str))
    for col in MODEL_COLUMNS:
        np.testing.assert_allclose(ours[col].to_numpy(), ref[col].to_numpy(), rtol=0, atol=1e-9, err_msg=col)


@pytest.mark.parametrize("engine", ["numpy", "duckdb"])
@pytest.mark.parametrize("freq", ["D", "W"])
def test_equals_lifetimes_on_cdnow(cdnow, freq, engine):
    ours = member_summary(cdnow, "1998-06-30", freq, engine=engine)
    assert len(ours) == 23_570
    _assert_same(ours, _lifetimes(cdnow, "1998-06-30", freq))


@pytest.mark.parametrize("engine", ["numpy", "duckdb"])
@pytest.mark.parametrize("freq", ["D", "W"])
@pytest.mark.parametrize("end", ["2026-10-31", "2025-06-18"])  # 2025-06-18 is a Wednesday: mid-week cut
def test_equals_lifetimes_on_demo(demo, freq, end, engine):
    tx = demo.transactions
    # lifetimes treats every row as a purchase: compare our "include" mode on all rows ...
    _assert_same(member_summary(tx, end, freq, returns="include", engine=engine), _lifetimes(tx, end, freq))
    # ... and the default, which drops return rows, with lifetimes on the purchase rows.
    _assert_same(member_summary(tx, end, freq, engine=engine), _lifetimes(tx[tx["amount"] >= 0], end, freq))


@pytest.mark.parametrize("engine", ["numpy", "duckdb"])
def test_hours_with_multiplier_equal_lifetimes(demo, engine):
    """freq="h", freq_multiplier=24 (lifetimes' own example): days at hour resolution."""
    tx = demo.transactions[demo.transactions["amount"] >= 0]
    end = "2026-08-30 23:59:59"  # the last hour and the last day hold the same rows
    ours = member_summary(tx, end, "h", freq_multiplier=24, engine=engine)
    ref = summary_data_from_transaction_data(
        tx,
        "member_id",
        "ordered_at",
        monetary_value_col="amount",
        observation_period_end=pd.Timestamp(end),
        freq="h",
        freq_multiplier=24,
    ).sort_index()
    _assert_same(ours, ref)
    daily = member_summary(tx, end, "D")
    assert (ours["frequency"] >= daily["frequency"]).all()  # same-day purchases stay separate
    assert (ours["frequency"] > daily["frequency"]).any()


def test_cdnow_zero_amount_rows_count_as_purchases(cdnow):
    assert (cdnow["amount"] == 0).sum() == 80
    ours = member_summary(cdnow, "1998-06-30")
    zero_only = cdnow[cdnow["amount"] == 0]["member_id"].unique()
    # every member with a zero-amount row is in the summary (zero is a purchase, not a return)
    assert set(zero_only) <= set(ours.index)


def _pandas_summary(tx: pd.DataFrame, end: str, freq: str) -> pd.DataFrame:
    """Independent computation with plain pandas (no lifetimes), months included."""
    tx = tx[tx["amount"] >= 0].copy()
    period = tx["ordered_at"].dt.to_period(freq)
    end_p = pd.Period(end, freq=freq)
    tx = tx[period <= end_p]
    tx["period"] = tx["ordered_at"].dt.to_period(freq)
    per = tx.groupby(["member_id", "period"], as_index=False)["amount"].sum()
    rows = {}
    for member, g in per.groupby("member_id"):
        g = g.sort_values("period")
        first, last = g["period"].iloc[0], g["period"].iloc[-1]
        repeat = g["amount"].iloc[1:]
        rows[member] = {
            "frequency": float(len(g) - 1),
            "recency": float((last - first).n),
            "T": float((end_p - first).n),
            "monetary_value": float(repeat.mean()) if len(repeat) else 0.0,
        }
    return pd.DataFrame.from_dict(rows, orient="index").sort_index()


@pytest.mark.parametrize("engine", ["numpy", "duckdb"])
@pytest.mark.parametrize("freq", ["D", "W", "M"])
def test_matches_independent_pandas(demo, freq, engine):
    tx = demo.transactions
    sample = tx[tx["member_id"].isin(tx["member_id"].unique()[:400])]
    expected = _pandas_summary(sample, "2026-08-15", freq)
    _assert_same(member_summary(sample, "2026-08-15", freq, engine=engine), expected)


@pytest.mark.parametrize("engine", ["numpy", "duckdb"])
def test_descriptive_columns(demo, engine):
    tx = demo.transactions
    end = "2026-10-31"
    ours = member_summary(tx, end, engine=engine)
    purchases = tx[tx["amount"] >= 0]
    np.testing.assert_allclose(
        ours["total_spend"], purchases.groupby("member_id")["amount"].sum().sort_index()
    )
    assert (ours["orders"] == purchases.groupby("member_id")["order_id"].nunique().sort_index()).all()
    returns = -tx[tx["amount"] < 0].groupby("member_id")["amount"].sum()
    np.testing.assert_allclose(ours["returns_amount"], returns.reindex(ours.index, fill_value=0.0))
    np.testing.assert_allclose(ours["net_spend"], ours["total_spend"] - ours["returns_amount"])
    assert (ours["first_purchase"] == purchases.groupby("member_id")["ordered_at"].min().sort_index()).all()
    assert (ours["last_purchase"] == purchases.groupby("member_id")["ordered_at"].max().sort_index()).all()


@pytest.mark.parametrize("engine", ["numpy", "duckdb"])
def test_rows_without_order_id_are_an_order_each(demo, rng, engine):
    """Null or empty order ids (optional in the contract): each such purchase row is an order of its own,
    as in the overview's KPIs; the other rows count distinct ids. Checked against pandas."""
    tx = demo.transactions.copy()
    ids = tx["order_id"].astype(object)
    blank = rng.random(len(tx))
    ids[blank < 0.05] = None
    ids[(blank >= 0.05) & (blank < 0.08)] = ""
    tx["order_id"] = pd.array(ids, dtype="str")
    ours = member_summary(tx, "2026-10-31", engine=engine)
    purchases = tx[tx["amount"] >= 0]
    no_id = purchases["order_id"].isna() | (purchases["order_id"] == "")
    expected = (
        purchases[~no_id]
        .groupby("member_id")["order_id"]
        .nunique()
        .add(purchases[no_id].groupby("member_id").size(), fill_value=0)
        .reindex(ours.index, fill_value=0)
    )
    assert no_id.sum() > 1000
    assert (ours["orders"] == expected.astype("int64")).all()


@pytest.mark.parametrize(
    "ids",
    [
        ["00012", "00003", "00012", "10000"],  # fixed-width digits
        ["A-17", "B-02", "A-17", "A-09"],  # fixed width, not digits
        ["7", "007", "07", "7"],  # variable width: "7" and "007" are different members
        ["會員0001", "會員0002", "會員0001", "會員0010"],  # non-ASCII prefix
    ],
)
def test_member_ids_of_every_shape(ids):
    tx = pd.DataFrame(
        {
            "member_id": pd.Series(ids, dtype="str"),
            "ordered_at": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-02-01", "2024-03-01"]),
            "amount": [100.0, 200.0, 300.0, 400.0],
        }
    )
    ours = member_summary(tx, "2024-03-31")
    ref = member_summary(tx, "2024-03-31", engine="duckdb")
    pd.testing.assert_frame_equal(ours, ref, check_index_type=False)
    assert sorted(set(ids)) == list(ours.index)


def test_return_only_day_is_not_a_purchase():
    tx = pd.DataFrame(
        {
            "member_id": ["007", "007", "007"],
            "ordered_at": pd.to_datetime(["2024-01-01", "2024-01-10", "2024-02-01"]),
            "amount": [500.0, -200.0, 300.0],
        }
    )
    ours = member_summary(tx, "2024-03-01")
    assert ours.index.tolist() == ["007"]  # leading zeros kept
    assert ours.loc["007", "frequency"] == 1.0
    assert ours.loc["007", "recency"] == 31.0
    assert ours.loc["007", "monetary_value"] == 300.0
    lifetimes_like = member_summary(tx, "2024-03-01", returns="include")
    assert lifetimes_like.loc["007", "frequency"] == 2.0


def test_sub_second_times_and_several_rows_per_order():
    tx = pd.DataFrame(
        {
            "member_id": pd.Series(["1", "1", "1", "2"], dtype="str"),
            "ordered_at": pd.to_datetime(
                [
                    "2024-01-01 10:00:00.250",
                    "2024-01-01 10:00:00.250",
                    "2024-01-09 09:00:00.500",
                    "2024-01-02 00:00:00.000",
                ]
            ),
            "amount": [100.0, 50.0, 80.0, 10.0],
            "order_id": pd.Series(["A1", "A1", "A2", "B1"], dtype="str"),
        }
    )
    ours = member_summary(tx, "2024-01-31")
    pd.testing.assert_frame_equal(
        ours, member_summary(tx, "2024-01-31", engine="duckdb"), check_index_type=False
    )
    assert ours.loc["1", "orders"] == 2 and ours.loc["1", "monetary_value"] == 80.0
    assert ours.loc["1", "first_purchase"] == pd.Timestamp("2024-01-01 10:00:00.250")


def test_bad_arguments(demo):
    with pytest.raises(ValueError, match=r"freq must be one of \('h', 'D', 'W', 'M'\), got 'Q'"):
        member_summary(demo.transactions, "2026-10-31", "Q")
    with pytest.raises(ValueError, match="required column"):
        member_summary(demo.transactions.drop(columns="amount"), "2026-10-31")


@pytest.fixture(scope="module")
def cdnow_copy(tmp_path_factory, cdnow):
    """CDNOW as the run's validated Parquet copy (as workbench report writes it)."""
    from workbench import files
    from workbench.data import VALIDATED_METADATA

    path = tmp_path_factory.mktemp("copy") / "transactions.parquet"
    return str(files.write_parquet(path, cdnow, metadata=VALIDATED_METADATA))


@pytest.mark.parametrize("in_memory", [True, False], ids=["read", "duckdb"])
@pytest.mark.parametrize("freq", ["D", "W"])
def test_validated_copy_equals_lifetimes(cdnow, cdnow_copy, monkeypatch, in_memory, freq):
    """A path of the run's copy: read and summarised by numpy when small, else aggregated by DuckDB over the
    file (IN_MEMORY_ROWS = 0); both are lifetimes' numbers, with the numpy engine's index."""
    import workbench.summary.member as sm

    monkeypatch.setattr(sm, "IN_MEMORY_ROWS", sm.IN_MEMORY_ROWS if in_memory else 0)
    ours = member_summary(cdnow_copy, "1998-06-30", freq=freq, returns="include")
    _assert_same(ours, _lifetimes(cdnow, "1998-06-30", freq))
    frame = member_summary(cdnow, "1998-06-30", freq=freq, returns="include")
    pd.testing.assert_frame_equal(ours, frame)


@pytest.mark.parametrize("freq", ["D", "W"])
def test_member_buckets_give_the_one_pass_summary(cdnow, cdnow_copy, monkeypatch, freq):
    """A log larger than BUCKET_ROWS is summarised by DuckDB in member buckets (here 7 buckets of CDNOW):
    the same frame as one pass and as the numpy engine; every member in exactly one bucket."""
    import workbench.summary.member as sm
    from workbench.schema import run_sql

    monkeypatch.setattr(sm, "IN_MEMORY_ROWS", 0)
    one_pass = member_summary(cdnow_copy, "1998-06-30", freq=freq, returns="include")
    monkeypatch.setattr(sm, "BUCKET_ROWS", -(-len(cdnow) // 7))
    buckets = sm.member_buckets("tx", len(cdnow))
    assert len(buckets) == 7
    counts = [
        run_sql(f"SELECT count(DISTINCT member_id) AS n FROM {b}", tx=cdnow)["n"][0].as_py() for b in buckets
    ]
    assert sum(counts) == cdnow["member_id"].nunique() and min(counts) > 0
    bucketed = member_summary(cdnow_copy, "1998-06-30", freq=freq, returns="include")
    pd.testing.assert_frame_equal(bucketed, one_pass)
    pd.testing.assert_frame_equal(bucketed, member_summary(cdnow, "1998-06-30", freq=freq, returns="include"))


def test_a_path_must_be_the_validated_copy(tmp_path, cdnow, monkeypatch):
    import workbench.summary.member as sm
    from workbench.errors import ArgumentError

    monkeypatch.setattr(sm, "IN_MEMORY_ROWS", 0)
    plain = tmp_path / "plain.parquet"
    cdnow.to_parquet(plain)
    with pytest.raises(ArgumentError, match="a path must name the run's validated Parquet copy of the log"):
        member_summary(str(plain), "1998-06-30")
