"""workbench.notebook in a real JupyterLab: amounts stay plain text (issue 14: Lab's MathJax typesets
Markdown and HTML outputs, so "NT$51 – NT$137" used to become maths).

The test starts JupyterLab on a free local port (token, no browser, its own runtime and workspace folders),
opens a small notebook in headless Chromium, runs every cell, and reads the rendered outputs: the helpers'
outputs show the amounts verbatim with no MathJax element, while a control cell that displays the same
text as Markdown IS typeset (so the check can fail). Marker ``browser``.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from report_kit import open_browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AMOUNTS = "占營收 3.9%，扣除後營收為 NT$1.2億；95% 信賴區間 NT$51 – NT$137"
CELLS = [
    "from workbench.notebook import findings, heading, kpi_cards, paragraph, table\nimport pandas as pd",
    "heading('金卡 NT$30,000 – NT$50,000', 2)",
    f"paragraph({AMOUNTS!r})",
    f"findings([{AMOUNTS!r}, 'NT$5 vs NT$6'], 'zh-TW')",
    "table(pd.DataFrame({'區間': ['NT$51 – NT$137'], '差異': ['-NT$77 – -NT$94']}), 'zh-TW')",
    "kpi_cards([('淨營收', 'NT$1,200', 'NT$1,100')])",
    # the control: the same text as Markdown, which Lab's MathJax typesets
    f"from IPython.display import Markdown, display\ndisplay(Markdown({AMOUNTS!r}))",
]


def _notebook(path: Path) -> None:
    cells = [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": f"c{i}",
            "metadata": {},
            "outputs": [],
            "source": src,
        }
        for i, src in enumerate(CELLS)
    ]
    nb = {
        "cells": cells,
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb), encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server on 127.0.0.1 serving ``tmp_path``; yields (base URL, token)."""
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **{k: v for k, v in os.environ.items() if k != "MPLBACKEND"},
        "JUPYTER_RUNTIME_DIR": str(tmp_path / ".runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / ".workspaces"),
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        f"--port={port}",
        "--ip=127.0.0.1",
        f"--ServerApp.token={token}",
        f"--ServerApp.root_dir={tmp_path}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    log = open(tmp_path / "lab.log", "w", encoding="utf-8")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                assert proc.poll() is None, (tmp_path / "lab.log").read_text(encoding="utf-8")
                assert time.monotonic() < deadline, "JupyterLab did not start in 90 s"
                time.sleep(0.5)
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


OUTPUTS_JS = """() => Array.from(document.querySelectorAll('.jp-Cell.jp-CodeCell')).map(cell => {
    const out = cell.querySelector('.jp-OutputArea');
    return {text: out ? out.innerText : '', maths: out ? out.querySelectorAll('mjx-container, .MathJax').length : 0};
})"""


def _choose_kernel(page) -> None:
    """Lab may ask which kernel to start (a notebook it has not seen): answer with the default, python3."""
    select = page.locator(".jp-Dialog button", has_text="Select")
    try:
        select.wait_for(state="visible", timeout=8_000)
    except Exception:  # playwright's TimeoutError: no dialog, the kernel started on its own
        return
    select.click()


def test_amounts_stay_plain_text_in_jupyterlab(tmp_path, lab):
    base, token = lab
    _notebook(tmp_path / "amounts.ipynb")
    with open_browser() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 1600})
        page = context.new_page()
        page.goto(f"{base}/lab/tree/amounts.ipynb?token={token}", wait_until="domcontentloaded")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
        _choose_kernel(page)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        deadline = time.monotonic() + 120
        while True:
            outputs = page.evaluate(OUTPUTS_JS)[: len(CELLS)]
            done = all(o["text"].strip() for o in outputs[1:]) and outputs[-1]["maths"] > 0
            if done or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        page.screenshot(path=str(tmp_path / "lab.png"), full_page=True)
        context.close()
    helpers, control = outputs[1:-1], outputs[-1]
    assert control["maths"] > 0, f"the control Markdown output was not typeset: {control}"
    for out in helpers:
        assert out["maths"] == 0, f"typeset as maths: {out}"
    shown = "\n".join(o["text"] for o in helpers)
    for text in (AMOUNTS, "NT$5 vs NT$6", "NT$51 – NT$137", "-NT$77 – -NT$94", "金卡 NT$30,000 – NT$50,000"):
        assert text in shown, f"{text!r} not shown as written:\n{shown}"
