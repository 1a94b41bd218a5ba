"""A real JupyterLab for the browser tests: started on a free local port with a token (its own runtime and
workspace folders, no browser, ``--allow-root``), a notebook opened in headless Chromium and run (Run All),
and the rendered outputs read back (their text and how many MathJax elements each holds)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

OUTPUTS_JS = """() => Array.from(document.querySelectorAll('.jp-Cell.jp-CodeCell')).map(cell => {
    const out = cell.querySelector('.jp-OutputArea');
    const prompt = cell.querySelector('.jp-InputPrompt');
    return {text: out ? out.innerText : '', prompt: prompt ? prompt.innerText : '',
            maths: out ? out.querySelectorAll('mjx-container, .MathJax, .MathJax_Display').length : 0,
            errors: out ? out.querySelectorAll('[data-mime-type="application/vnd.jupyter.error"]').length : 0};
})"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _settings(root: Path) -> Path:
    """User settings of the test's Lab: every cell rendered (Lab 4 draws only the cells in view by default,
    so the outputs of the others would not be in the page to read)."""
    folder = root / ".lab-settings"
    tracker = folder / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True, exist_ok=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}), encoding="utf-8")
    news = folder / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True, exist_ok=True)
    news.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}), encoding="utf-8")
    return folder


@contextlib.contextmanager
def start_lab(root: Path, *, env: dict | None = None):
    """A JupyterLab server on 127.0.0.1 serving ``root``; yields (base URL, token); stopped on exit."""
    port, token = free_port(), secrets.token_hex(16)
    env = {
        **{k: v for k, v in os.environ.items() if k != "MPLBACKEND"},
        "JUPYTER_RUNTIME_DIR": str(root / ".runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(root / ".workspaces"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "JUPYTERLAB_SETTINGS_DIR": str(_settings(root)),
        **(env or {}),
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
        f"--ServerApp.root_dir={root}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    log_path = root / "lab.log"
    log = open(log_path, "w", encoding="utf-8")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                assert proc.poll() is None, log_path.read_text(encoding="utf-8")
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


def choose_kernel(page) -> None:
    """Lab may ask which kernel to start (a notebook it has not seen): answer with the default, python3."""
    select = page.locator(".jp-Dialog button", has_text="Select")
    try:
        select.wait_for(state="visible", timeout=8_000)
    except Exception:  # playwright's TimeoutError: no dialog, the kernel started on its own
        return
    select.click()


def open_and_run_all(page, base: str, token: str, notebook: str) -> None:
    """Open ``notebook`` (a path under the server's root) in Lab, wait for its kernel, Run All Cells."""
    page.goto(f"{base}/lab/tree/{notebook}?token={token}", wait_until="domcontentloaded")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
    choose_kernel(page)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()


def wait_until_run(page, timeout: float = 300) -> list[dict]:
    """Outputs once every code cell has an execution count and the kernel is idle (or ``timeout`` passed)."""
    deadline = time.monotonic() + timeout
    while True:
        outputs = page.evaluate(OUTPUTS_JS)
        numbered = bool(outputs) and all(re.search(r"\[\d+\]", o["prompt"]) for o in outputs)
        idle = page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").count() > 0
        if (numbered and idle) or time.monotonic() > deadline:
            return outputs
        time.sleep(1.0)
