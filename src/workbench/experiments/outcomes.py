"""Campaign outcomes measured from the transaction log, for the members of an assignment list.

* ``campaign_outcomes(transactions, assignments, start, end)``: ``orders``, ``converted``, ``revenue`` per
  assigned member over the window ``[start, end]`` (dates inclusive);
* ``campaign_frame(transactions, assignments, *, start, end, pre_days=365)``: the same plus ``discount`` (the
  log's discounts on those rows) and the pre-period covariates ``pre_spend``, ``pre_orders``: the table
  ``analyze_campaign`` reads, built from what a brand has (its log and who was in which arm);
* ``campaign_frames(transactions, assignments, *, start, ends, pre_days=365)``: that table at several window
  ends (a campaign's looks) from one reading of the log: the rows of the pre-period and the window are read
  once (a Parquet copy with the date filter pushed into the reader), members and orders become integer codes
  (``workbench.summary.keys``) and every sum is a ``numpy.bincount``; a validated copy above
  ``workbench.summary.IN_MEMORY_ROWS`` rows is measured in DuckDB instead (same numbers);
* ``load_campaign(source, *, start, end, costs=None, looks=())``: the campaign report's input: the
  ``data.campaign`` file read and validated (``workbench.data.read_assignments``); an assignment list without
  outcome columns is measured from ``data.transactions`` (``campaign_frames``, with the earlier ``looks`` in
  the same reading, ``CampaignData.looks``) and priced with the params' ``costs``
  (``workbench.experiments.CampaignCosts``); a table that already holds its outcomes is used as it is.

Definitions, one for every caller: the window's *purchase rows* are rows dated from ``start`` 00:00 up to
the end of ``end`` with ``amount >= 0`` that are not returns; ``orders`` are their distinct orders (distinct
``order_id``, a row without one an order of its own), ``converted`` = ``orders > 0``, ``revenue`` the sum
of their ``amount`` (after discounts, as booked), ``discount`` the sum of their ``discount``. The pre-period
is the ``pre_days`` days before ``start``: ``pre_spend`` = net spend (every row, returns negative),
``pre_orders`` = orders among its purchase rows. Members without a row get 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from workbench.errors import ArgumentError
from workbench.schema import NO_ORDER_ID_SQL, orders_per_member, require_columns, run_sql
from workbench.summary import log_relation
from workbench.summary.keys import count_distinct_per_group, dense_codes

__all__ = [
    "OUTCOME_COLUMNS",
    "CampaignData",
    "campaign_frame",
    "campaign_frames",
    "campaign_outcomes",
    "load_campaign",
]

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
    frames = campaign_frames(transactions, assignments, start=start, ends=[end], pre_days=pre_days)
    return next(iter(frames.values()))


def campaign_frames(
    transactions, assignments: pd.DataFrame, *, start, ends, pre_days: int = 365
) -> dict[str, pd.DataFrame]:
    """``campaign_frame`` at several window ends in one reading of the log (the looks of a campaign).

    Parameters
    ----------
    transactions : DataFrame, str or Path
        As for ``campaign_frame``.
    assignments : DataFrame
        The assignment list (``member_id`` once per member).
    start : date
        The campaign's first day.
    ends : sequence of date
        The window ends (each included), e.g. a campaign's look ends.
    pre_days : int
        Length of the pre-period before ``start``.

    Returns
    -------
    dict of str to DataFrame
        Window end (``YYYY-MM-DD``) -> the table ``campaign_frame(..., end=that day)`` gives, in the order
        of ``ends``; the pre-period columns are the same in each.
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
    windows = [_window(start, end, owner) for end in ends]
    if not windows:
        raise ArgumentError(f"{owner}: ends must name at least one window end; got {ends!r}")
    lo = windows[0][0]
    pre_lo = lo - pd.Timedelta(days=int(pre_days))
    his = [hi for _, hi in windows]
    base = assignments.drop(columns=[c for c in _MEASURED if c in assignments.columns])
    if isinstance(transactions, str | Path) and not _read_whole(transactions):
        # a large validated Parquet copy: measured in DuckDB where it lies, memory bounded
        return {_end_label(hi): _sql_frame(transactions, base, ids, lo, hi, int(pre_days)) for hi in his}
    log = _log_arrays(transactions, pre_lo, max(his))
    has_discount = "discount" in log
    covariates, looks = _measure(log, ids, lo, his, pre_lo)
    out = {}
    for hi, measured in zip(his, looks, strict=True):
        frame = base.copy()
        frame["orders"] = measured["orders"].astype("int64")
        frame["converted"] = (frame["orders"] > 0).astype("int64")
        frame["revenue"] = measured["revenue"].astype(float)
        frame["discount"] = measured["discount"].astype(float)
        frame["pre_spend"] = covariates["pre_spend"].astype(float)
        frame["pre_orders"] = covariates["pre_orders"].astype("int64")
        frame.attrs.update(
            start=str(lo.date()), end=_end_label(hi), pre_days=int(pre_days), has_discount=has_discount
        )
        out[_end_label(hi)] = frame
    return out


def _end_label(hi: pd.Timestamp) -> str:
    return str((hi - pd.Timedelta(days=1)).date())


def _read_whole(path) -> bool:
    """Whether the validated Parquet copy at ``path`` is small enough to be measured in memory."""
    import pyarrow.parquet as pq

    from workbench.data import is_validated_parquet
    from workbench.summary import member  # its IN_MEMORY_ROWS, read now (tests lower it)

    return is_validated_parquet(path) and pq.ParquetFile(path).metadata.num_rows <= member.IN_MEMORY_ROWS


_LOG_COLUMNS = ["member_id", "ordered_at", "amount", "order_id", "discount", "is_return"]
_MEASURED = ("orders", "converted", "revenue", "discount", "pre_spend", "pre_orders")


def _log_arrays(transactions, pre_lo: pd.Timestamp, hi: pd.Timestamp) -> dict:
    """The log's rows dated in ``[pre_lo, hi)`` as arrays (``member_id`` / ``order_id`` as Arrow text).

    A frame is sliced by a mask; the run's validated Parquet copy is read with the date filter pushed into
    the reader (row groups outside the dates skipped), its columns never converted to pandas.
    """
    if isinstance(transactions, str | Path):
        import pyarrow.parquet as pq

        present = [c for c in _LOG_COLUMNS if c in pq.read_schema(transactions).names]
        stamp = (
            pa.scalar(pre_lo.to_datetime64(), pa.timestamp("us")),
            pa.scalar(hi.to_datetime64(), pa.timestamp("us")),
        )
        table = pq.read_table(
            transactions,
            columns=present,
            filters=[("ordered_at", ">=", stamp[0]), ("ordered_at", "<", stamp[1])],
        )
        cols = {c: table.column(c) for c in present}
        out = {c: v for c, v in cols.items() if c in ("member_id", "order_id")}
        for c in ("ordered_at", "amount", "discount", "is_return"):
            if c in cols:
                out[c] = cols[c].to_numpy()
        return out
    when = transactions["ordered_at"]
    keep = (when >= pre_lo).to_numpy() & (when < hi).to_numpy()
    rows = np.flatnonzero(keep)
    out = {}
    for c in _LOG_COLUMNS:
        if c not in transactions.columns:
            continue
        col = transactions[c]
        if c in ("member_id", "order_id"):
            arr = pa.chunked_array(_text_chunks(col))
            out[c] = arr.take(pa.array(rows))
        elif c == "is_return":
            out[c] = col.to_numpy(dtype=bool)[rows]
        elif c == "ordered_at":
            out[c] = col.to_numpy()[rows]
        else:
            out[c] = col.to_numpy(dtype=float)[rows]
    return out


def _text_chunks(col: pd.Series) -> list[pa.Array]:
    """A text column as Arrow string chunks (missing values null)."""
    pa_arr = getattr(getattr(col, "array", None), "_pa_array", None)
    if pa_arr is not None:
        return [c.cast(pa.large_string()) for c in pa_arr.chunks] or [pa.array([], pa.large_string())]
    return [pa.array(col.astype(object).where(col.notna(), None).to_numpy(), pa.large_string())]


def _positions(assigned: pd.Series, member_id: pa.ChunkedArray) -> np.ndarray:
    """Each row's position in the assignment list (``-1``: a member not on it, or no member id)."""
    n = len(assigned)
    both = pa.chunked_array(
        [
            pa.array(assigned.to_numpy(dtype=object), pa.large_string()),
            *member_id.cast(pa.large_string()).chunks,
        ],
        pa.large_string(),
    )
    codes, n_codes, missing = dense_codes(both)
    full = np.full(len(both), -1, dtype=np.int64)
    if missing is None:
        full[:] = codes
    else:
        full[~missing] = codes
    lut = np.full(n_codes + 1, -1, dtype=np.int64)  # the last slot: rows without a code
    lut[full[:n]] = np.arange(n)
    return lut[full[n:]]


def _orders(pos: np.ndarray, order_id: pa.ChunkedArray | None, n: int) -> np.ndarray:
    """Orders per assigned member among the given rows: distinct ``order_id``s plus one per row without one."""
    if order_id is None:
        return np.bincount(pos, minlength=n)
    codes, n_orders, missing = dense_codes(order_id)
    if missing is None:
        return count_distinct_per_group(pos, codes, n, n_items=n_orders)
    with_id = count_distinct_per_group(pos[~missing], codes, n, n_items=n_orders)
    return with_id + np.bincount(pos[missing], minlength=n)


def _measure(log: dict, assigned: pd.Series, lo, his: list, pre_lo) -> tuple[dict, list[dict]]:
    """The pre-period covariates and, per window end in ``his``, the outcomes of every assigned member (numpy)."""
    n = len(assigned)
    pos = _positions(assigned, log["member_id"])
    on_list = np.flatnonzero(pos >= 0)
    pos = pos[on_list]
    when = log["ordered_at"][on_list]
    amount = log["amount"][on_list]
    purchase = (amount >= 0) & ~np.signbit(amount)
    if "is_return" in log:
        purchase &= ~log["is_return"][on_list]
    order_id = log["order_id"].take(pa.array(on_list)) if "order_id" in log else None
    discount = log["discount"][on_list] if "discount" in log else None
    lo64 = np.datetime64(lo.to_datetime64())
    pre = when < lo64
    pre_buy = np.flatnonzero(pre & purchase)
    covariates = {
        "pre_spend": np.bincount(pos[pre], weights=amount[pre], minlength=n),
        "pre_orders": _orders(
            pos[pre_buy], None if order_id is None else order_id.take(pa.array(pre_buy)), n
        ),
    }
    looks = []
    for hi in his:
        rows = np.flatnonzero(~pre & (when < np.datetime64(hi.to_datetime64())) & purchase)
        p = pos[rows]
        looks.append(
            {
                "orders": _orders(p, None if order_id is None else order_id.take(pa.array(rows)), n),
                "revenue": np.bincount(p, weights=amount[rows], minlength=n),
                "discount": (
                    np.bincount(p, weights=discount[rows], minlength=n)
                    if discount is not None
                    else np.zeros(n)
                ),
            }
        )
    return covariates, looks


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
    looks: Mapping[str, pd.DataFrame] | None = None  # window end -> the table of that earlier look (priced)


def load_campaign(
    source, *, start, end, costs=None, pre_days: int = 365, looks: Sequence = ()
) -> CampaignData:
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
    looks : sequence of date
        Earlier window ends (``CampaignLook.look_ends``) measured in the same reading of the log, for
        ``monitor_campaign``'s trend (``CampaignData.looks``); ignored for a table with its own outcomes.

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
    last = str(pd.Timestamp(end).date())
    ends = [*dict.fromkeys(str(pd.Timestamp(d).date()) for d in looks if str(pd.Timestamp(d).date()) != last)]
    frames = campaign_frames(source.log_input(), table, start=start, ends=[*ends, end], pre_days=pre_days)
    priced = {day: add_costs(f, settings) for day, f in frames.items()}
    frame = priced.pop(next(reversed(priced)))
    return CampaignData(
        frame, True, name, log, frame.attrs["start"], frame.attrs["end"], settings, looks=priced or None
    )
