"""workbench.notebook in a real JupyterLab: amounts stay plain text (issue 14: Lab's MathJax typesets
Markdown and HTML outputs, so "NT$51 – NT$137" used to become maths).

The test starts JupyterLab on a free local port (token, no browser, its own runtime and workspace folders),
opens a small notebook in headless Chromium, runs every cell, and reads the rendered outputs: the helpers'
outputs show the amounts verbatim with no MathJax element, while a control cell that displays the same
text as Markdown IS typeset (so the check can fail). Marker ``browser``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from lab_kit import OUTPUTS_JS, open_and_run_all, start_lab
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


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server on 127.0.0.1 serving ``tmp_path``; yields (base URL, token)."""
    with start_lab(tmp_path) as server:
        yield server


def test_amounts_stay_plain_text_in_jupyterlab(tmp_path, lab):
    base, token = lab
    _notebook(tmp_path / "amounts.ipynb")
    with open_browser() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 1600})
        page = context.new_page()
        open_and_run_all(page, base, token, "amounts.ipynb")
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
