"""workbench.clv.deciles: deciles against numpy, the audience file only when asked."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench import clv as wc


def test_deciles_against_numpy(rng):
    values = pd.Series(rng.lognormal(7, 1.2, 1003), index=[f"{i:05d}" for i in range(1003)])
    table = wc.clv_deciles(values)
    assert table["decile"].tolist() == list(range(1, 11))
    assert table["members"].sum() == 1003 and table["members"].max() - table["members"].min() <= 1
    assert table["share"].sum() == pytest.approx(1.0)
    assert table["mean"].is_monotonic_decreasing
    top = np.sort(values.to_numpy())[::-1][: table["members"].iloc[0]]
    assert wc.top_decile_share(values) == pytest.approx(top.sum() / values.sum())
    deciles = wc.assign_deciles(values)
    assert deciles.value_counts().sort_index().tolist() == table["members"].tolist()


def test_audience_only_when_asked(demo_model, demo_summary, tmp_path):
    pred = demo_model.predict(demo_summary, 12)
    assert wc.export_audience(pred, "") is None
    path = wc.export_audience(pred, tmp_path / "aud")
    out = pd.read_csv(path, dtype={"member_id": str})
    assert out.columns.tolist() == ["member_id", "clv_decile", "clv", "prob_alive"]
    assert len(out) == wc.clv_deciles(pred["clv"])["members"].iloc[0]
    assert (out["clv_decile"] == 1).all() and out["member_id"].str.len().eq(7).all()
    assert set(out["member_id"]) == set(pred["clv"].nlargest(len(out)).index)
