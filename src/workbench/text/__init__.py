"""Words, display tables and HTML of the reports, one module per report area (``overview``, ``clv``, ``tiers``, ``experiments``), beside ``workbench.plots`` and ``workbench/locales``.

Computation never imports this package. The escaped HTML building blocks shared by every area are public here.
"""

from workbench.text.html import (
    INERT_CLASSES,
    SUMMARY_FINDINGS,
    escape,
    findings_html,
    heading_html,
    inert_html,
    kpi_cards_html,
    paragraph_html,
    table_html,
)

__all__ = [
    "INERT_CLASSES",
    "SUMMARY_FINDINGS",
    "escape",
    "findings_html",
    "heading_html",
    "inert_html",
    "kpi_cards_html",
    "paragraph_html",
    "table_html",
]
