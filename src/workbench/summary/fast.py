"""The fast engine of ``member_summary``: exact integer keys (``workbench.summary.keys``), one sort of the
purchase rows by (member, time), and ``bincount`` sums; a second thread takes what needs no sort."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa

from workbench.summary import keys

_US_PER_DAY = 86_400_000_000


def _periods(times: np.ndarray, freq: str) -> np.ndarray:
    """Integer period index of datetime64 values: same differences as ``period_sql`` in SQL."""
    times = times.astype("datetime64[us]", copy=False)
    if freq == "h":
        return times.view(np.int64) // 3_600_000_000
    if freq == "M":
        return times.astype("datetime64[M]").astype(np.int64)
    day = times.view(np.int64) // _US_PER_DAY
    return day if freq == "D" else (day + 3) // 7


def _first_of_runs(sorted_values: np.ndarray) -> np.ndarray:
    mask = np.empty(len(sorted_values), dtype=bool)
    mask[:1] = True
    np.not_equal(sorted_values[1:], sorted_values[:-1], out=mask[1:])
    return mask


def _runs(sorted_groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the first and the last element of each run of equal values."""
    starts = _first_of_runs(sorted_groups)
    ends = np.empty(len(sorted_groups), dtype=bool)
    ends[:-1], ends[-1:] = starts[1:], True
    return starts, ends


def _sorted_member_times(c: np.ndarray, t_us: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Purchase rows sorted by (member code, time), as (codes, times in µs), with one int64 sort.

    Member and time are packed in one key: times in µs when they fit, else in whole seconds when every
    time is a whole second; otherwise a (slower) lexsort.
    """
    t0 = int(t_us.min())
    member_bits = max(int(c.max()).bit_length(), 1)
    span = int(t_us.max()) - t0
    for unit in (1, 1_000_000):
        bits = max((span // unit).bit_length(), 1)
        if member_bits + bits > 62:
            continue
        off = t_us - t0  # in-place steps below: every 10M-row temporary costs page faults
        if unit > 1:
            if np.any(np.remainder(off, unit, out=off)):
                break
            np.subtract(t_us, t0, out=off)
            np.floor_divide(off, unit, out=off)
        packed = np.left_shift(c, bits)
        packed |= off
        del off
        packed.sort()
        members = packed >> bits
        np.bitwise_and(packed, (1 << bits) - 1, out=packed)
        if unit > 1:
            packed *= unit
        packed += t0
        return members, packed, bits
    order = np.lexsort((t_us, c))
    return c[order], t_us[order], 0


def _order_keys(order_ids) -> tuple[np.ndarray, np.ndarray | None]:
    """Dense int64 keys of the rows that have an order id, and the mask of rows without one.

    The mask (null or empty id: each such row is an order of its own) is None when every row has an id;
    the keys then cover every row.
    """
    codes, _, missing = keys.dense_codes(order_ids)
    return codes, missing


def numpy_summary(transactions: pd.DataFrame, observation_end, freq: str, returns: str) -> pd.DataFrame:
    """``member_summary`` by numpy: the same numbers as ``summary_sql`` (see ``workbench.summary.member``)."""
    times = transactions["ordered_at"].to_numpy().astype("datetime64[us]", copy=False)
    period = _periods(times, freq)
    obs_period = int(_periods(np.array([pd.Timestamp(observation_end).to_datetime64()]), freq)[0])
    in_range = period <= obs_period
    all_in = bool(in_range.all())
    amount = transactions["amount"].to_numpy(dtype=np.float64)
    ids = transactions["member_id"].array
    if not all_in:
        times, period, amount, ids = times[in_range], period[in_range], amount[in_range], ids[in_range]
    positive = amount >= 0
    all_positive = bool(positive.all())
    every = all_positive or returns == "include"  # every row is a purchase row
    # A second thread (numpy and Arrow release the GIL) takes what does not need the sort: the order
    # ids' keys while this thread encodes the member ids, then the money sums and the distinct orders
    # per member while this thread sorts.
    pool = ThreadPoolExecutor(1)
    has_orders = "order_id" in transactions.columns
    if has_orders:
        order_ids = transactions["order_id"].array
        order_ids = order_ids if all_in else order_ids[in_range]
        order_keys = pool.submit(_order_keys, order_ids if all_positive else order_ids[positive])
    codes, uniques = keys.encode(ids, dense=False)
    n = len(uniques)
    t_us = times.view(np.int64)

    def money() -> tuple[np.ndarray, np.ndarray]:
        # purchases and returns split with max/min instead of masked copies
        spend = np.bincount(codes, weights=np.maximum(amount, 0.0), minlength=n)
        if all_positive:
            return spend, np.zeros(n)
        return spend, -np.bincount(codes, weights=np.minimum(amount, 0.0), minlength=n)

    def order_counts() -> np.ndarray:
        pos_codes = codes if all_positive else codes[positive]
        if has_orders:
            order_key, missing = order_keys.result()
            if missing is None:
                return keys.count_distinct_per_group(pos_codes, order_key, n)
            with_id = keys.count_distinct_per_group(pos_codes[~missing], order_key, n)
            return with_id + np.bincount(pos_codes[missing], minlength=n)
        return np.bincount(pos_codes, minlength=n)

    money_job, orders_job = pool.submit(money), pool.submit(order_counts)
    pool.shutdown(wait=False)

    if every:
        c, p, t, a = codes, period, t_us, amount
    else:
        c, p, t, a = codes[positive], period[positive], t_us[positive], amount[positive]

    # one sort of purchase rows by (member, time): first/last purchase, and the distinct periods
    sm, st, _ = _sorted_member_times(c, t)
    starts, ends = _runs(sm)
    first_row, last_row = np.flatnonzero(starts), np.flatnonzero(ends)  # one per member
    members = sm[first_row]
    first_at = np.full(n, np.iinfo(np.int64).min)
    last_at = np.full(n, np.iinfo(np.int64).min)
    first_at[members] = st[first_row]
    last_at[members] = st[last_row]
    sp = _periods(st.view("datetime64[us]"), freq)
    new_period = starts.copy()
    new_period[1:] |= sp[1:] != sp[:-1]
    n_periods = np.bincount(sm[new_period], minlength=n)
    min_p = np.zeros(n, dtype=np.int64)
    max_p = np.zeros(n, dtype=np.int64)
    min_p[members] = sp[first_row]
    max_p[members] = sp[last_row]

    first_total = np.bincount(c, weights=np.where(p == min_p[c], a, 0.0), minlength=n)
    frequency = n_periods - 1
    spend, returned = money_job.result()
    total = spend - returned if every else spend
    monetary = np.where(frequency > 0, (total - first_total) / np.maximum(frequency, 1), 0.0)

    orders = orders_job.result()

    keep = n_periods > 0
    index = pd.Index(pd.arrays.ArrowStringArray(pa.chunked_array([uniques])), name="member_id")
    frame = pd.DataFrame(
        {
            "frequency": frequency.astype(np.float64),
            "recency": (max_p - min_p).astype(np.float64),
            "T": (obs_period - min_p).astype(np.float64),
            "monetary_value": monetary,
            "orders": orders.astype(np.int64),
            "total_spend": spend,
            "returns_amount": returned + 0.0,
            "net_spend": spend - returned,
            "first_purchase": first_at.view("datetime64[us]"),
            "last_purchase": last_at.view("datetime64[us]"),
        },
        index=index,
    )
    return frame.loc[keep] if not keep.all() else frame
