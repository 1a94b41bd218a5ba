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


# --- month records (what the replay walks instead of the matrices) ---------------------------------------


def _sparse_log(rng) -> pd.DataFrame:
    """Members whose orders fall on month borders (last and first instant of a month), months without any
    order (2024-03, 2024-04), multi-row orders straddling a month end, returns and rows without an order id."""
    rows = []
    borders = ["2024-01-31 23:59:59", "2024-02-01 00:00:00", "2024-02-29 23:59:59", "2024-05-01 00:00:00"]
    for m in range(40):
        for i in range(int(rng.integers(1, 6))):
            at = (
                pd.Timestamp(borders[rng.integers(len(borders))])
                if rng.random() < 0.5
                else pd.Timestamp("2024-01-01") + pd.Timedelta(minutes=int(rng.integers(0, 60 * 24 * 150)))
            )
            if pd.Timestamp("2024-03-01") <= at < pd.Timestamp("2024-05-01"):
                at += pd.Timedelta(days=61)
            amount = float(np.round(rng.gamma(2.0, 800.0), 2)) * (-1 if rng.random() < 0.15 else 1)
            order = "" if rng.random() < 0.1 else f"{m}-{i}"
            rows.append((f"{m:03d}", at, amount, order))
            if order and rng.random() < 0.3:  # a second line an hour later (across the border at 23:59:59)
                rows.append(
                    (f"{m:03d}", at + pd.Timedelta(hours=1), float(np.round(rng.gamma(2.0, 300.0), 2)), order)
                )
    frame = pd.DataFrame(rows, columns=["member_id", "ordered_at", "amount", "order_id"])
    frame["member_id"] = frame["member_id"].astype("str")
    frame["order_id"] = frame["order_id"].astype("str")
    return frame


@pytest.mark.parametrize("engine", ["numpy", "duckdb"])
def test_month_cells_columns_equal_pandas_at_month_borders(rng, engine):
    from workbench.tiers.activity import month_cells

    tx = _sparse_log(rng)
    cells = month_cells(tx, "2024-06-30", engine=engine)
    expected = _pandas_activity(tx, "2024-06-30")
    assert list(cells.months.astype(str)) == [
        "2024-01",
        "2024-02",
        "2024-03",
        "2024-04",
        "2024-05",
        "2024-06",
    ]
    assert cells.bounds[0] == 0 and cells.bounds[-1] == len(cells.member)
    assert cells.bounds[3] == cells.bounds[2] == cells.bounds[4]  # March and April hold no record
    ids = list(cells.member_ids)
    for name, series in expected.items():
        for j, month in enumerate(cells.months):
            got = cells.column(name, j)
            want = np.zeros(len(ids))
            sub = series[series.index.get_level_values("m") == month]
            want[[ids.index(m) for m in sub.index.get_level_values("member_id")]] = sub.to_numpy()
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9, err_msg=f"{name} {month}")


def test_net_weight_is_purchases_plus_returns_and_where_keeps_month_bounds(demo):
    from workbench.tiers import TierProgram
    from workbench.tiers.activity import month_cells

    tx = demo.transactions
    both = month_cells(tx, "2026-10-31", matrices=("purchases", "returns", "max_order"), engine="duckdb")
    net = month_cells(tx, "2026-10-31", matrices=("purchases", "returns"), engine="duckdb", net=True)
    assert set(net.weights) == {"net"}
    prog = TierProgram.from_dict({"tiers": [{"name": "M", "upgrade": 0}, {"name": "S", "upgrade": 1000}]})
    for j in (0, len(net.months) // 2, len(net.months) - 1):
        np.testing.assert_array_equal(
            net.metric_column(prog, j), both.column("purchases", j) + both.column("returns", j)
        )
    big = both.where("max_order", both.weights["max_order"] >= 5000)
    assert 0 < len(big.member) < len(both.member)
    dense = both.matrix("max_order")
    for j in range(len(both.months)):  # every month's kept records, and only those, at their members
        expected = np.where(dense[:, j] >= 5000, dense[:, j], 0.0)
        np.testing.assert_array_equal(big.column("max_order", j), expected)
