"""Benchmark: the whole monthly run (`workbench report`, every notebook of params/report.yaml) at 1M, 3M, 10M members.

For each size the demo brand is generated once into benchmarks/_data/demo_<N>/ (`workbench demo`, timed,
its peak RSS sampled; reused when present), then `workbench report --month 2026-10` runs as a fresh process
on a params folder that reads it. While it runs, the resident memory of its whole process tree (the
`workbench report` process, its papermill kernels and their children) is sampled every 0.2 s with psutil;
the report's progress lines ("[i/n] NAME: running") say which notebook each sample belongs to (the
up-front validation and cache write before the first is "inputs", the index and publishing after the last
is "publish").

Per notebook: wall seconds (the report's own timing), peak RSS of the tree, transaction rows per second
(rows of the log / seconds) and peak bytes per member. Written as a table to benchmarks/results/monthly.md
and as a plot of peak memory against rows to benchmarks/monthly_memory.png.

    .venv/bin/python benchmarks/bench_monthly.py [--members 1000000 3000000 10000000] [--only NAME]

Targets (issue 18): 1M whole run <= 60 s; 3M peak RSS <= 4 GiB; 10M generated and run, peak <= 12 GiB.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = HERE / "_data"
RESULTS = HERE / "results" / "monthly.md"
PLOT = HERE / "monthly_memory.png"
BIN = Path(sys.executable).parent
MONTH = "2026-10"
FILES = ("transactions.parquet", "members.parquet", "campaign.parquet", "truth.json")
GIB = 2**30
RUNNING = re.compile(r"^\[\d+/\d+\] (\S+): running")
DONE = re.compile(r"^\[\d+/\d+\] (\S+): (OK|FAILED) in")
AT_ONCE = re.compile(r", (\d+) at a time$")


class TreeSampler:
    """Peak RSS of a process and all its descendants, sampled every ``interval`` seconds, per phase; the
    tree is killed when it holds more than ``limit`` bytes (the machine is shared: never run it out of memory)."""

    def __init__(self, pid: int, interval: float = 0.2, limit: float | None = None):
        self.root = psutil.Process(pid)
        self.limit = limit
        self.killed = False
        self.interval = interval
        self.phase = "inputs"
        self.running: set[str] = set()  # notebooks running now (several at once with --jobs > 1)
        self.peaks: dict[str, int] = {}
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss(self) -> int:
        total = 0
        try:
            procs = [self.root, *self.root.children(recursive=True)]
        except psutil.Error:
            return 0
        for p in procs:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = self._rss()
            if self.limit and rss > self.limit and not self.killed:
                self.killed = True
                for p in [*self.root.children(recursive=True), self.root]:
                    with contextlib.suppress(psutil.Error):
                        p.kill()
            self.peak = max(self.peak, rss)
            for phase in self.running or {self.phase}:
                self.peaks[phase] = max(self.peaks.get(phase, 0), rss)
            self._stop.wait(self.interval)

    def start(self) -> TreeSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


LIMIT = 16 * GIB  # a run above this is stopped (and reported as such)


def run_sampled(cmd: list[str], env: dict, on_line=None) -> tuple[int, float, TreeSampler, list[str]]:
    """Run ``cmd``, echo and keep its output lines, sample its tree's RSS; ``on_line(line, sampler)``."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    )
    sampler = TreeSampler(proc.pid, limit=LIMIT).start()
    lines = []
    for line in proc.stdout:
        line = line.rstrip("\n")
        lines.append(line)
        print("   ", line, flush=True)
        if on_line:
            on_line(line, sampler)
    rc = proc.wait()
    seconds = time.perf_counter() - t0
    sampler.stop()
    return rc, seconds, sampler, lines


def ensure_demo(members: int, env: dict) -> tuple[Path, float | None, int | None]:
    """The demo folder (generated when missing): its path, generation seconds and peak RSS (as measured when
    it was generated, kept in ``generated.json`` beside the files)."""
    folder = DATA / f"demo_{members}"
    stats = folder / "generated.json"
    if all((folder / f).is_file() for f in FILES):
        if stats.is_file():
            done = json.loads(stats.read_text(encoding="utf-8"))
            return folder, done["seconds"], done["peak"]
        return folder, None, None
    cmd = [sys.executable, "-m", "workbench.cli", "demo", "--members", str(members), "--out", str(folder)]
    rc, seconds, sampler, _ = run_sampled(cmd, env)
    if rc:
        raise SystemExit(f"bench_monthly: workbench demo --members {members} failed (exit {rc})")
    load = os.getloadavg()[0]
    stats.write_text(json.dumps({"seconds": seconds, "peak": sampler.peak, "load_end": load}), "utf-8")
    return folder, seconds, sampler.peak


def make_params(demo: Path, name: str) -> tuple[Path, list[str]]:
    """A params folder like params/ (every notebook's own params, the monthly list of report.yaml) reading
    the demo in ``demo``, with timeouts of at least an hour."""
    import yaml

    params = DATA / name
    shutil.rmtree(params, ignore_errors=True)
    params.mkdir(parents=True)
    common = yaml.safe_load((REPO / "params" / "common.yaml").read_text(encoding="utf-8"))
    rel = os.path.relpath(demo, params)
    common["data"].update(
        transactions=f"{rel}/transactions.parquet",
        members=f"{rel}/members.parquet",
        campaign=f"{rel}/assignments.csv",
        truth=f"{rel}/truth.json",
    )
    common["month"] = MONTH
    (params / "common.yaml").write_text(yaml.safe_dump(common, sort_keys=False, allow_unicode=True), "utf-8")
    listed = yaml.safe_load((REPO / "params" / "report.yaml").read_text(encoding="utf-8"))["notebooks"]
    chosen = [dict(e) for e in listed if e.get("default", True)]
    for entry in chosen:
        entry["timeout"] = max(3600, entry.get("timeout", 0))
    report = {"notebooks_dir": os.path.relpath(REPO / "notebooks", params), "notebooks": chosen}
    (params / "report.yaml").write_text(yaml.safe_dump(report, sort_keys=False), encoding="utf-8")
    for entry in chosen:
        own = REPO / "params" / f"{entry['name']}.yaml"
        if own.is_file():
            shutil.copy(own, params / own.name)
    return params, [e["name"] for e in chosen]


def whole_run(members: int, env: dict) -> dict:
    demo, gen_seconds, gen_peak = ensure_demo(members, env)
    import pyarrow.parquet as pq

    rows = pq.ParquetFile(demo / "transactions.parquet").metadata.num_rows
    params, names = make_params(demo, f"monthly_params_{members}")
    out = DATA / f"monthly_out_{members}"
    shutil.rmtree(out, ignore_errors=True)
    load0 = os.getloadavg()[0]
    print(f"== {members:,} members, {rows:,} rows: workbench report (load average {load0:.1f})", flush=True)

    jobs, finished = [1], set()

    def on_line(line: str, sampler: TreeSampler) -> None:
        at_once = AT_ONCE.search(line)
        if at_once:
            jobs[0] = int(at_once.group(1))
        started, done = RUNNING.match(line), DONE.match(line)
        if started:
            sampler.running.add(started.group(1))
        elif done:
            sampler.running.discard(done.group(1))
            finished.add(done.group(1))
            if not sampler.running:
                sampler.phase = "publish" if len(finished) == len(names) else "between"

    cmd = [
        sys.executable, "-m", "workbench.cli", "report", "--month", MONTH,
        "--params", str(params), "--out", str(out), "--jobs", "0",
    ]  # fmt: skip
    rc, seconds, sampler, _ = run_sampled(cmd, env, on_line)
    load1 = os.getloadavg()[0]
    run_json = out / MONTH / "run.json"
    if sampler.killed or not run_json.is_file():
        why = f"stopped above {LIMIT / GIB:.0f} GiB" if sampler.killed else f"exit {rc}, no run.json"
        run = {"status": why, "reports": []}
    else:
        run = json.loads(run_json.read_text(encoding="utf-8"))
    per = {r["name"]: r for r in run["reports"]}
    return {
        "members": members,
        "rows": rows,
        "rc": rc,
        "status": run["status"],
        "seconds": seconds,
        "peak": sampler.peak,
        "phases": dict(sampler.peaks),
        "notebooks": {n: (per[n]["status"], per[n]["seconds"]) for n in names if n in per},
        "gen_seconds": gen_seconds,
        "gen_peak": gen_peak,
        "load": (load0, load1),
        "jobs": jobs[0],
        "headline": {r["name"]: r.get("headlines") for r in run["reports"]},
    }


def table(results: list[dict]) -> list[str]:
    lines = [
        "### Whole monthly run (`workbench report`, every monthly notebook) at 1M / 3M / 10M members",
        "",
        "| members | rows | step | status | wall (s) | peak RSS (GiB) | rows / s | peak bytes / member |",
        "|---:|---:|---|---|---:|---:|---:|---:|",
    ]
    for r in results:
        m, rows = r["members"], r["rows"]
        if r["gen_seconds"] is not None:
            lines.append(
                f"| {m:,} | {rows:,} | demo generation (`workbench demo`) | ok | {r['gen_seconds']:.0f} | "
                f"{r['gen_peak'] / GIB:.2f} | {rows / r['gen_seconds']:,.0f} | {r['gen_peak'] / m:,.0f} |"
            )
        inputs = r["phases"].get("inputs", 0)
        if r.get("jobs", 1) > 1:
            lines.append(f"| {m:,} | {rows:,} | ({r['jobs']} notebooks at a time) | | | | | |")
        lines.append(f"| {m:,} | {rows:,} | inputs (validation, cache) | | | {inputs / GIB:.2f} | | |")
        for name, (status, sec) in r["notebooks"].items():
            peak = r["phases"].get(name, 0)
            lines.append(
                f"| {m:,} | {rows:,} | {name} | {status} | {sec:.1f} | {peak / GIB:.2f} | "
                f"{rows / sec:,.0f} | {peak / m:,.0f} |"
            )
        lines.append(
            f"| {m:,} | {rows:,} | **whole run** | {r['status']} (exit {r['rc']}) | **{r['seconds']:.1f}** | "
            f"**{r['peak'] / GIB:.2f}** | {rows / r['seconds']:,.0f} | {r['peak'] / m:,.0f} |"
        )
    loads = ", ".join(f"{r['members']:,}: {r['load'][0]:.1f} -> {r['load'][1]:.1f}" for r in results)
    lines += [
        "",
        f"{os.cpu_count()} cores, {psutil.virtual_memory().total / GIB:.0f} GiB, shared with other sessions; "
        f"1-minute load average at the start and end of each run: {loads}. Peak RSS = the largest sum of "
        "resident memory over the `workbench report` process and all its descendants (kernels), sampled every "
        "0.2 s; per step, while that notebook ran (its kernel plus the runner, and the other notebook's kernel "
        "when two ran at once: the benchmark runs `workbench report --jobs 0`, which chooses how many by cores and available memory). Wall = the report's timing of "
        "the notebook (papermill + HTML export); whole run = the process, start to exit. Demo generation is "
        "not part of the run (its time and peak as measured when it was generated). Targets: 1M whole run <= 60 s, "
        "3M peak <= 4 GiB, 10M peak <= 12 GiB. Command: `.venv/bin/python benchmarks/bench_monthly.py`.",
    ]
    return lines


def plot(results: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    rows = [r["rows"] / 1e6 for r in results]
    ax.plot(rows, [r["peak"] / GIB for r in results], "o-", label="whole run (peak of the process tree)")
    names = sorted({n for r in results for n in r["notebooks"]})
    for name in names:
        ax.plot(rows, [r["phases"].get(name, 0) / GIB for r in results], ".--", label=name)
    for r in results:
        ax.annotate(f"{r['members'] / 1e6:g}M members", (r["rows"] / 1e6, r["peak"] / GIB), fontsize=8)
    ax.axhline(12, color="grey", lw=0.8, ls=":")
    ax.set_xlabel("transaction rows (millions)")
    ax.set_ylabel("peak RSS (GiB)")
    ax.set_title("workbench report: peak memory against rows")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(PLOT, dpi=110)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, nargs="+", default=[1_000_000, 3_000_000, 10_000_000])
    args = ap.parse_args(argv)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    store = HERE / "results" / "monthly.json"
    # sizes measured by earlier invocations are kept (each size is one fresh run; --members re-measures)
    kept = {r["members"]: r for r in json.loads(store.read_text("utf-8"))} if store.is_file() else {}
    ok = True
    for members in args.members:
        result = whole_run(members, env)
        ok &= result["rc"] == 0
        kept[members] = result
        results = [kept[m] for m in sorted(kept)]
        lines = table(results)
        print("\n".join(lines), flush=True)
        RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
        store.write_text(json.dumps(results, indent=1, default=str), "utf-8")
        plot(results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
