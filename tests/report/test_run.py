"""workbench.report.run: the monthly report run on tiny fixture notebooks (tests/report/fixtures/notebooks)
in a temporary project (report_kit.make_project), and headlines read back from an executed notebook.

Each run starts one kernel per notebook (~1-3 s each); the room runs five small reports in all (the good
first one, ``first_run``, is shared in conftest.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil

import pandas as pd
import pytest
from report_kit import PROJECT_MONTH as MONTH
from report_kit import expected_figures, make_project, write_counts
from report_kit import run_project as run

from workbench.report import headlines_of


def test_good_run_publishes_code_free_html_and_index(first_run, capsys):
    root, rc = first_run
    assert rc == 0
    month_dir = root / "reports" / MONTH
    names = sorted(p.name for p in month_dir.iterdir())
    assert names == ["counts.html", "counts.ipynb", "index.html", "run.json", "summary.html", "summary.ipynb"]
    # the month is a link to the folder the run built and published in one step; nothing else is left
    assert month_dir.is_symlink() and os.readlink(month_dir).startswith(".month-")
    left = sorted(p.name for p in (root / "reports").iterdir() if p.name.startswith("."))
    assert left == [".lock", os.readlink(month_dir)]

    page = (month_dir / "summary.html").read_text(encoding="utf-8")
    assert "CODE_MARKER_SOURCE" not in page  # code hidden
    assert "CODE_MARKER_MD" in page  # markdown prose kept
    for noise in (
        "STDERR_MARKER",
        "WARNING_MARKER",
        "UserWarning",
        "Traceback",
        "<Axes",
        "In&nbsp;[",
        "In [",
        "Out[",
    ):
        assert noise not in page, noise
    assert "vnd.workbench.headlines" not in page
    # the figure is embedded although MPLBACKEND=Agg was set for the run
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', page)) == 1
    assert not re.search(r"""(src|href)=["']https?://""", page)
    assert "<script" not in page

    figures = expected_figures(root)
    assert figures["orders"] != "0"
    run_json = json.loads((month_dir / "run.json").read_text(encoding="utf-8"))
    assert run_json["month"] == MONTH and run_json["status"] == "ok"
    by_name = {r["name"]: r for r in run_json["reports"]}
    assert list(by_name) == ["summary", "counts"]  # the order of report.yaml
    assert by_name["summary"]["headlines"] == {"revenue": figures["revenue"], "orders": figures["orders"]}
    assert list(by_name["summary"]["headlines"]) == ["revenue", "orders"]  # the notebook's order
    assert by_name["counts"]["headlines"] == {"active members": figures["active members"]}
    params = by_name["summary"]["parameters"]
    assert params["month"] == MONTH and params["language"] == "en" and params["seed"] == 7
    # every notebook reads the run's validated canonical copy (relative to notebooks/, papermill's cwd)
    assert params["data"]["transactions"] == f"../reports/.cache/{MONTH}/transactions.parquet"
    assert params["data"]["columns"] == {} and params["data"]["date_format"] == "auto"
    assert run_json["common"]["data"]["transactions"] == "../data/tx.csv"  # the source, as written
    assert run_json["rows"] == 300 and run_json["guests"]["rows"] == 0  # no guest sales
    source_total = pd.read_csv(root / "data" / "tx.csv")["amount"].sum()
    assert run_json["guests"]["member_revenue"] == pytest.approx(source_total, rel=1e-12)
    sha = hashlib.sha256((root / "data" / "tx.csv").read_bytes()).hexdigest()
    assert run_json["data_fingerprint"]["inputs"]["transactions"]["sha256"] == sha
    assert run_json["versions"]["pandas"] and run_json["versions"]["papermill"]

    index = (month_dir / "index.html").read_text(encoding="utf-8")
    assert 'href="summary.html"' in index and 'href="counts.html"' in index
    for value in (figures["revenue"], figures["orders"], figures["active members"], sha):
        assert value in index
    assert "<script" not in index and not re.search(r"""(src|href)=["']https?://""", index)
    assert "Member reports" in index  # language en via t()
    months = (root / "reports" / "index.html").read_text(encoding="utf-8")
    assert f'href="{MONTH}/index.html"' in months


def test_failure_keeps_previous_good_copy_and_exits_nonzero(first_run, tmp_path):
    src, _ = first_run
    root = tmp_path / "project"
    shutil.copytree(src, root)
    month_dir = root / "reports" / MONTH
    before = {p.name: p.read_bytes() for p in month_dir.iterdir() if p.name.startswith("counts.")}
    summary_before = json.loads((month_dir / "summary.ipynb").read_text(encoding="utf-8"))

    write_counts(root, {"fail": True})  # the failure injected into one notebook
    assert run(root) == 1

    for name, data in before.items():  # previous good copy byte-identical
        assert (month_dir / name).read_bytes() == data, name
    error = (month_dir / "counts.error.txt").read_text(encoding="utf-8")
    assert "RuntimeError: injected failure for the test" in error
    assert "code cell at index 2 of counts.ipynb" in error and "raise RuntimeError" in error
    assert "Traceback" not in error and f".logs/{MONTH}/counts.error.txt" in error
    # the analyst's copy with the traceback and the failed notebook stay outside the published month
    logs = root / "reports" / ".logs" / MONTH
    assert "Traceback" in (logs / "counts.error.txt").read_text(encoding="utf-8")
    failed = json.loads((logs / "counts.failed.ipynb").read_text(encoding="utf-8"))
    assert failed["metadata"]["papermill"]["parameters"]["fail"] is True
    assert not (month_dir / "counts.failed.ipynb").exists()
    # the other notebook still ran and was published again
    summary_after = json.loads((month_dir / "summary.ipynb").read_text(encoding="utf-8"))
    assert (
        summary_after["metadata"]["papermill"]["start_time"]
        != summary_before["metadata"]["papermill"]["start_time"]
    )
    run_json = json.loads((month_dir / "run.json").read_text(encoding="utf-8"))
    counts = next(r for r in run_json["reports"] if r["name"] == "counts")
    assert run_json["status"] == "failed" and counts["status"] == "failed"
    assert counts["error"]["cell_index"] == 2
    assert counts["last_good"]["headlines"] == {"active members": expected_figures(root)["active members"]}
    index = (month_dir / "index.html").read_text(encoding="utf-8")
    assert 'href="counts.error.txt"' in index and "injected failure" in index
    assert "traceback" not in counts["error"]
    assert not list((root / "reports").glob(".staging-*"))

    # fixed again: the failure records go, the good copy is replaced
    write_counts(root, {"fail": False})
    assert run(root, only=["counts"]) == 0
    assert not (month_dir / "counts.error.txt").exists() and not (month_dir / "counts.failed.ipynb").exists()
    run_json = json.loads((month_dir / "run.json").read_text(encoding="utf-8"))
    assert [r["name"] for r in run_json["reports"]] == ["summary", "counts"]  # --only keeps the other entry
    assert run_json["status"] == "ok"


def test_same_inputs_give_same_numbers(first_run, tmp_path):
    src, _ = first_run
    root = tmp_path / "again"
    shutil.copytree(src, root, ignore=shutil.ignore_patterns("reports"))
    assert run(root, month=MONTH) == 0
    first = json.loads((src / "reports" / MONTH / "run.json").read_text(encoding="utf-8"))
    second = json.loads((root / "reports" / MONTH / "run.json").read_text(encoding="utf-8"))
    assert second["data_fingerprint"] == first["data_fingerprint"]
    assert [r["headlines"] for r in second["reports"]] == [r["headlines"] for r in first["reports"]]
    assert [r["parameters"] for r in second["reports"]] == [r["parameters"] for r in first["reports"]]
    # the exported HTML itself is reproducible too (no timestamps, deterministic PNG)
    for name in ("summary.html", "counts.html"):
        assert (root / "reports" / MONTH / name).read_bytes() == (src / "reports" / MONTH / name).read_bytes()


def test_one_at_a_time_gives_the_same_pages_as_at_once(first_run, tmp_path):
    """``--jobs 1`` (one kernel after another) and ``--jobs 2`` (both kernels at once: the default on two cores)
    publish byte-identical pages, and run.json keeps the plan's order."""
    src, _ = first_run
    pages = {}
    for jobs in (1, 2):
        root = tmp_path / f"jobs{jobs}"
        shutil.copytree(src, root, ignore=shutil.ignore_patterns("reports"))
        assert run(root, month=MONTH, jobs=jobs) == 0
        month_dir = root / "reports" / MONTH
        pages[jobs] = {name: (month_dir / name).read_bytes() for name in ("summary.html", "counts.html")}
        run_json = json.loads((month_dir / "run.json").read_text(encoding="utf-8"))
        assert [r["name"] for r in run_json["reports"]] == ["summary", "counts"]
        assert os.getcwd() != str(root / "notebooks")  # the run's working directory was given back
    assert pages[1] == pages[2]
    first = {name: (src / "reports" / MONTH / name).read_bytes() for name in pages[1]}
    assert pages[1] == first


def test_parallel_jobs_by_cores_and_memory(monkeypatch):
    from workbench.report.run import KERNEL_BYTES_PER_ROW, parallel_jobs

    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    gib = 2**30
    assert parallel_jobs(3, 4, 10**9) == 3  # asked for: no memory judgement
    assert parallel_jobs(8, 4, 0) == 4  # at most one per notebook
    assert parallel_jobs(0, 4, 1000, memory=24 * gib) == 2  # one per core
    assert parallel_jobs(0, 1, 1000, memory=24 * gib) == 1
    # 1M-member demo (9.1M rows) on 22 GiB available: two kernels of ~3.9 GiB fit in 60%; 3M (27.5M) do not
    assert parallel_jobs(0, 4, 9_148_348, memory=22 * gib) == 2
    assert parallel_jobs(0, 4, 27_451_270, memory=22 * gib) == 1
    per = 10_000_000 * KERNEL_BYTES_PER_ROW + 2**29
    assert parallel_jobs(0, 4, 10_000_000, memory=int(2 * per / 0.6) + 1) == 2
    assert parallel_jobs(0, 4, 10_000_000, memory=int(2 * per / 0.6) - 10) == 1


def test_timeout_is_a_failure_of_that_notebook(tmp_path, rng):
    root = make_project(tmp_path / "slow", rng, counts={"sleep_seconds": 60}, timeout=4)
    assert run(root, only=["counts"]) == 1
    error = (root / "reports" / MONTH / "counts.error.txt").read_text(encoding="utf-8")
    assert "Timeout" in error and "time.sleep(sleep_seconds)" in error
    assert not (root / "reports" / MONTH / "counts.html").exists()
    assert not (root / "reports" / ".cache").exists()  # the run's copy of the data goes with the run


def test_misspelt_key_is_rejected_before_anything_runs(tmp_path, rng, monkeypatch, capsys):
    import papermill

    def must_not_run(*args, **kwargs):
        raise AssertionError("a notebook was executed despite invalid params")

    monkeypatch.setattr(papermill, "execute_notebook", must_not_run)
    root = make_project(tmp_path / "bad", rng, counts={"fial": True})
    assert run(root) == 2
    err = capsys.readouterr().err
    assert "counts.yaml" in err and "'fial'" in err and "did you mean 'fail'" in err
    assert not (root / "reports").exists()


def test_bad_data_found_while_choosing_the_month_is_a_clear_error(tmp_path, rng, monkeypatch, capsys):
    """With no month set, the data is read to find the latest complete month: a bad row stops the run
    there (exit 2, the loader's message, no traceback), before any notebook runs."""
    import papermill

    def must_not_run(*args, **kwargs):
        raise AssertionError("a notebook was executed despite invalid data")

    monkeypatch.setattr(papermill, "execute_notebook", must_not_run)
    root = make_project(tmp_path / "baddata", rng)
    path = root / "data" / "tx.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("2026-", "2026-13-", 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert run(root) == 2
    err = capsys.readouterr().err
    assert "tx.csv" in err and "column 'ordered_at'" in err and "(row 3:" in err
    assert "Traceback" not in err and "nothing was run" in err
    assert not (root / "reports").exists()


def test_headlines_roundtrip_keeps_order():
    from workbench.notebook import HEADLINES_MIME

    nb = {
        "cells": [
            {
                "cell_type": "code",
                "outputs": [
                    {
                        "output_type": "display_data",
                        "data": {HEADLINES_MIME: {"a": "1", "b": "2"}},
                        "metadata": {HEADLINES_MIME: {"order": ["b", "a"]}},
                    },
                    {"output_type": "display_data", "data": {HEADLINES_MIME: {"c": "3"}}, "metadata": {}},
                ],
            }
        ]
    }
    assert list(headlines_of(nb).items()) == [("b", "2"), ("a", "1"), ("c", "3")]


def test_progress_lines_from_several_threads_come_out_whole(capfd):
    """Notebooks side by side log from their own threads: no line may run into another."""
    from concurrent.futures import ThreadPoolExecutor

    from workbench.report.run import _progress

    lines = [f"[{i}/8] notebook_{i}: running (limit 3600 s)" for i in range(8)]

    def many(line):
        for _ in range(300):
            _progress(line)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(many, lines))
    out = capfd.readouterr().out.splitlines()
    assert len(out) == 8 * 300
    assert set(out) == set(lines)
