"""workbench.tiers.concentration: the tier page's lean concentration input against the member overview's
``buyers_spend(member_features)`` and against plain pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench import segments as ws
from workbench import tiers as ts


@pytest.mark.parametrize("source", ["frame", "validated", "no_discount"])
def test_buyers_window_spend_equals_features_and_pandas(demo, tmp_path, source):
    """The tier page's lean query: the same buyers and window spend as ``buyers_spend(member_features)`` and
    as plain pandas (purchase orders valued at their rows' sum, dated by their first row, in the 365 days up
    to the end of the month)."""
    from workbench import files
    from workbench.data import VALIDATED_METADATA

    tx = demo.transactions.drop(columns=["discount"]) if source == "no_discount" else demo.transactions
    log = (
        str(files.write_parquet(tmp_path / "tx.parquet", tx, metadata=VALIDATED_METADATA))
        if source == "validated"
        else tx
    )
    got = ts.buyers_window_spend(log, "2026-10")
    features = ws.buyers_spend(ws.member_features(tx, "2026-10"))
    pd.testing.assert_index_equal(got.index, features.sort_index().index)
    np.testing.assert_allclose(got.to_numpy(), features.sort_index().to_numpy(), rtol=1e-12)
    rows = tx[(tx["ordered_at"] < "2026-11-01") & (tx["amount"] >= 0)]
    orders = rows.groupby(["member_id", "order_id"], observed=True).agg(
        value=("amount", "sum"), first=("ordered_at", "min")
    )
    start = pd.Timestamp("2026-11-01") - pd.Timedelta(days=365)
    expected = orders[orders["first"].dt.normalize() >= start].groupby(level="member_id")["value"].sum()
    assert sorted(got.index) == sorted(expected.index)
    np.testing.assert_allclose(got.to_numpy(), expected.reindex(got.index).to_numpy(), rtol=1e-9)
    assert ws.check_claim(got, 0.05, 0.2) == ws.check_claim(features, 0.05, 0.2)


def test_buyers_window_spend_needs_a_month(demo):
    with pytest.raises(ValueError, match="buyers_window_spend: month is required"):
        ts.buyers_window_spend(demo.transactions, None)
