"""The PostgreSQL rendering of the portable SQL, run on the test PostgreSQL server, gives the default engine's
member summary (edge-case log, days, weeks, months) and its member-month table the same KPI table."""

from __future__ import annotations

import pandas as pd
import pytest
from kit import assert_same_frame, assert_same_summary

from workbench import kpis as wk
from workbench import results as wr
from workbench.summary import SUMMARY_COLUMNS, member_summary, summary_sql
from workbench.summary.member import _to_frame

from .conftest import EDGE_ENDS

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg(postgres_url, edge_log):
    """A connection to the test server with the edge-case log as the table ``transactions``."""
    import psycopg

    conn = psycopg.connect(postgres_url, autocommit=True)
    conn.execute("SET TimeZone = 'UTC'")
    conn.execute(
        "CREATE TABLE transactions (member_id text, ordered_at timestamp, amount double precision, "
        "order_id text, channel text, discount double precision)"
    )
    frame = edge_log.assign(
        channel=["store", "online"] * (len(edge_log) // 2) + ["store"] * (len(edge_log) % 2)
    )
    with conn.cursor() as cur, cur.copy("COPY transactions FROM STDIN") as copy:
        for row in zip(
            frame["member_id"].astype(object),
            frame["ordered_at"].dt.to_pydatetime(),
            frame["amount"].astype(float),
            frame["order_id"].astype(object).where(frame["order_id"].notna(), None),
            frame["channel"],
            [0.0] * len(frame),
            strict=True,
        ):
            copy.write_row(row)
    yield conn, frame
    conn.close()


def _query(conn, sql: str) -> pd.DataFrame:
    with conn.cursor() as cur:
        cur.execute(sql)
        return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])


@pytest.mark.parametrize("end", EDGE_ENDS)
def test_postgres_summary_equals_default_engine(pg, edge_log, end):
    conn, _ = pg
    for freq in ("D", "W", "M"):
        for returns in ("exclude", "include"):
            got = _query(
                conn, summary_sql(observation_end=end, freq=freq, returns=returns, dialect="postgres")
            )
            assert list(got.columns) == list(SUMMARY_COLUMNS)
            assert_same_summary(_to_frame(got), member_summary(edge_log, end, freq, returns=returns))


def test_postgres_member_months_give_the_same_kpis(pg):
    conn, frame = pg
    statements = wr.result_statements(wr.ResultSpec(month="2026-10"), "postgres")
    months = _query(conn, statements["member_months"])
    got = wk.member_month_kpis(months, month="2026-10")
    assert_same_frame(got, wk.monthly_kpis(frame, month="2026-10"))
    assert got.attrs["rows"] == int((frame["ordered_at"] < "2026-11-01").sum())
