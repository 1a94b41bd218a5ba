"""Transactions -> per-member summary (the RFM sufficient statistics of lifetimes), computed in DuckDB.

``member_summary`` returns exactly what ``lifetimes.utils.summary_data_from_transaction_data`` returns
(same definitions, same numbers) for ``freq`` of days and weeks, and defines months the way lifetimes
would if its ``freq='M'`` worked (whole calendar months between periods). Definitions, per member:

* a *period* is the hour (``h``), the day (``D``), the Monday-Sunday week (``W``, pandas' ``W-SUN``) or the calendar
  month (``M``) of a purchase; rows in the same period are one purchase occasion, amounts summed;
* ``frequency`` = purchase periods - 1 (repeat purchases); ``recency`` = last period - first period;
  ``T`` = period of ``observation_end`` - first period; ``monetary_value`` = mean amount of the repeat
  periods (0 when there are none);
* like lifetimes, a row counts up to the end of the *period* that holds ``observation_end``.

Returns (negative amounts) are excluded from the model columns by default (``returns="exclude"``): a day
holding only a return is not a purchase. ``returns="include"`` reproduces lifetimes, which treats return
rows like any other row.

Two engines compute the same numbers: ``engine="numpy"`` (default; exact integer keys from
``workbench.keys`` and one sort, the fastest here) and ``engine="duckdb"``, which runs ``summary_sql``:
one plain GROUP BY statement, so a brand whose log lives in a warehouse can run the same step there and
hand the workbench its result.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Literal

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from workbench import keys
from workbench.schema import NO_ORDER_ID_SQL

Freq = Literal["h", "D", "W", "M"]
Returns = Literal["exclude", "include"]
Engine = Literal["numpy", "duckdb"]

_FREQS = ("h", "D", "W", "M")
MODEL_COLUMNS = ["frequency", "recency", "T", "monetary_value"]
DESCRIPTIVE_COLUMNS = [
    "orders",
    "total_spend",
    "returns_amount",
    "net_spend",
    "first_purchase",
    "last_purchase",
]


def period_sql(column: str, freq: str) -> str:
    """SQL for the integer period index of a timestamp column (differences are what matter)."""
    if freq == "h":
        return f"date_diff('hour', TIMESTAMP '1970-01-01 00:00:00', CAST({column} AS TIMESTAMP))"
    day = f"date_diff('day', DATE '1970-01-01', CAST({column} AS DATE))"
    if freq == "D":
        return day
    if freq == "W":  # pandas W-SUN: weeks run Monday..Sunday; 1969-12-29 was a Monday
        return f"CAST(floor(({day} + 3) / 7) AS BIGINT)"
    if freq == "M":
        return f"(year({column}) * 12 + month({column}) - 1)"
    raise ValueError(f"member_summary: freq must be one of {_FREQS}, got {freq!r}")


def _check(freq: str, returns: str) -> None:
    if freq not in _FREQS:
        raise ValueError(f"member_summary: freq must be one of {_FREQS}, got {freq!r}")
    if returns not in ("exclude", "include"):
        raise ValueError(f"member_summary: returns must be 'exclude' or 'include', got {returns!r}")


def timestamp_sql(value) -> str:
    """A SQL TIMESTAMP literal for anything ``pd.Timestamp`` accepts."""
    return f"TIMESTAMP '{pd.Timestamp(value).isoformat(sep=' ')}'"


def summary_sql(
    table: str = "transactions",
    observation_end="2099-12-31",
    *,
    freq: Freq = "D",
    returns: Returns = "exclude",
    has_order_id: bool = True,
) -> str:
    """The member-summary SQL over ``table`` (columns member_id, ordered_at, amount[, order_id]).

    Plain GROUP BY SQL with ``date_diff``, portable to a warehouse; the workbench runs it in DuckDB.
    """
    _check(freq, returns)
    period = period_sql("ordered_at", freq)
    obs_period = period_sql(timestamp_sql(observation_end), freq)
    is_purchase = "amount >= 0" if returns == "exclude" else "TRUE"
    order_key = "order_id" if has_order_id else "NULL"
    # an order: a distinct order_id; a row without one (NULL or empty) is an order of its own
    orders = (
        f"(count(DISTINCT order_id) FILTER (WHERE amount >= 0 AND NOT ({NO_ORDER_ID_SQL}))"
        f" + count(*) FILTER (WHERE amount >= 0 AND {NO_ORDER_ID_SQL}))"
        if has_order_id
        else "count(*) FILTER (WHERE amount >= 0)"
    )
    return f"""
WITH rows AS (
    SELECT member_id, ordered_at, amount, {order_key} AS order_id, {period} AS period,
           {is_purchase} AS purchase
    FROM {table}
    WHERE {period} <= {obs_period}
),
periods AS (
    SELECT member_id, period, sum(amount) AS value
    FROM rows WHERE purchase
    GROUP BY member_id, period
),
model AS (
    SELECT member_id,
           count(*) - 1 AS frequency,
           max(period) - min(period) AS recency,
           {obs_period} - min(period) AS "T",
           coalesce((sum(value) - arg_min(value, period)) / nullif(count(*) - 1, 0), 0) AS monetary_value
    FROM periods
    GROUP BY member_id
),
descr AS (
    SELECT member_id,
           {orders} AS orders,
           coalesce(sum(amount) FILTER (WHERE amount >= 0), 0) AS total_spend,
           coalesce(-sum(amount) FILTER (WHERE amount < 0), 0) AS returns_amount,
           min(ordered_at) FILTER (WHERE purchase) AS first_purchase,
           max(ordered_at) FILTER (WHERE purchase) AS last_purchase
    FROM rows
    GROUP BY member_id
)
SELECT model.member_id,
       CAST(frequency AS DOUBLE) AS frequency, CAST(recency AS DOUBLE) AS recency,
       CAST("T" AS DOUBLE) AS "T", CAST(monetary_value AS DOUBLE) AS monetary_value,
       orders, total_spend, returns_amount, total_spend - returns_amount AS net_spend,
       first_purchase, last_purchase
FROM model JOIN descr USING (member_id)
ORDER BY model.member_id
"""


def _arrow(transactions: pd.DataFrame, columns: list[str]) -> pa.Table:
    missing = [c for c in ("member_id", "ordered_at", "amount") if c not in transactions.columns]
    if missing:
        raise ValueError(
            f"member_summary: required column(s) missing from transactions: {', '.join(missing)}"
        )
    return pa.Table.from_pandas(transactions[columns], preserve_index=False)


def _to_frame(result: pa.Table) -> pd.DataFrame:
    frame = result.to_pandas()
    frame["member_id"] = frame["member_id"].astype("str")
    frame["orders"] = frame["orders"].astype("int64")
    for col in ("first_purchase", "last_purchase"):
        frame[col] = frame[col].astype("datetime64[us]")
    return frame.set_index("member_id")


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
    """Non-negative int64 keys of the rows that have an order id, and the mask of rows without one.

    The mask (null or empty id: each such row is an order of its own) is None when every row has an id;
    the keys then cover every row.
    """
    order_keys = keys.exact_keys(order_ids)  # applies only to non-empty ids without nulls
    if order_keys is not None:
        return (order_keys - order_keys.min() if len(order_keys) else order_keys), None
    present, missing = keys.split_missing(order_ids)
    return keys.encode(present)[0], missing


def _numpy_summary(transactions: pd.DataFrame, observation_end, freq: str, returns: str) -> pd.DataFrame:
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


def _duckdb_summary(transactions: pd.DataFrame, observation_end, freq: str, returns: str) -> pd.DataFrame:
    has_order = "order_id" in transactions.columns
    cols = ["member_id", "ordered_at", "amount"] + (["order_id"] if has_order else [])
    table = _arrow(transactions, cols)
    con = duckdb.connect()
    try:
        con.register("transactions", table)
        sql = summary_sql("transactions", observation_end, freq=freq, returns=returns, has_order_id=has_order)
        result = con.sql(sql).to_arrow_table()
    finally:
        con.close()
    return _to_frame(result)


def member_summary(
    transactions: pd.DataFrame,
    observation_end,
    freq: Freq = "D",
    *,
    returns: Returns = "exclude",
    engine: Engine = "numpy",
    freq_multiplier: float = 1,
) -> pd.DataFrame:
    """Per-member ``frequency, recency, T, monetary_value`` (lifetimes' definitions) plus descriptive columns.

    Parameters
    ----------
    transactions : canonical transaction frame (``member_id``, ``ordered_at``, ``amount``[, ``order_id``]).
    observation_end : end of the observation period (anything ``pd.Timestamp`` accepts).
    freq : ``"h"`` hours, ``"D"`` days, ``"W"`` weeks, ``"M"`` calendar months.
    returns : ``"exclude"`` (default) drops return rows from the model columns; ``"include"`` treats
        them like lifetimes does.
    engine : ``"numpy"`` (default, fastest) or ``"duckdb"`` (runs ``summary_sql``); same numbers.
    freq_multiplier : as in lifetimes: ``recency`` and ``T`` are divided by it. ``freq="h",
        freq_multiplier=24`` gives times in days at hour resolution, so that several purchases on one day
        stay separate purchases (the continuous-time models see them as such).

    Returns a frame indexed by ``member_id`` (sorted) with ``frequency, recency, T, monetary_value``
    (float64) and ``orders, total_spend, returns_amount, net_spend, first_purchase, last_purchase``.
    """
    _check(freq, returns)
    missing = [c for c in ("member_id", "ordered_at", "amount") if c not in transactions.columns]
    if missing:
        raise ValueError(
            f"member_summary: required column(s) missing from transactions: {', '.join(missing)}"
        )
    if not freq_multiplier > 0:
        raise ValueError(f"member_summary: freq_multiplier must be positive, got {freq_multiplier!r}")
    if engine == "duckdb":
        out = _duckdb_summary(transactions, observation_end, freq, returns)
    elif engine == "numpy":
        out = _numpy_summary(transactions, observation_end, freq, returns)
    else:
        raise ValueError(f"member_summary: engine must be 'numpy' or 'duckdb', got {engine!r}")
    if freq_multiplier != 1:
        out["recency"] /= freq_multiplier
        out["T"] /= freq_multiplier
    return out


def calibration_and_holdout(
    transactions: pd.DataFrame,
    calibration_end,
    observation_end,
    freq: Freq = "D",
    *,
    returns: Returns = "exclude",
    freq_multiplier: float = 1,
) -> pd.DataFrame:
    """Calibration/holdout summary with the columns ``lifetimes.utils.calibration_and_holdout_data`` defines.

    ``frequency_cal, recency_cal, T_cal, monetary_value_cal`` (the member summary of rows up to
    ``calibration_end``), ``frequency_holdout`` (purchase periods after ``calibration_end`` up to
    ``observation_end``), ``monetary_value_holdout`` (mean amount of the holdout purchase rows) and
    ``duration_holdout`` (periods between the two ends). Only members seen in calibration are rows; like
    lifetimes, the split compares timestamps (a row at ``calibration_end`` 10:00 is holdout when
    ``calibration_end`` is a date). Works where lifetimes' own function fails under pandas 3.
    """
    _check(freq, returns)
    cal_end = pd.Timestamp(calibration_end)
    obs_end = pd.Timestamp(observation_end)
    if cal_end >= obs_end:
        raise ValueError(
            f"calibration_and_holdout: calibration_end ({cal_end}) must be before observation_end ({obs_end})"
        )
    times = transactions["ordered_at"]
    cal = member_summary(
        transactions.loc[times <= cal_end], cal_end, freq, returns=returns, freq_multiplier=freq_multiplier
    )
    cal = cal[MODEL_COLUMNS].add_suffix("_cal")

    hold_mask = (times > cal_end) & (times <= obs_end)
    if returns == "exclude":
        hold_mask &= transactions["amount"] >= 0
    table = _arrow(transactions.loc[hold_mask], ["member_id", "ordered_at", "amount"])
    con = duckdb.connect()
    try:
        con.register("holdout", table)
        hold = (
            con.sql(
                f"""SELECT member_id, CAST(count(DISTINCT {period_sql("ordered_at", freq)}) AS DOUBLE)
                       AS frequency_holdout, avg(amount) AS monetary_value_holdout
                FROM holdout GROUP BY member_id"""
            )
            .to_arrow_table()
            .to_pandas()
        )
        duration = con.sql(
            f"SELECT {period_sql(timestamp_sql(obs_end), freq)} - {period_sql(timestamp_sql(cal_end), freq)}"
        ).fetchall()[0][0]
    finally:
        con.close()
    hold["member_id"] = hold["member_id"].astype("str")
    out = cal.join(hold.set_index("member_id"), how="left").fillna(0.0)
    out["duration_holdout"] = float(duration) / freq_multiplier
    return out


def lifetimes_reference(
    transactions: pd.DataFrame, observation_end, freq: str = "D", freq_multiplier: float = 1
) -> pd.DataFrame:
    """The same summary by ``lifetimes.utils.summary_data_from_transaction_data`` (reference; slow)."""
    from lifetimes.utils import summary_data_from_transaction_data

    return summary_data_from_transaction_data(
        transactions,
        "member_id",
        "ordered_at",
        monetary_value_col="amount",
        observation_period_end=pd.Timestamp(observation_end),
        freq=freq,
        freq_multiplier=freq_multiplier,
    )


__all__ = ["member_summary", "calibration_and_holdout", "summary_sql", "MODEL_COLUMNS", "lifetimes_reference"]
