"""Numbers, money, percentages, dates and lists the way each report language writes them.

``money(1234567)`` -> ``NT$1,234,567``; ``money_compact(12_345_678, "TWD", "zh-TW")`` -> ``NT$1,234.6萬``
(``NT$12.3M`` in English); ``pct(0.123)`` -> ``12.3%``; ``date_label("2026-10-31", "zh-TW")`` ->
``2026年10月31日``. Nothing rounds to a negative zero; missing values show as ``–``.
"""

from __future__ import annotations

import pandas as pd

from workbench.i18n.catalog import check_language

CURRENCY_SYMBOLS = {"TWD": "NT$", "HKD": "HK$", "USD": "US$"}


def money(value: float, currency: str = "TWD", decimals: int = 0) -> str:
    """``NT$1,234,567``; negatives as ``-NT$1,234``; HKD as ``HK$``."""
    symbol = CURRENCY_SYMBOLS.get(currency, f"{currency} ")
    if value is None or pd.isna(value):
        return "–"
    text = f"{abs(value):,.{decimals}f}"
    sign = "-" if value < 0 and not _is_zero(text) else ""
    return f"{sign}{symbol}{text}"


def _is_zero(text: str) -> bool:
    """Whether a formatted number shows zero ("0", "-0.0", "+0.00"): no sign for what rounds to nothing."""
    return not any(ch in "123456789" for ch in text)


def _no_negative_zero(text: str) -> str:
    return text.replace("-", "", 1) if text.startswith("-") and _is_zero(text) else text


def number(value: float, decimals: int = 0) -> str:
    """A number with thousands separators and ``decimals`` places; ``–`` for a missing value."""
    if value is None or pd.isna(value):
        return "–"
    return _no_negative_zero(f"{value:,.{decimals}f}")


def pct(value: float, decimals: int = 1, *, signed: bool = False) -> str:
    """A share as a percentage: ``0.123`` -> ``12.3%`` (``+12.3%`` with ``signed``)."""
    if value is None or pd.isna(value):
        return "–"
    text = f"{value * 100:,.{decimals}f}"
    if _is_zero(text):
        text = text.lstrip("-")
    return f"{'+' if signed and not text.startswith('-') else ''}{text}%"


def month_label(month: str | pd.Period | pd.Timestamp, lang: str) -> str:
    """``2026-10`` -> ``2026年10月`` (zh-TW) or ``Oct 2026`` (en)."""
    check_language(lang)
    p = pd.Period(month, freq="M")
    return f"{p.year}年{p.month}月" if lang == "zh-TW" else p.strftime("%b %Y")


def date_label(value, lang: str) -> str:
    """``2026-10-31`` -> ``2026年10月31日`` (zh-TW) or ``31 Oct 2026`` (en)."""
    check_language(lang)
    ts = pd.Timestamp(value)
    return f"{ts.year}年{ts.month}月{ts.day}日" if lang == "zh-TW" else f"{ts.day} {ts.strftime('%b %Y')}"


# --------------------------------------------------------------------------------------------------------
# Locale details: compact amounts (萬/億 in Chinese, K/M/B in English), percentage points, periods.


_ZH_UNITS = ((1e8, "億"), (1e4, "萬"))
_EN_UNITS = ((1e9, "B"), (1e6, "M"), (1e3, "K"))


def currency_symbol(currency: str) -> str:
    """``TWD`` -> ``NT$``, ``HKD`` -> ``HK$``, ``USD`` -> ``US$``; other codes as ``"EUR "``."""
    return CURRENCY_SYMBOLS.get(currency, f"{currency} ")


def compact(value: float, lang: str, decimals: int = 1) -> str:
    """A large number the way the language abbreviates it.

    ``12,345,678`` -> ``1,234.6萬`` (zh-TW; 萬 = 10^4, 億 = 10^8) or ``12.3M`` (en). Values below 10,000 (zh-TW)
    / 1,000 (en) are written in full.
    """
    check_language(lang)
    if value is None or pd.isna(value):
        return "–"
    sign = "-" if value < 0 else ""
    size = abs(value)
    for unit, suffix in _ZH_UNITS if lang == "zh-TW" else _EN_UNITS:
        if size >= unit:
            text = (
                f"{size / unit:,.{decimals}f}".rstrip("0").rstrip(".") if decimals else f"{size / unit:,.0f}"
            )
            return f"{sign}{text}{suffix}"
    return f"{sign}{size:,.0f}"


def money_compact(value: float, currency: str, lang: str, decimals: int = 1) -> str:
    """``NT$1,234.6萬`` (zh-TW) / ``NT$12.3M`` (en); negatives as ``-NT$…``."""
    if value is None or pd.isna(value):
        return "–"
    text = compact(abs(value), lang, decimals)
    sign = "-" if value < 0 and not _is_zero(text) else ""
    return f"{sign}{currency_symbol(currency)}{text}"


def pct_points(value: float, lang: str, decimals: int = 1) -> str:
    """A change between two shares in percentage points, always signed.

    ``0.012`` -> ``+1.2 個百分點`` (zh-TW) / ``+1.2 pp`` (en).
    """
    check_language(lang)
    if value is None or pd.isna(value):
        return "–"
    unit = " 個百分點" if lang == "zh-TW" else " pp"
    text = f"{value * 100:+,.{decimals}f}"
    return ("+" + text[1:] if _is_zero(text) else text) + unit


def period_label(start, end, lang: str) -> str:
    """A date range: ``2026年9月1日至2026年9月30日`` (zh-TW) / ``1 Sep 2026 – 30 Sep 2026`` (en)."""
    sep = "至" if lang == "zh-TW" else " – "
    return f"{date_label(start, lang)}{sep}{date_label(end, lang)}"


def join_list(items: list[str], lang: str) -> str:
    """``A、B和C`` (zh-TW) / ``A, B and C`` (en)."""
    check_language(lang)
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    if lang == "zh-TW":
        head = "、".join(items[:-1])
        # Taiwanese typesetting puts a space between Chinese and Latin letters or digits: "Gold 5% 和 Silver"
        latin = head[-1:].isascii() and head[-1:].strip() or items[-1][:1].isascii() and items[-1][:1].strip()
        return head + (" 和 " if latin else "和") + items[-1]
    return ", ".join(items[:-1]) + " and " + items[-1]


# --------------------------------------------------------------------------------------------------------
# Fonts: Chinese text in plots must render with a CJK font, never as empty boxes ("tofu").
