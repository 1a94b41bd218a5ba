"""The calibration/holdout split of a transaction log, as ``lifetimes.utils.calibration_and_holdout_data``."""

from __future__ import annotations

import pandas as pd

from workbench.errors import ArgumentError
from workbench.schema import run_sql
from workbench.summary.member import arrow_table, member_summary
from workbench.summary.sql import MODEL_COLUMNS, Freq, Returns, check_options, period_sql, timestamp_sql


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
    check_options(freq, returns)
    cal_end = pd.Timestamp(calibration_end)
    obs_end = pd.Timestamp(observation_end)
    if cal_end >= obs_end:
        raise ArgumentError(
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
    table = arrow_table(
        transactions.loc[hold_mask], ["member_id", "ordered_at", "amount"], "calibration_and_holdout"
    )
    hold = run_sql(
        f"""SELECT member_id, CAST(count(DISTINCT {period_sql("ordered_at", freq)}) AS DOUBLE)
               AS frequency_holdout, avg(amount) AS monetary_value_holdout
        FROM holdout GROUP BY member_id""",
        holdout=table,
    ).to_pandas()
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
