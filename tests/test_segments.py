"""Segments (workbench.segments): settings, member features, RFM, NES, member types, concentration,
checked against hand-made cases and independent pandas computations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from workbench import segments as ws
from workbench.schema import finalize_transactions

RTOL = 1e-9


# --- settings -------------------------------------------------------------------------------------------


def test_settings_defaults_and_from_dict():
    s = ws.SegmentSettings.from_dict(
        {"sleeping_days": 300, "precedence": list(reversed(ws.DEFAULT_PRECEDENCE))}
    )
    assert s.sleeping_days == 300 and s.rfm_bins == 5
    assert s.precedence == tuple(reversed(ws.DEFAULT_PRECEDENCE))  # lists from YAML become tuples
    with pytest.raises(AttributeError):
        s.rfm_bins = 3  # frozen


@pytest.mark.parametrize(
    ("mapping", "match"),
    [
        (
            {"sleeping_dayz": 300},
            r"SegmentSettings: unknown key 'sleeping_dayz' \(did you mean 'sleeping_days'\?\)",
        ),
        ({"rfm_bins": 1}, r"SegmentSettings\.rfm_bins must be between 2 and 10; got 1"),
        ({"rfm_bins": 2.5}, r"SegmentSettings\.rfm_bins must be an integer; got 2\.5"),
        (
            {"high_spend_share": 1.5},
            r"SegmentSettings\.high_spend_share must be greater than 0 and at most 1; got 1\.5",
        ),
        ({"high_spend_share": True}, r"SegmentSettings\.high_spend_share must be a number; got True"),
        (
            {"churning_days": 400},
            r"SegmentSettings\.churning_days must be less than sleeping_days \(365\); got 400",
        ),
        (
            {"loyalty_max_gap_days": 0},
            r"SegmentSettings\.loyalty_max_gap_days must be greater than 0; got 0\.0",
        ),
        (
            {"precedence": ["sleeping", "vip"]},
            r"SegmentSettings\.precedence\[1\] must be one of 'high_spend', 'high_order_value', 'high_loyalty', 'promo_high_frequency', 'promo_low_frequency', 'churning', 'sleeping'; got 'vip'",
        ),
        (
            {"precedence": ["sleeping"]},
            r"SegmentSettings.precedence must list each of .* exactly once; missing \['high_spend'",
        ),
        ({"precedence": "sleeping"}, r"SegmentSettings\.precedence must be a list; got 'sleeping'"),
    ],
)
def test_settings_errors_name_field_and_value(mapping, match):
    with pytest.raises(ValueError, match=match):
        ws.SegmentSettings.from_dict(mapping)


# --- features -------------------------------------------------------------------------------------------


def _tx(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["member_id", "ordered_at", "amount", "order_id", "discount"])
    return finalize_transactions(frame)


@pytest.fixture
def small():
    """As of the end of 2026-06 (as_of = 2026-07-01 00:00)."""
    return _tx(
        [
            # A: three orders in the window (one of two lines, one promo), gaps 30 and 30 days
            ("A", "2026-04-01 12:00", 100.0, "a1", 0.0),
            ("A", "2026-04-01 12:00", 100.0, "a1", 20.0),
            ("A", "2026-05-01 12:00", 300.0, "a2", 0.0),
            ("A", "2026-05-31 12:00", 400.0, "a3", 0.0),
            ("A", "2026-06-05 12:00", -100.0, "a3-R", 0.0),
            # B: one old order (sleeping: more than 365 days before as_of)
            ("B", "2025-06-30 23:59", 50.0, "b1", 0.0),
            # C: bought 200 days before as_of (churning), promo orders only, two orders
            ("C", "2025-09-01 10:00", 60.0, "c1", 5.0),
            ("C", "2025-12-13 00:00", 40.0, "c2", 5.0),
            # D: first purchase in June (new), one big order
            ("D", "2026-06-15 10:00", 2000.0, "d1", 0.0),
            # E: bought in 2024 and in the window
            ("E", "2024-03-01 10:00", 10.0, "e1", 0.0),
            ("E", "2026-06-01 10:00", 90.0, "e2", 0.0),
            # after the month: ignored
            ("B", "2026-07-01 00:00", 5000.0, "b2", 0.0),
        ]
    )


def test_features_by_hand(small):
    f = ws.member_features(small, "2026-06")
    assert list(f.index) == ["A", "B", "C", "D", "E"]
    a = f.loc["A"]
    assert a["orders"] == 3 and a["spend"] == 900.0 and a["returns"] == 100.0
    assert a["window_orders"] == 3 and a["window_aov"] == pytest.approx(300.0)
    assert a["window_promo_share"] == pytest.approx(1 / 3)
    assert a["window_mean_gap_days"] == pytest.approx(30.0)
    assert a["recency_days"] == pytest.approx(30.5)  # 2026-05-31 12:00 -> 2026-07-01 00:00
    assert f.loc["B", "window_orders"] == 0 and np.isnan(f.loc["B", "window_aov"])
    assert f.loc["B", "spend"] == 50.0  # the July order is after the month
    assert f.loc["C", "window_promo_share"] == 1.0
    assert np.isnan(f.loc["D", "window_mean_gap_days"])  # a single order has no gap
    assert f.loc["E", "orders"] == 2 and f.loc["E", "window_orders"] == 1


def test_nes_and_types_by_hand(small):
    f = ws.member_features(small, "2026-06")
    assert ws.nes(f).astype(str).to_dict() == {
        "A": "existing",
        "B": "sleeping",
        "C": "existing",
        "D": "new",
        "E": "existing",
    }
    s = ws.SegmentSettings(
        high_spend_share=0.25, high_order_value_share=0.25, loyalty_share=0.5, promo_frequency_min=2
    )
    flags = ws.member_type_flags(f, s)
    # window buyers: A (900), C (100 in window? no: C's orders are Sep and Dec 2025, inside 365 days), D, E
    assert f.loc["C", "window_orders"] == 2
    assert flags["high_spend"].to_dict() == {"A": False, "B": False, "C": False, "D": True, "E": False}
    assert flags.loc["D", "high_order_value"] and not flags.loc["A", "high_order_value"]
    # loyalty: top half by window orders = A (3), C (2); gaps: A 30 days, C 103 days -> only A
    assert flags["high_loyalty"].to_dict() == {"A": True, "B": False, "C": False, "D": False, "E": False}
    assert flags["promo_high_frequency"].to_dict() == {
        "A": False,
        "B": False,
        "C": True,
        "D": False,
        "E": False,
    }
    assert not flags["promo_low_frequency"].any()
    assert flags["churning"].to_dict() == {"A": False, "B": False, "C": True, "D": False, "E": False}
    assert flags["sleeping"].to_dict() == {"A": False, "B": True, "C": False, "D": False, "E": False}
    types = ws.member_types(f, s).astype(str).to_dict()
    # C is churning and promo-heavy: the default precedence puts churning first
    assert types == {"A": "high_loyalty", "B": "sleeping", "C": "churning", "D": "high_spend", "E": "other"}
    promo_first = ws.SegmentSettings(
        high_spend_share=0.25,
        high_order_value_share=0.25,
        promo_frequency_min=2,
        precedence=(
            "promo_high_frequency",
            *[p for p in ws.DEFAULT_PRECEDENCE if p != "promo_high_frequency"],
        ),
    )
    assert ws.member_types(f, promo_first)["C"] == "promo_high_frequency"


def _reference_features(tx: pd.DataFrame, month: str, window_days: int = 365) -> pd.DataFrame:
    as_of = pd.Period(month, freq="M").end_time.normalize() + pd.Timedelta(days=1)
    tx = tx[tx["ordered_at"] < as_of]
    buy = tx[tx["amount"] >= 0]
    orders = buy.groupby(["member_id", "order_id"]).agg(
        at=("ordered_at", "min"), amount=("amount", "sum"), promo=("discount", lambda d: bool((d > 0).any()))
    )
    orders = orders.reset_index()
    win = orders[orders["at"] >= as_of - pd.Timedelta(days=window_days)]
    g, w = orders.groupby("member_id"), win.groupby("member_id")
    out = pd.DataFrame(
        {
            "first_purchase": g["at"].min(),
            "last_purchase": g["at"].max(),
            "orders": g.size(),
            "spend": g["amount"].sum(),
        }
    )
    out["recency_days"] = (as_of - out["last_purchase"]).dt.total_seconds() / 86400
    out["returns"] = (
        (-tx[tx["amount"] < 0].groupby("member_id")["amount"].sum()).reindex(out.index).fillna(0.0)
    )
    out["window_orders"] = w.size().reindex(out.index).fillna(0).astype(int)
    out["window_spend"] = w["amount"].sum().reindex(out.index).fillna(0.0)
    out["window_aov"] = out["window_spend"] / out["window_orders"].replace(0, np.nan)
    out["window_promo_share"] = w["promo"].mean().reindex(out.index)
    span = (w["at"].max() - w["at"].min()).dt.total_seconds() / 86400
    out["window_mean_gap_days"] = (span / (w.size() - 1).replace(0, np.nan)).reindex(out.index)
    return out.sort_index()


def _reference_top(values: pd.Series, share: float) -> pd.Series:
    valid = values.dropna().sort_values(ascending=False)
    k = math.ceil(share * len(valid) - 1e-9)
    return (values >= valid.iloc[k - 1]).fillna(False)


def test_demo_features_and_segments_match_pandas(demo):
    month = "2026-10"
    s = ws.SegmentSettings()
    got = ws.member_features(demo.transactions, month, s)
    ref = _reference_features(demo.transactions, month)
    assert got.index.equals(ref.index)
    for col in ref.columns:
        if col in ("first_purchase", "last_purchase"):
            assert (got[col] == ref[col]).all(), col
        else:
            np.testing.assert_allclose(
                got[col].to_numpy(dtype=float), ref[col].to_numpy(dtype=float), rtol=RTOL, err_msg=col
            )
    # RFM: average-rank percentiles in bins; ties share a score
    rfm = ws.rfm_scores(got, s)
    n = len(ref)
    for col, values in (("r", -ref["recency_days"]), ("f", ref["orders"]), ("m", ref["spend"])):
        expected = np.ceil(5 * values.rank(method="average") / n).clip(1, 5).astype(int)
        np.testing.assert_array_equal(rfm[col].to_numpy(), expected.to_numpy(), err_msg=col)
        tied = values.duplicated(keep=False)
        assert rfm.loc[tied.to_numpy(), col].groupby(values[tied].to_numpy()).nunique().le(1).all()
    # recency and spend are nearly continuous: quintiles of 20% each (within ties)
    assert np.allclose(rfm["r"].value_counts(normalize=True).sort_index(), 0.2, atol=0.01)
    assert rfm["rfm"].str.len().eq(3).all() and (rfm["rfm_total"] == rfm[["r", "f", "m"]].sum(axis=1)).all()
    # NES
    start = pd.Timestamp("2026-10-01")
    expected_nes = np.where(
        ref["recency_days"] > 365, "sleeping", np.where(ref["first_purchase"] >= start, "new", "existing")
    )
    np.testing.assert_array_equal(ws.nes(got, s).astype(str).to_numpy(), expected_nes)
    # member type flags, independently
    flags = ws.member_type_flags(got, s)
    active = ref["window_orders"] > 0
    assert flags["high_spend"].equals(_reference_top(ref["window_spend"].where(active), 0.2).astype(bool))
    assert flags["high_order_value"].equals(_reference_top(ref["window_aov"], 0.2).astype(bool))
    loyal = _reference_top(ref["window_orders"].where(active), 0.5) & (ref["window_mean_gap_days"] <= 60)
    assert flags["high_loyalty"].equals(loyal.astype(bool))
    promo = ref["window_promo_share"] >= 0.5
    assert flags["promo_high_frequency"].equals((promo & (ref["window_orders"] >= 3)).astype(bool))
    assert flags["promo_low_frequency"].equals((promo & (ref["window_orders"] < 3)).astype(bool))
    assert flags["churning"].equals((ref["recency_days"] > 180) & (ref["recency_days"] <= 365))
    assert flags["sleeping"].equals(ref["recency_days"] > 365)
    # the top-20% groups hold about 20% of the window's buyers (more only through ties)
    assert flags["high_spend"].sum() == pytest.approx(0.2 * active.sum(), abs=5)
    # precedence: each member's type is its first flag in the list
    types = ws.member_types(got, s)
    for member in got.index[:500]:
        mine = [p for p in s.precedence if flags.at[member, p]]
        assert types[member] == (mine[0] if mine else "other")
    # segment sizes and revenue
    summary = ws.segment_summary(types, got["window_spend"])
    by_hand = got["window_spend"].groupby(types.astype(str)).agg(["size", "sum"])
    for seg, row in summary.iterrows():
        assert row["members"] == by_hand["size"].get(seg, 0)
        assert row["revenue"] == pytest.approx(by_hand["sum"].get(seg, 0.0), rel=RTOL)
    assert summary["members"].sum() == n and summary["member_share"].sum() == pytest.approx(1.0)
    assert summary.loc["sleeping", "revenue"] == 0.0  # sleeping members bought nothing in the window


def test_features_from_parquet_equal_frame(demo, tmp_path):
    path = tmp_path / "tx.parquet"
    demo.transactions.to_parquet(path, index=False)
    pd.testing.assert_frame_equal(
        ws.member_features(str(path), "2026-03"), ws.member_features(demo.transactions, "2026-03")
    )


def test_without_discount_no_promo_types(demo):
    f = ws.member_features(demo.transactions.drop(columns=["discount"]), "2026-10")
    assert f["window_promo_share"].isna().all()
    flags = ws.member_type_flags(f)
    assert not flags["promo_high_frequency"].any() and not flags["promo_low_frequency"].any()


# --- concentration --------------------------------------------------------------------------------------


def test_concentration_by_hand():
    revenue = pd.Series([100.0, 50.0, 25.0, 10.0, 5.0, 5.0, 5.0, 0.0, 0.0, 0.0])  # total 200
    c = ws.concentration(revenue, [0.1, 0.2, 0.25, 1.0])
    assert list(c["members"]) == [1, 2, 3, 10]  # ceil(share * 10)
    assert list(c["revenue_share"]) == pytest.approx([0.5, 0.75, 0.875, 1.0])
    claim = ws.check_claim(revenue, top_share=0.1, revenue_share=0.6)
    assert claim.actual_revenue_share == pytest.approx(0.5) and not claim.holds
    assert claim.members_needed_share == pytest.approx(0.2)  # two members bring 75% >= 60%
    assert ws.check_claim(revenue, 0.2, 0.75).holds
    curve = ws.lorenz_curve(revenue)
    assert curve.iloc[0].tolist() == [0.0, 0.0] and curve.iloc[-1].tolist() == pytest.approx([1.0, 1.0])
    assert curve["revenue_share"].is_monotonic_increasing
    with pytest.raises(ValueError, match="shares must be in \\(0, 1\\], got 1.5"):
        ws.concentration(revenue, [1.5])
    with pytest.raises(ValueError, match="needs at least one member with positive revenue"):
        ws.concentration(pd.Series([0.0, 0.0]))


def test_concentration_demo_matches_pandas(demo):
    f = ws.member_features(demo.transactions, "2026-10")
    buyers = f.loc[f["window_orders"] > 0, "window_spend"]
    c = ws.concentration(buyers, [0.02, 0.05, 0.2])
    ordered = buyers.sort_values(ascending=False)
    for _, row in c.iterrows():
        k = math.ceil(row["top_share"] * len(buyers))
        assert row["revenue_share"] == pytest.approx(ordered.iloc[:k].sum() / ordered.sum(), rel=RTOL)
    # the curve passes through the marked points
    curve = ws.lorenz_curve(buyers)
    k = math.ceil(0.05 * len(buyers))
    assert curve["revenue_share"].iloc[k] == pytest.approx(c.loc[1, "revenue_share"], rel=RTOL)
    claim = ws.check_claim(buyers, 0.05, 0.2)
    needed = (ordered.cumsum() / ordered.sum() >= 0.2 - 1e-12).to_numpy().argmax() + 1
    assert claim.members_needed_share == pytest.approx(needed / len(buyers))
    assert claim.holds == (claim.actual_revenue_share >= 0.2)


def test_write_audience(demo, tmp_path):
    f = ws.member_features(demo.transactions, "2026-10")
    table = ws.segment_table(f, "2026-10")
    path = ws.write_audience(table, tmp_path / "aud")
    back = pd.read_csv(path, dtype={"member_id": str})
    assert len(back) == len(f) and back["member_id"].str.len().eq(7).all()  # leading zeros kept
    assert set(back.columns) >= {"member_id", "r", "f", "m", "nes", "member_type"}
