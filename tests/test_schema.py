"""workbench.schema: ``require_columns`` names the owner and every missing column; ``run_sql`` over Arrow
tables and frames equals the same aggregation done with a pandas groupby here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from workbench.errors import WorkbenchError
from workbench.schema import ColumnsError, require_columns, run_sql


def test_require_columns_names_owner_and_every_missing_column():
    frame = pd.DataFrame({"member_id": ["001"], "amount": [1.0]})
    with pytest.raises(ColumnsError) as info:
        require_columns(
            frame, ["member_id", "ordered_at", "amount", "order_id"], "tracking", what="transactions"
        )
    assert str(info.value) == (
        "tracking: required column(s) missing from transactions: ordered_at, order_id "
        "(columns: member_id, amount)"
    )
    assert isinstance(info.value, ValueError) and isinstance(info.value, WorkbenchError)
    with pytest.raises(
        ColumnsError, match=r"^segment_effects: required column\(s\) missing from the frame: arm "
    ):
        require_columns(frame, ["arm"], "segment_effects")
    empty = pd.DataFrame()
    with pytest.raises(ColumnsError, match=r"missing from the frame: member_id \(columns: none\)$"):
        require_columns(empty, ["member_id"], "kpis")
    assert require_columns(frame, ["amount", "member_id"], "tracking") is None  # all there: no error


def _log(rng, n: int = 5000) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "member_id": pd.array([f"{m:05d}" for m in rng.integers(0, 400, n)], dtype="str"),
            "amount": np.round(rng.gamma(2.0, 500.0, n), 2) * np.where(rng.random(n) < 0.05, -1, 1),
            "order_id": pd.array([f"o{i}" for i in rng.integers(0, 3000, n)], dtype="str"),
        }
    )


SQL = """
    SELECT member_id, count(*) AS rows, sum(amount) AS net, sum(amount) FILTER (WHERE amount >= 0) AS gross,
           count(DISTINCT order_id) AS orders
    FROM tx GROUP BY member_id ORDER BY member_id
"""


def _pandas(frame: pd.DataFrame) -> pd.DataFrame:
    g = frame.groupby("member_id")
    out = pd.DataFrame(
        {
            "rows": g.size(),
            "net": g["amount"].sum(),
            "gross": frame[frame["amount"] >= 0].groupby("member_id")["amount"].sum(),
            "orders": g["order_id"].nunique(),
        }
    )
    return out.sort_index()


@pytest.mark.parametrize("as_arrow", [True, False])
def test_run_sql_equals_a_pandas_groupby(rng, as_arrow):
    frame = _log(rng)
    table = pa.Table.from_pandas(frame, preserve_index=False) if as_arrow else frame
    got = run_sql(SQL, tx=table)
    assert isinstance(got, pa.Table)
    got = got.to_pandas().set_index("member_id")
    expected = _pandas(frame)
    assert got.index.tolist() == expected.index.tolist()
    np.testing.assert_array_equal(got["rows"].to_numpy(), expected["rows"].to_numpy())
    np.testing.assert_array_equal(got["orders"].to_numpy(), expected["orders"].to_numpy())
    np.testing.assert_allclose(got["net"].to_numpy(), expected["net"].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(got["gross"].to_numpy(float), expected["gross"].to_numpy(float), rtol=1e-12)


def test_run_sql_reads_several_named_tables(rng):
    tx = _log(rng)
    members = pd.DataFrame({"member_id": pd.array([f"{m:05d}" for m in range(0, 400, 2)], dtype="str")})
    got = run_sql(
        "SELECT count(*) AS n, sum(amount) AS s FROM tx JOIN m USING (member_id)",
        tx=pa.Table.from_pandas(tx, preserve_index=False),
        m=pa.Table.from_pandas(members, preserve_index=False),
    ).to_pylist()
    joined = tx[tx["member_id"].isin(set(members["member_id"]))]
    assert got[0]["n"] == len(joined)
    assert got[0]["s"] == pytest.approx(joined["amount"].sum(), rel=1e-12)


def test_duckdb_connections_have_bounded_memory(monkeypatch):
    """The workbench's DuckDB connections cap their memory (DuckDB's own default is 80% of the machine)."""
    from workbench.schema import DUCKDB_MEMORY_ENV, duckdb_connect, run_sql

    def limit(con) -> str:
        return con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]

    monkeypatch.delenv(DUCKDB_MEMORY_ENV, raising=False)
    con = duckdb_connect()
    assert limit(con).replace(" ", "") in {"2.7GiB", "2.8GiB", "3.0GB"}, limit(con)  # 3GB as DuckDB prints it
    con.close()
    monkeypatch.setenv(DUCKDB_MEMORY_ENV, "512MB")
    con = duckdb_connect({"preserve_insertion_order": False})
    assert limit(con).replace(" ", "") in {"488.2MiB", "512.0MB"}, limit(con)
    con.close()
    assert run_sql("SELECT 41 + 1 AS x").column("x")[0].as_py() == 42
