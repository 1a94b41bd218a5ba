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
    text = f"{abs(value):,.{decimals}f}"
    sign = "-" if value < 0 and not _is_zero(text) else ""
    return f"{sign}{symbol}{text}"


def _is_zero(text: str) -> bool:
    """Whether a formatted number shows zero ("0", "-0.0", "+0.00"): no sign for what rounds to nothing."""
    return not any(ch in "123456789" for ch in text)


def _no_negative_zero(text: str) -> str:
    return text.replace("-", "", 1) if text.startswith("-") and _is_zero(text) else text


def number(value: float, decimals: int = 0) -> str:
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

HTML_LANG = {"zh-TW": "zh-Hant-TW", "en": "en"}
"""The ``lang`` attribute of a report's ``<html>`` element per report language (BCP 47)."""

_ZH_UNITS = ((1e8, "億"), (1e4, "萬"))
_EN_UNITS = ((1e9, "B"), (1e6, "M"), (1e3, "K"))


def currency_symbol(currency: str) -> str:
    """``TWD`` -> ``NT$``, ``HKD`` -> ``HK$``, ``USD`` -> ``US$``; other codes as ``"EUR "``."""
    return CURRENCY_SYMBOLS.get(currency, f"{currency} ")


def compact(value: float, lang: str, decimals: int = 1) -> str:
    """A large number the way the language abbreviates it: ``12,345,678`` -> ``1,234.6萬`` (zh-TW; 萬 =
    10^4, 億 = 10^8) or ``12.3M`` (en). Values below 10,000 (zh-TW) / 1,000 (en) are written in full."""
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
    """A change between two shares in percentage points, always signed: ``0.012`` -> ``+1.2 個百分點``
    (zh-TW) / ``+1.2 pp`` (en)."""
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

CJK_FONT_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK TC",  # Debian/Ubuntu fonts-noto-cjk (the project's setup installs it)
    "Noto Sans CJK HK",
    "Noto Sans CJK JP",
    "Noto Sans CJK SC",
    "Noto Sans TC",  # Google Fonts
    "Source Han Sans TC",
    "Source Han Sans TW",
    "PingFang TC",  # macOS
    "Heiti TC",
    "Microsoft JhengHei",  # Windows
    "WenQuanYi Zen Hei",
)
"""CJK-capable font families, in order of preference (Traditional Chinese first)."""

CJK_FONT_PACKAGE = "fonts-noto-cjk"
_CJK_PROBE = "會員營收"  # characters every Traditional Chinese font must have


class FontSetupError(RuntimeError):
    """No CJK-capable font is visible to matplotlib: Chinese plot text would render as empty boxes."""


def _font_has_glyphs(path, text: str = _CJK_PROBE) -> bool:
    from matplotlib import font_manager

    try:
        font = font_manager.get_font(path)
    except (OSError, RuntimeError):
        return False
    return all(font.get_char_index(ord(ch)) != 0 for ch in text)


def find_cjk_font(families: tuple[str, ...] = CJK_FONT_FAMILIES) -> str | None:
    """The first family of ``families`` that matplotlib knows and whose font file has Chinese glyphs."""
    from matplotlib import font_manager

    known = {entry.name for entry in font_manager.fontManager.ttflist}
    for family in families:
        if family not in known:
            continue
        try:
            path = font_manager.findfont(
                font_manager.FontProperties(family=family), fallback_to_default=False
            )
        except ValueError:
            continue
        if _font_has_glyphs(path):
            return family
    return None


def _rebuild_font_list() -> None:
    """Rescan the system fonts and rewrite matplotlib's font cache, updating the font manager IN PLACE
    (the Agg backend and ``font_manager.findfont`` hold references to the existing instance)."""
    from matplotlib import font_manager

    fresh = font_manager._load_fontmanager(try_read_cache=False)  # also rewrites fontlist-*.json
    font_manager.fontManager.__dict__.update(fresh.__dict__)
    font_manager.fontManager._findfont_cached.cache_clear()


def configure_fonts(lang: str = "zh-TW") -> str:
    """Make matplotlib draw Chinese with an installed CJK font and return that family's name.

    The CJK family goes first in ``font.sans-serif`` (its Latin glyphs are fine, and data text such as
    store names may be Chinese in an English report too), DejaVu Sans stays as fallback. When no CJK font
    is found, matplotlib's font list is rebuilt once (it is cached and may predate the font package); if
    there is still none, :class:`FontSetupError` names the package to install. Never silent tofu.
    """
    check_language(lang)
    import matplotlib as mpl

    family = find_cjk_font()
    if family is None:  # the cached font list may predate the font package: rebuild it once
        _rebuild_font_list()
        family = find_cjk_font()
    if family is None:
        raise FontSetupError(
            "i18n: no CJK font found for Chinese plot text (tried "
            + ", ".join(CJK_FONT_FAMILIES[:4])
            + f", ...; matplotlib's font list in {mpl.get_cachedir()} was rebuilt). Chinese text would "
            f"render as empty boxes. Install the Debian package {CJK_FONT_PACKAGE!r}: `make system`, or "
            f"`sudo apt-get install {CJK_FONT_PACKAGE}`."
        )
    rest = [f for f in mpl.rcParams["font.sans-serif"] if f != family]
    mpl.rcParams["font.family"] = "sans-serif"
    mpl.rcParams["font.sans-serif"] = [family, *rest]
    mpl.rcParams["axes.unicode_minus"] = True
    return family


CSS_FONT_STACK = (
    '"Noto Sans CJK TC", "Noto Sans TC", "Source Han Sans TC", "PingFang TC", "Microsoft JhengHei", '
    '"Heiti TC", system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
)
"""Font stack of the HTML reports: locally installed fonts only (reports are read offline)."""
