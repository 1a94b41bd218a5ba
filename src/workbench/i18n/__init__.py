"""Report language.

``t(key, lang)`` over the catalogs in ``workbench/locales/``, number, money and date formats (``NT$1,234``,
``1,234.6萬`` / ``12.3M``, ``2026年10月31日``), and the CJK fonts of the plots.
"""

from workbench.i18n.catalog import HTML_LANG, LANGUAGES, catalog, check_language, t
from workbench.i18n.fonts import (
    CJK_FONT_FAMILIES,
    CJK_FONT_PACKAGE,
    CSS_FONT_STACK,
    FontSetupError,
    configure_fonts,
    find_cjk_font,
)
from workbench.i18n.formats import (
    CURRENCY_SYMBOLS,
    compact,
    currency_symbol,
    date_label,
    join_list,
    money,
    money_compact,
    month_label,
    number,
    pct,
    pct_points,
    period_label,
)

__all__ = [
    "CJK_FONT_FAMILIES",
    "CJK_FONT_PACKAGE",
    "CSS_FONT_STACK",
    "CURRENCY_SYMBOLS",
    "HTML_LANG",
    "LANGUAGES",
    "FontSetupError",
    "catalog",
    "check_language",
    "compact",
    "configure_fonts",
    "currency_symbol",
    "date_label",
    "find_cjk_font",
    "join_list",
    "money",
    "money_compact",
    "month_label",
    "number",
    "pct",
    "pct_points",
    "period_label",
    "t",
]
