"""The fast engine of ``member_summary``.

Exact integer keys (``workbench.summary.keys``), then per member its periods: for a log in time order (a log
appended as it happened) a loop over the periods, each a slice of rows, counting each member present once
(no sort); else one sort of the purchase rows by (member, time). ``bincount`` sums; a second thread takes
what needs neither (the order ids' keys, the money sums, the distinct orders).

On tens of millions of rows the cost is memory traffic more than arithmetic (and, in a fresh process, the
first touch of each new page), so the engine keeps few row-length temporaries: no period array for all rows
(a row's period is compared through times: ``t < start of period p + 1``), the sorted keys turned into times
and then periods in place, run counts by ``reduceat`` instead of gathers, member arrays filtered once before
the columns are made, and a frame that takes its columns without copying them into blocks.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa

from workbench.summary import keys
from workbench.summary.words import digit_keys

_US_PER_DAY = 86_400_000_000
_US_PER_HOUR = 3_600_000_000


def _periods(times: np.ndarray, freq: str) -> np.ndarray:
    """Integer period index of datetime64 values: same differences as ``period_sql`` in SQL."""
    times = times.astype("datetime64[us]", copy=False)
    return _periods_of_us(times.view(np.int64).copy(), freq)


def _periods_of_us(t_us: np.ndarray, freq: str) -> np.ndarray:
    """``_periods`` of int64 microseconds, computed in place (``t_us`` is overwritten unless freq is "M")."""
    if freq == "h":
        return np.floor_divide(t_us, _US_PER_HOUR, out=t_us)
    if freq == "M":
        return t_us.view("datetime64[us]").astype("datetime64[M]").astype(np.int64)
    day = np.floor_divide(t_us, _US_PER_DAY, out=t_us)
    if freq == "W":
        day += 3
        np.floor_divide(day, 7, out=day)
    return day


def _period_start_us(periods: np.ndarray, freq: str) -> np.ndarray:
    """The first microsecond of each period (the inverse of ``_periods`` at period starts)."""
    periods = np.asarray(periods, dtype=np.int64)
    if freq == "h":
        return periods * _US_PER_HOUR
    if freq == "M":
        return periods.astype("datetime64[M]").astype("datetime64[us]").view(np.int64)
    if freq == "W":
        return (periods * 7 - 3) * _US_PER_DAY
    return periods * _US_PER_DAY


_PERIOD_US = {"h": _US_PER_HOUR, "D": _US_PER_DAY, "W": 7 * _US_PER_DAY}  # periods of one length


def _sorted_keys(c: np.ndarray, t_us: np.ndarray, freq: str) -> tuple | None:
    """Purchase rows' (member code, time) packed in one sorted int64 key: (keys, bits, unit, t0, scratch).

    A key is ``code << bits | (t - t0) // unit`` with times in µs when they fit, else in whole seconds when
    every time is a whole second; None when neither fits (the caller then uses a lexsort). ``t0`` is the
    start of the first row's period when periods have one length (then ``(t - t0) // (period // unit)`` is
    the period, counted from t0's), else the first whole second. ``scratch``: a free row-length buffer.
    """
    low = int(t_us.min())
    if freq in _PERIOD_US:
        t0 = int(_period_start_us(_periods_of_us(np.array([low]), freq), freq)[0])
    else:
        t0 = low - low % 1_000_000
    member_bits = max(int(c.max()).bit_length(), 1)
    span = int(t_us.max()) - t0
    for unit in (1, 1_000_000):
        bits = max((span // unit).bit_length(), 1)
        if member_bits + bits > 62:
            continue
        scratch = np.empty_like(t_us)  # two row-length buffers for the whole step (fresh memory is slow)
        if unit > 1 and np.any(np.remainder(t_us, unit, out=scratch)):
            return None
        packed = np.subtract(t_us, t0)
        if unit > 1:
            np.floor_divide(packed, unit, out=packed)
        packed |= np.multiply(c, 1 << bits, out=scratch)  # a multiply is faster than a shift here
        packed.sort()
        return packed, bits, unit, t0, scratch
    return None


def _sorted_runs(c: np.ndarray, t_us: np.ndarray, freq: str):
    """One sort of the purchase rows by (member, time); per member run.

    Code, first and last time (µs), first and last period, and the number of distinct periods.
    """
    found = _sorted_keys(c, t_us, freq)
    if found is not None:
        packed, bits, unit, t0, scratch = found
        member = np.right_shift(packed, bits, out=scratch)
        starts = np.empty(len(packed), dtype=bool)
        starts[:1] = True
        np.not_equal(member[1:], member[:-1], out=starts[1:])
        first_row = np.flatnonzero(starts)
        members = member[first_row]
        del member
        last_row = np.empty_like(first_row)
        last_row[:-1], last_row[-1:] = first_row[1:] - 1, len(packed) - 1
        np.bitwise_and(packed, (1 << bits) - 1, out=packed)  # the keys become times since t0, then periods
        first_at, last_at = packed[first_row] * unit + t0, packed[last_row] * unit + t0
        if freq in _PERIOD_US:
            periods = np.floor_divide(packed, _PERIOD_US[freq] // unit, out=packed)
            periods += int(_periods_of_us(np.array([t0]), freq)[0])
        else:
            if unit > 1:
                packed *= unit
            packed += t0
            periods = _periods_of_us(packed, freq)
    else:  # times neither in µs nor in whole seconds fit beside the member bits
        order = np.lexsort((t_us, c))
        sorted_c, times = c[order], t_us[order]
        starts = np.empty(len(order), dtype=bool)
        starts[:1] = True
        np.not_equal(sorted_c[1:], sorted_c[:-1], out=starts[1:])
        first_row = np.flatnonzero(starts)
        members = sorted_c[first_row]
        last_row = np.empty_like(first_row)
        last_row[:-1], last_row[-1:] = first_row[1:] - 1, len(times) - 1
        first_at, last_at = times[first_row], times[last_row]
        periods = _periods_of_us(times, freq)
    new_period = starts  # a new member or a new period starts a purchase occasion
    new_period[1:] |= periods[1:] != periods[:-1]
    n_periods = np.add.reduceat(new_period, first_row, dtype=np.int64)
    return members, first_at, last_at, periods[first_row], periods[last_row], n_periods


_ROWS_PER_PERIOD = 500  # a log in time order with fewer rows a period takes the sort (the loop's overhead)


def _in_time_order(t_us: np.ndarray) -> bool:
    """Whether the times never decrease (a log appended as it happened), checked in blocks (no row-length mask)."""
    step, last = 1 << 20, len(t_us) - 1
    return all(
        not np.any(t_us[b + 1 : min(b + step, last) + 1] < t_us[b : min(b + step, last)])
        for b in range(0, max(last, 0), step)
    )


def _time_ordered_runs(c: np.ndarray, t_us: np.ndarray, a: np.ndarray, n: int, freq: str):
    """Per member code of purchase rows in time order, without a sort; None when periods are too many.

    A period's rows are one slice (a binary search for each period's start). Period by period, the
    members present are counted once each by a buffered fancy increment (``count[c] = count[c] + 1``: a
    code present twice writes the same value twice), and a row lies in its member's first period when
    the member's count was 0 before that period: the first period's amount and first time come from
    those rows, the last time from a ``maximum.at`` over all rows. One pass of gathers and scatters into
    a member-length array instead of a sort of the rows.

    Returns
    -------
    tuple or None
        ``(n_periods, first_at, last_at, first_total)``, each of length ``n`` (members without a row:
        0 periods, times ``int64`` minimum), or None (then ``_sorted_runs``).
    """
    p_lo = int(_periods_of_us(t_us[:1].copy(), freq)[0])
    p_hi = int(_periods_of_us(t_us[-1:].copy(), freq)[0])
    if (p_hi - p_lo + 1) * _ROWS_PER_PERIOD > len(t_us):
        return None
    bounds = np.searchsorted(t_us, _period_start_us(np.arange(p_lo + 1, p_hi + 1), freq)).tolist()
    # at most len(t_us) // _ROWS_PER_PERIOD periods: a narrow count stays in cache
    count = np.zeros(n, dtype=np.uint16 if len(bounds) + 1 <= np.iinfo(np.uint16).max else np.int64)
    firsts = []  # per period, the rows of members not seen before
    for s, e in zip([0, *bounds], [*bounds, len(t_us)], strict=True):
        if s < e:
            members = c[s:e]
            seen = count[members]
            found = np.flatnonzero(seen == 0)
            found += s
            firsts.append(found)
            seen += 1
            count[members] = seen
    rows = np.concatenate(firsts) if firsts else np.zeros(0, dtype=np.int64)
    del firsts
    first_c = c[rows]
    first_total = np.bincount(first_c, weights=a[rows], minlength=n)
    empty = np.iinfo(np.int64).min
    first_at = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first_at, first_c, t_us[rows])
    first_at[count == 0] = empty
    last_at = np.full(n, empty)
    np.maximum.at(last_at, c, t_us)
    return count.astype(np.int64), first_at, last_at, first_total


def _sorted_member_runs(c: np.ndarray, t_us: np.ndarray, a: np.ndarray, n: int, freq: str):
    """``_time_ordered_runs`` of rows in any order: one sort by (member, time), then the runs.

    The first purchase period's amount: the rows before the start of each member's second period.
    """
    members, first_t, last_t, first_p, _, periods = _sorted_runs(c, t_us, freq)
    first_at = np.full(n, np.iinfo(np.int64).min)
    last_at = np.full(n, np.iinfo(np.int64).min)
    first_at[members], last_at[members] = first_t, last_t
    n_periods = np.zeros(n, dtype=np.int64)
    n_periods[members] = periods
    first_end = np.zeros(n, dtype=np.int64)
    first_end[members] = _period_start_us(first_p + 1, freq)
    weights = np.take(first_end, c)  # one row-length buffer: first the period ends, then the weights
    in_first = np.less(t_us, weights)
    weights = weights.view(np.float64)
    np.multiply(a, in_first, out=weights)
    del in_first
    return n_periods, first_at, last_at, np.bincount(c, weights=weights, minlength=n)


def _row_keys(values) -> tuple[np.ndarray, np.ndarray | None] | None:
    """Exact keys of every row's id (int32 when they fit), or None; the lowest 0 when no row lacks an id."""
    chunks = keys._chunks(values)
    found = digit_keys(chunks, narrow=True) if chunks else None
    if found is None:
        return None
    key, missing, _ = found
    if missing is None:
        key -= key.min()  # a fresh array; keys of rows without an id are meaningless
    return key, missing


def _order_keys(values) -> tuple[tuple | None, bool]:
    """``_row_keys`` of the order ids, and whether every row has its own order id (one bitmap)."""
    found = _row_keys(values)
    return found, found is not None and found[1] is None and bool(keys.all_distinct(found[0]))


def numpy_summary(transactions: pd.DataFrame, observation_end, freq: str, returns: str) -> pd.DataFrame:
    """``member_summary`` by numpy: the same numbers as ``summary_sql`` (see ``workbench.summary.member``)."""
    times = transactions["ordered_at"].to_numpy().astype("datetime64[us]", copy=False)
    t_us = times.view(np.int64)
    obs = np.array([pd.Timestamp(observation_end).to_datetime64()]).astype("datetime64[us]").view(np.int64)
    obs_period = int(_periods_of_us(obs.copy(), freq)[0])
    # a row counts up to the end of the period that holds observation_end
    cutoff = int(_period_start_us([obs_period + 1], freq)[0])
    all_in = not len(t_us) or int(t_us.max()) < cutoff
    in_range = None if all_in else t_us < cutoff
    in_order = _in_time_order(t_us)  # then so is any subset of the rows
    amount = transactions["amount"].to_numpy(dtype=np.float64)
    # A second thread (numpy and Arrow release the GIL) takes what does not need the sort: the order
    # ids' keys (of every row, masked later: no filtered copy of the strings) while this thread encodes
    # the member ids, then the money sums and the distinct orders per member while this thread finds
    # each member's periods (a loop over the periods of a log in time order, else a sort).
    pool = ThreadPoolExecutor(1)
    has_orders = "order_id" in transactions.columns
    if has_orders:
        order_job = pool.submit(_order_keys, transactions["order_id"].array)
    codes, uniques = keys.encode(transactions["member_id"].array, dense=False)
    n = len(uniques)
    if not all_in:
        t_us, amount, codes = t_us[in_range], amount[in_range], codes[in_range]
    all_positive = not len(amount) or bool(amount.min() >= 0)
    positive = back = None  # the mask of purchase rows (made when needed), the rows of returns
    if not all_positive:
        positive = amount >= 0
        back = np.flatnonzero(~positive)  # returns are few: their sums from their rows only
        positive = None if returns == "include" else positive
    every = all_positive or returns == "include"  # every row is a purchase row

    def purchase(values):
        """``values`` of the purchase rows (rows with an amount of at least 0)."""
        return values if all_positive else values[positive if positive is not None else amount >= 0]

    def money() -> tuple[np.ndarray, np.ndarray]:
        """Each member's sum of every row's amount, and of the returns (made positive)."""
        total = np.bincount(codes, weights=amount, minlength=n)
        if all_positive:
            return total, np.zeros(n)
        return total, -np.bincount(codes[back], weights=amount[back], minlength=n)

    def order_counts() -> np.ndarray:
        if not has_orders:
            return np.bincount(purchase(codes), minlength=n)
        found, distinct = order_job.result()
        if distinct:
            # an order id a row (of the whole log, so of its purchase rows): rows per member, minus returns
            counts = np.bincount(codes, minlength=n)
            if not all_positive:
                counts -= np.bincount(codes[back], minlength=n)
            return counts
        if found is None:  # no exact digit layout: the general keys of the purchase rows' ids
            order_ids = transactions["order_id"].array
            order_ids = order_ids if all_in else order_ids[in_range]
            order_key, n_orders, missing = keys.dense_codes(purchase(order_ids))
        else:  # keys of every row of the log, masked like the codes
            order_key, missing = found
            n_orders = None
            if not all_in:
                order_key = order_key[in_range]
                missing = None if missing is None else missing[in_range]
            if not all_positive:
                order_key = purchase(order_key)
                missing = None if missing is None else purchase(missing)
            if missing is not None and missing.any():
                order_key = order_key[~missing]
            else:
                missing = None
        pos_codes = purchase(codes)
        if missing is None:
            return keys.count_distinct_per_group(pos_codes, order_key, n, n_items=n_orders)
        with_id = keys.count_distinct_per_group(pos_codes[~missing], order_key, n, n_items=n_orders)
        return with_id + np.bincount(pos_codes[missing], minlength=n)

    money_job, orders_job = pool.submit(money), pool.submit(order_counts)
    pool.shutdown(wait=False)

    if every:
        c, t, a = codes, t_us, amount
    else:
        c, t, a = purchase(codes), purchase(t_us), purchase(amount)

    # per member: distinct periods, first and last purchase, the first purchase period's amount
    runs = _time_ordered_runs(c, t, a, n, freq) if len(t) and in_order else None
    if runs is None:
        runs = _sorted_member_runs(c, t, a, n, freq)
    n_periods, first_at, last_at, first_total = runs
    net, returned = money_job.result()
    orders = orders_job.result()
    has = n_periods > 0
    if not has.all():  # codes without a purchase row (gaps between exact keys, members with returns only)
        keep = np.flatnonzero(has)
        n_periods, first_at, last_at, first_total, net, returned, orders = (
            x[keep] for x in (n_periods, first_at, last_at, first_total, net, returned, orders)
        )
        uniques = uniques.take(pa.array(keep))
    min_p = _periods_of_us(first_at.copy(), freq)
    max_p = _periods_of_us(last_at.copy(), freq)
    frequency = n_periods - 1
    spend = net + returned
    total = net if every else spend
    monetary = np.where(frequency > 0, (total - first_total) / np.maximum(frequency, 1), 0.0)
    index = pd.Index(pd.arrays.ArrowStringArray(pa.chunked_array([uniques])), name="member_id")
    return pd.DataFrame(  # fresh arrays of our own: no copy into blocks
        {
            "frequency": frequency.astype(np.float64),
            "recency": np.subtract(max_p, min_p, out=max_p).astype(np.float64),
            "T": np.subtract(obs_period, min_p, out=min_p).astype(np.float64),
            "monetary_value": monetary,
            "orders": orders.astype(np.int64, copy=False),
            "total_spend": spend,
            "returns_amount": returned + 0.0,
            "net_spend": net,
            "first_purchase": first_at.view("datetime64[us]"),
            "last_purchase": last_at.view("datetime64[us]"),
        },
        index=index,
        copy=False,
    )
