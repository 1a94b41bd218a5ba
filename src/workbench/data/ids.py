"""Member and order ids: guest rows set apart, leading zeros, decimals and scientific notation.

Guest rows (``guest_rows``): POS exports write a sale to a non-member with an empty member id or a
placeholder (``NA``, ``0``, ``非會員``, ``guest``). Those ids (``guest_ids``, compared after trimming and
NFKC normalisation, case-insensitively for Latin letters) are set apart *before* the member-id checks:
the loader leaves them out of the canonical frame and counts them (rows, net revenue).

Member ids and leading zeros (``member_ids``), on the other rows:

* ids stored as numbers (an integer/decimal column in Parquet or a database) whose digit counts differ
  (``1`` and ``12345``) are rejected: their zero padding is gone and cannot be guessed. Ids that all have
  the same number of digits are accepted as text.
* text ids: when some digit-only ids start with ``0`` (so the brand zero-pads, to width W = the longest
  such id), digit-only ids shorter than W are rejected as "lost their leading zeros" (typically a
  round trip through Excel). Ids that look like decimals (``123.0``) or are written in scientific
  notation (``1.23457E+11``: Excel shows long numbers so, and saves them so to CSV) are rejected too.
* ``member_id_width=N`` is the explicit repair: digit-only ids are left-padded with zeros to N digits
  (``member_id_width=1`` accepts numeric ids as they are).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.data.validation import Collector, as_str, text_array

DEFAULT_GUEST_IDS: tuple[str, ...] = ("", "NA", "N/A", "0", "非會員", "訪客", "guest")
"""Member ids that mark a guest (non-member) sale by default."""
_SCIENTIFIC = r"^[-+]?\d+(?:[.,]\d+)?[eE][-+]?\d+$"
_MAX_VARIANTS = 1 << 10


def _np(arr) -> np.ndarray:
    return arr.to_numpy(zero_copy_only=False)


def _spellings(guest_ids: Sequence[str]) -> list[str]:
    """Every upper/lower-case spelling of the (NFKC-normalised, trimmed) guest ids, so that one hash lookup per row (``is_in``) compares case-insensitively without lower-casing every id of the column."""
    out: set[str] = set()
    for gid in guest_ids:
        text = to_text(gid)
        letters = [i for i, ch in enumerate(text) if ch.lower() != ch.upper()]
        if 2 ** len(letters) > _MAX_VARIANTS:
            out.update({text, text.lower(), text.upper(), text.title()})
            continue
        for combo in itertools.product((str.lower, str.upper), repeat=len(letters)):
            chars = list(text)
            for i, f in zip(letters, combo, strict=True):
                chars[i] = f(chars[i])
            out.add("".join(chars))
    return sorted(out)


def to_text(value: str) -> str:
    """One id as the loader compares it: NFKC-normalised and trimmed."""
    import unicodedata

    return unicodedata.normalize("NFKC", str(value)).strip()


def guest_rows(text: pa.Array, guest_ids: Sequence[str]) -> np.ndarray:
    """Mask of the rows whose member id (trimmed text, see ``member_id_text``) is a guest id.

    Parameters
    ----------
    text : pyarrow.Array
        The member ids as text (nulls for missing values).
    guest_ids : sequence of str
        The ids that mark a guest sale; ``""`` also matches missing values.

    Returns
    -------
    numpy.ndarray
        Boolean mask, True for guest rows.
    """
    spellings = _spellings(guest_ids)
    if not spellings:
        return np.zeros(len(text), dtype=bool)
    hit = pc.is_in(text, value_set=pa.array(spellings, text.type))
    mask = _np(pc.fill_null(hit, "" in spellings))
    if not pc.all(pc.string_is_ascii(text)).as_py():
        # ids with full-width or other non-ASCII characters: compare their normalised form
        wide = _np(pc.invert(pc.fill_null(pc.string_is_ascii(text), True)))
        norm = pc.utf8_trim_whitespace(pc.utf8_normalize(pc.filter(text, pa.array(wide)), form="NFKC"))
        mask[wide] = _np(pc.fill_null(pc.is_in(norm, value_set=pa.array(spellings, norm.type)), False))
    return mask


def member_id_text(values: pd.Series, col: Collector) -> tuple[pa.Array, bool]:
    """The member id column as trimmed text, and whether it was stored as numbers.

    Whole numbers are written without a trailing ``.0``; a number that is not whole is reported.
    """
    numeric = pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype)
    if values.dtype == object and len(values) and not values.dropna().map(type).eq(str).all():
        numeric = True
        values = pd.to_numeric(values, errors="coerce")
    if not numeric:
        return text_array(values), False
    v = values.to_numpy(dtype="float64", na_value=np.nan)
    fractional = ~np.isnan(v) & (v != np.round(v))
    col.rows(
        "member_id_not_integer",
        "member_id",
        fractional,
        values.reset_index(drop=True),
        "with numbers that are not whole ids",
    )
    ids = pd.Series(np.where(fractional, np.nan, v)).astype("Int64")
    return pa.array(ids.astype("str").where(ids.notna(), None).array, from_pandas=True), True


def _has_byte(arr: pa.Array | pa.ChunkedArray, values: bytes) -> bool:
    """Whether any of the bytes ``values`` occurs in the character data of a string array (read from the Arrow buffer, no copy; conservative.

    Bytes of values sliced away count too).
    """
    for chunk in arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]:
        if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
            return True
        _, offsets, data = chunk.buffers()
        if data is None or len(chunk) == 0:
            continue
        kind = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        off = np.frombuffer(offsets, dtype=kind)[chunk.offset : chunk.offset + len(chunk) + 1]
        text = data.slice(int(off[0]), int(off[-1] - off[0])).to_pybytes()  # this chunk's characters only
        if any(text.find(bytes([v])) >= 0 for v in values):  # bytes.find is a memchr: no kernel per value
            return True
    return False


def scientific_ids(text: pa.Array, column: str, col: Collector) -> None:
    """Report ids written in scientific notation (``1.23457E+11``), as Excel writes long numbers."""
    if not _has_byte(text, b"eE"):
        return
    mask = _np(pc.fill_null(pc.match_substring_regex(text, _SCIENTIFIC), False))
    col.rows(
        f"{column}_scientific",
        column,
        mask,
        text,
        "with ids in scientific notation, as Excel shows and saves long numbers: the digits after the "
        "sixth are lost",
        "export the id column as text (Excel: format the column as Text before entering or pasting the ids)",
    )


def member_ids(
    text: pa.Array, numeric: bool, dtype, width: int | None, guest: np.ndarray, col: Collector
) -> pd.Series:
    """Check the member ids of the rows that are not guests (see the module doc) and return them as text.

    Parameters
    ----------
    text : pyarrow.Array
        The ids as trimmed text (``member_id_text``).
    numeric : bool
        Whether the source stored them as numbers.
    dtype : object
        The source column's dtype, for the message about numeric ids.
    width : int or None
        ``member_id_width``: zero-pad digit-only ids to this many digits.
    guest : numpy.ndarray
        Mask of the guest rows (not checked).
    col : Collector
        Where problems go.

    Returns
    -------
    Series
        The ids as an Arrow-backed ``str`` Series (guest rows included, as read).
    """
    member = ~guest
    missing = _np(pc.fill_null(pc.equal(text, ""), True))
    col.rows("missing_member_id", "member_id", missing & member, text, "without a member id")
    scientific_ids(pc.if_else(pa.array(member), text, pa.scalar(None, text.type)), "member_id", col)
    digits = _np(pc.fill_null(pc.utf8_is_digit(text), False)) & member
    # lengths in characters; for ASCII text the byte lengths (no UTF-8 decoding) are the same
    ascii_only = pc.all(pc.string_is_ascii(text)).as_py() is not False
    length = _np(pc.fill_null(pc.binary_length(text) if ascii_only else pc.utf8_length(text), 0))
    if width:
        pad = pa.array(digits & (length < width))
        return as_str(pc.if_else(pad, pc.utf8_lpad(text, width=int(width), padding="0"), text))
    if numeric:
        ok = ~missing & member
        if ok.any() and length[ok].min() != length[ok].max():
            short = ok & (length < length[ok].max())
            col.rows(
                "member_id_numeric",
                "member_id",
                short,
                text,
                f"with member ids stored as numbers ({dtype}) with fewer digits than the longest id "
                f"({length[ok].max()}): their leading zeros are lost",
                "export member ids as text, or set member_id_width to zero-pad them",
            )
        return as_str(text)
    if not digits[member].all() and pc.any(pc.match_substring(text, ".")).as_py():
        decimal = _np(pc.fill_null(pc.match_substring_regex(text, r"^\d+\.0+$"), False)) & member
        col.rows(
            "member_id_decimal",
            "member_id",
            decimal,
            text,
            "with member ids that look like converted decimals",
            "export member ids as text (Excel: format the column as Text)",
        )
    zero_led = digits & _np(pc.fill_null(pc.starts_with(text, "0"), False))
    if zero_led.any():
        w = int(length[zero_led].max())
        col.rows(
            "member_id_zeros",
            "member_id",
            digits & (length < w),
            text,
            f"with digit-only member ids shorter than the zero-padded width {w} that other ids use: "
            "their leading zeros were probably stripped (e.g. by Excel)",
            f"re-export ids as text, or set member_id_width: {w} to zero-pad them",
        )
    return as_str(text)
