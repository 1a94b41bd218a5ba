"""What report notebooks call for setup and for the parts of the page the report runner reads.

Contract with ``workbench.report``:

* ``headlines({...})`` emits the notebook's headline figures (label -> formatted value) as display data
  of MIME type ``application/vnd.workbench.headlines+json``; the runner lists them in the month's index.
  nbconvert's HTML export ignores that MIME type, so nothing shows in the report itself.
* ``findings([...], lang)`` shows plain-language findings as an escaped HTML list.
"""

from __future__ import annotations

import html

HEADLINES_MIME = "application/vnd.workbench.headlines+json"


def headlines(mapping: dict[str, str]) -> None:
    from IPython.display import display

    display({HEADLINES_MIME: {str(k): str(v) for k, v in mapping.items()}}, raw=True)


def findings(sentences: list[str], lang: str = "zh-TW", *, title: str | None = None) -> None:
    from IPython.display import HTML, display

    from workbench.i18n import t

    heading = html.escape(title or t("common.findings", lang))
    items = "".join(f"<li>{html.escape(s)}</li>" for s in sentences)
    display(HTML(f'<section class="wb-findings"><h3>{heading}</h3><ul>{items}</ul></section>'))
