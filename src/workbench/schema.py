"""The canonical data contract shared by every part of the workbench (see DESIGN.md).

Transactions: one row per order or order line.

| column     | dtype          | notes                                                   |
|------------|----------------|---------------------------------------------------------|
| member_id  | str            | text; leading zeros kept                                |
| ordered_at | datetime64[us] | brand-local time, naive                                 |
| amount     | float64        | after discounts; negative = return/refund               |
| order_id   | str            | optional; a row without one is an order of its own      |
| channel    | category       | optional (store / online)                               |
| discount   | float64        | optional: discount granted on the order                 |
| store      | category       | optional: store name                                    |
| is_return  | bool           | derived: amount < 0                                     |
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import pyarrow as pa

from workbench.errors import WorkbenchError

__all__ = [
    "DATETIME_DTYPE",
    "NO_ORDER_ID_SQL",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "TRANSACTION_COLUMNS",
    "ColumnsError",
    "DUCKDB_MEMORY_ENV",
    "duckdb_connect",
    "finalize_transactions",
    "orders_per_member",
    "require_columns",
    "run_sql",
]

REQUIRED_COLUMNS: tuple[str, ...] = ("member_id", "ordered_at", "amount")
OPTIONAL_COLUMNS: tuple[str, ...] = ("order_id", "channel", "discount", "store")
TRANSACTION_COLUMNS: tuple[str, ...] = REQUIRED_COLUMNS + OPTIONAL_COLUMNS + ("is_return",)

DATETIME_DTYPE = "datetime64[us]"


class ColumnsError(WorkbenchError, ValueError):
    """A frame passed between modules lacks columns its receiver needs."""


def require_columns(
    frame: pd.DataFrame, columns: Iterable[str], owner: str, *, what: str = "the frame"
) -> None:
    """Raise ``ColumnsError`` naming ``owner`` and every column of ``columns`` that ``frame`` lacks.

    Parameters
    ----------
    frame : DataFrame
        The frame received.
    columns : iterable of str
        The columns the receiver needs.
    owner : str
        The receiving function or class, named at the start of the message.
    what : str
        What the frame is, for the message (``"transactions"``, ``"the campaign table"``).
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        have = ", ".join(map(str, frame.columns)) or "none"
        raise ColumnsError(
            f"{owner}: required column(s) missing from {what}: {', '.join(missing)} (columns: {have})"
        )


def finalize_transactions(frame: pd.DataFrame) -> pd.DataFrame:
    """Coerce an already-parsed frame to the canonical dtypes and column order.

    The input must hold the required columns with parseable values (the loader in
    ``workbench.data`` does the parsing and reports bad rows); this only fixes dtypes,
    derives ``is_return`` and orders the columns. Rows keep their order; the index is reset.
    """
    require_columns(frame, REQUIRED_COLUMNS, "finalize_transactions", what="transactions")
    # Series (not bare arrays), so that copy-on-write tracks what the result shares with ``frame``:
    # nothing is copied, and writing to the result never changes ``frame``
    frame = frame.reset_index(drop=True)
    when = frame["ordered_at"]
    cols: dict[str, object] = {
        "member_id": _text(frame["member_id"]),
        "ordered_at": when if when.dtype == DATETIME_DTYPE else pd.to_datetime(when).astype(DATETIME_DTYPE),
        "amount": frame["amount"].astype("float64"),
    }
    if "order_id" in frame.columns:
        cols["order_id"] = _text(frame["order_id"])
    if "channel" in frame.columns:
        cols["channel"] = _category(frame["channel"])
    if "discount" in frame.columns:
        cols["discount"] = frame["discount"].astype("float64").fillna(0.0)
    if "store" in frame.columns:
        cols["store"] = _category(frame["store"])
    out = pd.DataFrame(cols, index=pd.RangeIndex(len(frame)), copy=False)
    out["is_return"] = out["amount"].to_numpy() < 0
    return out


def _text(col: pd.Series) -> pd.Series:
    return col if col.dtype == "str" else col.astype("str")


def _category(col: pd.Series) -> pd.Series:
    return col if isinstance(col.dtype, pd.CategoricalDtype) else col.astype("category")


# SQL: the row has no order id (NULL or empty), so it is an order of its own
NO_ORDER_ID_SQL = "coalesce(order_id, '') = ''"


def orders_per_member(rows: pd.DataFrame) -> pd.Series:
    """Orders per ``member_id`` among ``rows``: distinct ``order_id``s, plus one for each row without one.

    An empty or missing ``order_id`` leaves a row an order of its own (``NO_ORDER_ID_SQL`` in the SQL of
    ``workbench.kpis``, ``workbench.summary`` and ``workbench.tiers``); without the column every row is an order.
    """
    by = rows["member_id"]
    if "order_id" not in rows.columns:
        return rows.groupby(by, sort=False, observed=True).size()
    oid = rows["order_id"]
    no_id = (oid.isna() | (oid == "")).to_numpy()
    with_id = rows.loc[~no_id].groupby(by[~no_id], sort=False, observed=True)["order_id"].nunique()
    without = rows.loc[no_id].groupby(by[no_id], sort=False, observed=True).size()
    return with_id.add(without, fill_value=0).astype("int64")


DUCKDB_MEMORY_ENV = "WORKBENCH_DUCKDB_MEMORY"
DEFAULT_DUCKDB_MEMORY = "3GB"


def duckdb_connect(config: dict | None = None):
    """An in-process DuckDB connection with bounded memory: at most ``$WORKBENCH_DUCKDB_MEMORY`` (default ``DEFAULT_DUCKDB_MEMORY``) for its operators, which spill to a temporary folder beyond it (DuckDB's own default is 80% of the machine's memory, and a notebook holds one connection at a time).

    Parameters
    ----------
    config : dict, optional
        More DuckDB settings (e.g. ``preserve_insertion_order``).

    Returns
    -------
    duckdb.DuckDBPyConnection
    """
    import os
    import tempfile

    import duckdb

    settings = {
        "memory_limit": os.environ.get(DUCKDB_MEMORY_ENV) or DEFAULT_DUCKDB_MEMORY,
        "temp_directory": os.path.join(tempfile.gettempdir(), f"workbench-duckdb-{os.getpid()}"),
        **(config or {}),
    }
    return duckdb.connect(config=settings)


def run_sql(sql: str, **tables) -> pa.Table:
    """Run one query in a throwaway DuckDB connection over the named tables (Arrow tables or frames).

    Parameters
    ----------
    sql : str
        The query; it refers to the tables by the keyword names.
    **tables : pyarrow.Table or DataFrame
        The relations the query reads, registered without a copy.

    Returns
    -------
    pyarrow.Table
        The result.
    """
    con = duckdb_connect()
    try:
        for name, table in tables.items():
            con.register(name, table)
        return con.sql(sql).to_arrow_table()
    finally:
        con.close()
        # Arrow's allocator keeps freed buffers for reuse: 0.24 GiB after the 3M-member summary's buckets
        pa.default_memory_pool().release_unused()
