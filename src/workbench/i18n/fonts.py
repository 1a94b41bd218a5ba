"""Fonts: Chinese text in plots must render with a CJK font, never as empty boxes ("tofu").

``configure_fonts(lang)`` puts an installed CJK family first in matplotlib's sans-serif list, or raises
``FontSetupError`` naming the Debian package to install.
"""

from __future__ import annotations

from workbench.errors import WorkbenchError
from workbench.i18n.catalog import check_language

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


class FontSetupError(WorkbenchError, RuntimeError):
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
    """Rescan the system fonts and rewrite matplotlib's font cache, updating the font manager IN PLACE (the Agg backend and ``font_manager.findfont`` hold references to the existing instance)."""
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
