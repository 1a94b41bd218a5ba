"""workbench.report.publish: a month is built in a staging folder and published in one atomic step; one
run per output folder at a time.

The unit tests work on folders alone. The two end-to-end tests run ``workbench report`` on the fixture
project (report_kit.make_project) in subprocesses: one killed with SIGKILL during its second notebook,
and two runs into one output folder at once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from report_kit import PROJECT_MONTH as MONTH
from report_kit import REPO, make_project, report_command, write_counts
from report_kit import run_project as run

from workbench.report import MonthBuild, OutputBusyError, output_lock, remove_stale


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_a_build_carries_the_month_over_and_replaces_it_in_one_step(tmp_path):
    out = tmp_path / "reports"
    legacy = out / MONTH  # a month published before months were links: a plain folder
    legacy.mkdir(parents=True)
    (legacy / "a.html").write_text("old a", encoding="utf-8")
    (legacy / "b.html").write_text("old b", encoding="utf-8")
    (legacy / "b.failed.ipynb").write_text("{}", encoding="utf-8")  # not carried over
    first = MonthBuild(out, MONTH).start()
    assert _tree(first.staging) == {"a.html": b"old a", "b.html": b"old b"}
    (first.staging / "a.html").write_text("new a", encoding="utf-8")
    published = first.publish()
    assert (out / MONTH).is_symlink() and (out / MONTH).resolve() == published.resolve()
    assert _tree(out / MONTH) == {"a.html": b"new a", "b.html": b"old b"}
    assert not first.staging.exists()
    assert sorted(p.name for p in out.iterdir()) == sorted([MONTH, published.name])  # the old one is gone

    second = MonthBuild(out, MONTH).start()
    (second.staging / "b.html").write_text("new b", encoding="utf-8")
    second.publish()
    assert _tree(out / MONTH) == {"a.html": b"new a", "b.html": b"new b"}
    assert not published.exists()  # the previous version went with the switch
    assert (out / MONTH / ".." / "index.html").resolve() == (out / "index.html").resolve()


def test_remove_stale_keeps_only_what_a_month_points_at(tmp_path):
    out = tmp_path / "reports"
    build = MonthBuild(out, MONTH).start()
    live = build.publish()
    for name in (".staging-2026-10-x-1", ".month-2026-10-old-2", ".cache/2026-10", ".logs/2026-10"):
        (out / name).mkdir(parents=True)
    os.symlink(live.name, out / ".link-2026-10-x-1")
    assert remove_stale(out) == [
        ".cache",
        ".link-2026-10-x-1",
        ".month-2026-10-old-2",
        ".staging-2026-10-x-1",
    ]
    assert sorted(p.name for p in out.iterdir()) == sorted([".logs", MONTH, live.name])
    assert remove_stale(tmp_path / "missing") == []


def test_a_second_run_waits_for_the_lock_then_stops_with_a_clear_message(tmp_path):
    out = tmp_path / "reports"
    said = []
    with output_lock(out, wait=0) as lock:
        assert str(os.getpid()) in lock.read_text(encoding="utf-8")
        with pytest.raises(
            OutputBusyError, match=rf"in use by workbench report pid {os.getpid()} started at"
        ):
            with output_lock(out, wait=0):
                pass
        t0 = time.monotonic()
        with pytest.raises(OutputBusyError, match=r"after waiting 0\.6 s; nothing was run"):
            with output_lock(out, wait=0.6, log=said.append):
                pass
        assert time.monotonic() - t0 >= 0.6
    assert said and "waiting up to 0.6 s" in said[0]
    with output_lock(out, wait=0):  # released: the next run takes it at once
        pass


# --- end to end: SIGKILL, and two runs at once ------------------------------------------------------


def _start(root: Path, *extra: str, params: Path | None = None) -> tuple[subprocess.Popen, Path]:
    log = root / f"run-{time.monotonic_ns()}.log"
    cmd = report_command(params or root / "params", root / "reports") + list(extra)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    with open(log, "w", encoding="utf-8") as fh:
        proc = subprocess.Popen(
            cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=REPO, env=env, start_new_session=True, text=True
        )
    return proc, log


def _wait_for(log: Path, text: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text(encoding="utf-8"):
        assert proc.poll() is None, f"the run ended before {text!r}:\n{log.read_text(encoding='utf-8')}"
        assert time.monotonic() < deadline, (
            f"no {text!r} after {timeout} s:\n{log.read_text(encoding='utf-8')}"
        )
        time.sleep(0.2)


def _month_files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / MONTH).iterdir())}


@pytest.mark.slow  # three runs of the fixture project, one killed
def test_a_run_killed_during_its_second_notebook_leaves_the_month_as_it_was(tmp_path, rng):
    root = make_project(tmp_path / "project", rng, counts={"sleep_seconds": 0})
    assert run(root) == 0
    out = root / "reports"
    before, target = _month_files(out), os.readlink(out / MONTH)
    months_page = (out / "index.html").read_bytes()

    write_counts(root, {"sleep_seconds": 120})
    proc, log = _start(root)
    _wait_for(log, "[2/2] counts: running", proc)
    time.sleep(3)  # the counts kernel is sleeping in its first cell; summary's new pages are staged
    staged = list(out.glob(".staging-*"))
    assert len(staged) == 1 and (staged[0] / "summary.html").is_file()
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)

    assert os.readlink(out / MONTH) == target
    assert _month_files(out) == before  # byte-identical: pages, notebooks, index.html, run.json
    assert (out / "index.html").read_bytes() == months_page

    write_counts(root, {"sleep_seconds": 0})
    proc, log = _start(root)
    assert proc.wait(timeout=300) == 0, log.read_text(encoding="utf-8")
    text = log.read_text(encoding="utf-8")
    assert f"removed what earlier runs left in {out}: .cache, {staged[0].name}" in text
    assert not list(out.glob(".staging-*")) and not (out / ".cache").exists()
    assert os.readlink(out / MONTH) != target and not (out / target).exists()


def _languages(out: Path) -> set[str]:
    """The ``lang`` of every page of the month (index and reports) and the language every notebook ran in."""
    import json
    import re

    found = set()
    for page in (out / MONTH).glob("*.html"):
        found.add(re.search(r'<html lang="([^"]+)"', page.read_text(encoding="utf-8")).group(1))
    for nb in (out / MONTH).glob("*.ipynb"):
        found.add(
            json.loads(nb.read_text(encoding="utf-8"))["metadata"]["papermill"]["parameters"]["language"]
        )
    return found


@pytest.mark.slow  # four runs of the fixture project, two at a time
def test_two_runs_into_one_folder_never_interleave(tmp_path, rng):
    """An English run (counts sleeps 6 s) and a Chinese one into the same folder: the second stops with a
    clear message (--wait 0) or waits and then publishes its whole month (--wait 120); either way every
    page, notebook, index and run.json of the month comes from one run."""
    import shutil

    import yaml

    root = make_project(tmp_path / "project", rng, counts={"sleep_seconds": 6})
    zh = root / "params-zh"
    shutil.copytree(root / "params", zh)
    common = yaml.safe_load((zh / "common.yaml").read_text(encoding="utf-8"))
    common["language"] = "zh-TW"
    (zh / "common.yaml").write_text(yaml.safe_dump(common), encoding="utf-8")
    (zh / "counts.yaml").write_text("sleep_seconds: 0\n", encoding="utf-8")
    out = root / "reports"

    first, first_log = _start(root)
    _wait_for(first_log, "[1/2] summary: running", first)
    second, second_log = _start(root, "--wait", "0", params=zh)
    assert second.wait(timeout=120) == 3
    message = second_log.read_text(encoding="utf-8")
    assert f"{out} is in use by workbench report pid {first.pid} started at" in message
    assert "nothing was run and the published reports are unchanged" in message
    assert first.wait(timeout=300) == 0, first_log.read_text(encoding="utf-8")
    assert _languages(out) == {"en"}

    first, first_log = _start(root)
    _wait_for(first_log, "[1/2] summary: running", first)
    second, second_log = _start(root, "--wait", "120", params=zh)
    _wait_for(second_log, "waiting up to 120 s", second)
    assert first.wait(timeout=300) == 0, first_log.read_text(encoding="utf-8")
    assert second.wait(timeout=300) == 0, second_log.read_text(encoding="utf-8")
    assert _languages(out) == {"zh-Hant-TW", "zh-TW"}  # pages and notebooks all of the second run
