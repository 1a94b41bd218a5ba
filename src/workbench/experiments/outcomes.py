"""Campaign outcomes measured from the transaction log: orders, conversion and revenue per assigned member."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.schema import orders_per_member


def campaign_outcomes(transactions: pd.DataFrame, assignments: pd.DataFrame, start, end) -> pd.DataFrame:
    """Per-member outcomes over the window ``[start, end]`` (dates inclusive) from the transaction log.

    Purchase rows only (``amount >= 0`` and not a return; return rows are excluded): ``orders`` = orders
    placed (distinct ``order_id`` when present, else rows), ``converted`` = orders > 0, ``revenue`` = sum
    of ``amount``. Every member of ``assignments`` (which must have ``member_id``) gets a row, 0 when
    they bought nothing; returns ``assignments`` with these three columns (replacing any of that name).
    """
    for name, cols in (
        ("transactions", ("member_id", "ordered_at", "amount")),
        ("assignments", ("member_id",)),
    ):
        frame = transactions if name == "transactions" else assignments
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise ValueError(f"campaign_outcomes: {name} is missing column(s) {missing}")
    lo = pd.Timestamp(start).normalize()
    hi = pd.Timestamp(end).normalize() + pd.Timedelta(days=1)
    if hi <= lo:
        raise ValueError(f"campaign_outcomes: end {end!r} is before start {start!r}")
    when = transactions["ordered_at"]
    amount = transactions["amount"].to_numpy(dtype=float)
    keep = (when >= lo).to_numpy() & (when < hi).to_numpy() & (amount >= 0) & ~np.signbit(amount)
    if "is_return" in transactions.columns:
        keep &= ~transactions["is_return"].to_numpy(dtype=bool)
    win = transactions.loc[keep]
    grouped = win.groupby("member_id", sort=False, observed=True)
    orders = orders_per_member(win)
    revenue = grouped["amount"].sum()
    ids = assignments["member_id"].astype(str)
    out = assignments.drop(
        columns=[c for c in ("orders", "converted", "revenue") if c in assignments.columns]
    ).copy()
    out["orders"] = ids.map(orders).fillna(0).astype("int64").to_numpy()
    out["converted"] = (out["orders"] > 0).astype("int64")
    out["revenue"] = ids.map(revenue).fillna(0.0).astype(float).to_numpy()
    return out
