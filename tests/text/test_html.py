"""workbench.text.html: text from params and data is always text (escaped, never Markdown, never maths)."""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest

from workbench.text import (
    INERT_CLASSES,
    escape,
    findings_html,
    heading_html,
    inert_html,
    kpi_cards_html,
    paragraph_html,
    table_html,
)

#: names a brand could give a tier or a store, each of which a Markdown or maths renderer would change
TRICKY = ["[金卡](javascript:alert(1))", "**bold** _it_", "<script>alert(1)</script>", "$x$ and $y$", "a & b"]


def _text(markup: str) -> str:
    """What a browser shows: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


@pytest.mark.parametrize("name", TRICKY)
def test_every_builder_shows_the_text_as_written(name):
    blocks = [
        heading_html(name, 1),
        paragraph_html(f"{name} grew"),
        findings_html([name], "en", title=name),
        kpi_cards_html([(name, name, name)]),
        table_html(pd.DataFrame({name: [name]}), "en", caption=name),
    ]
    for markup in blocks:
        assert name in _text(markup)  # shown verbatim
        assert "$" not in markup  # never two bare "$" (nor one): &#36;
        assert "<script" not in markup and "<a " not in markup and "<strong>" not in markup
        assert "<em>" not in markup


def test_escape_and_inert_html():
    assert escape("NT$1,200 – NT$1,500 <b>") == "NT&#36;1,200 – NT&#36;1,500 &lt;b&gt;"
    assert _text(escape("NT$1,200 & 'x'")) == "NT$1,200 & 'x'"
    wrapped = inert_html("<p>NT$1 to NT$2</p>")
    assert wrapped == f'<div class="{INERT_CLASSES}"><p>NT&#36;1 to NT&#36;2</p></div>'
    assert {"tex2jax_ignore", "mathjax_ignore"} <= set(INERT_CLASSES.split())


def test_paragraphs_and_headings():
    assert paragraph_html("one\n\n  two  \n") == "<p>one</p><p>two</p>"
    assert paragraph_html("x", note=True) == '<p class="wb-note">x</p>'
    assert heading_html("A $1 title", 3) == "<h3>A &#36;1 title</h3>"
    from workbench.errors import ArgumentError

    with pytest.raises(ArgumentError, match=r"heading_html: level must be 1, 2, 3 or 4; got 7"):
        heading_html("x", 7)
