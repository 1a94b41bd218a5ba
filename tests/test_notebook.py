"""workbench.notebook: ``setup`` sets display options and warning filters local to the kernel."""

from __future__ import annotations


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


def _published(call) -> list[dict]:
    """The display data a helper publishes (through IPython's display publisher)."""
    from IPython.core.interactiveshell import InteractiveShell

    shown = []
    shell = InteractiveShell.instance()
    saved = shell.display_pub.publish
    shell.display_pub.publish = lambda data, **kw: shown.append(data)
    try:
        call()
    finally:
        shell.display_pub.publish = saved
    return shown


def test_every_display_helper_shows_inert_escaped_html():
    """heading, paragraph, findings, table, kpi_cards and show_html: HTML only (never Markdown), wrapped in
    the element MathJax skips, no bare "$" (JupyterLab would typeset "NT$1 – NT$2" as maths)."""
    import pandas as pd

    from workbench.notebook import findings, heading, kpi_cards, paragraph, show_html, table
    from workbench.text import INERT_CLASSES

    name = "[金卡](javascript:alert(1)) **粗體** $x$ <script>"
    calls = [
        lambda: heading(name, 1),
        lambda: paragraph(f"NT$1,200 – NT$1,500 for {name}"),
        lambda: findings([name, "NT$5 vs NT$6"], "zh-TW"),
        lambda: table(pd.DataFrame({"tier": [name], "spend": ["NT$1,200"]}), "zh-TW"),
        lambda: kpi_cards([(name, "NT$1", "NT$2")]),
        lambda: show_html("<p>NT$1 and NT$2</p>"),
    ]
    for call in calls:
        (data,) = _published(call)
        assert set(data) == {"text/html", "text/plain"}  # no text/markdown
        markup = data["text/html"]
        assert markup.startswith(f'<div class="{INERT_CLASSES}">') and markup.endswith("</div>")
        assert (
            "$" not in markup and "<script" not in markup and "<a " not in markup and "<strong" not in markup
        )
    (data,) = _published(lambda: paragraph(name))
    assert "[金卡](javascript:alert(1)) **粗體** &#36;x&#36; &lt;script&gt;" in data["text/html"]
