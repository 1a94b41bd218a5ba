"""Digit ids read as 8-byte words: exact keys against int() of the text and pandas' partition, every path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from workbench.summary import keys, words
from workbench.summary.keys import _text_of


def _keys(values):
    return words.digit_keys(keys._chunks(pa.chunked_array(values, type=pa.large_string())))


def _same_partition(key: np.ndarray, ids: list) -> None:
    """Equal ids, equal keys; different ids, different keys (a one-to-one map to pandas' codes)."""
    expected, uniques = pd.factorize(np.asarray(ids, dtype=object))
    pairs = set(zip(key.tolist(), expected.tolist(), strict=True))
    assert len(pairs) == len(uniques) == len(set(key.tolist()))


@pytest.mark.parametrize("width", [3, 7, 8, 12, 16])
def test_fixed_width_keys_are_the_numbers(rng, width):
    """One length: the key is the number of the varying digits, in text order, and turns back into the ids."""
    n = 70_000  # more than one block, so blocks and the buffer's tail are both exercised
    numbers = rng.integers(0, 10 ** min(width, 15), n)
    ids = [f"{v:0{width}d}" for v in numbers]
    found = _keys([ids[:30_000], ids[30_000:]])  # two chunks
    assert found is not None
    key, missing, layout = found
    assert missing is None
    template, lo, hi, kind = layout
    assert kind == "digits"
    expected = np.array([int(s[lo : hi + 1]) for s in ids])
    np.testing.assert_array_equal(key, expected)
    back = _text_of(key, layout)
    assert [bytes(r).decode() for r in back[:50]] == ids[:50]


def test_prefix_suffix_and_sliced_chunks(rng):
    """Constant bytes around the digits are checked, not keyed; a sliced chunk (Arrow offset) reads right."""
    ids = [f"M{v:06d}-TW" for v in rng.integers(0, 10**6, 5000)]
    arr = pa.array(["junk0", *ids, "junk1"], type=pa.large_string()).slice(1, len(ids))
    key, missing, layout = words.digit_keys([arr])
    assert missing is None and layout[1:] == (1, 6, "digits")
    np.testing.assert_array_equal(key, [int(s[1:7]) for s in ids])


def test_constant_ids():
    key, missing, layout = _keys([["M0007"] * 100])
    assert missing is None and layout[3] == "same" and not key.any()


def test_orders_returns_and_missing_ids(rng):
    """Several lengths (orders, their returns), null and empty ids: the same partition as pandas."""
    n = 90_000
    numbers = rng.integers(0, 40_000, n)
    r = rng.random(n)
    ids = [
        None if x < 0.02 else "" if x < 0.04 else f"T{v:09d}" + ("-R" if x > 0.9 else "")
        for v, x in zip(numbers, r, strict=True)
    ]
    key, missing, layout = _keys([ids[:50_000], ids[50_000:]])
    assert layout is None
    absent = np.array([s is None or s == "" for s in ids])
    np.testing.assert_array_equal(missing, absent)
    _same_partition(key[~absent], [s for s in ids if s])
    assert key[~absent].min() == 0 and key[~absent].max() < 2 * (~absent).sum()


@pytest.mark.parametrize(
    "ids",
    [
        ["A1B2", "C3D4"] * 50,  # not digits
        [f"{v:020d}" for v in range(10**19, 10**19 + 10**18, 10**16 + 7)],  # more than 16 varying digits
        [f"x{v}" for v in range(12)] + ["ab", "abc", "abcd", "abcde", "abcdef", "abcdefg", "abcdefgh"],
    ],
    ids=["letters", "too_long", "too_many_lengths"],
)
def test_refuses_what_is_not_a_digit_layout(ids):
    assert _keys([ids]) is None


@pytest.mark.parametrize("where", ["digit", "constant"])
def test_a_row_outside_the_sample_breaking_the_layout_is_caught(rng, where):
    """The layout is read off a sample but checked on every row: one odd row sends the ids to the general
    path, whose keys are still exact."""
    ids = [f"T{v:07d}" for v in rng.integers(0, 10**7, 200_003)]
    odd = 123_457  # not a multiple of the sample step
    ids[odd] = ids[odd][:5] + "x" + ids[odd][6:] if where == "digit" else "U" + ids[odd][1:]
    assert _keys([ids]) is None
    codes, n_codes, missing = keys.dense_codes(pd.Series(ids, dtype="str"))
    _same_partition(codes, ids)
    assert n_codes == len(set(ids)) and missing is None


def test_count_distinct_in_order_matches_pandas(rng):
    """Items in order (orders numbered in time order, several lines each) and out of order give pandas'."""
    n = 20_000
    item = np.sort(rng.integers(0, 5_000, n))
    owner = rng.integers(0, 300, 5_000)
    group = owner[item]  # each order belongs to one member
    expected = (
        pd.DataFrame({"g": group, "i": item}).groupby("g")["i"].nunique().reindex(range(300), fill_value=0)
    )
    assert keys._count_in_order(group, item, 300) is not None
    np.testing.assert_array_equal(keys.count_distinct_per_group(group, item, 300), expected.to_numpy())
    shared = group.copy()
    shared[np.flatnonzero(np.diff(item) == 0)[0]] += 1  # one order now spans two members
    assert keys._count_in_order(shared, item, 301) is None
    expected = (
        pd.DataFrame({"g": shared, "i": item}).groupby("g")["i"].nunique().reindex(range(301), fill_value=0)
    )
    np.testing.assert_array_equal(keys.count_distinct_per_group(shared, item, 301), expected.to_numpy())


@pytest.mark.parametrize("digits", [7, 9])
def test_narrow_keys_are_the_wide_keys(rng, digits):
    """narrow=True: int32 keys equal to the int64 ones; three lengths of 9 digits pass 2**31 and widen."""
    numbers = rng.integers(0, 10**digits, 80_000)
    suffix = np.where(
        np.arange(len(numbers)) % 7 == 0, "-R", np.where(np.arange(len(numbers)) % 11 == 0, "-RR", "")
    )
    ids = [f"T{v:0{digits}d}{x}" for v, x in zip(numbers, suffix, strict=True)]
    for i, x in enumerate(["", "-R", "-RR"]):  # each length spans its whole range
        ids[2 * i], ids[2 * i + 1] = "T" + "0" * digits + x, "T" + "9" * digits + x
    wide = _keys([ids])
    narrow = words.digit_keys(keys._chunks(pa.chunked_array([ids], type=pa.large_string())), narrow=True)
    assert wide[0].dtype == np.int64
    assert narrow[0].dtype == (np.int32 if digits == 7 else np.int64)
    np.testing.assert_array_equal(narrow[0], wide[0])
    _same_partition(narrow[0], ids)
