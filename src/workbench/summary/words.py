"""Exact integer keys of digit ids read as 8-byte words, straight from the Arrow data buffers.

Real ids are fixed layouts: constant bytes around one run of decimal digits (``0795120``, ``T000000001``,
``T000000248-R``). For each byte length, the layout is read off a sample of rows (a template and the
varying span); then every row is checked and parsed with no copy of its bytes: the 8 bytes at a row's
start plus a shift are read as one little-endian ``uint64`` (a strided view when all rows of a block have
the same length, else one gather through an unaligned view at the offsets), the constant bytes compared with
the template, the digit bytes checked and turned into a number SWAR-style (three multiply/shift steps
for 8 digits). Rows are processed in blocks that stay in cache. The result is exact (no hashing): when any row breaks its
layout, the caller falls back to ``workbench.summary.keys``' general paths.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

_BLOCK = 1 << 16  # rows per block: the block's temporaries stay in cache
_SAMPLE = 2048  # rows per byte length read to find the layout
_ZEROS = 0x3030303030303030  # "00000000"
_LOW = np.uint64(0x0F0F0F0F0F0F0F0F)
_HIGH = np.uint64(0xF0F0F0F0F0F0F0F0)
_SIX = np.uint64(0x0606060606060606)
_STEPS = (  # (mask, multiplier, shift): pairs, quads, then the 8 digits as one number
    (np.uint64(0x00FF00FF00FF00FF), np.uint64(6553601), np.uint64(16)),
    (np.uint64(0x0000FFFF0000FFFF), np.uint64(42949672960001), np.uint64(32)),
)


def _mask(nbytes: int) -> int:
    return (1 << (8 * nbytes)) - 1


def _word_of(values: np.ndarray) -> int:
    """The little-endian integer of up to 8 bytes."""
    return int.from_bytes(bytes(values), "little")


class _Chunk:
    """One Arrow chunk: its offsets and data buffer (as bytes), read as 8-byte words."""

    def __init__(self, arr: pa.Array):
        self.offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
        data = arr.buffers()[2]
        self.data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
        self.nulls = arr.is_null().to_numpy(zero_copy_only=False) if arr.null_count else None
        self.n = len(arr)

    def words(self, pos: np.ndarray) -> np.ndarray:
        """The 8 bytes at each (sorted) position as uint64 (a fresh array); bytes past the buffer read as 0.

        One gather through an unaligned view of the buffer (8-byte windows at every byte), a few times
        faster than two aligned gathers and shifts; the rows within 8 bytes of the end read a padded copy.
        """
        data = self.data
        cut = int(np.searchsorted(pos, len(data) - 8, side="right"))
        if cut == len(pos) == 0:
            return np.zeros(0, dtype=np.uint64)
        if cut:
            view = np.ndarray((len(data) - 7,), dtype="<u8", buffer=data, strides=(1,))
            head = view[pos[:cut] if cut < len(pos) else pos]
            if cut == len(pos):
                return head
            out = np.empty(len(pos), dtype=np.uint64)
            out[:cut] = head
        else:
            out = np.empty(len(pos), dtype=np.uint64)
        first = int(pos[cut])
        pad = np.zeros(max(len(data) - first, 0) + 8, dtype=np.uint8)
        pad[: len(pad) - 8] = data[first:]
        view = np.ndarray((len(pad) - 7,), dtype="<u8", buffer=pad, strides=(1,))
        out[cut:] = view[pos[cut:] - first]
        return out

    def strided(self, first_row: int, count: int, width: int, shift: int) -> np.ndarray:
        """``words`` at rows first_row.. of rows that all have ``width`` bytes (a strided view, no gather)."""
        start = int(self.offsets[first_row]) + shift
        if start + (count - 1) * width + 8 > len(self.data):
            return self.words(self.offsets[first_row : first_row + count] + shift)
        view = np.ndarray((count,), dtype="<u8", buffer=self.data, offset=start, strides=(width,))
        return view.astype(np.uint64)

    def rows_bytes(self, rows: np.ndarray, width: int) -> np.ndarray:
        """The (len(rows), width) bytes of rows of ``width`` bytes (a small gather, for samples)."""
        return self.data[self.offsets[rows][:, None] + np.arange(width)]


def _layout(sample: np.ndarray):
    """Template, lo, hi, constant windows and digit windows of ids of one byte length, or None.

    ``sample``: an (m, width) uint8 matrix of some of the ids (the layout is then checked on every row).
    """
    width = sample.shape[1]
    template = sample[0].copy()
    varying = np.flatnonzero((sample != template).any(axis=0))
    if len(varying):
        lo, hi = int(varying[0]), int(varying[-1])
        span = sample[:, lo : hi + 1]
        if hi - lo >= 16 or span.min() < 48 or span.max() > 57:
            return None
        k = hi - lo + 1
        digits = [(lo, k)] if k <= 8 else [(lo, k - 8), (lo + k - 8, 8)]
    else:
        lo, hi, digits = 0, -1, []
    consts = [(s, min(8, lo - s)) for s in range(0, lo, 8)]
    consts += [(s, min(8, width - s)) for s in range(hi + 1, width, 8)]
    if len(consts) + len(digits) > 4:
        return None
    return template, lo, hi, consts, digits


def _values(read, layout, relevant: np.ndarray | None) -> np.ndarray | None:
    """The number spelt by each row's digits (uint64), or None when a relevant row breaks the layout.

    ``read(shift)`` gives the 8 bytes at each row's start + shift (a fresh array); ``relevant`` marks the
    rows of this layout's length (None: all).
    """
    template, _, _, consts, digits = layout
    bad = None
    for shift, nbytes in consts:
        word = read(shift)
        word ^= np.uint64(_word_of(template[shift : shift + nbytes]))
        word &= np.uint64(_mask(nbytes))
        bad = word if bad is None else np.bitwise_or(bad, word, out=bad)
    value = None
    for shift, k in digits:
        word = read(shift)
        if k < 8:  # keep the k digit bytes as the high bytes, "0"s before them
            np.left_shift(word, np.uint64(8 * (8 - k)), out=word)
            word |= np.uint64(_ZEROS & _mask(8 - k))
        num = word & _LOW
        word &= _HIGH
        word ^= np.uint64(_ZEROS)  # nonzero where a high nibble is not 3
        bad = word if bad is None else np.bitwise_or(bad, word, out=bad)
        np.add(num, _SIX, out=word)
        word &= _HIGH  # nonzero where a low nibble is above 9
        bad |= word
        np.multiply(num, np.uint64(2561), out=num)  # pairs of digits
        np.right_shift(num, np.uint64(8), out=num)
        for mask, mul, shift_by in _STEPS:
            num &= mask
            np.multiply(num, mul, out=num)
            np.right_shift(num, shift_by, out=num)
        if value is None:
            value = num
        else:
            value *= np.uint64(10**k)
            value += num
    if bad is not None and np.any(bad, where=True if relevant is None else relevant):
        return None
    if value is None:
        n = len(bad) if bad is not None else 0
        return np.zeros(n, dtype=np.uint64)
    return value


def _sample(parts: list[_Chunk], rows: list[np.ndarray] | None, width: int) -> np.ndarray:
    """About ``_SAMPLE`` ids (and the last) of ``width`` bytes: per chunk ``rows`` (None: sample any rows)."""
    total = sum(c.n for c in parts) if rows is None else sum(len(r) for r in rows)
    step = max(total // _SAMPLE, 1)
    picked = []
    for i, chunk in enumerate(parts):
        r = np.arange(0, chunk.n, step) if rows is None else rows[i][::step]
        if rows is None:
            w = chunk.offsets[r + 1] - chunk.offsets[r]
            ok = w == width
            if chunk.nulls is not None:
                ok &= ~chunk.nulls[r]
            r = r[ok]
        if len(r):
            picked.append(chunk.rows_bytes(r, width))
    return np.concatenate(picked) if picked else np.zeros((0, width), np.uint8)


def _dominant_width(parts: list[_Chunk]) -> int:
    """The most frequent byte length of the ids in a sample (0 when no sampled row has an id)."""
    total = sum(c.n for c in parts)
    step = max(total // (4 * _SAMPLE), 1)
    widths = []
    for chunk in parts:
        r = np.arange(0, chunk.n, step)
        w = chunk.offsets[r + 1] - chunk.offsets[r]
        widths.append(w if chunk.nulls is None else w[~chunk.nulls[r]])
    w = np.concatenate(widths)
    w = w[(w > 0) & (w <= 64)]
    return int(np.bincount(w).argmax()) if len(w) else 0


def digit_keys(chunks: list[pa.Array], *, fixed: bool = False, narrow: bool = False):
    """Exact int64 keys of ids of at most eight byte lengths, each a fixed digit layout, or None.

    Parameters
    ----------
    chunks : list of pyarrow.Array
        The ids as large_string chunks (``workbench.summary.keys._chunks``).
    fixed : bool
        Only ids of one byte length, every row with an id (else None, early).
    narrow : bool
        int32 keys when they fit (at most nine varying digits; half the memory, for keys that are only
        compared or scattered), else int64.

    Returns
    -------
    tuple or None
        ``(keys, missing, layout)``: one key per row (equal ids, equal keys; different lengths get
        disjoint key ranges), the mask of rows without an id (null or empty; None when there are none;
        their keys are meaningless), and, when every id has the same length, the layout
        ``(template, lo, hi, kind)`` of ``workbench.summary.keys._text_of`` (keys are then the number
        spelt by bytes lo..hi, in the ids' text order), else None. None when the rule does not apply.
    """
    parts = [_Chunk(arr) for arr in chunks]
    dom = _dominant_width(parts) if parts else 0
    if not dom:
        return None
    layout = _layout(_sample(parts, None, dom))
    if layout is None:
        return None
    n = sum(c.n for c in parts)
    narrow = narrow and layout[2] - layout[1] < 9  # numbers below 10**9 < 2**31
    keys = np.empty(n, dtype=np.uint32 if narrow else np.uint64)
    low, high = np.iinfo(np.uint64).max, 0
    others = []  # per chunk, the rows of another length or without an id
    row0 = 0
    for chunk in parts:
        off = chunk.offsets
        rest = []
        for b in range(0, chunk.n, _BLOCK):
            e = min(b + _BLOCK, chunk.n)
            relevant = None
            if chunk.nulls is not None or off[e] - off[b] != (e - b) * dom:
                relevant = np.diff(off[b : e + 1]) == dom
            else:
                w = np.diff(off[b : e + 1])
                if not np.all(w == dom):
                    relevant = w == dom
            if relevant is not None and fixed:
                return None
            if relevant is None:
                value = _values(lambda s, b=b, e=e, c=chunk: c.strided(b, e - b, dom, s), layout, None)
            else:
                if chunk.nulls is not None:
                    relevant &= ~chunk.nulls[b:e]
                starts = off[b:e]
                value = _values(lambda s, st=starts, c=chunk: c.words(st + s), layout, relevant)
                rest.append(np.flatnonzero(~relevant) + b)
            if value is None:
                return None
            keys[row0 + b : row0 + e] = value
            where = True if relevant is None else relevant
            low = min(low, int(value.min(where=where, initial=np.iinfo(np.uint64).max)))
            high = max(high, int(value.max(where=where, initial=0)))
        others.append(np.concatenate(rest) if rest else np.zeros(0, np.int64))
        row0 += chunk.n
    if not any(len(r) for r in others):
        template, lo, hi = layout[:3]
        return _signed(keys), None, (template, lo, hi, "digits" if hi >= lo else "same")
    keys -= keys.dtype.type(low)  # rows of other lengths are overwritten below
    base = high - low + 1
    widths = [c.offsets[r + 1] - c.offsets[r] for c, r in zip(parts, others, strict=True)]
    gone = [
        w == 0 if c.nulls is None else (w == 0) | c.nulls[r]
        for c, r, w in zip(parts, others, widths, strict=True)
    ]
    missing = np.zeros(n, dtype=bool)
    row0 = 0
    for chunk, r, g in zip(parts, others, gone, strict=True):
        missing[r[g] + row0] = True
        row0 += chunk.n
    lengths = np.unique(np.concatenate([w[~g] for w, g in zip(widths, gone, strict=True)]))
    if len(lengths) > 7 or (len(lengths) and lengths[-1] > 64):
        return None
    for width in lengths:
        rows = [r[(w == width) & ~g] for r, w, g in zip(others, widths, gone, strict=True)]
        lay = _layout(_sample(parts, rows, int(width)))
        if lay is None:
            return None
        found, row0 = [], 0
        for chunk, r in zip(parts, rows, strict=True):
            if len(r):
                starts = chunk.offsets[r]
                value = _values(lambda s, st=starts, c=chunk: c.words(st + s), lay, None)
                if value is None:
                    return None
                found.append((r + row0, value))
            row0 += chunk.n
        vmin = min(int(v.min()) for _, v in found)
        vmax = max(int(v.max()) for _, v in found)
        if base + vmax - vmin >= 1 << 62:
            return None
        if keys.dtype == np.uint32 and base + vmax - vmin >= 1 << 31:
            keys = keys.astype(np.uint64)
        for r, v in found:
            v -= np.uint64(vmin)
            v += np.uint64(base)
            keys[r] = v
        base += vmax - vmin + 1
    return _signed(keys), missing if missing.any() else None, None


def _signed(keys: np.ndarray) -> np.ndarray:
    """uint32 or uint64 keys (all below the signed maximum) viewed as int32 or int64."""
    return keys.view(np.int32 if keys.dtype == np.uint32 else np.int64)
