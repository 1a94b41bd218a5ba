"""Member attributes as of a date: one row per member, the columns audience rules select on.

``member_attributes(transactions, members=None, *, as_of, program=None, clv=None)`` returns a frame indexed by
``member_id`` (text, sorted), one row for every member with a transaction up to ``as_of`` and every member of
the members table who joined by then. ``ATTRIBUTES`` documents each column; the conventions:

* ``as_of`` is a date and its whole day counts: "the N days ending on ``as_of``" are the rows from
  ``as_of - (N - 1)`` days 00:00 up to the end of ``as_of`` (so ``spend_365d`` as of 2026-10-31 covers
  2025-11-01 .. 2026-10-31); rows after ``as_of`` are ignored;
* *spend* is net of returns (every row's ``amount``, return rows negative, dated by the row); *orders* are
  purchase orders (rows with ``amount >= 0`` grouped by ``order_id``, a row without one is an order of its
  own), dated by their first row, as everywhere else in the workbench (``workbench.kpis.TransactionLog``);
* the segment attributes are the overview's own functions, not a second definition:
  ``workbench.segments.member_features`` / ``rfm_scores`` / ``nes`` / ``member_types`` over the log ending
  at the end of ``as_of`` (as of a month's last day they are exactly the member overview's of that month);
  ``tier`` replays the programme (``workbench.tiers.replay``); ``clv_12m`` and ``p_alive`` are
  ``CLVModel.predict`` on ``member_summary`` at the end of ``as_of``;
* members without a purchase have 0 counts and amounts, and missing values (NaN / NaT / <NA>) where an
  attribute needs a purchase (``aov_365d``, ``days_since_last_purchase``, ``rfm_r``, ``nes``, ...).

The per-member sums are one DuckDB query (``attributes_sql``) over the log; everything else is vectorised.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from workbench.errors import ArgumentError
from workbench.kpis import TransactionLog
from workbench.schema import require_columns
from workbench.segments import SegmentSettings, member_features, member_types, nes, rfm_scores

__all__ = ["ATTRIBUTES", "WINDOWS", "attributes_sql", "member_attributes"]

WINDOWS: tuple[int, ...] = (30, 90, 180, 365)
"""The trailing windows (days ending on ``as_of``) of the ``spend_*d`` and ``orders_*d`` attributes."""

ATTRIBUTES: dict[str, str] = {
    **{
        f"spend_{d}d": f"net spend (purchases minus returns) in the {d} days ending on as_of" for d in WINDOWS
    },
    "spend_lifetime": "net spend (purchases minus returns) in the whole history up to as_of",
    **{f"orders_{d}d": f"purchase orders placed in the {d} days ending on as_of" for d in WINDOWS},
    "orders_lifetime": "purchase orders in the whole history up to as_of",
    "aov_365d": "average order value in the 365 days: purchase revenue of those orders / orders_365d",
    "aov_lifetime": "average order value over the whole history: purchase revenue / orders_lifetime",
    "max_order_365d": "the largest single order in the 365 days",
    "first_purchase_at": "time of the first purchase order",
    "last_purchase_at": "time of the last purchase order up to as_of",
    "days_since_last_purchase": "calendar days from the date of the last purchase to as_of (0 = bought on as_of)",
    "days_since_first_purchase": "calendar days from the date of the first purchase to as_of",
    "online_share_365d": "share of the 365 days' purchase revenue bought online (channel 'online')",
    "store_count_365d": "distinct stores with a purchase in the 365 days",
    "home_store": "the members table's home_store, else the store with the most purchase revenue (ties: first by name)",
    "discount_share_365d": "promotion-driven revenue share: revenue of the 365 days' orders with a discount / their revenue",
    "discount_365d": "discounts granted on the 365 days' purchases (the log's discount column)",
    "returns_365d": "returned amount (positive) in the 365 days",
    "returns_lifetime": "returned amount (positive) in the whole history",
    "active_months_365d": "calendar months with a purchase among the 365 days",
    "rfm_r": "recency score 1..rfm_bins (higher = more recent), workbench.segments.rfm_scores",
    "rfm_f": "frequency score 1..rfm_bins (orders_lifetime)",
    "rfm_m": "monetary score 1..rfm_bins (purchase revenue, whole history)",
    "rfm_cell": "the three scores as text, e.g. '545'",
    "rfm_total": "rfm_r + rfm_f + rfm_m",
    "nes": "new (first purchase in as_of's month up to as_of) / existing / sleeping, workbench.segments.nes",
    "member_type": "the overview's member type (seven types and their precedence, else 'other')",
    "joined_at": "the members table's joined_at, else the first purchase (as the member overview counts members)",
    "tenure_days": "calendar days from joined_at to as_of",
    "birth_month": "birth month 1..12 (members table)",
    "is_birthday_month": "birth_month is the month of as_of",
    "home_channel": "the members table's home_channel",
    "tier": "tier as of as_of under the tier programme (workbench.tiers.replay); the entry tier without purchases",
    "to_next_tier": "amount (or orders) still to reach the next tier's upgrade threshold; NaN in the top tier",
    "clv_12m": "expected discounted revenue of the next 12 months (CLVModel.predict, margin 1, 1% a month)",
    "p_alive": "probability the member is still active (CLVModel.predict)",
    "expected_purchases_12m": "expected repeat purchases in the next 12 months (CLVModel.predict)",
}
"""Every attribute ``member_attributes`` can return, with its definition. ``birth_month``,
``is_birthday_month`` and ``home_channel`` need a members table with those columns, ``tier`` and
``to_next_tier`` a ``program``, ``clv_12m``, ``p_alive`` and ``expected_purchases_12m`` a fitted ``clv``."""


def _ts(t: pd.Timestamp) -> str:
    return f"TIMESTAMP '{t.isoformat(sep=' ')}'"


def attributes_sql(end: pd.Timestamp, *, rows: str = "rows", orders: str = "orders") -> str:
    """The per-member sums of ``member_attributes``, as portable SQL over a ``TransactionLog``'s relations.

    Parameters
    ----------
    end : Timestamp
        The exclusive end: the first instant after ``as_of``; the windows are the days before it.
    rows, orders : str
        The names of the log's row and order relations.

    Returns
    -------
    str
        One query: a row per member with any row (spend, orders, purchases, channel, store and discount sums).
    """
    start = {d: _ts(end - pd.Timedelta(days=d)) for d in WINDOWS}
    y = start[365]

    def total(value: str, when: str) -> str:  # sum over the rows that match (no FILTER: not portable)
        return f"coalesce(sum(CASE WHEN {when} THEN {value} END), 0)"

    spend = ",\n       ".join(
        f"{total('amount', f'ordered_at >= {start[d]}')} AS spend_{d}d" for d in WINDOWS
    )
    count = ",\n       ".join(f"{total('1', f'order_at >= {start[d]}')} AS orders_{d}d" for d in WINDOWS)
    return f"""
WITH r AS (
SELECT member_id,
       {spend},
       coalesce(sum(amount), 0) AS spend_lifetime,
       {total("-amount", f"amount < 0 AND ordered_at >= {y}")} AS returns_365d,
       {total("amount", f"amount >= 0 AND ordered_at >= {y}")} AS purchases_365d,
       {total("amount", f"amount >= 0 AND ordered_at >= {y} AND channel = 'online'")} AS online_365d,
       {total("discount", f"amount >= 0 AND ordered_at >= {y}")} AS discount_365d
FROM {rows} GROUP BY member_id
),
o AS (
SELECT member_id,
       {count},
       {total("amount", f"order_at >= {y}")} AS order_revenue_365d,
       {total("amount", f"order_at >= {y} AND promo = 1")} AS promo_revenue_365d,
       max(CASE WHEN order_at >= {y} THEN amount END) AS max_order_365d
FROM {orders} GROUP BY member_id
),
by_store AS (
SELECT member_id, store, sum(amount) AS revenue, max(ordered_at) AS last_at,
       row_number() OVER (PARTITION BY member_id ORDER BY sum(amount) DESC, store) AS rank
FROM {rows} WHERE amount >= 0 AND store IS NOT NULL GROUP BY member_id, store
),
stores AS (
SELECT member_id, max(CASE WHEN rank = 1 THEN store END) AS top_store,
       sum(CASE WHEN last_at >= {y} THEN 1 ELSE 0 END) AS store_count_365d
FROM by_store GROUP BY member_id
),
months AS (
SELECT member_id, count(*) AS active_months_365d
FROM (SELECT DISTINCT member_id, date_trunc('month', order_at) AS m FROM {orders} WHERE order_at >= {y}) AS am
GROUP BY member_id
)
SELECT * FROM r LEFT JOIN o USING (member_id) LEFT JOIN stores USING (member_id) LEFT JOIN months USING (member_id)
"""


def _as_of(as_of) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(as_of)
    except (TypeError, ValueError):
        ts = pd.NaT
    if ts is pd.NaT or pd.isna(ts):
        raise ArgumentError(f"member_attributes: as_of must be a date such as '2026-10-31'; got {as_of!r}")
    if ts != ts.normalize():
        raise ArgumentError(
            f"member_attributes: as_of must be a date without a time of day (its whole day counts); got {as_of!r}"
        )
    return ts.as_unit("us")


def _days(as_of: pd.Timestamp, when: pd.Series) -> pd.Series:
    """Calendar days from the date of ``when`` to ``as_of`` (nullable integers)."""
    days = (as_of - when.dt.normalize()) / pd.Timedelta(days=1)
    return days.round().astype("Int64")


def member_attributes(
    transactions,
    members: pd.DataFrame | None = None,
    *,
    as_of,
    program=None,
    clv=None,
    segments: SegmentSettings | None = None,
) -> pd.DataFrame:
    """Every member's attributes as of the end of ``as_of`` (see the module docstring and ``ATTRIBUTES``).

    Parameters
    ----------
    transactions : DataFrame or str
        The canonical transaction frame (``workbench.data.load_transactions``) or a canonical ``.parquet``.
    members : DataFrame, optional
        The members table (``workbench.data.read_members``): ``member_id`` and any of ``joined_at``,
        ``birth_month``, ``home_channel``, ``home_store``. Its members who joined by ``as_of`` get a row even
        without a purchase.
    as_of : date
        The last day counted (a date: its whole day counts; a time of day is an error).
    program : workbench.tiers.TierProgram, optional
        With a programme: ``tier`` and ``to_next_tier``.
    clv : workbench.clv.CLVModel, optional
        With a fitted model: ``clv_12m``, ``p_alive``, ``expected_purchases_12m``.
    segments : workbench.segments.SegmentSettings, optional
        The member overview's cut-offs (``params/member_overview.yaml``) for the RFM scores, NES and member
        types; default ``SegmentSettings()``.

    Returns
    -------
    DataFrame
        Indexed by ``member_id`` (text, sorted); the columns of ``ATTRIBUTES`` that the inputs allow, in
        that order. ``attrs["as_of"]`` holds ``as_of``.
    """
    day = _as_of(as_of)
    end = day + pd.Timedelta(days=1)
    settings = segments or SegmentSettings()
    if isinstance(transactions, str | Path):
        from workbench.data import load_transactions

        transactions = load_transactions(str(transactions))
    if not isinstance(transactions, pd.DataFrame):
        raise ArgumentError(
            f"member_attributes: transactions must be a DataFrame or a .parquet path; got {type(transactions)}"
        )
    require_columns(
        transactions, ("member_id", "ordered_at", "amount"), "member_attributes", what="transactions"
    )
    with TransactionLog(transactions, day.to_period("M"), end=end) as log:
        features = member_features(log, None, settings)
        sums = log.sql(attributes_sql(end) + "\nORDER BY member_id")
        has_channel, has_store, has_discount = log.has_channel, log.has_store, log.has_discount
    sums["member_id"] = sums["member_id"].astype("str")
    sums = sums.set_index("member_id")

    ids = sums.index
    listed = None  # the members table's columns, by member id
    if members is not None:
        require_columns(members, ("member_id",), "member_attributes", what="the members table")
        listed = members.set_index(pd.Index(members["member_id"].astype("str"), name="member_id"))
        if "joined_at" in listed.columns:
            listed = listed.loc[~(pd.to_datetime(listed["joined_at"]) >= end).to_numpy()]
        extra = listed.index.difference(ids)
        if len(extra):
            ids = ids.append(extra).sort_values()
    ids = pd.Index(ids, name="member_id", dtype="str")
    s = sums if sums.index.equals(ids) else sums.reindex(ids)
    # everything the overview's functions give, aligned to ids at once (one index lookup)
    scores = rfm_scores(features, settings)
    f = pd.DataFrame(
        {
            "first_purchase": features["first_purchase"],
            "last_purchase": features["last_purchase"],
            "orders": features["orders"],
            "spend": features["spend"],
            "returns": features["returns"],
            "r": scores["r"],
            "f": scores["f"],
            "m": scores["m"],
            "rfm": scores["rfm"],
            "rfm_total": scores["rfm_total"],
            "nes": nes(features, settings),
            "member_type": member_types(features, settings),
        },
        index=features.index,
    )
    f = f if f.index.equals(ids) else f.reindex(ids)
    m = None if listed is None else listed.reindex(ids)
    out = pd.DataFrame(index=ids)

    for d in WINDOWS:
        out[f"spend_{d}d"] = s[f"spend_{d}d"].fillna(0.0).astype("float64")
    out["spend_lifetime"] = s["spend_lifetime"].fillna(0.0).astype("float64")
    for d in WINDOWS:
        out[f"orders_{d}d"] = s[f"orders_{d}d"].fillna(0).astype("int64")
    out["orders_lifetime"] = f["orders"].fillna(0).astype("int64")
    out["aov_365d"] = (s["order_revenue_365d"] / out["orders_365d"].where(out["orders_365d"] > 0)).astype(
        "float64"
    )
    out["aov_lifetime"] = (f["spend"] / out["orders_lifetime"].where(out["orders_lifetime"] > 0)).astype(
        "float64"
    )
    out["max_order_365d"] = s["max_order_365d"].astype("float64")
    out["first_purchase_at"] = f["first_purchase"].astype("datetime64[us]")
    out["last_purchase_at"] = f["last_purchase"].astype("datetime64[us]")
    out["days_since_last_purchase"] = _days(day, out["last_purchase_at"])
    out["days_since_first_purchase"] = _days(day, out["first_purchase_at"])
    purchases = s["purchases_365d"].where(s["purchases_365d"] > 0)
    out["online_share_365d"] = (s["online_365d"] / purchases).astype("float64") if has_channel else np.nan
    stores = s["store_count_365d"].fillna(0) if has_store else pd.Series(pd.NA, index=ids)
    out["store_count_365d"] = stores.astype("Int64")
    home = s["top_store"].astype("str") if has_store else pd.Series(np.nan, index=ids, dtype="str")
    if m is not None and "home_store" in m.columns:
        home = m["home_store"].astype("str").fillna(home)
    out["home_store"] = home.astype("str")
    revenue = s["order_revenue_365d"].where(s["order_revenue_365d"] > 0)
    out["discount_share_365d"] = (
        (s["promo_revenue_365d"] / revenue).astype("float64") if has_discount else np.nan
    )
    out["discount_365d"] = s["discount_365d"].fillna(0.0).astype("float64") if has_discount else np.nan
    out["returns_365d"] = s["returns_365d"].fillna(0.0).astype("float64")
    out["returns_lifetime"] = f["returns"].fillna(0.0).astype("float64")
    out["active_months_365d"] = s["active_months_365d"].fillna(0).astype("int64")

    for col in ("r", "f", "m"):
        out[f"rfm_{col}"] = f[col].astype("Int64")
    out["rfm_cell"] = f["rfm"].astype("str")
    out["rfm_total"] = f["rfm_total"].astype("Int64")
    out["nes"] = f["nes"]
    out["member_type"] = f["member_type"]

    joined_at = out["first_purchase_at"]
    if m is not None and "joined_at" in m.columns:
        joined_at = pd.to_datetime(m["joined_at"]).astype("datetime64[us]").fillna(joined_at)
    out["joined_at"] = joined_at.astype("datetime64[us]")
    out["tenure_days"] = _days(day, out["joined_at"])
    if m is not None and "birth_month" in m.columns:
        out["birth_month"] = pd.to_numeric(m["birth_month"]).astype("Int64")
        out["is_birthday_month"] = (out["birth_month"] == day.month).fillna(False).astype(bool)
    if m is not None and "home_channel" in m.columns:
        out["home_channel"] = m["home_channel"].astype("str")
    if program is not None:
        out = out.join(_tiers(transactions, program, day, ids))
    if clv is not None:
        out = out.join(_clv(transactions, clv, end, ids))
    out.attrs["as_of"] = day
    return out


def _tiers(transactions: pd.DataFrame, program, day: pd.Timestamp, ids: pd.Index) -> pd.DataFrame:
    """``tier`` and ``to_next_tier`` from a replay of ``program`` up to ``day``."""
    from workbench.tiers import replay

    result = replay(transactions, program, day)
    codes = pd.Series(result.tiers[:, -1].astype(int), index=pd.Index(result.member_ids, dtype="str"))
    qualifying = pd.Series(result.qualifying, index=codes.index)
    codes = codes.reindex(ids).fillna(0).astype(int)  # no purchase yet: the entry tier
    qualifying = qualifying.reindex(ids).fillna(0.0)
    top = len(program.tiers) - 1
    upgrades = np.asarray(program.upgrades, dtype=float)
    nxt = upgrades[np.minimum(codes.to_numpy() + 1, top)]
    gap = np.where(codes.to_numpy() < top, np.maximum(nxt - qualifying.to_numpy(), 0.0), np.nan)
    names = pd.Categorical.from_codes(codes.to_numpy(), program.names)
    return pd.DataFrame({"tier": names, "to_next_tier": gap}, index=ids)


def _clv(transactions: pd.DataFrame, model, end: pd.Timestamp, ids: pd.Index) -> pd.DataFrame:
    """``clv_12m``, ``p_alive``, ``expected_purchases_12m`` of the members with a purchase."""
    from workbench.summary import member_summary

    summary = member_summary(transactions, end - pd.Timedelta(seconds=1), freq=model.time_unit)
    pred = model.predict(summary, 12)
    out = pd.DataFrame(
        {
            "clv_12m": pred["clv"] if "clv" in pred else np.nan,
            "p_alive": pred["prob_alive"],
            "expected_purchases_12m": pred["expected_purchases"],
        },
        index=pred.index.astype("str"),
    )
    return out.reindex(ids).astype("float64")
