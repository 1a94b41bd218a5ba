"""Loading transaction exports into the canonical frame (``workbench.schema``), with validation.

``load_transactions`` reads CSV (UTF-8, UTF-8 with BOM, UTF-16 with BOM, Big5/CP950; detected or set by
``encoding=``), Parquet, a DuckDB database file (``table=``), an in-memory DataFrame, or a database URL
(``postgresql://...``, any SQLAlchemy URL; ``table=`` or ``query=``). It maps the source headers to the
contract by ``columns`` (canonical name -> source header, e.g. ``{"member_id": "會員編號"}``), parses the
text that real exports hold (see ``workbench.data.parsing``) and validates the result. All problems found are
collected and raised together as one ``DataValidationError``; nothing is returned from data that failed.

Row numbers in errors are 1-based data rows: for a CSV, row 1 is the first line after the header (file
line = row + 1, blank lines not counted); for Parquet, DuckDB, databases and DataFrames, row 1 is the
first row of the table as read.

Columns that already have the canonical dtype (a canonical Parquet or frame: ``str`` ids, ``datetime64[us]``,
``float64``) are neither re-parsed nor copied; every check runs on them all the same (vectorised).

The checks themselves, the member-id rule (leading zeros) and the order-line rule are in
``workbench.data.validation``; reading each kind of source in ``workbench.data.sources``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.data.parsing import channel_of, parse_amounts, parse_dates
from workbench.data.sources import read_source
from workbench.data.validation import (
    Collector,
    DataValidationError,
    after_observation_end,
    as_str,
    member_ids,
    order_conflicts,
    text_array,
)
from workbench.schema import DATETIME_DTYPE, OPTIONAL_COLUMNS, REQUIRED_COLUMNS, finalize_transactions

CANONICAL = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
DEFAULT_TIMEZONE = "Asia/Taipei"
CHANNELS = ("store", "online")
#: The loader options a ``DataParams`` passes on (besides ``columns`` and ``date_format``).
LOAD_OPTIONS: tuple[str, ...] = (
    "encoding",
    "sep",
    "table",
    "query",
    "timezone",
    "currency",
    "observation_end",
    "member_id_width",
)
_OPTS = frozenset({*LOAD_OPTIONS, "members", "seed", "name"})


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
    pattern (``workbench.data.parsing``).

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
        from workbench.data.demo import generate_demo

        return generate_demo(opts.get("members", 5000), opts.get("seed", 42)).transactions
    if isinstance(source, str) and source == "cdnow":
        from workbench.data.demo import load_cdnow

        return load_cdnow()
    raw, name, convention = read_source(source, opts)
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
