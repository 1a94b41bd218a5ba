"""Portable SQL: every generated statement parses in each dialect, keeps to the portable subset, and, read
back from the warehouse dialects into DuckDB, still computes the same summary."""

from __future__ import annotations

import itertools

import duckdb
import pytest
import sqlglot
from kit import assert_same_summary

from workbench import kpis as wk
from workbench import results as wr
from workbench import segments as ws
from workbench.errors import ArgumentError
from workbench.summary import DIALECTS, local_time_sql, member_summary, render, summary_sql
from workbench.summary.member import _to_frame
from workbench.summary.sql import FREQS

FORBIDDEN = ("ARG_MIN", "ARG_MAX", "MIN_BY", "MAX_BY", "GROUP BY ALL", "FILTER(WHERE", "FILTER (WHERE")


def _statements() -> dict[str, str]:
    """Every statement the workbench generates, in DuckDB's spelling."""
    out = {}
    for freq, returns, has_order in itertools.product(FREQS, ("exclude", "include"), (True, False)):
        out[f"summary_{freq}_{returns}_{has_order}"] = summary_sql(
            "transactions", "2026-10-14 15:00:00", freq=freq, returns=returns, has_order_id=has_order
        )
    for flag in (True, False):
        out[f"rows_{flag}"] = wk.rows_sql(
            "src", "2026-11-01", has_order_id=flag, has_channel=flag, has_discount=flag
        )
        out[f"rows_instant_{flag}"] = wk.rows_sql(
            "src", "2026-11-01", timezone="Asia/Taipei", timestamps="instant"
        )
        out[f"orders_{flag}"] = wk.orders_query("wb_rows", has_order_id=flag)
        out[f"member_month_{flag}"] = wk.member_month_sql("wb_rows", "wb_orders", has_channel=flag)
        out[f"features_{flag}"] = ws.features_sql("2026-11-01", 365, has_discount=flag, rows="r", orders="o")
    out["kpi"] = wk.kpi_sql("mm")
    from workbench.kpis.sql import join_months_sql

    out["join_months"] = join_months_sql("members", "mm", "2026-11-01")
    for freq, without in itertools.product(("D", "W", "M"), ((), ("order_id", "channel", "discount"))):
        spec = wr.ResultSpec(month="2026-10", freq=freq, timezone="Asia/Taipei", without=without)
        for name, sql in wr.result_statements(spec, pretty=False).items():
            out[f"result_{name}_{freq}_{len(without)}"] = sql
    spec = wr.ResultSpec(month="2026-10", timezone="Asia/Taipei", timestamps="instant")
    for name, sql in wr.result_statements(spec, pretty=False).items():
        out[f"result_{name}_instant"] = sql
    return out


STATEMENTS = _statements()


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_statement_parses_in_every_dialect(dialect):
    for name, sql in STATEMENTS.items():
        rendered = render(sql, dialect, pretty=True)
        parsed = sqlglot.parse(rendered, read=dialect, error_level=sqlglot.ErrorLevel.RAISE)
        assert len(parsed) == 1 and parsed[0] is not None, name
        assert isinstance(parsed[0], sqlglot.exp.Query), name  # one query, no DDL
        upper = " ".join(rendered.upper().split())
        assert not [w for w in FORBIDDEN if w in upper], (name, dialect)
        if dialect in ("postgres", "trino", "spark"):  # these reject or misread USING with qualified names
            assert " USING (" not in upper, name


def test_render_rejects_what_does_not_port():
    with pytest.raises(ArgumentError, match=r"render: the statement uses \['arg_min'\]"):
        render("SELECT arg_min(a, b) FROM t", "postgres")
    with pytest.raises(ArgumentError, match=r"group by all"):
        render("SELECT a, sum(b) FROM t GROUP BY ALL", "spark")
    with pytest.raises(ArgumentError, match=r"dialect must be one of .*got 'oracle'"):
        render("SELECT 1", "oracle")


@pytest.mark.parametrize(
    "dialect, expected",
    [
        ("spark", "FROM_UTC_TIMESTAMP(ordered_at, 'Asia/Taipei')"),
        ("bigquery", "DATETIME(ordered_at, 'Asia/Taipei')"),
        ("snowflake", "CONVERT_TIMEZONE('Asia/Taipei', ordered_at)"),
        ("postgres", "ordered_at AT TIME ZONE 'Asia/Taipei'"),
    ],
)
def test_instants_are_bucketed_in_the_brand_time_zone(dialect, expected):
    sql = render(f"SELECT {local_time_sql('ordered_at', 'Asia/Taipei', 'instant')} AS t FROM x", dialect)
    assert expected in sql


def test_instants_bucketed_by_local_day_in_duckdb():
    con = duckdb.connect()
    con.sql("SET TimeZone = 'UTC'")
    con.sql("CREATE TABLE x AS SELECT TIMESTAMPTZ '2026-10-31 16:30:00+00' AS ordered_at")  # 00:30 in Taipei
    sql = f"SELECT CAST({local_time_sql('ordered_at', 'Asia/Taipei', 'instant')} AS DATE) AS d FROM x"
    assert str(con.sql(sql).fetchall()[0][0]) == "2026-11-01"
    with pytest.raises(ArgumentError, match="timestamps must be one of"):
        local_time_sql("ordered_at", "Asia/Taipei", "utc")


@pytest.mark.parametrize("dialect", ["bigquery", "snowflake", "trino", "spark", "postgres"])
def test_warehouse_renderings_read_back_give_the_same_summary(edge_log, dialect):
    """sqlglot keeps the meaning: each rendering, read back into DuckDB, computes the numpy engine's summary."""
    table = edge_log[["member_id", "ordered_at", "amount", "order_id"]]
    con = duckdb.connect()
    con.register("transactions", table)
    for freq in ("D", "W", "M"):
        end = "2026-10-14 15:00:00"
        back = sqlglot.transpile(
            summary_sql(freq=freq, observation_end=end, dialect=dialect), read=dialect, write="duckdb"
        )[0]
        got = _to_frame(con.sql(back).to_arrow_table())
        assert_same_summary(got, member_summary(edge_log, end, freq))
