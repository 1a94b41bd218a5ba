"""Checks across rows: order lines that disagree, and rows repeated verbatim.

Order lines (``order_conflicts``): several rows with the same ``order_id`` are one order. They must agree on
``member_id`` (all rows) and on the calendar day (purchase rows; a return row may carry its order's id on
a later day).

Verbatim duplicates (``duplicate_rows``): a row whose every source column equals an earlier row's is the
same line exported twice far more often than a second sale, and would be counted twice. The loader reports
them (or drops them, keeping the first, when ``duplicate_rows: drop``).

Both start from 64-bit hashes (DuckDB ``hash``) sorted with numpy: distinct hashes mean distinct values, so
only rows whose hash repeats are candidates, and the exact check (one GROUP BY) runs on those rows alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.data.validation import Collector, as_str


def _np(arr) -> np.ndarray:
    return arr.to_numpy(zero_copy_only=False)


def _connect():
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    return con


def repeated(hashes: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Mask of the ``valid`` rows whose hash occurs more than once among the valid rows."""
    s = hashes[valid]
    s.sort()  # in place (a copy already)
    twice = np.unique(s[1:][s[1:] == s[:-1]])
    if not len(twice):
        return np.zeros(len(hashes), dtype=bool)
    return valid & np.isin(hashes, twice)


def multi_row_orders(order: pa.Array) -> np.ndarray:
    """Mask of the rows whose (non-empty) order id may occur on another row too (hash repeats)."""
    has = _np(pc.fill_null(pc.not_equal(order, ""), False))
    con = _connect()
    try:
        con.register("ids", pa.table({"order_id": order}))
        h = con.sql("SELECT hash(order_id) AS h FROM ids").to_arrow_table()["h"].to_numpy()
    finally:
        con.close()
    return repeated(h, has)


ORDER_CONFLICTS_SQL = """
SELECT order_id,
       min(member_id) <> max(member_id) AS member_conflict,
       coalesce(min(day) FILTER (WHERE purchase) <> max(day) FILTER (WHERE purchase), false) AS day_conflict
FROM lines
WHERE order_id <> ''
GROUP BY order_id
HAVING count(*) > 1 AND (member_conflict OR day_conflict)
"""


def order_conflicts(
    order: pa.Array,
    member: pd.Series,
    when: np.ndarray,
    amount: np.ndarray,
    candidates: np.ndarray,
    col: Collector,
) -> None:
    """Report the rows of one order_id that disagree on member_id (any row) or calendar day (purchases).

    Parameters
    ----------
    order : pyarrow.Array
        Order ids as text.
    member : Series
        Member ids as text.
    when : numpy.ndarray
        ``datetime64[us]`` order times (NaT where unknown).
    amount : numpy.ndarray
        Amounts (a negative amount is a return, which may come on a later day).
    candidates : numpy.ndarray
        Mask of the rows to check (``multi_row_orders``, guests left out).
    col : Collector
        Where problems go.
    """
    if not candidates.any():
        return  # every order id occurs once
    purchase = ~(amount < 0) & ~np.isnat(when)
    sel = pa.array(candidates)
    lines = pa.table(
        {
            "order_id": pc.filter(order, sel),
            "member_id": pc.filter(pa.array(member.array, from_pandas=True), sel),
            "day": pa.array(
                when[candidates].astype("datetime64[D]").astype(np.int32), mask=np.isnat(when[candidates])
            ),
            "purchase": pa.array(purchase[candidates]),
        }
    )
    con = _connect()
    try:
        con.register("lines", lines)
        bad = con.sql(ORDER_CONFLICTS_SQL).to_arrow_table()
    finally:
        con.close()
    if bad.num_rows == 0:
        return
    order_s = as_str(order)

    def fmt(i: int) -> str:
        stamp = "" if np.isnat(when[i]) else f" on {np.datetime_as_string(when[i], unit='s')}"
        return f"{order_s.iloc[i]!r} member {member.iloc[i]!r}{stamp}"

    for what, flag, rows in (
        ("member_id", "member_conflict", candidates),
        ("date", "day_conflict", purchase & candidates),
    ):
        ids = pc.filter(bad["order_id"], bad[flag])
        if len(ids) == 0:
            continue
        mask = _np(pc.fill_null(pc.is_in(order, ids), False)) & rows
        n = len(ids)
        col.rows(
            "order_conflict",
            "order_id",
            mask,
            fmt,
            f"in {n:,} order id{'s' if n != 1 else ''} whose rows disagree on {what}",
            "rows of one order_id are lines of one order and must share member_id and calendar day"
            + (" (returns excepted)" if what == "date" else ""),
        )


def duplicate_rows(frame: pd.DataFrame, candidates: np.ndarray | None = None) -> np.ndarray:
    """Index of the earlier equal row for every row that repeats one verbatim (all columns), else -1.

    Parameters
    ----------
    frame : DataFrame
        The source as read (every column, mapped or not).
    candidates : numpy.ndarray, optional
        Mask of the rows that can repeat another (e.g. rows of a repeated or empty order id); all rows
        when None.

    Returns
    -------
    numpy.ndarray
        int64, per row: the position of the first row it repeats, or -1.
    """
    n = len(frame)
    first = np.full(n, -1, dtype=np.int64)
    idx = np.arange(n) if candidates is None else np.flatnonzero(candidates)
    if len(idx) < 2 or frame.shape[1] == 0:
        return first
    sub = frame if len(idx) == n else frame.iloc[idx]
    names = [f"c{i}" for i in range(frame.shape[1])]
    table = pa.Table.from_pandas(sub.set_axis(names, axis=1), preserve_index=False)
    cols = ", ".join(names)
    con = _connect()
    try:
        con.register("t", table)
        h = con.sql(f"SELECT hash({cols}) AS h FROM t").to_arrow_table()["h"].to_numpy()
        cand = repeated(h, np.ones(len(h), dtype=bool))
        if not cand.any():
            return first
        pos = np.flatnonzero(cand)
        con.register("c", table.take(pa.array(pos)).append_column("rid", pa.array(pos)))
        pairs = con.sql(
            f"SELECT rid, min(rid) OVER (PARTITION BY {cols}) AS first FROM c QUALIFY rid <> first"
        ).to_arrow_table()
    finally:
        con.close()
    rid = pairs["rid"].to_numpy()
    first[idx[rid]] = idx[pairs["first"].to_numpy()]
    return first
