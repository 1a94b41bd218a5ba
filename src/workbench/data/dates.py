"""Vectorised parsing of date columns: ISO, slashes, compact, ROC 民國, several patterns, Excel serial days.

Dates (``date_format="auto"``), each optionally followed by a time ``HH:MM[:SS[.ffffff]]`` (24-hour, or
with ``上午/下午``/``AM/PM``) and an optional UTC offset (``Z``, ``+08:00``):

* ``2024-03-05``, ``2024/03/05``, ``2024.3.5``, ``2024-03-05T14:30:00``;
* ``20240305`` (8 digits, Gregorian) and ``1130305`` (7 digits: 民國 year 113 = 2024);
* ``113/03/05``: a 3-digit year is a 民國 (ROC) year, year + 1911; ``民國113年3月5日``, ``民國99年12月31日``,
  ``2024年3月5日``;
* a two-digit year without 民國 (``24/03/05``, ``03/05/24``) is *not* guessed: it could be 2024, a 民國
  year or a day. Those rows are reported (``DateColumn.two_digit_year``) until ``date_format`` says how
  to read them (``%y/%m/%d``, ``%m/%d/%y`` or ``roc``).

``date_format="roc"`` reads every year as a 民國 year (a 4-digit year is then an error); any other value
is a strftime pattern for ``pandas.to_datetime`` (e.g. ``"%m/%d/%Y"``, which auto does not guess), and a
list of these is tried in order for each value: a value that two entries read as different dates
(``02/03/2024`` with ``%d/%m/%Y`` and ``%m/%d/%Y``) is reported as ambiguous (``DateColumn.ambiguous``),
never guessed. In Excel sources (``excel=True``) date cells (which the reader gives as
``2024-03-05 14:30:00``) and serial day numbers (``45356``, ``45356.5``: days since 1899-12-30) are read
whatever ``date_format`` says. Values with a UTC offset are converted to ``timezone`` (the brand's local
time) and made naive.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.data.parsing import digits_int, joined_fields, to_arrow_text

ROC_OFFSET = 1911
AUTO_FORMATS: tuple[str, ...] = ("auto", "roc")
"""The ``date_format`` values that are not strftime patterns."""
#: strftime directives a ``date_format`` pattern may use (pandas.to_datetime)
PATTERN_DIRECTIVES = frozenset("aAbBdfHIjmMpSyYzZ%")
_EXCEL_EPOCH = np.datetime64("1899-12-30T00:00:00", "us")
_SERIAL_RE = r"^\d{5}(?:\.\d+)?$"  # 10000..99999: 1927-05-18 .. 2173-10-14

_TIME = (
    r"(?:(?:[T ]|\s)+(?P<ap1>上午|下午|AM|PM|am|pm)?\s*(?P<H>\d{1,2}):(?P<M>\d{2})"
    r"(?::(?P<S>\d{2})(?:\.(?P<F>\d{1,9}))?)?\s*(?P<ap2>AM|PM|am|pm)?\s*(?P<tz>Z|[+-]\d{2}(?::?\d{2})?)?)?"
)
_DATE_RE = (
    r"^\s*(?:"
    r"(?P<y1>\d{2,4})[-/.](?P<m1>\d{1,2})[-/.](?P<d1>\d{1,2})"
    r"|(?P<y2>\d{3,4})(?P<m2>\d{2})(?P<d2>\d{2})"
    r"|(?P<mg>民國)?\s*(?P<y3>\d{2,4})\s*年\s*(?P<m3>\d{1,2})\s*月\s*(?P<d3>\d{1,2})\s*日?"
    r")" + _TIME + r"\s*$"
)


@dataclass(frozen=True)
class DateColumn:
    """A parsed date column.

    ``values`` (``datetime64[us]``, NaT where not parsed) and masks of the rows that are ``missing`` (empty),
    ``bad`` (no pattern reads them), ``ambiguous`` (two patterns read them as different dates) and
    ``two_digit_year`` (auto met a two-digit year it will not guess).
    """

    values: np.ndarray
    bad: np.ndarray
    missing: np.ndarray
    ambiguous: np.ndarray
    two_digit_year: np.ndarray


def date_format_problem(pattern: object) -> str | None:
    """Why ``pattern`` is not a usable ``date_format`` entry (``None`` when it is).

    Parameters
    ----------
    pattern : object
        ``auto``, ``roc`` or a strftime pattern with a year (``%Y``/``%y``), a month (``%m``/``%b``/``%B``)
        and a day (``%d``), using only the directives pandas reads.

    Returns
    -------
    str or None
        The problem, worded to follow "date_format ..." in a message.
    """
    if not isinstance(pattern, str):
        return f"must be auto, roc, a strftime pattern or a list of them; got {pattern!r}"
    if pattern in AUTO_FORMATS:
        return None
    directives = re.findall(r"%(.)", pattern)
    if not directives:
        return f"must be auto, roc or a strftime pattern such as %d/%m/%Y; got {pattern!r}"
    unknown = sorted({d for d in directives if d not in PATTERN_DIRECTIVES})
    if unknown or pattern.endswith("%") and not pattern.endswith("%%"):
        shown = ", ".join("%" + d for d in unknown) or "a lone %"
        return f"pattern {pattern!r} uses {shown}, which is not a strftime directive pandas reads"
    has = set(directives)
    if not (has & {"Y", "y"} and has & {"m", "b", "B"} and "d" in has) and "j" not in has:
        return f"pattern {pattern!r} must give a year (%Y or %y), a month (%m or %b) and a day (%d)"
    try:
        pd.to_datetime(pd.Series(["2024-01-01"]), format=pattern, errors="coerce")
    except (ValueError, TypeError) as exc:
        return f"pattern {pattern!r} is not readable by pandas ({exc})"
    return None


def date_formats(date_format: str | Sequence[str]) -> tuple[str, ...]:
    """``date_format`` (one entry or a list) as a tuple of entries, unchecked."""
    if isinstance(date_format, str):
        return (date_format,)
    return tuple(date_format)


def _fast_iso(text: pa.Array) -> np.ndarray | None:
    """The common case in one strict C++ pass.

    Every non-empty value is ISO 8601 without an offset (``2024-03-05``, ``2024-03-05 14:30[:15[.123456]]``,
    ``T`` or space). None when any value is not.
    """
    empty = pc.equal(text, "")
    try:
        ts = pc.cast(pc.if_else(empty, pa.scalar(None, text.type), text), pa.timestamp("us"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return ts.to_numpy(zero_copy_only=False).astype("datetime64[us]")


def _np(arr) -> np.ndarray:
    return pc.fill_null(arr, False).to_numpy(zero_copy_only=False)


def _auto(text: pa.Array, roc_only: bool, timezone: str | None):
    """``(stamps, ok, two_digit_year)`` of the built-in formats (``roc_only``: every year is a 民國 year)."""
    m = pc.extract_regex(text, _DATE_RE)
    matched = _np(m.is_valid())
    ytxt = joined_fields(m, "y1", "y2", "y3")
    year = digits_int(ytxt)
    month = digits_int(joined_fields(m, "m1", "m2", "m3"))
    day = digits_int(joined_fields(m, "d1", "d2", "d3"))
    ylen = pc.fill_null(pc.utf8_length(ytxt), 0).to_numpy(zero_copy_only=False)
    minguo = _np(pc.equal(m.field("mg"), "民國"))
    if roc_only:
        roc = np.ones(len(year), dtype=bool)
        ok = matched & (ylen <= 3)
        two_digit = np.zeros(len(year), dtype=bool)
    else:
        roc = ylen <= 3
        two_digit = matched & (ylen == 2) & ~minguo
        ok = matched & ~two_digit
    year = np.where(roc, year + ROC_OFFSET, year)

    hour = digits_int(m.field("H"))
    minute = digits_int(m.field("M"))
    second = digits_int(m.field("S"))
    frac_txt = pc.fill_null(m.field("F"), "")
    has_time = hour >= 0
    hour = np.where(has_time, hour, 0)
    minute = np.where(has_time, minute, 0)
    second = np.where(second >= 0, second, 0)
    ampm = pc.utf8_upper(joined_fields(m, "ap1", "ap2"))
    pm = _np(pc.is_in(ampm, pa.array(["下午", "PM"])))
    am_pm = _np(pc.not_equal(ampm, ""))
    ok &= ~am_pm | ((hour >= 1) & (hour <= 12))
    hour = np.where(am_pm, hour % 12 + np.where(pm, 12, 0), hour)
    ok &= (hour <= 23) & (minute <= 59) & (second <= 59)
    # fractional seconds: left-justify to 6 digits (microseconds)
    micro = digits_int(pc.utf8_slice_codeunits(pc.utf8_rpad(frac_txt, width=6, padding="0"), 0, 6))
    micro = np.where(micro >= 0, micro, 0)

    ok &= (month >= 1) & (month <= 12) & (day >= 1) & (year >= 1) & (year <= 9999)
    months = np.where(ok, (year - 1970) * 12 + month - 1, 0).astype("datetime64[M]")
    first = months.astype("datetime64[D]")
    days_in_month = ((months + 1).astype("datetime64[D]") - first).astype(np.int64)
    ok &= day <= days_in_month
    seconds = hour * 3600 + minute * 60 + second
    stamp = (first + np.where(ok, day - 1, 0)).astype("datetime64[us]") + (
        seconds * 1_000_000 + micro
    ).astype("timedelta64[us]")

    tz_txt = pc.fill_null(m.field("tz"), "")
    has_tz = _np(pc.not_equal(tz_txt, "")) & ok
    if has_tz.any():
        tzs = pc.replace_substring(pc.replace_substring(tz_txt, "Z", "+0000"), ":", "")
        sign = np.where(_np(pc.starts_with(tzs, "-")), -1, 1)
        hh = digits_int(pc.utf8_slice_codeunits(tzs, 1, 3))
        mm = digits_int(pc.utf8_slice_codeunits(tzs, 3, 5))
        offset = (sign * (np.maximum(hh, 0) * 60 + np.maximum(mm, 0))).astype("timedelta64[m]")
        utc = stamp[has_tz] - offset[has_tz]
        local = pd.DatetimeIndex(utc).tz_localize("UTC").tz_convert(timezone or "UTC").tz_localize(None)
        stamp[has_tz] = local.to_numpy().astype("datetime64[us]")
    stamp[~ok] = np.datetime64("NaT")
    return stamp, ok, two_digit


def _pattern(text: pa.Array, pattern: str, timezone: str | None):
    """``(stamps, ok)`` of one strftime pattern (pandas.to_datetime, exact)."""
    series = pd.Series(text.to_pandas(), dtype="str")
    parsed = pd.to_datetime(series, format=pattern, errors="coerce", utc="%z" in pattern)
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert(timezone or "UTC").dt.tz_localize(None)
    out = parsed.to_numpy().astype("datetime64[us]")
    return out, ~np.isnat(out)


def _excel(text: pa.Array):
    """``(stamps, ok)`` of Excel date cells (``2024-03-05 14:30:00`` as the reader writes them) and of serial day numbers (days since 1899-12-30, the fraction the time of day; to the millisecond)."""
    cells = pc.strptime(text, format="%Y-%m-%d %H:%M:%S", unit="us", error_is_null=True)
    stamp = cells.to_numpy(zero_copy_only=False).astype("datetime64[us]")
    ok = ~np.isnat(stamp)
    serial = _np(pc.match_substring_regex(text, _SERIAL_RE))
    if serial.any():
        days = pc.cast(pc.filter(text, pa.array(serial)), pa.float64()).to_numpy(zero_copy_only=False)
        ms = np.round(days * 86_400_000).astype(np.int64)
        stamp[serial] = _EXCEL_EPOCH + (ms * 1000).astype("timedelta64[us]")
        ok |= serial
    return stamp, ok


def read_dates(
    values: pd.Series,
    date_format: str | Sequence[str] = "auto",
    timezone: str | None = None,
    *,
    excel: bool = False,
) -> DateColumn:
    """Parse a column of date texts (see the module doc).

    Parameters
    ----------
    values : Series
        The column as read (text).
    date_format : str or sequence of str
        ``auto``, ``roc``, a strftime pattern, or a list of these tried in order for each value.
    timezone : str, optional
        The brand's time zone, for values with a UTC offset.
    excel : bool
        Whether the column comes from an Excel sheet (date cells and serial day numbers are read).

    Returns
    -------
    DateColumn
        The dates and the masks of the rows with each kind of problem.
    """
    text = to_arrow_text(values)
    n = len(text)
    missing = pc.fill_null(pc.equal(text, ""), True).to_numpy(zero_copy_only=False)
    none = np.zeros(n, dtype=bool)
    formats = date_formats(date_format)
    if n and formats == ("auto",):
        fast = _fast_iso(text)  # the common case: ISO everywhere (Excel date cells too)
        if fast is not None:
            return DateColumn(fast, none, missing, none, none)
    readers = [lambda: _excel(text)] if excel else []
    for fmt in formats:
        if fmt in AUTO_FORMATS:
            readers.append(lambda fmt=fmt: _auto(text, fmt == "roc", timezone))
        else:
            readers.append(lambda fmt=fmt: _pattern(text, fmt, timezone))
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    have = np.zeros(n, dtype=bool)
    ambiguous = np.zeros(n, dtype=bool)
    two_digit = np.zeros(n, dtype=bool)
    for read in readers:
        result = read()
        stamp, ok = result[0], result[1]
        if len(result) == 3:
            two_digit |= result[2]
        new = ok & ~have
        out[new] = stamp[new]
        ambiguous |= ok & have & (stamp != out)
        have |= ok
    two_digit &= ~have
    out[ambiguous] = np.datetime64("NaT")
    bad = ~have & ~missing & ~two_digit
    return DateColumn(out, bad, missing, ambiguous, two_digit)


def parse_dates(
    values: pd.Series, date_format: str | Sequence[str] = "auto", timezone: str | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse a column of date texts (see ``read_dates``); every kind of problem counts as not parsed.

    Parameters
    ----------
    values : Series
        The column as read (text).
    date_format : str or sequence of str
        ``auto``, ``roc``, a strftime pattern, or a list of these.
    timezone : str, optional
        The brand's time zone, for values with a UTC offset.

    Returns
    -------
    tuple
        ``(datetimes, bad, missing)``: ``datetime64[us]`` (NaT where not parsed), a mask of rows with a
        value that could not be read (ambiguous values and two-digit years included), a mask of empty rows.
    """
    col = read_dates(values, date_format, timezone)
    return col.values, col.bad | col.ambiguous | col.two_digit_year, col.missing
