"""The room's interface in four languages: each catalog holds exactly the English keys, the
language served follows ?lang=, then Accept-Language, then English, and the pages come out
translated."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sim.facilitation.live import LiveRoom
from sim.facilitation.session import open_session
from sim.web.app import create_app
from sim.web.i18n import LANGUAGES, catalog, choose

TRANSLATED = [language for language in LANGUAGES if language != "en"]
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\(?\w*\)?[sdfg]")
HEADINGS = ("facilitator", "evaluator", "board", "team", "injects", "pending", "requests")


def _text(language: str) -> str:
    return (files("sim.web") / "locales" / f"{language}.json").read_text(encoding="utf-8")


def _raw(language: str) -> dict[str, str]:
    """The catalog file as written, refusing a key given twice (json would keep the last)."""

    def unique(pairs: list[tuple[str, str]]) -> dict[str, str]:
        keys = [k for k, _ in pairs]
        assert len(keys) == len(set(keys)), f"{language}.json repeats a key"
        return dict(pairs)

    return json.loads(_text(language), object_pairs_hook=unique)


ENGLISH = _raw("en")


# -- the catalogs ----------------------------------------------------------------------------


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_catalog_has_exactly_the_english_keys(language: str) -> None:
    keys = set(_raw(language))
    assert sorted(keys - set(ENGLISH)) == [], "keys English does not have"
    assert sorted(set(ENGLISH) - keys) == [], "English keys left untranslated"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_value_is_empty(language: str) -> None:
    words = _raw(language)
    assert [k for k, v in words.items() if not isinstance(v, str) or not v.strip()] == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_returns_the_file(language: str) -> None:
    assert catalog(language) == _raw(language)


@pytest.mark.parametrize("language", TRANSLATED)
def test_headings_are_translated(language: str) -> None:
    words = _raw(language)
    assert [k for k in HEADINGS if words[k] == ENGLISH[k]] == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_placeholders_and_closing_marks_are_kept(language: str) -> None:
    words = _raw(language)
    for key, english in ENGLISH.items():
        assert sorted(PLACEHOLDER.findall(words[key])) == sorted(PLACEHOLDER.findall(english)), key
        assert _closing(words[key]) == _closing(english), key


def _closing(text: str) -> str:
    """The sentence mark a string ends with ("" for none)."""
    return text[-1] if text.endswith((".", "?", "!", ":", "\u2026")) else ""


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_file_is_utf8_with_two_space_indent_and_final_newline(language: str) -> None:
    assert _text(language) == json.dumps(_raw(language), ensure_ascii=False, indent=2) + "\n"


# -- choosing the language -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "accept", "served"),
    [
        (None, None, "en"),
        (None, "", "en"),
        (None, "pt-BR,pt;q=0.9", "pt"),
        (None, "es-MX", "es"),
        (None, "de,fr;q=0.5", "fr"),
        (None, "zz", "en"),
        ("fr", None, "fr"),
        ("es", "pt-BR,pt;q=0.9", "es"),  # ?lang= over Accept-Language
        ("en", "fr-CA", "en"),
        ("xx", "pt-BR,pt;q=0.9", "pt"),  # an unknown ?lang= falls back to Accept-Language
        ("xx", "zz", "en"),
        ("", "fr", "fr"),
    ],
)
def test_choose(asked: str | None, accept: str | None, served: str) -> None:
    assert choose(asked, accept) == served


# -- pages ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveRoom]:
    folder: Path = tmp_path_factory.mktemp("i18n") / "room"
    opened = LiveRoom.open(open_session("continental_final"), folder)  # not started
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def client(room: LiveRoom) -> TestClient:
    return TestClient(create_app(room))


def _heading(page: str) -> str:
    found = re.search(r"<h1>(.*?)</h1>", page, re.S)
    assert found, "the page has no <h1>"
    return html.unescape(found.group(1)).strip()


def _lang(page: str) -> str:
    found = re.search(r'<html lang="([^"]*)">', page)
    assert found, "the page has no <html lang>"
    return found.group(1)


@pytest.mark.parametrize("language", LANGUAGES)
def test_team_page_is_in_the_language_asked(
    room: LiveRoom, client: TestClient, language: str
) -> None:
    words = _raw(language)
    name = next(c.name or c.id for c in room.scenario.countries if c.id == "HST")
    response = client.get(f"/r/{room.codes['team:HST']}?lang={language}")
    assert response.status_code == 200
    page = response.text
    assert _lang(page) == language
    assert _heading(page) == f"{words['team']}: {name}"
    assert f"<h2>{html.escape(words['injects'], quote=False)}</h2>" in page
    if language != "en":
        assert ENGLISH["team"] not in page and ENGLISH["injects"] not in page


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("role", "key"), [("facilitator", "facilitator"), ("board", "board")])
def test_control_and_board_pages_are_translated(
    room: LiveRoom, client: TestClient, language: str, role: str, key: str
) -> None:
    page = client.get(f"/r/{room.codes[role]}?lang={language}").text
    words = _raw(language)
    assert _heading(page) == words[key]
    if role == "facilitator":  # a long string with punctuation survives the attribute
        assert words["end_confirm"] in html.unescape(page)


def test_accept_language_picks_the_page_language(room: LiveRoom, client: TestClient) -> None:
    code = room.codes["board"]
    page = client.get(f"/r/{code}", headers={"Accept-Language": "pt-BR,pt;q=0.9"}).text
    assert _lang(page) == "pt" and _heading(page) == _raw("pt")["board"]
    page = client.get(f"/r/{code}?lang=xx", headers={"Accept-Language": "de,fr;q=0.5"}).text
    assert _lang(page) == "fr" and _heading(page) == _raw("fr")["board"]
    page = client.get(f"/r/{code}", headers={"Accept-Language": "zz"}).text
    assert _lang(page) == "en" and _heading(page) == ENGLISH["board"]


def test_the_browsers_most_wanted_language_wins() -> None:
    assert choose(None, "fr;q=0.1,es;q=0.9") == "es"
    assert choose("ES", None) == "es"


def test_a_scenario_translates_its_injects_and_decision_points() -> None:
    from pydantic import ValidationError

    from sim.schema.exercise import DecisionPoint, Inject

    inject = Inject.model_validate(
        {
            "sequence": 1,
            "time_hours": 0,
            "when": {"asset_down": "HST-grid-tx"},
            "from": "Control",
            "to": "All players",
            "message": "{asset_name} is down at {time}",
            "translations": {"es": "{asset_name} está caído a las {time}"},
        }
    )
    fields = {"asset_name": "Rio Claro", "time": "Fri 17 Jul 06:36"}
    assert inject.render(fields, "es") == "Rio Claro está caído a las Fri 17 Jul 06:36"
    assert (
        inject.render(fields, "fr")
        == inject.render(fields)
        == "Rio Claro is down at Fri 17 Jul 06:36"
    )
    point = {
        "id": "p",
        "at_hours": 1,
        "prompt": "Share?",
        "options": [{"label": "No"}, {"label": "Yes"}],
        "translations": {"pt": {"prompt": "Compartilhar?", "options": ["Não", "Sim"]}},
    }
    assert DecisionPoint.model_validate(point).translations["pt"].options == ("Não", "Sim")
    point["translations"] = {"pt": {"prompt": "Compartilhar?", "options": ["Não", "Sim", "Talvez"]}}
    with pytest.raises(ValidationError, match="3 option labels for 2 options"):
        DecisionPoint.model_validate(point)


def test_the_english_feed_words_are_the_feeds_own() -> None:
    from sim.facilitation.feed import SAID, SEEN_IMPACT
    from sim.schema.defenders import LEVELS

    english = catalog("en")
    assert {k: english[f"feed.{k}"] for k in SAID} == SAID
    assert {k: english[f"seen.{k}"] for k in SEEN_IMPACT} == SEEN_IMPACT
    for language in LANGUAGES:
        assert all(f"level.{level}" in catalog(language) for level in LEVELS)


def test_the_english_words_of_moves_and_requests_are_the_rooms_own() -> None:
    from sim.facilitation.team_moves import SAID

    english = catalog("en")
    assert {k: english[f"feed.{k}"] for k in SAID} == SAID
