"""Member segments as of the end of a month: RFM scores, NES, the seven member types, and concentration.

Everything starts from ``member_features(transactions, month, settings)``: one row per member who made at
least one purchase (``amount >= 0``) before the end of ``month`` (``as_of`` = first instant of the next
month; later rows are ignored). Orders are distinct ``order_id`` among purchase rows (each purchase row
without ``order_id``), dated by their first row. Columns:

* ``first_purchase``, ``last_purchase``; ``recency_days`` = days (fractional) from ``last_purchase`` to ``as_of``;
* ``orders``, ``spend`` (purchases, all history up to ``as_of``), ``returns`` (positive amount);
* over the trailing window of ``settings.window_days`` days before ``as_of`` (default 365, the "annual"
  figures): ``window_orders``, ``window_spend``, ``window_aov`` (= spend / orders), ``window_promo_share``
  (share of the window's orders with ``discount > 0``; NaN without a discount column),
  ``window_mean_gap_days`` (mean days between consecutive orders in the window = (last - first) /
  (orders - 1); NaN with fewer than two orders).

``rfm_scores``: R, F, M scores 1..``settings.rfm_bins`` (5 = best) from percentile ranks over all members
with a purchase (R: ``recency_days``, fewer is better; F: ``orders``; M: ``spend``); ties share a score
(average rank): ``score = ceil(bins * rank / n)``.

``nes``: ``sleeping`` = no purchase in the last ``settings.sleeping_days`` days before ``as_of``
(``recency_days > sleeping_days``); ``new`` = first purchase in the month; ``existing`` = everyone else.

``member_types``: seven flags, each member then gets the first type in ``settings.precedence`` it has
(``other`` when none):

* ``high_spend``: top ``high_spend_share`` of members with a window order by ``window_spend``;
* ``high_order_value``: top ``high_order_value_share`` of them by ``window_aov``;
* ``high_loyalty``: top ``loyalty_share`` by ``window_orders`` and ``window_mean_gap_days <= loyalty_max_gap_days``;
* ``promo_high_frequency`` / ``promo_low_frequency``: ``window_promo_share >= promo_share_min`` and
  ``window_orders >= promo_frequency_min`` (high) or ``<`` (low);
* ``churning``: no purchase in the last ``churning_days`` days (``recency_days > churning_days``), not sleeping;
* ``sleeping``: as in NES.

"Top s of n members" means members whose value is at least the ``ceil(s * n)``-th largest value (ties at
the boundary are all in). The heavy aggregation is one SQL statement (``features_sql``) over the purchase
orders of a ``workbench.kpis.TransactionLog``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from workbench import files
from workbench.errors import ArgumentError
from workbench.kpis import month_bounds, use_log
from workbench.settings import bounded, build, settings_error, validate
from workbench.summary import render, with_ctes

__all__ = [
    "MEMBER_TYPES",
    "NES_GROUPS",
    "ClaimCheck",
    "SegmentSettings",
    "buyers_spend",
    "check_claim",
    "concentration",
    "features_frame",
    "features_parts",
    "features_sql",
    "lorenz_curve",
    "member_features",
    "member_type_flags",
    "member_types",
    "nes",
    "rfm_scores",
    "segment_summary",
    "segment_table",
    "type_overlap",
]

MEMBER_TYPES: tuple[str, ...] = (
    "high_spend",
    "high_order_value",
    "high_loyalty",
    "promo_high_frequency",
    "promo_low_frequency",
    "churning",
    "sleeping",
)
DEFAULT_PRECEDENCE: tuple[str, ...] = (
    "sleeping",
    "churning",
    "high_spend",
    "high_loyalty",
    "high_order_value",
    "promo_high_frequency",
    "promo_low_frequency",
)
NES_GROUPS: tuple[str, ...] = ("new", "existing", "sleeping")
OTHER = "other"


@dataclass(frozen=True)
class SegmentSettings:
    """Cut-offs of the member overview segments (see the module docstring); build from params with ``SegmentSettings.from_dict``."""

    rfm_bins: int = field(default=5, metadata=bounded(2, 10))
    window_days: int = field(default=365, metadata=bounded(1))
    sleeping_days: int = field(default=365, metadata=bounded(1))
    churning_days: int = field(default=180, metadata=bounded(1))
    high_spend_share: float = field(default=0.2, metadata=bounded(above=0, high=1))
    high_order_value_share: float = field(default=0.2, metadata=bounded(above=0, high=1))
    loyalty_share: float = field(default=0.5, metadata=bounded(above=0, high=1))
    loyalty_max_gap_days: float = field(default=60.0, metadata=bounded(above=0))
    promo_share_min: float = field(default=0.5, metadata=bounded(above=0, high=1))
    promo_frequency_min: int = field(default=3, metadata=bounded(1))
    precedence: tuple[Literal[MEMBER_TYPES], ...] = field(default=DEFAULT_PRECEDENCE)  # type: ignore[valid-type]

    def __post_init__(self):
        validate(self)
        if self.churning_days >= self.sleeping_days:
            raise settings_error(
                self,
                "churning_days",
                f"must be less than sleeping_days ({self.sleeping_days}); got {self.churning_days}",
            )
        if sorted(self.precedence) != sorted(MEMBER_TYPES):
            missing = [m for m in MEMBER_TYPES if m not in self.precedence]
            raise settings_error(
                self,
                "precedence",
                f"must list each of {list(MEMBER_TYPES)} exactly once; missing {missing}; got {list(self.precedence)}",
            )

    @classmethod
    def from_dict(cls, mapping: dict | None) -> SegmentSettings:
        """Settings from a params mapping (``params/member_overview.yaml``); see ``workbench.settings.build``."""
        return build(cls, mapping)


# --- per-member features ----------------------------------------------------------------------------------


def features_parts(
    as_of, window_days: int, *, has_discount: bool = True, rows: str = "rows", orders: str = "orders"
) -> tuple[list[tuple[str, str]], str]:
    """``features_sql`` as (named subqueries, final SELECT), for statements that read it inline."""
    start = pd.Timestamp(as_of) - pd.Timedelta(days=window_days)
    if start != start.normalize():
        raise ArgumentError(f"features_sql: as_of must be a midnight, got {pd.Timestamp(as_of)}")
    promo = "sum(CASE WHEN in_window = 1 THEN promo ELSE 0 END)" if has_discount else "CAST(NULL AS BIGINT)"
    ctes = [
        (
            "ft_flagged",
            f"""SELECT member_id, order_at, amount, promo,
           CASE WHEN CAST(order_at AS DATE) >= DATE '{start.date().isoformat()}' THEN 1 ELSE 0 END AS in_window
    FROM {orders}""",
        ),
        (
            "ft_member",
            f"""SELECT member_id,
           min(order_at) AS first_purchase, max(order_at) AS last_purchase,
           count(*) AS n_orders, sum(amount) AS spend,
           sum(in_window) AS window_orders,
           coalesce(sum(CASE WHEN in_window = 1 THEN amount END), 0) AS window_spend,
           {promo} AS window_promo_orders,
           min(CASE WHEN in_window = 1 THEN order_at END) AS window_first,
           max(CASE WHEN in_window = 1 THEN order_at END) AS window_last
    FROM ft_flagged GROUP BY member_id""",
        ),
        (
            "ft_returns",
            f"SELECT member_id, -sum(amount) AS returns_amount FROM {rows} WHERE amount < 0 GROUP BY member_id",
        ),
    ]
    select = """SELECT p.member_id AS "member_id", p.first_purchase AS "first_purchase",
       p.last_purchase AS "last_purchase", CAST(p.n_orders AS BIGINT) AS "orders",
       CAST(p.spend AS DOUBLE) AS "spend", CAST(p.window_orders AS BIGINT) AS "window_orders",
       CAST(p.window_spend AS DOUBLE) AS "window_spend",
       CAST(p.window_promo_orders AS BIGINT) AS "window_promo_orders",
       p.window_first AS "window_first", p.window_last AS "window_last",
       CAST(coalesce(r.returns_amount, 0) AS DOUBLE) AS "returns\""""
    return ctes, select


def features_sql(
    as_of,
    window_days: int,
    *,
    has_discount: bool = True,
    rows: str = "rows",
    orders: str = "orders",
    dialect: str = "duckdb",
) -> str:
    """Per-member purchase statistics from the ``rows``/``orders`` of a ``TransactionLog`` ending at ``as_of``.

    Parameters
    ----------
    as_of : timestamp
        The first instant after the month (a midnight).
    window_days : int
        The trailing window (``SegmentSettings.window_days``).
    has_discount : bool
        Whether the log has a discount column (else ``window_promo_orders`` is NULL).
    rows, orders : str
        The log's relations (``workbench.kpis.rows_sql``, ``workbench.kpis.orders_query``).
    dialect : str
        One of ``workbench.summary.DIALECTS``.

    Returns
    -------
    str
        A portable query, one row per member with an order: ``member_id, first_purchase, last_purchase,
        orders, spend, window_orders, window_spend, window_promo_orders, window_first, window_last, returns``.
    """
    ctes, select = features_parts(as_of, window_days, has_discount=has_discount, rows=rows, orders=orders)
    query = f"""{select}
FROM ft_member p LEFT JOIN ft_returns r ON p.member_id = r.member_id
ORDER BY p.member_id"""
    return render(with_ctes(ctes, query), dialect)


def member_features(transactions, month=None, settings: SegmentSettings | None = None) -> pd.DataFrame:
    """Per-member purchase statistics as of the end of ``month`` (see the module docstring).

    ``transactions``: a canonical frame, a canonical ``.parquet`` path, or a ``workbench.kpis.TransactionLog``
    (then ``month`` defaults to, and must equal, the log's month).
    """
    settings = settings or SegmentSettings()
    with use_log(transactions, month, "member_features") as log:
        as_of, month_label, has_discount = log.end, str(log.month), log.has_discount
        query = features_sql(
            as_of, settings.window_days, has_discount=has_discount, rows=log.rows, orders=log.orders
        )
        frame = log.sql(query)
    return features_frame(frame, as_of, month_label, has_discount)


def features_frame(frame: pd.DataFrame, as_of, month_label: str, has_discount: bool) -> pd.DataFrame:
    """``member_features``' frame from ``features_sql``'s result (whichever engine or file it came from).

    Parameters
    ----------
    frame : DataFrame
        ``features_sql``'s columns, one row per member.
    as_of : timestamp
        The first instant after the month.
    month_label : str
        ``YYYY-MM``.
    has_discount : bool
        Whether the log had a discount column.

    Returns
    -------
    DataFrame
        Indexed by ``member_id`` (see ``member_features``).
    """
    frame = frame.copy()
    frame["member_id"] = frame["member_id"].astype("str")
    for col in ("first_purchase", "last_purchase", "window_first", "window_last"):
        frame[col] = frame[col].astype("datetime64[us]")
    frame = frame.set_index("member_id")
    day = pd.Timedelta(days=1)
    out = pd.DataFrame(index=frame.index)
    out["first_purchase"] = frame["first_purchase"]
    out["last_purchase"] = frame["last_purchase"]
    out["recency_days"] = ((as_of - frame["last_purchase"]) / day).astype("float64")
    out["orders"] = frame["orders"].astype("int64")
    out["spend"] = frame["spend"].astype("float64")
    out["returns"] = frame["returns"].astype("float64")
    out["window_orders"] = frame["window_orders"].astype("int64")
    out["window_spend"] = frame["window_spend"].astype("float64")
    n_win = out["window_orders"].where(out["window_orders"] > 0)
    out["window_aov"] = out["window_spend"] / n_win
    out["window_promo_share"] = frame["window_promo_orders"].astype("float64") / n_win
    gaps = (frame["window_last"] - frame["window_first"]) / day
    out["window_mean_gap_days"] = gaps / (n_win - 1).where(n_win > 1)
    out.attrs.update(as_of=as_of, month=month_label, has_discount=has_discount)
    return out


# --- scores and groups -------------------------------------------------------------------------------------


def _score(values: pd.Series, bins: int) -> np.ndarray:
    """1..bins from the average percentile rank (higher value -> higher score); ties share a score."""
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype="int64")
    rank = values.rank(method="average").to_numpy()
    return np.clip(np.ceil(bins * rank / n), 1, bins).astype("int64")


def rfm_scores(features: pd.DataFrame, settings: SegmentSettings | None = None) -> pd.DataFrame:
    """R, F, M scores (1..bins, higher = better) and ``rfm`` (e.g. ``"545"``) and ``rfm_total`` per member."""
    settings = settings or SegmentSettings()
    bins = settings.rfm_bins
    out = pd.DataFrame(index=features.index)
    out["r"] = _score(-features["recency_days"], bins)
    out["f"] = _score(features["orders"], bins)
    out["m"] = _score(features["spend"], bins)
    out["rfm"] = out["r"].astype(str) + out["f"].astype(str) + out["m"].astype(str)
    out["rfm_total"] = out["r"] + out["f"] + out["m"]
    return out


def nes(features: pd.DataFrame, settings: SegmentSettings | None = None) -> pd.Series:
    """``new`` / ``existing`` / ``sleeping`` per member (categorical in that order)."""
    settings = settings or SegmentSettings()
    start, _ = month_bounds(features.attrs["month"])
    sleeping = features["recency_days"].to_numpy() > settings.sleeping_days
    new = features["first_purchase"].to_numpy() >= start.to_datetime64()
    labels = np.where(sleeping, "sleeping", np.where(new, "new", "existing"))
    return pd.Series(pd.Categorical(labels, categories=list(NES_GROUPS)), index=features.index, name="nes")


def _top(values: pd.Series, share: float) -> pd.Series:
    """Members whose value is at least the ceil(share * n)-th largest of the non-missing values."""
    valid = values.dropna()
    if valid.empty:
        return pd.Series(False, index=values.index)
    k = max(1, math.ceil(share * len(valid) - 1e-9))
    threshold = np.partition(valid.to_numpy(), len(valid) - k)[len(valid) - k]
    return (values >= threshold).fillna(False).astype(bool)


def member_type_flags(features: pd.DataFrame, settings: SegmentSettings | None = None) -> pd.DataFrame:
    """One boolean column per member type (members may have several)."""
    s = settings or SegmentSettings()
    active = features["window_orders"] > 0
    spend = features["window_spend"].where(active)
    aov = features["window_aov"].where(active)
    freq = features["window_orders"].where(active)
    promo = features["window_promo_share"].fillna(-1.0) >= s.promo_share_min
    rec = features["recency_days"]
    flags = pd.DataFrame(index=features.index)
    flags["high_spend"] = _top(spend, s.high_spend_share)
    flags["high_order_value"] = _top(aov, s.high_order_value_share)
    flags["high_loyalty"] = _top(freq, s.loyalty_share) & (
        features["window_mean_gap_days"] <= s.loyalty_max_gap_days
    )
    flags["promo_high_frequency"] = active & promo & (features["window_orders"] >= s.promo_frequency_min)
    flags["promo_low_frequency"] = active & promo & (features["window_orders"] < s.promo_frequency_min)
    flags["churning"] = (rec > s.churning_days) & (rec <= s.sleeping_days)
    flags["sleeping"] = rec > s.sleeping_days
    return flags.fillna(False).astype(bool)


def member_types(features: pd.DataFrame, settings: SegmentSettings | None = None) -> pd.Series:
    """Each member's type: the first flag in ``settings.precedence`` it has, else ``other``."""
    s = settings or SegmentSettings()
    flags = member_type_flags(features, s)
    labels = np.full(len(flags), OTHER, dtype=object)
    assigned = np.zeros(len(flags), dtype=bool)
    for name in s.precedence:
        hit = flags[name].to_numpy() & ~assigned
        labels[hit] = name
        assigned |= hit
    cats = [*MEMBER_TYPES, OTHER]
    return pd.Series(pd.Categorical(labels, categories=cats), index=features.index, name="member_type")


def segment_summary(segment: pd.Series, revenue: pd.Series) -> pd.DataFrame:
    """Members, share of members, revenue and share of revenue per segment (all categories, in order)."""
    frame = pd.DataFrame({"segment": segment, "revenue": revenue.reindex(segment.index).fillna(0.0)})
    out = frame.groupby("segment", observed=False).agg(
        members=("revenue", "size"), revenue=("revenue", "sum")
    )
    out["member_share"] = out["members"] / max(out["members"].sum(), 1)
    total = out["revenue"].sum()
    out["revenue_share"] = out["revenue"] / total if total else np.nan
    out["revenue_per_member"] = out["revenue"] / out["members"].where(out["members"] > 0)
    out.index.name = "segment"
    return out[["members", "member_share", "revenue", "revenue_share", "revenue_per_member"]]


def type_overlap(features: pd.DataFrame, settings: SegmentSettings | None = None) -> pd.DataFrame:
    """Members having both types (rows x columns), before precedence is applied."""
    flags = member_type_flags(features, settings).astype("int64")
    return flags.T @ flags


# --- concentration ------------------------------------------------------------------------------------------


def concentration(revenue: pd.Series, shares=(0.02, 0.05, 0.2)) -> pd.DataFrame:
    """Share of revenue from the top ``s`` of members (top ``ceil(s * n)`` by revenue), one row per share.

    ``revenue`` is one value per member (e.g. ``window_spend`` of members who bought in the window).
    """
    values = np.sort(np.asarray(revenue, dtype="float64"))[::-1]
    n, total = len(values), values.sum()
    if n == 0 or total <= 0:
        raise ArgumentError("concentration: needs at least one member with positive revenue")
    cum = np.cumsum(values)
    rows = []
    for s in shares:
        if not 0 < s <= 1:
            raise ArgumentError(f"concentration: shares must be in (0, 1], got {s!r}")
        k = max(1, math.ceil(s * n - 1e-9))
        rows.append(
            {"top_share": s, "members": k, "revenue": cum[k - 1], "revenue_share": cum[k - 1] / total}
        )
    return pd.DataFrame(rows)


def buyers_spend(features: pd.DataFrame) -> pd.Series:
    """The window's spend of the members who bought in it: what every revenue concentration figure is over.

    The member overview's table, curve and claim and the tier page's finding all take it, so two pages that
    state "the top 5% of members bring X% of revenue" state the same X for the same window.

    Parameters
    ----------
    features : DataFrame
        :func:`member_features` (its ``window_orders`` and ``window_spend``; the window is
        ``SegmentSettings.window_days`` days up to the end of the month).

    Returns
    -------
    Series
        ``window_spend`` of the members with at least one order in the window, indexed by member.
    """
    return features.loc[features["window_orders"] > 0, "window_spend"]


def lorenz_curve(revenue: pd.Series) -> pd.DataFrame:
    """Pareto curve.

    Cumulative share of revenue (``revenue_share``) held by the top ``member_share`` of members, members
    sorted by revenue descending; starts at (0, 0).
    """
    values = np.sort(np.asarray(revenue, dtype="float64"))[::-1]
    n, total = len(values), values.sum()
    if n == 0 or total <= 0:
        raise ArgumentError("lorenz_curve: needs at least one member with positive revenue")
    member_share = np.arange(n + 1) / n
    revenue_share = np.concatenate([[0.0], np.cumsum(values) / total])
    return pd.DataFrame({"member_share": member_share, "revenue_share": revenue_share})


@dataclass(frozen=True)
class ClaimCheck:
    """A claim "the top ``top_share`` of members bring ``claimed_revenue_share`` of revenue" against the data."""

    top_share: float
    claimed_revenue_share: float
    actual_revenue_share: float  # what the top top_share actually bring
    members_needed_share: float  # smallest share of members that brings claimed_revenue_share
    holds: bool  # actual_revenue_share >= claimed_revenue_share


def check_claim(revenue: pd.Series, top_share: float, revenue_share: float) -> ClaimCheck:
    """Test a claim like "5% of members bring 20% of revenue" (``top_share=0.05, revenue_share=0.2``)."""
    if not 0 < revenue_share <= 1:
        raise ArgumentError(f"check_claim: revenue_share must be in (0, 1], got {revenue_share!r}")
    actual = float(concentration(revenue, [top_share])["revenue_share"].iloc[0])
    values = np.sort(np.asarray(revenue, dtype="float64"))[::-1]
    cum = np.cumsum(values) / values.sum()
    needed = int(np.searchsorted(cum, revenue_share - 1e-12) + 1)
    return ClaimCheck(
        top_share=float(top_share),
        claimed_revenue_share=float(revenue_share),
        actual_revenue_share=actual,
        members_needed_share=min(needed, len(values)) / len(values),
        holds=actual >= revenue_share,
    )


def segment_table(features: pd.DataFrame, month, settings: SegmentSettings | None = None) -> pd.DataFrame:
    """Per-member RFM scores, NES group and member type (member-level: for audience files, never reports)."""
    settings = settings or SegmentSettings()
    out = rfm_scores(features, settings)
    out["nes"] = nes(features, settings)
    out["member_type"] = member_types(features, settings)
    out["window_spend"] = features["window_spend"]
    return out


def write_audience(table: pd.DataFrame, audience_dir, name: str = "member_overview_segments") -> Path | None:
    """Write the member-level segment table as ``<audience_dir>/<name>.csv`` (member ids as text)."""
    return files.write_audience(table.reset_index(), audience_dir, name)
