"""workbench.tiers.activity: the numpy engine of the member-month aggregate against the DuckDB statement
and against plain pandas, on the demo and on hand-made rows; the window sums against cumulative sums."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from workbench.errors import ArgumentError
from workbench.tiers import monthly_activity
from workbench.tiers.activity import ACTIVITY_MATRICES, window_sums

MATRICES = ACTIVITY_MATRICES


def _assert_same(a, b):
    assert list(a.member_ids) == list(b.member_ids)
    assert a.months.equals(b.months)
    for name in MATRICES:
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), name
        if x is not None:
            np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-9, err_msg=name)


def _pandas_activity(tx: pd.DataFrame, as_of: str) -> dict[str, pd.Series]:
    """Plain pandas: orders by (member, order id) or by row, dated by their first row, then member x month."""
    tx = tx[tx["ordered_at"] < pd.Timestamp(as_of) + pd.Timedelta(days=1)].copy()
    no_id = tx["order_id"].isna() | (tx["order_id"] == "")
    tx["order_key"] = np.where(
        no_id, "row" + pd.Series(range(len(tx)), index=tx.index).astype(str), tx["order_id"]
    )
    orders = tx.groupby(["member_id", "order_key"]).agg(value=("amount", "sum"), first=("ordered_at", "min"))
    orders = orders.reset_index()
    orders["m"] = orders["first"].dt.to_period("M")
    g = orders.groupby(["member_id", "m"])["value"]
    return {
        "purchases": g.apply(lambda v: v[v >= 0].sum()),
        "returns": g.apply(lambda v: v[v < 0].sum()),
        "orders": g.apply(lambda v: float((v > 0).sum())),
        "max_order": g.apply(lambda v: max(v.max(), 0.0)),
    }


def test_numpy_engine_equals_duckdb_and_parquet_on_the_demo(demo, tmp_path):
    tx = demo.transactions
    ours = monthly_activity(tx, "2026-10-31")
    _assert_same(ours, monthly_activity(tx, "2026-10-31", engine="duckdb"))
    path = tmp_path / "tx.parquet"
    tx.to_parquet(path)
    _assert_same(ours, monthly_activity(path, "2026-10-31", engine="duckdb"))
    # a mid-month as-of and an earlier start, one matrix only
    part = monthly_activity(tx, "2025-06-15", start="2023-01-01", matrices=("purchases",))
    _assert_same(
        part, monthly_activity(tx, "2025-06-15", start="2023-01-01", matrices=("purchases",), engine="duckdb")
    )
    assert part.months[0] == pd.Period("2023-01", "M") and part.returns is None


def test_hand_made_orders_against_pandas():
    """Multi-row orders across a month end (dated by their first row), an order id used by two members,
    rows without an id (null or empty), a return, rows after the as-of date, ids of two widths."""
    tx = pd.DataFrame(
        {
            "member_id": pd.array(
                ["001", "001", "001", "002", "002", "003", "001", "003", "002"], dtype="str"
            ),
            "ordered_at": pd.to_datetime(
                [
                    "2026-01-31 23:00",
                    "2026-02-01 01:00",
                    "2026-02-03 00:00",
                    "2026-02-03 00:00",
                    "2026-02-04 00:00",
                    "2026-02-05 00:00",
                    "2026-02-06 00:00",
                    "2026-02-07 00:00",
                    "2026-03-02 00:00",
                ]
            ),
            "amount": [500.0, 700.0, 300.0, 200.0, -150.0, 900.0, 50.0, 60.0, 999.0],
            "order_id": pd.array(["A1", "A1", "B22", "B22", "", None, None, "", "C3"], dtype="str"),
        }
    )
    ours = monthly_activity(tx, "2026-02-28")
    _assert_same(ours, monthly_activity(tx, "2026-02-28", engine="duckdb"))
    expected = _pandas_activity(tx, "2026-02-28")
    ids = list(ours.member_ids)
    for name, series in expected.items():
        mat = getattr(ours, name)
        got = {
            (member, month): mat[i, j]
            for i, member in enumerate(ids)
            for j, month in enumerate(ours.months)
            if (member, month) in series.index
        }
        assert got == pytest.approx(series.to_dict()), name
    assert ours.purchases.sum() == pytest.approx(sum(v for v in expected["purchases"]))
    assert ours.months[-1] == pd.Period("2026-02", "M")  # the March row is after as_of


def test_errors_name_the_engine_and_the_input(demo, tmp_path):
    with pytest.raises(ArgumentError, match="engine must be 'numpy' or 'duckdb', got 'spark'"):
        monthly_activity(demo.transactions, "2026-10-31", engine="spark")
    table = pa.Table.from_pandas(demo.transactions.head(10), preserve_index=False)
    with pytest.raises(ArgumentError, match="engine='numpy' needs a transaction frame, got Table"):
        monthly_activity(table, "2026-10-31")
    with pytest.raises(ArgumentError, match="matrices must be among"):
        monthly_activity(demo.transactions, "2026-10-31", matrices=("spend",))
    with pytest.raises(ValueError, match="required column.*amount"):
        monthly_activity(demo.transactions.drop(columns="amount"), "2026-10-31")


@pytest.mark.parametrize("window", ["calendar_year", "rolling_12m", "lifetime"])
def test_window_sums_against_cumulative_sums(rng, window):
    months = pd.period_range("2023-11", periods=36, freq="M")
    values = rng.normal(100, 50, (200, 36))
    csum = np.cumsum(values, axis=1)
    if window == "lifetime":
        expected = csum
    elif window == "rolling_12m":
        expected = csum.copy()
        expected[:, 12:] -= csum[:, :-12]
    else:
        expected = np.stack(
            [
                values[:, [k for k in range(j + 1) if months[k].year == months[j].year]].sum(axis=1)
                for j in range(36)
            ],
            axis=1,
        )
    np.testing.assert_allclose(window_sums(values, months, window), expected, rtol=1e-12, atol=1e-9)
