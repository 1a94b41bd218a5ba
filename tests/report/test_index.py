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


def test_times_are_in_the_brand_time_zone_and_language():
    from workbench.report.index import local_time

    # 16:34 UTC is 00:34 the next day in Taipei (UTC+8, no daylight saving) and in Hong Kong
    assert local_time("2026-12-01T16:34:16Z", "Asia/Taipei", "zh-TW") == "2026年12月2日 00:34（台北時間）"
    assert local_time("2026-12-01T16:34:16Z", "Asia/Hong_Kong", "en") == "2 Dec 2026 00:34 (Hong Kong time)"
    assert local_time("2026-07-01T12:00:00Z", "Europe/Berlin", "en") == "1 Jul 2026 14:00 (UTC+02:00)"
    assert local_time(None, "Asia/Taipei", "en") == "–"


def test_the_zh_tw_month_index_has_no_english_words(first_run):
    """Every label of the month index in the report language: the run time in Taipei time, the inputs by
    their Chinese names, the parameters by their file (no code names such as audience_dir)."""
    import html
    import re

    from workbench.report import month_page

    src, _ = first_run
    run_json = json.loads((src / "reports" / MONTH / "run.json").read_text(encoding="utf-8"))
    run_json = {**run_json, "language": "zh-TW"}
    run_json["common"]["data"]["timezone"] = "Asia/Taipei"
    page = month_page(run_json)
    body = page.split("<body>", 1)[1]
    body = re.sub(r"<code>.*?</code>|<footer>.*?</footer>", " ", body, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", body))
    # file names (params/x.yaml, run.json) are names, not words; the fixture notebooks' names and headline
    # labels are their own (a project notebook's title and labels come from the catalog)
    text = re.sub(r"[\w./-]+\.(?:yaml|json|csv|parquet)\b", " ", text)
    for label in (k for r in run_json["reports"] for k in [r["name"], *r["headlines"]]):
        text = text.replace(label, " ")
    words = set(re.findall(r"[A-Za-z]{2,}", text)) - {"SHA"}
    assert words == set(), words
    assert "台北時間" in page and "UTC" not in text
