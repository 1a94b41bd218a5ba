"""Fixtures of the summary room: the edge-case log that every engine must agree on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

# an observation end inside a week (a Wednesday) and inside a month, and one a day after the epoch
EDGE_ENDS = ("2026-10-14 15:00:00", "1970-01-02 05:00:00")


@pytest.fixture(scope="session")
def edge_log() -> pd.DataFrame:
    """A log of the cases engines get wrong: returns (and return-only members), rows without an order id
    (NULL and empty), several rows of one order, same-day and same-hour orders, times around the epoch and
    at the edges of weeks and months, rows after the observation ends, and ids with leading zeros."""
    rows: list[tuple] = []

    def add(member, when, amount, order):
        rows.append((member, pd.Timestamp(when), float(amount), order))

    for when, amount in [  # around 1970-01-01 (negative days and weeks); 1969-12-29 was a Monday
        ("1969-12-28 23:30", 10),
        ("1969-12-29 00:10", 20),
        ("1969-12-31 23:59:59", 30.5),
        ("1970-01-01 00:00", 40),
        ("1970-01-04 12:00", 5),
        ("1970-01-05 00:00:00", 7),
        ("1969-11-30 23:00", 3),
    ]:
        add("00017", when, amount, None)
    add("00042", "2026-01-02 10:00", -50, "b1")  # only returns
    add("00042", "2026-02-02 10:00", -10, None)
    for when, amount, order in [  # one order of three lines, id-less rows (NULL, ''), same day and hour
        ("2026-03-01 10:00", 100, "o1"),
        ("2026-03-01 10:05", 50, "o1"),
        ("2026-03-01 10:30", 20, None),
        ("2026-03-01 10:40", 20, ""),
        ("2026-03-02 11:00", -30, "o1"),
        ("2026-03-09 00:00", 70, "o2"),
        ("2026-04-30 23:59:59.999999", 11.1, "o3"),  # one order across a month boundary
        ("2026-05-01 00:00", 22.2, "o3"),
    ]:
        add("0007", when, amount, order)
    for when, amount in [  # the week and the month of the observation end, before and after it
        ("2026-10-12 08:00", 10),
        ("2026-10-14 14:59:59", 20),
        ("2026-10-14 18:00", 30),
        ("2026-10-18 23:00", 40),
        ("2026-10-31 12:00", 45),
        ("2027-01-01", 50),
    ]:
        add("000", when, amount, "d" + when[:10])
    add("1", "2025-06-01 09:00", 99.99, "e1")  # a single purchase
    add("01", "2025-06-01 09:00", 100, "f1")  # a purchase and its return on the same day
    add("01", "2025-06-01 09:10", -100, "f1")
    add("01", "2025-07-01", 0.0, "f2")  # a zero amount is a purchase
    rng = np.random.default_rng(7)
    n = 20_000
    member = rng.integers(0, 300, n)
    secs = rng.integers(
        int(pd.Timestamp("1965-01-01").timestamp()), int(pd.Timestamp("2030-01-01").timestamp()), n
    )
    micros = rng.integers(0, 1_000_000, n)
    amount = np.round(rng.normal(300, 400, n), 2)
    order = rng.integers(0, 3000, n).astype(str).astype(object)
    order[rng.random(n) < 0.1] = None
    order[rng.random(n) < 0.05] = ""
    when = pd.to_datetime(secs * 1_000_000 + micros, unit="us")
    frame = pd.DataFrame(rows, columns=["member_id", "ordered_at", "amount", "order_id"])
    noise = pd.DataFrame(
        {"member_id": [f"{m:04d}" for m in member], "ordered_at": when, "amount": amount, "order_id": order}
    )
    out = pd.concat([frame, noise], ignore_index=True)
    # an order id is one member's (the loader rejects ids shared by members): make them so
    has_id = out["order_id"].notna() & (out["order_id"] != "")
    out.loc[has_id, "order_id"] = out.loc[has_id, "member_id"] + "-" + out.loc[has_id, "order_id"]
    from workbench.schema import finalize_transactions

    return finalize_transactions(out)
