"""The monthly report run on tiny fixture notebooks (tests/fixtures/notebooks) in a temporary project.

Each run starts one kernel per notebook (~1-3 s each); the module runs five small reports in all.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from workbench.report import clean_for_report, headlines_of, report_cli

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "notebooks"
MONTH = "2026-10"


def make_project(
    root: Path, rng: np.random.Generator, *, counts: dict | None = None, timeout: int = 120
) -> Path:
    """A throwaway project: params/, notebooks/ (the fixtures), data/tx.csv with random transactions."""
    (root / "params").mkdir(parents=True)
    (root / "notebooks").mkdir()
    (root / "data").mkdir()
    for nb in FIXTURES.glob("*.ipynb"):
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


def run(root: Path, *, month: str | None = None, only: list[str] | None = None) -> int:
    args = argparse.Namespace(params=str(root / "params"), out=str(root / "reports"), month=month, only=only)
    return report_cli(args)


def expected_figures(root: Path, month: str = MONTH) -> dict[str, str]:
    """The fixture notebooks' headline figures, computed directly from the CSV with pandas."""
    import pandas as pd

    tx = pd.read_csv(root / "data" / "tx.csv", dtype={"member_id": str})
    in_month = tx[tx["ordered_at"].str.startswith(month)]
    return {
        "revenue": f"{in_month['amount'].sum():.2f}",
        "orders": str(len(in_month)),
        "active members": str(in_month["member_id"].nunique()),
    }


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """One good run of both fixture notebooks (month from the data: its last day is 2026-10-31)."""
    root = make_project(tmp_path_factory.mktemp("project"), np.random.default_rng(20261123))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MPLBACKEND", "Agg")  # inherited by a kernel, this would silently drop every figure
        rc = run(root)
    return root, rc


def test_good_run_publishes_code_free_html_and_index(first_run, capsys):
    root, rc = first_run
    assert rc == 0
    month_dir = root / "reports" / MONTH
    names = sorted(p.name for p in month_dir.iterdir())
    assert names == ["counts.html", "counts.ipynb", "index.html", "run.json", "summary.html", "summary.ipynb"]
    assert not list((root / "reports").glob(".staging-*"))

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
    assert params["transactions"] == "../data/tx.csv"  # relative to notebooks/, papermill's cwd
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
    failed = json.loads((month_dir / "counts.failed.ipynb").read_text(encoding="utf-8"))
    assert failed["metadata"]["papermill"]["parameters"]["fail"] is True
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


def test_timeout_is_a_failure_of_that_notebook(tmp_path, rng):
    root = make_project(tmp_path / "slow", rng, counts={"sleep_seconds": 60}, timeout=4)
    assert run(root, only=["counts"]) == 1
    error = (root / "reports" / MONTH / "counts.error.txt").read_text(encoding="utf-8")
    assert "Timeout" in error and "time.sleep(sleep_seconds)" in error
    assert not (root / "reports" / MONTH / "counts.html").exists()


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


def test_month_index_escapes_text(first_run, tmp_path):
    from workbench.report import month_page

    src, _ = first_run
    run_json = json.loads((src / "reports" / MONTH / "run.json").read_text(encoding="utf-8"))
    run_json["reports"][0]["headlines"] = {"<script>alert(1)</script>": "<b>x</b>"}
    page = month_page(run_json)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;b&gt;x" in page


def test_clean_for_report_drops_noise_but_keeps_content():
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stderr", text="UserWarning: noisy\n"),
        nbformat.v4.new_output("stream", name="stdout", text="kept\n"),
        nbformat.v4.new_output("execute_result", data={"text/plain": "<Axes: title={'center': 'x'}>"}),
        nbformat.v4.new_output("execute_result", data={"text/plain": "42"}),
        nbformat.v4.new_output(
            "display_data", data={"application/vnd.jupyter.widget-view+json": {"model_id": "a"}}
        ),
        nbformat.v4.new_output("error", ename="E", evalue="v", traceback=["t"]),
    ]
    nb.cells = [cell]
    nb.metadata["widgets"] = {"state": {}}
    clean_for_report(nb)
    assert [o.get("text") or o.get("data", {}).get("text/plain") for o in nb.cells[0].outputs] == [
        "kept\n",
        "42",
    ]
    assert "widgets" not in nb.metadata


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


def test_notebook_setup_sets_display_options_and_local_warning_filters():
    import warnings

    import matplotlib as mpl
    import pandas as pd

    from workbench.notebook import setup

    saved = {k: pd.get_option(k) for k in ("display.max_rows", "display.width", "display.precision")}
    with (
        warnings.catch_warnings(),
        mpl.rc_context(),  # setup() styles matplotlib: keep that out of the other tests
        pd.option_context("display.max_columns", 5, *[x for kv in saved.items() for x in kv]),
    ):
        setup(language="en")
        assert pd.get_option("display.max_columns") == 40
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")  # what a fresh kernel does
            setup(language="en")
            warnings.warn_explicit(
                "old API", FutureWarning, "lifetimes/utils.py", 1, module="lifetimes.utils"
            )
            warnings.warn_explicit(
                "real problem", UserWarning, "lifetimes/utils.py", 1, module="lifetimes.utils"
            )
            warnings.warn_explicit("ours", FutureWarning, "workbench/x.py", 1, module="workbench.x")
        assert sorted(str(w.message) for w in caught) == ["ours", "real problem"]


def test_fingerprint_of_a_non_file_source_hashes_the_canonical_frame(tmp_path, cdnow):
    from workbench.report import fingerprint_inputs, frame_sha256, load_plan

    for sub in ("params", "notebooks"):
        (tmp_path / sub).mkdir()
    (tmp_path / "params" / "common.yaml").write_text("data: {transactions: cdnow}\nmonth: '1998-06'\n")
    (tmp_path / "params" / "report.yaml").write_text("notebooks: []\n")
    fp = fingerprint_inputs(load_plan(tmp_path / "params"))
    assert fp["inputs"]["transactions"] == {
        "source": "cdnow",
        "rows": len(cdnow),
        "sha256": frame_sha256(cdnow),
    }
    changed = cdnow.copy()
    changed.loc[changed.index[0], "amount"] += 0.01
    assert frame_sha256(changed) != frame_sha256(cdnow)
    assert frame_sha256(cdnow.copy()) == frame_sha256(cdnow)
