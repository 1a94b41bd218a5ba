"""Vectorised parsers for the text that real exports contain: dates (ISO, slashes, compact, ROC 民國) and
amounts (``NT$1,200``, ``(300)``, full-width digits).

Everything works on whole columns with pyarrow compute (RE2 regular expressions in C++) and numpy; there
is no per-row Python, so a 10-million-row log parses in seconds. Each parser returns the parsed values and
boolean masks of the rows it could not parse, so the loader can report *all* bad rows at once.

Dates (``date_format="auto"``), each optionally followed by a time ``HH:MM[:SS[.ffffff]]`` (24-hour, or
with ``上午/下午``/``AM/PM``) and an optional UTC offset (``Z``, ``+08:00``):

* ``2024-03-05``, ``2024/03/05``, ``2024.3.5``, ``2024-03-05T14:30:00``;
* ``20240305`` (8 digits, Gregorian) and ``1130305`` (7 digits: 民國 year 113 = 2024);
* ``113/03/05``, ``99/12/31``: a year of 2-3 digits is a 民國 (ROC) year, year + 1911;
* ``民國113年3月5日``, ``2024年3月5日``.

``date_format="roc"`` reads every year as a 民國 year (a 4-digit year is then an error); any other value
is a strftime pattern for ``pandas.to_datetime`` (e.g. ``"%m/%d/%Y"``, which auto does not guess).
Values with a UTC offset are converted to ``timezone`` (the brand's local time) and made naive.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

ROC_OFFSET = 1911

_TIME = (
    r"(?:(?:[T ]|\s)+(?P<ap1>上午|下午|AM|PM|am|pm)?\s*(?P<H>\d{1,2}):(?P<M>\d{2})"
    r"(?::(?P<S>\d{2})(?:\.(?P<F>\d{1,9}))?)?\s*(?P<ap2>AM|PM|am|pm)?\s*(?P<tz>Z|[+-]\d{2}(?::?\d{2})?)?)?"
)
_DATE_RE = (
    r"^\s*(?:"
    r"(?P<y1>\d{2,4})[-/.](?P<m1>\d{1,2})[-/.](?P<d1>\d{1,2})"
    r"|(?P<y2>\d{3,4})(?P<m2>\d{2})(?P<d2>\d{2})"
    r"|(?:民國)?\s*(?P<y3>\d{2,4})\s*年\s*(?P<m3>\d{1,2})\s*月\s*(?P<d3>\d{1,2})\s*日?"
    r")" + _TIME + r"\s*$"
)

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
    r"(?P<num>(?:\d{1,3}(?:,\d{3})+(?:\.\d*)?|\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)"
    r"\s*(?P<c2>元|NTD|TWD|HKD|USD)?\s*(?P<n3>-)?\s*(?P<pc>\))?\s*$"
)


def to_arrow_text(values: pd.Series | pa.Array) -> pa.Array:
    """A text column as one pyarrow string array (nulls kept), NFKC-normalised only when non-ASCII occurs."""
    if isinstance(values, pd.Series):
        arr = pa.array(values.array, from_pandas=True) if len(values) else pa.array([], pa.string())
    else:
        arr = values
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        arr = pc.cast(arr, pa.large_string())
    if not pc.all(pc.string_is_ascii(arr)).as_py() and len(arr):
        # full-width digits, ＄, ／, ： and ideographic spaces -> ASCII; U+2212 MINUS SIGN -> '-'
        arr = pc.replace_substring(pc.utf8_normalize(arr, form="NFKC"), "\u2212", "-")
    return pc.utf8_trim_whitespace(arr)


def _int(field: pa.Array) -> np.ndarray:
    """Digits (or '' for an unmatched group) -> int64 with -1 for absent."""
    field = pc.if_else(pc.equal(field, ""), pa.scalar(None, field.type), field)
    return pc.fill_null(pc.cast(field, pa.int64()), -1).to_numpy(zero_copy_only=False)


def _concat(*parts: pa.Array) -> pa.Array:
    """Element-wise concatenation of string arrays (nulls as empty)."""
    parts = [pc.fill_null(p, "") for p in parts]
    return pc.binary_join_element_wise(*parts, pa.scalar("", parts[0].type))


def _joined(struct: pa.StructArray, *names: str) -> pa.Array:
    return _concat(*(struct.field(n) for n in names))


def _fast_iso(text: pa.Array) -> np.ndarray | None:
    """The common case in one strict C++ pass: every non-empty value is ISO 8601 without an offset
    (``2024-03-05``, ``2024-03-05 14:30[:15[.123456]]``, ``T`` or space). None when any value is not."""
    empty = pc.equal(text, "")
    try:
        ts = pc.cast(pc.if_else(empty, pa.scalar(None, text.type), text), pa.timestamp("us"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return ts.to_numpy(zero_copy_only=False).astype("datetime64[us]")


def parse_dates(
    values: pd.Series, date_format: str = "auto", timezone: str | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse a column of date texts.

    Returns ``(datetimes, bad, missing)``: ``datetime64[us]`` (NaT where not parsed), a mask of rows
    with a value that could not be parsed, and a mask of empty rows.
    """
    text = to_arrow_text(values)
    missing = pc.fill_null(pc.equal(text, ""), True).to_numpy(zero_copy_only=False)
    if date_format not in ("auto", "roc"):
        parsed = pd.to_datetime(pd.Series(text.to_pandas(), dtype="str"), format=date_format, errors="coerce")
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_convert(timezone or "UTC").dt.tz_localize(None)
        out = parsed.to_numpy().astype("datetime64[us]")
        bad = np.isnat(out) & ~missing
        return out, bad, missing

    if date_format == "auto" and len(text):
        fast = _fast_iso(text)
        if fast is not None:
            return fast, np.zeros(len(fast), dtype=bool), missing
    m = pc.extract_regex(text, _DATE_RE)
    matched = pc.fill_null(m.is_valid(), False).to_numpy(zero_copy_only=False)
    ytxt = _joined(m, "y1", "y2", "y3")
    year = _int(ytxt)
    month = _int(_joined(m, "m1", "m2", "m3"))
    day = _int(_joined(m, "d1", "d2", "d3"))
    ylen = pc.fill_null(pc.utf8_length(ytxt), 0).to_numpy(zero_copy_only=False)
    roc = ylen <= 3 if date_format == "auto" else np.ones(len(year), dtype=bool)
    ok = matched & ((ylen <= 3) | (date_format == "auto"))
    year = np.where(roc, year + ROC_OFFSET, year)

    hour = _int(m.field("H"))
    minute = _int(m.field("M"))
    second = _int(m.field("S"))
    frac_txt = pc.fill_null(m.field("F"), "")
    has_time = hour >= 0
    hour = np.where(has_time, hour, 0)
    minute = np.where(has_time, minute, 0)
    second = np.where(second >= 0, second, 0)
    ampm = _joined(m, "ap1", "ap2")
    ampm = pc.utf8_upper(ampm)
    pm = pc.fill_null(pc.is_in(ampm, pa.array(["下午", "PM"])), False).to_numpy(zero_copy_only=False)
    am_pm = pc.fill_null(pc.not_equal(ampm, ""), False).to_numpy(zero_copy_only=False)
    ok &= ~am_pm | ((hour >= 1) & (hour <= 12))
    hour = np.where(am_pm, hour % 12 + np.where(pm, 12, 0), hour)
    ok &= (hour <= 23) & (minute <= 59) & (second <= 59)
    # fractional seconds: left-justify to 6 digits (microseconds)
    frac = pc.utf8_slice_codeunits(pc.utf8_rpad(frac_txt, width=6, padding="0"), 0, 6)
    micro = _int(frac)
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
    has_tz = pc.not_equal(tz_txt, "").to_numpy(zero_copy_only=False) & ok
    if has_tz.any():
        tzs = pc.replace_substring(pc.replace_substring(tz_txt, "Z", "+0000"), ":", "")
        sign = np.where(pc.starts_with(tzs, "-").to_numpy(zero_copy_only=False), -1, 1)
        hh = _int(pc.utf8_slice_codeunits(tzs, 1, 3))
        mm = _int(pc.utf8_slice_codeunits(tzs, 3, 5))
        offset = (sign * (np.maximum(hh, 0) * 60 + np.maximum(mm, 0))).astype("timedelta64[m]")
        utc = stamp[has_tz] - offset[has_tz]
        local = pd.DatetimeIndex(utc).tz_localize("UTC").tz_convert(timezone or "UTC").tz_localize(None)
        stamp[has_tz] = local.to_numpy().astype("datetime64[us]")

    stamp[~ok] = np.datetime64("NaT")
    bad = ~ok & ~missing
    return stamp, bad, missing


def parse_amounts(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, pa.Array | None]:
    """Parse a column of amounts (numbers, or text like ``NT$1,200``, ``-$5.50``, ``(300)``, ``１２００``).

    Returns ``(amounts, bad, missing, currencies)``: float64 (NaN where not parsed), a mask of rows with a
    value that could not be parsed, a mask of empty rows, and the currency code each text value names
    (``TWD``/``HKD``/``USD``, ``""`` for none or a bare ``$``; ``None`` when the column holds plain numbers).
    """
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        out = values.to_numpy(dtype="float64", na_value=np.nan)
        missing = np.isnan(out)
        return out, np.zeros(len(out), dtype=bool), missing, None
    if values.dtype == object and len(values):
        # database drivers hand back Decimal objects: numeric unless some are text
        is_text = values.map(type).eq(str).to_numpy()  # types only, cheap relative to the DB read
        if not is_text.any():
            out = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
            missing = values.isna().to_numpy()
            return out, np.isnan(out) & ~missing, missing, None
        values = values.astype("str")
    text = to_arrow_text(values)
    missing = pc.fill_null(pc.equal(text, ""), True).to_numpy(zero_copy_only=False)
    if text.null_count == 0 and len(text):
        try:  # the common case: plain numbers, one C++ cast
            out = pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)
            if np.isfinite(out).all():
                return out, np.zeros(len(out), dtype=bool), missing, None
        except pa.ArrowInvalid:
            pass
    m = pc.extract_regex(text, _AMOUNT_RE)
    ok = pc.fill_null(m.is_valid(), False).to_numpy(zero_copy_only=False)
    po = pc.fill_null(pc.equal(m.field("po"), "("), False).to_numpy(zero_copy_only=False)
    pcl = pc.fill_null(pc.equal(m.field("pc"), ")"), False).to_numpy(zero_copy_only=False)
    signs = _joined(m, "n1", "n2", "n3")
    n_signs = pc.fill_null(pc.utf8_length(signs), 0).to_numpy(zero_copy_only=False)
    neg = pc.fill_null(pc.equal(signs, "-"), False).to_numpy(zero_copy_only=False)
    ok &= (po == pcl) & (n_signs <= 1) & ~(po & (n_signs > 0))
    num = pc.replace_substring(pc.fill_null(m.field("num"), ""), ",", "")
    num = pc.if_else(pa.array(ok), num, pa.scalar(None, num.type))
    amount = pc.fill_null(pc.cast(num, pa.float64()), np.nan).to_numpy(zero_copy_only=False)
    amount = np.where(po | neg, -amount, amount)
    c1 = pc.utf8_upper(pc.fill_null(m.field("c1"), ""))
    c2 = pc.utf8_upper(pc.fill_null(m.field("c2"), ""))
    cur = _concat(c1, c2)
    keys = list(_CURRENCY_TOKENS)
    codes = pc.index_in(cur, pa.array(keys))
    currencies = pc.take(pa.array([*_CURRENCY_TOKENS.values(), ""]), pc.fill_null(codes, len(keys)))
    bad = ~ok & ~missing
    return amount, bad, missing, currencies


# Channel labels as POS and e-commerce back offices write them, normalised (lower case; spaces, hyphens,
# dots and underscores removed) -> the canonical channel. Anything else stays as it was written.
CHANNEL_LABELS: dict[str, str] = {
    **dict.fromkeys(
        ["store", "stores", "shop", "offline", "pos", "retail", "instore", "physical", "brickandmortar",
         "門市", "實體", "實體店", "實體門市", "實體通路", "店舖", "店鋪", "門店", "分店", "專櫃", "櫃點",
         "百貨", "百貨專櫃", "線下", "线下", "门店", "门市", "實體店舖", "實體店鋪"],
        "store",
    ),
    **dict.fromkeys(
        ["online", "web", "website", "ecommerce", "ec", "eshop", "webshop", "app", "mobileapp", "internet",
         "網路", "網路商店", "網購", "線上", "线上", "官網", "官方網站", "官方網路商店", "網店", "網站", "電商",
         "电商", "网店", "网络", "網上", "網上商店", "網上商城", "購物網站", "線上商店"],
        "online",
    ),
}  # fmt: skip


def channel_of(label: str) -> str:
    """The canonical channel (``store``/``online``) a label stands for, or the label itself."""
    key = "".join(ch for ch in label.strip().lower() if ch not in " -._\u3000")
    return CHANNEL_LABELS.get(key, label)
