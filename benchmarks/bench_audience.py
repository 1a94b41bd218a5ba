"""Benchmark: the campaign loop on the 1M-member demo brand (~9M transaction rows).

Times, each against a straightforward pandas implementation of the same figures in the same run (results
checked equal):

* ``member_attributes`` (every member's windowed spend and orders, AOV, largest order, recency, channel and
  store shares, discounts, returns, active months, home store, plus the overview's RFM / NES / member type)
  vs pandas: filter each window and ``groupby("member_id")`` (the segment attributes, which only the
  workbench computes, are not in the reference, so it does less);
* ``campaign_frame`` on the demo campaign's assignment list (outcomes, discounts and pre-period covariates of
  ~640,000 assigned members) vs pandas: filter the window and the pre-period, ``groupby``, ``map``;
* ``plan_campaign`` + ``write_campaign_files`` (rule, stratified assignment, send lists with the Meta hashes
  in DuckDB) and the Meta hashes alone vs ``hashlib.sha256`` in a Python loop.

Best of ``--repeat`` runs each (default 2), alternating. Run: ``.venv/bin/python benchmarks/bench_audience.py``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "audience.md"
MEMBERS = 1_000_000
AS_OF = "2026-08-31"
WINDOWS = (30, 90, 180, 365)


def pandas_attributes(tx: pd.DataFrame, members: pd.DataFrame, as_of: str) -> pd.DataFrame:
    """The windowed attributes the plain pandas way (orders = purchase orders dated by their first row)."""
    end = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    tx = tx[tx["ordered_at"] < end]
    buy = tx[tx["amount"] >= 0]
    orders = (
        buy.groupby(["member_id", "order_id"], observed=True, sort=False)
        .agg(at=("ordered_at", "min"), amount=("amount", "sum"), disc=("discount", "max"))
        .reset_index()
    )
    out = pd.DataFrame(index=pd.Index(np.sort(tx["member_id"].unique()), name="member_id"))
    for d in WINDOWS:
        start = end - pd.Timedelta(days=d)
        out[f"spend_{d}d"] = tx[tx["ordered_at"] >= start].groupby("member_id")["amount"].sum()
        out[f"orders_{d}d"] = orders[orders["at"] >= start].groupby("member_id").size()
    out["spend_lifetime"] = tx.groupby("member_id")["amount"].sum()
    out["orders_lifetime"] = orders.groupby("member_id").size()
    start = end - pd.Timedelta(days=365)
    year = orders[orders["at"] >= start]
    g = year.groupby("member_id")["amount"]
    out["aov_365d"] = g.mean()
    out["max_order_365d"] = g.max()
    out["discount_share_365d"] = (
        year[year["disc"] > 0].groupby("member_id")["amount"].sum().reindex(out.index, fill_value=0.0)
        / g.sum()
    )
    last, first = orders.groupby("member_id")["at"].max(), orders.groupby("member_id")["at"].min()
    out["days_since_last_purchase"] = (pd.Timestamp(as_of) - last.dt.normalize()).dt.days
    out["days_since_first_purchase"] = (pd.Timestamp(as_of) - first.dt.normalize()).dt.days
    ybuy = buy[buy["ordered_at"] >= start]
    yg = ybuy.groupby("member_id")
    online = ybuy[ybuy["channel"] == "online"].groupby("member_id")["amount"].sum()
    out["online_share_365d"] = online.reindex(out.index, fill_value=0.0) / yg["amount"].sum()
    out["store_count_365d"] = yg["store"].nunique()
    out["discount_365d"] = yg["discount"].sum()
    out["active_months_365d"] = (
        ybuy.assign(m=ybuy["ordered_at"].dt.to_period("M")).groupby("member_id")["m"].nunique()
    )
    ret = tx[tx["amount"] < 0]
    out["returns_365d"] = -ret[ret["ordered_at"] >= start].groupby("member_id")["amount"].sum()
    out["returns_lifetime"] = -ret.groupby("member_id")["amount"].sum()
    by_store = buy.groupby(["member_id", "store"], observed=True)["amount"].sum().reset_index()
    by_store = by_store.sort_values(["member_id", "amount", "store"], ascending=[True, False, True])
    top = by_store.drop_duplicates("member_id").set_index("member_id")["store"].astype(str)
    listed = members.set_index("member_id")["home_store"].astype(str)
    out["home_store"] = listed.reindex(out.index).fillna(top.reindex(out.index))  # the members table first
    zero = [
        c
        for c in out.columns
        if c.startswith(("spend_", "orders_", "returns_", "store_count", "active_", "discount_365d"))
    ]
    out[zero] = out[zero].fillna(0)
    return out


def pandas_campaign_frame(
    tx: pd.DataFrame, assigned: pd.DataFrame, start: str, end: str, pre_days: int
) -> pd.DataFrame:
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    win = tx[(tx["ordered_at"] >= lo) & (tx["ordered_at"] < hi) & (tx["amount"] >= 0)]
    pre = tx[(tx["ordered_at"] >= lo - pd.Timedelta(days=pre_days)) & (tx["ordered_at"] < lo)]
    ids = assigned["member_id"]
    out = assigned.copy()
    g = win.groupby("member_id")
    out["orders"] = ids.map(g["order_id"].nunique()).fillna(0).astype(int)
    out["converted"] = (out["orders"] > 0).astype(int)
    out["revenue"] = ids.map(g["amount"].sum()).fillna(0.0)
    out["discount"] = ids.map(g["discount"].sum()).fillna(0.0)
    out["pre_spend"] = ids.map(pre.groupby("member_id")["amount"].sum()).fillna(0.0)
    out["pre_orders"] = (
        ids.map(pre[pre["amount"] >= 0].groupby("member_id")["order_id"].nunique()).fillna(0).astype(int)
    )
    return out


def best(fn, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, min(times), times[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=MEMBERS)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    from workbench.audience import member_attributes
    from workbench.data import generate_demo
    from workbench.experiments import (
        CampaignPlan,
        campaign_frame,
        contact_lists,
        plan_campaign,
        write_campaign_files,
    )

    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    demo = generate_demo(args.members, seed=42)
    gen = time.perf_counter() - t0
    tx, members = demo.transactions, demo.members
    print(f"demo: {len(members):,} members, {len(tx):,} rows in {gen:.1f} s")

    rows = []
    ours = ref = None
    t_ours, t_ref, f_ours, f_ref = [], [], [], []
    for _ in range(args.repeat):  # alternating
        ours, t, _ = best(lambda: member_attributes(tx, members, as_of=AS_OF), 1)
        t_ours.append(t)
        ref, t, _ = best(lambda: pandas_attributes(tx, members, AS_OF), 1)
        t_ref.append(t)
    common = [c for c in ref.columns if c != "home_store"]
    buyers = ours.loc[ref.index]
    worst = max(
        float(np.nanmax(np.abs(buyers[c].astype("float64").to_numpy() - ref[c].astype("float64").to_numpy())))
        for c in common
    )
    same_home = bool((buyers["home_store"] == ref["home_store"]).all())
    assert worst < 1e-6 and same_home, (worst, same_home)
    rows.append(
        (
            f"`member_attributes`, {ours.shape[1]} attributes",
            f"{len(ours):,} members, {len(tx):,} rows",
            min(t_ours),
            f"pandas filters + `groupby`, {len(ref.columns)} attributes",
            min(t_ref),
            f"yes: {len(ref.columns)} attributes of {len(ref):,} buyers, max abs diff {worst:.1e}",
        )
    )

    truth = demo.truth["campaign"]
    assigned = demo.assignments
    for _ in range(args.repeat):
        frame, t, _ = best(lambda: campaign_frame(tx, assigned, start=truth["start"], end=truth["end"]), 1)
        f_ours.append(t)
        plain, t, _ = best(lambda: pandas_campaign_frame(tx, assigned, truth["start"], truth["end"], 365), 1)
        f_ref.append(t)
    cols = ["orders", "converted", "revenue", "discount", "pre_spend", "pre_orders"]
    diff = max(
        float(np.abs(frame[c].to_numpy(dtype=float) - plain[c].to_numpy(dtype=float)).max()) for c in cols
    )
    assert diff < 1e-6, diff
    rows.append(
        (
            "`campaign_frame` (outcomes, discount, pre-period)",
            f"{len(assigned):,} assigned members",
            min(f_ours),
            "pandas filters + `groupby` + `map`",
            min(f_ref),
            f"yes: 6 columns, max abs diff {diff:.1e}",
        )
    )

    plan = CampaignPlan.from_dict(
        {
            "audience": {
                "all": [
                    {"attr": "days_since_last_purchase", "le": 365},
                    {"attr": "spend_365d", "top_share": 0.4},
                ]
            },
            "arms": [
                {"name": "control"},
                {"name": "blanket_discount", "discount_rate": 0.1},
                {"name": "vip_gift", "per_member": 200},
            ],
            "start": "2026-09-01",
            "end": "2026-09-30",
        }
    )
    with tempfile.TemporaryDirectory() as folder:
        t0 = time.perf_counter()
        planned = plan_campaign(ours, plan)
        lists = write_campaign_files(planned.assignments, members, folder)
        t_plan = time.perf_counter() - t0
    rows.append(
        (
            "`plan_campaign` + `write_campaign_files` (9 files)",
            f"{planned.eligible:,} eligible, {int(lists.lists['reachable'].sum()):,} list rows",
            t_plan,
            "–",
            float("nan"),
            "–",
        )
    )
    contacts, t_hash = best(lambda: contact_lists(planned.assignments, members), 1)[:2]
    emails = members.set_index("member_id").reindex(planned.assignments["member_id"])["email"].dropna()
    t0 = time.perf_counter()
    hashed = [hashlib.sha256(e.strip().lower().encode()).hexdigest() for e in emails]
    t_loop = time.perf_counter() - t0
    got = contacts.set_index("member_id").loc[emails.index, "email_sha256"].tolist()
    assert got == hashed
    rows.append(
        (
            "contacts normalised + SHA-256 (`contact_lists`, DuckDB)",
            f"{len(contacts):,} members (phones and e-mails)",
            t_hash,
            f"`hashlib.sha256` loop, e-mails only ({len(emails):,})",
            t_loop,
            "yes: e-mail hashes identical",
        )
    )
    load1 = os.getloadavg()[0]

    lines = [
        f"### Campaign loop: member attributes, outcomes from the log, send lists ({len(members):,}-member demo)",
        "",
        "| step | data | workbench (s) | reference | reference (s) | speed-up | same result |",
        "|---|---|---:|---|---:|---:|---|",
    ]
    for step, data, ours_s, ref_name, ref_s, same in rows:
        ratio = f"{ref_s / ours_s:.1f}x" if np.isfinite(ref_s) else "–"
        ref_text = f"{ref_s:.2f}" if np.isfinite(ref_s) else "–"
        lines.append(f"| {step} | {data} | {ours_s:.2f} | {ref_name} | {ref_text} | {ratio} | {same} |")
    lines += [
        "",
        f"Best of {args.repeat} runs each, alternating (the reference does less: no RFM, NES or member types). "
        f"`as_of` {AS_OF}; the campaign window 2026-09-01..30 with 365 pre-period days. "
        f"Generating the demo took {gen:.0f} s (not included). 2 cores (shared; 1-minute load average "
        f"{load0:.1f} at the start, {load1:.1f} at the end).",
        "",
        "Command: `.venv/bin/python benchmarks/bench_audience.py`",
    ]
    text = "\n".join(lines) + "\n"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
