"""write_demo: the demo's files, a large brand written in batches of members (workbench demo)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from workbench import clv as wc
from workbench.data import generate_demo, write_demo
from workbench.errors import ArgumentError
from workbench.schema import TRANSACTION_COLUMNS
from workbench.summary import member_summary


@pytest.fixture(scope="module")
def batched(tmp_path_factory):
    """30,000 members in three batches of 10,000."""
    out = tmp_path_factory.mktemp("batched")
    done = write_demo(30_000, 42, out, batch=10_000)
    return done, pd.read_parquet(out / "transactions.parquet"), pd.read_parquet(out / "campaign.parquet")


def test_up_to_one_batch_is_generate_demo_written(tmp_path):
    done = write_demo(2000, 42, tmp_path, batch=5000)
    demo = generate_demo(2000, 42)
    assert (done.members, done.transactions, done.batches) == (2000, len(demo.transactions), 1)
    back = pd.read_parquet(tmp_path / "transactions.parquet")
    pd.testing.assert_frame_equal(back, demo.transactions)
    assert json.loads((tmp_path / "truth.json").read_text("utf-8")) == demo.truth


def test_batches_are_one_brand(batched, tmp_path):
    done, tx, campaign = batched
    assert done.batches == 3 and done.members == 30_000 and done.transactions == len(tx)
    assert list(tx.columns) == list(TRANSACTION_COLUMNS)
    members = pd.read_parquet(done.out / "members.parquet")
    assert len(members) == 30_000 and members["member_id"].is_unique
    assert members["member_id"].iloc[[0, -1]].tolist() == ["0000001", "0030000"]
    assert set(tx["member_id"]) <= set(members["member_id"])
    purchases = tx.loc[tx["amount"] >= 0, "order_id"]
    assert purchases.is_unique  # one prefix per batch keeps the orders apart
    assert members["email"].dropna().is_unique and members["line_id"].dropna().is_unique
    listing = pd.read_csv(done.out / "assignments.csv", dtype={"member_id": str})
    assert listing["member_id"].tolist() == campaign["member_id"].tolist()
    assert len(listing) == done.campaign_members


def test_batches_recover_the_truth(batched):
    """The generating BG/NBD and Gamma-Gamma parameters lie in the Bonferroni CIs (as for one batch in
    tests/clv/test_fit.py), from the data layer's hourly summary before the campaign."""
    done, tx, _ = batched
    truth = json.loads((done.out / "truth.json").read_text("utf-8"))
    s = member_summary(tx, "2026-08-31 23:59:59", freq="h", freq_multiplier=24)
    table = wc.fit_clv(s, ci_level=1 - 0.05 / 7).params.set_index("param")
    expected = {**truth["bgnbd"], **truth["gamma_gamma"]}
    for name in ["r", "alpha", "a", "b", "p", "q", "v"]:
        row = table.loc[name]
        assert row["ci_low"] <= expected[name] <= row["ci_high"], (name, expected[name], row.to_dict())


def test_batches_campaign_truth_is_the_population_weighted_effect(batched):
    """The recorded effect of each arm is close to the difference in realised means of the three randomised
    arms (within 4 standard errors), and the population is the assigned members."""
    done, _, campaign = batched
    truth = json.loads((done.out / "truth.json").read_text("utf-8"))["campaign"]
    assert truth["population"] == len(campaign)
    assert json.loads((done.out / "truth.json").read_text("utf-8"))["batches"] == {
        "count": 3,
        "members": 10_000,
    }
    control = campaign.loc[campaign["arm"] == "control"]
    for arm in ("blanket_discount", "vip_gift"):
        treated = campaign.loc[campaign["arm"] == arm]
        for outcome in ("orders", "revenue"):
            diff = treated[outcome].mean() - control[outcome].mean()
            se = np.sqrt(treated[outcome].var() / len(treated) + control[outcome].var() / len(control))
            assert abs(diff - truth["true_effects"][arm][outcome]) < 4 * se, (arm, outcome)


def test_batch_must_be_a_number_of_members(tmp_path):
    with pytest.raises(ArgumentError, match="batch must be a whole number of members >= 100; got 10"):
        write_demo(1000, 42, tmp_path, batch=10)
