"""Safe by default: text from data is escaped (never runs), and no member id reaches a management page.

Fast tests check the building blocks (``workbench.notebook`` helpers, the report exporter's safety net) on
hand-made outputs. The end-to-end tests (marker ``browser``) run ``workbench report`` once on a demo brand
whose store names and a campaign arm were replaced by markup (``<script>alert(1)</script>``, an ``<img
onerror>``), open every published page in headless Chromium and watch for dialogs and script errors, then
scan every page for every member id of the input.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from report_kit import (
    IMG_XSS,
    POISONED_TIERS,
    XSS,
    DemoRun,
    PageCheck,
    background_runs,
    bare_dollars,
    open_browser,
    report_pages,
)

from workbench.report import has_active_content, neutralize_html, notebook_html, report_css
from workbench.text import kpi_cards_html, table_html

# markup that would run: a script tag, an event handler inside a tag, a javascript: URL in an attribute
ACTIVE = re.compile(r"<script|<[a-z][^<>]*\son\w+\s*=|<[a-z][^<>]*=\s*[\"']?\s*javascript:", re.I)
PNG_1PX = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


# --- building blocks ---------------------------------------------------------------------------------


def test_table_escapes_every_header_and_cell_and_formats_numbers():
    frame = pd.DataFrame(
        {"store": [XSS, "台北信義店"], IMG_XSS: [1234567.0, 0.5], "members": [1200, 3]},
        index=pd.Index(["<b>a</b>", "b"], name="seg<i>"),
    )
    out = table_html(
        frame,
        "zh-TW",
        index=True,
        formats={IMG_XSS: lambda v: f"NT${v:,.0f}"},
        headers={"members": "會員數"},
        caption=XSS,
    )
    assert not ACTIVE.search(out)
    assert "<b>" not in out and "<i>" not in out
    assert html.escape(XSS) in out and html.escape(IMG_XSS) in out and "&lt;b&gt;a&lt;/b&gt;" in out
    assert "NT&#36;1,234,567" in out and "1,200" in out and "會員數" in out  # "$" never typeset as maths
    assert '<td class="wb-text">台北信義店</td>' in out  # text left-aligned, numbers not
    assert "<td>1,200</td>" in out
    # figures already formatted as text are still right-aligned; words are not
    shown = table_html(
        pd.DataFrame({"k": ["淨營收", "回購率"], "v": ["NT$2,223,420", "-1.2 個百分點"]}), "zh-TW"
    )
    assert (
        '<td class="wb-text">淨營收</td><td>NT&#36;2,223,420</td>' in shown
        and "<td>-1.2 個百分點</td>" in shown
    )


def test_kpi_cards_and_findings_escape_their_text():
    from IPython.core.interactiveshell import InteractiveShell

    assert not ACTIVE.search(kpi_cards_html([(XSS, IMG_XSS, "javascript:x"), ("ok", "1")]))
    from workbench.notebook import findings

    shown = []
    shell = InteractiveShell.instance()
    shell.display_pub.publish = lambda data, **kw: shown.append(data)
    findings([f"{XSS} grew", IMG_XSS], "en")
    assert shown and not ACTIVE.search(shown[-1]["text/html"])
    assert html.escape(XSS) in shown[-1]["text/html"]


def test_figures_display_as_compact_png_with_their_title_as_alt_text():
    import base64
    import io
    import warnings

    import matplotlib.pyplot as plt
    from PIL import Image

    from workbench.i18n import configure_fonts
    from workbench.notebook import _png_with_alt, figure_alt

    with plt.rc_context(), warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph would be a UserWarning
        configure_fonts("zh-TW")
        fig, (a, b) = plt.subplots(1, 2)
        a.bar(["台北", "線上"], [1, 2])
        a.set_title("各通路營收")
        b.set(xlabel="月份", ylabel="會員數")
        assert figure_alt(fig) == "各通路營收; 會員數 / 月份"
        fig.suptitle("總覽")
        data, meta = _png_with_alt(fig)
    image = Image.open(io.BytesIO(base64.b64decode(data)))
    assert meta["alt"] == "總覽" and meta["width"] == image.width // 2
    assert image.mode == "P" and image.convert("RGB").getpixel((1, 1)) == (255, 255, 255)


def test_plot_text_from_data_is_never_parsed_as_math():
    """Two "$" in a label ("NT$100 – NT$200", a store called "$5 Shop $") would otherwise become mathtext."""
    import matplotlib.pyplot as plt

    from workbench.notebook import setup

    keep = ["display.max_columns", "display.max_rows", "display.width", "display.precision"]
    with plt.rc_context(), pd.option_context(*[x for k in keep for x in (k, pd.get_option(k))]):
        setup("en")  # (changes rcParams and pandas display options: both restored here)
        fig, ax = plt.subplots()
        ax.set_title("NT$100 – NT$200")
        fig.canvas.draw()
        assert ax.title.get_parse_math() is False
        assert ax.title._preprocess_math(ax.title.get_text()) == ("NT$100 – NT$200", False)
    with plt.rc_context({"text.parse_math": True}):  # the check can fail: matplotlib's default parses it
        fig, ax = plt.subplots()
        assert ax.set_title("NT$100 – NT$200")._preprocess_math("NT$100 – NT$200")[1] is True


def test_findings_escape_and_keep_the_summary_to_five():
    from workbench.text import findings_html

    out = findings_html([f"{XSS} {i}" for i in range(7)], "en")
    assert not ACTIVE.search(out) and out.count(html.escape(XSS)) == 7
    summary, more = out.split("<details", 1)
    assert summary.count("<li>") == 5 and more.count("<li>") == 2 and "2 more findings" in more
    assert "<details" not in findings_html(["a", "b", "c"], "zh-TW")


def test_active_content_detector():
    assert has_active_content(XSS) and has_active_content(IMG_XSS)
    assert has_active_content('<a href="javascript:alert(1)">x</a>')
    assert has_active_content('<img alt="x" src="https://cdn.example.com/a.png">')
    assert not has_active_content(f'<img alt="x" src="data:image/png;base64,{PNG_1PX}">')
    assert not has_active_content(pd.DataFrame({"store": [XSS]}).to_html())  # pandas escapes
    out = neutralize_html(f"<table><tr><td>{XSS}</td></tr></table>{IMG_XSS}")
    assert not ACTIVE.search(out) and html.escape(XSS) in out


def _poisoned_notebook():
    """An executed-looking notebook whose outputs carry data text unescaped in every way a notebook could."""
    nb = new_notebook()
    nb.metadata["papermill"] = {"parameters": {"language": "en"}}
    md = new_output(
        "display_data", data={"text/markdown": f"# Stores\n\nBest store: {XSS}", "text/plain": ""}
    )
    raw_html = new_output("display_data", data={"text/html": f"<p>Arm {XSS} and {IMG_XSS}</p>"})
    js = new_output("display_data", data={"application/javascript": "alert(3)", "text/plain": "js"})
    frame = new_output("execute_result", data={"text/html": pd.DataFrame({"arm": [XSS]}).to_html()})
    image = new_output("display_data", data={"image/png": PNG_1PX, "text/plain": "<Figure size 10x10>"})
    axes = new_output("execute_result", data={"text/plain": "<Axes: title={'center': 'x'}>"})
    stderr = new_output("stream", name="stderr", text="UserWarning: something\n")
    nb.cells = [
        new_markdown_cell(f"Markdown cell with {XSS}"),
        new_code_cell("x", outputs=[md, raw_html, js, frame]),
        new_code_cell("y", outputs=[image, axes, stderr]),
        new_code_cell("z", outputs=[]),
    ]
    return nb


def test_export_neutralizes_active_content_and_hides_code_and_noise():
    body = notebook_html(_poisoned_notebook(), "en", title="Safety")
    assert not ACTIVE.search(body), ACTIVE.findall(body)
    assert body.count(html.escape(XSS)) >= 4  # markdown cell, markdown output, HTML output, DataFrame
    assert "UserWarning" not in body and "&lt;Axes" not in body and "alert(3)" not in body
    assert 'alt="Stores"' in body  # the image got the nearest heading as alt text
    assert '<html lang="en">' in body and "<title>Safety</title>" in body
    assert "@media print" in body and not re.search(r"(src|href)=[\"']?(https?:|//)", body)
    assert report_css().strip() in body  # inlined whole (a "{#" in the CSS would cut it via Jinja)
    assert "In&nbsp;[" not in body and 'class="input' not in body


@pytest.mark.browser
def test_exported_page_runs_nothing_in_a_browser(tmp_path):
    page_file = tmp_path / "safety.html"
    page_file.write_text(notebook_html(_poisoned_notebook(), "zh-TW", title="安全"), encoding="utf-8")
    with open_browser() as browser:
        check, context, page = PageCheck.open(browser, page_file)
        text = page.inner_text("body")
        context.close()
    assert check.problems == []
    assert XSS in text and "alert(2)" in text  # shown as text


@pytest.mark.browser
def test_the_page_checks_catch_scripts_network_and_console_errors(tmp_path):
    """The harness the report checks rely on can fail: an unescaped page is caught on every count."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        f'<html><body><p>{XSS}</p><img src="https://cdn.example.com/x.png" alt="x">'
        '<script>console.error("boom")</script></body></html>',
        encoding="utf-8",
    )
    with open_browser() as browser:
        check, context, page = PageCheck.open(browser, bad)
        context.close()
    assert check.dialogs == ["alert: 1"]
    assert check.blocked == ["https://cdn.example.com/x.png"]
    assert any("boom" in m for m in check.console)


# --- end to end: a monthly run on data with markup in its names ------------------------------------


@pytest.fixture(scope="module")
def poisoned_run(request, tmp_path_factory) -> DemoRun:
    """zh-TW run on a demo whose store names and a campaign arm are markup (``report_kit.poison``)."""
    done = background_runs(request, tmp_path_factory).result("poisoned")
    assert done.month_dir is not None, done.log
    return done


@pytest.mark.browser
def test_markup_from_data_is_escaped_and_never_runs(poisoned_run):
    assert [r["name"] for r in poisoned_run.run["reports"] if r["status"] != "ok"] == [], poisoned_run.log
    pages = report_pages(poisoned_run.out)
    for path in pages:
        assert not ACTIVE.search(path.read_text(encoding="utf-8")), f"{path.name}: unescaped markup"
    shown = []
    with open_browser() as browser:
        for path in pages:
            check, context, page = PageCheck.open(browser, path)
            text = page.inner_text("body")
            context.close()
            assert check.problems == [], f"{path.name}: {check.problems}"
            if "alert(" in text:
                shown.append(path.name)
                assert any(m in text for m in (XSS, IMG_XSS, *POISONED_TIERS.values())), (
                    f"{path.name}: the markup was altered, not escaped"
                )
    names = {r["name"] for r in poisoned_run.run["reports"]}
    if names & {"campaign_ab"}:
        assert shown, "the campaign report should show the arm names as text"


@pytest.mark.browser
def test_reports_keep_data_text_escaped_without_the_safety_net(poisoned_run):
    """The notebooks escape data text themselves: no HTML/Markdown output of an executed notebook carries
    the injected markup raw (the exporter's ScriptGuardPreprocessor is only a net)."""
    raw = {}
    month_dir = poisoned_run.month_dir
    for nb_path in sorted(month_dir.glob("*.ipynb")):
        nb = nbformat.read(nb_path, as_version=4)
        for i, cell in enumerate(nb.cells):
            for out in cell.get("outputs", []):
                for mime in ("text/html", "text/markdown"):
                    value = out.get("data", {}).get(mime, "")
                    value = "".join(value) if isinstance(value, list) else value
                    if has_active_content(value, markdown=mime == "text/markdown"):
                        raw.setdefault(nb_path.stem, []).append(f"cell {i} {mime}")
    assert not raw, f"unescaped data text in notebook outputs: {raw}"


def test_the_dollar_scan_would_catch_maths(tmp_path):
    nb = new_notebook()
    nb.cells = [
        new_code_cell("x", outputs=[new_output("display_data", data={"text/html": "<p>NT$1 – NT$2</p>"})])
    ]
    nbformat.write(nb, tmp_path / "x.ipynb")
    assert bare_dollars(tmp_path) == {"x": ["cell 0: '<p>NT$1 – NT$2</p>'"]}


@pytest.mark.browser
def test_no_executed_notebook_holds_an_output_with_two_bare_dollars(poisoned_run):
    """Issue 14: in JupyterLab no amount pair is typeset as maths (the tier names carry "$x$" too)."""
    assert bare_dollars(poisoned_run.month_dir) == {}


INERT_JS = """() => ({
    links: Array.from(document.querySelectorAll('a')).map(a => a.getAttribute('href') || ''),
    emphasis: Array.from(document.querySelectorAll('strong, em, b, i')).map(e => e.innerText),
    scripts: document.scripts.length,
})"""


@pytest.mark.browser
def test_markdown_and_maths_in_tier_names_show_as_written(poisoned_run):
    """Tier names ``[金卡](javascript:alert(1))`` and ``**銀卡** $x$ _VIP_`` are text on every page: no link,
    no emphasis, no script, shown verbatim (checked in Chromium)."""
    names = list(POISONED_TIERS.values())
    tier_page = poisoned_run.report_html("tier_simulation")
    if not tier_page.is_file():
        pytest.skip("tier_simulation not in this run")
    with open_browser() as browser:
        for path in report_pages(poisoned_run.out):
            check, context, page = PageCheck.open(browser, path)
            found = page.evaluate(INERT_JS)
            text = page.inner_text("body")
            context.close()
            assert check.problems == [], f"{path.name}: {check.problems}"
            assert not [h for h in found["links"] if "javascript" in h.lower()], path.name
            assert not [e for e in found["emphasis"] if "銀卡" in e or "金卡" in e or "VIP" in e], path.name
            assert found["scripts"] == 0, path.name
            if path == tier_page:
                for name in names:
                    assert name in text, f"{name!r} not shown as written on the tier page"


@pytest.mark.browser
def test_no_member_id_in_any_management_page(poisoned_run):
    ids = set(poisoned_run.demo.transactions["member_id"].astype(str))
    ids |= set(poisoned_run.demo.members["member_id"].astype(str))
    assert len(ids) > 1000
    token = re.compile(r"[0-9A-Za-z_\-]+")
    leaks = {}
    pages = report_pages(poisoned_run.out)
    assert pages
    for path in pages:
        text = re.sub(r"data:[^\"'\s)]+", " ", path.read_text(encoding="utf-8"))  # embedded images
        found = ids.intersection(token.findall(text))
        if found:
            leaks[path.name] = sorted(found)[:5]
    assert not leaks, f"member ids in management pages: {leaks}"
    # audience files (member ids) are written only when audience_dir asks for them
    assert not list(Path(poisoned_run.out).rglob("*.csv"))


def test_the_id_scan_would_catch_a_leak(tmp_path):
    """The scan above can fail: an id in a table cell, padded with zeros, is found among the tokens."""
    page = tmp_path / "leak.html"
    page.write_text(table_html(pd.DataFrame({"member": ["0003503"], "spend": [1.0]}), "en"), encoding="utf-8")
    tokens = set(re.findall(r"[0-9A-Za-z_\-]+", page.read_text(encoding="utf-8")))
    assert "0003503" in tokens
