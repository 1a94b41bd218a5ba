"""A report notebook as an analyst runs it: notebooks/tier_simulation.ipynb opened in a real JupyterLab
(started by the test on a free local port), Run All on the demo data of the test's project, the
interactive tier panel on. The rendered outputs must show the amounts as plain text (no MathJax element
anywhere in the outputs, no error output), and the panel must render. Screenshots land in
``test-artifacts/lab/``. Marker ``browser``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from lab_kit import OUTPUTS_JS, open_and_run_all, start_lab, wait_until_run
from report_kit import ARTIFACTS, REPO, open_browser, write_demo

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOK = "tier_simulation"


def _project(root: Path) -> dict:
    """``root/notebooks/<NOTEBOOK>.ipynb`` (the panel switched on) reading ``root/data/demo`` as the
    notebook's default parameters do; returns the notebook's programme parameter."""
    write_demo(root / "data" / "demo", 3000)
    (root / "notebooks").mkdir()
    nb = json.loads((REPO / "notebooks" / f"{NOTEBOOK}.ipynb").read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
    source = "".join(cell["source"])
    assert "interactive = False" in source, "the tier notebook's parameters lost `interactive`"
    cell["source"] = source.replace("interactive = False", "interactive = True")
    (root / "notebooks" / f"{NOTEBOOK}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    namespace: dict = {}
    exec(source, namespace)  # the parameters cell: plain assignments
    return namespace


def test_tier_notebook_runs_in_jupyterlab_with_amounts_as_plain_text(tmp_path):
    from workbench.i18n import money
    from workbench.text.tiers import threshold_text
    from workbench.tiers import TierProgram

    params = _project(tmp_path)
    program = TierProgram.from_dict(params["program"])
    expected = [threshold_text(program, params["language"], params["currency"])]
    expected += [money(tier.upgrade, params["currency"]) for tier in program.tiers[1:]]
    shots = ARTIFACTS / "lab"
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    with start_lab(tmp_path) as (base, token), open_browser() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        try:
            open_and_run_all(page, base, token, f"notebooks/{NOTEBOOK}.ipynb")
            outputs = wait_until_run(page)
            page.wait_for_selector(
                ".jp-OutputArea .widget-slider, .jp-OutputArea .jupyter-widgets", timeout=60_000
            )
            outputs = page.evaluate(OUTPUTS_JS)
            page.locator(".jp-Cell").first.scroll_into_view_if_needed()
            page.screenshot(path=str(shots / f"{NOTEBOOK}_top.png"))
            page.locator(".jp-OutputArea img").nth(3).scroll_into_view_if_needed()
            page.screenshot(path=str(shots / f"{NOTEBOOK}_plots.png"))
            page.locator(".jp-OutputArea .widget-slider").first.scroll_into_view_if_needed()
            page.screenshot(path=str(shots / f"{NOTEBOOK}_panel.png"))
            panel = outputs[-1]["text"]
        finally:
            context.close()
    shown = "\n".join(o["text"] for o in outputs)
    assert [i for i, o in enumerate(outputs) if o["errors"]] == [], shown[-2000:]
    assert [i for i, o in enumerate(outputs) if o["maths"]] == [], "outputs typeset as maths"
    for text in expected:
        assert text in shown, f"{text!r} not shown as written"
    assert shown.count("NT$") >= 10, shown[:1000]
    # the panel: every slider with its unit, the thresholds as set
    top = program.tiers[-1]
    assert f"{top.name} 升等門檻（NT$）" in panel and f"{top.upgrade:,.0f}" in panel, panel
