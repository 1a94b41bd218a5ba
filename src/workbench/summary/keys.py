"""Exact integer codes for text identifiers (member ids, order ids), fast on tens of millions of rows.

Hashing 10 million short strings is the slowest step of a per-member summary. Real ids are usually
fixed-width codes (``0000123``, ``T000000001``, ``M2024-00017``): after dropping the byte positions
that are the same in every row, what is left either fits in 8 bytes or is all digits, and maps
*exactly* (no hashing, no collisions) to an integer whose order is the ids' text order. Anything
else falls back to Arrow's dictionary encoding.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workbench.summary.words import digit_keys


def _chunks(values) -> list[pa.Array]:
    """The ids as a list of Arrow large_string arrays (chunks kept: no copy of the whole column)."""
    if isinstance(values, pa.ChunkedArray):
        chunks = list(values.chunks)
    elif isinstance(values, pa.Array):
        chunks = [values]
    else:
        arr = getattr(values, "array", values)
        pa_arr = getattr(arr, "_pa_array", None)
        if pa_arr is not None:
            chunks = list(pa_arr.chunks)
        else:
            chunks = [pa.array(np.asarray(values, dtype=object))]
    out = []
    for chunk in chunks:
        if not pa.types.is_large_string(chunk.type):
            chunk = chunk.cast(pa.large_string())
        if len(chunk):
            out.append(chunk)
    return out


def _fixed_width(chunks: list[pa.Array]) -> list[np.ndarray] | None:
    """Each chunk as an (n, width) uint8 matrix when every id has the same byte length, else None."""
    matrices, width = [], None
    for arr in chunks:
        if arr.null_count:
            return None
        offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
        w = int(offsets[1] - offsets[0])
        if width is None:
            width = w
        if w != width or w == 0 or w > 64 or offsets[-1] - offsets[0] != w * len(arr):
            return None
        if np.any(np.diff(offsets) != w):
            return None
        data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
        matrices.append(data.reshape(len(arr), w))
    return matrices or None


def _varying_span(matrices: list[np.ndarray]) -> tuple[int, int] | None:
    """First and last byte position that differs between ids (None when all ids are equal).

    Found on a sample, then every position outside the span is checked on all rows (one strided pass
    per position), so the result is exact.
    """
    first = matrices[0][0]
    width = len(first)
    total = sum(len(m) for m in matrices)
    step = max(total // 100_000, 1)
    sample = np.concatenate([m[::step] for m in matrices] + [matrices[-1][-1:]])
    varying = np.flatnonzero(sample.min(axis=0) != sample.max(axis=0))
    lo, hi = (int(varying[0]), int(varying[-1])) if len(varying) else (width, -1)
    for j in [*range(0, min(lo, width)), *range(hi + 1, width)]:
        if any((m[:, j] != first[j]).any() for m in matrices):
            lo, hi = min(lo, j), max(hi, j)
    return None if hi < lo else (lo, hi)


def _key_bytes(m: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Big-endian integer of bytes lo..hi (at most 8, first byte < 0x80): one padded copy and a view."""
    width = hi - lo + 1
    padded = np.zeros((len(m), 8), dtype=np.uint8)
    padded[:, 8 - width :] = m[:, lo : hi + 1]
    return padded.view(">u8").ravel().astype(np.int64)


def _key_digits(m: np.ndarray, lo: int, hi: int) -> np.ndarray | None:
    """The number spelt by decimal digits lo..hi (at most 18), or None if any byte is not a digit."""
    digits = m[:, lo : hi + 1] - np.uint8(48)  # a copy; bytes below "0" wrap around to large values
    if digits.size and digits.max() > 9:
        return None
    dtype = np.uint32 if hi - lo < 9 else np.uint64  # narrow accumulator: half the memory traffic
    key = digits[:, 0].astype(dtype)
    for j in range(1, hi - lo + 1):
        key *= dtype(10)
        key += digits[:, j]
    return key.astype(np.int64)


def _text_of(key: np.ndarray, layout: tuple) -> np.ndarray:
    """The ids (an (n, width) uint8 matrix) that ``key`` stands for: the inverse of ``_exact``."""
    template, lo, hi, kind = layout
    out = np.repeat(template[None, :], len(key), axis=0)
    if kind == "digits":
        dtype = np.uint32 if hi - lo < 9 else np.uint64  # below 10**9: 32-bit division, twice as fast
        rest = key.astype(dtype)
        digit = np.empty_like(rest)
        for j in range(hi, lo - 1, -1):
            np.divmod(rest, dtype(10), out=(rest, digit))
            digit += dtype(48)
            out[:, j] = digit
    elif kind == "bytes":
        width = hi - lo + 1
        out[:, lo : hi + 1] = key.astype(">u8").view(np.uint8).reshape(len(key), 8)[:, 8 - width :]
    return out


def _string_array(matrix: np.ndarray, present: np.ndarray | None = None) -> pa.Array:
    """Arrow large_string array of fixed-width rows (null where ``present`` is False)."""
    n, width = matrix.shape
    offsets = pa.py_buffer(np.arange(0, (n + 1) * width, width, dtype=np.int64))
    data = pa.py_buffer(np.ascontiguousarray(matrix))
    validity, nulls = None, 0
    if present is not None and not present.all():
        validity = pa.py_buffer(np.packbits(present, bitorder="little"))
        nulls = int(n - np.count_nonzero(present))
    return pa.Array.from_buffers(pa.large_string(), n, [validity, offsets, data], null_count=nulls)


def _exact(chunks: list[pa.Array]) -> tuple[np.ndarray, tuple] | None:
    """Exact keys and the layout that turns them back into text (see ``_text_of``), or None."""
    fast = digit_keys(chunks, fixed=True) if chunks else None
    if fast is not None:
        return fast[0], fast[2]
    matrices = _fixed_width(chunks) if chunks else None
    return None if matrices is None else _exact_matrices(matrices)


def _exact_matrices(matrices: list[np.ndarray]) -> tuple[np.ndarray, tuple] | None:
    """``_exact`` of ids given as (n, width) uint8 matrices of one width."""
    span = _varying_span(matrices)
    if span is None:
        return np.zeros(sum(len(m) for m in matrices), dtype=np.int64), (matrices[0][0].copy(), 0, -1, "same")
    # Positions outside the span are equal in every id, so the span alone orders and identifies ids.
    lo, hi = span
    parts, kind = None, "digits"
    if hi - lo < 18:  # decimal digits first: they give dense keys (lookup tables instead of sorts)
        parts = [_key_digits(m, lo, hi) for m in matrices]
        if any(p is None for p in parts):
            parts = None
    if parts is None and (hi - lo < 7 or (hi - lo == 7 and all(m[:, lo].max() < 0x80 for m in matrices))):
        parts, kind = [_key_bytes(m, lo, hi) for m in matrices], "bytes"
    if parts is None:
        return None
    key = parts[0] if len(parts) == 1 else np.concatenate(parts)
    return key, (matrices[0][0].copy(), lo, hi, kind)


def exact_keys(values) -> np.ndarray | None:
    """Exact, order-preserving int64 keys of text ids when the fixed-width rule applies, else None."""
    found = _exact(_chunks(values))
    return None if found is None else found[0]


def encode(values, *, dense: bool = True) -> tuple[np.ndarray, pa.Array]:
    """Codes (int64) and the unique ids (Arrow strings, indexed by code) of text ids.

    ``uniques.take(codes)`` gives back the ids, and code order is the ids' sorted text order (byte-wise).
    With ``dense=False`` the codes may leave gaps (``uniques`` is null there) when that saves a sort:
    callers that only aggregate by code and drop empty codes get the same result, faster.
    """
    chunks = _chunks(values)
    found = _exact(chunks)
    if found is not None and len(found[0]):
        # the unique ids are rebuilt from their keys (no gather over the rows' strings)
        key, layout = found
        low = int(key.min())
        span = int(key.max()) - low + 1
        if not dense and span <= max(2 * len(key), 1 << 16):
            codes = np.subtract(key, low, out=key)  # key is our own fresh array
            present = np.zeros(span, dtype=bool)
            present[codes] = True
            return codes, _string_array(_text_of(np.arange(low, low + span), layout), present)
        sorted_keys = np.sort(key)
        keep = np.empty(len(sorted_keys), dtype=bool)
        keep[:1] = True
        np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=keep[1:])
        uniq_keys = sorted_keys[keep]
        if span <= max(4 * len(key), 1 << 20):  # dense enough for a lookup table
            lut = np.zeros(span, dtype=np.int64)
            lut[uniq_keys - low] = np.arange(len(uniq_keys))
            codes = lut[key - low]
        else:
            codes = np.searchsorted(uniq_keys, key)
        return codes, _string_array(_text_of(uniq_keys, layout))
    arr = (
        pa.chunked_array(chunks, type=pa.large_string())
        if chunks
        else pa.chunked_array([], pa.large_string())
    )
    encoded = pc.dictionary_encode(arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0))
    dictionary = encoded.dictionary
    order = pc.sort_indices(dictionary).to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    codes = rank[encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)]
    return codes, dictionary.take(pa.array(order))


def split_missing(values) -> tuple[pa.ChunkedArray, np.ndarray | None]:
    """The ids that are neither null nor empty (Arrow strings), and the mask of the others (None if none)."""
    arr = pa.chunked_array(_chunks(values), type=pa.large_string())
    missing = pc.fill_null(pc.equal(arr, ""), True)
    if not pc.any(missing).as_py():
        return arr, None
    return arr.filter(pc.invert(missing)), missing.to_numpy(zero_copy_only=False)


def _count_in_order(group: np.ndarray, item: np.ndarray, n_groups: int) -> np.ndarray | None:
    """``count_distinct_per_group`` by runs of equal items, or None when the items are out of order.

    A time-sorted log with orders numbered in time order has its items in order; when each run of equal
    items has one group, the runs are counted per group: no scatter, no sort.
    """
    if len(item) < 2 or np.any(np.diff(item[:: max(len(item) // 1000, 1)]) < 0):
        return None  # a sample is out of order already
    step = np.subtract(item[1:], item[:-1])
    if np.any(step < 0):
        return None
    same = step == 0
    if not same.any():
        return np.bincount(group, minlength=n_groups)
    if not np.array_equal(group[1:][same], group[:-1][same]):
        return None
    first = np.empty(len(item), dtype=bool)
    first[0] = True
    np.logical_not(same, out=first[1:])
    return np.bincount(group[first], minlength=n_groups)


def all_distinct(item: np.ndarray, span: int | None = None) -> bool | None:
    """Whether no code occurs twice, by one bitmap of the codes' range.

    Parameters
    ----------
    item : numpy.ndarray
        Non-negative integer codes.
    span : int, optional
        A bound above every code (default: the largest code + 1).

    Returns
    -------
    bool or None
        None when the range is over four times the number of codes (too sparse for a bitmap).
    """
    if not len(item):
        return True
    span = int(item.max()) + 1 if span is None else span
    if span > max(4 * len(item), 1 << 16):
        return None
    seen = np.zeros(span, dtype=bool)
    step = len(item) if item.dtype == np.intp else 1 << 16  # other index types are cast: in blocks
    for b in range(0, len(item), step):
        seen[item[b : b + step]] = True
    return int(np.count_nonzero(seen)) == len(item)


def count_distinct_per_group(
    group: np.ndarray, item: np.ndarray, n_groups: int, *, n_items: int | None = None
) -> np.ndarray:
    """Number of distinct ``item`` codes per ``group`` code (both non-negative int64).

    When each item belongs to one group (an order to one member) and the item codes are dense enough,
    a scatter replaces the sort: each item is counted once, for the group it was last seen in.
    ``n_items``: the items are exactly the codes 0..n_items-1, each used (``dense_codes``).
    """
    if len(group) == 0:
        return np.zeros(n_groups, dtype=np.int64)
    counted = _count_in_order(group, item, n_groups)
    if counted is not None:
        return counted
    span = n_items if n_items is not None else int(item.max()) + 1
    if span <= max(4 * len(item), 1 << 16):
        if (n_items is None or n_items == len(item)) and all_distinct(item, span):  # an order id a row
            return np.bincount(group, minlength=n_groups)
        owner = np.full(span, -1, dtype=np.int32 if n_groups < 1 << 31 else np.int64)
        owner[item] = group
        if np.array_equal(np.take(owner, item), group):  # every item in exactly one group
            return np.bincount(owner if n_items is not None else owner[owner >= 0], minlength=n_groups)
    bits = max(int(item.max()).bit_length(), 1)
    if int(group.max()).bit_length() + bits <= 62:
        pairs = np.sort((group << bits) | item)
        keep = np.empty(len(pairs), dtype=bool)
        keep[:1] = True
        np.not_equal(pairs[1:], pairs[:-1], out=keep[1:])
        return np.bincount(pairs[keep] >> bits, minlength=n_groups)
    order = np.lexsort((item, group))
    g, i = group[order], item[order]
    new = np.ones(len(g), dtype=bool)
    new[1:] = (g[1:] != g[:-1]) | (i[1:] != i[:-1])
    return np.bincount(g[new], minlength=n_groups)


def _width_groups(chunks: list[pa.Array]) -> tuple[np.ndarray, np.ndarray, int] | None:
    """Exact keys of ids of a few byte lengths (``T000000001``, ``T000000001-R``), one key range per length.

    Returns (keys, missing mask, number of rows), with keys disjoint between lengths (their order is not
    the ids' text order) and rows without an id (null or empty) marked missing; None when more than eight
    lengths occur, an id is longer than 64 bytes, or a length's ids are neither digits nor 8 bytes.
    """
    widths, missing, offsets, datas = [], [], [], []
    for arr in chunks:
        off = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
        w = np.diff(off)
        miss = w == 0
        if arr.null_count:
            miss |= arr.is_null().to_numpy(zero_copy_only=False)
        widths.append(w)
        missing.append(miss)
        offsets.append(off)
        datas.append(np.frombuffer(arr.buffers()[2], dtype=np.uint8))
    if not widths:
        return None
    all_w = np.concatenate(widths)
    all_missing = np.concatenate(missing)
    lengths = np.flatnonzero(np.bincount(all_w[~all_missing], minlength=1))
    if len(lengths) > 8 or (len(lengths) and lengths[-1] > 64):
        return None
    key = np.zeros(len(all_w), dtype=np.int64)
    base = 0
    for width in lengths:
        matrices, rows = [], []
        row0 = 0
        for w, miss, off, data in zip(widths, missing, offsets, datas, strict=True):
            r = np.flatnonzero((w == width) & ~miss)
            if len(r):
                windows = np.lib.stride_tricks.sliding_window_view(data, int(width))
                matrices.append(windows[off[r]])
                rows.append(r + row0)
            row0 += len(w)
        found = _exact_matrices(matrices)
        if found is None:
            return None
        part = found[0]
        part -= part.min()
        if base + int(part.max()) >= 1 << 62:
            return None
        key[np.concatenate(rows)] = part + base
        base += int(part.max()) + 1
    return key, all_missing, len(all_w)


def dense_codes(values) -> tuple[np.ndarray, int, np.ndarray | None]:
    """Dense int64 codes of text ids (equal ids, equal codes; 0..n-1) without building the unique strings.

    Rows whose id is null or empty get no code. Returns the codes of the other rows, their number of distinct
    ids ``n``, and the mask of the rows without an id (None when every row has one; the codes then cover every
    row). Code order is unspecified. Ids of a few fixed byte lengths map to exact integer keys (no hashing);
    anything else goes through Arrow's dictionary encoding.
    """
    chunks = _chunks(values)
    found = digit_keys(chunks) if chunks else None
    if found is not None:
        key, missing = found[0], found[1]
        if missing is None:
            key -= key.min()  # a fresh array
        found = key, (missing if missing is not None else np.zeros(len(key), dtype=bool)), len(key)
    else:
        found = _width_groups(chunks)
    if found is None:
        present, missing = split_missing(values)
        encoded = pc.dictionary_encode(
            present.combine_chunks() if present.num_chunks != 1 else present.chunk(0)
        )
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        return codes, len(encoded.dictionary), missing
    key, missing, _ = found
    if missing.any():
        key = key[~missing]
    else:
        missing = None
    if not len(key):
        return key, 0, missing
    span = int(key.max()) + 1
    if span <= max(2 * len(key), 1 << 16):
        used = np.zeros(span, dtype=bool)
        used[key] = True
        lut = np.cumsum(used, dtype=np.int64)
        lut -= 1
        return np.take(lut, key, out=key), int(lut[-1]) + 1, missing  # key is our own fresh array
    uniq, codes = np.unique(key, return_inverse=True)
    return codes.astype(np.int64, copy=False), len(uniq), missing
