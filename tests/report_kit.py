"""Shared by the browser and safety tests: a demo monthly run in a temp folder, and a checked browser page.

* ``write_demo(data_dir, members, mutate=...)``: the deterministic demo brand as parquet (optionally altered
  by ``mutate(DemoData)`` first, e.g. to inject markup into store or arm names).
* ``write_params(params_dir, data_dir, language)``: a copy of the project's ``params/`` pointing at that data
  and the project's notebooks, in ``language``.
* ``run_report(params_dir, out_dir)``: the real ``workbench report`` command (as ``make report`` runs it).
* ``make_project(root, rng)`` / ``run_project(root)``: a throwaway project running the tiny fixture notebooks
  (tests/report/fixtures/notebooks) through ``report_cli``; ``write_counts``, ``expected_figures``.
* ``bare_dollars(month_dir)``: notebook outputs JupyterLab's MathJax could typeset (none may be found);
* ``open_browser()`` / ``PageCheck``: headless Debian Chromium with networking off; every request that is not
  ``file:``/``data:`` is aborted and recorded, as are failed requests, console messages, page errors and
  dialogs (``alert``).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # networking off: no host name resolves, whatever asks; loopback stays (the JupyterLab test's own
    # server); report pages are also routed, every request that is not file: or data: aborted
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
XSS = "<script>alert(1)</script>"


def write_demo(data_dir: Path, members: int = 4000, *, seed: int = 42, mutate=None):
    from workbench.data import generate_demo

    demo = generate_demo(members, seed=seed)
    if mutate is not None:
        mutate(demo)
    demo.write(data_dir)
    return demo


def report_notebooks() -> list[dict]:
    """The notebooks ``make report`` runs (params/report.yaml); every notebooks/*.ipynb if none listed yet."""
    listed = (yaml.safe_load((REPO / "params" / "report.yaml").read_text(encoding="utf-8")) or {}).get(
        "notebooks"
    )
    if listed:
        # every page is checked, also those the monthly run leaves out (default: false, e.g. campaign_design)
        return [{k: v for k, v in item.items() if k != "default"} for item in listed]
    return [{"name": p.stem, "timeout": 600} for p in sorted((REPO / "notebooks").glob("*.ipynb"))]


# Cheaper settings for the browser checks (the pages, not the statistics, are under test): applied only to
# keys the project's params files have, so a renamed key is simply left alone.
SMALL_SETTINGS = {
    "clv": {"compare_models": ["bgnbd"]},
    "campaign_ab": {"resamples": 1000, "policy_resamples": 200},
}


def write_params(
    params_dir: Path,
    data_dir: Path,
    language: str,
    *,
    currency: str = "TWD",
    notebooks: list[dict] | None = None,
    small: bool = True,
) -> Path:
    params_dir.mkdir(parents=True, exist_ok=True)
    for src in (REPO / "params").glob("*.yaml"):
        shutil.copy(src, params_dir / src.name)
    for name, settings in SMALL_SETTINGS.items() if small else ():
        path = params_dir / f"{name}.yaml"
        if path.is_file():
            values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            values.update({k: v for k, v in settings.items() if k in values})
            path.write_text(yaml.safe_dump(values, allow_unicode=True, sort_keys=False), encoding="utf-8")
    common = yaml.safe_load((params_dir / "common.yaml").read_text(encoding="utf-8"))
    for key in ("transactions", "members", "campaign", "truth"):
        if common["data"].get(key):
            common["data"][key] = str((data_dir / Path(common["data"][key]).name).resolve())
    common["language"] = language
    common["data"]["currency"] = currency
    (params_dir / "common.yaml").write_text(yaml.safe_dump(common, allow_unicode=True), encoding="utf-8")
    report = yaml.safe_load((params_dir / "report.yaml").read_text(encoding="utf-8")) or {}
    report["notebooks_dir"] = str(REPO / "notebooks")
    report["notebooks"] = notebooks if notebooks is not None else report_notebooks()
    (params_dir / "report.yaml").write_text(yaml.safe_dump(report, allow_unicode=True), encoding="utf-8")
    return params_dir


def run_report(params_dir: Path, out_dir: Path, *, month: str | None = None) -> subprocess.CompletedProcess:
    """``workbench report`` in a subprocess (the command ``make report`` runs), output captured."""
    cmd = report_command(params_dir, out_dir) + (["--month", month] if month else [])
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=1200)


def report_command(params_dir: Path, out_dir: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "workbench.cli",
        "report",
        "--params",
        str(params_dir),
        "--out",
        str(out_dir),
    ]


IMG_XSS = "<img src=x onerror=alert(2)>"
POISONED_ARM = "vip_gift"


def poison(demo) -> None:
    """Markup in data text: two store names (transactions and members) and a campaign arm (table, truth)."""
    tx = demo.transactions
    stores = list(tx["store"].cat.categories)
    renamed = {stores[0]: XSS, stores[1]: IMG_XSS}
    tx["store"] = tx["store"].cat.rename_categories(renamed)
    if "home_store" in demo.members:
        demo.members["home_store"] = demo.members["home_store"].cat.rename_categories(renamed)
    campaign = demo.campaign
    if POISONED_ARM in list(campaign["arm"].cat.categories):
        campaign["arm"] = campaign["arm"].cat.rename_categories({POISONED_ARM: XSS})
        demo.truth.update(_swap(dict(demo.truth)))


def _swap(value):
    """``value`` with every key and value equal to the poisoned arm's name replaced by the markup."""
    if isinstance(value, dict):
        return {(XSS if k == POISONED_ARM else k): _swap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_swap(v) for v in value]
    return XSS if value == POISONED_ARM else value


#: tier names a brand could write that Markdown or MathJax would turn into a link, emphasis or maths
POISONED_TIERS = {"銀卡": "**銀卡** $x$ _VIP_", "金卡": "[金卡](javascript:alert(1))"}


def poison_params(params_dir: Path) -> None:
    """Notebook params that name the renamed arm name the new one (the campaign analysis' arms and costs); the
    campaign design's arms are new names (they name its files), so markup goes into an offer's text instead;
    the tier programme's Silver and Gold renamed to Markdown and maths (``POISONED_TIERS``)."""
    for path in params_dir.glob("*.yaml"):
        values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if path.name == "campaign_design.yaml" and "design" in values:
            values["design"]["arms"][-1]["offer"] = XSS
            swapped = values
        else:
            swapped = _swap(values)
        if isinstance(swapped.get("program"), dict):
            for tier in swapped["program"].get("tiers", []):
                tier["name"] = POISONED_TIERS.get(tier["name"], tier["name"])
        if isinstance(swapped.get("target_shares"), dict):
            swapped["target_shares"] = {
                POISONED_TIERS.get(k, k): v for k, v in swapped["target_shares"].items()
            }
        path.write_text(yaml.safe_dump(swapped, allow_unicode=True, sort_keys=False), encoding="utf-8")


@dataclass
class DemoRun:
    """A finished ``workbench report`` run: where it published, its run.json, its input data."""

    kind: str
    language: str
    currency: str
    out: Path
    month_dir: Path | None
    run: dict
    data_dir: Path
    demo: object
    log: str
    returncode: int

    def report_html(self, name: str) -> Path:
        return self.month_dir / f"{name}.html"


class BackgroundRuns:
    """The monthly runs the collected tests need, started together in the background (each is one
    sequential ``workbench report`` process; two cores run two of them at once) and awaited on first use.

    kinds: ``zh-TW`` (NT$) and ``en`` (amounts as HK$, the Hong Kong case) on the clean demo (DEMO_MEMBERS),
    ``poisoned`` (zh-TW, markup in names); ``running-zh-TW`` / ``running-en``: the campaign report alone for
    RUNNING_MONTH, inside the demo campaign's window (look 1 of 2), on the same clean demo."""

    CURRENCY = {"zh-TW": "TWD", "en": "HKD", "poisoned": "TWD", "running-zh-TW": "TWD", "running-en": "HKD"}
    RUNNING_MONTH = "2026-09"

    DEMO_MEMBERS = 4000
    POISONED_MEMBERS = 3000

    def __init__(self, root: Path):
        self.root = root
        self.started: dict[str, tuple] = {}
        self.done: dict[str, DemoRun] = {}
        self._clean = None

    def start(self, kind: str) -> None:
        if kind in self.started:
            return
        if kind == "poisoned":
            data_dir = self.root / "data-poisoned"
            demo = write_demo(data_dir, self.POISONED_MEMBERS, mutate=poison)
            language = "zh-TW"
        else:
            data_dir = self.root / "data"
            if self._clean is None:
                self._clean = write_demo(data_dir, self.DEMO_MEMBERS)
            demo, language = self._clean, kind.removeprefix("running-")
        params = write_params(self.root / f"params-{kind}", data_dir, language, currency=self.CURRENCY[kind])
        if kind == "poisoned":
            poison_params(params)
            # member-level files are written, to a folder outside the published reports
            common = yaml.safe_load((params / "common.yaml").read_text(encoding="utf-8"))
            common["audience_dir"] = str(self.root / "audience-poisoned")
            (params / "common.yaml").write_text(yaml.safe_dump(common, allow_unicode=True), encoding="utf-8")
        out = self.root / f"reports-{kind}"
        log = (self.root / f"{kind}.log").open("w", encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
        command = report_command(params, out)
        if kind.startswith("running-"):
            command += ["--month", self.RUNNING_MONTH, "--only", "campaign_ab"]
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO, text=True)
        self.started[kind] = (proc, log, out, data_dir, demo, language)

    def result(self, kind: str, timeout: float = 1200) -> DemoRun:
        if kind not in self.done:
            self.start(kind)
            proc, log, out, data_dir, demo, language = self.started[kind]
            returncode = proc.wait(timeout=timeout)
            log.close()
            text = (self.root / f"{kind}.log").read_text(encoding="utf-8")
            months = month_dirs(out) if out.is_dir() else []
            run = read_run(months[-1]) if months and (months[-1] / "run.json").is_file() else {}
            self.done[kind] = DemoRun(
                kind,
                language,
                self.CURRENCY[kind],
                out,
                months[-1] if months else None,
                run,
                data_dir,
                demo,
                text,
                returncode,
            )
        return self.done[kind]

    def stop(self) -> None:
        for proc, log, *_ in self.started.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            log.close()


_RUNS: BackgroundRuns | None = None


def background_runs(request, tmp_path_factory) -> BackgroundRuns:
    """The session's runs; on first call, starts every run some collected test needs (fixtures
    ``demo_run`` -> zh-TW and en, ``poisoned_run`` -> poisoned, ``running_run`` -> running-zh-TW and -en)."""
    global _RUNS
    if _RUNS is None:
        _RUNS = BackgroundRuns(tmp_path_factory.mktemp("report-runs"))
        request.session.config.add_cleanup(_RUNS.stop)
        kinds = []
        for item in request.session.items:
            names = getattr(item, "fixturenames", ())
            if "demo_run" in names:
                callspec = getattr(item, "callspec", None)
                kinds += (
                    [callspec.params["demo_run"]]
                    if callspec and "demo_run" in callspec.params
                    else ["zh-TW", "en"]
                )
            if "poisoned_run" in names:
                kinds.append("poisoned")
            if "running_run" in names:
                callspec = getattr(item, "callspec", None)
                languages = (
                    [callspec.params["running_run"]]
                    if callspec and "running_run" in callspec.params
                    else ["zh-TW", "en"]
                )
                kinds += [f"running-{lang}" for lang in languages]
        for kind in dict.fromkeys(kinds):
            _RUNS.start(kind)
    return _RUNS


def month_dirs(out_dir: Path) -> list[Path]:
    return sorted(p for p in out_dir.iterdir() if p.is_dir() and not p.name.startswith("."))


def read_run(month_dir: Path) -> dict:
    return json.loads((month_dir / "run.json").read_text(encoding="utf-8"))


def bare_dollars(month_dir: Path) -> dict[str, list[str]]:
    """Outputs of the executed notebooks that JupyterLab's MathJax could typeset: any Markdown output, and
    any HTML output holding two bare "$" (``NT$1 – NT$2`` reads as maths) or not wrapped as inert."""
    import nbformat

    from workbench.text import INERT_CLASSES

    found: dict[str, list[str]] = {}
    for nb_path in sorted(month_dir.glob("*.ipynb")):
        nb = nbformat.read(nb_path, as_version=4)
        for i, cell in enumerate(nb.cells):
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                if "text/markdown" in data:
                    found.setdefault(nb_path.stem, []).append(f"cell {i}: a Markdown output")
                value = data.get("text/html", "")
                value = "".join(value) if isinstance(value, list) else value
                if value and (value.count("$") >= 2 or INERT_CLASSES not in value):
                    found.setdefault(nb_path.stem, []).append(f"cell {i}: {value[:80]!r}")
    return found


def report_pages(out_dir: Path) -> list[Path]:
    """Every published HTML page of a run: the months index, each month's index and each report (through
    the month links ``OUT/<month>``, as a reader opens them)."""
    pages = [out_dir / "index.html"] if (out_dir / "index.html").is_file() else []
    for month in month_dirs(out_dir):
        pages += sorted(month.glob("*.html"))
    return pages


# ---------------------------------------------------------------------------------- fixture-notebook project
FIXTURE_NOTEBOOKS = REPO / "tests" / "report" / "fixtures" / "notebooks"
PROJECT_MONTH = "2026-10"


def make_project(
    root: Path, rng: np.random.Generator, *, counts: dict | None = None, timeout: int = 120
) -> Path:
    """A throwaway project: params/, notebooks/ (the fixtures), data/tx.csv with random transactions."""
    (root / "params").mkdir(parents=True)
    (root / "notebooks").mkdir()
    (root / "data").mkdir()
    for nb in FIXTURE_NOTEBOOKS.glob("*.ipynb"):
        shutil.copy(nb, root / "notebooks" / nb.name)
    n = 300
    days = rng.integers(0, 61, n)  # 2026-09-01 .. 2026-10-31
    dates = np.datetime64("2026-09-01") + days.astype("timedelta64[D]")
    with open(root / "data" / "tx.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["member_id", "ordered_at", "amount"])
        for i in range(n):
            w.writerow([f"{rng.integers(1, 60):05d}", f"{dates[i]} 12:00:00", f"{rng.gamma(2, 400):.2f}"])
    (root / "params" / "common.yaml").write_text(
        "data:\n  transactions: ../data/tx.csv\n  currency: TWD\nmonth: ''\nlanguage: en\nseed: 7\n",
        encoding="utf-8",
    )
    (root / "params" / "report.yaml").write_text(
        f"notebooks:\n  - {{name: summary, timeout: {timeout}}}\n  - {{name: counts, timeout: {timeout}}}\n",
        encoding="utf-8",
    )
    if counts is not None:
        write_counts(root, counts)
    return root


def write_counts(root: Path, values: dict) -> None:
    lines = "".join(f"{k}: {json.dumps(v)}\n" for k, v in values.items())
    (root / "params" / "counts.yaml").write_text(lines, encoding="utf-8")


def run_project(
    root: Path, *, month: str | None = None, only: list[str] | None = None, jobs: int | None = None
) -> int:
    """``workbench report`` (``report_cli``) in this process on the project ``root`` (``jobs``: ``--jobs``)."""
    from workbench.report import report_cli

    args = argparse.Namespace(
        params=str(root / "params"), out=str(root / "reports"), month=month, only=only, jobs=jobs
    )
    return report_cli(args)


def expected_figures(root: Path, month: str = PROJECT_MONTH) -> dict[str, str]:
    """The fixture notebooks' headline figures, computed directly from the CSV with pandas."""
    import pandas as pd

    tx = pd.read_csv(root / "data" / "tx.csv", dtype={"member_id": str})
    in_month = tx[tx["ordered_at"].str.startswith(month)]
    return {
        "revenue": f"{in_month['amount'].sum():.2f}",
        "orders": str(len(in_month)),
        "active members": str(in_month["member_id"].nunique()),
    }


# ---------------------------------------------------------------------------------------------- browser
_OPEN: list = []  # the browser currently open in this process, if any


@contextlib.contextmanager
def open_browser():
    """Headless Chromium; nested calls reuse the open one.

    Playwright's sync API allows one instance per thread at a time (a second one fails with "using
    Playwright Sync API inside the asyncio loop"), and test_browser keeps a session-wide browser open.
    """
    if _OPEN:
        yield _OPEN[-1]
        return
    sync_api = __import__("pytest").importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        __import__("pytest").skip(f"{CHROMIUM} not installed (make system installs it)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        _OPEN.append(browser)
        try:
            yield browser
        finally:
            _OPEN.remove(browser)
            browser.close()


@dataclass
class PageCheck:
    """One page opened from disk with everything the page tried recorded."""

    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @classmethod
    def open(cls, browser, path: Path, *, viewport=(1280, 900)):
        check = cls()
        context = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]}, java_script_enabled=True
        )

        def route(r):
            if r.request.url.startswith(("file:", "data:")):
                r.continue_()
            else:
                check.blocked.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.on("requestfailed", lambda r: check.failed.append(f"{r.url} ({r.failure})"))
        page.on("console", lambda m: check.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: check.console.append(f"pageerror: {e}"))

        def on_dialog(d):
            check.dialogs.append(f"{d.type}: {d.message}")
            d.dismiss()

        page.on("dialog", on_dialog)
        t0 = time.perf_counter()
        page.goto(path.resolve().as_uri(), wait_until="load")
        page.wait_for_load_state("networkidle")
        check.seconds = time.perf_counter() - t0
        return check, context, page

    @property
    def problems(self) -> list[str]:
        return (
            [f"blocked network request: {u}" for u in self.blocked]
            + [f"failed request: {u}" for u in self.failed]
            + [f"console {m}" for m in self.console]
            + [f"dialog {d}" for d in self.dialogs]
        )


IMAGES_JS = """() => Array.from(document.images).map(i => ({
    src: i.currentSrc.slice(0, 40), complete: i.complete, w: i.naturalWidth, h: i.naturalHeight, alt: i.alt}))"""

CODE_SELECTORS = (
    ".jp-InputArea, .jp-InputPrompt, .input, .input_area, .input_prompt, .highlight, pre code, .CodeMirror"
)


def platform_fonts(context, page, selector: str) -> list[str]:
    """Font families Chromium actually used to draw the text of the first ``selector`` (via DevTools)."""
    cdp = context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})
    node = cdp.send("DOM.querySelector", {"nodeId": root["root"]["nodeId"], "selector": selector})
    if not node.get("nodeId"):
        return []
    # the text is in the element's child text node(s); platform fonts are reported for the element
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})
    return [f["familyName"] for f in fonts.get("fonts", []) if f.get("glyphCount", 0) > 0]
