"""Vectorised parsing of amount columns.

``NT$1,200``, ``HK$5.50``, ``(300)``, ``300-``, full-width digits, and one rule per column for the thousands
separator and the decimal mark.

The decimal mark of a column is decided from its values (``decimal="auto"``), never per value:

* ``1,234.50``, ``12.5``, ``0.75``, ``1,234,567``: a dot decimal mark (commas group thousands); the default
  reading, so ``1,234`` alone is 1234;
* ``1.234,50``, ``2,55``, ``1.234.567``: a comma decimal mark (dots group thousands);
* ``3.400`` (one dot, exactly three digits after it) is 3.4 or 3400: it is read by the column's rule when
  other values decide it, and reported as ambiguous when none does;
* a column with values of both kinds (``1.234,50`` and ``1,234.50``) is reported: the rows that disagree with
  the column's majority are named.

``decimal="."`` or ``","`` sets the rule (values written the other way are then errors). Text that names a
non-finite number (``inf``, ``-Infinity``, ``nan``) and non-finite numbers in numeric columns are reported
as such. Everything runs on whole columns (pyarrow compute, RE2 regular expressions, numpy).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.data.parsing import concat_text, joined_fields, to_arrow_text

DECIMAL_MARKS: tuple[str, ...] = ("auto", ".", ",")
"""Values of the ``decimal`` option: decide per column, or a dot / a comma as the decimal mark."""

_CURRENCY_TOKENS = {
    "NT$": "TWD",
    "NTD": "TWD",
    "TWD": "TWD",
    "元": "TWD",
    "HK$": "HKD",
    "HKD": "HKD",
    "US$": "USD",
    "USD": "USD",
}
_CUR = r"NT\$|HK\$|US\$|NTD|TWD|HKD|USD|\$"
_AMOUNT_RE = (
    r"(?i)^\s*(?P<po>\()?\s*(?P<n1>[-+])?\s*(?P<c1>" + _CUR + r")?\s*(?P<n2>[-+])?\s*"
    r"(?P<num>(?:\d|[.,]\d)[\d.,]*(?:[eE][-+]?\d+)?)"
    r"\s*(?P<c2>元|NTD|TWD|HKD|USD)?\s*(?P<n3>-)?\s*(?P<pc>\))?\s*$"
)
_NON_FINITE_RE = r"(?i)^\s*[-+]?\s*(?:inf|infinity|nan)\s*$"
# the number part of a value, by what it says about the decimal mark
_PLAIN = r"^\d+$"
_AMBIGUOUS_DOT = r"^\d{1,3}\.\d{3}$"  # 3.400: 3.4, or 3400 with dot thousands
_AMBIGUOUS_COMMA = r"^\d{1,3},\d{3}$"  # 1,234: 1234, or 1.234 with a decimal comma
_DOT_DECIMAL = (
    r"^(?:\d+\.\d*|\.\d+|\d{1,3}(?:,\d{3})+\.\d*|\d{1,3}(?:,\d{3}){2,}|(?:\d+(?:\.\d*)?|\.\d+)[eE][-+]?\d+)$"
)
_COMMA_DECIMAL = r"^(?:\d+,\d*|,\d+|\d{1,3}(?:\.\d{3})+,\d*|\d{1,3}(?:\.\d{3}){2,})$"
_AMBIGUOUS_DOT_VALUE = r"^[-+]?\d{1,3}\.\d{3}$"  # the same, on a whole plain value (the fast path)


@dataclass(frozen=True)
class AmountColumn:
    """A parsed amount column: values and the masks of the rows with each kind of problem.

    ``values`` is float64 (NaN where not parsed); ``bad``: not an amount; ``missing``: empty; ``non_finite``:
    ``inf``/``nan`` (text or number); ``mixed``: written with the other decimal mark than the column's
    majority; ``ambiguous``: ``3.400`` where nothing in the column decides; ``currencies``: the currency code
    each text value names (``None`` for a numeric column); ``decimal``: the decimal mark read.
    """

    values: np.ndarray
    bad: np.ndarray
    missing: np.ndarray
    non_finite: np.ndarray
    mixed: np.ndarray
    ambiguous: np.ndarray
    currencies: pa.Array | None
    decimal: str


def _np(arr) -> np.ndarray:
    return arr.to_numpy(zero_copy_only=False)


def _mask(arr) -> np.ndarray:
    return _np(pc.fill_null(arr, False))


def _numeric(values: pd.Series) -> AmountColumn | None:
    """Columns of numbers (Parquet, databases, Excel cells read as numbers): no text to parse."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        out = values.to_numpy(dtype="float64", na_value=np.nan)
    elif values.dtype == object and len(values) and not values.map(type).eq(str).any():
        # database drivers hand back Decimal objects: numeric unless some are text
        out = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        missing = values.isna().to_numpy()
        no = np.zeros(len(out), dtype=bool)
        bad = np.isnan(out) & ~missing
        return AmountColumn(out, bad, missing, np.isinf(out), no, no, None, ".")
    else:
        return None
    missing = np.isnan(out)
    no = np.zeros(len(out), dtype=bool)
    return AmountColumn(out, no, missing, np.isinf(out), no, no, None, ".")


def read_amounts(values: pd.Series, decimal: str = "auto") -> AmountColumn:
    """Parse a column of amounts (numbers, or text such as ``NT$1,200``, ``-$5.50``, ``(300)``, ``１２００``).

    Parameters
    ----------
    values : Series
        The column as read (text, numbers, or ``Decimal`` objects from a database).
    decimal : {"auto", ".", ","}
        The decimal mark: decided from the column's values (``auto``), or set.

    Returns
    -------
    AmountColumn
        The values and the masks of the rows with each kind of problem.
    """
    numeric = _numeric(values)
    if numeric is not None:
        return numeric
    if values.dtype == object:
        values = values.astype("str").where(values.notna(), None)
    text = to_arrow_text(values)
    n = len(text)
    no = np.zeros(n, dtype=bool)
    missing = _np(pc.fill_null(pc.equal(text, ""), True))
    if text.null_count == 0 and n and decimal != ",":
        try:  # the common case: plain numbers, one C++ cast (and one check for 3.400)
            out = _np(pc.cast(text, pa.float64()))
            if np.isfinite(out).all() and (
                decimal == "." or not pc.any(pc.match_substring_regex(text, _AMBIGUOUS_DOT_VALUE)).as_py()
            ):
                return AmountColumn(out, no, missing, no, no, no, None, ".")
        except pa.ArrowInvalid:
            pass
    non_finite = _mask(pc.match_substring_regex(text, _NON_FINITE_RE))
    m = pc.extract_regex(text, _AMOUNT_RE)
    ok = _mask(m.is_valid())
    po = _mask(pc.equal(m.field("po"), "("))
    pcl = _mask(pc.equal(m.field("pc"), ")"))
    signs = joined_fields(m, "n1", "n2", "n3")
    n_signs = _np(pc.fill_null(pc.utf8_length(signs), 0))
    neg = _mask(pc.equal(signs, "-"))
    ok &= (po == pcl) & (n_signs <= 1) & ~(po & (n_signs > 0))
    num = pc.fill_null(m.field("num"), "")

    def kind(pattern: str) -> np.ndarray:
        return _mask(pc.match_substring_regex(num, pattern)) & ok

    amb_dot, amb_comma = kind(_AMBIGUOUS_DOT), kind(_AMBIGUOUS_COMMA)
    dot = kind(_DOT_DECIMAL) & ~amb_dot
    comma = kind(_COMMA_DECIMAL) & ~amb_comma
    plain = kind(_PLAIN)
    ok &= plain | amb_dot | amb_comma | dot | comma
    mixed = ambiguous = no
    if decimal == "auto":
        n_dot, n_comma = int(dot.sum()), int(comma.sum())
        decimal = "," if n_comma > n_dot else "."
        if n_dot and n_comma:
            mixed = comma if decimal == "." else dot
        elif not n_dot and not n_comma:
            ambiguous = amb_dot  # nothing in the column says whether 3.400 is 3.4 or 3400
    wrong = comma if decimal == "." else dot
    ok &= ~wrong & ~ambiguous
    if decimal == ".":
        number = pc.replace_substring(num, ",", "")
    else:
        number = pc.replace_substring(pc.replace_substring(num, ".", ""), ",", ".")
    number = pc.if_else(pa.array(ok), number, pa.scalar(None, number.type))
    amount = _np(pc.fill_null(pc.cast(number, pa.float64()), np.nan))
    amount = np.where(po | neg, -amount, amount)
    cur = concat_text(
        pc.utf8_upper(pc.fill_null(m.field("c1"), "")), pc.utf8_upper(pc.fill_null(m.field("c2"), ""))
    )
    keys = list(_CURRENCY_TOKENS)
    codes = pc.index_in(cur, pa.array(keys))
    currencies = pc.take(pa.array([*_CURRENCY_TOKENS.values(), ""]), pc.fill_null(codes, len(keys)))
    wrong_mark = wrong & ~mixed
    bad = ~ok & ~missing & ~non_finite & ~mixed & ~ambiguous & ~wrong_mark
    return AmountColumn(amount, bad | wrong_mark, missing, non_finite, mixed, ambiguous, currencies, decimal)


def parse_amounts(
    values: pd.Series, decimal: str = "auto"
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pa.Array | None]:
    """Parse a column of amounts (see ``read_amounts``); every kind of problem counts as not parsed.

    Parameters
    ----------
    values : Series
        The column as read.
    decimal : {"auto", ".", ","}
        The decimal mark (see the module doc).

    Returns
    -------
    tuple
        ``(amounts, bad, missing, currencies)``: float64 (NaN where not parsed), a mask of rows with a
        value that could not be parsed, a mask of empty rows, and the currency code each text value names
        (``TWD``/``HKD``/``USD``, ``""`` for none or a bare ``$``; ``None`` when the column holds numbers).
    """
    col = read_amounts(values, decimal)
    bad = col.bad | col.non_finite | col.mixed | col.ambiguous
    return np.where(bad, np.nan, col.values), bad, col.missing, col.currencies
