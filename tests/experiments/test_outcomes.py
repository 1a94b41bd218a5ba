"""workbench.experiments.outcomes: outcomes measured from the log reproduce the demo's table; the real CDNOW
log with a randomized, injected effect; the campaign report's input measured from an assignment list."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.data import DataParams
from workbench.errors import ArgumentError
from workbench.experiments import (
    CampaignSettings,
    analyze,
    analyze_campaign,
    assign_arms,
    campaign_frame,
    campaign_frames,
    campaign_outcomes,
    load_campaign,
)


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
    with pytest.raises(
        ValueError, match="campaign_outcomes: required column.* missing from transactions: amount"
    ):
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


def test_campaign_frame_on_the_demo_equals_its_recorded_outcomes(demo):
    truth = demo.truth["campaign"]
    frame = campaign_frame(demo.transactions, demo.assignments, start=truth["start"], end=truth["end"])
    assert list(frame.columns[:5]) == list(demo.assignments.columns)
    for col in ("orders", "converted", "revenue"):
        np.testing.assert_array_equal(frame[col].to_numpy(), demo.campaign[col].to_numpy(), err_msg=col)
    # the blanket arm's discount includes the campaign's (the recorded discount_cost) on top of regular promotions
    blanket = (frame["arm"] == "blanket_discount").to_numpy()
    assert (
        frame.loc[blanket, "discount"].to_numpy()
        >= demo.campaign.loc[blanket, "discount_cost"].to_numpy() - 1e-9
    ).all()
    assert frame.attrs["start"] == "2026-09-01" and frame.attrs["end"] == "2026-10-31"


def _plain_pandas(tx: pd.DataFrame, ids: pd.Series, start: str, end: str, pre_days: int) -> pd.DataFrame:
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    win = tx[(tx["ordered_at"] >= lo) & (tx["ordered_at"] < hi) & (tx["amount"] >= 0)]
    pre = tx[(tx["ordered_at"] >= lo - pd.Timedelta(days=pre_days)) & (tx["ordered_at"] < lo)]
    out = pd.DataFrame(index=pd.Index(ids, name="member_id"))
    out["revenue"] = win.groupby("member_id")["amount"].sum()
    out["orders"] = win.groupby("member_id").size()  # CDNOW: one row per order
    out["pre_spend"] = pre.groupby("member_id")["amount"].sum()
    out["pre_orders"] = pre[pre["amount"] >= 0].groupby("member_id").size()
    return out.fillna(0)


def test_cdnow_random_assignment_with_an_injected_effect(cdnow):
    """The real CDNOW customers, randomized 50/50; treated customers spend 15% more on every purchase in the
    window. Measured from the log: window revenue and pre-period spend equal a plain pandas computation, and
    the known effect lies inside the interval (raw and covariate-adjusted)."""
    start, end, pre_days, lift = "1997-07-01", "1997-12-31", 180, 0.15
    members = pd.DataFrame({"member_id": sorted(cdnow["member_id"].unique())})
    assigned = assign_arms(members, ["control", "treated"], seed=11)
    assigned["arm"] = assigned["arm"].astype("str")
    treated = set(assigned.loc[assigned["arm"] == "treated", "member_id"])
    tx = cdnow.copy()
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    in_window = (tx["ordered_at"] >= lo) & (tx["ordered_at"] < hi) & (tx["amount"] >= 0)
    bump = in_window & tx["member_id"].isin(treated)
    baseline = _plain_pandas(cdnow, members["member_id"], start, end, pre_days)
    tx.loc[bump, "amount"] = tx.loc[bump, "amount"] * (1 + lift)
    # the true effect: every customer's window revenue is 15% higher if treated (SATE over all customers)
    true_effect = lift * baseline["revenue"].mean()

    frame = campaign_frame(tx, assigned, start=start, end=end, pre_days=pre_days)
    expected = _plain_pandas(tx, members["member_id"], start, end, pre_days).reindex(frame["member_id"])
    for col in ("revenue", "pre_spend"):
        np.testing.assert_allclose(frame[col].to_numpy(), expected[col].to_numpy(), rtol=1e-12, atol=1e-9)
    for col in ("orders", "pre_orders"):
        np.testing.assert_array_equal(frame[col].to_numpy(), expected[col].to_numpy().astype(int))
    assert frame["pre_spend"].gt(0).mean() > 0.3 and frame["converted"].mean() > 0.1
    for covariate in (None, "pre_spend"):
        row = analyze(frame, "arm", "control", {"revenue": "continuous"}, covariate=covariate).iloc[0]
        assert row["abs_ci_low"] < true_effect < row["abs_ci_high"], (covariate, row.to_dict(), true_effect)
        assert row["abs_ci_low"] > 0  # and the effect is detected
    # without the injection the same measurement finds nothing like it
    plain = campaign_frame(cdnow, assigned, start=start, end=end, pre_days=pre_days)
    row = analyze(plain, "arm", "control", {"revenue": "continuous"}).iloc[0]
    assert row["abs_ci_low"] < 0 < row["abs_ci_high"]


def test_campaign_frame_rejects_bad_input(demo):
    a = demo.assignments
    with pytest.raises(
        ArgumentError, match=r"campaign_frame: member_id repeats in the assignment list \(rows \[3\]"
    ):
        campaign_frame(
            demo.transactions, pd.concat([a.iloc[:2], a.iloc[:1]]), start="2026-09-01", end="2026-09-30"
        )
    with pytest.raises(ArgumentError, match="campaign_frame: end '2026-08-01' is before start '2026-09-01'"):
        campaign_frame(demo.transactions, a, start="2026-09-01", end="2026-08-01")
    with pytest.raises(ArgumentError, match="pre_days must be a whole number of days >= 1; got 0"):
        campaign_frame(demo.transactions, a, start="2026-09-01", end="2026-09-30", pre_days=0)
    with pytest.raises(
        ValueError, match="campaign_frame: required column.* missing from the assignment list: member_id"
    ):
        campaign_frame(demo.transactions, a.drop(columns="member_id"), start="2026-09-01", end="2026-09-30")


COSTS = {
    "control": {"discount_column": True},
    "blanket_discount": {"discount_column": True},
    "vip_gift": {"per_member": 200, "recipients": "gift_recipient", "discount_column": True},
}


@pytest.fixture(scope="module")
def big_demo_files(big_demo, tmp_path_factory):
    folder = tmp_path_factory.mktemp("big-demo")
    big_demo.write(folder)
    return folder


def test_report_input_measured_from_the_log_recovers_the_true_effects(big_demo, big_demo_files):
    """The campaign report's path for a brand: an assignment list (CSV) + the log -> the recorded truth."""
    truth = big_demo.truth["campaign"]
    source = DataParams.from_dict(
        {
            "transactions": str(big_demo_files / "transactions.parquet"),
            "campaign": str(big_demo_files / "assignments.csv"),
        }
    )
    data = load_campaign(source, start=truth["start"], end=truth["end"], costs=COSTS)
    assert data.measured and data.source == "assignments.csv" and data.transactions == "transactions.parquet"
    assert (data.start, data.end) == ("2026-09-01", "2026-10-31")
    frame = data.frame
    assert frame["member_id"].iloc[0] == big_demo.campaign["member_id"].iloc[0]  # ids kept as text (zeros)
    np.testing.assert_allclose(frame["gift_cost"], big_demo.campaign["gift_cost"])
    np.testing.assert_array_equal(frame["revenue"], big_demo.campaign["revenue"])
    result = analyze_campaign(frame, CampaignSettings(resamples=2000, policy_resamples=500, seed=3))
    covered = 0
    for row in result.adjusted.itertuples(index=False):
        true = truth["true_effects"][row.arm][row.metric]
        covered += row.abs_ci_low <= true <= row.abs_ci_high
    assert covered == len(result.adjusted) == 6
    eco = result.economics.economics.set_index(["arm", "quantity"])
    # the blanket arm's measured cost (its discounts minus the control's regular ones) covers the recorded one
    c = big_demo.campaign
    recorded = c.loc[c["arm"] == "blanket_discount", "discount_cost"].mean()
    cost = eco.loc[("blanket_discount", "campaign_cost")]
    assert cost["ci_low"] < recorded < cost["ci_high"]
    assert result.economics.verdict.outcome == "targeted_better"


def test_a_table_with_outcomes_is_used_as_it_is(demo, tmp_path):
    demo.write(tmp_path)
    source = DataParams.from_dict(
        {
            "transactions": str(tmp_path / "transactions.parquet"),
            "campaign": str(tmp_path / "campaign.parquet"),
        }
    )
    data = load_campaign(source, start="2026-09-01", end="2026-09-30", costs=COSTS)
    assert not data.measured and data.costs is None
    pd.testing.assert_frame_equal(
        data.frame[["orders", "revenue", "gift_cost"]],
        demo.campaign[["orders", "revenue", "gift_cost"]],
        check_dtype=False,
    )
    with pytest.raises(ArgumentError, match="load_campaign: data.campaign is empty"):
        load_campaign(DataParams.from_dict({"transactions": "demo"}), start="2026-09-01", end="2026-09-30")


@pytest.mark.parametrize("in_memory", [True, False], ids=["read", "duckdb"])
def test_campaign_frame_of_the_validated_copy_equals_the_recorded_outcomes(
    demo, tmp_path, monkeypatch, in_memory
):
    """The run's validated Parquet copy as a path (read when small, else measured in DuckDB): the demo's
    recorded outcomes, and the frame path's every column, with a purchase row without an order id an order
    of its own."""
    import workbench.summary.member as sm
    from workbench import files
    from workbench.data import VALIDATED_METADATA

    monkeypatch.setattr(sm, "IN_MEMORY_ROWS", sm.IN_MEMORY_ROWS if in_memory else 0)
    truth = demo.truth["campaign"]
    path = str(files.write_parquet(tmp_path / "tx.parquet", demo.transactions, metadata=VALIDATED_METADATA))
    ours = campaign_frame(path, demo.assignments, start=truth["start"], end=truth["end"])
    for col in ("orders", "converted", "revenue"):
        np.testing.assert_array_equal(ours[col].to_numpy(), demo.campaign[col].to_numpy(), err_msg=col)
    pd.testing.assert_frame_equal(
        ours, campaign_frame(demo.transactions, demo.assignments, start=truth["start"], end=truth["end"])
    )
    tx = demo.transactions.copy()
    tx.loc[tx.index[tx["amount"] >= 0][::50], "order_id"] = None
    path = str(files.write_parquet(tmp_path / "no_id.parquet", tx, metadata=VALIDATED_METADATA))
    for pre_days in (30, 365):
        pd.testing.assert_frame_equal(
            campaign_frame(path, demo.assignments, start=truth["start"], end=truth["end"], pre_days=pre_days),
            campaign_frame(tx, demo.assignments, start=truth["start"], end=truth["end"], pre_days=pre_days),
        )


def _reference_frame(tx: pd.DataFrame, ids: pd.Series, start: str, end: str, pre_days: int) -> pd.DataFrame:
    """The module docstring's definitions in plain pandas groupbys (independent of the package's code)."""
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    when, amount = tx["ordered_at"], tx["amount"]
    purchase = (amount >= 0) & ~np.signbit(amount) & ~tx["is_return"].astype(bool)
    win = tx[(when >= lo) & (when < hi) & purchase]
    pre = tx[(when >= lo - pd.Timedelta(days=pre_days)) & (when < lo)]

    def orders(rows: pd.DataFrame) -> pd.Series:
        empty = rows["order_id"].isna() | (rows["order_id"] == "")
        with_id = rows[~empty].groupby("member_id")["order_id"].nunique()
        return with_id.add(rows[empty].groupby("member_id").size(), fill_value=0)

    out = pd.DataFrame(index=pd.Index(ids, name="member_id"))
    out["orders"] = orders(win)
    out["revenue"] = win.groupby("member_id")["amount"].sum()
    out["discount"] = win.groupby("member_id")["discount"].sum()
    out["pre_spend"] = pre.groupby("member_id")["amount"].sum()
    out["pre_orders"] = orders(pre[purchase.loc[pre.index]])
    return out.fillna(0)


@pytest.fixture(scope="module")
def messy_log(demo):
    """The demo's log with purchase rows without an order id (null and empty), returns, and one order id
    shared by two assigned members in the window (each counts it once)."""
    tx = demo.transactions.copy()
    tx["order_id"] = tx["order_id"].astype(object)
    buy = tx.index[tx["amount"] >= 0]
    tx.loc[buy[::40], "order_id"] = None
    tx.loc[buy[7::40], "order_id"] = ""
    tx.loc[buy[3::97], "is_return"] = True
    assigned = set(demo.assignments["member_id"])
    win = tx.index[
        (tx["ordered_at"] >= "2026-09-02") & tx["member_id"].isin(assigned) & tx["order_id"].notna()
    ]
    first = win[0]
    other = next(
        i for i in win if tx.at[i, "member_id"] != tx.at[first, "member_id"] and tx.at[i, "order_id"]
    )
    tx.loc[other, "order_id"] = tx.at[first, "order_id"]
    tx["order_id"] = tx["order_id"].astype("str").where(tx["order_id"].notna(), None)
    return tx


def test_campaign_frames_at_every_look_equal_plain_pandas(demo, messy_log):
    """One reading of the log for three window ends: each table equals the plain pandas groupbys (returns,
    rows without an order id, an order id shared by two members) and ``campaign_frame`` of that end alone."""
    start, ends, pre_days = "2026-09-01", ["2026-09-15", "2026-09-30", "2026-10-31"], 90
    frames = campaign_frames(messy_log, demo.assignments, start=start, ends=ends, pre_days=pre_days)
    assert list(frames) == ends
    ids = demo.assignments["member_id"]
    for end, frame in frames.items():
        expected = _reference_frame(messy_log, ids, start, end, pre_days)
        assert frame["member_id"].tolist() == ids.tolist()
        for col in ("revenue", "discount", "pre_spend"):
            np.testing.assert_allclose(
                frame[col], expected[col], rtol=1e-12, atol=1e-9, err_msg=f"{end} {col}"
            )
        for col in ("orders", "pre_orders"):
            np.testing.assert_array_equal(frame[col], expected[col].astype("int64"), err_msg=f"{end} {col}")
        np.testing.assert_array_equal(frame["converted"], (expected["orders"] > 0).astype("int64"))
        assert frame.attrs == {"start": start, "end": end, "pre_days": pre_days, "has_discount": True}
        alone = campaign_frame(messy_log, demo.assignments, start=start, end=end, pre_days=pre_days)
        pd.testing.assert_frame_equal(frame, alone)
    assert (
        frames[ends[0]]["revenue"].sum() < frames[ends[1]]["revenue"].sum() < frames[ends[2]]["revenue"].sum()
    )
    with pytest.raises(
        ArgumentError, match=r"campaign_frame: ends must name at least one window end; got \[\]"
    ):
        campaign_frames(messy_log, demo.assignments, start=start, ends=[])
    with pytest.raises(ArgumentError, match="campaign_frame: end '2026-08-01' is before start '2026-09-01'"):
        campaign_frames(messy_log, demo.assignments, start=start, ends=["2026-09-30", "2026-08-01"])


@pytest.mark.parametrize("in_memory", [True, False], ids=["read", "duckdb"])
def test_campaign_frames_of_the_validated_copy_equal_the_frame_path(
    demo, messy_log, tmp_path, monkeypatch, in_memory
):
    """The validated Parquet copy (read with the date filter, or measured in DuckDB when large) gives the
    tables of the frame path, at every end."""
    import workbench.summary.member as sm
    from workbench import files
    from workbench.data import VALIDATED_METADATA

    monkeypatch.setattr(sm, "IN_MEMORY_ROWS", sm.IN_MEMORY_ROWS if in_memory else 0)
    path = str(files.write_parquet(tmp_path / "tx.parquet", messy_log, metadata=VALIDATED_METADATA))
    kw = {"start": "2026-09-01", "ends": ["2026-09-30", "2026-10-31"], "pre_days": 365}
    ours = campaign_frames(path, demo.assignments, **kw)
    theirs = campaign_frames(messy_log, demo.assignments, **kw)
    for end in kw["ends"]:
        pd.testing.assert_frame_equal(ours[end], theirs[end], check_exact=in_memory, rtol=1e-12)


def test_load_campaign_measures_the_earlier_looks_in_the_same_reading(demo, tmp_path):
    """``load_campaign(looks=)``: the earlier looks' tables, priced, equal ``campaign_frame`` + ``add_costs``
    of each end; the last look is the campaign's own table."""
    from workbench.experiments import add_costs

    demo.write(tmp_path)
    source = DataParams.from_dict(
        {
            "transactions": str(tmp_path / "transactions.parquet"),
            "campaign": str(tmp_path / "assignments.csv"),
        }
    )
    looks = ["2026-09-30", "2026-10-31"]
    data = load_campaign(source, start="2026-09-01", end="2026-10-31", costs=COSTS, looks=looks)
    assert list(data.looks) == ["2026-09-30"]
    plain = load_campaign(source, start="2026-09-01", end="2026-10-31", costs=COSTS)
    assert plain.looks is None
    pd.testing.assert_frame_equal(data.frame, plain.frame)
    table = plain.frame[list(demo.assignments.columns)]
    early = campaign_frame(source.load(), table, start="2026-09-01", end="2026-09-30")
    pd.testing.assert_frame_equal(data.looks["2026-09-30"], add_costs(early, data.costs))
