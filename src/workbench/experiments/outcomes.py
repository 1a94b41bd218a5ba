"""Campaign outcomes measured from the transaction log, for the members of an assignment list.

* ``campaign_outcomes(transactions, assignments, start, end)``: ``orders``, ``converted``, ``revenue`` per
  assigned member over the window ``[start, end]`` (dates inclusive);
* ``campaign_frame(transactions, assignments, *, start, end, pre_days=365)``: the same plus ``discount`` (the
  log's discounts on those rows) and the pre-period covariates ``pre_spend``, ``pre_orders``: the table
  ``analyze_campaign`` reads, built from what a brand has (its log and who was in which arm);
* ``load_campaign(source, *, start, end, costs=None)``: the campaign report's input: the ``data.campaign``
  file read and validated (``workbench.data.read_assignments``); an assignment list without outcome columns
  is measured from ``data.transactions`` (``campaign_frame``) and priced with the params' ``costs``
  (``workbench.experiments.CampaignCosts``); a table that already holds its outcomes is used as it is.

Definitions, one for every caller: the window's *purchase rows* are rows dated from ``start`` 00:00 up to
the end of ``end`` with ``amount >= 0`` that are not returns; ``orders`` are their distinct orders (distinct
``order_id``, a row without one an order of its own), ``converted`` = ``orders > 0``, ``revenue`` the sum
of their ``amount`` (after discounts, as booked), ``discount`` the sum of their ``discount``. The pre-period
is the ``pre_days`` days before ``start``: ``pre_spend`` = net spend (every row, returns negative),
``pre_orders`` = orders among its purchase rows. Members without a row get 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from workbench.errors import ArgumentError
from workbench.schema import NO_ORDER_ID_SQL, orders_per_member, require_columns, run_sql
from workbench.summary import in_memory_log, log_relation

__all__ = ["OUTCOME_COLUMNS", "CampaignData", "campaign_frame", "campaign_outcomes", "load_campaign"]

OUTCOME_COLUMNS: tuple[str, ...] = ("orders", "converted", "revenue")
"""The outcomes a campaign table may already hold; a list with none of them is measured from the log."""


def _window(start, end, owner: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    lo = pd.Timestamp(start).normalize()
    hi = pd.Timestamp(end).normalize() + pd.Timedelta(days=1)
    if hi <= lo:
        raise ArgumentError(f"{owner}: end {end!r} is before start {start!r}")
    return lo, hi


def _purchase_rows(transactions: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp) -> np.ndarray:
    """Mask of the purchase rows (``amount >= 0``, not a return) dated in ``[lo, hi)``."""
    when = transactions["ordered_at"]
    amount = transactions["amount"].to_numpy(dtype=float)
    keep = (when >= lo).to_numpy() & (when < hi).to_numpy() & (amount >= 0) & ~np.signbit(amount)
    if "is_return" in transactions.columns:
        keep &= ~transactions["is_return"].to_numpy(dtype=bool)
    return keep


def _columns(transactions: pd.DataFrame, *values: str) -> list[str]:
    """The columns a per-member sum needs (the rows are copied with only these)."""
    return [c for c in ("member_id", "order_id", *values) if c in transactions.columns]


def _per_member(ids: pd.Series, values: pd.Series, fill) -> np.ndarray:
    return ids.map(values).fillna(fill).to_numpy()


def campaign_outcomes(transactions: pd.DataFrame, assignments: pd.DataFrame, start, end) -> pd.DataFrame:
    """Per-member outcomes over the window ``[start, end]`` (dates inclusive) from the transaction log.

    Parameters
    ----------
    transactions : DataFrame
        The canonical log (``member_id, ordered_at, amount``, optionally ``order_id``, ``is_return``).
    assignments : DataFrame
        One row per assigned member, ``member_id`` as text.
    start, end : date
        The outcome window, both days included.

    Returns
    -------
    DataFrame
        ``assignments`` with ``orders``, ``converted`` and ``revenue`` (see the module docstring), replacing
        columns of those names; 0 for members who bought nothing.
    """
    require_columns(
        transactions, ("member_id", "ordered_at", "amount"), "campaign_outcomes", what="transactions"
    )
    require_columns(assignments, ("member_id",), "campaign_outcomes", what="assignments")
    lo, hi = _window(start, end, "campaign_outcomes")
    win = transactions.loc[_purchase_rows(transactions, lo, hi), _columns(transactions, "amount")]
    revenue = win.groupby("member_id", sort=False, observed=True)["amount"].sum()
    ids = assignments["member_id"].astype(str)
    out = assignments.drop(columns=[c for c in OUTCOME_COLUMNS if c in assignments.columns]).copy()
    out["orders"] = _per_member(ids, orders_per_member(win), 0).astype("int64")
    out["converted"] = (out["orders"] > 0).astype("int64")
    out["revenue"] = _per_member(ids, revenue, 0.0).astype(float)
    return out


def campaign_frame(
    transactions: pd.DataFrame, assignments: pd.DataFrame, *, start, end, pre_days: int = 365
) -> pd.DataFrame:
    """Every assigned member with outcomes, discounts and pre-period covariates measured from the log.

    Parameters
    ----------
    transactions : DataFrame, str or Path
        The canonical log (``workbench.data.load_transactions``), or the path of the run's validated Parquet
        copy (``workbench.data.is_validated_parquet``: read up to ``workbench.summary.IN_MEMORY_ROWS`` rows,
        else measured in DuckDB, the log never loaded; same numbers).
    assignments : DataFrame
        The assignment list (``workbench.data.read_assignments``): ``member_id`` (each once) and any other
        columns (``arm``, ``stratum``, ...), kept as they are.
    start, end : date
        The campaign window, both days included.
    pre_days : int
        Length of the pre-period before ``start`` for ``pre_spend`` and ``pre_orders``.

    Returns
    -------
    DataFrame
        The assignment list's rows and columns plus ``orders, converted, revenue, discount, pre_spend,
        pre_orders`` (see the module docstring); ``attrs`` record the window and whether the log had a
        ``discount`` column (without one ``discount`` is 0).
    """
    owner = "campaign_frame"
    if not isinstance(transactions, str | Path):
        require_columns(transactions, ("member_id", "ordered_at", "amount"), owner, what="transactions")
    require_columns(assignments, ("member_id",), owner, what="the assignment list")
    if isinstance(pre_days, bool) or not isinstance(pre_days, int | np.integer) or pre_days < 1:
        raise ArgumentError(f"{owner}: pre_days must be a whole number of days >= 1; got {pre_days!r}")
    ids = assignments["member_id"].astype(str)
    dup = ids.duplicated()
    if dup.any():
        rows = (np.flatnonzero(dup.to_numpy())[:5] + 1).tolist()
        raise ArgumentError(
            f"{owner}: member_id repeats in the assignment list (rows {rows}: {ids[dup].iloc[:3].tolist()})"
        )
    lo, hi = _window(start, end, owner)
    # the run's validated Parquet copy: read when small (pandas), else measured in DuckDB where it lies
    transactions = in_memory_log(
        transactions, ["member_id", "ordered_at", "amount", "order_id", "discount", "is_return"]
    )
    if isinstance(transactions, str | Path):
        return _sql_frame(transactions, assignments, ids, lo, hi, int(pre_days))
    out = campaign_outcomes(transactions, assignments, start, end)
    outcome_cols = ("discount", "pre_spend", "pre_orders")
    out = out.drop(columns=[c for c in outcome_cols if c in out.columns])
    has_discount = "discount" in transactions.columns
    if has_discount:
        win = transactions.loc[_purchase_rows(transactions, lo, hi), _columns(transactions, "discount")]
        discount = win.groupby("member_id", sort=False, observed=True)["discount"].sum()
        out["discount"] = _per_member(ids, discount, 0.0).astype(float)
    else:
        out["discount"] = 0.0
    pre_lo = lo - pd.Timedelta(days=int(pre_days))
    when = transactions["ordered_at"]
    keep = _columns(transactions, "amount", "ordered_at", "is_return")
    pre = transactions.loc[(when >= pre_lo).to_numpy() & (when < lo).to_numpy(), keep]
    out["pre_spend"] = _per_member(
        ids, pre.groupby("member_id", sort=False, observed=True)["amount"].sum(), 0.0
    )
    out["pre_spend"] = out["pre_spend"].astype(float)
    bought = pre.loc[_purchase_rows(pre, pre_lo, lo)]
    out["pre_orders"] = _per_member(ids, orders_per_member(bought), 0).astype("int64")
    out.attrs.update(
        start=str(lo.date()),
        end=str((hi - pd.Timedelta(days=1)).date()),
        pre_days=int(pre_days),
        has_discount=has_discount,
    )
    return out


def _sql_frame(path, assignments: pd.DataFrame, ids: pd.Series, lo, hi, pre_days: int) -> pd.DataFrame:
    """``campaign_frame`` of the run's validated Parquet copy: one DuckDB statement over the assigned members' rows of the pre-period and the window (the definitions of the module docstring)."""
    source, _, present = log_relation(path, [], "campaign_frame")
    has_discount = "discount" in present
    pre_lo = lo - pd.Timedelta(days=pre_days)
    ts = {k: f"TIMESTAMP '{v.isoformat(sep=' ')}'" for k, v in (("pre", pre_lo), ("lo", lo), ("hi", hi))}
    purchase = "amount >= 0 AND NOT signbit(amount)" + (
        " AND NOT coalesce(is_return, false)" if "is_return" in present else ""
    )
    if "order_id" in present:
        orders = (
            f"count(DISTINCT CASE WHEN {{w}} AND NOT ({NO_ORDER_ID_SQL}) THEN order_id END)"
            f" + count(*) FILTER (WHERE {{w}} AND {NO_ORDER_ID_SQL})"
        )
    else:
        orders = "count(*) FILTER (WHERE {w})"
    win = f"ordered_at >= {ts['lo']} AND {purchase}"
    pre = f"ordered_at < {ts['lo']}"
    sql = f"""
    SELECT r.member_id,
           {orders.format(w=win)} AS orders,
           coalesce(sum(amount) FILTER (WHERE {win}), 0) AS revenue,
           {f"coalesce(sum(discount) FILTER (WHERE {win}), 0)" if has_discount else "0.0"} AS discount,
           coalesce(sum(amount) FILTER (WHERE {pre}), 0) AS pre_spend,
           {orders.format(w=f"{pre} AND {purchase}")} AS pre_orders
    FROM {source} r SEMI JOIN ids ON r.member_id = ids.member_id
    WHERE r.ordered_at >= {ts["pre"]} AND r.ordered_at < {ts["hi"]}
    GROUP BY r.member_id"""
    agg = run_sql(sql, ids=pa.table({"member_id": pa.array(ids.to_numpy(), pa.string())})).to_pandas()
    agg = agg.set_index(agg["member_id"].astype(str))
    out = assignments.drop(
        columns=[c for c in (*OUTCOME_COLUMNS, "discount", "pre_spend", "pre_orders") if c in assignments]
    ).copy()
    out["orders"] = _per_member(ids, agg["orders"], 0).astype("int64")
    out["converted"] = (out["orders"] > 0).astype("int64")
    out["revenue"] = _per_member(ids, agg["revenue"], 0.0).astype(float)
    out["discount"] = _per_member(ids, agg["discount"], 0.0).astype(float)
    out["pre_spend"] = _per_member(ids, agg["pre_spend"], 0.0).astype(float)
    out["pre_orders"] = _per_member(ids, agg["pre_orders"], 0).astype("int64")
    out.attrs.update(
        start=str(lo.date()),
        end=str((hi - pd.Timedelta(days=1)).date()),
        pre_days=pre_days,
        has_discount=has_discount,
    )
    return out


@dataclass(frozen=True)
class CampaignData:
    """The campaign report's table and where its numbers came from.

    ``measured``: outcomes measured from the log (``campaign_frame``) and costs from params; otherwise the
    table's own outcome and cost columns. ``source`` names the campaign file, ``transactions`` the log.
    """

    frame: pd.DataFrame
    measured: bool
    source: str
    transactions: str
    start: str
    end: str
    costs: object = None


def load_campaign(source, *, start, end, costs=None, pre_days: int = 365) -> CampaignData:
    """The campaign report's input from the ``data:`` params (``workbench.data.DataParams``).

    Parameters
    ----------
    source : DataParams
        ``campaign`` names the assignment list (or a table with outcomes), ``transactions`` the log.
    start, end : date
        The campaign window, both days included.
    costs : Mapping or CampaignCosts, optional
        Cost per arm (``params/campaign_ab.yaml`` ``costs:``), applied to outcomes measured from the log.
    pre_days : int
        The pre-period of ``pre_spend`` / ``pre_orders``.

    Returns
    -------
    CampaignData
    """
    from workbench.data import read_assignments
    from workbench.experiments.costs import CampaignCosts, add_costs

    if not source.campaign:
        raise ArgumentError(
            "load_campaign: data.campaign is empty; the campaign report needs the assignment list"
        )
    table = read_assignments(source.campaign, member_id_width=source.member_id_width)
    name = Path(source.campaign).name
    log = Path(source.transactions).name if source.is_file(source.transactions) else source.transactions
    if any(c in table.columns for c in OUTCOME_COLUMNS):
        return CampaignData(
            table, False, name, log, str(pd.Timestamp(start).date()), str(pd.Timestamp(end).date())
        )
    settings = costs if isinstance(costs, CampaignCosts) else CampaignCosts.from_dict(costs)
    frame = campaign_frame(source.log_input(), table, start=start, end=end, pre_days=pre_days)
    frame = add_costs(frame, settings)
    return CampaignData(frame, True, name, log, frame.attrs["start"], frame.attrs["end"], settings)
