"""The messages of the reports: ``t(key, lang)`` over the catalogs in ``workbench/locales/<area>.yaml``.

Messages live in one file per report area, each owned by that area::

    clv.title:
      en: Customer lifetime value
      zh-TW: 顧客終身價值

Every key must have every language in ``LANGUAGES``; a missing key or language raises ``KeyError``
naming both (a test walks all catalogs).
"""

from __future__ import annotations

import functools
from importlib import resources

import yaml

from workbench.errors import ArgumentError

LANGUAGES: tuple[str, ...] = ("zh-TW", "en")


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
                raise ArgumentError(f"i18n: key {key!r} defined twice (again in {entry.name})")
            merged[key] = texts
    return merged


def check_language(lang: str) -> str:
    """``lang`` when it is one of ``LANGUAGES``; else an ``ArgumentError``."""
    if lang not in LANGUAGES:
        raise ArgumentError(f"language must be one of {LANGUAGES}, got {lang!r}")
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


HTML_LANG = {"zh-TW": "zh-Hant-TW", "en": "en"}
"""The ``lang`` attribute of a report's ``<html>`` element per report language (BCP 47)."""
