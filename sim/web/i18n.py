"""The room's interface in the OAS's four languages: one JSON catalog per language, English the
reference; a key missing from a catalog falls back to English."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

from ..schema.exercise import LANGUAGES

__all__ = ["LANGUAGES", "catalog", "choose"]


@cache
def catalog(language: str) -> dict[str, str]:
    """Every interface string in `language` (English where the catalog lacks one)."""
    english = _load("en")
    return english if language == "en" else english | _load(language)


def _load(language: str) -> dict[str, str]:
    text = (files("sim.web") / "locales" / f"{language}.json").read_text(encoding="utf-8")
    return dict(json.loads(text))


def choose(asked: str | None, accept: str | None) -> str:
    """The language to serve: the one asked for (`?lang=`), else the browser's most wanted
    (Accept-Language, by q-value) that we have, else English."""
    if asked and asked.lower() in LANGUAGES:
        return asked.lower()
    wanted = []
    for k, part in enumerate((accept or "").split(",")[:20]):
        code, _, rest = part.partition(";")
        try:
            weight = float(rest.strip().removeprefix("q=")) if rest else 1.0
        except ValueError:
            weight = 0.0
        wanted.append((-weight, k, code.strip().lower()[:2]))
    return next((code for _, _, code in sorted(wanted) if code in LANGUAGES), "en")
