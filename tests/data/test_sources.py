"""workbench.data.sources: every kind of source (Parquet, CSV in any encoding, DuckDB, a frame, SQLite and
PostgreSQL URLs) read into the same canonical frame."""

from __future__ import annotations

import pandas as pd
import pytest
from kit import write_text_file as write
from pg_kit import execute as _execute

from workbench.data import DataValidationError, load_transactions


def test_parquet_duckdb_dataframe_csv_agree(demo, tmp_path):
    import duckdb

    tx = demo.transactions
    tx.to_parquet(tmp_path / "tx.parquet", index=False)
    tx.to_csv(tmp_path / "tx.csv", index=False)
    with duckdb.connect(str(tmp_path / "shop.duckdb")) as con:
        con.register("src", tx)
        con.execute("CREATE TABLE sales AS SELECT * EXCLUDE (is_return) FROM src")
    pd.testing.assert_frame_equal(load_transactions(tmp_path / "tx.parquet"), tx)
    pd.testing.assert_frame_equal(load_transactions(tx), tx)
    # text sources get sorted categories for stores (the demo orders them by region)
    pd.testing.assert_frame_equal(load_transactions(tmp_path / "tx.csv"), tx, check_categorical=False)
    from_duck = load_transactions(tmp_path / "shop.duckdb", table="sales")
    pd.testing.assert_frame_equal(from_duck, tx, check_categorical=False)


@pytest.mark.parametrize(
    ("encoding", "sep"),
    [("utf-8", ","), ("utf-8-sig", ","), ("cp950", ","), ("big5", ";"), ("utf-16", "\t")],
)
def test_encodings_detected(tmp_path, encoding, sep):
    rows = [
        ["會員編號", "交易日期", "金額", "門市"],
        ["00012", "2024/03/05", '"NT$1,200"', "台北信義店"],
        ["00013", "2024/03/06", "980", "高雄夢時代店"],
    ]
    text = "".join(sep.join(r) + "\n" for r in rows)
    path = write(tmp_path / "tx.csv", text, encoding)
    tx = load_transactions(
        path, {"member_id": "會員編號", "ordered_at": "交易日期", "amount": "金額", "store": "門市"}
    )
    assert list(tx["member_id"]) == ["00012", "00013"]
    assert list(tx["amount"]) == [1200.0, 980.0]
    assert list(tx["store"]) == ["台北信義店", "高雄夢時代店"]


def test_explicit_wrong_encoding_is_reported(tmp_path):
    path = write(tmp_path / "tx.csv", "會員編號,交易日期,金額\n001,2024-01-01,5\n", "cp950")
    with pytest.raises(DataValidationError, match=r"(?s)tx\.csv.*not valid utf-8 text.*set the encoding"):
        load_transactions(path, encoding="utf-8")


def test_database_url_sqlite(small_csv, tmp_path):
    import sqlite3

    with sqlite3.connect(tmp_path / "shop.db") as con:
        con.execute("CREATE TABLE sales (member_id TEXT, ordered_at TEXT, amount REAL, order_id TEXT)")
        con.executemany(
            "INSERT INTO sales VALUES (?, ?, ?, ?)",
            [
                ("0001", "2024-03-05 10:00:00", 100, "A1"),
                ("0002", "2024-03-06", 250.5, "A2"),
                ("0001", "2024-03-07", -40, "A3"),
            ],
        )
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    pd.testing.assert_frame_equal(load_transactions(url, table="sales"), load_transactions(small_csv))
    with pytest.raises(ValueError, match=r"needs table= or query="):
        load_transactions(url)


# --------------------------------------------------------------------------------------------- PostgreSQL
# load_transactions from a real PostgreSQL server through a database URL (``postgres_url``: tests/conftest.py,
# a throwaway server from pg_kit.postgres_server). The tests are marked ``postgres``.


@pytest.mark.postgres
def test_postgres_table_equals_csv(postgres_url, demo, tmp_path):
    tx = demo.transactions
    csv_path = tmp_path / "tx.csv"
    tx.drop(columns="is_return").to_csv(csv_path, index=False)
    _execute(
        postgres_url,
        "CREATE TABLE sales (member_id text, ordered_at timestamp, amount numeric(12, 2), order_id text, "
        "channel text, discount numeric(12, 2), store text)",
        csv_path.read_text(encoding="utf-8"),
    )
    from_csv = load_transactions(csv_path)
    for url in (postgres_url, postgres_url.replace("postgresql://", "postgresql+psycopg://")):
        from_db = load_transactions(url, table="sales")
        assert len(from_db) == len(tx)
        # a heap scan returns rows in no guaranteed order: compare in order_id order (unique in the demo)
        pd.testing.assert_frame_equal(
            from_db.sort_values("order_id", ignore_index=True),
            from_csv.sort_values("order_id", ignore_index=True),
        )
    via_query = load_transactions(
        postgres_url, query="SELECT * FROM sales WHERE amount < 0 ORDER BY order_id"
    )
    assert via_query["is_return"].all() and len(via_query) == int(tx["is_return"].sum())


@pytest.mark.postgres
def test_postgres_types_checked(postgres_url):
    _execute(
        postgres_url,
        "CREATE TABLE pos (member_no bigint, sold_at timestamptz, total numeric(10, 2));"
        "INSERT INTO pos VALUES (12, '2024-03-05 06:30:00+00', 100), (4567, '2024-03-05 23:30:00+00', 25.5)",
    )
    cols = {"member_id": "member_no", "ordered_at": "sold_at", "amount": "total"}
    with pytest.raises(
        DataValidationError,
        match=r"(?s)table pos: 1 problem.*column 'member_id' \(source 'member_no'\): 1 row with member ids stored "
        r"as numbers \(int64\) .*\(row 1: '12'\)",
    ):
        load_transactions(postgres_url, cols, table="pos")
    tx = load_transactions(postgres_url, cols, table="pos", member_id_width=6, timezone="Asia/Taipei")
    by_id = tx.set_index("member_id")
    assert by_id.loc["000012", "ordered_at"] == pd.Timestamp("2024-03-05 14:30:00")  # UTC -> Taipei (+08:00)
    assert by_id.loc["004567", "ordered_at"] == pd.Timestamp("2024-03-06 07:30:00")
    assert by_id.loc["004567", "amount"] == 25.5


# --------------------------------------------------------------------------------------------- credentials
@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("postgresql://reader:s3cret@db.local:5432/sales", "postgresql://reader:***@db.local:5432/sales"),
        ("postgresql+psycopg://u:p@ss@h/db", "postgresql+psycopg://u:***@h/db"),  # '@' inside the password
        (
            "error at mysql://a:b@h/x and sqlite:///tmp/x.db",
            "error at mysql://a:***@h/x and sqlite:///tmp/x.db",
        ),
        (
            "postgresql://u@h/db?sslmode=require&password=x1",
            "postgresql://u@h/db?sslmode=require&password=***",
        ),
        (
            "postgresql://u:${DB_PASSWORD}@h/db",
            "postgresql://u:${DB_PASSWORD}@h/db",
        ),  # a reference, no secret
        ("postgresql://u@h/db", "postgresql://u@h/db"),
        ("no url here: a@b.c", "no url here: a@b.c"),
    ],
)
def test_mask_url(text, masked):
    from workbench.data import mask_url

    assert mask_url(text) == masked


def test_expand_env_and_the_env_file(tmp_path, monkeypatch):
    from workbench.data import expand_env, load_env_file
    from workbench.errors import ArgumentError

    assert expand_env("postgresql://u:${PW}@h/db", {"PW": "x$y"}) == "postgresql://u:x$y@h/db"
    with pytest.raises(ArgumentError, match=r"environment variable\(s\) PW, OTHER, which are not set"):
        expand_env("postgresql://${OTHER_USER}:${PW}@h/${OTHER}", {"OTHER_USER": "u"})
    monkeypatch.delenv("WB_ENV_A", raising=False)
    monkeypatch.setenv("WB_ENV_B", "from the environment")
    assert load_env_file(tmp_path) == []  # no .env: nothing
    (tmp_path / ".env").write_text(
        "# credentials\nexport WB_ENV_A='s3 cret'\n\nWB_ENV_B=from the file\n", encoding="utf-8"
    )
    assert load_env_file(tmp_path) == ["WB_ENV_A", "WB_ENV_B"]
    import os

    assert os.environ["WB_ENV_A"] == "s3 cret"  # quotes removed
    assert os.environ["WB_ENV_B"] == "from the environment"  # the environment wins
    monkeypatch.delenv("WB_ENV_A")
    (tmp_path / ".env").write_text("WB_ENV_A=1\nnot a line\n", encoding="utf-8")
    with pytest.raises(ArgumentError, match=r"\.env: line 2 is not NAME=value"):
        load_env_file(tmp_path)
