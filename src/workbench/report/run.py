"""The monthly report run: papermill executes each notebook, nbconvert exports code-free HTML, and only
what succeeded is published into ``OUT/YYYY-MM/``.

    workbench report --month 2026-10 --params params --out reports [--only member_overview]

1. ``workbench.report.params.load_plan`` reads and validates all params first (nothing runs on a bad key).
2. Each notebook runs in this one Python process through papermill (kernel ``python3``, cwd ``notebooks/``,
   a wall-time limit per notebook, ``MPLBACKEND`` removed from the kernel's environment) into a staging
   folder ``OUT/.staging-<month>-<pid>/``, then is exported to HTML without code, prompts, stderr or
   warnings, images embedded.
3. A success replaces ``OUT/YYYY-MM/<name>.html`` and ``<name>.ipynb`` by atomic renames. A failure
   leaves any earlier good copy untouched and is kept beside it as ``<name>.failed.ipynb`` and
   ``<name>.error.txt`` (failing cell, source excerpt, error); the other notebooks still run and the
   command exits 1.
4. ``OUT/YYYY-MM/index.html`` + ``run.json`` and ``OUT/index.html`` are rewritten (``workbench.report.index``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench import files
from workbench.notebook import HEADLINES_MIME
from workbench.report import index
from workbench.report.export import export_html
from workbench.report.fingerprint import fingerprint_inputs
from workbench.report.params import NotebookRun, ParamsError, RunPlan, load_plan

#: Kernel environment variables removed for the run: an inherited ``MPLBACKEND=Agg`` makes the kernel
#: draw into a non-interactive backend, and every figure silently disappears from the report.
DROPPED_ENV = ("MPLBACKEND",)
KERNEL_ENV = {
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",  # no debugger "frozen modules" warning on the terminal
    "PYTHONHASHSEED": "0",  # hash order reproducible between runs
    "JUPYTER_PLATFORM_DIRS": "1",  # no jupyter_core path-migration warning
}
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


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
    error: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class ReportResult:
    month: str
    month_dir: Path
    results: list[NotebookResult]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)


# --------------------------------------------------------------------------------------------- helpers
def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _progress(line: str) -> None:
    print(line, flush=True)


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


def describe_failure(exc: BaseException, executed: Path) -> dict[str, Any]:
    """The failing cell (index in the source notebook, execution count, source excerpt) and the error."""
    info: dict[str, Any] = {"error": f"{type(exc).__name__}: {_ANSI.sub('', str(exc)).strip()}"}
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if ename:
        info["error"] = f"{ename}: {evalue}"
    if isinstance(exc, TimeoutError) or "timed out" in str(exc).lower():
        info["error"] = "Timeout: " + info["error"]
    nb = None
    if executed.is_file():
        with contextlib.suppress(ValueError, OSError):
            nb = json.loads(executed.read_text(encoding="utf-8"))
    if nb:
        cells = nb.get("cells", [])
        injected = 0
        for i, cell in enumerate(cells):
            tags = cell.get("metadata", {}).get("tags", [])
            if "injected-parameters" in tags or "papermill-error-cell-tag" in tags:
                injected += 1
                continue
            status = cell.get("metadata", {}).get("papermill", {}).get("status")
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            if errors or status in ("failed", "running"):
                source = cell.get("source", "")
                source = "".join(source) if isinstance(source, list) else source
                info["cell_index"] = i - injected
                info["execution_count"] = cell.get("execution_count")
                info["source"] = "\n".join(source.splitlines()[:20])
                if errors:
                    info["traceback"] = _ANSI.sub("", "\n".join(errors[0].get("traceback", [])))
                break
    return info


def _error_text(run: NotebookRun, month: str, info: dict[str, Any]) -> str:
    where = "unknown (no cell was running)"
    if "cell_index" in info:
        where = f"code cell at index {info['cell_index']} of {run.path.name} (execution count {info['execution_count']})"
    lines = [
        f"notebook: {run.name} ({run.path})",
        f"month:    {month}",
        f"failed:   {where}",
        f"error:    {info['error']}",
    ]
    if info.get("source"):
        lines += ["", "source of the failing cell:", *("    " + s for s in info["source"].splitlines())]
    if info.get("traceback"):
        lines += ["", "traceback:", info["traceback"]]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------- runner
def execute(run: NotebookRun, output: Path, *, cwd: Path) -> None:
    """Run one notebook with papermill; raises on a failing cell or when the wall-time limit passes."""
    import papermill

    deadline = time.monotonic() + run.timeout

    def remaining(_cell) -> int:  # nbclient asks before each cell: the notebook's limit is wall time
        return max(1, math.ceil(deadline - time.monotonic()))

    papermill.execute_notebook(
        str(run.path),
        str(output),
        parameters=dict(run.parameters),
        kernel_name="python3",
        cwd=str(cwd),
        progress_bar=False,
        log_output=False,
        start_timeout=min(120, run.timeout),
        timeout_func=remaining,
        # ipykernel's start-up warnings (e.g. "running over TCP without encryption") go to this terminal
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
    )


def run_report(plan: RunPlan, out: str | Path, *, log: Callable[[str], None] = _progress) -> ReportResult:
    """Execute, export and publish every notebook of ``plan``; then rewrite the indexes."""
    import papermill  # noqa: F401  (imported once, before the first notebook's clock starts)

    from workbench.i18n import t

    out = Path(out).resolve()
    month_dir = out / plan.month
    staging = out / f".staging-{plan.month}-{os.getpid()}"
    started = _now()
    t_run = time.perf_counter()
    n = len(plan.notebooks)
    log(f"workbench report {plan.month}: {n} notebook(s) -> {month_dir}")
    inputs = fingerprint_inputs(plan)
    footer = t("report.footer", plan.language, fingerprint=inputs["sha256"][:16])
    results: list[NotebookResult] = []
    try:
        staging.mkdir(parents=True, exist_ok=True)
        month_dir.mkdir(parents=True, exist_ok=True)
        with kernel_environment():
            for i, run in enumerate(plan.notebooks, 1):
                log(f"[{i}/{n}] {run.name}: running (limit {run.timeout} s)")
                result = _run_one(
                    plan,
                    run,
                    staging,
                    month_dir,
                    title=index.title(run.name, plan.language),
                    footer=footer,
                )
                results.append(result)
                status = "OK" if result.ok else "FAILED"
                first_line = "" if result.ok else (result.error["error"].splitlines() or [""])[0][:200]
                detail = "" if result.ok else f": {first_line}"
                if not result.ok and result.error.get("cell_index") is not None:
                    detail += f" (cell {result.error['cell_index']}; see {run.name}.error.txt)"
                log(f"[{i}/{n}] {run.name}: {status} in {result.seconds:.1f} s{detail}")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    report = ReportResult(plan.month, month_dir, results)
    index.write_month(plan, month_dir, results, inputs, started=started, seconds=time.perf_counter() - t_run)
    index.write_months(out, plan.language)
    failed = [r.name for r in results if not r.ok]
    log(
        f"workbench report {plan.month}: {n - len(failed)} ok, {len(failed)} failed"
        + (f" ({', '.join(failed)})" if failed else "")
        + f" in {time.perf_counter() - t_run:.1f} s -> {month_dir / 'index.html'}"
    )
    return report


def _run_one(
    plan: RunPlan, run: NotebookRun, staging: Path, month_dir: Path, *, title: str, footer: str
) -> NotebookResult:
    from workbench.i18n import month_label

    executed = staging / f"{run.name}.ipynb"
    html = staging / f"{run.name}.html"
    started = _now()
    t0 = time.perf_counter()
    params_file = str(run.params_file.relative_to(plan.root)) if run.params_file else None
    result = NotebookResult(run.name, "ok", started, 0.0, dict(run.parameters), params_file)
    try:
        execute(run, executed, cwd=plan.notebooks_dir)
        nb = json.loads(executed.read_text(encoding="utf-8"))
        result.headlines = headlines_of(nb)
        # papermill recorded the staging path, which is about to disappear: record where it is published
        nb.setdefault("metadata", {}).setdefault("papermill", {})["output_path"] = str(
            month_dir / executed.name
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
        result.error = describe_failure(exc, executed)
    result.seconds = round(time.perf_counter() - t0, 1)
    if result.ok:
        os.replace(html, month_dir / f"{run.name}.html")
        os.replace(executed, month_dir / f"{run.name}.ipynb")
        for stale in (f"{run.name}.failed.ipynb", f"{run.name}.error.txt"):
            (month_dir / stale).unlink(missing_ok=True)
    else:
        if executed.is_file():
            os.replace(executed, month_dir / f"{run.name}.failed.ipynb")
        else:
            (month_dir / f"{run.name}.failed.ipynb").unlink(missing_ok=True)
        files.write_text(month_dir / f"{run.name}.error.txt", _error_text(run, plan.month, result.error))
    return result


def report_cli(args) -> int:
    """``workbench report``: exit 0 when every notebook succeeded, 1 when one failed, 2 on bad params."""
    from workbench.data import DataValidationError

    try:
        plan = load_plan(args.params, month=args.month, only=args.only)
    except (ParamsError, DataValidationError) as exc:  # bad data found while choosing the month
        print(f"workbench report: {exc}", file=sys.stderr)
        print("workbench report: nothing was run; the published reports are unchanged", file=sys.stderr)
        return 2
    return 0 if run_report(plan, args.out).ok else 1
