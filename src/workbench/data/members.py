"""Member-level tables of a brand: the members table and a campaign's assignment list.

Both are read like any source (``workbench.data.sources.read_source``: CSV in any encoding, all columns as
text, Parquet, DuckDB, a DataFrame) and checked like the transactions: member ids stay text and pass the
loader's id rules (leading zeros, ids converted to decimals; ``member_id_width`` zero-pads), every id once,
dates and numbers parsed; every problem is listed in one ``DataValidationError`` naming the file, the
column and the rows.

Members table (optional, one row per member)::

    member_id   text, required
    joined_at   date the member joined (optional)
    birth_month 1..12 (optional)
    home_channel, home_store   text (optional)
    phone, email, line_id      contact columns (optional): read only with ``contacts=True``, for the send
                               lists in ``audience_dir``; never shown in a report

Campaign assignment list (who was put in which arm)::

    member_id   text, required
    arm         text, required
    stratum     text (optional)
    assigned_at date (optional)
    ...         any further column is kept: numbers (outcomes a table already holds, such as ``orders``,
                ``revenue``, or flags such as ``gift_recipient``) are read as numbers
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from workbench.data.amounts import parse_amounts
from workbench.data.dates import parse_dates
from workbench.data.ids import member_id_text, member_ids
from workbench.data.sources import read_source
from workbench.data.validation import Collector, DataValidationError, as_str, text_array

__all__ = ["CONTACT_COLUMNS", "read_assignments", "read_members"]

MEMBER_COLUMNS: tuple[str, ...] = ("member_id", "joined_at", "birth_month", "home_channel", "home_store")
"""Columns of the members table the analyses read (those present)."""
CONTACT_COLUMNS: tuple[str, ...] = ("phone", "email", "line_id")
"""Contact columns of the members table: read only for send lists (``read_members(contacts=True)``)."""
ASSIGNMENT_COLUMNS: tuple[str, ...] = ("member_id", "arm", "stratum", "assigned_at")
"""Columns of a campaign assignment list (``member_id`` and ``arm`` required)."""

_DATES = ("joined_at", "assigned_at")
_TEXT = ("arm", "stratum", "home_channel", "home_store", *CONTACT_COLUMNS)


def _table(
    source, what: str, param: str, required: tuple[str, ...], keep, member_id_width: int | None
) -> pd.DataFrame:
    """Read ``source``, check ids and the known columns, return the columns ``keep`` selects (or raise)."""
    try:
        read = read_source(source, {"name": what, "param": param})
    except DataValidationError as exc:  # a file that cannot be read: named as this table, not the transactions
        raise DataValidationError(exc.source, exc.problems, exc.convention, what=what) from None
    raw, name, convention = read.frame, read.name, read.convention
    col = Collector(name, {})
    raw.columns = [str(c).strip().lstrip("\ufeff") for c in raw.columns]
    shown = ", ".join(repr(c) for c in raw.columns) or "none"
    for column in required:
        if column not in raw.columns:
            col.add("missing_column", column, f"required column '{column}' missing (headers: {shown})")
    if len(raw) == 0:
        col.add("empty", None, "no data rows: the table is empty")
    if col.problems:
        raise DataValidationError(name, col.problems, convention, what=what)
    out: dict[str, object] = {}
    text, numeric = member_id_text(raw["member_id"].reset_index(drop=True), col)
    no_guests = np.zeros(len(text), dtype=bool)  # a members table lists members: every row is checked
    ids = member_ids(text, numeric, raw["member_id"].dtype, member_id_width, no_guests, col)
    dup = ids.duplicated(keep="first").to_numpy() & ids.notna().to_numpy()
    col.rows("duplicate_member_id", "member_id", dup, ids, "repeating a member id listed on an earlier row")
    out["member_id"] = ids
    for column in raw.columns:
        if column == "member_id" or not keep(column):
            continue
        values = raw[column].reset_index(drop=True)
        if column in _DATES:
            out[column] = _dates(values, column, col)
        elif column in _TEXT:
            out[column] = _text(values, column, col, required=column in required)
        elif column == "birth_month":
            months = _numbers(values, column, col)
            bad = ~np.isnan(months) & ~np.isin(months, np.arange(1, 13))
            col.rows("bad_birth_month", column, bad, values, "with a birth month outside 1..12")
            out[column] = pd.array(np.where(bad, np.nan, months), dtype="Int64")
        else:
            out[column] = _kept(values, column, col)
    if col.problems:
        raise DataValidationError(name, col.problems, convention, what=what)
    return pd.DataFrame(out)


def _dates(values: pd.Series, column: str, col: Collector) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_localize(None)
        return values.to_numpy().astype("datetime64[us]")
    parsed, bad, _ = parse_dates(values.astype("str").where(values.notna(), None), "auto")
    col.rows(f"bad_{column}", column, bad, values, "with dates that cannot be parsed")
    return parsed


def _text(values: pd.Series, column: str, col: Collector, *, required: bool) -> pd.Series:
    text = text_array(values)
    empty = pc.fill_null(pc.equal(text, ""), True).to_numpy(zero_copy_only=False)
    if required:
        col.rows(f"missing_{column}", column, empty, values, f"without a value ({column} is required)")
    return as_str(text).where(~empty)


def _numbers(values: pd.Series, column: str, col: Collector) -> np.ndarray:
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.to_numpy(dtype="float64")
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.to_numpy(dtype="float64", na_value=np.nan)
    amounts, bad, _, _ = parse_amounts(values)
    col.rows(f"bad_{column}", column, bad, values, "with values that are not numbers")
    return amounts


def _kept(values: pd.Series, column: str, col: Collector):
    """A further column: numbers as numbers (a text column whose every value parses), else text."""
    if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        return values
    text = values.astype("str").where(values.notna(), None)
    lowered = text.str.strip().str.lower()
    if lowered.dropna().isin(["true", "false"]).all() and lowered.notna().any():
        return lowered.map({"true": True, "false": False}).astype("boolean")
    amounts, bad, _, _ = parse_amounts(text)
    if not bad.any() and not np.isnan(amounts).all():
        return amounts
    return values


def read_members(
    source, *, contacts: bool = False, member_id_width: int | None = None
) -> pd.DataFrame | None:
    """The members table: ``MEMBER_COLUMNS`` present in it (plus ``CONTACT_COLUMNS`` with ``contacts``).

    Parameters
    ----------
    source : str, Path, DataFrame or None
        A ``.csv``/``.parquet`` (any source ``load_transactions`` reads) or a frame; ``None`` or ``""`` = no
        members table.
    contacts : bool
        Also read ``phone``, ``email`` and ``line_id`` (for send lists only; reports never need them).
    member_id_width : int, optional
        Zero-pad digit-only member ids to this many digits (as ``DataParams.member_id_width``).

    Returns
    -------
    DataFrame or None
        One row per member, ``member_id`` as text; ``joined_at`` as ``datetime64[us]``, ``birth_month`` as
        ``Int64``; ``None`` without a source.

    Raises
    ------
    DataValidationError
        Naming the file, the column and the rows: no ``member_id`` column, ids that lost their leading
        zeros, repeated ids, unparseable dates, birth months outside 1..12.
    """
    if source is None or (isinstance(source, str) and source == ""):
        return None
    wanted = set(MEMBER_COLUMNS) | (set(CONTACT_COLUMNS) if contacts else set())
    return _table(
        source, "the members table", "members", ("member_id",), wanted.__contains__, member_id_width
    )


def read_assignments(source, *, member_id_width: int | None = None) -> pd.DataFrame:
    """A campaign's assignment list: ``member_id``, ``arm`` and every other column of the source.

    Parameters
    ----------
    source : str, Path or DataFrame
        A ``.csv``/``.parquet`` (any source ``load_transactions`` reads) or a frame.
    member_id_width : int, optional
        Zero-pad digit-only member ids to this many digits.

    Returns
    -------
    DataFrame
        ``member_id`` and ``arm`` as text, ``stratum`` as text, ``assigned_at`` as ``datetime64[us]``, further
        columns as numbers when every value is one (``orders``, ``revenue``, ``gift_recipient``), else as read.
        Contact columns are dropped (an assignment list is analysed, not sent).

    Raises
    ------
    DataValidationError
        Naming the file, the column and the rows: a missing ``member_id`` or ``arm`` column, rows without an
        arm, ids that lost their leading zeros, a member listed twice, unparseable ``assigned_at``.
    """
    return _table(
        source,
        "the campaign assignment list",
        "campaign",
        ("member_id", "arm"),
        lambda c: c not in CONTACT_COLUMNS,
        member_id_width,
    )
