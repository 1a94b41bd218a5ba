"""The numpy engine's fast paths against DuckDB (and lifetimes): every shape of log takes a path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.summary import MODEL_COLUMNS, lifetimes_reference, member_summary


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
