"""The room's interface in the OAS's four languages: one JSON catalog per language, English the
reference; a key missing from a catalog falls back to English."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

LANGUAGES = ("en", "es", "pt", "fr")
"""English, Spanish, Portuguese, French."""


@cache
def catalog(language: str) -> dict[str, str]:
    """Every interface string in `language` (English where the catalog lacks one)."""
    english = _load("en")
    return english if language == "en" else english | _load(language)


def _load(language: str) -> dict[str, str]:
    text = (files("sim.web") / "locales" / f"{language}.json").read_text(encoding="utf-8")
    return dict(json.loads(text))


def choose(asked: str | None, accept: str | None) -> str:
    """The language to serve: the one asked for (`?lang=`), else the first of the browser's
    Accept-Language we have, else English."""
    if asked in LANGUAGES:
        return asked
    for part in (accept or "").split(",")[:20]:
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "en"
