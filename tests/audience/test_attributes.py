"""workbench.audience.attributes: every attribute against a plain pandas computation, on a hand-made log and on
the demo; the segment, tier and CLV attributes are the overview's, the tier replay's and the model's own."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kit import tier_program

from workbench.audience import ATTRIBUTES, WINDOWS, member_attributes
from workbench.errors import ArgumentError
from workbench.schema import finalize_transactions
from workbench.segments import SegmentSettings, member_features, member_types, nes, rfm_scores

AS_OF = "2026-10-31"


def hand_log() -> pd.DataFrame:
    rows = [
        # A: an order of two lines on the last day (late evening), a return, an online order a year ago
        ("A", "2026-10-31 23:30", 300.0, "a1", "store", "信義", 30.0),
        ("A", "2026-10-31 23:30", 200.0, "a1", "store", "信義", 0.0),
        ("A", "2026-10-02 10:00", -100.0, "a0-R", "store", "信義", 0.0),
        ("A", "2026-09-01 10:00", 400.0, "a0", "online", "網店", 0.0),
        ("A", "2025-11-01 00:00", 1000.0, "a-1", "online", "網店", 100.0),  # first instant of the 365 days
        ("A", "2025-10-31 23:59", 999.0, "a-2", "store", "板橋", 0.0),  # one minute before: not in 365d
        # B: rows without an order id are orders of their own; one after as_of is ignored
        ("B", "2026-08-15 12:00", 50.0, "", "store", "板橋", 0.0),
        ("B", "2026-08-15 12:00", 70.0, None, "store", "板橋", 5.0),
        ("B", "2026-11-01 00:00", 5000.0, "b9", "store", "板橋", 0.0),
        # C: only long ago
        ("C", "2024-01-10 09:00", 800.0, "c1", "store", "信義", 0.0),
    ]
    frame = pd.DataFrame(
        rows, columns=["member_id", "ordered_at", "amount", "order_id", "channel", "store", "discount"]
    )
    return finalize_transactions(frame)


def pandas_reference(tx: pd.DataFrame, as_of: str) -> pd.DataFrame:
    """The windowed attributes the straightforward way: filter, groupby, divide."""
    end = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    tx = tx[tx["ordered_at"] < end].copy()
    tx["order_key"] = tx["order_id"].where(tx["order_id"].fillna("") != "", "row" + tx.index.astype(str))
    buy = tx[tx["amount"] >= 0]
    orders = buy.groupby(["member_id", "order_key"]).agg(
        at=("ordered_at", "min"), amount=("amount", "sum"), disc=("discount", "max")
    )
    orders = orders.reset_index()
    out = pd.DataFrame(index=pd.Index(sorted(tx["member_id"].unique()), name="member_id"))
    for d in WINDOWS:
        start = end - pd.Timedelta(days=d)
        out[f"spend_{d}d"] = tx[tx["ordered_at"] >= start].groupby("member_id")["amount"].sum()
        out[f"orders_{d}d"] = orders[orders["at"] >= start].groupby("member_id").size()
    out["spend_lifetime"] = tx.groupby("member_id")["amount"].sum()
    out["orders_lifetime"] = orders.groupby("member_id").size()
    year = orders[orders["at"] >= end - pd.Timedelta(days=365)]
    out["aov_365d"] = year.groupby("member_id")["amount"].mean()
    out["max_order_365d"] = year.groupby("member_id")["amount"].max()
    out["aov_lifetime"] = orders.groupby("member_id")["amount"].mean()
    promo = year[year["disc"] > 0].groupby("member_id")["amount"].sum()
    out["discount_share_365d"] = (
        promo.reindex(out.index, fill_value=0.0) / year.groupby("member_id")["amount"].sum()
    )
    last = orders.groupby("member_id")["at"].max()
    first = orders.groupby("member_id")["at"].min()
    out["days_since_last_purchase"] = (pd.Timestamp(as_of) - last.dt.normalize()).dt.days
    out["days_since_first_purchase"] = (pd.Timestamp(as_of) - first.dt.normalize()).dt.days
    ybuy = buy[buy["ordered_at"] >= end - pd.Timedelta(days=365)]
    online = ybuy[ybuy["channel"] == "online"].groupby("member_id")["amount"].sum()
    out["online_share_365d"] = (
        online.reindex(out.index, fill_value=0.0) / ybuy.groupby("member_id")["amount"].sum()
    )
    out["store_count_365d"] = ybuy.groupby("member_id")["store"].nunique()
    out["discount_365d"] = ybuy.groupby("member_id")["discount"].sum()
    ret = tx[(tx["amount"] < 0)]
    out["returns_365d"] = (
        -ret[ret["ordered_at"] >= end - pd.Timedelta(days=365)].groupby("member_id")["amount"].sum()
    )
    out["returns_lifetime"] = -ret.groupby("member_id")["amount"].sum()
    out["active_months_365d"] = ybuy.groupby("member_id")["ordered_at"].apply(
        lambda s: s.dt.to_period("M").nunique()
    )
    counts = [c for c in out.columns if c.startswith(("orders_", "store_count", "active_months"))]
    sums = [c for c in out.columns if c.startswith(("spend_", "returns_", "discount_365d"))]
    out[counts] = out[counts].fillna(0)
    out[sums] = out[sums].fillna(0.0)
    return out


def assert_matches(attrs: pd.DataFrame, ref: pd.DataFrame) -> None:
    ref = ref.reindex(attrs.index)
    for col in ref.columns:
        np.testing.assert_allclose(
            attrs[col].astype("float64").to_numpy(),
            ref[col].astype("float64").to_numpy(),
            rtol=1e-12,
            atol=1e-9,
            err_msg=col,
        )


def test_hand_made_log_matches_pandas_and_reads_the_whole_last_day():
    tx = hand_log()
    attrs = member_attributes(tx, as_of=AS_OF)
    assert attrs.index.tolist() == ["A", "B", "C"]
    assert_matches(attrs, pandas_reference(tx, AS_OF))
    a = attrs.loc["A"]
    # the order of two lines late on as_of counts (one order, NT$500); the row one minute before the 365 days does not
    assert a["orders_30d"] == 1 and a["spend_30d"] == 500 - 100
    assert a["spend_365d"] == 500 - 100 + 400 + 1000 and a["spend_lifetime"] == a["spend_365d"] + 999
    assert a["days_since_last_purchase"] == 0 and a["store_count_365d"] == 2
    assert a["discount_share_365d"] == pytest.approx((500 + 1000) / 1900)
    assert a["home_store"] == "網店"  # most purchase revenue over the history (1,400 online vs 999 / 500)
    b = attrs.loc["B"]
    assert (
        b["orders_lifetime"] == 2 and b["spend_lifetime"] == 120
    )  # two id-less rows; the row after as_of ignored
    assert b["days_since_last_purchase"] == (pd.Timestamp(AS_OF) - pd.Timestamp("2026-08-15")).days
    c = attrs.loc["C"]
    assert c["spend_365d"] == 0 and np.isnan(c["aov_365d"]) and np.isnan(c["online_share_365d"])
    assert c["joined_at"] == pd.Timestamp("2024-01-10 09:00")  # no members table: the first purchase


def test_members_table_adds_non_buyers_tenure_and_birthdays():
    tx = hand_log()
    members = pd.DataFrame(
        {
            "member_id": ["A", "B", "D", "E"],
            "joined_at": pd.to_datetime(["2020-05-01", None, "2026-10-31", "2026-11-01"]),
            "birth_month": [10, 3, 10, 1],
            "home_store": ["板橋", None, None, None],
        }
    )
    attrs = member_attributes(tx, members, as_of=AS_OF)
    assert attrs.index.tolist() == ["A", "B", "C", "D"]  # E joined after as_of; C bought but is not listed
    assert attrs.loc["A", "tenure_days"] == (pd.Timestamp(AS_OF) - pd.Timestamp("2020-05-01")).days
    assert attrs.loc["B", "joined_at"] == pd.Timestamp(
        "2026-08-15 12:00"
    )  # missing joined_at: first purchase
    assert attrs.loc["D", "tenure_days"] == 0 and attrs.loc["D", "orders_lifetime"] == 0
    assert attrs.loc["D", "spend_365d"] == 0 and pd.isna(attrs.loc["D", "days_since_last_purchase"])
    assert pd.isna(attrs.loc["D", "rfm_r"]) and pd.isna(attrs.loc["D", "member_type"])
    assert attrs["is_birthday_month"].tolist() == [True, False, False, True]
    assert attrs.loc["A", "home_store"] == "板橋"  # the members table wins over the log
    assert attrs.loc["B", "home_store"] == "板橋"


@pytest.fixture(scope="module")
def demo_attrs(demo):
    return member_attributes(demo.transactions, demo.members, as_of=AS_OF)


def test_demo_matches_pandas(demo, demo_attrs):
    assert_matches(
        demo_attrs.loc[demo_attrs["orders_lifetime"] > 0], pandas_reference(demo.transactions, AS_OF)
    )
    assert len(demo_attrs) == len(demo.members)  # every demo member joined with a purchase by the end
    assert len([c for c in demo_attrs.columns if c in ATTRIBUTES]) >= 30
    assert set(demo_attrs.columns) <= set(ATTRIBUTES)


def test_segments_are_exactly_the_overviews(demo, demo_attrs):
    """As of a month's last day: the member overview's RFM scores, NES and member types of that month."""
    settings = SegmentSettings()
    features = member_features(demo.transactions, "2026-10", settings)
    buyers = demo_attrs.loc[features.index]
    pd.testing.assert_series_equal(
        buyers["member_type"], member_types(features, settings), check_names=False, check_index_type=False
    )
    pd.testing.assert_series_equal(
        buyers["nes"], nes(features, settings), check_names=False, check_index_type=False
    )
    scores = rfm_scores(features, settings)
    assert (buyers["rfm_cell"] == scores["rfm"]).all()
    np.testing.assert_array_equal(buyers["rfm_m"].to_numpy(dtype=int), scores["m"].to_numpy())
    # other cut-offs reach the member types too
    strict = SegmentSettings(high_spend_share=0.05)
    again = member_attributes(demo.transactions, as_of=AS_OF, segments=strict)
    assert (again["member_type"] == "high_spend").sum() < (demo_attrs["member_type"] == "high_spend").sum()


def test_mid_month_as_of_counts_its_own_days(demo):
    attrs = member_attributes(demo.transactions, as_of="2026-10-15")
    assert_matches(attrs, pandas_reference(demo.transactions, "2026-10-15"))
    assert attrs["last_purchase_at"].max() < pd.Timestamp("2026-10-16")


def test_tiers_are_the_replays_and_to_next_tier_the_gap(demo):
    from workbench.tiers import assign_tiers

    program = tier_program()
    attrs = member_attributes(demo.transactions, as_of=AS_OF, program=program)
    tiers = assign_tiers(demo.transactions, program, AS_OF)
    assert (attrs.loc[tiers.index, "tier"].astype(str) == tiers).all()
    # calendar-year programme without carry-over: the gap is the next threshold minus this year's net spend
    tx = demo.transactions
    ytd = (
        tx[(tx["ordered_at"] >= "2026-01-01") & (tx["ordered_at"] < "2026-11-01")]
        .groupby("member_id")["amount"]
        .sum()
    )
    ytd = ytd.reindex(attrs.index, fill_value=0.0)
    ups = {"Member": 10000.0, "Silver": 30000.0}
    for name, threshold in ups.items():
        sel = attrs["tier"] == name
        expected = np.maximum(threshold - ytd[sel], 0.0)
        np.testing.assert_allclose(attrs.loc[sel, "to_next_tier"], expected, atol=1e-9)
    assert attrs.loc[attrs["tier"] == "Gold", "to_next_tier"].isna().all()
    assert (attrs["tier"] == "Gold").sum() > 0


def test_clv_attributes_are_the_models_predictions(demo, demo_model):
    from workbench.summary import member_summary

    attrs = member_attributes(demo.transactions, demo.members, as_of="2026-08-31", clv=demo_model)
    pred = demo_model.predict(member_summary(demo.transactions, "2026-08-31 23:59:59"), 12)
    np.testing.assert_allclose(attrs.loc[pred.index, "clv_12m"], pred["clv"], rtol=1e-12)
    np.testing.assert_allclose(attrs.loc[pred.index, "p_alive"], pred["prob_alive"], rtol=1e-12)
    np.testing.assert_allclose(
        attrs.loc[pred.index, "expected_purchases_12m"], pred["expected_purchases"], rtol=1e-12
    )
    assert attrs["clv_12m"].isna().sum() == len(attrs) - len(pred)  # members without a purchase by then


def test_bad_arguments_are_named():
    tx = hand_log()
    with pytest.raises(ArgumentError, match="as_of must be a date without a time of day"):
        member_attributes(tx, as_of="2026-10-31 12:00")
    with pytest.raises(ArgumentError, match="as_of must be a date such as"):
        member_attributes(tx, as_of="yesterday")
    with pytest.raises(ValueError, match="required column"):
        member_attributes(tx.drop(columns="amount"), as_of=AS_OF)
