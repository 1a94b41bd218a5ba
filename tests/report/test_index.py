"""workbench.report.index: the month page escapes the text it shows (run.json of ``first_run``)."""

from __future__ import annotations

import json

from report_kit import PROJECT_MONTH as MONTH


def test_month_index_escapes_text(first_run, tmp_path):
    from workbench.report import month_page

    src, _ = first_run
    run_json = json.loads((src / "reports" / MONTH / "run.json").read_text(encoding="utf-8"))
    run_json["reports"][0]["headlines"] = {"<script>alert(1)</script>": "<b>x</b>"}
    page = month_page(run_json)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;b&gt;x" in page
