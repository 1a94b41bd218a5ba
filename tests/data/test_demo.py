"""The demo brand: deterministic, in the contract, and consistent with the truth it records."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.data import DEMO_END, DEMO_START, generate_demo, load_cdnow
from workbench.schema import TRANSACTION_COLUMNS


def test_deterministic(demo):
    again = generate_demo(5000, seed=42)
    pd.testing.assert_frame_equal(demo.transactions, again.transactions)
    pd.testing.assert_frame_equal(demo.campaign, again.campaign)
    assert demo.truth == again.truth
    other = generate_demo(5000, seed=7)
    assert not demo.transactions["amount"].equals(other.transactions["amount"])


def test_contract(demo):
    tx = demo.transactions
    assert list(tx.columns) == list(TRANSACTION_COLUMNS)
    assert str(tx["member_id"].dtype) == "str" and tx["member_id"].str.len().eq(7).all()
    assert tx["member_id"].min() == "0000001"
    assert str(tx["ordered_at"].dtype) == "datetime64[us]"
    assert tx["ordered_at"].min() >= DEMO_START and tx["ordered_at"].max() <= DEMO_END
    assert set(tx["channel"].cat.categories) == {"store", "online"}
    assert tx["ordered_at"].is_monotonic_increasing


def test_brand_shape(demo):
    tx = demo.transactions
    purchases = tx[~tx["is_return"]]
    share_returns = tx["is_return"].sum() / len(purchases)
    assert 0.015 < share_returns < 0.025  # about 2% of orders are returned
    assert 0.1 < (purchases["discount"] > 0).mean() < 0.4
    assert 0.25 < (purchases["channel"] == "online").mean() < 0.6
    assert purchases["order_id"].is_unique
    # every return refers to an existing order of the same member, later, for at most its amount
    ret = tx[tx["is_return"]]
    orig = purchases.set_index("order_id").loc[ret["order_id"].str.removesuffix("-R")]
    assert (orig["member_id"].to_numpy() == ret["member_id"].to_numpy()).all()
    assert (orig["ordered_at"].to_numpy() < ret["ordered_at"].to_numpy()).all()
    assert (-ret["amount"].to_numpy() <= orig["amount"].to_numpy()).all()
    # Gamma-Gamma mean order value p * v / (q - 1) = NT$1,500 (rounded to whole NT$)
    assert 1300 < purchases["amount"].mean() < 1700


def test_campaign_assignment(demo):
    c = demo.campaign
    counts = c["arm"].value_counts()
    assert counts.max() - counts.min() <= 10  # stratified: arms equal within each of 10 strata
    per_stratum = c.groupby(["stratum", "arm"], observed=True).size().unstack()
    assert (per_stratum.max(axis=1) - per_stratum.min(axis=1)).max() <= 1
    # strata are pre-period spend deciles, 1 = the highest (as every decile of the reports)
    lowest_by_stratum = c.groupby("stratum")["pre_spend"].min()
    assert list(lowest_by_stratum.index) == list(range(1, 11)) and lowest_by_stratum.is_monotonic_decreasing
    assert c["member_id"].is_unique
    assert (c.loc[c["gift_recipient"], "arm"] == "vip_gift").all()
    assert (c.loc[c["gift_recipient"], "gift_cost"] == 200).all()


def test_campaign_outcomes_match_log(demo):
    """The outcome columns equal an independent recomputation from the transaction log."""
    tx = demo.transactions
    camp = demo.campaign.set_index("member_id")
    truth = demo.truth["campaign"]
    end = pd.Timestamp(truth["end"]) + pd.Timedelta(days=1)
    window = tx[(tx["ordered_at"] >= truth["start"]) & (tx["ordered_at"] < end) & (tx["amount"] >= 0)]
    window = window[window["member_id"].isin(camp.index)]
    revenue = window.groupby("member_id")["amount"].sum().reindex(camp.index, fill_value=0.0)
    orders = window.groupby("member_id")["order_id"].nunique().reindex(camp.index, fill_value=0)
    np.testing.assert_allclose(camp["revenue"], revenue)
    np.testing.assert_array_equal(camp["orders"], orders)
    np.testing.assert_array_equal(camp["converted"], (orders > 0).astype(int))


def test_true_effects_are_sample_effects(demo):
    """The recorded SATE is close to the difference in means observed under randomization."""
    c = demo.campaign
    truth = demo.truth["campaign"]["true_effects"]
    means = c.groupby("arm", observed=True)[["converted", "revenue"]].mean()
    for arm in ("blanket_discount", "vip_gift"):
        diff = means.loc[arm] - means.loc["control"]
        se_rev = np.sqrt(
            c.groupby("arm", observed=True)["revenue"]
            .var()[[arm, "control"]]
            .div(c["arm"].value_counts()[[arm, "control"]])
            .sum()
        )
        assert abs(diff["revenue"] - truth[arm]["revenue"]) < 4 * se_rev
    # the designed story: the targeted gift raises revenue, the blanket discount barely does
    assert truth["vip_gift"]["revenue"] > 50
    assert abs(truth["blanket_discount"]["revenue"]) < truth["vip_gift"]["revenue"]


def test_members_table(demo):
    m = demo.members
    assert len(m) == 5000 and m["member_id"].is_unique
    assert m["birth_month"].between(1, 12).all()
    first = demo.transactions[~demo.transactions["is_return"]].groupby("member_id")["ordered_at"].min()
    assert (m.set_index("member_id")["first_purchase_at"] == first).all()


def test_write_roundtrip(tmp_path, demo):
    demo.write(tmp_path)
    back = pd.read_parquet(tmp_path / "transactions.parquet")
    assert back["member_id"].iloc[0] == demo.transactions["member_id"].iloc[0]
    assert (tmp_path / "truth.json").exists()


def test_rejects_tiny_brand():
    with pytest.raises(ValueError, match="members must be at least 100, got 5"):
        generate_demo(5)


def test_cdnow():
    tx = load_cdnow()
    assert len(tx) == 69_659
    assert tx["member_id"].nunique() == 23_570
    assert tx["member_id"].iloc[0] == "00001"
    assert tx["ordered_at"].min() == pd.Timestamp("1997-01-01")
    assert tx["ordered_at"].max() == pd.Timestamp("1998-06-30")


def test_contacts_are_obviously_fake(demo):
    m = demo.members
    phone, email, line = m["phone"].dropna(), m["email"].dropna(), m["line_id"].dropna()
    assert (
        0.88 < len(phone) / len(m) < 0.96
        and 0.70 < len(email) / len(m) < 0.80
        and 0.50 < len(line) / len(m) < 0.60
    )
    digits = phone.str.replace(r"\D", "", regex=True).str.replace(r"^886", "0", regex=True)
    assert digits.str.fullmatch(r"0900\d{6}").all() and digits.is_unique  # one block, searchable
    assert set(phone.str[:4]) == {"0900", "+886"}  # three ways of writing it
    assert email.str.strip().str.lower().str.fullmatch(r"member\d{7}@example\.com").all()  # RFC 2606
    assert (email != email.str.strip()).any()  # some as typed: spaces and capitals
    assert line.str.fullmatch(r"U[0-9a-f]{32}").all() and line.is_unique
    # the contacts come from their own random stream: the log is the same as without them
    assert demo.transactions["amount"].sum() == generate_demo(5000, seed=42).transactions["amount"].sum()


def test_assignment_list_is_what_a_brand_has(demo, tmp_path):
    a = demo.assignments
    assert list(a.columns) == ["member_id", "arm", "stratum", "assigned_at", "gift_recipient"]
    assert not {"orders", "revenue", "converted"} & set(a.columns)
    assert (a["gift_recipient"] == demo.campaign["gift_recipient"].astype(int)).all()
    demo.write(tmp_path)
    from workbench.data import read_assignments

    back = read_assignments(tmp_path / "assignments.csv")
    assert back["member_id"].tolist() == a["member_id"].tolist()  # leading zeros kept
    assert (back["assigned_at"] == pd.Timestamp(demo.truth["campaign"]["start"])).all()
    assert back["gift_recipient"].sum() == a["gift_recipient"].sum()
