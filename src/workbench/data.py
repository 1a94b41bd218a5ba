"""Loading transaction exports into the canonical frame (``workbench.schema``), with validation.

``load_transactions`` reads CSV (UTF-8, UTF-8 with BOM, UTF-16 with BOM, Big5/CP950; detected or set by
``encoding=``), Parquet, a DuckDB database file (``table=``), an in-memory DataFrame, or a database URL
(``postgresql://...``, any SQLAlchemy URL; ``table=`` or ``query=``). It maps the source headers to the
contract by ``columns`` (canonical name -> source header, e.g. ``{"member_id": "會員編號"}``), parses the
text that real exports hold (see ``workbench.parsing``) and validates the result. All problems found are
collected and raised together as one ``DataValidationError``; nothing is returned from data that failed.

Row numbers in errors are 1-based data rows: for a CSV, row 1 is the first line after the header (file
line = row + 1, blank lines not counted); for Parquet, DuckDB, databases and DataFrames, row 1 is the
first row of the table as read.

Member ids and leading zeros (the rule the loader applies):

* ids stored as numbers (an integer/decimal column in Parquet or a database) whose digit counts differ
  (``1`` and ``12345``) are rejected: their zero padding is gone and cannot be guessed. Ids that all have
  the same number of digits are accepted as text.
* text ids: when some digit-only ids start with ``0`` (so the brand zero-pads, to width W = the longest
  such id), digit-only ids shorter than W are rejected as "lost their leading zeros" (typically a
  round trip through Excel). Ids that look like decimals (``123.0``) are rejected too.
* ``member_id_width=N`` is the explicit repair: digit-only ids are left-padded with zeros to N digits
  (``member_id_width=1`` accepts numeric ids as they are).

Order lines: several rows with the same ``order_id`` are one order. They must agree on ``member_id`` (all
rows) and on the calendar day (purchase rows; a return row may carry its order's id on a later day).
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.parsing import parse_amounts, parse_dates
from workbench.schema import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, finalize_transactions

CANONICAL = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
MAX_EXAMPLES = 5
DEFAULT_TIMEZONE = "Asia/Taipei"
CHANNELS = ("store", "online")
_STR = pd.StringDtype("pyarrow", na_value=np.nan)
_OPTS = frozenset(
    {
        "encoding",
        "sep",
        "table",
        "query",
        "timezone",
        "currency",
        "observation_end",
        "member_id_width",
        "members",
        "seed",
        "name",
    }
)
_CSV_SUFFIXES = (".csv", ".txt", ".tsv")
_DUCKDB_SUFFIXES = (".duckdb", ".ddb")


# --------------------------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class Problem:
    """One data problem: what (``kind``), where (``column``, ``rows``), and a readable ``message``.

    ``rows`` holds up to five 1-based row numbers, ``values`` the offending values on those rows,
    ``count`` how many rows are affected in total (0 for problems of the whole source).
    """

    kind: str
    column: str | None
    message: str
    count: int = 0
    rows: tuple[int, ...] = ()
    values: tuple[str, ...] = ()


class DataValidationError(ValueError):
    """Input data failed validation; ``problems`` lists every problem found, ``source`` names the input."""

    def __init__(self, source: str, problems: list[Problem], convention: str = ""):
        self.source = source
        self.problems = list(problems)
        self.convention = convention
        n = len(self.problems)
        head = f"{source}: {n} problem{'s' if n != 1 else ''} found in the transactions"
        if convention and any(p.rows for p in self.problems):
            head += f" ({convention})"
        super().__init__(head + ":\n" + "\n".join(f"  - {p.message}" for p in self.problems))


def _show(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "<empty>"
    text = str(value)
    if text == "":
        return "<empty>"
    return repr(text if len(text) <= 40 else text[:37] + "...")


class _Collector:
    """Collects problems for one source; row numbers are positions + 1."""

    def __init__(self, source: str, names: dict[str, str]):
        self.source = source
        self.names = names  # canonical -> source header
        self.problems: list[Problem] = []

    def label(self, column: str) -> str:
        src = self.names.get(column)
        return f"column '{column}'" + (f" (source '{src}')" if src and src != column else "")

    def add(self, kind: str, column: str | None, message: str) -> None:
        self.problems.append(Problem(kind, column, message))

    def rows(self, kind: str, column: str, mask: np.ndarray, raw, what: str, hint: str = "") -> None:
        """Report the rows in ``mask`` (``raw``: the source values, indexable by position)."""
        idx = np.flatnonzero(mask)
        if not len(idx):
            return
        first = idx[:MAX_EXAMPLES]
        if callable(raw):
            values = tuple(raw(int(i)) for i in first)
        else:
            values = tuple(_show(raw.iloc[i] if isinstance(raw, pd.Series) else raw[i]) for i in first)
        rows = tuple(int(i) + 1 for i in first)
        more = ", ..." if len(idx) > len(first) else ""
        examples = ", ".join(f"row {r}: {v}" for r, v in zip(rows, values, strict=True))
        n = len(idx)
        msg = f"{self.label(column)}: {n:,} row{'s' if n != 1 else ''} {what} ({examples}{more})"
        self.problems.append(Problem(kind, column, msg + (f"; {hint}" if hint else ""), n, rows, values))


# --------------------------------------------------------------------------------------------- reading


def _is_url(source: str) -> bool:
    return "://" in source and not source.startswith("file://")


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


def _read(source, opts: dict) -> tuple[pd.DataFrame, str, str]:
    """Raw frame, a name for messages, and the row-number convention."""
    positional = "row numbers are 1-based positions in the table as read"
    if isinstance(source, pd.DataFrame):
        return source.reset_index(drop=True), opts.get("name", "DataFrame"), positional
    text = str(source)
    if _is_url(text):
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


# --------------------------------------------------------------------------------------------- columns


def _norm_header(name: object) -> str:
    import unicodedata

    return unicodedata.normalize("NFKC", str(name)).strip().lstrip("\ufeff")


def _map_columns(
    frame: pd.DataFrame, columns: dict[str, str] | None, col: _Collector
) -> dict[str, pd.Series]:
    """canonical name -> source Series; records unknown/unmapped/missing column problems."""
    headers = {_norm_header(c): c for c in frame.columns}
    shown = ", ".join(repr(_norm_header(c)) for c in frame.columns) or "none"
    out: dict[str, pd.Series] = {}
    columns = dict(columns or {})
    for canon in columns:
        if canon not in CANONICAL:
            col.add(
                "unknown_column_key",
                canon,
                f"params columns: {canon!r} is not a transaction column; allowed: {', '.join(CANONICAL)}",
            )
    for canon in CANONICAL:
        if canon in columns:
            src = _norm_header(columns[canon])
            if src in headers:
                out[canon] = frame[headers[src]]
                col.names[canon] = src
            else:
                col.add(
                    "unmapped_column",
                    canon,
                    f"params columns maps {canon} -> {src!r}, but the source has no column {src!r} "
                    f"(headers: {shown})",
                )
        elif canon in headers:
            out[canon] = frame[headers[canon]]
        elif canon in REQUIRED_COLUMNS:
            col.add(
                "missing_column",
                canon,
                f"required column '{canon}' missing: the source has no column '{canon}' and params columns "
                f"does not map it (headers: {shown})",
            )
    return out


def _text_array(values: pd.Series) -> pa.Array:
    """Any column as trimmed text (numbers without a trailing '.0' when they are integral)."""
    if pd.api.types.is_float_dtype(values.dtype):
        v = values.to_numpy(dtype="float64", na_value=np.nan)
        if np.all(np.isnan(v) | (v == np.round(v))):
            values = pd.Series(v).astype("Int64")
    if not (pd.api.types.is_string_dtype(values.dtype) or values.dtype == object):
        values = values.astype("str").where(values.notna(), None)
    arr = pa.array(values.array, from_pandas=True) if len(values) else pa.array([], pa.string())
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = pc.cast(arr, pa.large_string())
    return pc.utf8_trim_whitespace(arr)


def _as_str(arr: pa.Array) -> pd.Series:
    """A pyarrow string array as a pandas ``str`` Series (Arrow-backed, NaN for missing), without copying."""
    chunked = arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])
    chunked = chunked.cast(pa.large_string())
    return pd.Series(pd.arrays.ArrowStringArray(chunked, dtype=_STR), copy=False)


def _category(values: pd.Series) -> pd.Categorical:
    """Categorical column (sorted categories; store/online channels in that order; empty -> missing).

    Already-categorical input is kept. Codes come from Arrow's hash kernels, not Python strings.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.array
    text = _text_array(values)
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, text.type), text)
    cats = pc.unique(text).drop_null()
    if set(cats.to_pylist()) <= set(CHANNELS):
        cats = pa.array(CHANNELS, text.type)
    else:
        cats = pc.take(cats, pc.array_sort_indices(cats))
    codes = pc.fill_null(pc.index_in(text, cats), -1).to_numpy(zero_copy_only=False)
    return pd.Categorical.from_codes(codes, categories=pd.Index(cats.to_pylist(), dtype="str"))


def _np(arr: pa.Array) -> np.ndarray:
    return arr.to_numpy(zero_copy_only=False)


def _member_ids(values: pd.Series, width: int | None, col: _Collector) -> pd.Series:
    numeric = pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype)
    if values.dtype == object and len(values) and not values.dropna().map(type).eq(str).all():
        numeric = True
        values = pd.to_numeric(values, errors="coerce")
    raw = values.reset_index(drop=True)
    if numeric:
        v = values.to_numpy(dtype="float64", na_value=np.nan)
        fractional = ~np.isnan(v) & (v != np.round(v))
        col.rows("member_id_not_integer", "member_id", fractional, raw, "with numbers that are not whole ids")
        ids = pd.Series(np.where(fractional, np.nan, v)).astype("Int64")
        text = pa.array(ids.astype("str").where(ids.notna(), None).array, from_pandas=True)
    else:
        text = _text_array(values)
    missing = _np(pc.fill_null(pc.equal(text, ""), True))
    col.rows("missing_member_id", "member_id", missing, raw, "without a member id")
    digits = pc.fill_null(pc.utf8_is_digit(text), False)
    length = pc.fill_null(pc.utf8_length(text), 0)
    if width:
        pad = pc.and_(digits, pc.less(length, width))
        text = pc.if_else(pad, pc.utf8_lpad(text, width=int(width), padding="0"), text)
        return _as_str(text)
    if numeric:
        lens = _np(length)
        ok = ~missing
        if ok.any() and lens[ok].min() != lens[ok].max():
            short = ok & (lens < lens[ok].max())
            col.rows(
                "member_id_numeric",
                "member_id",
                short,
                raw,
                f"with member ids stored as numbers ({values.dtype}) with fewer digits than the longest id "
                f"({lens[ok].max()}): their leading zeros are lost",
                "export member ids as text, or set member_id_width to zero-pad them",
            )
        return _as_str(text)
    decimal = np.zeros(len(missing), dtype=bool)
    if pc.any(pc.match_substring(text, ".")).as_py():
        decimal = _np(pc.fill_null(pc.match_substring_regex(text, r"^\d+\.0+$"), False))
    col.rows(
        "member_id_decimal",
        "member_id",
        decimal,
        raw,
        "with member ids that look like converted decimals",
        "export member ids as text (Excel: format the column as Text)",
    )
    zero_led = pc.and_(digits, pc.fill_null(pc.starts_with(text, "0"), False))
    if pc.any(zero_led).as_py():
        w = pc.max(pc.filter(length, zero_led)).as_py()
        short = _np(pc.and_(digits, pc.less(length, w)))
        col.rows(
            "member_id_zeros",
            "member_id",
            short,
            raw,
            f"with digit-only member ids shorter than the zero-padded width {w} that other ids use: "
            "their leading zeros were probably stripped (e.g. by Excel)",
            f"re-export ids as text, or set member_id_width: {w} to zero-pad them",
        )
    return _as_str(text)


def _datetimes(values: pd.Series, date_format: str, tz: str, col: _Collector) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_convert(tz).dt.tz_localize(None)
        out = values.to_numpy().astype("datetime64[us]")
        col.rows("missing_date", "ordered_at", np.isnat(out), out, "without a date")
        return out
    if values.dtype == object and len(values) and not values.dropna().map(type).eq(str).all():
        values = pd.Series(pd.to_datetime(values, errors="coerce", utc=False))  # datetime.date objects (DB)
        return _datetimes(values, date_format, tz, col)
    out, bad, missing = parse_dates(values, date_format, tz)
    raw = values
    fmt = "" if date_format == "auto" else f" with date_format {date_format!r}"
    col.rows(
        "bad_date",
        "ordered_at",
        bad,
        raw,
        f"with dates that cannot be parsed{fmt}",
        "formats read: 2024-03-05, 2024/03/05, 20240305, ROC 113/03/05 or 1130305, optionally with a time; "
        "set date_format (roc or a strftime pattern such as %m/%d/%Y) for others",
    )
    col.rows("missing_date", "ordered_at", missing, raw, "without a date")
    return out


def _amounts(
    values: pd.Series, name: str, currency: str | None, col: _Collector
) -> tuple[np.ndarray, np.ndarray]:
    out, bad, missing, currencies = parse_amounts(values)
    raw = values
    col.rows(
        f"bad_{name}",
        name,
        bad,
        raw,
        "with amounts that cannot be parsed",
        "amounts read: 1200, 1,200.50, NT$1,200, HK$5, -300, (300), full-width digits",
    )
    if currencies is not None and currency:
        other = _np(pc.and_(pc.not_equal(currencies, ""), pc.not_equal(currencies, currency.upper())))
        col.rows(
            "currency_mismatch",
            name,
            other & ~bad,
            raw,
            f"with amounts in another currency than the params currency {currency.upper()}",
        )
    return out, missing


ORDER_CONFLICTS_SQL = """
SELECT order_id,
       min(member_id) <> max(member_id) AS member_conflict,
       coalesce(min(day) FILTER (WHERE purchase) <> max(day) FILTER (WHERE purchase), false) AS day_conflict
FROM lines
WHERE order_id <> ''
GROUP BY order_id
HAVING count(*) > 1 AND (member_conflict OR day_conflict)
"""


def _order_conflicts(
    order: pa.Array, member: pd.Series, when: np.ndarray, amount: np.ndarray, col: _Collector
):
    """Rows of one order_id that disagree on member_id (any row) or calendar day (purchase rows).

    Order ids are hashed (DuckDB ``hash``, 64 bits) and sorted; only rows whose hash repeats can be lines
    of a multi-row order, and the exact check (``ORDER_CONFLICTS_SQL``, one GROUP BY) runs on those rows.
    """
    import duckdb

    has = _np(pc.fill_null(pc.not_equal(order, ""), False))
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        # 1) cheap exact pre-check: distinct 64-bit hashes mean distinct ids, so only rows whose hash
        #    occurs twice can belong to a multi-row order (no hash table over 10M strings needed)
        con.register("ids", pa.table({"order_id": order}))
        h = con.sql("SELECT hash(order_id) AS h FROM ids").to_arrow_table()["h"].to_numpy()
        s = np.sort(h[has])
        repeated = np.unique(s[1:][s[1:] == s[:-1]])
        if not len(repeated):
            return  # every order id occurs once
        cand = has & np.isin(h, repeated)
        # 2) exact check on the candidate rows
        purchase = ~(amount < 0) & ~np.isnat(when)
        sel = pa.array(cand)
        lines = pa.table(
            {
                "order_id": pc.filter(order, sel),
                "member_id": pc.filter(pa.array(member.array, from_pandas=True), sel),
                "day": pa.array(
                    when[cand].astype("datetime64[D]").astype(np.int32), mask=np.isnat(when[cand])
                ),
                "purchase": pa.array(purchase[cand]),
            }
        )
        con.register("lines", lines)
        bad = con.sql(ORDER_CONFLICTS_SQL).to_arrow_table()
    if bad.num_rows == 0:
        return
    order_s = _as_str(order)

    def fmt(i: int) -> str:
        stamp = "" if np.isnat(when[i]) else f" on {np.datetime_as_string(when[i], unit='s')}"
        return f"{order_s.iloc[i]!r} member {member.iloc[i]!r}{stamp}"

    for what, flag, rows in (
        ("member_id", "member_conflict", np.ones(len(when), dtype=bool)),
        ("date", "day_conflict", purchase),
    ):
        ids = pc.filter(bad["order_id"], bad[flag])
        if len(ids) == 0:
            continue
        mask = _np(pc.fill_null(pc.is_in(order, ids), False)) & rows
        n = len(ids)
        col.rows(
            "order_conflict",
            "order_id",
            mask,
            fmt,
            f"in {n:,} order id{'s' if n != 1 else ''} whose rows disagree on {what}",
            "rows of one order_id are lines of one order and must share member_id and calendar day"
            + (" (returns excepted)" if what == "date" else ""),
        )


# --------------------------------------------------------------------------------------------- loading


def load_transactions(
    source, columns: dict[str, str] | None = None, date_format: str = "auto", **opts
) -> pd.DataFrame:
    """Load and validate transactions into the canonical frame.

    ``source``: ``"demo"`` (``members=``, ``seed=``), ``"cdnow"``, a ``.csv``/``.tsv``/``.txt``,
    ``.parquet`` or ``.duckdb`` path, a DataFrame, or a database URL (``postgresql://user@host/db``; the
    psycopg driver is used) with ``table=`` (``schema.table`` allowed) or ``query=``.

    ``columns``: canonical name -> source header (``{"member_id": "會員編號"}``); unmapped canonical
    columns are taken from headers of the same name. ``date_format``: ``auto``, ``roc`` or a strftime
    pattern (``workbench.parsing``).

    Options: ``encoding`` (CSV; default detected: BOM, UTF-8, else CP950/Big5), ``sep`` (CSV; default
    sniffed from the header), ``table``/``query`` (DuckDB, databases), ``timezone`` (for values with a UTC
    offset or time zone; default Asia/Taipei), ``currency`` (reject amounts that name another currency),
    ``observation_end`` (reject rows after it; a date without time means the whole day),
    ``member_id_width`` (zero-pad digit-only ids; see the module doc), ``name`` (for a DataFrame source).

    Raises ``DataValidationError`` listing every problem found (see ``Problem``).
    """
    unknown = set(opts) - _OPTS
    if unknown:
        raise TypeError(f"load_transactions: unknown option(s) {sorted(unknown)}; allowed: {sorted(_OPTS)}")
    if isinstance(source, str) and source == "demo":
        from workbench.demo import generate_demo

        return generate_demo(opts.get("members", 5000), opts.get("seed", 42)).transactions
    if isinstance(source, str) and source == "cdnow":
        from workbench.demo import load_cdnow

        return load_cdnow()
    raw, name, convention = _read(source, opts)
    return _canonical(raw, name, convention, columns, date_format, opts)


def _canonical(
    raw: pd.DataFrame, name: str, convention: str, columns, date_format: str, opts: dict
) -> pd.DataFrame:
    col = _Collector(name, {})
    cols = _map_columns(raw, columns, col)
    if len(raw) == 0:
        col.add("empty", None, "no data rows: the source is empty")
        raise DataValidationError(name, col.problems, convention)
    # a missing required column is already a problem; the columns that exist are still checked
    tz = opts.get("timezone") or DEFAULT_TIMEZONE
    n = len(raw)
    out: dict[str, object] = {}
    if "member_id" in cols:
        out["member_id"] = _member_ids(cols["member_id"], opts.get("member_id_width"), col)
    when = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    if "ordered_at" in cols:
        when = out["ordered_at"] = _datetimes(cols["ordered_at"], date_format, tz, col)
    amount = np.full(n, np.nan)
    if "amount" in cols:
        amount, missing = _amounts(cols["amount"], "amount", opts.get("currency"), col)
        col.rows("missing_amount", "amount", missing, cols["amount"], "without an amount")
        out["amount"] = amount
    if "order_id" in cols:
        order = _text_array(cols["order_id"])
        out["order_id"] = _as_str(order)
    if "channel" in cols:
        out["channel"] = _category(cols["channel"])
    if "discount" in cols:
        disc, _ = _amounts(cols["discount"], "discount", opts.get("currency"), col)
        out["discount"] = np.nan_to_num(disc, nan=0.0)
    if "store" in cols:
        out["store"] = _category(cols["store"])

    end = opts.get("observation_end")
    if end is not None:
        end_ts = pd.Timestamp(end)
        cutoff = (
            end_ts + pd.Timedelta(days=1) if end_ts == end_ts.normalize() else end_ts + pd.Timedelta(1, "us")
        )
        late = ~np.isnat(when) & (when >= cutoff.to_datetime64())
        shown = np.datetime_as_string(when, unit="s")
        col.rows(
            "after_observation_end",
            "ordered_at",
            late,
            shown,
            f"dated after the observation end {end_ts:%Y-%m-%d %H:%M:%S}",
        )
    if "order_id" in cols and "member_id" in cols:
        _order_conflicts(order, out["member_id"], when, amount, col)
    if col.problems:
        raise DataValidationError(name, col.problems, convention)
    return finalize_transactions(pd.DataFrame(out, copy=False))


# --------------------------------------------------------------------------------------------- params


@dataclass(frozen=True)
class DataParams:
    """The ``data:`` mapping of a params file (DESIGN.md); relative paths resolved against the file's folder."""

    transactions: str = "demo"
    columns: dict[str, str] = field(default_factory=dict)
    date_format: str = "auto"
    encoding: str | None = None
    currency: str = "TWD"
    timezone: str = DEFAULT_TIMEZONE
    table: str | None = None
    query: str | None = None
    sep: str | None = None
    observation_end: str | None = None
    member_id_width: int | None = None
    members: str | None = None
    campaign: str | None = None
    truth: str | None = None

    _PATHS: ClassVar[tuple[str, ...]] = ("transactions", "members", "campaign", "truth")

    def __post_init__(self):
        if not isinstance(self.columns, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.columns.items()
        ):
            raise ValueError(
                f"DataParams.columns must map canonical names to source headers, got {self.columns!r}"
            )
        bad = sorted(set(self.columns) - set(CANONICAL))
        if bad:
            raise ValueError(f"DataParams.columns: unknown column(s) {bad}; allowed: {', '.join(CANONICAL)}")
        if self.member_id_width is not None and (
            not isinstance(self.member_id_width, int) or self.member_id_width < 1
        ):
            raise ValueError(
                f"DataParams.member_id_width must be a positive integer, got {self.member_id_width!r}"
            )

    @classmethod
    def from_dict(cls, mapping: dict, base_dir: str | Path = ".") -> DataParams:
        allowed = list(cls.__dataclass_fields__)
        unknown = sorted(set(mapping) - set(allowed))
        if unknown:
            raise ValueError(f"DataParams: unknown key(s) {unknown} in data:; allowed: {', '.join(allowed)}")
        values = dict(mapping)
        for key in cls._PATHS:
            v = values.get(key)
            if isinstance(v, str) and v not in ("demo", "cdnow") and not _is_url(v):
                p = Path(v).expanduser()
                values[key] = os.path.normpath(p if p.is_absolute() else Path(base_dir) / p)
        if values.get("observation_end") is not None:  # YAML reads a bare 2026-10-31 as a date
            values["observation_end"] = str(values["observation_end"])
        return cls(**values)

    @classmethod
    def from_yaml(cls, path: str | Path) -> DataParams:
        """Read the ``data:`` mapping of a params YAML (other top-level keys are ignored)."""
        import yaml

        path = Path(path)
        if path.is_dir():
            path = path / "common.yaml"
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(doc, dict) or not isinstance(doc.get("data"), dict):
            raise ValueError(f"{path}: expected a top-level 'data:' mapping (see DESIGN.md)")
        return cls.from_dict(doc["data"], path.parent)

    def load_options(self) -> dict:
        opts = {
            k: getattr(self, k)
            for k in (
                "encoding",
                "sep",
                "table",
                "query",
                "timezone",
                "currency",
                "observation_end",
                "member_id_width",
            )
            if getattr(self, k) is not None
        }
        return opts

    def load(self) -> pd.DataFrame:
        """``load_transactions`` with these params."""
        return load_transactions(
            self.transactions, self.columns or None, self.date_format, **self.load_options()
        )


def describe_transactions(tx: pd.DataFrame, currency: str = "TWD") -> list[tuple[str, str]]:
    """Facts about a canonical frame, as (label, text) pairs for a report."""
    n = len(tx)
    ret = tx["is_return"].to_numpy()
    amount = tx["amount"].to_numpy()
    zero = amount == 0
    rows = [
        ("rows", f"{n:,}"),
        ("members", f"{tx['member_id'].nunique():,}"),
    ]
    if "order_id" in tx.columns:
        rows.append(("orders", f"{tx['order_id'].nunique():,}"))
    if n:
        rows.append(("date range", f"{tx['ordered_at'].min():%Y-%m-%d} .. {tx['ordered_at'].max():%Y-%m-%d}"))
    rows += [
        ("amount total", f"{currency} {amount.sum():,.2f}"),
        (
            "returns",
            f"{int(ret.sum()):,} rows ({ret.mean() if n else 0:.1%}), {currency} {amount[ret].sum():,.2f}",
        ),
        ("zero-amount rows", f"{int(zero.sum()):,}"),
    ]
    if "channel" in tx.columns:
        counts = tx["channel"].value_counts()
        rows.append(("channels", ", ".join(f"{k} {v:,}" for k, v in counts.items())))
    return rows


def validate_cli(args) -> int:
    """``workbench validate --params FILE``: load + validate the data a params file names; exit 0/1."""
    path = Path(args.params)
    print(f"workbench validate: {path}")
    try:
        params = DataParams.from_yaml(path)
    except (OSError, ValueError) as exc:
        print(f"  cannot read the params: {exc}", file=sys.stderr)
        print("FAILED")
        return 1
    except Exception as exc:  # yaml syntax errors
        print(f"  cannot read the params: {type(exc).__name__}: {exc}", file=sys.stderr)
        print("FAILED")
        return 1
    print(f"  {'source':<18}{params.transactions}" + (f" (table {params.table})" if params.table else ""))
    try:
        tx = params.load()
    except DataValidationError as exc:
        print(f"  {'problems':<18}{len(exc.problems)}")
        if exc.convention:
            print(f"  ({exc.convention})")
        for p in exc.problems:
            print(f"  - {p.message}")
        print("FAILED")
        return 1
    except (OSError, ValueError, TypeError) as exc:
        print(f"  cannot load: {exc}")
        print("FAILED")
        return 1
    for label, text in describe_transactions(tx, params.currency):
        print(f"  {label:<18}{text}")
    print(f"  {'problems':<18}none")
    print("OK")
    return 0
