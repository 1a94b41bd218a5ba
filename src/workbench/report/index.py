"""The indexes of the monthly run: ``OUT/YYYY-MM/index.html`` + ``run.json`` and ``OUT/index.html``.

Both pages are self-contained (inline CSS, no scripts, no external requests), every text escaped, and
written in the run's ``language`` through ``workbench.i18n.t``. ``run.json`` holds the same facts for
machines: per notebook status, headline figures, run time, parameters, error; for the run the input data
fingerprint (sha256 of each input file's bytes, or of the canonical frame when the source is not a file)
and the package versions.
"""

from __future__ import annotations

import html
import json
import os
import re
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd

from workbench import files
from workbench.data import mask_url
from workbench.i18n import catalog, date_label, month_label, t
from workbench.report.failure import published_failure
from workbench.report.fingerprint import versions
from workbench.report.params import RunPlan

RUN_FILE = "run.json"
INDEX_FILE = "index.html"
MONTH_DIR = re.compile(r"^\d{4}-\d{2}$")

CSS = """
:root { --fg:#1f2933; --muted:#616e7c; --line:#d9e2ec; --ok:#1d7a46; --bad:#b42318; --bg:#f5f7fa; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK TC", "Noto Sans TC", "PingFang TC", "Microsoft JhengHei", system-ui,
       -apple-system, "Segoe UI", sans-serif; color: var(--fg); margin: 0 auto; max-width: 1100px;
       padding: 1.5rem; line-height: 1.5; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
p.meta { color: var(--muted); margin: 0 0 1rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { text-align: left; vertical-align: top; padding: .5rem .6rem; border-bottom: 1px solid var(--line); }
th { background: var(--bg); font-weight: 600; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.status { font-weight: 600; white-space: nowrap; } .ok { color: var(--ok); } .failed { color: var(--bad); }
dl.headlines { display: grid; grid-template-columns: auto auto; gap: .1rem 1rem; margin: 0; }
dl.headlines dt { color: var(--muted); } dl.headlines dd { margin: 0; font-weight: 600; }
details summary { cursor: pointer; color: var(--muted); }
code, pre { font-family: ui-monospace, "Noto Sans Mono CJK TC", monospace; font-size: .85rem; word-break: break-all; }
pre { white-space: pre-wrap; background: var(--bg); padding: .5rem; margin: .25rem 0; }
a { color: #0b5cad; }
footer { color: var(--muted); font-size: .85rem; margin-top: 2rem; }
@media (max-width: 700px) { body { padding: .75rem; } th, td { padding: .35rem; }
  table.reports thead { display: none; }
  table.reports tr { display: block; border-bottom: 1px solid var(--line); padding: .4rem 0; }
  table.reports td { display: block; border: 0; padding: .15rem .35rem; }
  table.reports td.num { text-align: left; }
  table.inputs th, table.inputs td { display: block; border: 0; padding: .1rem .35rem; }
  table.inputs tr { display: block; border-bottom: 1px solid var(--line); } }
@media print { body { max-width: none; padding: 0; } a { color: inherit; text-decoration: none; }
  details { display: block; } details > * { display: block; } }
"""


def esc(value: Any) -> str:
    """``value`` as HTML text (quotes escaped too)."""
    return html.escape(str(value), quote=True)


def local_time(stamp: str | None, timezone: str | None, language: str) -> str:
    """A recorded UTC time (``2026-12-01T16:34:16Z``) in the brand's time zone and the report language.

    ``2026年12月2日 00:34（台北時間）`` / ``2 Dec 2026 00:34 (Taipei time)``.

    Parameters
    ----------
    stamp : str or None
        ISO time as ``run.json`` records it (UTC).
    timezone : str or None
        The ``data.timezone`` of common.yaml (an IANA name); UTC when none.
    language : str
        ``zh-TW`` or ``en``.

    Returns
    -------
    str
        The time as a reader of the brand reads it; ``–`` when there is none, the text itself when it is
        not a time.
    """
    if not stamp:
        return "–"
    try:
        when = pd.Timestamp(stamp)
    except ValueError:
        return str(stamp)
    when = when.tz_localize("UTC") if when.tzinfo is None else when
    zone = timezone or "UTC"
    try:
        when = when.tz_convert(zone)
    except Exception:  # an unknown zone name: the run record is shown in UTC, said so
        when, zone = when.tz_convert("UTC"), "UTC"
    key = f"report.timezone.{zone}"
    if key in catalog():
        label = t(key, language)
    else:
        offset = when.strftime("%z")
        label = t("report.index.zone_offset", language, offset=f"{offset[:3]}:{offset[3:]}")
    return t(
        "report.index.time",
        language,
        date=date_label(when, language),
        time=when.strftime("%H:%M"),
        zone=label,
    )


def _zone(run: dict) -> str | None:
    return ((run.get("common") or {}).get("data") or {}).get("timezone")


def title(name: str, language: str) -> str:
    """The report's display name: ``report.notebook.<name>`` when the catalog has it, else the name."""
    key = f"report.notebook.{name}"
    return t(key, language) if key in catalog() else name


# ------------------------------------------------------------------------------------------ run.json
def _read_run(month_dir: Path) -> dict[str, Any] | None:
    path = month_dir / RUN_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _entry(result, month_dir: Path, language: str) -> dict[str, Any]:
    entry = {
        "name": result.name,
        "title": title(result.name, language),
        "status": result.status,
        "started_at": result.started_at,
        "seconds": result.seconds,
        "headlines": result.headlines,
        "parameters": result.parameters,
        "params_file": result.params_file,
        "html": f"{result.name}.html" if result.ok else None,
        "ipynb": f"{result.name}.ipynb" if result.ok else None,
        "error": result.error,
        "last_good": None,
    }
    return entry


def _recorded_common(plan: RunPlan) -> dict[str, Any]:
    """``common.yaml`` as recorded in ``run.json``.

    Data file paths relative to the params folder, as written; a database URL with its password masked.
    """
    common = asdict(plan.common)
    for key in plan.common.data.PATHS:
        value = common["data"][key]
        if plan.common.data.is_file(value):
            common["data"][key] = Path(os.path.relpath(value, plan.params_dir)).as_posix()
        else:
            common["data"][key] = mask_url(value)
    return common


def build_run(plan: RunPlan, month_dir: Path, results, inputs, *, started: str, seconds: float) -> dict:
    """``run.json``.

    This run's notebooks plus, from the previous run.json, notebooks not run this time (``--only``) and the
    last good result of a notebook that failed now (its published copy is kept).

    Parameters
    ----------
    plan : RunPlan
        The run.
    month_dir : Path
        The folder being built (its run.json, if any, is the previous run's).
    results : list of NotebookResult
        This run's notebooks.
    inputs : RunInputs
        The up-front validation: data fingerprint and the guest rows the loader set apart.
    started : str
        UTC start time (ISO).
    seconds : float
        Wall time so far.

    Returns
    -------
    dict
        The run record (no values of member rows, no passwords).
    """
    previous = {e["name"]: e for e in (_read_run(month_dir) or {}).get("reports", [])}
    reports = []
    ran = {r.name for r in results}
    for result in results:
        entry = _entry(result, month_dir, plan.language)
        if not result.ok:
            old = previous.get(result.name)
            good = old if old and old.get("status") == "ok" else (old or {}).get("last_good")
            if good and (month_dir / f"{result.name}.html").is_file():
                entry["last_good"] = {k: v for k, v in good.items() if k not in ("last_good", "error")}
        reports.append(entry)
    order = [nb.name for nb in plan.config.notebooks]
    for name, old in previous.items():
        if name not in ran and ((month_dir / f"{name}.html").is_file() or old.get("error")):
            if old.get("error"):  # an entry of an earlier version may still carry values or a traceback
                old = {**old, "error": published_failure(old["error"])}
            reports.append(old)
    reports.sort(key=lambda e: order.index(e["name"]) if e["name"] in order else len(order))
    return {
        "month": plan.month,
        "language": plan.language,
        "status": "ok" if all(e["status"] == "ok" for e in reports) else "failed",
        "started_at": started,
        "seconds": round(seconds, 1),
        "params_dir": os.path.relpath(plan.params_dir, plan.root),
        "common": _recorded_common(plan),
        "data_fingerprint": inputs.fingerprint,
        "rows": inputs.rows,
        "guests": inputs.guests,
        "versions": versions(),
        "reports": reports,
    }


def write_month(plan: RunPlan, month_dir: Path, results, inputs, *, started: str, seconds: float) -> dict:
    """Write ``run.json`` and ``index.html`` of the month into ``month_dir`` (see :func:`build_run`).

    Both texts pass through ``workbench.data.mask_url`` before they are written.

    Returns
    -------
    dict
        The run record written.
    """
    run = build_run(plan, month_dir, results, inputs, started=started, seconds=seconds)
    files.write_text(month_dir / RUN_FILE, mask_url(json.dumps(run, ensure_ascii=False, indent=2) + "\n"))
    files.write_text(month_dir / INDEX_FILE, mask_url(month_page(run)))
    return run


# --------------------------------------------------------------------------------------------- pages
def _page(lang: str, heading: str, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{esc(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(heading)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def _headlines(values: dict[str, str]) -> str:
    if not values:
        return "–"
    items = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in values.items())
    return f'<dl class="headlines">{items}</dl>'


def _params(lang: str, values: dict[str, Any], params_file: str | None) -> str:
    """Where the report's parameters came from (its params file).

    The values themselves, keyed by their code names, are for analysts and machines: ``run.json`` records
    every one.
    """
    if not params_file and not values:
        return "–"
    file = params_file or "common.yaml"
    return f"<p>{esc(t('report.index.params_file', lang, file=file))}</p>"


def _status(lang: str, entry: dict) -> str:
    ok = entry["status"] == "ok"
    text = t("report.status.ok", lang) if ok else t("report.status.failed", lang)
    return f'<span class="status {"ok" if ok else "failed"}">{esc(text)}</span>'


def _report_row(lang: str, entry: dict, zone: str | None = None) -> str:
    name = esc(entry.get("title") or entry["name"])
    if entry["status"] == "ok":
        link = f'<a href="{esc(entry["html"])}">{name}</a>'
        note = ""
        shown = entry
    else:
        good = entry.get("last_good")
        link = f'<a href="{esc(entry["name"])}.html">{name}</a>' if good else name
        err = entry.get("error") or {}
        where = ""
        if err.get("cell_index") is not None:
            where = t("report.index.failed_cell", lang, cell=err["cell_index"]) + " "
        note = (
            f'<p class="failed">{esc(where)}<code>{esc(err.get("error", ""))}</code> '
            f'(<a href="{esc(entry["name"])}.error.txt">{esc(t("report.index.error_file", lang))}</a>)</p>'
        )
        if good:
            note += f"<p>{esc(t('report.index.kept_previous', lang, started=local_time(good.get('started_at'), zone, lang)))}</p>"
        shown = good or entry
    seconds = t("report.index.seconds", lang, seconds=f"{entry['seconds']:.1f}")
    return (
        f"<tr><td>{link}{note}</td><td>{_status(lang, entry)}</td><td>{_headlines(shown.get('headlines') or {})}</td>"
        f'<td class="num">{esc(seconds)}</td>'
        f"<td>{_params(lang, entry.get('parameters') or {}, entry.get('params_file'))}</td></tr>"
    )


def _input_label(key: str, lang: str) -> str:
    """An input file's name in the report language (``report.index.input.<key>``), else its key."""
    label = f"report.index.input.{key}"
    return t(label, lang) if label in catalog() else key


def month_page(run: dict) -> str:
    """The month's index page (HTML): each report's status, headlines and link, in the run's language."""
    lang = run["language"]
    heading = t("report.index.month_title", lang, month=month_label(run["month"], lang))
    head = "".join(
        f"<th>{esc(t(k, lang))}</th>"
        for k in (
            "report.index.report",
            "report.index.status",
            "report.index.headlines",
            "report.index.run_time",
            "report.index.params",
        )
    )
    zone = _zone(run)
    rows = "".join(_report_row(lang, e, zone) for e in run["reports"])
    fp = run["data_fingerprint"]
    inputs = "".join(
        f"<tr><th>{esc(_input_label(k, lang))}</th><td><code>{esc(v.get('path') or v.get('source'))}</code></td>"
        f"<td><code>{esc(v['sha256'])}</code></td></tr>"
        for k, v in fp["inputs"].items()
    )
    vers = ", ".join(f"{esc(k)} {esc(v)}" for k, v in run["versions"].items())
    failed = [e for e in run["reports"] if e["status"] != "ok"]
    summary = (
        t("report.index.all_ok", lang, n=len(run["reports"]))
        if not failed
        else t("report.index.some_failed", lang, n=len(failed), total=len(run["reports"]))
    )
    body = (
        f"<header><h1>{esc(heading)}</h1>"
        f'<p class="meta">{esc(summary)} · {esc(t("report.index.generated", lang, started=local_time(run["started_at"], zone, lang), seconds=run["seconds"]))}'
        f' · <a href="../index.html">{esc(t("report.index.all_months", lang))}</a></p></header>\n'
        f'<table class="reports"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>\n'
        f"<h2>{esc(t('report.index.fingerprint', lang))}</h2>"
        f'<p><code>{esc(fp["sha256"])}</code></p><table class="inputs">{inputs}</table>\n'
        f"<footer><p>{esc(t('report.index.versions', lang))}: {vers}</p></footer>"
    )
    return _page(lang, heading, body)


def write_months(out: Path, language: str) -> None:
    """``OUT/index.html``: every month with a run.json, newest first."""
    rows = []
    for month_dir in sorted(
        (p for p in out.iterdir() if p.is_dir() and MONTH_DIR.match(p.name)), reverse=True
    ):
        run = _read_run(month_dir)
        if run is None:
            continue
        reports = run.get("reports", [])
        ok = sum(e["status"] == "ok" for e in reports)
        status = (
            t("report.index.all_ok", language, n=len(reports))
            if ok == len(reports)
            else t("report.index.some_failed", language, n=len(reports) - ok, total=len(reports))
        )
        cls = "ok" if ok == len(reports) else "failed"
        rows.append(
            f'<tr><td><a href="{esc(month_dir.name)}/index.html">{esc(month_label(month_dir.name, language))}</a></td>'
            f'<td><span class="status {cls}">{esc(status)}</span></td><td>{esc(local_time(run.get("started_at"), _zone(run), language))}</td></tr>'
        )
    heading = t("report.index.title", language)
    head = "".join(
        f"<th>{esc(t(k, language))}</th>"
        for k in ("report.index.month", "report.index.status", "report.index.run_at")
    )
    body = f"<h1>{esc(heading)}</h1>\n<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    files.write_text(out / INDEX_FILE, _page(language, heading, body))
