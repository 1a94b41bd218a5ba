"""Reading a source as it is: CSV (encoding detected), Parquet, a DuckDB file, a database URL.

``read_source(source, opts)`` returns the raw frame (CSV columns as text), a name for messages and the
row-number convention; ``workbench.data.loader`` maps and parses it into the canonical frame.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa

from workbench.data.validation import (
    DataValidationError,
    Problem,
)
from workbench.errors import ArgumentError

_CSV_SUFFIXES = (".csv", ".txt", ".tsv")


_DUCKDB_SUFFIXES = (".duckdb", ".ddb")


def is_url(source: str) -> bool:
    """Whether ``source`` is a database URL (``scheme://...``, not ``file://``)."""
    return "://" in source and not source.startswith("file://")


# scheme://user:password@host -> the password is everything up to the last "@" before the host
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s/:@]*):([^\s/]*)@")
_QUERY_SECRET = re.compile(r"([?&](?:password|passwd|pwd|secret|token|sslpassword|api_key)=)[^&\s'\"]*", re.I)
_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def mask_url(text: str) -> str:
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

    Returns
    -------
    str
        The same text without passwords.
    """
    text = str(text)
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


def _detect_encoding(path: Path) -> str:
    """BOM, else UTF-8 if the first 64 KiB decode, else CP950 (Big5), else charset-normalizer's guess."""
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for enc in ("utf-8", "cp950"):
        try:
            codecs.getincrementaldecoder(enc)().decode(head, final=False)
            return enc
        except UnicodeDecodeError:
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(head).best()
    return best.encoding if best is not None else "utf-8"


def _header(path: Path, encoding: str, sep: str | None) -> tuple[list[str], str]:
    with path.open("r", encoding=encoding, newline="") as fh:
        line = fh.readline()
    line = line.lstrip("\ufeff")
    if sep is None:
        counts = {s: line.count(s) for s in (",", "\t", ";", "|")}
        sep = max(counts, key=counts.get) if max(counts.values()) else ","
    return next(csv.reader(io.StringIO(line), delimiter=sep), []), sep


def _read_csv_as(path: Path, encoding: str, sep: str | None) -> pd.DataFrame:
    import pyarrow.csv as pacsv

    names, delim = _header(path, encoding, sep)
    arrow_enc = "utf8" if codecs.lookup(encoding).name in ("utf-8", "utf-8-sig") else encoding
    table = pacsv.read_csv(
        path,
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
    return isinstance(exc, UnicodeDecodeError) or "decode" in str(exc).lower()


def _read_csv(path: Path, encoding: str | None, sep: str | None) -> pd.DataFrame:
    """All columns as text. Encoding: as given, else detected; a detected UTF-8 that fails later in the
    file is retried as CP950 (Big5)."""
    tried = [encoding or _detect_encoding(path)]
    if encoding is None and tried[0] != "cp950":
        tried.append("cp950")
    for i, enc in enumerate(tried):
        try:
            return _read_csv_as(path, enc, sep)
        except (UnicodeDecodeError, pa.ArrowInvalid) as exc:
            if _decode_error(exc) and i + 1 < len(tried):
                continue
            if _decode_error(exc):
                msg = (
                    f"the file is not valid {' or '.join(tried)} text ({exc}); set the encoding "
                    "(params data.encoding / encoding=): utf-8, utf-8-sig, cp950 (Big5), utf-16"
                )
                raise DataValidationError(str(path), [Problem("encoding", None, msg)]) from exc
            raise DataValidationError(
                str(path), [Problem("csv_format", None, f"not a readable CSV: {exc}")]
            ) from exc
    raise AssertionError("unreachable")


def _read_sql(url: str, table: str | None, query: str | None) -> tuple[pd.DataFrame, str]:
    import sqlalchemy as sa

    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    if (table is None) == (query is None):
        safe = sa.engine.make_url(url).render_as_string(hide_password=True)
        raise ValueError(f"load_transactions: a database source needs table= or query= (exactly one): {safe}")
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if table is not None:
                schema, _, name = table.rpartition(".")
                tbl = sa.Table(name, sa.MetaData(), autoload_with=conn, schema=schema or None)
                frame = pd.read_sql(sa.select(tbl), conn)
            else:
                frame = pd.read_sql(sa.text(query), conn)
    finally:
        engine.dispose()
    safe = engine.url.render_as_string(hide_password=True)
    return frame, f"{safe} {'table ' + table if table else 'query'}"


def _read_duckdb(path: Path, table: str | None, query: str | None) -> pd.DataFrame:
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        if query is None:
            if table is None:
                tables = [
                    r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
                ]
                if len(tables) != 1:
                    raise ValueError(f"load_transactions: {path} holds tables {tables}; pass table=")
                table = tables[0]
            quoted = ".".join('"' + p.replace('"', '""') + '"' for p in table.split("."))
            query = f"SELECT * FROM {quoted}"
        return con.execute(query).df()
    finally:
        con.close()


def read_source(source, opts: dict) -> tuple[pd.DataFrame, str, str]:
    """Raw frame, a name for messages, and the row-number convention."""
    positional = "row numbers are 1-based positions in the table as read"
    if isinstance(source, pd.DataFrame):
        return source.reset_index(drop=True), opts.get("name", "DataFrame"), positional
    text = str(source)
    if is_url(text):
        frame, name = _read_sql(text, opts.get("table"), opts.get("query"))
        return frame, name, positional
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"load_transactions: no such file: {path}")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pd.read_parquet(path), str(path), positional
    if suffix in _DUCKDB_SUFFIXES:
        name = f"{path} table {opts['table']}" if opts.get("table") else str(path)
        return _read_duckdb(path, opts.get("table"), opts.get("query")), name, positional
    if suffix in _CSV_SUFFIXES:
        if path.stat().st_size == 0:
            raise DataValidationError(
                str(path), [Problem("empty", None, "no data rows: the file is empty (0 bytes)")]
            )
        sep = opts.get("sep") or ("\t" if suffix == ".tsv" else None)
        frame = _read_csv(path, opts.get("encoding"), sep)
        return (
            frame,
            str(path),
            "row numbers count data rows from 1, the header not counted: file line = row + 1",
        )
    raise ValueError(
        f"load_transactions: cannot read {path}: suffix {suffix!r} is not one of "
        f"{('.parquet', *_CSV_SUFFIXES, *_DUCKDB_SUFFIXES)}; 'demo', 'cdnow' and database URLs are also accepted"
    )
