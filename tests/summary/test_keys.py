"""Exact integer codes for text ids: round trip and order, on every path (digits, bytes, fallback)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from workbench.summary import keys


def _ids(rng, kind: str, n: int = 5000) -> pd.Series:
    if kind == "digits":
        values = [f"{v:08d}" for v in rng.integers(0, 10**6, n)]
    elif kind == "prefixed":
        values = [f"T{v:09d}" for v in rng.integers(0, 10**7, n)]
    elif kind == "bytes":
        values = ["".join(rng.choice(list("ABCxyz-_"), 5)) for _ in range(n)]
    elif kind == "constant":
        values = ["M0007"] * n
    elif kind == "long":
        values = ["".join(rng.choice(list("ABCDEFGH"), 20)) for _ in range(n)]
    else:  # variable width, unicode
        values = [rng.choice(["會員", "m", "M-"]) + str(v) for v in rng.integers(0, 500, n)]
    return pd.Series(values, dtype="str")


@pytest.mark.parametrize("kind", ["digits", "prefixed", "bytes", "constant", "long", "mixed"])
@pytest.mark.parametrize("dense", [True, False])
def test_encode_round_trip_and_order(rng, kind, dense):
    ids = _ids(rng, kind)
    codes, uniques = keys.encode(ids, dense=dense)
    back = uniques.take(pa.array(codes)).to_pylist()
    assert back == ids.tolist()
    present = sorted(set(ids))
    assert [u for u in uniques.to_pylist() if u is not None] == sorted(present, key=lambda s: s.encode())
    if dense:
        assert codes.max() == len(present) - 1


def test_exact_keys_are_exact_and_ordered(rng):
    ids = _ids(rng, "prefixed")
    k = keys.exact_keys(ids)
    assert k is not None
    order_by_key = np.argsort(k, kind="stable")
    order_by_text = np.argsort(ids.to_numpy(dtype=object), kind="stable")
    assert (ids.to_numpy()[order_by_key] == ids.to_numpy()[order_by_text]).all()
    assert len(np.unique(k)) == ids.nunique()


def test_exact_keys_refuse_what_does_not_fit(rng):
    assert keys.exact_keys(_ids(rng, "long")) is None
    assert keys.exact_keys(_ids(rng, "mixed")) is None


def test_count_distinct_per_group(rng):
    group = rng.integers(0, 50, 2000)
    item = rng.integers(0, 300, 2000)
    expected = (
        pd.DataFrame({"g": group, "i": item}).groupby("g")["i"].nunique().reindex(range(50), fill_value=0)
    )
    assert (keys.count_distinct_per_group(group, item, 50) == expected.to_numpy()).all()
    # items owned by one group each (orders of members) take the scatter path
    item = np.arange(2000) // 3
    group = (item * 7) % 50
    expected = (
        pd.DataFrame({"g": group, "i": item}).groupby("g")["i"].nunique().reindex(range(50), fill_value=0)
    )
    assert (keys.count_distinct_per_group(group, item, 50) == expected.to_numpy()).all()


@pytest.mark.parametrize("repeat", [False, True])
def test_count_distinct_of_items_out_of_order(rng, repeat):
    """Shuffled distinct items (an order id a row) take the bitmap; one repeated item falls through to the scatter."""
    item = rng.permutation(3000) * 2  # gaps: span twice the rows
    group = rng.integers(0, 40, 3000)
    if repeat:
        item[5] = item[9]
        group[5] = group[9]
    expected = (
        pd.DataFrame({"g": group, "i": item}).groupby("g")["i"].nunique().reindex(range(40), fill_value=0)
    )
    got = keys.count_distinct_per_group(group, item, 40)
    np.testing.assert_array_equal(got, expected.to_numpy())
    assert (got.sum() == 3000) != repeat


@pytest.mark.parametrize("kind", ["two_widths", "with_missing", "fallback", "digits"])
def test_dense_codes_partition_like_pandas(rng, kind):
    """Equal ids get equal codes, different ids different ones, codes 0..n-1; null and empty ids are missing."""
    n = 4000
    numbers = rng.integers(0, 3000, n)
    if kind == "two_widths":  # orders and their returns, as the demo writes them
        values = [
            f"T{v:09d}" + ("-R" if r else "") for v, r in zip(numbers, rng.random(n) < 0.1, strict=True)
        ]
    elif kind == "with_missing":
        values = [
            None if r < 0.05 else "" if r < 0.1 else f"A{v}"
            for v, r in zip(numbers, rng.random(n), strict=True)
        ]
    elif kind == "fallback":
        values = ["".join(rng.choice(list("ABCDEFGH"), 20)) for _ in range(n)]
    else:
        values = [f"{v:07d}" for v in numbers]
    ids = pd.Series(values, dtype="str")
    codes, n_codes, missing = keys.dense_codes(ids)
    absent = (ids.isna() | (ids == "")).to_numpy()
    if absent.any():
        np.testing.assert_array_equal(missing, absent)
    else:
        assert missing is None
    present = ids[~absent].to_numpy(dtype=object)
    expected, uniques = pd.factorize(present)
    assert n_codes == len(uniques) and codes.min() == 0 and codes.max() == n_codes - 1
    # the same partition: a one-to-one map between our codes and pandas' codes
    pairs = set(zip(codes.tolist(), expected.tolist(), strict=True))
    assert len(pairs) == n_codes


def test_all_distinct_by_bitmap(rng):
    """True for codes that never repeat, False for one repeat, None when the range is too sparse."""
    item = rng.permutation(200_000)
    assert keys.all_distinct(item) is True
    item[17] = item[123_456]
    assert keys.all_distinct(item) is False
    assert keys.all_distinct(np.array([0, 10**9])) is None
    assert keys.all_distinct(np.zeros(0, dtype=np.int64)) is True
