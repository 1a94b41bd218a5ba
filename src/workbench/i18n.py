"""Language and number formatting for reports: ``t(key, lang)`` and currency/number/date formatters.

Messages live in ``workbench/locales/<area>.yaml`` (one file per report area, each owned by that area):

    clv.title:
      en: Customer lifetime value
      zh-TW: 顧客終身價值
    clv.top_decile_share:
      en: "The top 10% of members hold {share} of next year's value."
      zh-TW: "前 10% 會員占明年價值的 {share}。"

Every key must have every language in ``LANGUAGES``; a missing key or language raises ``KeyError``
naming both (a test walks all catalogs).
"""

from __future__ import annotations

import functools
from importlib import resources

import pandas as pd
import yaml

LANGUAGES: tuple[str, ...] = ("zh-TW", "en")
CURRENCY_SYMBOLS = {"TWD": "NT$", "HKD": "HK$", "USD": "US$"}


@functools.cache
def catalog() -> dict[str, dict[str, str]]:
    """All messages of all areas, merged (duplicate keys across files are an error)."""
    merged: dict[str, dict[str, str]] = {}
    for entry in sorted(resources.files("workbench.locales").iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".yaml"):
            continue
        data = yaml.safe_load(entry.read_text(encoding="utf-8")) or {}
        for key, texts in data.items():
            if key in merged:
                raise ValueError(f"i18n: key {key!r} defined twice (again in {entry.name})")
            merged[key] = texts
    return merged


def check_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {lang!r}")
    return lang


def t(key: str, lang: str, /, **values) -> str:
    """The message ``key`` in ``lang``, with ``{placeholders}`` filled from ``values``."""
    check_language(lang)
    texts = catalog().get(key)
    if texts is None:
        raise KeyError(f"i18n: no message {key!r}")
    if lang not in texts:
        raise KeyError(f"i18n: message {key!r} has no {lang!r} text")
    return texts[lang].format(**values) if values else texts[lang]


def money(value: float, currency: str = "TWD", decimals: int = 0) -> str:
    """``NT$1,234,567``; negatives as ``-NT$1,234``; HKD as ``HK$``."""
    symbol = CURRENCY_SYMBOLS.get(currency, f"{currency} ")
    if value is None or pd.isna(value):
        return "–"
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol}{abs(value):,.{decimals}f}"


def number(value: float, decimals: int = 0) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{value:,.{decimals}f}"


def pct(value: float, decimals: int = 1, *, signed: bool = False) -> str:
    """A share as a percentage: ``0.123`` -> ``12.3%`` (``+12.3%`` with ``signed``)."""
    if value is None or pd.isna(value):
        return "–"
    return f"{value * 100:{'+' if signed else ''},.{decimals}f}%"


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
