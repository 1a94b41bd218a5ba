"""workbench.experiments.outcomes: campaign outcomes measured from the log reproduce the demo's table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.experiments import campaign_outcomes


def test_campaign_outcomes_reproduce_demo_table(demo):
    c = demo.campaign
    truth = demo.truth["campaign"]
    out = campaign_outcomes(demo.transactions, c[["member_id", "arm"]], truth["start"], truth["end"])
    assert out["member_id"].tolist() == c["member_id"].tolist()
    for col in ("orders", "converted", "revenue"):
        np.testing.assert_array_equal(out[col].to_numpy(), c[col].to_numpy(), err_msg=col)
    assert out["revenue"].sum() > 0
    # the window is inclusive of its end date: a purchase late on the last day counts
    tx = demo.transactions
    late = pd.DataFrame(
        {
            "member_id": [c["member_id"].iloc[0]],
            "ordered_at": [pd.Timestamp(truth["end"]) + pd.Timedelta(hours=23)],
            "amount": [100.0],
        }
    )
    more = campaign_outcomes(
        pd.concat([tx[["member_id", "ordered_at", "amount"]], late]),
        c[["member_id"]],
        truth["start"],
        truth["end"],
    )
    assert more["revenue"].iloc[0] == c["revenue"].iloc[0] + 100.0
    with pytest.raises(ValueError, match="campaign_outcomes: transactions is missing column"):
        campaign_outcomes(tx.drop(columns="amount"), c, truth["start"], truth["end"])


def test_campaign_outcomes_rows_without_order_id(demo):
    """A purchase row without an order id is an order of its own: the member converted."""
    c = demo.campaign
    truth = demo.truth["campaign"]
    tx = demo.transactions.copy()
    in_window = (tx["ordered_at"] >= truth["start"]) & (
        tx["ordered_at"] < pd.Timestamp(truth["end"]) + pd.Timedelta(days=1)
    )
    buyer = tx.loc[in_window & (tx["amount"] > 0), "member_id"].iloc[0]
    mine = in_window & (tx["member_id"] == buyer) & (tx["amount"] >= 0)
    tx["order_id"] = tx["order_id"].where(~mine, None)
    out = campaign_outcomes(tx, c[["member_id", "arm"]], truth["start"], truth["end"]).set_index("member_id")
    assert out.at[buyer, "orders"] == int(mine.sum())
    assert out.at[buyer, "converted"] == 1
