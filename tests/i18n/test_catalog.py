"""workbench.i18n.catalog: every message in both languages with the same placeholders, Traditional
characters only, no hard-coded currency; ``t`` fills placeholders and names what is missing."""

from __future__ import annotations

import re
import string

import pytest

from workbench.i18n import LANGUAGES, catalog, t

SIMPLIFIED_ONLY = set(
    "会员营这个们时间实东门为对发数据务额销图级组计划优价单订费总线长变动现点区户头来说礼试验报显转换预测终贡献与槛进运营"
    "见关闭开页览选项设环节构产类别确认户罗马冲续实际当"
)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


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
