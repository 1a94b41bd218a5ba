"""The monthly report run.

The data validated once, papermill executes each notebook, nbconvert exports code-free HTML, and the month is
published in one step.

    workbench report --month 2026-10 --params params --out reports [--only member_overview] [--wait 300]

1. ``workbench.report.params.load_plan`` reads and validates all params first (nothing runs on a bad key).
2. ``workbench.report.inputs.validate_inputs`` reads and validates the data once (any source), chooses the
   month and checks it has transactions; a problem stops the run (exit 2) before anything is written.
3. Holding ``OUT/.lock`` (a second run waits up to ``--wait`` seconds, then stops: exit 3), the validated
   frame is written once to ``OUT/.cache/<month>/transactions.parquet`` and every notebook's ``data``
   parameter points at it.
4. Each notebook runs through papermill (kernel ``python3``, cwd ``notebooks/``, a wall-time limit per
   notebook, ``MPLBACKEND`` removed from the kernel's environment; up to ``jobs`` notebooks at once, see
   ``parallel_jobs``) and is exported to HTML without code,
   prompts, stderr or warnings, images embedded, into the month's staging folder (``workbench.report.publish``),
   which starts as a copy of the published month. A success replaces ``<name>.html`` and ``<name>.ipynb``;
   a failure keeps the earlier good copy, writes ``<name>.error.txt`` (failing cell, the error without
   values of rows) beside it and the full error with the failed notebook to ``OUT/.logs/<month>/``; the
   other notebooks still run and the command exits 1.
5. ``index.html`` + ``run.json`` are written into the staging folder, which then replaces the month in one
   atomic step; ``OUT/index.html`` is rewritten.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench import files
from workbench.data import ValidatedBatches, mask_url
from workbench.errors import WorkbenchError
from workbench.notebook import HEADLINES_MIME
from workbench.report import index
from workbench.report.export import export_html
from workbench.report.failure import describe_failure, error_text, published_failure
from workbench.report.inputs import RunInputs, validate_inputs, write_cache
from workbench.report.kernel import KernelPool
from workbench.report.params import NotebookRun, RunPlan, load_plan
from workbench.report.publish import LOGS_DIR, MonthBuild, OutputBusyError, output_lock, remove_stale

#: Kernel environment variables removed for the run: an inherited ``MPLBACKEND=Agg`` makes the kernel
#: draw into a non-interactive backend, and every figure silently disappears from the report.
DROPPED_ENV = ("MPLBACKEND",)
KERNEL_ENV = {
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",  # no debugger "frozen modules" warning on the terminal
    "PYTHONHASHSEED": "0",  # hash order reproducible between runs
    "JUPYTER_PLATFORM_DIRS": "1",  # no jupyter_core path-migration warning
}
DEFAULT_WAIT = 300
"""Seconds a run waits for another run into the same output folder before it stops (``--wait``)."""
KERNEL_BYTES_PER_ROW = 400
"""A notebook kernel's peak memory per transaction row, rounded up from ``benchmarks/bench_monthly.py`` (1M-member
demo: 9.1M rows, the largest kernel ~3.3 GiB): how ``parallel_jobs`` judges whether two kernels fit at once."""


@dataclass
class NotebookResult:
    """What happened to one notebook in one run (one row of the month's index and ``run.json``)."""

    name: str
    status: str  # "ok" | "failed"
    started_at: str
    seconds: float
    parameters: dict[str, Any]
    params_file: str | None
    headlines: dict[str, str] = field(default_factory=dict)
    error: dict[str, Any] | None = None  # as published: without values of rows (workbench.report.failure)
    console: str = ""  # the whole first line of the error, for the analyst's terminal only

    @property
    def ok(self) -> bool:
        """Whether the notebook ran and was exported."""
        return self.status == "ok"


@dataclass
class ReportResult:
    """The outcome of a monthly run: the month, its folder and each notebook's result."""

    month: str
    month_dir: Path
    results: list[NotebookResult]

    @property
    def ok(self) -> bool:
        """Whether every notebook of the run succeeded."""
        return all(r.ok for r in self.results)


# --------------------------------------------------------------------------------------------- helpers
def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


_PRINTING = threading.Lock()


def _progress(line: str) -> None:
    """One progress line on stdout, whole (``print`` writes text and newline apart: side-by-side notebooks' lines mixed)."""
    with _PRINTING:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


@contextlib.contextmanager
def kernel_environment() -> Iterator[None]:
    """Environment the kernels inherit for the duration of the run (restored afterwards)."""
    saved = {k: os.environ.get(k) for k in (*DROPPED_ENV, *KERNEL_ENV)}
    try:
        for key in DROPPED_ENV:
            os.environ.pop(key, None)
        for key, value in KERNEL_ENV.items():
            os.environ.setdefault(key, value)
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def headlines_of(nb: dict) -> dict[str, str]:
    """Headline figures a notebook emitted with ``workbench.notebook.headlines`` (later calls win)."""
    found: dict[str, str] = {}
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            data = out.get("data", {}) if out.get("output_type") in ("display_data", "execute_result") else {}
            value = data.get(HEADLINES_MIME)
            if isinstance(value, str):  # some writers keep JSON MIME data as text
                value = json.loads(value)
            if isinstance(value, dict):
                # the .ipynb stores JSON with sorted keys: the label order travels in the output metadata
                order = out.get("metadata", {}).get(HEADLINES_MIME, {}).get("order") or []
                labels = [k for k in order if k in value] + [k for k in value if k not in order]
                found.update({str(k): str(value[k]) for k in labels})
    return found


# ---------------------------------------------------------------------------------------------- runner
def available_memory() -> int:
    """Bytes of memory available to new processes (``MemAvailable``: free plus reclaimable cache)."""
    import psutil

    return int(psutil.virtual_memory().available)


def parallel_jobs(requested: int, n_notebooks: int, rows: int, *, memory: int | None = None) -> int:
    """How many notebooks run at once.

    Parameters
    ----------
    requested : int
        ``report.yaml``'s ``jobs`` or ``--jobs``: that many (at most one per notebook); 0 chooses: one per
        CPU core, as many as fit in 60% of the available memory at ``KERNEL_BYTES_PER_ROW`` per row each.
    n_notebooks : int
        Notebooks in the run.
    rows : int
        Transaction rows of the run's log.
    memory : int, optional
        Available bytes (default ``available_memory()``).

    Returns
    -------
    int
        At least 1. A large brand's log runs one notebook at a time (its peak memory is one kernel's).
    """
    if requested:
        return max(1, min(requested, n_notebooks))
    per_kernel = rows * KERNEL_BYTES_PER_ROW + 2**29  # half a GiB: the kernel with its imports
    fit = int(0.6 * (available_memory() if memory is None else memory)) // per_kernel
    return max(1, min(os.cpu_count() or 1, n_notebooks, fit))


def _release_memory() -> None:
    """Give the validated log's memory back to the system.

    Arrow's allocator keeps freed pages otherwise: ~0.6 GiB at 1M members, held by this process while every
    kernel runs.
    """
    import gc

    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()


@contextlib.contextmanager
def _working_dir(path: Path) -> Iterator[None]:
    """The process's working directory for the run's kernels.

    Set once for the month: papermill's own ``cwd`` switches it per notebook, which concurrent notebooks would
    undo for each other.
    """
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def execute(run: NotebookRun, output: Path, *, cwd: Path | None = None, km=None) -> None:
    """Run one notebook with papermill; raises on a failing cell or when the wall-time limit passes.

    ``cwd``: the kernel's working directory (None: this process's, as ``_run_month`` sets it). ``km``: a
    started kernel (``KernelPool.take``), shut down afterwards; None: papermill starts one.
    """
    import papermill

    from workbench.report.kernel import KERNEL_ARGUMENTS, RunKernelManager

    deadline = time.monotonic() + run.timeout

    def remaining(_cell) -> int:  # nbclient asks before each cell: the notebook's limit is wall time
        return max(1, math.ceil(deadline - time.monotonic()))

    options = {} if km is None else {"km": km}
    try:
        papermill.execute_notebook(
            str(run.path),
            str(output),
            parameters=dict(run.parameters),
            kernel_name="python3",
            kernel_manager_class=RunKernelManager,  # Unix sockets, no TCP port to race for
            cwd=None if cwd is None else str(cwd),
            progress_bar=False,
            log_output=False,
            start_timeout=min(120, run.timeout),
            timeout_func=remaining,
            # ipykernel's own log goes to this terminal: its start-up warnings, and the "KeyboardInterrupt
            # caught in kernel" it logs as an ERROR when jupyter_client interrupts an idle kernel before shutting
            # it down (every notebook's end): neither is news to the analyst, and what fails in a notebook is in
            # its outputs (error.txt)
            extra_arguments=KERNEL_ARGUMENTS,
            **options,
        )
    finally:
        if km is not None:
            km.shutdown_kernel(now=True)


def run_report(
    plan: RunPlan,
    out: str | Path,
    *,
    log: Callable[[str], None] = _progress,
    wait: float = DEFAULT_WAIT,
    jobs: int | None = None,
) -> ReportResult:
    """Validate the data once, then execute, export and publish every notebook of ``plan`` for the month.

    Parameters
    ----------
    plan : RunPlan
        From ``load_plan``.
    out : str or Path
        The output folder (``OUT/<month>/index.html`` is the month's page).
    log : callable
        Progress lines (default: printed).
    wait : float
        Seconds to wait for another run holding the output folder.
    jobs : int, optional
        Notebooks run at once (``--jobs``; default ``report.yaml``'s ``jobs``; 0 chooses, see ``parallel_jobs``).

    Returns
    -------
    ReportResult
        The month, where it is published, and one ``NotebookResult`` per notebook.

    Raises
    ------
    WorkbenchError
        Bad data or a month without data (``DataValidationError``, ``InputError``, ``ParamsError``), or
        ``OutputBusyError``: raised before anything was run or written.
    """
    import papermill  # noqa: F401  (imported once, before the first notebook's clock starts)

    out = Path(out).resolve()
    started = _now()
    t_run = time.perf_counter()
    wanted = plan.config.jobs if jobs is None else jobs
    # kernels start and import while the log is validated (see report.kernel.KernelPool)
    env = {**KERNEL_ENV, **{k: v for k, v in os.environ.items() if k not in DROPPED_ENV}}
    size = wanted or min(os.cpu_count() or 1, len(plan.notebooks))
    with KernelPool(size, len(plan.notebooks), cwd=str(plan.notebooks_dir), env=env) as pool:
        inputs, frame = validate_inputs(plan)
        if frame is None:
            log(f"workbench report: the engine's result files (no log); month {inputs.month}")
        else:
            log(
                f"workbench report: data.transactions {mask_url(plan.common.data.transactions)}: "
                f"{inputs.rows:,} rows validated; month {inputs.month}"
            )
        # batches validated into a scratch folder (a large Parquet log): removed whatever happens
        close = frame.close if isinstance(frame, ValidatedBatches) else None
        try:
            with output_lock(out, wait=wait, log=log):
                removed = remove_stale(out)
                if removed:
                    log(f"workbench report: removed what earlier runs left in {out}: {', '.join(removed)}")
                cache = write_cache(frame, out, inputs.month) if frame is not None else None
                del frame  # the notebooks read the copy; the log does not stay in this process's memory
                _release_memory()
                try:
                    n_jobs = parallel_jobs(wanted, len(plan.notebooks), inputs.rows)
                    # one at a time (a large log): no idle kernel waiting beside the running one's memory
                    pool.resize(n_jobs, ahead=n_jobs > 1)
                    report = _run_month(
                        plan.prepared(inputs.month, cache),
                        out,
                        inputs,
                        log,
                        started,
                        t_run,
                        jobs=n_jobs,
                        pool=pool,
                    )
                finally:
                    if cache is not None:
                        shutil.rmtree(cache.parent, ignore_errors=True)
                        with contextlib.suppress(OSError):
                            cache.parent.parent.rmdir()  # OUT/.cache, when no other month's copy is in it
                index.write_months(out, plan.language)
        finally:
            if close is not None:
                close()
    failed = [r.name for r in report.results if not r.ok]
    n = len(report.results)
    log(
        f"workbench report {report.month}: {n - len(failed)} ok, {len(failed)} failed"
        + (f" ({', '.join(failed)})" if failed else "")
        + f" in {time.perf_counter() - t_run:.1f} s -> {report.month_dir / 'index.html'}"
    )
    return report


def _run_month(
    plan: RunPlan,
    out: Path,
    inputs: RunInputs,
    log: Callable[[str], None],
    started: str,
    t_run: float,
    *,
    jobs: int = 1,
    pool: KernelPool | None = None,
) -> ReportResult:
    """Build the month in its staging folder and publish it (the staging folder goes if this fails).

    ``jobs`` notebooks run at once (threads, each driving its own kernel, from ``pool`` when given); results
    keep the plan's order.
    """
    from workbench.i18n import t

    build = MonthBuild(out, plan.month).start()
    n = len(plan.notebooks)
    at_once = f", {jobs} at a time" if jobs > 1 else ""
    log(f"workbench report {plan.month}: {n} notebook(s) -> {build.link}{at_once}")
    footer = t("report.footer", plan.language, fingerprint=inputs.fingerprint["sha256"][:16])

    def one(i: int, run: NotebookRun) -> NotebookResult:
        log(f"[{i}/{n}] {run.name}: running (limit {run.timeout} s)")
        km = None if pool is None else pool.take()
        result = _run_one(plan, run, build, title=index.title(run.name, plan.language), footer=footer, km=km)
        detail = ""
        if not result.ok:
            detail = f": {result.console[:300]}"
            if result.error.get("cell_index") is not None:
                detail += f" (cell {result.error['cell_index']})"
            detail += f"; full error in {build.logs / f'{run.name}.error.txt'}"
        status = "OK" if result.ok else "FAILED"
        log(f"[{i}/{n}] {run.name}: {status} in {result.seconds:.1f} s{detail}")
        return result

    try:
        with kernel_environment(), _working_dir(plan.notebooks_dir):
            if jobs > 1:
                with ThreadPoolExecutor(jobs, thread_name_prefix="notebook") as threads:
                    futures = [threads.submit(one, i, run) for i, run in enumerate(plan.notebooks, 1)]
                    results = [f.result() for f in futures]
            else:
                results = [one(i, run) for i, run in enumerate(plan.notebooks, 1)]
        index.write_month(
            plan, build.staging, results, inputs, started=started, seconds=time.perf_counter() - t_run
        )
        build.publish()
    except BaseException:
        build.discard()
        raise
    return ReportResult(plan.month, build.link, results)


def _run_one(
    plan: RunPlan, run: NotebookRun, build: MonthBuild, *, title: str, footer: str, km=None
) -> NotebookResult:
    from workbench.i18n import month_label

    executed = build.work / f"{run.name}.ipynb"
    html = build.work / f"{run.name}.html"
    started = _now()
    t0 = time.perf_counter()
    params_file = str(run.params_file.relative_to(plan.root)) if run.params_file else None
    result = NotebookResult(run.name, "ok", started, 0.0, dict(run.parameters), params_file)
    try:
        execute(run, executed, km=km)
        nb = json.loads(executed.read_text(encoding="utf-8"))
        result.headlines = headlines_of(nb)
        # papermill recorded the staging path, which is about to disappear: record where it is published
        nb.setdefault("metadata", {}).setdefault("papermill", {})["output_path"] = str(
            build.link / executed.name
        )
        executed.write_text(
            json.dumps(nb, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8"
        )
        language = str(run.parameters.get("language", plan.language))
        export_html(
            executed,
            html,
            language=language,
            title=title,
            subtitle=month_label(plan.month, language),
            footer=footer,
        )
    except Exception as exc:  # any failure of this notebook is recorded; the others still run
        result.status = "failed"
        info = describe_failure(exc, executed)
        result.console = mask_url(info["error"].splitlines()[0] if info["error"] else "")
        result.error = published_failure(info)
        # the analyst's copy (values of rows, traceback, the failed notebook) stays outside the month
        files.write_text(
            build.logs / f"{run.name}.error.txt", error_text(run.name, run.path, plan.month, info)
        )
        if executed.is_file():
            os.replace(executed, build.logs / f"{run.name}.failed.ipynb")
        full = f"{LOGS_DIR}/{plan.month}/{run.name}.error.txt in the output folder"
        files.write_text(
            build.staging / f"{run.name}.error.txt",
            error_text(run.name, run.path, plan.month, result.error, full=full),
        )
    result.seconds = round(time.perf_counter() - t0, 1)
    if result.ok:
        os.replace(html, build.staging / f"{run.name}.html")
        os.replace(executed, build.staging / f"{run.name}.ipynb")
        (build.staging / f"{run.name}.error.txt").unlink(missing_ok=True)
    return result


def report_cli(args) -> int:
    """``workbench report``.

    Exit 0 when every notebook succeeded, 1 when one failed, 2 on bad params or data (nothing run), 3 when
    another run holds the output folder (nothing run).

    Parameters
    ----------
    args : argparse.Namespace
        ``params``, ``out``, ``month``, ``only`` and optionally ``wait`` (seconds) and ``jobs``.

    Returns
    -------
    int
        The exit code.
    """
    unchanged = "workbench report: nothing was run; the published reports are unchanged"
    try:
        plan = load_plan(args.params, month=args.month, only=args.only)
        wait = getattr(args, "wait", None)
        report = run_report(
            plan, args.out, wait=DEFAULT_WAIT if wait is None else wait, jobs=getattr(args, "jobs", None)
        )
    except OutputBusyError as exc:
        print(f"workbench report: {exc}", file=sys.stderr)
        return 3
    except WorkbenchError as exc:  # bad params, bad data, a source that cannot be read, no data that month
        print(f"workbench report: {mask_url(str(exc))}", file=sys.stderr)
        print(unchanged, file=sys.stderr)
        return 2
    except OSError as exc:  # the output folder cannot be written (permissions, a full disk)
        print(f"workbench report: {mask_url(str(exc))}", file=sys.stderr)
        print(unchanged, file=sys.stderr)
        return 2
    return 0 if report.ok else 1
