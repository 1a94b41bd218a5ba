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

Columns that already have the canonical dtype (a canonical Parquet or frame: ``str`` ids, ``datetime64[us]``,
``float64``) are neither re-parsed nor copied; every check runs on them all the same (vectorised).

The checks themselves, the member-id rule (leading zeros) and the order-line rule are in
``workbench.validation``; the ``data:`` params block and ``workbench validate`` in ``workbench.data_params``
(``DataParams``, ``validate_cli`` and ``DataValidationError`` are importable from here as well).
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.parsing import channel_of, parse_amounts, parse_dates
from workbench.schema import DATETIME_DTYPE, OPTIONAL_COLUMNS, REQUIRED_COLUMNS, finalize_transactions
from workbench.validation import (
    Collector,
    DataValidationError,
    Problem,
    after_observation_end,
    as_str,
    member_ids,
    order_conflicts,
    text_array,
)

CANONICAL = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
DEFAULT_TIMEZONE = "Asia/Taipei"
CHANNELS = ("store", "online")
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


# --------------------------------------------------------------------------------------------- reading


def is_url(source: str) -> bool:
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


# --------------------------------------------------------------------------------------------- columns


def _norm_header(name: object) -> str:
    import unicodedata

    return unicodedata.normalize("NFKC", str(name)).strip().lstrip("\ufeff")


def _map_columns(frame: pd.DataFrame, columns: dict[str, str] | None, col: Collector) -> dict[str, pd.Series]:
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


def _category(values: pd.Series) -> pd.Categorical:
    """Categorical column (sorted categories; store/online channels in that order; empty -> missing).

    Already-categorical input is kept. Codes come from Arrow's hash kernels, not Python strings.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.array
    text = text_array(values)
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, text.type), text)
    cats = pa.array(_category_order(pc.unique(text).drop_null().to_pylist()), text.type)
    codes = pc.fill_null(pc.index_in(text, cats), -1).to_numpy(zero_copy_only=False)
    return pd.Categorical.from_codes(codes, categories=pd.Index(cats.to_pylist(), dtype="str"))


def _category_order(names) -> list[str]:
    """Categories in order: store/online (all of them) when the values are channels, else sorted."""
    return list(CHANNELS) if set(names) <= set(CHANNELS) else sorted(set(names))


def _channels(cat: pd.Categorical) -> pd.Categorical:
    """Channel labels such as 門市, 網路商店, E-Commerce as the canonical ``store``/``online`` (``CHANNEL_LABELS``).

    Works on the few categories, not the rows; labels it does not know are kept (they count as neither).
    """
    names = [channel_of(str(c)) for c in cat.categories]
    if names == list(cat.categories):
        return cat
    final = _category_order(names)
    remap = np.array([final.index(n) for n in names] + [-1], dtype=np.int64)  # code -1 stays missing
    return pd.Categorical.from_codes(remap[cat.codes], categories=pd.Index(final, dtype="str"))


def _datetimes(values: pd.Series, date_format: str, tz: str, col: Collector) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_convert(tz).dt.tz_localize(None)
        out = values.to_numpy().astype("datetime64[us]", copy=False)  # read-only view when canonical
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
    values: pd.Series, name: str, currency: str | None, col: Collector
) -> tuple[np.ndarray, np.ndarray]:
    if values.dtype == np.float64:  # canonical already: nothing to parse, NaN is the missing value
        out = values.to_numpy()  # read-only view, no copy
        return out, np.isnan(out)
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
        other = pc.and_(pc.not_equal(currencies, ""), pc.not_equal(currencies, currency.upper()))
        other = other.to_numpy(zero_copy_only=False)
        col.rows(
            "currency_mismatch",
            name,
            other & ~bad,
            raw,
            f"with amounts in another currency than the params currency {currency.upper()}",
        )
    return out, missing


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
    col = Collector(name, {})
    cols = _map_columns(raw, columns, col)
    if len(raw) == 0:
        col.add("empty", None, "no data rows: the source is empty")
        raise DataValidationError(name, col.problems, convention)
    # a missing required column is already a problem; the columns that exist are still checked
    tz = opts.get("timezone") or DEFAULT_TIMEZONE
    n = len(raw)
    out: dict[str, object] = {}
    if "member_id" in cols:
        out["member_id"] = member_ids(cols["member_id"], opts.get("member_id_width"), col)
    when = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    if "ordered_at" in cols:
        when = out["ordered_at"] = _datetimes(cols["ordered_at"], date_format, tz, col)
        if cols["ordered_at"].dtype == DATETIME_DTYPE:
            out["ordered_at"] = cols["ordered_at"]  # canonical already: the column itself (no copy)
    amount = np.full(n, np.nan)
    if "amount" in cols:
        amount, missing = _amounts(cols["amount"], "amount", opts.get("currency"), col)
        col.rows("missing_amount", "amount", missing, cols["amount"], "without an amount")
        out["amount"] = cols["amount"] if cols["amount"].dtype == np.float64 else amount
    if "order_id" in cols:
        order = text_array(cols["order_id"])
        out["order_id"] = as_str(order)
    if "channel" in cols:
        out["channel"] = _channels(_category(cols["channel"]))
    if "discount" in cols:
        disc, _ = _amounts(cols["discount"], "discount", opts.get("currency"), col)
        canonical = cols["discount"].dtype == np.float64 and np.isfinite(disc).all()
        out["discount"] = cols["discount"] if canonical else np.nan_to_num(disc, nan=0.0)
    if "store" in cols:
        out["store"] = _category(cols["store"])

    if opts.get("observation_end") is not None:
        after_observation_end(when, opts["observation_end"], col)
    if "order_id" in cols and "member_id" in cols:
        order_conflicts(order, out["member_id"], when, amount, col)
    if col.problems:
        raise DataValidationError(name, col.problems, convention)
    return finalize_transactions(pd.DataFrame(out, copy=False))


_PARAMS_NAMES = ("DataParams", "describe_transactions", "validate_cli")


def __getattr__(name: str):
    """``DataParams``, ``describe_transactions`` and ``validate_cli`` live in ``workbench.data_params``
    (which imports this module, hence the lazy import)."""
    if name in _PARAMS_NAMES:
        from workbench import data_params

        return getattr(data_params, name)
    raise AttributeError(f"module 'workbench.data' has no attribute {name!r}")
