"""Validation of transaction data: the problems found (``Problem``), the error that lists them
(``DataValidationError``) and the checks the loader (``workbench.data.load_transactions``) runs on every
source. The checks work on whole columns (pyarrow compute, numpy, one DuckDB query); no per-row Python.

Member ids and leading zeros (``member_ids``):

* ids stored as numbers (an integer/decimal column in Parquet or a database) whose digit counts differ
  (``1`` and ``12345``) are rejected: their zero padding is gone and cannot be guessed. Ids that all have
  the same number of digits are accepted as text.
* text ids: when some digit-only ids start with ``0`` (so the brand zero-pads, to width W = the longest
  such id), digit-only ids shorter than W are rejected as "lost their leading zeros" (typically a
  round trip through Excel). Ids that look like decimals (``123.0``) are rejected too.
* ``member_id_width=N`` is the explicit repair: digit-only ids are left-padded with zeros to N digits
  (``member_id_width=1`` accepts numeric ids as they are).

Order lines (``order_conflicts``): several rows with the same ``order_id`` are one order. They must agree on
``member_id`` (all rows) and on the calendar day (purchase rows; a return row may carry its order's id on
a later day).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.errors import WorkbenchError

MAX_EXAMPLES = 5
_STR = pd.StringDtype("pyarrow", na_value=np.nan)


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


class DataValidationError(WorkbenchError, ValueError):
    """Input data failed validation; ``problems`` lists every problem found, ``source`` names the input,
    ``what`` the kind of table (``"the transactions"``, ``"the campaign assignment list"``)."""

    def __init__(
        self, source: str, problems: list[Problem], convention: str = "", *, what: str = "the transactions"
    ):
        self.source = source
        self.problems = list(problems)
        self.convention = convention
        n = len(self.problems)
        head = f"{source}: {n} problem{'s' if n != 1 else ''} found in {what}"
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


class Collector:
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


# --------------------------------------------------------------------------------------------- text


def text_array(values: pd.Series) -> pa.Array:
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
    return pc.utf8_trim_whitespace(arr) if _may_need_trim(arr) else arr


# first/last bytes that may start or end whitespace: ASCII whitespace, and any non-ASCII byte (Unicode
# whitespace such as U+3000 is multi-byte); used to skip the trim (a copy of every string) on clean text
_TRIMMABLE = np.zeros(256, dtype=bool)
_TRIMMABLE[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True
_TRIMMABLE[128:] = True


def _may_need_trim(arr: pa.Array | pa.ChunkedArray) -> bool:
    """Whether some value may start or end with whitespace (False: trimming would change nothing).

    Reads the first and last byte of every value straight from the Arrow buffers (vectorised, no copy of
    the text); conservative: a non-ASCII edge byte, or a layout it does not know, answers True.
    """
    for chunk in arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]:
        if len(chunk) == 0:
            continue
        large = pa.types.is_large_string(chunk.type)
        if not (large or pa.types.is_string(chunk.type)):
            return True
        _, offsets, data = chunk.buffers()
        if data is None or data.size == 0:
            continue  # only empty strings or nulls
        off = np.frombuffer(offsets, dtype=np.int64 if large else np.int32)[
            chunk.offset : chunk.offset + len(chunk) + 1
        ]
        start, end = off[:-1], off[1:]
        filled = end > start
        bytes_ = np.frombuffer(data, dtype=np.uint8)
        if _TRIMMABLE[bytes_[start[filled]]].any() or _TRIMMABLE[bytes_[end[filled] - 1]].any():
            return True
    return False


def as_str(arr: pa.Array) -> pd.Series:
    """A pyarrow string array as a pandas ``str`` Series (Arrow-backed, NaN for missing), without copying."""
    chunked = arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])
    chunked = chunked.cast(pa.large_string())
    return pd.Series(pd.arrays.ArrowStringArray(chunked, dtype=_STR), copy=False)


def _np(arr: pa.Array) -> np.ndarray:
    return arr.to_numpy(zero_copy_only=False)


# --------------------------------------------------------------------------------------------- checks


def member_ids(values: pd.Series, width: int | None, col: Collector) -> pd.Series:
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
        text = text_array(values)
    missing = _np(pc.fill_null(pc.equal(text, ""), True))
    col.rows("missing_member_id", "member_id", missing, raw, "without a member id")
    digits = pc.fill_null(pc.utf8_is_digit(text), False)
    # lengths in characters; for ASCII text the byte lengths (no UTF-8 decoding) are the same
    ascii_only = pc.all(pc.string_is_ascii(text)).as_py() is not False
    length = pc.fill_null(pc.binary_length(text) if ascii_only else pc.utf8_length(text), 0)
    if width:
        pad = pc.and_(digits, pc.less(length, width))
        text = pc.if_else(pad, pc.utf8_lpad(text, width=int(width), padding="0"), text)
        return as_str(text)
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
        return as_str(text)
    decimal = np.zeros(len(missing), dtype=bool)
    if not pc.all(digits).as_py() and pc.any(pc.match_substring(text, ".")).as_py():
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
    return as_str(text)


ORDER_CONFLICTS_SQL = """
SELECT order_id,
       min(member_id) <> max(member_id) AS member_conflict,
       coalesce(min(day) FILTER (WHERE purchase) <> max(day) FILTER (WHERE purchase), false) AS day_conflict
FROM lines
WHERE order_id <> ''
GROUP BY order_id
HAVING count(*) > 1 AND (member_conflict OR day_conflict)
"""


def order_conflicts(order: pa.Array, member: pd.Series, when: np.ndarray, amount: np.ndarray, col: Collector):
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
        s = h[has]
        s.sort()  # in place (h[has] is a copy already)
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
    order_s = as_str(order)

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


def after_observation_end(when: np.ndarray, end, col: Collector) -> None:
    """Rows dated after ``end`` (a date without time means the whole day)."""
    end_ts = pd.Timestamp(end)
    cutoff = end_ts + pd.Timedelta(days=1) if end_ts == end_ts.normalize() else end_ts + pd.Timedelta(1, "us")
    late = ~np.isnat(when) & (when >= cutoff.to_datetime64())
    shown = np.datetime_as_string(when, unit="s")
    col.rows(
        "after_observation_end",
        "ordered_at",
        late,
        shown,
        f"dated after the observation end {end_ts:%Y-%m-%d %H:%M:%S}",
    )
