"""Validation of transaction data.

The problems found (``Problem``), the error that lists them (``DataValidationError``), the collector the
checks report to (``Collector``), the text helpers they share, and the checks of dates against the observation
end and today.

The checks of ids are in ``workbench.data.ids``, those across rows (order lines, verbatim duplicates) in
``workbench.data.rows``; the loader (``workbench.data.load_transactions``) runs them all on every source,
on whole columns (pyarrow compute, numpy, DuckDB), with no per-row Python.

Row numbers in messages follow the source's convention (``DataValidationError.convention``): data rows
from 1 for a CSV (file line = row + 1), the sheet's own row numbers for Excel (header = row 1).
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
    """Input data failed validation; ``problems`` lists every problem found, ``source`` names the input, ``what`` the kind of table (``"the transactions"``, ``"the campaign assignment list"``)."""

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


def source_error(source: str, kind: str, message: str) -> DataValidationError:
    """The error for a source that cannot be read at all (one problem of the whole source, no rows)."""
    return DataValidationError(source, [Problem(kind, None, message)])


def _show(value: Any) -> str:
    if isinstance(value, pa.Scalar):
        value = value.as_py()
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "<empty>"
    text = str(value)
    if text == "":
        return "<empty>"
    return repr(text if len(text) <= 40 else text[:37] + "...")


class Collector:
    """Collects problems for one source.

    Row numbers are positions + 1, or ``row_numbers[position]`` when the source gives them (an Excel sheet:
    its own row numbers, blank rows skipped).
    """

    def __init__(self, source: str, names: dict[str, str], row_numbers: np.ndarray | None = None):
        self.source = source
        self.names = names  # canonical -> source header
        self.row_numbers = row_numbers
        self.problems: list[Problem] = []

    def row(self, position: int) -> int:
        """The row number shown for a 0-based position."""
        if self.row_numbers is None:
            return int(position) + 1
        return int(self.row_numbers[position])

    def label(self, column: str | None) -> str:
        """How messages name ``column``: the canonical name and, when mapped, the source header."""
        if column is None:
            return "all columns"
        src = self.names.get(column)
        return f"column '{column}'" + (f" (source '{src}')" if src and src != column else "")

    def add(self, kind: str, column: str | None, message: str) -> None:
        """Record one problem of ``kind`` for ``column`` (None: the whole source)."""
        self.problems.append(Problem(kind, column, message))

    def rows(self, kind: str, column: str | None, mask: np.ndarray, raw, what: str, hint: str = "") -> None:
        """Report the rows in ``mask`` (``raw``: the source values, indexable by position)."""
        idx = np.flatnonzero(mask)
        if not len(idx):
            return
        first = idx[:MAX_EXAMPLES]
        if callable(raw):
            values = tuple(raw(int(i)) for i in first)
        else:
            values = tuple(_show(raw.iloc[i] if isinstance(raw, pd.Series) else raw[i]) for i in first)
        rows = tuple(self.row(i) for i in first)
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


def shown_date(when: np.ndarray):
    """How a message shows the date at a position (only the few shown are formatted)."""
    return lambda i: repr(str(np.datetime_as_string(when[i], unit="s")))


def after_observation_end(when: np.ndarray, end, col: Collector) -> None:
    """Rows dated after ``end`` (a date without time means the whole day)."""
    end_ts = pd.Timestamp(end)
    cutoff = end_ts + pd.Timedelta(days=1) if end_ts == end_ts.normalize() else end_ts + pd.Timedelta(1, "us")
    late = ~np.isnat(when) & (when >= cutoff.to_datetime64())
    col.rows(
        "after_observation_end",
        "ordered_at",
        late,
        shown_date(when),
        f"dated after the observation end {end_ts:%Y-%m-%d %H:%M:%S}",
    )


FUTURE_DAYS = 3
"""Rows dated more than this many days after today (in the brand's time zone) are an error when no
``observation_end`` is set: a few future-dated rows would move every default month into the future."""


def today_in(timezone: str) -> pd.Timestamp:
    """Today's date (midnight, naive) on the machine's clock in ``timezone``."""
    return pd.Timestamp.now(tz=timezone).normalize().tz_localize(None)


def future_dates(when: np.ndarray, timezone: str, col: Collector, today: pd.Timestamp | None = None) -> None:
    """Report rows dated after the end of the day ``FUTURE_DAYS`` days after today.

    Parameters
    ----------
    when : numpy.ndarray
        ``datetime64[us]`` order times (NaT where unknown).
    timezone : str
        The brand's IANA time zone: "today" is the machine's date there.
    col : Collector
        Where problems go.
    today : Timestamp, optional
        Today's date (for tests; default the machine's date in ``timezone``).
    """
    today = today_in(timezone) if today is None else pd.Timestamp(today).normalize()
    last = today + pd.Timedelta(days=FUTURE_DAYS)
    late = ~np.isnat(when) & (when >= (last + pd.Timedelta(days=1)).to_datetime64())
    col.rows(
        "future_date",
        "ordered_at",
        late,
        shown_date(when),
        f"dated in the future, after {last:%Y-%m-%d} ({FUTURE_DAYS} days after today, {today:%Y-%m-%d} in "
        f"{timezone})",
        "fix the dates, or set observation_end to the last day the data covers if it really runs ahead",
    )
