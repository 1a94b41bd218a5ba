"""The monthly reports as management sees them: a demo run opened from disk in headless Chromium, offline.

Once per language (session fixture), ``workbench report`` runs every report notebook on a 4,000-member
demo in a temp folder. Each published page (months index, month index, every report) is then opened from
disk with all non-file requests aborted, and must load with no failed request and no console error, show
every plot, show no code, and carry the key figures. Screenshots (laptop and phone width) and a PDF print
of every report land in ``test-artifacts/<language>/`` for review.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from report_kit import (
    ARTIFACTS,
    CODE_SELECTORS,
    IMAGES_JS,
    DemoRun,
    PageCheck,
    background_runs,
    bare_dollars,
    open_browser,
    platform_fonts,
    report_pages,
)

from workbench.i18n import HTML_LANG, money, number

pytestmark = pytest.mark.browser

PHONE = (390, 844)
# text that must never reach a management page
CODE_TEXT = re.compile(
    r"\bIn\s*\[\s*\d*\s*\]:|\bOut\s*\[\s*\d*\s*\]:|Traceback|Warning:|DeprecationWarning|<Axes|<Figure"
)
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:|//)""", re.I)


@pytest.fixture(scope="session", params=["zh-TW", "en"])
def demo_run(request, tmp_path_factory) -> DemoRun:
    """The monthly run in one language (started in the background with the session's other runs)."""
    shutil.rmtree(ARTIFACTS / request.param, ignore_errors=True)  # only this session's screenshots
    done = background_runs(request, tmp_path_factory).result(request.param)
    assert done.month_dir is not None, f"workbench report wrote no month folder:\n{done.log}"
    return done


@pytest.fixture(scope="session", params=["zh-TW", "en"])
def running_run(request, tmp_path_factory) -> DemoRun:
    """The campaign report alone for a month inside the demo campaign's window (2026-09: look 1 of 2)."""
    done = background_runs(request, tmp_path_factory).result(f"running-{request.param}")
    assert done.month_dir is not None, f"workbench report wrote no month folder:\n{done.log}"
    return done


@pytest.fixture(scope="session")
def browser():
    with open_browser() as b:
        yield b


def _artifact(language: str, name: str) -> Path:
    path = ARTIFACTS / language / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def test_the_monthly_run_succeeds_for_every_report(demo_run):
    assert demo_run.returncode == 0, demo_run.log
    reports = demo_run.run["reports"]
    assert reports, "no report notebooks ran"
    assert [r["name"] for r in reports if r["status"] != "ok"] == []
    for r in reports:
        assert demo_run.report_html(r["name"]).is_file()
    assert (demo_run.out / "index.html").is_file() and (demo_run.month_dir / "index.html").is_file()


def test_pages_are_self_contained_and_script_free(demo_run):
    for page in report_pages(demo_run.out):
        text = page.read_text(encoding="utf-8")
        assert not EXTERNAL.findall(text), f"{page.name} links outside the file: {EXTERNAL.findall(text)[:3]}"
        assert "<script" not in text.lower(), f"{page.name} contains a script"
        assert "<link" not in text.lower(), f"{page.name} fetches a stylesheet"
        assert f'lang="{HTML_LANG[demo_run.language]}"' in text or f'lang="{demo_run.language}"' in text
        assert page.stat().st_size < 4_000_000, f"{page.name}: {page.stat().st_size:,} bytes"


def test_no_executed_notebook_holds_an_output_with_two_bare_dollars(demo_run):
    """Issue 14: every output the notebooks display is inert HTML (no Markdown, no bare "$" pair), so
    JupyterLab's MathJax never turns "NT$1.2億 ... NT$51 – NT$137" into maths."""
    assert bare_dollars(demo_run.month_dir) == {}


def test_every_page_renders_offline_with_plots_and_no_code(demo_run, browser):
    problems = {}
    for path in report_pages(demo_run.out):
        check, context, page = PageCheck.open(browser, path)
        try:
            rel = path.relative_to(demo_run.out).as_posix()
            found = list(check.problems)
            images = page.evaluate(IMAGES_JS)
            found += [
                f"image not loaded: {i}" for i in images if not (i["complete"] and i["w"] > 0 and i["h"] > 0)
            ]
            found += [f"image without alt text: {i['src']}" for i in images if not i["alt"].strip()]
            if page.locator(CODE_SELECTORS).count():
                found.append(f"{page.locator(CODE_SELECTORS).count()} code elements visible")
            body = page.inner_text("body")
            found += [f"code/debug text: {m!r}" for m in CODE_TEXT.findall(body)]
            if path.parent == demo_run.month_dir and path.stem != "index":
                assert images, f"{rel}: a report without any plot"
            page.screenshot(path=_artifact(demo_run.language, rel.replace("/", "_") + ".png"), full_page=True)
            if found:
                problems[rel] = found
        finally:
            context.close()
    assert not problems, problems


SUMMARY_JS = """() => {
    const box = document.querySelector('.wb-findings');
    if (!box) return null;
    const firstImage = document.querySelector('img');
    const before = !firstImage || (box.compareDocumentPosition(firstImage) & Node.DOCUMENT_POSITION_FOLLOWING) > 0;
    const items = Array.from(box.querySelectorAll(':scope > ul > li')).map(li => li.innerText.trim());
    return {before, items};
}"""


def test_every_report_opens_with_a_summary_of_three_to_five_findings(demo_run, browser):
    """Management reads a summary first: 3-5 plain sentences generated from the numbers, above the plots."""
    problems = {}
    for r in demo_run.run["reports"]:
        _, context, page = PageCheck.open(browser, demo_run.report_html(r["name"]))
        summary = page.evaluate(SUMMARY_JS)
        context.close()
        if summary is None:
            problems[r["name"]] = "no findings section"
        elif not 3 <= len(summary["items"]) <= 5 or not all(len(s) > 15 for s in summary["items"]):
            problems[r["name"]] = f"{len(summary['items'])} summary findings: {summary['items']}"
        elif not summary["before"]:
            problems[r["name"]] = "the findings come after the first plot"
    assert not problems, problems


def test_reports_fit_a_phone_screen(demo_run, browser):
    """At phone width the page itself never scrolls sideways (wide tables scroll inside their box)."""
    wide = {}
    for r in demo_run.run["reports"]:
        check, context, page = PageCheck.open(browser, demo_run.report_html(r["name"]), viewport=PHONE)
        try:
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            page.screenshot(path=_artifact(demo_run.language, f"phone_{r['name']}.png"), full_page=False)
            if overflow > 2:
                wide[r["name"]] = overflow
        finally:
            context.close()
    assert not wide, f"pages wider than a phone screen by px: {wide}"


CELL_LINES_JS = """() => [...document.querySelectorAll('th, td')].filter(c => c.innerText.trim()).map(c => {
    const range = document.createRange();
    range.selectNodeContents(c);
    return [c.innerText.trim(), new Set([...range.getClientRects()].map(r => Math.round(r.top))).size];
})"""


def test_report_table_cells_stay_on_one_line_at_phone_width(demo_run, browser):
    """A tier name or a header never breaks into a character a line on a phone: the cell keeps its line and the
    table scrolls sideways inside its box (the page itself does not, see above)."""
    broken = {}
    for r in demo_run.run["reports"]:
        _, context, page = PageCheck.open(browser, demo_run.report_html(r["name"]), viewport=PHONE)
        try:
            cells = page.evaluate(CELL_LINES_JS)
        finally:
            context.close()
        assert cells, f"{r['name']}: no table cells"
        lines = [text for text, n in cells if n > 1]
        if lines:
            broken[r["name"]] = lines[:5]
    assert not broken, f"table cells on more than one line at phone width: {broken}"


def test_reports_print_to_pdf(demo_run, browser):
    for r in demo_run.run["reports"]:
        _, context, page = PageCheck.open(browser, demo_run.report_html(r["name"]))
        try:
            page.emulate_media(media="print")
            pdf = page.pdf(format="A4", print_background=True)
        finally:
            context.close()
        assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
        _artifact(demo_run.language, f"{r['name']}.pdf").write_bytes(pdf)


_FIGURE = re.compile(r"([+\-−]?)\s*(NT\$|HK\$|US\$)?\s*([+\-−]?)(\d[\d,]*(?:\.\d+)?)\s*(萬|億|K|M|B|%)?")
_UNIT = {"萬": 1e4, "億": 1e8, "K": 1e3, "M": 1e6, "B": 1e9, "%": 1.0, None: 1.0}


def _figures(text: str):
    """(value, half a unit of its last shown digit, is_percent) for every number written in ``text``."""
    for m in _FIGURE.finditer(text):
        sign = -1 if (m.group(1) or m.group(3)) in ("-", "−") else 1
        digits, unit = m.group(4).replace(",", ""), m.group(5)
        decimals = len(digits.split(".")[1]) if "." in digits else 0
        scale = _UNIT[unit]
        yield sign * float(digits) * scale, 0.5 * 10**-decimals * scale, unit == "%"


def figure_in_text(value: str, text: str) -> bool | None:
    """Whether the headline figure ``value`` is stated in ``text``: verbatim, or the same number written
    with more precision (``NT$8.2M`` in the index, ``NT$8,237,630`` in the report). None: not a figure."""
    if value in text:
        return True
    wanted = list(_figures(value))
    if len(wanted) != 1:
        return None
    x, tol, percent = wanted[0]
    return any(abs(y - x) <= tol + 1e-9 and p == percent for y, _, p in _figures(text))


def test_figure_matching_is_strict_enough():
    assert figure_in_text("NT$8.2M", "profit NT$8,237,630 next year")
    assert figure_in_text("NT$823.8萬", "毛利 NT$8,237,630")
    assert not figure_in_text("NT$8.2M", "profit NT$8,337,630")
    assert not figure_in_text("55.8%", "55.8 members")
    assert figure_in_text("-0.4%", "actual (-0.4%)")
    assert figure_in_text("精準勝出", "no verdict here") is None


def test_headline_figures_appear_in_the_report_and_the_index(demo_run, browser):
    """Every headline figure the index lists is stated in its report (verbatim or more precisely)."""
    _, context, page = PageCheck.open(browser, demo_run.month_dir / "index.html")
    index_text = page.inner_text("body")
    context.close()
    missing = []
    for r in demo_run.run["reports"]:
        assert r["headlines"], f"{r['name']} published no headline figures"
        _, context, page = PageCheck.open(browser, demo_run.report_html(r["name"]))
        text = page.inner_text("body")
        context.close()
        for label, value in r["headlines"].items():
            if figure_in_text(value, text) is False:
                missing.append(f"{r['name']}: {label} = {value} not in the report")
            if value not in index_text or label not in index_text:
                missing.append(f"{r['name']}: {label} = {value} not in the month index")
    assert not missing, missing


def test_overview_figures_match_a_direct_pandas_computation(demo_run, browser):
    """Active members and net revenue of the month, computed here from the parquet, are on the page."""
    if not demo_run.report_html("member_overview").is_file():
        pytest.skip("member_overview not in this run")
    tx = pd.read_parquet(demo_run.data_dir / "transactions.parquet")
    month = pd.Period(demo_run.run["month"], freq="M")
    in_month = tx[tx["ordered_at"].dt.to_period("M") == month]
    active = in_month.loc[in_month["amount"] >= 0, "member_id"].nunique()
    net = in_month["amount"].sum()
    _, context, page = PageCheck.open(browser, demo_run.report_html("member_overview"))
    text = page.inner_text("body")
    context.close()
    assert number(active) in text
    assert money(net, demo_run.currency) in text


def test_amounts_are_written_in_the_brand_currency(demo_run, browser):
    """The en run reports a Hong Kong brand (HKD): no amount may come out as NT$, and the other way round."""
    from workbench.i18n import CURRENCY_SYMBOLS

    own = CURRENCY_SYMBOLS[demo_run.currency]
    others = [s for c, s in CURRENCY_SYMBOLS.items() if c != demo_run.currency]
    wrong, missing = {}, []
    for r in demo_run.run["reports"]:
        _, context, page = PageCheck.open(browser, demo_run.report_html(r["name"]))
        text = page.inner_text("body")
        alts = " ".join(i["alt"] for i in page.evaluate(IMAGES_JS))
        context.close()
        found = [s for s in others if s in text or s in alts]
        if found:
            wrong[r["name"]] = [
                m.group(0) for s in found for m in re.finditer(re.escape(s) + r"[^\s]{0,12}", text)
            ][:5]
        if own not in text:
            missing.append(r["name"])
    assert not wrong, f"amounts in another currency than {own}: {wrong}"
    assert not missing, f"reports without any {own} amount: {missing}"


def test_chinese_text_is_drawn_with_a_cjk_font(demo_run, browser):
    """In the browser, Chromium draws the page's Chinese with a CJK font; in the kernel, no plot text had a
    missing glyph (matplotlib warns per missing glyph; the executed notebooks keep their stderr)."""
    if demo_run.language != "zh-TW":
        pytest.skip("Chinese text is checked in the zh-TW run")
    for r in demo_run.run["reports"]:
        check, context, page = PageCheck.open(browser, demo_run.report_html(r["name"]))
        try:
            heading = page.inner_text("h1") if page.locator("h1").count() else page.title()
            assert re.search(r"[\u4e00-\u9fff]", heading), f"{r['name']}: heading {heading!r} is not Chinese"
            drawn = {sel: platform_fonts(context, page, sel) for sel in ("h1", ".wb-findings li", "th")}
        finally:
            context.close()
        for selector, fonts in drawn.items():
            if fonts:  # an element the page does not have reports no fonts
                assert any("CJK" in f or " TC" in f for f in fonts), (
                    f"{r['name']}: {selector} drawn with {fonts}"
                )
        assert drawn["h1"], f"{r['name']}: no h1 drawn"
        nb = nbformat.read(demo_run.month_dir / f"{r['name']}.ipynb", as_version=4)
        stderr = "".join(
            o.get("text", "")
            for c in nb.cells
            if c.cell_type == "code"
            for o in c.outputs
            if o.output_type == "stream" and o.get("name") == "stderr"
        )
        assert "missing from font" not in stderr and "Glyph" not in stderr, stderr[:500]


# the campaign page inside and after the window (issue 12): words per language
CAMPAIGN_WORDS = {
    "running": {
        "en": (
            "running, look 1 of 2",
            "this report is look 1 of 2",
            "always-valid",
            "Trend: targeted minus blanket",
        ),
        "zh-TW": (
            "進行中，第 1 次檢視（共 2 次）",
            "本報告是第 1 次檢視（共 2 次）",
            "隨時有效",
            "趨勢：每月底精準減全面",
        ),
    },
    "ended": {
        "en": ("ended: ", "this is the final analysis", "fixed-horizon", "Trend: targeted minus blanket"),
        "zh-TW": ("已結束：", "本報告是整個活動期間的最終分析", "固定樣本", "趨勢：每月底精準減全面"),
    },
}
VERDICT_HEADING = {"en": "Verdict: targeted vs blanket", "zh-TW": "結論：精準對比全面"}


def _campaign_page(run: DemoRun, browser, phase: str) -> None:
    status, banner, interval, trend = CAMPAIGN_WORDS[phase][run.language]
    entry = next(r for r in run.run["reports"] if r["name"] == "campaign_ab")
    assert entry["status"] == "ok", run.log
    _, context, page = PageCheck.open(browser, run.month_dir / "index.html")
    index_text = page.inner_text("body")
    context.close()
    assert status in index_text  # the month's index shows the campaign's status in the report language
    check, context, page = PageCheck.open(browser, run.report_html("campaign_ab"))
    try:
        text = page.inner_text("body")
        images = page.evaluate(IMAGES_JS)
        page.screenshot(path=_artifact(run.language, f"campaign_ab_{phase}.png"), full_page=True)
    finally:
        context.close()
    assert not check.problems, check.problems
    assert banner in text and interval in text and trend in text
    assert all(i["complete"] and i["w"] > 0 for i in images)
    alts = " ".join(i["alt"] for i in images)
    assert len(images) == (2 if phase == "running" else 5), alts  # lift + trend (+ segments, money, policy)
    if phase == "running":
        assert VERDICT_HEADING[run.language] not in text  # no verdict from a noisy month
    else:
        assert VERDICT_HEADING[run.language] in text
    ids = run.demo.campaign["member_id"]
    assert not any(m in text for m in (ids.iloc[0], ids.iloc[len(ids) // 2], ids.iloc[-1]))


def test_campaign_page_inside_the_window_is_a_look_with_always_valid_intervals(running_run, browser):
    assert running_run.returncode == 0, running_run.log
    assert running_run.run["month"] == "2026-09"
    _campaign_page(running_run, browser, "running")


def test_campaign_page_after_the_window_is_the_final_analysis(demo_run, browser):
    assert demo_run.run["month"] == "2026-10"  # the latest complete month, after the window (1 Sep - 31 Oct)
    _campaign_page(demo_run, browser, "ended")


def _top_share_direct(tx: pd.DataFrame, month: str, days: int = 365, top: float = 0.05) -> float:
    """Revenue share of the top ``top`` of the members who bought in the ``days`` days up to the end of
    ``month``, straight from the log with pandas (purchases only, as the member features count them)."""
    import math

    as_of = pd.Period(month, freq="M").end_time.normalize() + pd.Timedelta(days=1)
    window = tx[
        (tx["amount"] >= 0)
        & (tx["ordered_at"] >= as_of - pd.Timedelta(days=days))
        & (tx["ordered_at"] < as_of)
    ]
    spend = window.groupby("member_id")["amount"].sum().sort_values(ascending=False)
    return spend.iloc[: math.ceil(top * len(spend))].sum() / spend.sum()


def test_the_overview_and_the_tier_page_agree_on_every_figure_they_both_report(demo_run, browser):
    """Issue 14: a figure that two reports both state is one figure. Every headline label the member overview
    and the tier page share carries the same value in both, each page states it, the label names its
    window, and the value equals a direct pandas computation of the top 5% of the window's buyers."""
    from workbench.i18n import pct, t

    reports = {r["name"]: r for r in demo_run.run["reports"]}
    if not {"member_overview", "tier_simulation"} <= set(reports):
        pytest.skip("the overview or the tier page is not in this run")
    overview, tiers = reports["member_overview"]["headlines"], reports["tier_simulation"]["headlines"]
    shared = sorted(set(overview) & set(tiers))
    label = t("overview.headline.top_share", demo_run.language, top="5%", window="365")
    assert label in shared, f"the pages share no concentration figure: {sorted(overview)} / {sorted(tiers)}"
    assert {k: tiers[k] for k in shared} == {k: overview[k] for k in shared}
    tx = pd.read_parquet(demo_run.data_dir / "transactions.parquet")
    assert overview[label] == pct(_top_share_direct(tx, demo_run.run["month"]))
    for name in ("member_overview", "tier_simulation"):
        _, context, page = PageCheck.open(browser, demo_run.report_html(name))
        text = page.inner_text("body")
        context.close()
        for key in shared:
            assert figure_in_text(overview[key], text), f"{name} does not state {key} = {overview[key]}"


#: words a zh-TW page may show in Latin letters: units and currency symbols, the names of the methods and
#: models the reports use (product names), statistical symbols and abbreviations a reader looks up as such
LATIN_ALLOWED = {
    *("NT", "HK", "US", "SHA"),
    *("BG", "NBD", "MBG", "Pareto", "Gamma", "CLV", "RFM", "NES", "R", "F", "M", "VIP"),
    *("SRM", "CUPED", "ROI", "Holm", "Bonferroni", "p", "r", "q", "a", "b", "v", "alpha", "e", "x"),
    *("EDM", "LINE", "Meta"),  # the send lists' channels: product names
}
TEXT_JS = """() => {
    document.querySelectorAll('footer, code, pre').forEach(e => e.remove());
    return document.body.innerText; }"""
#: the campaign pages, checked on their own (the month index repeats their headline labels)
OTHERS_PAGES = ("campaign_ab", "campaign_design")


def _brand_words(demo_run) -> set[str]:
    """Latin words of the brand's own data and params: store, channel and arm names in the data, tier
    names, arm names and offers in the params."""
    import yaml

    texts: list[str] = []
    demo = demo_run.demo
    for frame in (demo.transactions, demo.members, demo.campaign):
        for column in frame.columns:
            if isinstance(frame[column].dtype, pd.CategoricalDtype) or frame[column].dtype == object:
                texts += [str(v) for v in frame[column].dropna().unique()[:200]]

    def walk(value):
        if isinstance(value, dict):
            for k, v in value.items():
                if k in ("name", "offer", "arm", "control", "targeted", "blanket") and isinstance(v, str):
                    texts.append(v)
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for path in (demo_run.out.parent / f"params-{demo_run.kind}").glob("*.yaml"):
        walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    return {w for text in texts for w in re.findall(r"[A-Za-z]+", text)}


def _english_words(demo_run, browser, pages, *, leave_out=()) -> dict[str, list[str]]:
    """Per page, the Latin words not allowed (``leave_out``: texts of others, e.g. their headline labels)."""
    brand = _brand_words(demo_run)
    found = {}
    for path in pages:
        _, context, page = PageCheck.open(browser, path)
        text = page.evaluate(TEXT_JS)
        context.close()
        for other in leave_out:
            text = text.replace(other, " ")
        text = re.sub(r"[\w./-]+\.(?:yaml|json|csv|parquet|txt|html)\b", " ", text)  # file names
        tokens = {w.strip("-") for w in re.findall(r"[A-Za-z][A-Za-z-]*", text)}
        words = sorted(tokens - LATIN_ALLOWED - brand)
        words = [w for w in words if not set(w.split("-")) <= LATIN_ALLOWED | brand]
        if words:
            found[path.relative_to(demo_run.out).as_posix()] = words
    return found


def test_zh_tw_pages_have_no_english_words(demo_run, browser):
    """Issue 14: the zh-TW index pages and reports show no English words except the brand's data, product
    and method names, and units (file names and the package versions in the footer are names too)."""
    if demo_run.language != "zh-TW":
        pytest.skip("the zh-TW run")
    pages = [p for p in report_pages(demo_run.out) if p.stem not in OTHERS_PAGES]
    assert len(pages) >= 4
    # the month index lists the campaign pages' headline labels and values: their words are theirs
    others = [
        text
        for r in demo_run.run["reports"]
        if r["name"] in OTHERS_PAGES
        for item in (r["headlines"] or {}).items()
        for text in item
    ]
    assert _english_words(demo_run, browser, pages, leave_out=others) == {}


def test_zh_tw_campaign_pages_have_no_english_words(demo_run, browser):
    if demo_run.language != "zh-TW":
        pytest.skip("the zh-TW run")
    pages = [p for p in report_pages(demo_run.out) if p.stem in OTHERS_PAGES]
    assert _english_words(demo_run, browser, pages) == {}


def test_the_index_pages_fit_a_phone_screen(demo_run, browser):
    """The months index and the month index never scroll sideways at phone width (the reports table stacks
    its cells); their phone screenshots land beside the reports'."""
    wide = {}
    for path, name in ((demo_run.out / "index.html", "months"), (demo_run.month_dir / "index.html", "month")):
        _, context, page = PageCheck.open(browser, path, viewport=PHONE)
        try:
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            page.screenshot(path=_artifact(demo_run.language, f"phone_index_{name}.png"), full_page=True)
            if overflow > 2:
                wide[name] = overflow
        finally:
            context.close()
    assert not wide, f"index pages wider than a phone screen by px: {wide}"
