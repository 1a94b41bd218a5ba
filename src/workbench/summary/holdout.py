"""The calibration/holdout split of a transaction log, as ``lifetimes.utils.calibration_and_holdout_data``."""

from __future__ import annotations

import pandas as pd

from workbench.errors import ArgumentError
from workbench.schema import run_sql
from workbench.summary.member import (
    _to_frame,
    in_memory_log,
    log_relation,
    member_summary,
    run_by_members,
    source_rows,
)
from workbench.summary.sql import (
    MODEL_COLUMNS,
    Freq,
    Returns,
    check_options,
    period_sql,
    summary_sql,
    timestamp_sql,
)


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
    ``transactions`` is a canonical frame or the path of the run's validated Parquet copy (then both parts
    are aggregated in DuckDB, nothing loaded into pandas, unless it has at most
    ``workbench.summary.member.IN_MEMORY_ROWS`` rows: then its four columns are read and split as a frame).
    """
    check_options(freq, returns)
    cal_end = pd.Timestamp(calibration_end)
    obs_end = pd.Timestamp(observation_end)
    if cal_end >= obs_end:
        raise ArgumentError(
            f"calibration_and_holdout: calibration_end ({cal_end}) must be before observation_end ({obs_end})"
        )
    cols = ["member_id", "ordered_at", "amount", "order_id"]
    transactions = in_memory_log(transactions, cols)  # a small validated Parquet copy: read (numpy)
    source, tables, present = log_relation(transactions, cols, "calibration_and_holdout")
    if tables:  # a frame: the calibration rows by numpy (the fastest engine on a frame)
        times = transactions["ordered_at"]
        cal = member_summary(
            transactions.loc[times <= cal_end],
            cal_end,
            freq,
            returns=returns,
            freq_multiplier=freq_multiplier,
        )
    else:  # the run's validated Parquet copy: both parts in DuckDB, nothing loaded
        rows = source_rows(transactions)

        def cal_sql(relation: str) -> str:
            cal_rows = f"(SELECT * FROM {relation} WHERE ordered_at <= {timestamp_sql(cal_end)}) AS cal_rows"
            return summary_sql(
                cal_rows, cal_end, freq=freq, returns=returns, has_order_id="order_id" in present
            )

        cal = _to_frame(run_by_members(cal_sql, source, rows))
        cal.index = cal.index.astype(pd.StringDtype("pyarrow"))  # as the numpy engine's
        if freq_multiplier != 1:
            cal["recency"] /= freq_multiplier
            cal["T"] /= freq_multiplier
    cal = cal[MODEL_COLUMNS].add_suffix("_cal")

    purchase = " AND amount >= 0" if returns == "exclude" else ""

    def hold_sql(relation: str) -> str:
        return f"""SELECT member_id, CAST(count(DISTINCT {period_sql("ordered_at", freq)}) AS DOUBLE)
               AS frequency_holdout, avg(amount) AS monetary_value_holdout
        FROM {relation}
        WHERE ordered_at > {timestamp_sql(cal_end)} AND ordered_at <= {timestamp_sql(obs_end)}{purchase}
        GROUP BY member_id"""

    hold = run_by_members(hold_sql, source, source_rows(transactions), **tables).to_pandas()
    duration = (
        run_sql(
            f"SELECT {period_sql(timestamp_sql(obs_end), freq)} - {period_sql(timestamp_sql(cal_end), freq)} AS d"
        )
        .column("d")[0]
        .as_py()
    )
    hold["member_id"] = hold["member_id"].astype("str")
    out = cal.join(hold.set_index("member_id"), how="left").fillna(0.0)
    out["duration_holdout"] = float(duration) / freq_multiplier
    return out
