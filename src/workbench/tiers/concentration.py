"""The tier page's revenue concentration input: the member overview's figure in one lean DuckDB statement.

The tier page states the overview's "the top 5% of members bring X% of revenue" (``workbench.segments``:
``check_claim(buyers_spend(member_features(...)))``); ``buyers_window_spend`` gives the same buyers and
window spend from the same SQL (``segments.features_parts`` over ``kpis.rows_sql`` / ``kpis.orders_query``)
without the overview's cached log or its per-member feature frame.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from workbench import segments as ws
from workbench.errors import ArgumentError
from workbench.kpis import TransactionLog, month_bounds, orders_query, rows_sql
from workbench.schema import duckdb_connect
from workbench.summary import log_relation, render, with_ctes
from workbench.tiers.activity import duckdb_cap


def buyers_window_spend(transactions, month, settings: ws.SegmentSettings | None = None) -> pd.Series:
    """``buyers_spend(ws.member_features(transactions, month, settings))`` without the feature frame.

    The same statement (``features_parts`` over the log's ``rows`` and purchase ``orders``, inline) keeps only
    the window's buyers and their spend, in one DuckDB statement (1 GB on a log of up to 30M rows: ``activity.duckdb_cap``):
    the tier page's concentration figure without the member overview's cached log (whose order table takes
    DuckDB's whole cap on a large log). A ``TransactionLog`` or a path that is not the run's validated copy
    goes through ``member_features``.

    Parameters
    ----------
    transactions : DataFrame, str or TransactionLog
        The canonical log (a frame or the run's validated Parquet copy), or an open log.
    month : str
        ``YYYY-MM``: the window ends with it.
    settings : SegmentSettings, optional
        Its ``window_days``.

    Returns
    -------
    Series
        ``window_spend`` of the members with an order in the window, indexed by member (sorted).
    """
    from workbench.data import is_validated_parquet

    settings = settings or ws.SegmentSettings()
    if isinstance(transactions, TransactionLog) or (
        isinstance(transactions, str | Path) and not is_validated_parquet(transactions)
    ):
        return ws.buyers_spend(ws.member_features(transactions, month, settings))
    if month is None:
        raise ArgumentError("buyers_window_spend: month is required unless transactions is a TransactionLog")
    columns = ["member_id", "ordered_at", "amount", "order_id", "channel", "discount", "store"]
    relation, tables, present = log_relation(transactions, columns, "buyers_window_spend")
    _, end = month_bounds(pd.Period(month, freq="M"))
    has = {f"has_{c}": c in present for c in ("order_id", "channel", "discount", "store")}
    ctes, _ = ws.features_parts(end, settings.window_days, has_discount=has["has_discount"])
    query = with_ctes(
        [
            ("rows", rows_sql(relation, end, **has)),
            ("orders", orders_query("rows", has_order_id=has["has_order_id"])),
            *ctes[:2],
        ],
        'SELECT member_id AS "member_id", CAST(window_spend AS DOUBLE) AS "window_spend" FROM ft_member '
        "WHERE window_orders > 0 ORDER BY member_id",
    )
    rows = (
        pq.ParquetFile(transactions).metadata.num_rows
        if isinstance(transactions, str | Path)
        else len(transactions)
    )
    con = duckdb_connect({**duckdb_cap(rows), "preserve_insertion_order": False})
    try:
        for name, table in tables.items():
            con.register(name, table)
        result = con.sql(render(query, "duckdb")).to_arrow_table()
    finally:
        con.close()
    return pd.Series(
        result.column("window_spend").to_numpy(),
        index=pd.Index(result.column("member_id").to_pandas().astype("str"), name="member_id"),
        name="window_spend",
    )
