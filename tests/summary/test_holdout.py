"""calibration_and_holdout against lifetimes' calibration_and_holdout_data and a pandas computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifetimes.utils import calibration_and_holdout_data

from workbench.summary import calibration_and_holdout


@pytest.mark.parametrize("freq", ["D", "W"])
def test_calibration_holdout_equals_lifetimes(cdnow, freq):
    ours = calibration_and_holdout(cdnow, "1997-09-30", "1998-06-30", freq)
    ref = calibration_and_holdout_data(
        cdnow, "member_id", "ordered_at", "1997-09-30", "1998-06-30", freq=freq, monetary_value_col="amount"
    ).sort_index()
    assert list(ours.columns) == list(ref.columns)
    assert list(ours.index) == list(ref.index)
    np.testing.assert_allclose(ours.to_numpy(), ref.to_numpy(), rtol=0, atol=1e-9)
    assert ours["duration_holdout"].iloc[0] == (39 if freq == "W" else 273)


def test_calibration_holdout_months(demo):
    tx = demo.transactions
    ours = calibration_and_holdout(tx, "2025-12-31", "2026-06-30", "M")
    assert (ours["duration_holdout"] == 6).all()
    purchases = tx[
        (tx["amount"] >= 0) & (tx["ordered_at"] > "2025-12-31") & (tx["ordered_at"] <= "2026-06-30")
    ]
    expected = (
        purchases.assign(m=purchases["ordered_at"].dt.to_period("M")).groupby("member_id")["m"].nunique()
    )
    got = ours["frequency_holdout"]
    np.testing.assert_array_equal(got.to_numpy(), expected.reindex(got.index, fill_value=0).to_numpy())


@pytest.mark.parametrize("in_memory", [True, False], ids=["read", "duckdb"])
def test_validated_copy_equals_lifetimes(cdnow, tmp_path, monkeypatch, in_memory):
    """The run's validated Parquet copy as a path: the same split as lifetimes' (both branches)."""
    import workbench.summary.member as sm
    from workbench import files
    from workbench.data import VALIDATED_METADATA

    monkeypatch.setattr(sm, "IN_MEMORY_ROWS", sm.IN_MEMORY_ROWS if in_memory else 0)
    path = str(files.write_parquet(tmp_path / "tx.parquet", cdnow, metadata=VALIDATED_METADATA))
    ours = calibration_and_holdout(path, "1997-09-30", "1998-06-30", "D", returns="include")
    if not in_memory:  # in member buckets (a log larger than BUCKET_ROWS): the same split
        monkeypatch.setattr(sm, "BUCKET_ROWS", -(-len(cdnow) // 5))
        bucketed = calibration_and_holdout(path, "1997-09-30", "1998-06-30", "D", returns="include")
        pd.testing.assert_frame_equal(bucketed, ours)
    ref = calibration_and_holdout_data(
        cdnow, "member_id", "ordered_at", "1997-09-30", "1998-06-30", freq="D", monetary_value_col="amount"
    ).sort_index()
    assert list(ours.columns) == list(ref.columns) and list(ours.index) == list(ref.index)
    np.testing.assert_allclose(ours.to_numpy(), ref.to_numpy(), rtol=0, atol=1e-9)
