"""Monthly KPIs (workbench.kpis) against hand-computed values and an independent pandas computation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from kit import small_kpi_log

from workbench import kpis as wk
from workbench.data import DataValidationError
from workbench.errors import ArgumentError
from workbench.schema import finalize_transactions
from workbench.text import overview as words

MONEY_RTOL = 1e-9  # sums of whole-NT$ amounts: DuckDB and pandas may add in a different order


@pytest.fixture
def small():
    """Three members over three months, with an order of two lines, a return and a cross-month order."""
    return small_kpi_log()


def test_small_log_by_hand(small):
    k = wk.monthly_kpis(small, month="2026-03")
    assert list(k.index.astype(str)) == ["2026-01", "2026-02", "2026-03"]
    jan, feb, mar = (k.loc[m] for m in ("2026-01", "2026-02", "2026-03"))
    # members by first purchase: A in Jan, B in Feb, C in Mar
    assert (jan["members"], feb["members"], mar["members"]) == (1, 2, 3)
    assert (jan["new_members"], feb["new_members"], mar["new_members"]) == (1, 1, 1)
    assert np.isnan(jan["member_growth_rate"])
    assert feb["member_growth_rate"] == pytest.approx(1.0)  # 1 new / 1 member at the end of January
    assert mar["member_growth_rate"] == pytest.approx(0.5)
    # active members: Jan {A}, Feb {A, B}, Mar {B, C} (A only returned goods in March)
    assert (jan["active_members"], feb["active_members"], mar["active_members"]) == (1, 2, 2)
    # orders: the two lines of o1 are one order
    assert (jan["orders"], feb["orders"], mar["orders"]) == (1, 2, 3)
    assert jan["gross_revenue"] == 150.0 and feb["gross_revenue"] == 500.0 and mar["gross_revenue"] == 600.0
    assert mar["returns"] == 50.0 and mar["net_revenue"] == 550.0 and feb["returns"] == 0.0
    assert mar["returns_rate"] == pytest.approx(50 / 600)
    assert jan["aov"] == pytest.approx(150.0) and mar["aov"] == pytest.approx(200.0)
    assert feb["revenue_per_active"] == pytest.approx(250.0)
    # repurchase: Feb A had bought before (B is new) -> 1/2; Mar B yes, C new -> 1/2
    assert feb["repurchase_rate"] == pytest.approx(0.5) and mar["repurchase_rate"] == pytest.approx(0.5)
    assert jan["repurchase_rate"] == 0.0
    assert feb["returning_revenue_share"] == pytest.approx(200 / 500)
    assert mar["returning_revenue_share"] == pytest.approx(200 / 600)
    assert mar["store_revenue"] == 480.0 and mar["online_revenue"] == 120.0
    assert mar["online_share"] == pytest.approx(0.2)
    # month-over-month: relative for amounts, difference for rates
    assert mar["gross_revenue_mom"] == pytest.approx(600 / 500 - 1)
    assert mar["active_members_mom"] == pytest.approx(0.0)
    assert feb["online_share"] == 1.0  # both February orders were online
    assert mar["online_share_mom"] == pytest.approx(0.2 - 1.0)
    assert np.isnan(jan["orders_mom"])


def test_members_table_sets_join_dates(small):
    members = pd.DataFrame(
        {
            "member_id": ["A", "B", "C", "D", "E"],
            # D joined in December and never bought; E joins after the month; C has no join date
            "joined_at": pd.to_datetime(["2026-01-01", "2026-01-31", None, "2025-12-15", "2026-04-02"]),
        }
    )
    k = wk.monthly_kpis(small, members, month="2026-03")
    assert list(k.index.astype(str)) == ["2025-12", "2026-01", "2026-02", "2026-03"]
    assert list(k["new_members"]) == [1, 2, 0, 1]  # D; A and B; -; C by its first purchase
    assert list(k["members"]) == [1, 3, 3, 4]
    assert k.loc["2025-12", "active_members"] == 0 and k.loc["2025-12", "gross_revenue"] == 0.0


def _reference(tx: pd.DataFrame, month: str, members: pd.DataFrame | None = None) -> pd.DataFrame:
    """The KPI definitions computed directly with pandas groupby (no DuckDB, no shared code)."""
    end = pd.Period(month, freq="M").end_time
    tx = tx[tx["ordered_at"] <= end]
    buy = tx[tx["amount"] >= 0].copy()
    ret = tx[tx["amount"] < 0].copy()
    buy["m"] = buy["ordered_at"].dt.to_period("M")
    ret["m"] = ret["ordered_at"].dt.to_period("M")
    first = buy.groupby("member_id")["m"].min()
    buy["returning"] = buy["m"] > buy["member_id"].map(first)
    if "order_id" in buy:
        orders = buy.groupby(["member_id", "order_id"])["ordered_at"].min().dt.to_period("M").value_counts()
    else:
        orders = buy["m"].value_counts()
    if members is None:
        joined = first.value_counts()
    else:
        j = members.set_index("member_id")["joined_at"].dt.to_period("M")
        j = j.reindex(j.index.union(first.index))
        j = j.fillna(first.reindex(j.index))
        joined = j[j <= pd.Period(month, freq="M")].value_counts()
    start = min(buy["m"].min(), joined.index.min())
    idx = pd.period_range(start, month, freq="M", name="month")
    g = buy.groupby("m")
    out = pd.DataFrame(index=idx)
    out["new_members"] = joined.reindex(idx, fill_value=0)
    out["members"] = out["new_members"].cumsum()
    out["active_members"] = g["member_id"].nunique().reindex(idx, fill_value=0)
    out["returning_members"] = (
        buy[buy["returning"]].groupby("m")["member_id"].nunique().reindex(idx, fill_value=0)
    )
    out["orders"] = orders.reindex(idx, fill_value=0)
    out["gross_revenue"] = g["amount"].sum().reindex(idx, fill_value=0.0)
    out["returns"] = -ret.groupby("m")["amount"].sum().reindex(idx, fill_value=0.0)
    out["net_revenue"] = out["gross_revenue"] - out["returns"]
    out["aov"] = out["gross_revenue"] / out["orders"]
    out["revenue_per_active"] = out["gross_revenue"] / out["active_members"]
    out["repurchase_rate"] = out["returning_members"] / out["active_members"]
    ret_rev = buy[buy["returning"]].groupby("m")["amount"].sum().reindex(idx, fill_value=0.0)
    out["returning_revenue_share"] = ret_rev / out["gross_revenue"]
    out["returns_rate"] = out["returns"] / out["gross_revenue"]
    if "channel" in buy:
        for ch in ("store", "online"):
            out[f"{ch}_revenue"] = (
                buy[buy["channel"] == ch].groupby("m")["amount"].sum().reindex(idx, fill_value=0.0)
            )
        out["online_share"] = out["online_revenue"] / out["gross_revenue"]
    out["member_growth_rate"] = out["new_members"] / out["members"].shift(1)
    return out


def _compare(got: pd.DataFrame, ref: pd.DataFrame) -> None:
    assert got.index.equals(ref.index)
    for col in ref.columns:
        kind = words.KPI_FORMAT[col]
        if kind == "count":
            np.testing.assert_array_equal(got[col].to_numpy(), ref[col].to_numpy(), err_msg=col)
        else:
            np.testing.assert_allclose(
                got[col].to_numpy(dtype=float), ref[col].to_numpy(dtype=float), rtol=MONEY_RTOL, err_msg=col
            )


def test_demo_matches_pandas(demo):
    month = "2026-10"
    got = wk.monthly_kpis(demo.transactions, month=month)
    _compare(got, _reference(demo.transactions, month))
    with_members = wk.monthly_kpis(demo.transactions, demo.members[["member_id", "joined_at"]], month=month)
    _compare(with_members, _reference(demo.transactions, month, demo.members))
    # in the demo every member joined on the day of the first purchase: both member counts agree
    np.testing.assert_array_equal(got["members"].to_numpy(), with_members["members"].to_numpy())


def test_earlier_month_ignores_later_rows(demo):
    got = wk.monthly_kpis(demo.transactions, month="2025-06")
    assert str(got.index[-1]) == "2025-06"
    _compare(got, _reference(demo.transactions, "2025-06"))
    full = wk.monthly_kpis(demo.transactions, month="2026-10")
    # cumulative and monthly figures up to June 2025 are unchanged by later data
    pd.testing.assert_frame_equal(got, full.loc[: pd.Period("2025-06", freq="M")], check_freq=False)


def test_order_lines_returns_and_random_log(rng):
    n = 4000
    members = np.array([f"{i:05d}" for i in range(300)])
    who = rng.choice(members, n)
    when = np.datetime64("2025-01-01T00:00:00") + rng.integers(0, 540 * 24 * 3600, n).astype("timedelta64[s]")
    amount = np.round(rng.gamma(2.0, 400.0, n))
    amount[rng.random(n) < 0.05] *= -1  # returns
    order = np.array([f"T{i}" for i in range(n)])
    lines = rng.random(n) < 0.3  # 30% of rows are a second line of the previous row's order
    lines[0] = False
    for i in np.flatnonzero(lines):  # same order, member and time as the previous row
        order[i], who[i], when[i] = order[i - 1], who[i - 1], when[i - 1]
    tx = finalize_transactions(
        pd.DataFrame(
            {
                "member_id": who,
                "ordered_at": when,
                "amount": amount,
                "order_id": order,
                "channel": rng.choice(["store", "online"], n),
                "discount": np.where(rng.random(n) < 0.3, 50.0, 0.0),
            }
        )
    )
    got = wk.monthly_kpis(tx, month="2026-05")
    _compare(got, _reference(tx, "2026-05"))
    assert (got["orders"] < tx.groupby(tx["ordered_at"].dt.to_period("M")).size().reindex(got.index)).any()
    # without order_id every purchase row is an order; without channel the channel columns are missing
    bare = tx.drop(columns=["order_id", "channel"])
    got_bare = wk.monthly_kpis(bare, month="2026-05")
    _compare(got_bare, _reference(bare, "2026-05"))
    assert got_bare["store_revenue"].isna().all()


def test_parquet_path_and_log_equal_frame(demo, tmp_path):
    path = tmp_path / "tx.parquet"
    demo.transactions.to_parquet(path, index=False)
    from_frame = wk.monthly_kpis(demo.transactions, month="2026-10")
    pd.testing.assert_frame_equal(wk.monthly_kpis(str(path), month="2026-10"), from_frame)
    with wk.open_log(str(path), "2026-10") as log:
        assert log.row_count() == len(demo.transactions)
        pd.testing.assert_frame_equal(wk.monthly_kpis(log), from_frame)
        with pytest.raises(ValueError, match="differs from the TransactionLog's month"):
            wk.monthly_kpis(log, month="2026-09")
    # a month past the end of the data: the default month is the log's last month
    assert str(wk.monthly_kpis(demo.transactions).index[-1]) == "2026-10"


def test_open_log_uses_the_loader_for_non_canonical_input(demo, tmp_path):
    path = tmp_path / "tx.csv"
    demo.transactions.head(2000).to_csv(path, index=False)
    with wk.open_log(str(path), "2024-01") as log:
        got = wk.monthly_kpis(log)
    _compare(got, _reference(demo.transactions.head(2000), "2024-01"))


def _parquet_with_a_null_member(tmp_path) -> Path:
    frame = pd.DataFrame(
        {
            "member_id": pd.array(["1", None], dtype="str"),
            "ordered_at": pd.to_datetime(["2026-01-01", "2026-01-02"]).astype("datetime64[us]"),
            "amount": [1.0, 2.0],
        }
    )
    path = tmp_path / "bad.parquet"
    frame.to_parquet(path, index=False)
    return path


def test_open_log_rejects_nulls(tmp_path):
    path = _parquet_with_a_null_member(tmp_path)
    with pytest.raises(
        DataValidationError, match=r"column 'member_id': 1 row without a member id \(row 2: <empty>\)"
    ):
        wk.open_log(str(path), "2026-01")


def test_open_log_validates_a_canonical_parquet(demo, tmp_path):
    """The member overview reads a canonical Parquet through the data layer's checks: an order id shared by
    two members, and ids that lost their leading zeros, are the loader's DataValidationError there too."""
    tx = demo.transactions.head(1000)
    assert tx["member_id"].str.startswith("0").any()  # the demo zero-pads its ids
    shared = tx.copy()
    shared.loc[1, "order_id"] = shared.loc[0, "order_id"]
    shared.loc[1, "member_id"] = next(m for m in tx["member_id"] if m != tx.loc[0, "member_id"])
    shared.to_parquet(tmp_path / "shared.parquet", index=False)
    with pytest.raises(
        DataValidationError,
        match=r"column 'order_id': 2 rows in 1 order id whose rows disagree on member_id \(row 1: ",
    ) as e:
        wk.open_log(str(tmp_path / "shared.parquet"), "2026-10")
    assert [p.kind for p in e.value.problems] == ["order_conflict"]
    stripped = tx.copy()
    row = int(np.flatnonzero(tx["member_id"].str.startswith("0"))[0])
    stripped.loc[row, "member_id"] = tx.loc[row, "member_id"].lstrip("0")
    stripped.to_parquet(tmp_path / "stripped.parquet", index=False)
    with pytest.raises(
        DataValidationError,
        match=r"column 'member_id': 1 row with digit-only member ids shorter than the zero-padded width",
    ):
        wk.open_log(str(tmp_path / "stripped.parquet"), "2026-10")
    # the same data without the damage opens
    tx.to_parquet(tmp_path / "ok.parquet", index=False)
    with wk.open_log(str(tmp_path / "ok.parquet"), "2026-10") as log:
        assert log.row_count() == len(tx)


def test_missing_columns_named():
    with pytest.raises(ValueError, match="required column\\(s\\) missing from transactions: amount"):
        wk.monthly_kpis(pd.DataFrame({"member_id": ["1"], "ordered_at": [pd.Timestamp("2026-01-01")]}))


def test_parquet_paths_given_directly_are_validated_too(tmp_path):
    """monthly_kpis and member_features accept a .parquet path: it goes through the same loader checks."""
    from workbench import segments as ws

    path = _parquet_with_a_null_member(tmp_path)
    with pytest.raises(DataValidationError, match=r"column 'member_id': 1 row without a member id"):
        wk.monthly_kpis(str(path), month="2026-01")
    with pytest.raises(DataValidationError, match=r"column 'member_id': 1 row without a member id"):
        ws.member_features(str(path), month="2026-01")


def test_validated_copy_is_read_where_it_lies(demo, tmp_path):
    """The run's validated Parquet copy (workbench report's cache) is a DuckDB view over the file: the KPIs
    equal the pandas reference, and member features the frame's."""
    from workbench import files
    from workbench.data import VALIDATED_METADATA
    from workbench.segments import member_features

    path = str(files.write_parquet(tmp_path / "tx.parquet", demo.transactions, metadata=VALIDATED_METADATA))
    with wk.TransactionLog(path, "2026-10") as log:
        assert log.row_count() == len(demo.transactions)
        _compare(wk.monthly_kpis(log), _reference(demo.transactions, "2026-10"))
        pd.testing.assert_frame_equal(
            member_features(log, "2026-10"), member_features(demo.transactions, "2026-10")
        )


def test_member_buckets_add_up_to_the_whole_log(demo, tmp_path):
    """Three member buckets of the validated copy (TransactionLog(bucket=)): their features, put together, are
    the whole log's, and their KPI parts combine to monthly_kpis with and without a members table."""
    from workbench import files
    from workbench.data import VALIDATED_METADATA
    from workbench.segments import member_features

    path = str(files.write_parquet(tmp_path / "tx.parquet", demo.transactions, metadata=VALIDATED_METADATA))
    parts, features, rows = [], [], 0
    for i in range(3):
        with wk.TransactionLog(path, "2026-10", bucket=(i, 3)) as log:
            rows += log.row_count()
            table = log.create("member_months", wk.member_month_sql(log.rows, log.orders))
            parts.append(wk.monthly_kpi_parts(log, table))
            features.append(member_features(log, "2026-10"))
            end = log.end
    assert rows == len(demo.transactions)
    assert 0 < min(len(f) for f in features) < max(len(f) for f in features) < len(demo.transactions)
    whole = member_features(demo.transactions, "2026-10")
    pd.testing.assert_frame_equal(pd.concat(features).sort_index(), whole)
    for members in (None, demo.members):
        combined = wk.combine_kpi_parts(parts, members, month="2026-10", end=end, has_channel=True)
        pd.testing.assert_frame_equal(
            combined, wk.monthly_kpis(demo.transactions, members, month="2026-10"), rtol=1e-12
        )
    _compare(
        wk.combine_kpi_parts(parts, None, month="2026-10", end=end, has_channel=True),
        _reference(demo.transactions, "2026-10"),
    )


def test_bucket_is_checked():
    frame = pd.DataFrame({"member_id": ["a"], "ordered_at": [pd.Timestamp("2026-10-02")], "amount": [1.0]})
    with pytest.raises(ArgumentError, match=r"bucket_filter: bucket must be in 0\.\.2; got 3"):
        wk.TransactionLog(frame, "2026-10", bucket=(3, 3))
    with pytest.raises(ArgumentError, match="combine_kpi_parts: parts must hold at least one"):
        wk.combine_kpi_parts([], None, month="2026-10", end=pd.Timestamp("2026-11-01"), has_channel=True)
