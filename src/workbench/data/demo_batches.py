"""Writing the demo brand to files, a large one in batches of members (``workbench demo``).

``write_demo(members, seed, out, batch=...)`` writes what ``DemoData.write`` writes (``members``,
``transactions``, ``campaign`` as Parquet, ``assignments.csv``, ``truth.json``). Up to ``batch`` members it
is exactly ``generate_demo(members, seed).write(out)``. A larger brand is generated batch by batch: each
batch is ``generate_demo`` of its members (numbered on from the batch before, its own seed, its own
order-id prefix), appended to the files at once, so memory grows with the batch, not the brand (10M members
generate within a few GiB). Every batch draws from the same processes (``TRUTH_BGNBD``,
``TRUTH_GAMMA_GAMMA``, the campaign design), so the truths hold for the whole brand; the campaign is
stratified and the VIP gift's top share taken within each batch (a batch is a random sample of members), and
the true effects recorded are the population-weighted means of the batches' exact effects.
"""

from __future__ import annotations

import contextlib
import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from workbench import files
from workbench.data.demo import DemoData, generate_demo
from workbench.errors import ArgumentError

DEFAULT_BATCH = 500_000
PARQUET_FILES = ("members", "transactions", "campaign")


@dataclass(frozen=True)
class DemoWritten:
    """What ``write_demo`` wrote: the folder, the members, transactions and campaign members, the batches."""

    out: Path
    members: int
    transactions: int
    campaign_members: int
    batches: int


def _batch_seed(seed: int, i: int) -> int:
    return int(np.random.SeedSequence([seed, i]).generate_state(1)[0])


def _merge_truth(truths: list[dict], members: int, seed: int, batch: int) -> dict:
    """One truth for the batches: the first's constants, counts summed, effects weighted by population."""
    out = {**truths[0], "members": members, "seed": seed, "batches": {"count": len(truths), "members": batch}}
    pops = np.array([t["campaign"]["population"] for t in truths], dtype=float)
    campaign = dict(truths[0]["campaign"])
    campaign["population"] = int(pops.sum())

    def weighted(get) -> float:
        return float(np.dot(pops, [get(t) for t in truths]) / pops.sum())

    campaign["true_effects"] = {
        arm: {k: weighted(lambda t, a=arm, k=k: t["campaign"]["true_effects"][a][k]) for k in effects}
        for arm, effects in campaign["true_effects"].items()
    }
    campaign["control_means"] = {
        k: weighted(lambda t, k=k: t["campaign"]["control_means"][k]) for k in campaign["control_means"]
    }
    campaign["true_effects_kind"] += " (population-weighted over the generated batches)"
    out["campaign"] = campaign
    return out


def write_demo(members: int, seed: int, out: str | Path, *, batch: int = DEFAULT_BATCH) -> DemoWritten:
    """Generate the demo brand and write its files to ``out``, in batches of ``batch`` members.

    Parameters
    ----------
    members : int
        Members of the brand (at least 100).
    seed : int
        The random seed (deterministic for a given ``members, seed, batch``).
    out : str or Path
        The folder (created when missing); each file replaces the previous one atomically.
    batch : int
        Members per batch (at least 100); up to this many, one ``generate_demo`` call.

    Returns
    -------
    DemoWritten
    """
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 100:
        raise ArgumentError(f"write_demo: batch must be a whole number of members >= 100; got {batch!r}")
    out = Path(out)
    if members <= batch:
        data = generate_demo(members, seed)
        data.write(out)
        return DemoWritten(out, members, len(data.transactions), len(data.campaign), 1)
    # sizes: equal batches, the last one holds the remainder (never fewer than 100 members)
    sizes = [batch] * (members // batch)
    if members % batch:
        if members % batch < 100:
            sizes[-1] += members % batch
        else:
            sizes.append(members % batch)
    width = max(7, len(str(members)))
    truths, rows, campaign_members = [], 0, 0
    with contextlib.ExitStack() as stack:
        paths = {
            name: stack.enter_context(files.atomic_path(out / f"{name}.parquet")) for name in PARQUET_FILES
        }
        listing_path = stack.enter_context(files.atomic_path(out / "assignments.csv"))
        writers: dict[str, pq.ParquetWriter] = {}
        listing = stack.enter_context(open(listing_path, "w", encoding="utf-8", newline=""))
        first = 1
        for i, size in enumerate(sizes):
            data = generate_demo(
                size, _batch_seed(seed, i), first_member=first, id_width=width, order_prefix=f"T{i:03d}"
            )
            for name in PARQUET_FILES:
                table = pa.Table.from_pandas(getattr(data, name), preserve_index=False)
                if name not in writers:
                    writers[name] = stack.enter_context(pq.ParquetWriter(paths[name], table.schema))
                writers[name].write_table(table.cast(writers[name].schema))
            _append_listing(listing, data, header=i == 0)
            truths.append(data.truth)
            rows += len(data.transactions)
            campaign_members += len(data.campaign)
            first += size
            del data
    files.write_json(out / "truth.json", _merge_truth(truths, members, seed, batch))
    return DemoWritten(out, members, rows, campaign_members, len(sizes))


def _append_listing(handle, data: DemoData, *, header: bool) -> None:
    """Append a batch's assignment list to the open ``assignments.csv`` (as ``DemoData.write`` writes it)."""
    listing = data.assignments
    listing["assigned_at"] = listing["assigned_at"].dt.strftime("%Y-%m-%d")
    listing.to_csv(handle, index=False, header=header, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
