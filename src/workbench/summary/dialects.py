"""Portable SQL: statements written once in a dialect-neutral subset of DuckDB's SQL, rendered per engine.

The workbench's heavy aggregations (the member summary, the member-month table, the overview's member
features) are authored in DuckDB's dialect and rendered for ``spark``, ``postgres``, ``bigquery``,
``snowflake`` and ``trino`` by ``sqlglot`` (``render``). sqlglot transpiles some constructs silently
wrong, so the statements keep to a subset checked on DuckDB, Spark and PostgreSQL:

* no ``arg_min``/``min_by``, no ``GROUP BY ALL`` or ordinals, no ``FILTER (WHERE ...)`` (PostgreSQL gets
  them verbatim, or some engines reject them): conditional aggregates are ``agg(CASE WHEN ... END)``;
* no ``date_diff`` by hour or month (engines count boundaries or elapsed units differently): periods come
  from whole-day differences and ``extract`` (``workbench.summary.sql.period_sql``); literal periods are
  integers computed in Python, so no TIMESTAMP literal (its type differs per engine) reaches a period;
* no temporary tables (``CREATE OR REPLACE TEMP TABLE`` breaks in PostgreSQL, Spark and Trino): every
  statement is one query, its inputs named tables or views;
* no ``JOIN ... USING`` (Trino cannot resolve qualified USING columns), no booleans in result columns,
  no reserved-looking names (``rows``, ``value``, ``period``), output names quoted (Snowflake would
  upper-case them);
* time-zone bucketing is explicit: ``local_time_sql`` turns an instant into the brand's local wall time.
"""

from __future__ import annotations

from typing import Literal

from workbench.errors import ArgumentError

Dialect = Literal["duckdb", "spark", "postgres", "bigquery", "snowflake", "trino"]
DIALECTS: tuple[str, ...] = ("duckdb", "spark", "postgres", "bigquery", "snowflake", "trino")
Timestamps = Literal["local", "instant"]
TIMESTAMPS: tuple[str, ...] = ("local", "instant")

# constructs sqlglot passes through unchanged to engines that reject them or read them differently
_FORBIDDEN: tuple[str, ...] = ("arg_min", "arg_max", "min_by", "max_by", "group by all", "filter (where")


def check_dialect(dialect: str, owner: str = "render") -> None:
    """Raise ``ArgumentError`` unless ``dialect`` is one of ``DIALECTS``.

    Parameters
    ----------
    dialect : str
        The SQL dialect asked for.
    owner : str
        The caller, named in the error.
    """
    if dialect not in DIALECTS:
        raise ArgumentError(f"{owner}: dialect must be one of {DIALECTS}, got {dialect!r}")


def render(sql: str, dialect: str = "duckdb", *, pretty: bool = False) -> str:
    """One portable statement (DuckDB's spelling) in ``dialect``.

    Parameters
    ----------
    sql : str
        One statement written in the portable subset (see the module docstring).
    dialect : str
        One of ``DIALECTS``; ``duckdb`` returns ``sql`` unchanged (unless ``pretty``).
    pretty : bool
        Lay the statement out on several indented lines (for files a person reads).

    Returns
    -------
    str
        The statement in ``dialect``, without a trailing semicolon.
    """
    check_dialect(dialect)
    lowered = " ".join(sql.lower().split())
    bad = [word for word in _FORBIDDEN if word in lowered]
    if bad:
        raise ArgumentError(f"render: the statement uses {bad}, which does not render portably")
    if dialect == "duckdb" and not pretty:
        return sql
    import sqlglot

    out = sqlglot.transpile(
        sql, read="duckdb", write=dialect, pretty=pretty, unsupported_level=sqlglot.ErrorLevel.RAISE
    )
    if len(out) != 1:
        raise ArgumentError(f"render: expected one statement, got {len(out)}")
    return out[0]


def local_time_sql(column: str, timezone: str, timestamps: str = "local") -> str:
    """SQL for the brand's local wall time of a timestamp column.

    Parameters
    ----------
    column : str
        The column (or expression).
    timezone : str
        IANA time zone of the brand (``Asia/Taipei``).
    timestamps : {"local", "instant"}
        ``local``: the column already holds local wall time (a TIMESTAMP without time zone, the canonical
        contract): used as it is. ``instant``: it holds instants (TIMESTAMP WITH TIME ZONE, or UTC): converted
        to wall time in ``timezone`` (rendered per dialect: ``FROM_UTC_TIMESTAMP`` in Spark, ``DATETIME(ts, tz)``
        in BigQuery, ``CONVERT_TIMEZONE`` in Snowflake, ``AT TIME ZONE`` elsewhere).

    Returns
    -------
    str
        A TIMESTAMP expression.
    """
    if timestamps not in TIMESTAMPS:
        raise ArgumentError(f"local_time_sql: timestamps must be one of {TIMESTAMPS}, got {timestamps!r}")
    if timestamps == "local":
        return f"CAST({column} AS TIMESTAMP)"
    zone = timezone.replace("'", "''")
    return f"CAST({column} AT TIME ZONE '{zone}' AS TIMESTAMP)"
