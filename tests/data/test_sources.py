"""workbench.data.sources: every kind of source (Parquet, CSV in any encoding, DuckDB, a frame, SQLite and
PostgreSQL URLs) read into the same canonical frame."""

from __future__ import annotations

import pandas as pd
import pytest
from kit import write_text_file as write
from pg_kit import execute as _execute
from pg_kit import free_port, postgres_server

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
    with pytest.raises(DataValidationError, match=r"needs table= or query= \(exactly one\): set data\.table"):
        load_transactions(url)
    with pytest.raises(
        DataValidationError,
        match=r"table nope: 1 problem.*\n  - the database has no table 'nope'; tables there: sales",
    ):
        load_transactions(url, table="nope")


# --------------------------------------------------------------------------------------------- PostgreSQL
# load_transactions from a real PostgreSQL server through a database URL: a throwaway server started by
# pg_kit.postgres_server (initdb + pg_ctl on a free localhost port), asking for a password (so that a wrong
# one is refused). The tests are marked ``postgres``.

PG_PASSWORD = "s3cr3t-Pw"


@pytest.fixture(scope="module")
def postgres_url():
    with postgres_server(password=PG_PASSWORD) as url:
        yield url


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


@pytest.mark.postgres
def test_database_errors_are_messages_without_the_password(postgres_url):
    """A wrong password, a closed port, a missing table and a URL without table: each one message naming the
    source and what to do, with the password masked (they were tracebacks)."""
    wrong = postgres_url.replace(PG_PASSWORD, "Wr0ng-Pass")
    with pytest.raises(
        DataValidationError, match=r"cannot read from the database: .*password authentication failed"
    ) as e:
        load_transactions(wrong, table="sales")
    assert "Wr0ng-Pass" not in str(e.value) and "postgres:***@127.0.0.1" in str(e.value)
    closed = postgres_url.rsplit(":", 1)[0] + f":{free_port()}/postgres"
    with pytest.raises(DataValidationError, match=r"cannot read from the database: .*(refused|failed)") as e:
        load_transactions(closed, table="sales")
    assert PG_PASSWORD not in str(e.value)
    _execute(postgres_url, "CREATE TABLE IF NOT EXISTS shop_a (member_id text)")
    with pytest.raises(
        DataValidationError, match=r"the database has no table 'salez'; tables there: .*shop_a"
    ) as e:
        load_transactions(postgres_url, table="salez")
    assert PG_PASSWORD not in str(e.value)
    with pytest.raises(DataValidationError, match=r"needs table= or query=") as e:
        load_transactions(postgres_url)
    assert PG_PASSWORD not in str(e.value)
    with pytest.raises(DataValidationError, match=r"the query failed: .*salez") as e:
        load_transactions(postgres_url, query="SELECT * FROM salez")
    assert PG_PASSWORD not in str(e.value)


def test_mask_url_also_masks_the_password_a_driver_quotes():
    from workbench.data import mask_url

    url = "postgresql://shop:p%40ss-w0rd@db.example:5432/pos?sslmode=require"
    assert mask_url(url) == "postgresql://shop:***@db.example:5432/pos?sslmode=require"
    text = f"connection to {url} failed: password 'p@ss-w0rd' rejected"
    assert (
        mask_url(text, url)
        == "connection to postgresql://shop:***@db.example:5432/pos?sslmode=require failed: password '***' rejected"
    )
    assert mask_url("mysql://u@h/db?password=hunter2&x=1") == "mysql://u@h/db?password=***&x=1"
    assert mask_url("exports/tx.csv") == "exports/tx.csv"


def test_duplicated_header_is_named(tmp_path):
    """Was "'DataFrame' object has no attribute 'dtype'"."""
    path = write(
        tmp_path / "tx.csv", "member_id,ordered_at,amount,amount,note,note\n0001,2024-01-01,5,6,a,b\n"
    )
    with pytest.raises(
        DataValidationError,
        match=r"tx\.csv: 1 problem.*\n  - the header has 2 columns named 'amount' \(columns 3, 4\): cannot tell which "
        r"one is amount; rename or remove the others in the export",
    ):
        load_transactions(path)
    # a duplicated column that nothing reads is harmless
    ok = write(tmp_path / "ok.csv", "member_id,ordered_at,amount,note,note\n0001,2024-01-01,5,a,b\n")
    assert list(load_transactions(ok)["amount"]) == [5.0]


def test_unreadable_files_are_messages(tmp_path):
    with pytest.raises(
        DataValidationError, match=r"nope\.csv: 1 problem.*\n  - no such file: check data\.transactions"
    ):
        load_transactions(tmp_path / "nope.csv")
    (tmp_path / "tx.zip").write_bytes(b"PK")
    with pytest.raises(DataValidationError, match=r"cannot read files ending '\.zip': unpack it"):
        load_transactions(tmp_path / "tx.zip")
    (tmp_path / "tx.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(DataValidationError, match=r"(?s)tx\.parquet: .*not a readable Parquet file"):
        load_transactions(tmp_path / "tx.parquet")
    import duckdb

    with duckdb.connect(str(tmp_path / "shop.duckdb")) as con:
        con.execute("CREATE TABLE a (x INT); CREATE TABLE b (x INT)")
    with pytest.raises(
        DataValidationError, match=r"the database holds 2 tables: name one; tables there: a, b"
    ):
        load_transactions(tmp_path / "shop.duckdb")
    with pytest.raises(DataValidationError, match=r"the database has no table 'sales'; tables there: a, b"):
        load_transactions(tmp_path / "shop.duckdb", table="sales")


def test_parquet_with_pandas_metadata_that_does_not_fit_is_read(tmp_path):
    """pandas metadata naming its index column twice made pd.read_parquet fail; the columns are read as
    they are, the index column dropped."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = pd.DataFrame(
        {"member_id": ["01", "02", "03"], "ordered_at": ["2024-01-01"] * 3, "amount": [1.0, 2.0, 3.0]},
        index=pd.Index([7, 7, 8]),
    )
    table = pa.Table.from_pandas(frame)
    meta = json.loads(table.schema.metadata[b"pandas"])
    meta["index_columns"] = meta["index_columns"] * 2
    pq.write_table(
        table.replace_schema_metadata({b"pandas": json.dumps(meta).encode()}), tmp_path / "odd.parquet"
    )
    with pytest.raises(Exception):  # noqa: B017 - the failure this guards against
        pd.read_parquet(tmp_path / "odd.parquet")
    pd.testing.assert_frame_equal(load_transactions(tmp_path / "odd.parquet"), load_transactions(frame))


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


@pytest.mark.postgres
def test_postgres_is_read_arrow_native(postgres_url, demo, tmp_path, monkeypatch):
    """A postgresql:// source is read through ADBC (binary COPY into Arrow): the driver answers (no fallback)
    and the canonical frame is SQLAlchemy + pandas.read_sql's; a timestamptz keeps its instant."""
    from workbench.data import sources

    tx = demo.transactions.head(3000)
    csv_path = tmp_path / "tx.csv"
    tx.drop(columns="is_return").to_csv(csv_path, index=False)
    _execute(
        postgres_url,
        "CREATE TABLE arrow_sales (member_id text, ordered_at timestamp, amount numeric(12, 2), "
        "order_id text, channel text, discount numeric(12, 2), store text)",
        csv_path.read_text(encoding="utf-8"),
    )
    raw = sources.read_postgres_arrow(postgres_url, "public.arrow_sales", None)
    assert raw is not None and len(raw) == len(tx) and raw["amount"].dtype == "float64"
    arrow = load_transactions(postgres_url, table="arrow_sales").sort_values("order_id", ignore_index=True)
    monkeypatch.setattr(sources, "read_postgres_arrow", lambda *a: None)  # the SQLAlchemy path
    read_sql = load_transactions(postgres_url, table="arrow_sales").sort_values("order_id", ignore_index=True)
    pd.testing.assert_frame_equal(arrow, read_sql)
    pd.testing.assert_frame_equal(
        arrow, load_transactions(csv_path).sort_values("order_id", ignore_index=True)
    )
    assert sources.read_postgres_arrow(postgres_url, "no_such_table", None) is None


@pytest.mark.postgres
def test_postgres_numeric_arrives_as_the_double_of_its_text(postgres_url):
    """NUMERIC columns are converted by the server (numeric::float8): every value is float(Decimal(text)),
    for a table and for a query (with a trailing semicolon and a repeated column name, read as it is)."""
    from decimal import Decimal

    from workbench.data import sources

    texts = ["0.1", "1234567.89", "-0.01", "0.0000001234", "99999999.99999999", "3.14159265358979323846", "0"]
    rows = "id,value\n" + "".join(f"{i},{t}\n" for i, t in enumerate(texts))
    _execute(postgres_url, "CREATE TABLE exact_numbers (id integer, value numeric(30, 22))", rows)
    expected = [float(Decimal(t)) for t in texts]
    table = sources.read_postgres_arrow(postgres_url, "exact_numbers", None).sort_values("id")
    assert table["value"].dtype == "float64" and table["value"].tolist() == expected
    query = sources.read_postgres_arrow(
        postgres_url, None, "SELECT id, value, value AS again FROM exact_numbers ORDER BY id;"
    )
    assert query["value"].tolist() == expected and query["again"].tolist() == expected
    dupes = sources.read_postgres_arrow(postgres_url, None, "SELECT id, value, value FROM exact_numbers")
    assert dupes is not None and len(dupes) == len(texts)
