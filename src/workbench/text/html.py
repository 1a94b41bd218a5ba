"""Escaped HTML building blocks of every report: headings, paragraphs, tables, KPI cards, findings.

Text from params and data (tier, store and arm names, messages with amounts) is always text: ``escape``
turns ``<``, ``>`` and ``&`` into entities and every ``$`` into ``&#36;``, and ``inert_html`` wraps an
output in an element with the classes that MathJax 2 and 3 skip (``tex2jax_ignore mathjax_ignore``:
JupyterLab 4 typesets Markdown AND HTML outputs, so ``NT$1,200 – NT$1,500`` would become maths).
Nothing is ever Markdown: ``[金卡](javascript:alert(1))``, ``**bold**`` and ``$x$`` show as written.
``workbench.notebook`` displays every block through ``inert_html``.
"""

from __future__ import annotations

import html
import re

SUMMARY_FINDINGS = 5
"""At most this many findings open a report (the management summary: three to five plain sentences)."""

INERT_CLASSES = "wb-output tex2jax_ignore mathjax_ignore"
"""Classes of the element every displayed output is wrapped in (MathJax 2: tex2jax_ignore, 3: mathjax_ignore)."""


def escape(value) -> str:
    """Text for an HTML text node: ``&``, ``<``, ``>`` as entities and ``$`` as ``&#36;``.

    Parameters
    ----------
    value : Any
        Any value (shown as ``str(value)``).

    Returns
    -------
    str
        Markup that shows exactly the text and that no typesetter reads as maths.
    """
    return html.escape(str(value), quote=False).replace("$", "&#36;")


def inert_html(markup: str) -> str:
    """HTML the package built, wrapped so that neither JupyterLab nor a page with MathJax typesets it.

    Parameters
    ----------
    markup : str
        Escaped HTML (from the builders of this module).

    Returns
    -------
    str
        ``<div class="wb-output tex2jax_ignore mathjax_ignore">...</div>``, every ``$`` as ``&#36;``
        (so the saved notebook holds no output with two bare ``$`` either).
    """
    return f'<div class="{INERT_CLASSES}">{markup.replace("$", "&#36;")}</div>'


def heading_html(text, level: int = 2) -> str:
    """A heading ``<h1>``..``<h4>`` of escaped text.

    Parameters
    ----------
    text : str
        The heading (e.g. ``t("clv.title", lang)``).
    level : int
        1 (the report's title) to 4.

    Returns
    -------
    str
    """
    if level not in (1, 2, 3, 4):
        from workbench.errors import ArgumentError

        raise ArgumentError(f"heading_html: level must be 1, 2, 3 or 4; got {level!r}")
    return f"<h{level}>{escape(text)}</h{level}>"


def paragraph_html(text, *, note: bool = False) -> str:
    """Escaped prose: one ``<p>`` per paragraph (paragraphs separated by a blank line).

    Parameters
    ----------
    text : str
        Plain text (never Markdown).
    note : bool
        Set in the muted style of a side note (class ``wb-note``).

    Returns
    -------
    str
    """
    cls = ' class="wb-note"' if note else ""
    parts = [p.strip() for p in re.split(r"\n\s*\n", str(text)) if p.strip()]
    return "".join(f"<p{cls}>{escape(p)}</p>" for p in parts)


def findings_html(
    sentences: list[str], lang: str = "zh-TW", *, title: str | None = None, limit: int = SUMMARY_FINDINGS
) -> str:
    """The findings as an escaped HTML section.

    The first ``limit`` (most important first) as the summary, any further ones in a collapsed "more findings"
    list below it (nothing is dropped).
    """
    from workbench.i18n import t

    heading = escape(title or t("common.findings", lang))
    shown, more = list(sentences[:limit]), list(sentences[limit:])
    items = "".join(f"<li>{escape(s)}</li>" for s in shown)
    extra = ""
    if more:
        label = escape(t("common.more_findings", lang, n=len(more)))
        rest = "".join(f"<li>{escape(s)}</li>" for s in more)
        extra = f'<details class="wb-more-findings"><summary>{label}</summary><ul>{rest}</ul></details>'
    return f'<section class="wb-findings"><h3>{heading}</h3><ul>{items}</ul>{extra}</section>'


def _cell(value, fmt) -> str:
    import pandas as pd

    if fmt is not None:
        return fmt(value)
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


# a figure already formatted as text ("NT$1,234", "-4.5%", "+1.2 個百分點", "1,234.6萬", "–") is right-aligned
_FORMATTED_NUMBER = re.compile(
    r"^\s*[+\-−]?\s*(?:NT\$|HK\$|US\$|[A-Z]{3}\s)?[+\-−]?\d[\d,]*(?:\.\d+)?\s*"
    r"(?:%|萬|億|K|M|B|x|×|\s?個百分點|\s?pp|\s?s)?\s*$|^\s*[–—-]\s*$"
)


def _is_text_column(column) -> bool:
    import pandas as pd

    if pd.api.types.is_bool_dtype(column):
        return True
    if pd.api.types.is_numeric_dtype(column):
        return False
    values = [v for v in column.tolist() if isinstance(v, str)]
    return not values or not all(_FORMATTED_NUMBER.match(v) for v in values)


def table_html(
    frame,
    lang: str = "zh-TW",
    *,
    formats: dict | None = None,
    headers: dict[str, str] | None = None,
    index: bool = False,
    caption: str | None = None,
) -> str:
    """A frame as an HTML table in which EVERY header and cell is escaped (data such as store or campaign names may contain markup).

    ``formats`` maps column -> callable returning the shown text (e.g. ``lambda v: money(v, currency)``);
    ``headers`` maps column -> shown header (e.g. ``t("clv.x", lang)``). Text columns are left-aligned,
    numbers right-aligned. Never pass member-level frames to a management report: tables there are aggregates.
    """
    from workbench.i18n import check_language

    check_language(lang)
    formats = formats or {}
    headers = headers or {}
    frame = frame.reset_index() if index else frame
    esc = escape
    text_cols = {c for c in frame.columns if _is_text_column(frame[c])}
    left = ' class="wb-text"'
    head = "".join(
        f'<th scope="col"{left if c in text_cols else ""}>{esc(str(headers.get(c, c)))}</th>'
        for c in frame.columns
    )
    rows = []
    for values in frame.itertuples(index=False, name=None):
        tds = "".join(
            f"<td{left if c in text_cols else ''}>{esc(_cell(v, formats.get(c)))}</td>"
            for c, v in zip(frame.columns, values, strict=True)
        )
        rows.append(f"<tr>{tds}</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (
        f'<table class="wb-table">{cap}<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def kpi_cards_html(items) -> str:
    """Headline figures as cards.

    ``items`` = iterable of ``(label, value)`` or ``(label, value, change)`` (already formatted strings, e.g.
    from ``money``/``pct``); all text escaped.
    """
    esc = escape
    cards = []
    for item in items:
        label, value, *rest = item
        change = f'<span class="wb-kpi-change">{esc(str(rest[0]))}</span>' if rest and rest[0] else ""
        cards.append(
            f'<li class="wb-kpi"><span class="wb-kpi-label">{esc(str(label))}</span>'
            f'<span class="wb-kpi-value">{esc(str(value))}</span>{change}</li>'
        )
    return f'<ul class="wb-kpis">{"".join(cards)}</ul>'
