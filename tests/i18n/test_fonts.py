"""workbench.i18n.fonts: Chinese plot text drawn with a CJK font, a missing font a setup error, a stale
font cache rebuilt; every report notebook sets fonts up before plotting."""

from __future__ import annotations

import re
import warnings

import matplotlib.pyplot as plt
import pytest
from matplotlib import font_manager

from workbench import i18n
from workbench.i18n import configure_fonts, fonts


@pytest.fixture(autouse=True)
def _restore_rcparams():
    """configure_fonts changes matplotlib's global rcParams: restore them for the other test files."""
    with plt.rc_context():
        yield


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
