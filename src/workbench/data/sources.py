"""Reading a source as it is: CSV (encoding detected, ``.gz`` too), Excel, Parquet, a DuckDB file, a database.

``read_source(source, opts)`` returns a ``Source``: the raw frame (CSV and Excel columns as text), a name for
messages, the row-number convention and, for Excel, the sheet's row numbers; ``workbench.data.loader`` maps
and parses it into the canonical frame. Whatever cannot be read (a missing file or sheet, an unknown
suffix, a database that refuses the connection, a missing table, a file in two encodings) is one
``DataValidationError`` naming the source and what to do; a database password never appears in it
(``mask_url``).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from workbench.data.encoding import EncodingProblem, detect_encoding, diagnose, open_binary
from workbench.data.excel import EXCEL_SUFFIXES, read_excel
from workbench.data.validation import DataValidationError
from workbench.data.validation import source_error as _fail
from workbench.errors import ArgumentError

_CSV_SUFFIXES = (".csv", ".txt", ".tsv")
_DUCKDB_SUFFIXES = (".duckdb", ".ddb")
_POSITIONAL = "row numbers are 1-based positions in the table as read"
_CSV_ROWS = "row numbers count data rows from 1, the header not counted: file line = row + 1"


@dataclass(frozen=True)
class Source:
    """A source as read.

    ``frame`` (raw columns), ``name`` (for messages), ``convention`` (how rows are numbered), ``row_numbers``
    (the row number of each frame row, when not position + 1), ``excel``.
    """

    frame: pd.DataFrame
    name: str
    convention: str
    row_numbers: np.ndarray | None = None
    excel: bool = False


def is_url(source: str) -> bool:
    """Whether ``source`` is a database URL (``scheme://...``, not ``file://``)."""
    return "://" in source and not source.startswith("file://")


# scheme://user:password@host -> the password is everything up to the last "@" before the host
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s/:@]*):([^\s/]*)@")
_QUERY_SECRET = re.compile(r"([?&](?:password|passwd|pwd|secret|token|sslpassword|api_key)=)[^&\s'\"]*", re.I)
_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def mask_url(text: str, url: str | None = None) -> str:
    """``text`` with the password of every URL in it replaced by ``***``.

    ``postgresql://reader:s3cret@db/sales`` becomes ``postgresql://reader:***@db/sales``; a password given
    as a query option (``?password=...``, ``token=``, ``secret=``) is masked too. A reference to the
    environment (``reader:${SALES_DB_PASSWORD}@``, see :func:`expand_env`) is no secret and stays. Anything
    else is unchanged, so the function can be applied to any message, page or file before it is shown or
    written.

    Parameters
    ----------
    text : str
        Any text (a URL, an error message, a whole page).
    url : str, optional
        The URL connected with: its password is also masked wherever else it occurs in ``text`` (a
        driver's message that quotes it without the URL around it).

    Returns
    -------
    str
        The same text without passwords.
    """
    text = str(text)
    if url:
        from urllib.parse import unquote

        secrets = [
            m.group(2) for m in _URL_PASSWORD.finditer(url) if not _ENV_REFERENCE.fullmatch(m.group(2))
        ]
        secrets += [m.group(0).split("=", 1)[1] for m in _QUERY_SECRET.finditer(url)]
        for secret in sorted({v for s in secrets for v in (s, unquote(s))}, key=len, reverse=True):
            if len(secret) >= 3:  # a one- or two-letter password would mask every such letter
                text = text.replace(secret, "***")
    if "://" not in text and "=" not in text:
        return text

    def hide(match: re.Match) -> str:
        secret = match.group(2)
        return match.group(0) if _ENV_REFERENCE.fullmatch(secret) else f"{match.group(1)}:***@"

    return _QUERY_SECRET.sub(r"\1***", _URL_PASSWORD.sub(hide, text))


def expand_env(url: str, env=None) -> str:
    """A database URL with each ``${NAME}`` replaced by the environment variable ``NAME``.

    The params keep the reference (``postgresql://reader:${SALES_DB_PASSWORD}@db/sales``), the secret
    lives in the environment or a ``.env`` file beside the params; only the connection sees the value.

    Parameters
    ----------
    url : str
        The source as written in the params.
    env : mapping, optional
        Where to look the names up (default ``os.environ``).

    Returns
    -------
    str
        The URL to connect with.

    Raises
    ------
    ArgumentError
        When a referenced variable is not set (the message names the variable, never a value).
    """
    import os

    env = os.environ if env is None else env
    missing = [name for name in _ENV_REFERENCE.findall(url) if name not in env]
    if missing:
        raise ArgumentError(
            f"data.transactions refers to the environment variable(s) {', '.join(missing)}, which are not "
            "set: set them in the environment or in a .env file beside the params (never committed)"
        )
    return _ENV_REFERENCE.sub(lambda m: env[m.group(1)], url)


ENV_FILE = ".env"
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


def load_env_file(folder) -> list[str]:
    """Read ``folder/.env`` (``NAME=value`` lines, ``#`` comments, optional quotes) into ``os.environ``.

    Variables already set in the environment win. Used for the credentials of a database source
    (``PGPASSWORD=...``, or a name that the URL refers to as ``${NAME}``); the file is git-ignored.

    Parameters
    ----------
    folder : str or Path
        The params folder (a missing ``.env`` is fine).

    Returns
    -------
    list of str
        The names read from the file (never their values).
    """
    import os

    path = Path(folder) / ENV_FILE
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    names = []
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _ENV_LINE.match(line)
        if match is None:
            raise ArgumentError(f"{path}: line {number} is not NAME=value")
        name, value = match.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        os.environ.setdefault(name, value)
        names.append(name)
    return names


# --------------------------------------------------------------------------------------------- CSV


def _header(path: Path, encoding: str, sep: str | None) -> tuple[list[str], str]:
    with open_binary(path) as fh:
        line = io.TextIOWrapper(fh, encoding=encoding, newline="").readline()
    line = line.lstrip("\ufeff")
    if sep is None:
        counts = {s: line.count(s) for s in (",", "\t", ";", "|")}
        sep = max(counts, key=counts.get) if max(counts.values()) else ","
    return next(csv.reader(io.StringIO(line), delimiter=sep), []), sep


def _read_csv_as(path: Path, encoding: str, sep: str | None) -> pd.DataFrame:
    import codecs

    import pyarrow.csv as pacsv

    names, delim = _header(path, encoding, sep)
    arrow_enc = "utf8" if codecs.lookup(encoding).name in ("utf-8", "utf-8-sig") else encoding
    table = pacsv.read_csv(
        path,  # pyarrow decompresses .gz by the suffix
        read_options=pacsv.ReadOptions(encoding=arrow_enc),
        parse_options=pacsv.ParseOptions(delimiter=delim),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    frame = table.to_pandas()
    frame.columns = [str(c) for c in table.column_names]
    return frame


def _decode_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return isinstance(exc, UnicodeError) or "decode" in text or "invalid utf8" in text or "utf-8" in text


def _read_csv(path: Path, encoding: str | None, sep: str | None) -> pd.DataFrame:
    """All columns as text. Encoding: as given, else detected (``workbench.data.encoding``)."""
    name = str(path)
    try:
        enc = encoding or detect_encoding(path)
        try:
            return _read_csv_as(path, enc, sep)
        except (UnicodeError, pa.ArrowInvalid) as exc:
            if not _decode_error(exc):
                raise
            again = diagnose(path, encoding)  # raises EncodingProblem unless another encoding reads it all
            if again == enc:
                raise
            return _read_csv_as(path, again, sep)
    except EncodingProblem as exc:
        raise _fail(name, "encoding", str(exc)) from None
    except LookupError:
        raise _fail(
            name, "encoding", f"encoding {encoding!r} is not a known codec; try utf-8, cp950, utf-16"
        ) from None
    except (UnicodeError, pa.ArrowInvalid) as exc:
        raise _fail(name, "csv_format", f"not a readable CSV: {exc}") from None
    except (OSError, EOFError) as exc:  # a damaged .gz, a file that vanished
        raise _fail(name, "unreadable", f"cannot be read: {exc}") from None


# --------------------------------------------------------------------------------------------- Parquet


def _read_parquet(path: Path) -> pd.DataFrame:
    """The table as pandas; pandas metadata that no longer fits the columns (an index written twice) is ignored, and index columns pandas wrote are dropped."""
    import pyarrow.parquet as pq

    try:
        return pd.read_parquet(path)
    except (pa.ArrowException, ValueError, TypeError, KeyError, OSError):
        pass
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise _fail(str(path), "unreadable", f"not a readable Parquet file: {exc}") from None
    keep = [c for c in table.column_names if not re.fullmatch(r"__index_level_\d+__", c)]
    return table.select(keep).to_pandas(ignore_metadata=True)


# --------------------------------------------------------------------------------------------- databases


def _no_table(name: str, what: str, tables: list[str]) -> DataValidationError:
    listed = ", ".join(tables[:20]) + (", ..." if len(tables) > 20 else "") if tables else "none"
    return _fail(name, "no_table", f"{what}; tables there: {listed} (set data.table / table=)")


def _quote_table(table: str) -> str:
    """``schema.table`` as quoted SQL identifiers."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in table.split("."))


def _arrow_frame(table: pa.Table) -> pd.DataFrame:
    """An ADBC result as pandas: NUMERIC columns (the driver's opaque extension over their text) as float64, the value ``float(Decimal(text))`` that ``pandas.read_sql`` gives the loader; other extensions as text."""
    columns = []
    for field, column in zip(table.schema, table.itercolumns(), strict=True):
        if isinstance(column.type, pa.BaseExtensionType):
            column = pa.chunked_array([c.storage for c in column.chunks], column.type.storage_type)
            if (field.metadata or {}).get(b"POSTGRESQL:type") == b"numeric":
                column = column.cast(pa.float64())
        columns.append(column)
    return pa.table(columns, names=table.column_names).to_pandas()


def read_postgres_arrow(url: str, table: str | None, query: str | None) -> pd.DataFrame | None:
    """A PostgreSQL table or query read through ADBC's Arrow-native driver (binary COPY, no Python rows).

    Parameters
    ----------
    url : str
        ``postgresql://`` or ``postgres://`` URL (password from the URL or ``PGPASSWORD``).
    table : str, optional
        ``schema.table`` (or ``table``).
    query : str, optional
        A SELECT (used when ``table`` is None).

    Returns
    -------
    DataFrame or None
        The rows as pandas; None when the driver is not installed or the read fails (the caller then reads
        through SQLAlchemy, whose errors name the host, the table and the tables there).
    """
    try:
        import adbc_driver_postgresql.dbapi as adbc
    except ImportError:
        return None
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    sql = f"SELECT * FROM {_quote_table(table)}" if table is not None else query.strip().rstrip(";")
    try:
        with adbc.connect(url) as conn, conn.cursor() as cur:
            try:
                cur.execute(_float_numeric_sql(cur, sql))
            except Exception:  # a query the rewrite cannot wrap: read it as it is
                conn.rollback()  # the failed statement aborted the transaction
                cur.execute(sql)
            result = cur.fetch_arrow_table()
    except Exception:  # any driver error: the SQLAlchemy path reports it as the loader always has
        return None
    return _arrow_frame(result)


def _float_numeric_sql(cur, sql: str) -> str:
    """``sql`` with its NUMERIC columns converted to float8 by the server.

    The driver's binary COPY sends NUMERIC as text that the client then parses: three times the transfer of
    float8 (the 1M-row demo log: 1.23 s against 0.85 s). PostgreSQL's ``numeric::float8`` parses the numeric's
    text with ``strtod``, the correctly rounded double, so the values equal ``float(Decimal(text))``, what
    ``_arrow_frame`` and ``pandas.read_sql`` give. The columns are learnt from the statement itself
    (``LIMIT 0``: one round trip, no rows).
    """
    cur.execute(f"SELECT * FROM ({sql}) AS source LIMIT 0")
    schema = cur.fetch_arrow_table().schema
    numeric = [(f.metadata or {}).get(b"POSTGRESQL:type") == b"numeric" for f in schema]
    if not any(numeric):
        return sql
    names = ['"' + name.replace('"', '""') + '"' for name in schema.names]
    items = [f"{n}::float8 AS {n}" if is_num else n for n, is_num in zip(names, numeric, strict=True)]
    return f"SELECT {', '.join(items)} FROM ({sql}) AS source"


def _read_sql(url: str, table: str | None, query: str | None) -> tuple[pd.DataFrame, str]:
    import sqlalchemy as sa

    given = url
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    safe = mask_url(url)
    if (table is None) == (query is None):
        raise _fail(
            safe,
            "no_table",
            "a database source needs table= or query= (exactly one): set data.table (or data.query) in the params",
        )
    name = f"{safe} {'table ' + table if table else 'query'}"
    if given.startswith(("postgresql://", "postgres://")):  # Arrow-native first (ADBC: binary COPY)
        frame = read_postgres_arrow(given, table, query)
        if frame is not None:
            return frame, name
    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, ImportError, ValueError) as exc:
        raise _fail(safe, "database", f"not a usable database URL: {mask_url(str(exc), url)}") from None
    try:
        with engine.connect() as conn:
            if table is not None:
                schema, _, tname = table.rpartition(".")
                try:
                    tbl = sa.Table(tname, sa.MetaData(), autoload_with=conn, schema=schema or None)
                except sa.exc.NoSuchTableError:
                    tables = sa.inspect(conn).get_table_names(schema=schema or None)
                    raise _no_table(name, f"the database has no table {table!r}", tables) from None
                frame = pd.read_sql(sa.select(tbl), conn)
            else:
                frame = pd.read_sql(sa.text(query), conn)
    except (sa.exc.SQLAlchemyError, pd.errors.DatabaseError) as exc:
        cause = exc.__cause__ if isinstance(exc, pd.errors.DatabaseError) and exc.__cause__ else exc
        detail = str(getattr(cause, "orig", None) or cause).strip().splitlines()
        first = next((line for line in detail if line.strip()), type(exc).__name__)
        query_error = isinstance(cause, sa.exc.ProgrammingError | sa.exc.DataError)
        what = "the query failed" if query_error else "cannot read from the database"
        raise _fail(
            name,
            "database",
            f"{what}: {mask_url(first.strip(), url)}; check the host, port, database, user and password "
            "of data.transactions (and data.table / data.query)",
        ) from None
    finally:
        engine.dispose()
    return frame, name


def _read_duckdb(path: Path, table: str | None, query: str | None) -> pd.DataFrame:
    import duckdb

    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise _fail(str(path), "unreadable", f"not a readable DuckDB database: {exc}") from None
    try:
        tables = [
            ".".join(r) if r[0] != "main" else r[1]
            for r in con.execute("SELECT table_schema, table_name FROM information_schema.tables").fetchall()
        ]
        if query is None:
            if table is None:
                if len(tables) != 1:
                    raise _no_table(str(path), f"the database holds {len(tables)} tables: name one", tables)
                table = tables[0]
            quoted = ".".join('"' + p.replace('"', '""') + '"' for p in table.split("."))
            query = f"SELECT * FROM {quoted}"
        try:
            return con.execute(query).df()
        except duckdb.CatalogException:
            raise _no_table(f"{path} table {table}", f"the database has no table {table!r}", tables) from None
        except duckdb.Error as exc:
            raise _fail(str(path), "database", f"the query failed: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()


# --------------------------------------------------------------------------------------------- dispatch


def _suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    if len(suffixes) == 2 and suffixes[1] == ".gz":
        return suffixes[0] + ".gz"
    return path.suffix.lower()


def read_source(source, opts: dict) -> Source:
    """The source as read (see ``Source``); ``opts`` are ``load_transactions``' options."""
    if isinstance(source, pd.DataFrame):
        return Source(source.reset_index(drop=True), opts.get("name", "DataFrame"), _POSITIONAL)
    text = str(source)
    if is_url(text):
        frame, name = _read_sql(text, opts.get("table"), opts.get("query"))
        return Source(frame, name, _POSITIONAL)
    path = Path(source)
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "no such file"
        raise _fail(
            str(path),
            "no_file",
            f"{what}: check data.{opts.get('param', 'transactions')} (relative paths are relative to the params file)",
        )
    suffix = _suffix(path)
    if suffix == ".parquet":
        return Source(_read_parquet(path), str(path), _POSITIONAL)
    if suffix in _DUCKDB_SUFFIXES:
        name = f"{path} table {opts['table']}" if opts.get("table") else str(path)
        return Source(_read_duckdb(path, opts.get("table"), opts.get("query")), name, _POSITIONAL)
    if suffix in EXCEL_SUFFIXES:
        frame, rows, name, header = read_excel(path, opts.get("sheet"))
        rule = f"row numbers as Excel shows them: header = row {header}, first data row = row {header + 1}"
        return Source(frame, name, rule, rows, True)
    plain = suffix[:-3] if suffix.endswith(".gz") else suffix
    if plain in _CSV_SUFFIXES:
        if path.stat().st_size == 0:
            raise _fail(str(path), "empty", "no data rows: the file is empty (0 bytes)")
        sep = opts.get("sep") or ("\t" if plain == ".tsv" else None)
        return Source(_read_csv(path, opts.get("encoding"), sep), str(path), _CSV_ROWS)
    if suffix in (".zip", ".7z", ".rar", ".bz2", ".xz"):
        hint = "unpack it and point data.transactions at the CSV or sheet inside"
    elif suffix == ".xls":
        hint = "open it in Excel and save it as .xlsx (or export CSV)"
    else:
        hint = "export the data as .csv, .xlsx or .parquet"
    allowed = ", ".join(
        (
            "'.parquet'",
            *map(repr, _CSV_SUFFIXES),
            "'.csv.gz'",
            *map(repr, EXCEL_SUFFIXES),
            *map(repr, _DUCKDB_SUFFIXES),
        )
    )
    raise _fail(
        str(path),
        "unsupported",
        f"cannot read files ending {suffix or '(no suffix)'!r}: {hint}; readable are {allowed}, "
        "'demo', 'cdnow' and database URLs",
    )
