"""Facts about a loaded transaction frame (rows, members, orders, dates, returns, channels), for ``workbench validate`` and the report's data note."""

from __future__ import annotations

import pandas as pd

from workbench.data.columns import CHANNELS
from workbench.schema import orders_per_member


def describe_transactions(tx: pd.DataFrame, currency: str = "TWD") -> list[tuple[str, str]]:
    """Facts about a canonical frame, as (label, text) pairs for a report."""
    n = len(tx)
    ret = tx["is_return"].to_numpy()
    amount = tx["amount"].to_numpy()
    zero = amount == 0
    rows = [
        ("rows", f"{n:,}"),
        ("members", f"{tx['member_id'].nunique():,}"),
    ]
    if "order_id" in tx.columns:
        rows.append(("orders", f"{int(orders_per_member(tx).sum()):,}"))
    if n:
        rows.append(("date range", f"{tx['ordered_at'].min():%Y-%m-%d} .. {tx['ordered_at'].max():%Y-%m-%d}"))
    rows += [
        ("amount total", f"{currency} {amount.sum():,.2f}"),
        (
            "returns",
            f"{int(ret.sum()):,} rows ({ret.mean() if n else 0:.1%}), {currency} {amount[ret].sum():,.2f}",
        ),
        ("zero-amount rows", f"{int(zero.sum()):,}"),
    ]
    if "channel" in tx.columns:
        counts = tx["channel"].value_counts()
        rows.append(("channels", ", ".join(f"{k} {v:,}" for k, v in counts.items())))
        other = [str(k) for k, v in counts.items() if v and k not in CHANNELS]
        if other:
            rows.append(
                (
                    "note",
                    f"channel label(s) {', '.join(other)} are neither store nor online (not known labels such "
                    "as 門市 or 網路商店): the overview counts them in neither channel's revenue",
                )
            )
    return rows
