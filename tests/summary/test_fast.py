"""The numpy engine's fast paths against DuckDB (and lifetimes): every shape of log takes a path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.summary import MODEL_COLUMNS, fast, lifetimes_reference, member_summary

from .conftest import EDGE_ENDS


def _no_sort(*args):
    raise AssertionError("a log in time order took the sort")


def _force_loop(monkeypatch) -> None:
    """Every log in time order takes the period loop, however few rows a period holds."""
    monkeypatch.setattr(fast, "_ROWS_PER_PERIOD", 0)
    monkeypatch.setattr(fast, "_sorted_member_runs", _no_sort)


def _log(demo, rng, shape: str) -> pd.DataFrame:
    tx = demo.transactions[["member_id", "ordered_at", "amount", "order_id"]].copy()
    if shape == "shuffled":  # not sorted by time: order keys out of order, the scatter count
        tx = tx.sample(frac=1.0, random_state=7).reset_index(drop=True)
    elif shape == "missing_orders":  # null and empty order ids among the others
        r = rng.random(len(tx))
        order = tx["order_id"].astype(object)
        order[r < 0.03] = None
        order[(r >= 0.03) & (r < 0.06)] = ""
        tx["order_id"] = pd.Series(order, dtype="str")
    elif shape == "several_widths":  # order ids of three lengths, member ids of two
        order = tx["order_id"].astype(str)
        short = rng.random(len(tx)) < 0.2
        tx["order_id"] = pd.Series(
            np.where(short, order.str.slice(0, 1) + order.str.slice(4), order), dtype="str"
        )
        member = tx["member_id"].astype(str)
        tx["member_id"] = pd.Series(np.where(member.str.endswith("7"), "9" + member, member), dtype="str")
    elif shape == "not_digits":  # member ids with letters: the general keys
        tx["member_id"] = pd.Series("M-" + tx["member_id"].astype(str).str.replace("1", "x"), dtype="str")
        tx["order_id"] = pd.Series(tx["order_id"].astype(str).str.replace("0", "o"), dtype="str")
    return tx


@pytest.mark.parametrize("shape", ["sorted", "shuffled", "missing_orders", "several_widths", "not_digits"])
@pytest.mark.parametrize("returns", ["include", "exclude"])
@pytest.mark.parametrize("end", ["2026-10-31", "2025-06-18"])  # the second drops the later rows
def test_numpy_equals_duckdb(demo, rng, shape, returns, end):
    tx = _log(demo, rng, shape)
    ours = member_summary(tx, end, "D", returns=returns)
    ref = member_summary(tx, end, "D", returns=returns, engine="duckdb")
    assert ours["orders"].sum() > 0 and (ours["returns_amount"] > 0).any()
    pd.testing.assert_frame_equal(ours, ref, check_index_type=False, check_exact=False, rtol=1e-12)


@pytest.mark.parametrize("freq", ["h", "W", "M"])
def test_other_periods_on_a_shuffled_log(demo, rng, freq):
    """Periods from the sorted keys (one division when periods have one length, times for months)."""
    tx = _log(demo, rng, "shuffled")
    ours = member_summary(tx, "2026-10-31", freq, returns="include")
    ref = member_summary(tx, "2026-10-31", freq, returns="include", engine="duckdb")
    pd.testing.assert_frame_equal(ours, ref, check_index_type=False, check_exact=False, rtol=1e-12)


def test_shuffled_log_equals_lifetimes(demo):
    tx = _log(demo, None, "shuffled")
    ours = member_summary(tx, "2026-10-31", "D", returns="include")
    ref = lifetimes_reference(tx[["member_id", "ordered_at", "amount"]], "2026-10-31", "D").sort_index()
    assert list(ours.index) == list(ref.index.astype(str))
    for col in MODEL_COLUMNS:
        np.testing.assert_allclose(ours[col].to_numpy(), ref[col].to_numpy(), rtol=0, atol=1e-9, err_msg=col)


@pytest.mark.parametrize("end", EDGE_ENDS)
def test_period_loop_on_the_edge_log(monkeypatch, edge_log, end):
    """The loop over periods of a log in time order (epoch, week and month edges, returns, rows after the end)."""
    tx = edge_log.sort_values("ordered_at", kind="stable").reset_index(drop=True)
    refs = {
        (freq, returns): member_summary(tx, end, freq, returns=returns, engine="duckdb")
        for freq in ("h", "D", "W", "M")
        for returns in ("exclude", "include")
    }
    _force_loop(monkeypatch)
    for (freq, returns), ref in refs.items():
        ours = member_summary(tx, end, freq, returns=returns)
        pd.testing.assert_frame_equal(ours, ref, check_index_type=False, check_exact=False, rtol=1e-12)


@pytest.mark.parametrize("returns", ["include", "exclude"])
def test_period_loop_on_the_demo_equals_lifetimes(monkeypatch, demo, returns):
    """Both paths of a sorted demo log give DuckDB's numbers; the loop's model columns are lifetimes'."""
    tx = demo.transactions[["member_id", "ordered_at", "amount", "order_id"]]
    assert tx["ordered_at"].is_monotonic_increasing
    monkeypatch.setattr(fast, "_ROWS_PER_PERIOD", 10**9)  # the sort
    by_sort = member_summary(tx, "2026-10-31", "D", returns=returns)
    _force_loop(monkeypatch)
    by_loop = member_summary(tx, "2026-10-31", "D", returns=returns)
    ref = member_summary(tx, "2026-10-31", "D", returns=returns, engine="duckdb")
    pd.testing.assert_frame_equal(by_loop, ref, check_index_type=False, check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(by_sort, by_loop)
    if returns == "include":
        life = lifetimes_reference(tx[["member_id", "ordered_at", "amount"]], "2026-10-31", "D").sort_index()
        for col in MODEL_COLUMNS:
            np.testing.assert_allclose(by_loop[col].to_numpy(), life[col].to_numpy(), rtol=0, atol=1e-9)


def test_period_loop_declines_many_short_periods(demo):
    """Hours of a small log: fewer rows a period than the loop pays for, so the sort takes them."""
    tx = demo.transactions
    t_us = tx["ordered_at"].to_numpy().astype("datetime64[us]").view(np.int64)
    codes = np.zeros(len(tx), dtype=np.int64)
    amount = tx["amount"].to_numpy()
    assert fast._time_ordered_runs(codes, t_us, amount, 1, "h") is None
    assert fast._time_ordered_runs(codes, t_us, amount, 1, "M") is not None


@pytest.mark.parametrize("at", [1, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, (1 << 20) + 40])
def test_time_order_found_across_block_borders(at):
    """A single step back anywhere (block borders of the check included) is found; ties are in order."""
    t = np.repeat(np.arange(((1 << 20) + 42) // 2, dtype=np.int64), 2)
    assert fast._in_time_order(t)
    t[at] = t[at - 1] - 1
    assert not fast._in_time_order(t)
    assert fast._in_time_order(t[:1]) and fast._in_time_order(t[:0])
