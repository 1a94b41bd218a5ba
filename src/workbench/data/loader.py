"""Loading transaction exports into the canonical frame (``workbench.schema``), with validation.

``load_transactions`` reads CSV (UTF-8, UTF-8 with BOM, UTF-16 with BOM, Big5/CP950; detected or set by
``encoding=``; ``.csv.gz`` too), Excel (``.xlsx``, ``sheet=``), Parquet, a DuckDB database file (``table=``),
an in-memory DataFrame, or a database URL (``postgresql://...``, any SQLAlchemy URL; ``table=`` or
``query=``). It maps the source headers to the contract by ``columns`` (canonical name -> source header,
e.g. ``{"member_id": "會員編號"}``), parses the text that real exports hold (``workbench.data.dates``,
``workbench.data.amounts``) and validates the result. All problems found are collected and raised together
as one ``DataValidationError``; nothing is returned from data that failed.

Line-level exports: without an ``amount`` column, ``quantity`` x ``unit_price`` (minus the line's
``discount`` where one is mapped) is the amount; a negative quantity is a return.

Guest rows (member id empty or one of ``guest_ids``) are set apart before the member-id checks, left out of
the returned frame and counted in ``frame.attrs["guests"]`` (``{"rows": int, "revenue": float}``, net of
returns; ``guest_totals(frame)``). Verbatim duplicate rows are an error, or dropped with
``duplicate_rows="drop"`` (counted in ``frame.attrs["duplicates_dropped"]``).

Row numbers in errors: for a CSV, row 1 is the first line after the header (file line = row + 1, blank
lines not counted); for Excel, the sheet's own row numbers (header = row 1, first data row = row 2); for
Parquet, DuckDB, databases and DataFrames, row 1 is the first row of the table as read.

Columns that already have the canonical dtype (a canonical Parquet or frame: ``str`` ids, ``datetime64[us]``,
``float64``) are neither re-parsed nor copied; every check runs on them all the same (vectorised).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from workbench.data.amounts import DECIMAL_MARKS, read_amounts
from workbench.data.columns import category, channels, map_columns
from workbench.data.dates import date_format_problem, date_formats, read_dates
from workbench.data.ids import DEFAULT_GUEST_IDS, guest_rows, member_id_text, member_ids, scientific_ids
from workbench.data.rows import duplicate_rows, multi_row_orders, order_conflicts
from workbench.data.sources import Source, read_source
from workbench.data.validation import (
    Collector,
    DataValidationError,
    after_observation_end,
    as_str,
    future_dates,
    text_array,
)
from workbench.errors import ArgumentError
from workbench.schema import DATETIME_DTYPE, finalize_transactions

DEFAULT_TIMEZONE = "Asia/Taipei"
DEFAULT_MAX_AMOUNT = 10_000_000.0
DUPLICATE_ROWS: tuple[str, ...] = ("error", "drop")
#: The loader options a ``DataParams`` passes on (besides ``columns`` and ``date_format``).
LOAD_OPTIONS: tuple[str, ...] = (
    "encoding",
    "sep",
    "sheet",
    "table",
    "query",
    "timezone",
    "currency",
    "observation_end",
    "member_id_width",
    "guest_ids",
    "max_amount",
    "duplicate_rows",
    "decimal",
)
_OPTS = frozenset({*LOAD_OPTIONS, "members", "seed", "name"})


# --------------------------------------------------------------------------------------------- options


def _bad(name: str, problem: str) -> ArgumentError:
    return ArgumentError(f"load_transactions: {name} {problem}")


def check_options(date_format, opts: dict) -> None:
    """Raise ``ArgumentError`` for a loader option outside what it accepts (names the option and value)."""
    if not isinstance(date_format, str) and not (
        isinstance(date_format, Sequence) and date_format and all(isinstance(f, str) for f in date_format)
    ):
        raise _bad(
            "date_format",
            f"must be auto, roc, a strftime pattern or a non-empty list of them; got {date_format!r}",
        )
    for fmt in date_formats(date_format):
        problem = date_format_problem(fmt)
        if problem:
            raise _bad("date_format", problem)
    guests = opts.get("guest_ids", DEFAULT_GUEST_IDS)
    if (
        isinstance(guests, str)
        or not isinstance(guests, Sequence)
        or not all(isinstance(g, str) for g in guests)
    ):
        raise _bad("guest_ids", f"must be a list of texts; got {guests!r}")
    limit = opts.get("max_amount", DEFAULT_MAX_AMOUNT)
    if (
        isinstance(limit, bool)
        or not isinstance(limit, int | float)
        or not limit > 0
        or not np.isfinite(limit)
    ):
        raise _bad("max_amount", f"must be a positive number; got {limit!r}")
    if opts.get("duplicate_rows", "error") not in DUPLICATE_ROWS:
        raise _bad("duplicate_rows", f"must be one of 'error', 'drop'; got {opts['duplicate_rows']!r}")
    if opts.get("decimal", "auto") not in DECIMAL_MARKS:
        raise _bad("decimal", f"must be one of 'auto', '.', ','; got {opts['decimal']!r}")
    end = opts.get("observation_end")
    if end is not None:
        problem = observation_end_problem(end)
        if problem:
            raise _bad("observation_end", problem)


def observation_end_problem(end) -> str | None:
    """Why ``end`` is not a usable observation end (``None`` when it is)."""
    try:
        stamp = pd.Timestamp(end)
    except (ValueError, TypeError):
        return f"must be a date such as 2026-10-31 (or a date and time); got {end!r}"
    if stamp is pd.NaT or stamp.tzinfo is not None:
        return f"must be a date such as 2026-10-31, without a time zone; got {end!r}"
    return None


# --------------------------------------------------------------------------------------------- values

_DATE_HINT = (
    "formats read: 2024-03-05, 2024/03/05, 20240305, ROC 113/03/05, 1130305 or 民國113年3月5日, optionally with "
    "a time; set date_format (roc, a strftime pattern such as %m/%d/%Y, or a list of patterns) for others"
)


def _datetimes(values: pd.Series, date_format, tz: str, excel: bool, col: Collector) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_convert(tz).dt.tz_localize(None)
        out = values.to_numpy().astype("datetime64[us]", copy=False)  # read-only view when canonical
        col.rows("missing_date", "ordered_at", np.isnat(out), out, "without a date")
        return out
    if values.dtype == object and len(values) and not values.dropna().map(type).eq(str).all():
        values = pd.Series(pd.to_datetime(values, errors="coerce", utc=False))  # datetime.date objects (DB)
        return _datetimes(values, date_format, tz, excel, col)
    parsed = read_dates(values, date_format, tz, excel=excel)
    fmt = "" if date_format == "auto" else f" with date_format {date_format!r}"
    col.rows(
        "bad_date", "ordered_at", parsed.bad, values, f"with dates that cannot be parsed{fmt}", _DATE_HINT
    )
    col.rows(
        "two_digit_year",
        "ordered_at",
        parsed.two_digit_year,
        values,
        "with two-digit years, which could be 20xx, a 民國 year or a day",
        "set date_format to the export's pattern (e.g. %y/%m/%d or %m/%d/%y), or roc for 民國 years",
    )
    col.rows(
        "ambiguous_date",
        "ordered_at",
        parsed.ambiguous,
        values,
        f"with ambiguous dates: two patterns of date_format {list(date_formats(date_format))} read them as "
        "different dates (e.g. day-first and month-first)",
        "keep only the pattern the export uses, or correct these rows",
    )
    col.rows("missing_date", "ordered_at", parsed.missing, values, "without a date")
    return parsed.values


def _amounts(
    values: pd.Series, name: str, what: str, currency: str | None, decimal: str, col: Collector
) -> tuple[np.ndarray, np.ndarray]:
    """Parsed values and the mask of empty rows; problems of the column reported."""
    if values.dtype == np.float64:  # canonical already: nothing to parse, NaN is the missing value
        out = values.to_numpy()  # read-only view, no copy
        col.rows(f"non_finite_{name}", name, np.isinf(out), out, f"with non-finite {what} (inf or -inf)")
        return out, np.isnan(out)
    parsed = read_amounts(values, decimal)
    col.rows(
        f"bad_{name}",
        name,
        parsed.bad,
        values,
        f"with {what} that cannot be parsed",
        "amounts read: 1200, 1,200.50, 1.200,50, NT$1,200, HK$5, -300, (300), full-width digits",
    )
    col.rows(f"non_finite_{name}", name, parsed.non_finite, values, f"with non-finite {what} (inf or nan)")
    other = "1.234,50 (a decimal comma)" if parsed.decimal == "." else "1,234.50 (a decimal point)"
    mine = "1,234.50 (a decimal point)" if parsed.decimal == "." else "1.234,50 (a decimal comma)"
    col.rows(
        f"mixed_separators_{name}",
        name,
        parsed.mixed,
        values,
        f"written as {other} while the column's other values are written as {mine}: one rule per column",
        "re-export the column with one decimal mark, or set decimal",
    )
    col.rows(
        f"ambiguous_{name}",
        name,
        parsed.ambiguous,
        values,
        "with a dot and three digits (3.400) that may be a decimal point (3.4) or a thousands separator "
        "(3400): no other value of the column tells which",
        "set decimal: '.' if the dot is the decimal point, or decimal: ',' if it separates thousands",
    )
    if parsed.currencies is not None and currency:
        foreign = pc.and_(
            pc.not_equal(parsed.currencies, ""), pc.not_equal(parsed.currencies, currency.upper())
        )
        col.rows(
            "currency_mismatch",
            name,
            foreign.to_numpy(zero_copy_only=False) & ~parsed.bad,
            values,
            f"with {what} in another currency than the params currency {currency.upper()}",
        )
    return parsed.values, parsed.missing


def _too_large(values: np.ndarray, raw, name: str, what: str, limit: float, currency, col: Collector):
    """Rows whose absolute value is above ``limit`` (``raw``: the source column, None for a computed one)."""
    with np.errstate(invalid="ignore"):
        big = np.abs(values) > limit
    text = raw is not None and not pd.api.types.is_numeric_dtype(raw.dtype)
    col.rows(
        f"{name}_too_large",
        name,
        big & np.isfinite(values),
        raw if text else (lambda i: repr(f"{values[i]:,.2f}")),
        f"with {what} above max_amount {limit:,.0f}{' ' + currency if currency else ''} per row",
        "check for ids or dates in the column and for a unit mix-up; raise max_amount if such rows are real",
    )


def _line_amounts(cols: dict, currency, decimal: str, col: Collector) -> np.ndarray:
    """Amount = quantity x unit_price for a line-level export (the discount is subtracted by the caller)."""
    qty, q_missing = _amounts(cols["quantity"], "quantity", "quantities", None, decimal, col)
    price, p_missing = _amounts(cols["unit_price"], "unit_price", "unit prices", currency, decimal, col)
    col.rows("missing_quantity", "quantity", q_missing, cols["quantity"], "without a quantity")
    col.rows("missing_unit_price", "unit_price", p_missing, cols["unit_price"], "without a unit price")
    return qty * price


# --------------------------------------------------------------------------------------------- loading


def load_transactions(
    source, columns: dict[str, str] | None = None, date_format: str | Sequence[str] = "auto", **opts
) -> pd.DataFrame:
    """Load and validate transactions into the canonical frame.

    Parameters
    ----------
    source : str, Path or DataFrame
        ``"demo"`` (``members=``, ``seed=``), ``"cdnow"``, a ``.csv``/``.tsv``/``.txt`` (optionally
        ``.gz``), ``.xlsx``, ``.parquet`` or ``.duckdb`` path, a DataFrame, or a database URL
        (``postgresql://user@host/db``; the psycopg driver is used) with ``table=`` (``schema.table``
        allowed) or ``query=``.
    columns : dict, optional
        Canonical name -> source header (``{"member_id": "會員編號"}``); ``quantity`` and ``unit_price``
        may be mapped too. Unmapped canonical columns are taken from headers of the same name.
    date_format : str or list of str
        ``auto``, ``roc``, a strftime pattern, or a list of them tried in order (``workbench.data.dates``).
    **opts
        ``encoding`` (CSV; default detected: BOM, else UTF-8 or CP950/Big5), ``sep`` (CSV; default sniffed
        from the header), ``sheet`` (Excel: name or 0-based index; default the first), ``table``/``query``
        (DuckDB, databases), ``timezone`` (for values with a UTC offset, and "today"; default
        Asia/Taipei), ``currency`` (reject amounts that name another currency), ``observation_end``
        (reject rows after it; a date without time means the whole day; without it, rows more than 3 days
        after today are rejected), ``member_id_width`` (zero-pad digit-only ids), ``guest_ids`` (member
        ids of guest sales; default ``DEFAULT_GUEST_IDS``), ``max_amount`` (largest amount of a row;
        default 10,000,000), ``duplicate_rows`` (``error`` or ``drop``), ``decimal`` (``auto``, ``.`` or
        ``,``), ``name`` (for a DataFrame source).

    Returns
    -------
    DataFrame
        The canonical frame, guest rows left out; ``attrs["guests"]`` counts them.

    Raises
    ------
    DataValidationError
        Listing every problem found (see ``Problem``), or naming what cannot be read.
    ArgumentError
        For an option outside what it accepts (a bad ``date_format`` pattern, ``observation_end``, ...).
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
    check_options(date_format, opts)
    return _canonical(read_source(source, opts), columns, date_format, opts)


def guest_totals(frame) -> dict[str, float | int]:
    """The guest rows the loader set apart: ``{"rows": int, "revenue": float, "member_revenue": float}``.

    Parameters
    ----------
    frame : DataFrame, str or Path
        A frame returned by ``load_transactions`` (frames from elsewhere count no guests), or a canonical
        ``.parquet`` file written from one (the monthly run's cache keeps the count in its metadata: read
        without loading the rows).

    Returns
    -------
    dict
        ``rows`` (guest rows left out), ``revenue`` (their net amount) and ``member_revenue`` (the net
        amount of the member rows kept; 0 when unknown).
    """
    if isinstance(frame, str | Path):
        return stored_guests(frame) or _guest_counts({})
    return _guest_counts(frame.attrs.get("guests") or {})


def stored_guests(path) -> dict[str, float | int] | None:
    """The guest count a canonical Parquet file keeps in its metadata (``guest_totals``); None without one.

    Parameters
    ----------
    path : str or Path
        A ``.parquet`` file (only its schema is read).

    Returns
    -------
    dict or None
        ``rows``, ``revenue``, ``member_revenue``; None when the file was not written from a loaded frame.
    """
    import json

    import pyarrow.parquet as pq

    meta = pq.read_schema(path).metadata or {}
    guests = json.loads(meta.get(b"PANDAS_ATTRS", b"{}")).get("guests")
    return None if guests is None else _guest_counts(guests)


def _guest_counts(guests: dict) -> dict[str, float | int]:
    return {
        "rows": int(guests.get("rows", 0)),
        "revenue": float(guests.get("revenue", 0.0)),
        "member_revenue": float(guests.get("member_revenue", 0.0)),
    }


def _canonical(src: Source, columns, date_format, opts: dict) -> pd.DataFrame:
    raw = src.frame
    col = Collector(src.name, {}, src.row_numbers)
    cols = map_columns(raw, columns, col)
    if len(raw) == 0:
        col.add("empty", None, "no data rows: the source is empty")
        raise DataValidationError(src.name, col.problems, src.convention)
    # a missing required column is already a problem; the columns that exist are still checked
    tz = opts.get("timezone") or DEFAULT_TIMEZONE
    currency, decimal = opts.get("currency"), opts.get("decimal", "auto")
    limit = float(opts.get("max_amount", DEFAULT_MAX_AMOUNT))
    n = len(raw)
    out: dict[str, object] = {}
    guest = np.zeros(n, dtype=bool)
    if "member_id" in cols:
        text, numeric = member_id_text(cols["member_id"], col)
        guest = guest_rows(text, opts.get("guest_ids", DEFAULT_GUEST_IDS))
        out["member_id"] = member_ids(
            text, numeric, cols["member_id"].dtype, opts.get("member_id_width"), guest, col
        )
    when = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    if "ordered_at" in cols:
        when = out["ordered_at"] = _datetimes(cols["ordered_at"], date_format, tz, src.excel, col)
        if cols["ordered_at"].dtype == DATETIME_DTYPE:
            out["ordered_at"] = cols["ordered_at"]  # canonical already: the column itself (no copy)
    disc = None
    if "discount" in cols:
        disc, _ = _amounts(cols["discount"], "discount", "discounts", currency, decimal, col)
        _too_large(disc, cols["discount"], "discount", "discounts", limit, currency, col)
        canonical = cols["discount"].dtype == np.float64 and not np.isnan(disc).any()
        out["discount"] = (
            cols["discount"] if canonical else np.nan_to_num(disc, nan=0.0, posinf=0.0, neginf=0.0)
        )
    amount = np.full(n, np.nan)
    if "amount" in cols:
        amount, missing = _amounts(cols["amount"], "amount", "amounts", currency, decimal, col)
        col.rows("missing_amount", "amount", missing, cols["amount"], "without an amount")
        out["amount"] = cols["amount"] if cols["amount"].dtype == np.float64 else amount
    elif "quantity" in cols and "unit_price" in cols:
        amount = _line_amounts(cols, currency, decimal, col)
        if disc is not None:
            amount = amount - np.nan_to_num(disc, nan=0.0, posinf=0.0, neginf=0.0)
        out["amount"] = amount
    if "amount" in out:
        _too_large(amount, cols.get("amount"), "amount", "amounts", limit, currency, col)
    if "order_id" in cols:
        order = text_array(cols["order_id"])
        scientific_ids(order, "order_id", col)
        out["order_id"] = as_str(order)
    if "channel" in cols:
        out["channel"] = channels(category(cols["channel"]))
    if "store" in cols:
        out["store"] = category(cols["store"])

    if opts.get("observation_end") is not None:
        after_observation_end(when, opts["observation_end"], col)
    else:
        future_dates(when, tz, col)
    repeats = None  # rows that can repeat another verbatim: those of repeated or empty order ids
    if "order_id" in cols:
        multi = multi_row_orders(order)
        if "member_id" in out:
            order_conflicts(order, out["member_id"], when, amount, multi & ~guest, col)
        repeats = multi | ~pc.fill_null(pc.not_equal(order, ""), False).to_numpy(zero_copy_only=False)
    first = duplicate_rows(raw, repeats)
    dups = first >= 0
    drop = opts.get("duplicate_rows", "error") == "drop"
    if not drop:
        col.rows(
            "duplicate_rows",
            None,
            dups,
            lambda i: f"same as row {col.row(first[i])}",
            "repeating an earlier row exactly (every column equal)",
            "a line exported twice is counted twice: remove the repeats from the export, or set "
            "duplicate_rows: drop to keep only the first of each",
        )
    if guest.all():
        col.add(
            "no_members",
            "member_id",
            f"{col.label('member_id')}: all {n:,} rows are guest sales (member id empty or one of guest_ids "
            f"{list(opts.get('guest_ids', DEFAULT_GUEST_IDS))}): no member rows to analyse; map the member id column",
        )
    if col.problems:
        raise DataValidationError(src.name, col.problems, src.convention)
    frame = finalize_transactions(pd.DataFrame(out, copy=False))
    keep = ~guest & ~(dups if drop else np.zeros(n, dtype=bool))
    if not keep.all():
        frame = frame.loc[keep].reset_index(drop=True)
    # a canonical Parquet file written from a loaded frame (the run's cache) carries the guests it set apart
    prior = guest_totals(src.frame)
    frame.attrs["guests"] = {
        "rows": prior["rows"] + int(guest.sum()),
        "revenue": prior["revenue"] + float(np.nansum(amount[guest])),
        "member_revenue": float(np.nansum(amount[keep])),
    }
    frame.attrs["duplicates_dropped"] = int(dups.sum()) if drop else 0
    return frame
