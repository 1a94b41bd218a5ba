"""Catalogs complete in both languages, locale formatting, and Chinese plot text drawn with a CJK font."""

from __future__ import annotations

import math
import re
import string
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib import font_manager

from workbench import i18n
from workbench.i18n import (
    LANGUAGES,
    catalog,
    compact,
    configure_fonts,
    date_label,
    fonts,
    join_list,
    money,
    money_compact,
    month_label,
    number,
    pct,
    pct_points,
    period_label,
    t,
)

# Characters that exist only in Simplified Chinese (their Traditional forms in comments are what Taiwan
# writes). A zh-TW message containing one of them was typed or converted in the wrong script.
SIMPLIFIED_ONLY = set(
    "会员营这个们时间实东门为对发数据务额销图级组计划优价单订费总线长变动现点区户头来说礼试验报显转换预测终贡献与槛进运营"
    "见关闭开页览选项设环节构产类别确认户罗马冲续实际当"
)


@pytest.fixture(autouse=True)
def _restore_rcparams():
    """configure_fonts changes matplotlib's global rcParams: restore them for the other test files."""
    with plt.rc_context():
        yield


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


# --- catalogs ----------------------------------------------------------------------------------------


def test_every_key_has_every_language_with_the_same_placeholders():
    problems = []
    for key, texts in catalog().items():
        if not isinstance(texts, dict):
            problems.append(f"{key}: not a mapping of language -> text")
            continue
        for lang in LANGUAGES:
            if not isinstance(texts.get(lang), str) or not texts[lang].strip():
                problems.append(f"{key}: missing or empty {lang!r}")
        extra = set(texts) - set(LANGUAGES)
        if extra:
            problems.append(f"{key}: unknown languages {sorted(extra)}")
        if all(isinstance(texts.get(lang), str) for lang in LANGUAGES):
            fields = {lang: _fields(texts[lang]) for lang in LANGUAGES}
            if fields["zh-TW"] != fields["en"]:
                problems.append(f"{key}: placeholders differ {fields}")
    assert not problems, "\n".join(problems)


def test_keys_are_prefixed_by_their_area_file():
    from importlib import resources

    import yaml

    problems = []
    for entry in resources.files("workbench.locales").iterdir():
        if not entry.name.endswith(".yaml"):
            continue
        area = entry.name.removesuffix(".yaml")
        for key in yaml.safe_load(entry.read_text(encoding="utf-8")) or {}:
            if "." not in key:
                problems.append(f"{entry.name}: key {key!r} has no area prefix")
    assert not problems, "\n".join(problems)
    assert area  # at least one catalog file was read


def test_traditional_chinese_texts_use_no_simplified_characters():
    bad = {
        key: sorted(set(texts["zh-TW"]) & SIMPLIFIED_ONLY)
        for key, texts in catalog().items()
        if isinstance(texts, dict) and isinstance(texts.get("zh-TW"), str)
    }
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, f"Simplified characters in zh-TW texts: {bad}"


def test_english_texts_contain_no_chinese():
    han = re.compile(r"[\u4e00-\u9fff]")
    bad = [k for k, v in catalog().items() if isinstance(v, dict) and han.search(str(v.get("en", "")))]
    assert not bad


def test_t_fills_placeholders_and_names_missing_keys_and_languages():
    assert t("common.findings", "zh-TW") == "重點發現"
    assert t("common.findings", "en") == "Key findings"
    assert t("common.generated_at", "en", date="1 Nov 2026") == "Generated 1 Nov 2026"
    with pytest.raises(KeyError, match="no message 'common.nope'"):
        t("common.nope", "en")
    with pytest.raises(ValueError, match=r"language must be one of .*'fr'"):
        t("common.findings", "fr")


# --- formatting --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "currency", "decimals", "expected"),
    [
        (1234567, "TWD", 0, "NT$1,234,567"),
        (1234567.5, "HKD", 2, "HK$1,234,567.50"),
        (-1234.4, "TWD", 0, "-NT$1,234"),
        (0.4, "HKD", 0, "HK$0"),
        (99.5, "USD", 0, "US$100"),
        (1000, "EUR", 0, "EUR 1,000"),
        (float("nan"), "TWD", 0, "–"),
        (None, "TWD", 0, "–"),
    ],
)
def test_money(value, currency, decimals, expected):
    assert money(value, currency, decimals) == expected


def test_nothing_rounds_to_a_negative_zero():
    assert money(-0.4, "TWD") == "NT$0" and money(-0.004, "HKD", 2) == "HK$0.00"
    assert number(-0.3) == "0" and number(-0.04, 1) == "0.0"
    assert pct(-0.00001) == "0.0%" and pct(-0.00001, signed=True) == "+0.0%"
    assert pct_points(-0.00001, "en") == "+0.0 pp"
    assert money_compact(-0.2, "TWD", "en") == "NT$0"
    assert money(-0.6, "TWD") == "-NT$1" and pct(-0.0006) == "-0.1%"


def test_number_and_pct():
    assert number(1234567.891, 2) == "1,234,567.89"
    assert number(np.int64(42)) == "42"
    assert pct(0.1234) == "12.3%"
    assert pct(0.05, 0) == "5%"
    assert pct(0.021, signed=True) == "+2.1%"
    assert pct(-0.021, signed=True) == "-2.1%"
    assert pct(math.nan) == "–"


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [
        (12_345_678, "zh-TW", "1,234.6萬"),
        (12_345_678, "en", "12.3M"),
        (250_000_000, "zh-TW", "2.5億"),
        (2_500_000_000, "en", "2.5B"),
        (10_000, "zh-TW", "1萬"),
        (9_999, "zh-TW", "9,999"),
        (15_000, "en", "15K"),
        (999, "en", "999"),
        (-52_000, "zh-TW", "-5.2萬"),
    ],
)
def test_compact_numbers_follow_the_language(value, lang, expected):
    assert compact(value, lang) == expected


def test_compact_money_and_percentage_points():
    assert money_compact(12_345_678, "TWD", "zh-TW") == "NT$1,234.6萬"
    assert money_compact(-3_400_000, "HKD", "en") == "-HK$3.4M"
    assert pct_points(0.0123, "zh-TW") == "+1.2 個百分點"
    assert pct_points(-0.004, "en") == "-0.4 pp"
    # independent check of the rounding: 0.0125 -> 1.25 points -> one decimal
    assert pct_points(0.0126, "en") == f"{1.26:+.1f} pp"


def test_dates_and_months_as_each_locale_writes_them():
    assert month_label("2026-10", "zh-TW") == "2026年10月"
    assert month_label("2026-10", "en") == "Oct 2026"
    assert date_label("2026-09-01", "zh-TW") == "2026年9月1日"
    assert date_label("2026-09-01", "en") == "1 Sep 2026"
    assert period_label("2026-09-01", "2026-09-30", "zh-TW") == "2026年9月1日至2026年9月30日"
    assert period_label("2026-09-01", "2026-09-30", "en") == "1 Sep 2026 – 30 Sep 2026"
    assert join_list(["台北", "台中", "高雄"], "zh-TW") == "台北、台中和高雄"
    assert join_list(["Taipei", "Taichung", "Kaohsiung"], "en") == "Taipei, Taichung and Kaohsiung"
    assert join_list(["Taipei"], "en") == "Taipei"
    assert join_list(["Gold 5%", "Silver 15%"], "zh-TW") == "Gold 5% 和 Silver 15%"
    assert join_list(["會員", "Silver"], "zh-TW") == "會員 和 Silver"


# --- fonts -------------------------------------------------------------------------------------------

CHINESE = "會員營收趨勢：門市與線上"


def _render_with_warnings(fig) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.canvas.draw()
    return [str(w.message) for w in caught]


def test_configure_fonts_finds_an_installed_cjk_font():
    family = configure_fonts("zh-TW")
    assert family in i18n.CJK_FONT_FAMILIES
    assert plt.rcParams["font.sans-serif"][0] == family
    path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    font = font_manager.get_font(path)
    # independent check with FreeType: every character of the test text has a glyph in that font
    assert all(font.get_char_index(ord(ch)) for ch in CHINESE)


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_chinese_plot_text_uses_the_cjk_font_without_missing_glyphs(lang):
    configure_fonts(lang)
    fig, ax = plt.subplots()
    ax.bar(["台北信義店", "線上商店"], [3, 5])
    ax.set(title=CHINESE, xlabel="門市", ylabel="營收 (NT$)")
    messages = _render_with_warnings(fig)
    assert not [m for m in messages if "missing from" in m or "Glyph" in m], messages
    texts = [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.get_xticklabels()]
    for text in texts:
        used = font_manager.get_font(font_manager.findfont(text.get_fontproperties()))
        assert "CJK" in used.family_name or used.family_name in i18n.CJK_FONT_FAMILIES, used.family_name
        assert all(used.get_char_index(ord(ch)) for ch in text.get_text() if not ch.isspace())


def test_without_configuration_the_default_font_would_draw_tofu():
    """The check above can fail: matplotlib's default font has no Chinese glyphs and warns."""
    with plt.rc_context({"font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans"]}):
        fig, ax = plt.subplots()
        ax.set_title(CHINESE)
        messages = _render_with_warnings(fig)
    assert any("missing from" in m for m in messages), messages
    dejavu = font_manager.get_font(font_manager.findfont("DejaVu Sans"))
    assert not fonts._font_has_glyphs(dejavu.fname)


def test_missing_cjk_font_is_a_setup_error_naming_the_package(monkeypatch):
    rebuilt = []
    monkeypatch.setattr(fonts, "find_cjk_font", lambda: None)
    monkeypatch.setattr(fonts, "_rebuild_font_list", lambda: rebuilt.append(False))
    with pytest.raises(i18n.FontSetupError, match=r"fonts-noto-cjk.*apt-get install fonts-noto-cjk"):
        configure_fonts("zh-TW")
    assert rebuilt == [False]  # the stale font cache was rebuilt once before giving up


def test_a_stale_font_cache_is_rebuilt_once(monkeypatch):
    real = fonts.find_cjk_font
    answers = iter([None])
    monkeypatch.setattr(fonts, "find_cjk_font", lambda: next(answers, None) or real())
    monkeypatch.setattr(fonts, "_rebuild_font_list", lambda: None)
    assert configure_fonts("en") in i18n.CJK_FONT_FAMILIES


def test_every_report_notebook_sets_up_fonts_before_plotting():
    """Report notebooks call ``workbench.notebook.setup(language)`` (CJK font, alt texts) in their first code
    cell after the parameters, and nothing afterwards resets matplotlib's fonts or style."""
    from pathlib import Path

    import nbformat

    notebooks = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
    if not notebooks:
        pytest.skip("no report notebooks yet")
    problems = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        code = [
            c.source
            for c in nb.cells
            if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])
        ]
        if not code or not re.search(r"\bsetup\(\s*(language=)?language\s*\)", code[0]):
            problems.append(f"{path.name}: first code cell does not call setup(language)")
        resets = [s for s in code if re.search(r"set_theme\(|sns\.set\(|rcParams\[.font|font\.family", s)]
        if resets:
            problems.append(f"{path.name}: resets fonts/style after setup")
    assert not problems, problems


def test_a_real_stale_font_cache_is_rebuilt(tmp_path):
    """A matplotlib font cache written before the CJK package was installed (simulated: a cache without
    the CJK fonts) is detected and rebuilt by configure_fonts, in a fresh process."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path), "MPLBACKEND": "Agg"}
    stale = (
        "from matplotlib import font_manager as fm\n"
        "fm.fontManager.ttflist = [f for f in fm.fontManager.ttflist if 'CJK' not in f.name]\n"
        "fm.json_dump(fm.fontManager, fm.Path(fm.mpl.get_cachedir(), f'fontlist-v{fm.FontManager.__version__}.json'))\n"
    )
    subprocess.run([sys.executable, "-c", stale], env=env, check=True, timeout=120)
    check = (
        "import warnings\n"
        "import matplotlib.pyplot as plt\n"
        "from workbench.i18n import configure_fonts, find_cjk_font\n"
        "assert find_cjk_font() is None, 'the cache is not stale'\n"
        "family = configure_fonts('zh-TW')\n"
        "warnings.simplefilter('error')\n"  # a missing glyph while drawing would raise
        "fig, ax = plt.subplots(); ax.set_title('會員營收'); fig.canvas.draw()\n"
        "print(family)\n"
    )
    done = subprocess.run([sys.executable, "-c", check], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() in i18n.CJK_FONT_FAMILIES


def test_catalog_messages_do_not_hard_code_a_currency():
    """Amounts are formatted for the brand's currency (NT$ or HK$): messages take the formatted amount or the
    symbol as a placeholder instead of writing ``NT$`` themselves."""
    symbols = ("NT$", "HK$", "US$")
    bad = sorted(
        (key, lang)
        for key, texts in catalog().items()
        if isinstance(texts, dict)
        for lang, text in texts.items()
        if isinstance(text, str) and any(s in text for s in symbols)
    )
    assert not bad, f"messages with a hard-coded currency symbol: {bad}"
