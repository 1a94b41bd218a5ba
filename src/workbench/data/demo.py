"""Deterministic demo data: a synthetic Taiwanese retail brand, and the real CDNOW log shipped with lifetimes.

The demo brand is generated from known processes, so every model in the workbench can be checked
against the truth it should recover:

* purchases follow BG/NBD (Fader, Hardie & Lee 2005) with parameters ``TRUTH_BGNBD`` (time unit: days);
* order values follow Gamma-Gamma (Fader, Hardie & Lee 2005b) with ``TRUTH_GAMMA_GAMMA`` (NT$);
* one randomized campaign (control / blanket discount / targeted VIP gift) whose true effects, the
  sample average treatment effects over the assigned members, are computed from both potential
  outcomes of every member and recorded with the data. The campaign's effects are in the transaction
  log (the blanket arm's discounted orders, the extra orders both offers bring), so its outcomes can be
  measured from the log; ``assignments`` is the list a brand has after a campaign (who was in which arm).
* members have obviously fake contact columns for the send lists (``workbench.data.demo_contacts``:
  ``example.com`` e-mail addresses, mobile numbers of the block ``0900-xxx-xxx``, LINE user ids).

Everything is vectorised numpy; 1,000,000 members (about 10 million rows) generate in seconds.
``workbench.data.write_demo`` writes a larger brand in batches of members (``workbench demo``).
"""

from __future__ import annotations

import importlib.util
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench import files
from workbench.data.demo_contacts import demo_contacts
from workbench.errors import ArgumentError
from workbench.schema import DATETIME_DTYPE, finalize_transactions

DEMO_START = pd.Timestamp("2023-11-01")
DEMO_END = pd.Timestamp("2026-10-31 23:59:59")
DEMO_LATEST_MONTH = "2026-10"

# Generating parameters, in lifetimes' parametrisation (time unit: days; spend in NT$).
TRUTH_BGNBD = {"r": 0.75, "alpha": 20.0, "a": 0.8, "b": 6.0}
TRUTH_GAMMA_GAMMA = {"p": 6.0, "q": 4.0, "v": 750.0}

STORES = (
    "台北信義店",
    "台北東區店",
    "新北板橋店",
    "桃園中壢店",
    "台中公益店",
    "台南西門店",
    "高雄夢時代店",
)
ONLINE_STORE = "官方網路商店"


@dataclass(frozen=True)
class CampaignDesign:
    """The demo campaign: who is in it, what each arm gets, and how members respond."""

    start: str = "2026-09-01"
    end: str = "2026-10-31"  # inclusive outcome window; two months: September is a look of a running campaign
    lookback_days: int = 365  # population: bought in the lookback before start
    arms: tuple[str, ...] = ("control", "blanket_discount", "vip_gift")
    shares: tuple[float, ...] = (1 / 3, 1 / 3, 1 / 3)
    strata: int = 10  # pre-period spend deciles
    discount_rate: float = 0.10  # blanket: 10% off every order in the window
    discount_extra_order_prob: float = 0.04  # blanket: chance of one extra (incremental) order
    vip_share: float = 0.20  # gift arm: only the top 20% by pre-period spend get the gift
    gift_unit_cost: float = 200.0  # NT$ per gift
    gift_extra_order_prob: float = 0.30  # gift: chance of one extra order among recipients
    gross_margin: float = 0.45


ASSIGNMENT_LIST_COLUMNS = ("member_id", "arm", "stratum", "assigned_at", "gift_recipient")


@dataclass
class DemoData:
    """The demo brand: members, transactions, the campaign table and the truths it was generated from."""

    members: pd.DataFrame
    transactions: pd.DataFrame
    campaign: pd.DataFrame
    truth: dict = field(default_factory=dict)

    @property
    def assignments(self) -> pd.DataFrame:
        """The campaign's assignment list, as a brand has it after the campaign.

        ``member_id, arm, stratum, assigned_at`` and ``gift_recipient`` (1 = handed the VIP gift); no outcomes
        (those are in the log).
        """
        out = self.campaign[list(ASSIGNMENT_LIST_COLUMNS)].copy()
        out["gift_recipient"] = out["gift_recipient"].astype("int64")
        return out

    def write(self, out: str | Path) -> Path:
        """Write ``members``, ``transactions``, ``campaign`` (Parquet), ``assignments.csv`` and ``truth.json``.

        Parameters
        ----------
        out : str or Path
            The folder (created when missing).

        Returns
        -------
        Path
            ``out``.
        """
        out = Path(out)
        for name in ("members", "transactions", "campaign"):
            files.write_parquet(out / f"{name}.parquet", getattr(self, name))
        listing = self.assignments
        listing["assigned_at"] = listing["assigned_at"].dt.strftime("%Y-%m-%d")
        files.write_csv(out / "assignments.csv", listing)
        files.write_json(out / "truth.json", self.truth)
        return out


def _member_ids(n: int, first: int = 1, width: int | None = None) -> np.ndarray:
    width = width or max(7, len(str(first + n - 1)))
    ids = pc.utf8_lpad(pa.array(np.arange(first, first + n)).cast(pa.string()), width=width, padding="0")
    return ids.to_numpy(zero_copy_only=False)


def _as_str(values: pa.Array | pa.ChunkedArray) -> pd.Series:
    """A pyarrow string array as a pandas ``str`` Series, without a round trip through Python objects."""
    return pd.Series(
        pd.arrays.ArrowStringArray(pa.chunked_array([values]).cast(pa.large_string())), copy=False
    )


def _group_cumsum(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``values`` restarting at each group of the given sizes (groups contiguous)."""
    total = np.cumsum(values)
    ends = np.cumsum(counts)
    starts = ends - counts
    offset = np.where(starts > 0, total[np.maximum(starts - 1, 0)], 0.0)
    return total - np.repeat(offset, counts)


def generate_demo(
    members: int = 5000,
    seed: int = 42,
    *,
    design: CampaignDesign | None = None,
    first_member: int = 1,
    id_width: int | None = None,
    order_prefix: str = "T",
) -> DemoData:
    """Generate the demo brand: members, transactions, and one randomized campaign.

    Deterministic for a given ``(members, seed)``.

    Parameters
    ----------
    members : int
        Members (at least 100).
    seed : int
        The random seed.
    design : CampaignDesign, optional
        The campaign (default ``CampaignDesign()``).
    first_member : int
        The number of the first member id (``write_demo``'s batches number on from the batch before).
    id_width : int, optional
        Digits of the member ids (default: at least 7, enough for the last member).
    order_prefix : str
        The order ids' prefix (one per batch keeps them unique).

    Returns
    -------
    DemoData
    """
    if members < 100:
        raise ArgumentError(f"generate_demo: members must be at least 100, got {members}")
    design = design or CampaignDesign()
    rng = np.random.default_rng(seed)
    n = int(members)
    span_days = (DEMO_END - DEMO_START) / pd.Timedelta(days=1)

    # --- members ------------------------------------------------------------------------------
    ids = _member_ids(n, first_member, id_width)
    join = rng.uniform(0.0, span_days - 1.0, n)  # first purchase, days since DEMO_START
    T = span_days - join
    bg = TRUTH_BGNBD
    lam = rng.gamma(bg["r"], 1.0 / bg["alpha"], n)  # purchase rate per day
    p = rng.beta(bg["a"], bg["b"], n)  # drop-out probability after each repeat purchase
    n_in_T = rng.poisson(lam * T)  # purchases a never-dropping member would make in (0, T]
    k_drop = rng.geometric(p)  # the repeat purchase after which the member drops out
    x = np.minimum(n_in_T, k_drop)  # repeat purchases observed
    gg = TRUTH_GAMMA_GAMMA
    nu = rng.gamma(gg["q"], 1.0 / gg["v"], n)  # member's spend rate: mean order value p / nu
    home_online = rng.random(n) < 0.4
    home_store = rng.integers(0, len(STORES), n)
    promo_prone = rng.beta(1.0, 4.0, n)

    # --- repeat purchase times: the first x of n_in_T uniform order statistics on (0, T] --------
    # U_(j) = S_j / S_(n+1), S the partial sums of n+1 unit exponentials; S_(n+1) = S_x + Gamma(n+1-x).
    total_x = int(x.sum())
    e = rng.exponential(1.0, total_x)
    s = _group_cumsum(e, x)
    rest = rng.gamma(n_in_T - x + 1.0, 1.0)
    s_x = np.zeros(n)
    has = x > 0
    s_x[has] = s[np.cumsum(x)[has] - 1]
    denom = np.repeat(s_x + rest, x)
    repeat_t = np.repeat(join, x) + s / denom * np.repeat(T, x)

    owner = np.concatenate([np.arange(n), np.repeat(np.arange(n), x)])
    t_days = np.concatenate([join, repeat_t])
    order = np.lexsort((t_days, owner))
    owner, t_days = owner[order], t_days[order]
    rows = len(owner)

    amount = np.round(rng.gamma(gg["p"], 1.0 / nu[owner]))
    amount = np.maximum(amount, 1.0)
    online = np.where(rng.random(rows) < 0.8, home_online[owner], ~home_online[owner])
    store = np.where(online, len(STORES), home_store[owner])
    promo = rng.random(rows) < promo_prone[owner]
    rate = rng.choice(np.array([0.10, 0.15, 0.20]), rows)
    discount = np.where(promo, np.round(amount * rate / (1.0 - rate)), 0.0)
    # Time of day keeps the continuous BG/NBD time: the fraction of the day is mapped monotonically onto
    # opening hours (stores 11:00-21:30, online all day), so purchases on one day stay in order and
    # distinct at hour resolution. (Two uniform draws are still taken to keep the random stream stable.)
    rng.uniform(0, 24, rows), rng.uniform(11, 21.5, rows)
    day = np.floor(t_days)
    frac = t_days - day
    hour = np.where(online, frac * 24.0, 11.0 + frac * 10.5)
    ordered_at = DEMO_START + pd.to_timedelta(day * 86400 + np.floor(hour * 3600), unit="s")

    tx = pd.DataFrame(
        {
            "owner": owner,
            "ordered_at": ordered_at.astype(DATETIME_DTYPE),
            "amount": amount,
            "discount": discount,
            "store_code": store,
        }
    )

    # --- the campaign ---------------------------------------------------------------------------
    campaign, tx, truth_campaign = _run_campaign(tx, ids, nu, rng, design)

    # --- returns: about 2% of orders, within two weeks, full or partial ---------------------------
    is_ret = rng.random(len(tx)) < 0.02
    ret = tx.loc[is_ret].copy()
    frac = np.where(rng.random(len(ret)) < 0.7, 1.0, rng.uniform(0.3, 0.7, len(ret)))
    ret["amount"] = -np.round(ret["amount"].to_numpy() * frac)
    ret["discount"] = 0.0
    ret["ordered_at"] = ret["ordered_at"] + pd.to_timedelta(rng.integers(1, 15, len(ret)), unit="D")
    ret["is_return_of"] = ret.index.to_numpy()
    ret = ret.loc[ret["ordered_at"] <= DEMO_END]
    tx["is_return_of"] = -1
    tx = pd.concat([tx, ret], ignore_index=False)
    is_ret_row = tx["is_return_of"].to_numpy() >= 0
    seq = np.where(is_ret_row, tx["is_return_of"].to_numpy(), tx.index.to_numpy())
    when = tx["ordered_at"].to_numpy()
    owner_all = tx["owner"].to_numpy()
    chrono = np.lexsort((owner_all, when))
    # order ids numbered chronologically by purchase; a return carries its order's id plus "-R"
    purchase_rank = np.empty(len(tx), dtype=np.int64)
    purchase_rank[chrono] = np.arange(len(tx))
    first_pos = np.zeros(int(seq.max()) + 1, dtype=np.int64)
    first_pos[seq[~is_ret_row]] = purchase_rank[~is_ret_row]
    number = pa.array(first_pos[seq][chrono] + 1).cast(pa.string())
    order_id = pc.binary_join_element_wise(order_prefix, pc.utf8_lpad(number, width=9, padding="0"), "")
    order_id = pc.if_else(
        pa.array(is_ret_row[chrono]), pc.binary_join_element_wise(order_id, "-R", ""), order_id
    )

    store_names = [*STORES, ONLINE_STORE]
    code = tx["store_code"].to_numpy()[chrono]
    owner_sorted = owner_all[chrono]
    transactions = finalize_transactions(
        pd.DataFrame(
            {
                "member_id": _as_str(pa.array(ids).take(pa.array(owner_sorted))),
                "ordered_at": when[chrono],
                "amount": tx["amount"].to_numpy()[chrono],
                "order_id": _as_str(order_id),
                "channel": pd.Categorical.from_codes(
                    (code == len(STORES)).astype(np.int8), ["store", "online"]
                ),
                "discount": tx["discount"].to_numpy()[chrono],
                "store": pd.Categorical.from_codes(code, store_names),
            }
        )
    )

    first_at = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    purchase = ~is_ret_row[chrono]
    # rows are in time order, so the first purchase row of each member is its first occurrence
    o_p = owner_sorted[purchase]
    uniq, first_idx = np.unique(o_p, return_index=True)
    first_at[uniq] = when[chrono][purchase][first_idx]
    members_frame = pd.DataFrame(
        {
            "member_id": ids,
            "joined_at": (DEMO_START + pd.to_timedelta(np.floor(join), unit="D")).astype(DATETIME_DTYPE),
            "birth_month": rng.integers(1, 13, n),
            "home_channel": pd.Categorical(np.where(home_online, "online", "store")),
            "home_store": pd.Categorical.from_codes(
                np.where(home_online, len(STORES), home_store), store_names
            ),
            "first_purchase_at": first_at,
            **demo_contacts(n, seed, first=first_member, width=id_width),
        }
    )

    truth = {
        "members": n,
        "seed": seed,
        "period": {
            "start": str(DEMO_START.date()),
            "end": str(DEMO_END.date()),
            "latest_month": DEMO_LATEST_MONTH,
        },
        "bgnbd": {"time_unit": "days", **TRUTH_BGNBD},
        "gamma_gamma": {"currency": "TWD", **TRUTH_GAMMA_GAMMA},
        "returns": {"share_of_orders": 0.02},
        "campaign": truth_campaign,
    }
    return DemoData(members=members_frame, transactions=transactions, campaign=campaign, truth=truth)


def _run_campaign(
    tx: pd.DataFrame, ids: np.ndarray, nu: np.ndarray, rng: np.random.Generator, d: CampaignDesign
):
    """Assign the campaign, apply the assigned arm to the log, and compute the true effects.

    Outcomes (per member, over the window ``[start, end]`` inclusive, before returns are added):
    ``orders`` = orders placed, ``converted`` = orders > 0, ``revenue`` = sum of ``amount`` of those
    orders (return rows, negative, are not outcomes).
    """
    start = pd.Timestamp(d.start)
    end = pd.Timestamp(d.end) + pd.Timedelta(days=1)
    pre_start = start - pd.Timedelta(days=d.lookback_days)
    t = tx["ordered_at"].to_numpy()
    owner = tx["owner"].to_numpy()
    n = len(ids)

    pre = (t >= pre_start.to_datetime64()) & (t < start.to_datetime64())
    pre_spend = np.bincount(owner[pre], weights=tx["amount"].to_numpy()[pre], minlength=n)
    pre_orders = np.bincount(owner[pre], minlength=n)
    pop = np.flatnonzero(pre_orders > 0)
    m = len(pop)

    # stratified, seeded assignment: within each pre-spend decile, a shuffled round-robin of arms
    ranks = pd.Series(pre_spend[pop]).rank(method="first").to_numpy()
    stratum = np.minimum((ranks - 1) * d.strata // m, d.strata - 1).astype(int)
    shares = np.asarray(d.shares) / np.sum(d.shares)
    arm_idx = np.empty(m, dtype=int)
    for s in range(d.strata):
        members_s = np.flatnonzero(stratum == s)
        counts = np.floor(shares * len(members_s)).astype(int)
        counts[: len(members_s) - counts.sum()] += 1  # distribute the remainder
        labels = np.repeat(np.arange(len(shares)), counts)
        arm_idx[members_s] = rng.permutation(labels)
    vip = pre_spend[pop] >= np.quantile(pre_spend[pop], 1.0 - d.vip_share)

    # baseline (control) outcomes from the BG/NBD log
    win = (t >= start.to_datetime64()) & (t < end.to_datetime64())
    pos = np.full(n, -1)
    pos[pop] = np.arange(m)
    in_pop_win = win & (pos[owner] >= 0)
    w_pos = pos[owner[in_pop_win]]
    w_amount = tx["amount"].to_numpy()[in_pop_win]
    base_orders = np.bincount(w_pos, minlength=m).astype(float)
    base_rev = np.bincount(w_pos, weights=w_amount, minlength=m)

    # response draws for every member (common random numbers: both potential outcomes are known)
    u = rng.random(m)
    extra_amount = np.maximum(np.round(rng.gamma(TRUTH_GAMMA_GAMMA["p"], 1.0 / nu[pop])), 1.0)
    extra_day = rng.integers(0, (end - start).days, m)
    extra_hour = rng.uniform(10, 22, m)
    disc_extra = u < d.discount_extra_order_prob
    gift_extra = vip & (u < d.gift_extra_order_prob)
    disc_extra_amount = np.round(extra_amount * (1 - d.discount_rate))

    # discounted baseline revenue: each order is discounted and rounded to whole NT$
    disc_base_rev = np.bincount(w_pos, weights=np.round(w_amount * (1 - d.discount_rate)), minlength=m)
    po = {
        "control": (base_orders, base_rev),
        "blanket_discount": (base_orders + disc_extra, disc_base_rev + disc_extra * disc_extra_amount),
        "vip_gift": (base_orders + gift_extra, base_rev + gift_extra * extra_amount),
    }
    arm_names = np.asarray(d.arms)
    arm = arm_names[arm_idx]

    # apply the assigned arm to the log
    amount = tx["amount"].to_numpy().copy()
    discount = tx["discount"].to_numpy().copy()
    disc_row = in_pop_win.copy()
    disc_row[in_pop_win] = arm[w_pos] == "blanket_discount"
    gross = amount[disc_row] + discount[disc_row]
    new_amount = np.round(amount[disc_row] * (1 - d.discount_rate))
    discount[disc_row] = gross - new_amount
    amount[disc_row] = new_amount

    tx = tx.copy()
    tx["amount"] = amount
    tx["discount"] = discount
    add_disc = (arm == "blanket_discount") & disc_extra
    add_gift = (arm == "vip_gift") & gift_extra
    add = add_disc | add_gift
    extra_rows = pd.DataFrame(
        {
            "owner": pop[add],
            "ordered_at": (
                start
                + pd.to_timedelta(extra_day[add], unit="D")
                + pd.to_timedelta(np.floor(extra_hour[add] * 3600), unit="s")
            ).astype(DATETIME_DTYPE),
            "amount": np.where(add_disc[add], disc_extra_amount[add], extra_amount[add]),
            "discount": np.where(add_disc[add], extra_amount[add] - disc_extra_amount[add], 0.0),
            "store_code": len(STORES),  # campaign orders are placed online
        }
    )
    tx = pd.concat([tx, extra_rows], ignore_index=True)

    realised_orders = np.choose(arm_idx, [po[a][0] for a in d.arms])
    realised_rev = np.choose(arm_idx, [po[a][1] for a in d.arms])
    in_disc_arm = arm[w_pos] == "blanket_discount"
    saved = np.where(in_disc_arm, w_amount - np.round(w_amount * (1 - d.discount_rate)), 0.0)
    disc_cost = np.bincount(w_pos, weights=saved, minlength=m) + add_disc * (extra_amount - disc_extra_amount)
    recipient = (arm == "vip_gift") & vip
    campaign = pd.DataFrame(
        {
            "member_id": ids[pop],
            "arm": pd.Categorical(arm, categories=list(d.arms)),
            "stratum": d.strata - stratum,  # 1 = the highest pre-period spend, as every decile
            "assigned_at": start.to_datetime64(),
            "pre_spend": pre_spend[pop],
            "pre_orders": pre_orders[pop],
            "vip": vip,
            "gift_recipient": recipient,
            "gift_cost": np.where(recipient, d.gift_unit_cost, 0.0),
            "discount_cost": disc_cost,
            "orders": realised_orders.astype(int),
            "converted": (realised_orders > 0).astype(int),
            "revenue": realised_rev,
        }
    )
    effects = {}
    for a in d.arms[1:]:
        o1, r1 = po[a]
        o0, r0 = po["control"]
        effects[a] = {
            "converted": float(np.mean((o1 > 0).astype(float) - (o0 > 0))),
            "orders": float(np.mean(o1 - o0)),
            "revenue": float(np.mean(r1 - r0)),
        }
    truth = {
        **{k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(d).items()},
        "population": int(m),
        "outcome_definition": (
            "per member over the window [start, end] (inclusive, brand-local dates), purchase rows only "
            "(amount >= 0; return rows excluded): orders = orders placed, converted = orders > 0, "
            "revenue = sum of amount (NT$, after discounts)"
        ),
        "true_effects": effects,
        "true_effects_kind": "sample average treatment effect over all assigned members, arm minus control",
        "control_means": {
            "converted": float(np.mean(po["control"][0] > 0)),
            "orders": float(np.mean(po["control"][0])),
            "revenue": float(np.mean(po["control"][1])),
        },
    }
    return campaign, tx, truth


def lifetimes_data_file(name: str) -> Path:
    """Path of a data file shipped in ``lifetimes/datasets`` (found without importing lifetimes)."""
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the lifetimes package is not installed (pip install lifetimes==0.11.3)")
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / name
    if not path.exists():
        raise FileNotFoundError(f"lifetimes data file not found: {path}")
    return path


def load_cdnow() -> pd.DataFrame:
    """The real CDNOW master log shipped inside lifetimes (69,659 rows, 23,570 customers, 1997-01..1998-06).

    Located without importing lifetimes (whose import silences FutureWarning process-wide, and whose
    ``lifetimes.datasets`` needs ``pkg_resources``). Returns the canonical transaction frame; customer ids
    keep their leading zeros ("00001").
    """
    path = lifetimes_data_file("CDNOW_master.txt")
    raw = pd.read_csv(path, sep=r"\s+", dtype={"customer_id": "str", "date": "str"})
    return finalize_transactions(
        pd.DataFrame(
            {
                "member_id": raw["customer_id"],
                "ordered_at": pd.to_datetime(raw["date"], format="%Y%m%d"),
                "amount": raw["dollar_value"].astype(float),
            }
        )
    )
