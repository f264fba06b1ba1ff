"""The served room's web API as laws: who may see and do what, behind which code and token.

Every role tries every action; teams act only for their own country; the fog of war holds in
the state, the items and the event stream; refused actions journal nothing and answer one
line of JSON (never a traceback); scenario text is escaped; pages carry the security headers;
downloads are control's, after the end, from a fixed list. Most tests build a room without
its simulation thread (cheap); one module fixture plays a room to the end at pace 600.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from sim.facilitation.live import CONTROL, PUBLIC, LiveRoom, Pending, roles_of
from sim.facilitation.session import Session, open_session
from sim.web.app import DOWNLOADS, MAX_BODY, create_app

ROOT = Path(__file__).resolve().parents[1]
ROLES = [
    "facilitator",
    "evaluator",
    "board",
    "team:HST",
    "team:VLD",
    "team:ISL",
    "team:MRD",
    "team:SLV",
]
ACTIONS = ["act", "answer", "move", "request", "reply", "note"]
POINT = "alert-before-the-final"
"""A decision point of Hestoria's CSIRT (two options)."""
CONFIG = re.compile(r'<script id="config" type="application/json">(.*?)</script>', re.S)
EVIL = "<script>alert(1)</script>"
NAME = f"<!--{EVIL}"
"""A country name that, raw in a script element, would also swallow the rest of the page."""


@pytest.fixture(scope="module")
def session() -> Session:
    return open_session("continental_final")


class Tokens(dict[str, str]):
    """Each role's form token, read from its page when first wanted."""

    def __init__(self, client: TestClient, room: LiveRoom) -> None:
        super().__init__()
        self.client, self.room = client, room

    def __missing__(self, role: str) -> str:
        page = self.client.get(f"/r/{self.room.codes[role]}")
        assert page.status_code == 200, page.text
        self[role] = config_of(page.text)["csrf"]
        return self[role]


@dataclass
class Served:
    """A room (its thread not started), its web app and every role's form token."""

    room: LiveRoom
    client: TestClient
    tokens: Tokens

    def url(self, role: str, path: str = "") -> str:
        return f"/r/{self.room.codes[role]}{path}"

    def post(
        self,
        role: str,
        action: str,
        body: Any = None,
        *,
        token: str | None = "own",
        content: bytes | None = None,
    ) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["X-CSRF-Token"] = self.tokens[role] if token == "own" else token
        data = json.dumps(body).encode() if content is None else content
        return self.client.post(self.url(role, f"/{action}"), content=data, headers=headers)

    def journal(self) -> bytes:
        return (self.room.folder / "journal.jsonl").read_bytes()

    def pend(self, point: str = POINT, role: str = "team:HST") -> Pending:
        """Make `point` wait for `role`, as the simulation thread does at a decision point."""
        exercise = self.room.scenario.exercise
        assert exercise is not None
        found = next(p for p in exercise.decision_points if p.id == point)
        self.room.pending[point] = Pending(found, role, 300.0)
        return self.room.pending[point]


def config_of(html: str) -> dict[str, Any]:
    found = CONFIG.search(html)
    assert found, "the page has no config block"
    return json.loads(found.group(1))


@contextmanager
def serve(room: LiveRoom) -> Iterator[Served]:
    """The room's web app (a client that keeps its event loop between requests)."""
    with TestClient(create_app(room), raise_server_exceptions=False) as client:
        yield Served(room, client, Tokens(client, room))


@pytest.fixture
def served(session: Session, tmp_path: Path) -> Iterator[Served]:
    room = LiveRoom.open(session, tmp_path / "room", pace=600)
    with serve(room) as served:
        yield served
    room.close()


def refused(response: httpx.Response, *statuses: int) -> str:
    """Assert a refusal with one of `statuses` and a one-line JSON error; return it."""
    assert response.status_code in statuses, (response.status_code, response.text)
    body = response.json()
    assert list(body) == ["error"], body
    error = body["error"]
    assert isinstance(error, str) and error.strip(), body
    assert "\n" not in error and len(error) < 300, error
    for leak in ("Traceback", 'File "', "pydantic", "errors.pydantic.dev"):
        assert leak not in error, error
    return error


def read_events(response: httpx.Response, until: str = "state") -> list[tuple[str, Any]]:
    """The (name, data) of a stream's events up to the first `until` event."""
    events: list[tuple[str, Any]] = []
    name = ""
    for line in response.iter_lines():
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            events.append((name, json.loads(line.removeprefix("data: "))))
            if name == until:
                return events
        assert len(events) < 10_000, "the stream never sent its state"
    return events


def stream_status(client: TestClient, url: str) -> int:
    """The status of a GET that may open an endless stream (read no further)."""
    with client.stream("GET", url) as response:
        return response.status_code


# -- a room played to its end -------------------------------------------------------------------
# (first in the file: xdist's first batch then gives every test of the played room to one
# worker, which plays it once)


@dataclass
class Played:
    served: Served
    answers: dict[str, int]
    """The status of each role's answer to the first decision the simulation put to a team."""
    point: str


def wait_for(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the room did not get there in time"
        time.sleep(0.02)


@pytest.fixture(scope="module")
def played(session: Session, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Played]:
    """A room played at pace 600: a held inject, a note, requests declined and accepted, moves
    of three teams, the first decision answered over the web; then ended."""
    room = LiveRoom.open(session, tmp_path_factory.mktemp("played") / "room", pace=600)
    with ExitStack() as stack:
        stack.callback(room.close)
        stack.callback(room.act, "facilitator", "end")  # first: stops the thread if it runs
        s = stack.enter_context(serve(room))
        vld_asset = next(a.id for a in room.scenario.assets if a.country == "VLD")
        for role, action, body in [
            ("facilitator", "act", {"command": "hold", "value": 3}),
            ("evaluator", "note", {"text": "SECRET evaluator note"}),
            ("team:HST", "request", {"helper": "VLD", "analysts": 3}),
            ("team:MRD", "request", {"helper": "ISL", "analysts": 1}),
            ("team:SLV", "move", {"kind": "statement", "text": "Solvara is calm."}),
            ("team:VLD", "move", {"kind": "isolate", "asset": vld_asset, "hours": 4}),
        ]:
            assert s.post(role, action, body).is_success
        for r in list(room.requests.values()):
            helper = f"team:{r['to']}"
            reply = {"request": r["id"], "accept": r["to"] == "ISL"}
            assert s.post(helper, "reply", reply).is_success
        room.start()
        assert s.post("facilitator", "act", {"command": "run"}).is_success
        wait_for(lambda: bool(room.pending), 30)
        point = next(iter(room.pending))
        answers = {}
        for role in ["board", "evaluator", "team:VLD", "team:ISL", "team:HST"]:
            answers[role] = s.post(role, "answer", {"point": point, "option": 0}).status_code
        assert s.post("facilitator", "act", {"command": "end"}).is_success
        wait_for(lambda: room.ended or room.failed is not None, 90)
        assert room.failed is None, room.failed
        yield Played(s, answers, point)


def test_a_live_decision_is_answered_by_its_team_only(played: Played) -> None:
    assert played.answers == {
        "board": 403,
        "evaluator": 403,
        "team:VLD": 400,
        "team:ISL": 400,
        "team:HST": 200,
    }
    entries = [json.loads(line) for line in played.served.journal().splitlines()]
    answers = [e for e in entries if e["kind"] == "answer"]
    first = {k: answers[0][k] for k in ("kind", "point", "option", "by")}
    assert first == {"kind": "answer", "point": played.point, "option": 0, "by": "team:HST"}
    assert answers[0]["wall"]  # when it was decided, for the AAR after a restart
    assert all(e["by"] in ("team:HST", "end", "timeout") for e in answers)


def test_fog_of_war_in_the_items(played: Played) -> None:
    room = played.served.room
    items = room.items
    teams = {role for i in items for role in i.audience if role.startswith("team:")}
    assert {"team:HST", "team:VLD", "team:MRD", "team:ISL", "team:SLV"} <= teams
    control_only = [i for i in items if not i.audience]
    kinds_of_control = {i.kind for i in control_only}
    assert {"truth", "note", "inject"} <= kinds_of_control  # the held inject among them
    for role in ROLES:
        seen, after, _ = room.since(role, 0)
        assert after == len(items)
        if role in CONTROL:
            wanted = list(items)
        elif role == "board":
            wanted = [i for i in items if PUBLIC in i.audience]
        else:
            wanted = [i for i in items if PUBLIC in i.audience or role in i.audience]
        assert [i.id for i in seen] == [i.id for i in wanted], role
        if role not in CONTROL:
            text = json.dumps([i.as_json() for i in seen])
            assert "SECRET" not in text and not any(i.kind == "truth" for i in seen), role
            assert all(i.data.get("held") is not True for i in seen), role
    assert any(i.kind == "statement" and PUBLIC in i.audience for i in items)
    assert items[-1].kind == "end" and PUBLIC in items[-1].audience


def test_fog_of_war_in_the_state(played: Played) -> None:
    s = played.served
    for role in ROLES:
        state = s.client.get(s.url(role, "/state")).json()
        assert state["role"] == role and state["ended"] is True
        country = role.removeprefix("team:")
        pairs = {(r["from"], r["to"]) for r in state["requests"]}
        if role in CONTROL:
            assert pairs == {("HST", "VLD"), ("MRD", "ISL")}
        else:
            assert all(country in pair for pair in pairs), role
        assert ("held" in state) == ("timeout_minutes" in state) == (role == "facilitator")
    assert s.client.get(s.url("facilitator", "/state")).json()["held"] == [3]


@pytest.mark.parametrize("role", ["team:VLD", "team:ISL", "board", "evaluator"])
def test_the_event_stream_sends_a_role_what_it_may_see(played: Played, role: str) -> None:
    s = played.served
    room = s.room
    with s.client.stream("GET", s.url(role, "/events")) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["Referrer-Policy"] == "no-referrer"
        events = read_events(response)
    (hello, greeting), *items, (last, state) = events
    assert (hello, last) == ("hello", "state")
    assert greeting["reset"] is False
    assert [d["id"] for _, d in items] == [i.id for i in room.since(role, 0)[0]]
    assert all(name == "item" for name, _ in items)
    assert state["role"] == role and state["ended"] is True
    everyone = {i.id for i in room.items}
    assert len(items) < len(everyone) or role in CONTROL
    if role != "board":  # resuming after an item sends what came since, with the same epoch
        cut = items[len(items) // 2][1]["id"]
        url = s.url(role, f"/events?after={cut}&epoch_seen={greeting['epoch']}")
        with s.client.stream("GET", url) as response:
            rest = read_events(response)
        assert [d["id"] for n, d in rest if n == "item"] == [
            d["id"] for _, d in items if d["id"] > cut
        ]
    with s.client.stream("GET", s.url(role, "/events?after=5&epoch_seen=old")) as response:
        (_, again), *replayed, _ = read_events(response)
    assert again["reset"] is True and len(replayed) == len(items)


def test_downloads_after_the_end_are_controls_and_listed_only(played: Played) -> None:
    s = played.served
    for name in DOWNLOADS:
        for role in CONTROL:
            response = s.client.get(s.url(role, f"/files/{name}"))
            assert response.status_code == 200, (role, name)
            assert response.content and name in response.headers["content-disposition"]
        for role in ROLES:
            if role not in CONTROL:
                refused(s.client.get(s.url(role, f"/files/{name}")), 403)
    assert (s.room.folder / "room.json").is_file() and (s.room.folder / "journal.jsonl").is_file()
    for name in [
        "room.json",
        "journal.jsonl",
        "..%2froom.json",
        "%2e%2e%2froom.json",
        "..%5croom.json",
        "aar.html%00",
        "AAR.HTML",
    ]:
        response = s.client.get(s.url("facilitator", f"/files/{name}"))
        refused(response, 404)
        assert s.room.codes["team:HST"] not in response.text


# -- codes --------------------------------------------------------------------------------------


def test_roles_are_control_board_and_one_team_per_country(session: Session) -> None:
    assert roles_of(session) == ROLES


def test_root_and_bare_paths_are_404(served: Served) -> None:
    for path in ("/", "/r", "/r/", "/r//state", "/index.html", "/docs", "/openapi.json"):
        refused(served.client.get(path), 404)


MISSES: dict[str, Callable[[str], str]] = {
    "shorter": lambda c: c[:-1],
    "longer": lambda c: c + "A",
    "one character off": lambda c: c[:-1] + ("A" if c[-1] != "A" else "B"),
    "case swapped": lambda c: c.swapcase(),
    "padded": lambda c: f"%20{c}",
    "random": lambda c: secrets.token_urlsafe(16),
    "empty-ish": lambda c: "-",
}


@pytest.mark.parametrize("miss", sorted(MISSES))
def test_no_page_stream_state_action_or_file_without_a_valid_code(
    served: Served, miss: str
) -> None:
    real = served.room.codes["facilitator"]
    code = MISSES[miss](real)
    assert code != real
    before = served.journal()
    for path in ("", "/state", "/files/aar.html"):
        refused(served.client.get(f"/r/{code}{path}"), 404)
    assert stream_status(served.client, f"/r/{code}/events") == 404
    valid = {
        "act": {"command": "end"},
        "answer": {"point": POINT, "option": 0},
        "move": {"kind": "statement", "text": "hello"},
        "request": {"helper": "VLD", "analysts": 2},
        "reply": {"request": "abc", "accept": True},
        "note": {"text": "a note"},
    }
    token = served.tokens["facilitator"]
    for action, body in valid.items():
        response = served.client.post(
            f"/r/{code}/{action}", json=body, headers={"X-CSRF-Token": token}
        )
        refused(response, 404)
    assert served.journal() == before
    assert not served.room.ending


def test_a_code_of_another_room_opens_nothing_here(
    served: Served, session: Session, tmp_path: Path
) -> None:
    other = LiveRoom.open(session, tmp_path / "other", pace=600)
    try:
        assert set(other.codes.values()).isdisjoint(served.room.codes.values())
        for code in other.codes.values():
            refused(served.client.get(f"/r/{code}"), 404)
            refused(served.client.get(f"/r/{code}/state"), 404)
    finally:
        other.close()


def test_no_page_state_or_stream_carries_another_roles_code(served: Served) -> None:
    codes = served.room.codes
    for role in ROLES:
        page = served.client.get(served.url(role)).text
        state = served.client.get(served.url(role, "/state")).text
        with served.client.stream("GET", served.url(role, "/events")) as response:
            stream = json.dumps(read_events(response))
        others = [code for r, code in codes.items() if r != role]
        for text in (state, stream):
            assert not any(code in text for code in others), role
        if role == "facilitator":  # the console lists every join link
            assert all(code in page for code in others)
        else:
            assert not any(code in page for code in others), role
            assert not any(served.tokens[r] in page for r in ROLES if r != role), role
    assert len({served.tokens[r] for r in ROLES}) == len(ROLES)


# -- who may do what ----------------------------------------------------------------------------


def expected(role: str, action: str) -> int:
    """The status of `action` done by `role` with a body that suits the action."""
    team = role.startswith("team:")
    return {
        "act": 200 if role == "facilitator" else 403,
        "answer": 200 if role in ("facilitator", "team:HST") else 400 if team else 403,
        "move": 200 if team else 403,
        "request": 200 if team else 403,
        "reply": 200 if role == "team:VLD" else 400 if team else 403,
        "note": 200 if role in CONTROL else 403,
    }[action]


@pytest.mark.parametrize("role", ROLES)
def test_every_role_does_only_its_own_actions(served: Served, role: str) -> None:
    room = served.room
    pending = served.pend()  # Hestoria's CSIRT decides
    asked = room.request("team:HST", "VLD", 3)  # Hestoria asks Valdora
    helper = "MRD" if role == "team:ISL" else "ISL"
    bodies = {
        "act": {"command": "timeout", "value": 10},
        "answer": {"point": POINT, "option": 1},
        "move": {"kind": "statement", "text": "All services run normally."},
        "request": {"helper": helper, "analysts": 2},
        "reply": {"request": asked, "accept": False},
        "note": {"text": "The team called its ministry."},
    }
    effects = {
        "act": lambda: room.timeout_minutes == 10,
        "answer": lambda: pending.answer == 1,
        "move": lambda: [q["move"]["country"] for q in room.queued] == [role[5:]],
        "request": lambda: len(room.requests) == 2,
        "reply": lambda: room.requests[asked]["status"] == "declined",
        "note": lambda: [n["by"] for n in room.notes] == [role],
    }
    for action in ACTIONS:
        before = served.journal()
        response = served.post(role, action, bodies[action])
        if expected(role, action) == 200:
            assert response.status_code == 200, (action, response.text)
            assert response.json()["ok"] is True
            assert len(served.journal()) > len(before), action
            assert effects[action](), action
        else:
            refused(response, expected(role, action))
            assert served.journal() == before, action
            assert not effects[action](), action
    if role != "facilitator":
        for command in ("run", "pause", "jump", "pace", "timeout", "hold", "release", "end"):
            body = {"command": command, "value": 3 if command in ("hold", "release") else 1}
            refused(served.post(role, "act", body), 403)
        assert room.paused and not room.ending and not room.held


def test_a_team_cannot_act_for_another_country(served: Served) -> None:
    room = served.room
    served.pend()
    theirs = next(a.id for a in room.scenario.assets if a.country == "VLD")
    ours = next(a.id for a in room.scenario.assets if a.country == "HST")
    to_vld = room.request("team:ISL", "VLD", 2)
    before = served.journal()
    for role, action, body in [
        ("team:HST", "move", {"kind": "isolate", "asset": theirs, "hours": 8}),
        ("team:HST", "move", {"kind": "backup", "asset": theirs}),
        ("team:HST", "move", {"kind": "share", "to": ["HST"]}),
        ("team:HST", "move", {"kind": "share", "to": ["VLD", "NOWHERE"]}),
        ("team:HST", "request", {"helper": "HST"}),
        ("team:HST", "reply", {"request": to_vld, "accept": True}),
        ("team:ISL", "reply", {"request": to_vld, "accept": True}),  # its own request
        ("team:VLD", "answer", {"point": POINT, "option": 1}),  # Hestoria's decision
    ]:
        refused(served.post(role, action, body), 400)
    refused(
        served.post("team:HST", "move", {"kind": "statement", "text": "x", "country": "VLD"}), 422
    )
    assert served.journal() == before
    assert room.requests[to_vld]["status"] == "open" and room.pending[POINT].answer is None
    assert not room.queued
    ok = served.post("team:HST", "move", {"kind": "isolate", "asset": ours, "hours": 8})
    assert ok.status_code == 200, ok.text
    assert room.queued[0]["move"]["country"] == "HST"
    assert room.queued[0]["move"]["actions"][0]["asset"] == ours


def test_the_state_shows_a_role_only_its_own_decisions_and_requests(served: Served) -> None:
    served.pend(POINT, "team:HST")
    served.pend("generators", "team:VLD")
    served.room.request("team:HST", "VLD", 3)
    served.room.request("team:MRD", "ISL", 1)
    for role in ROLES:
        state = served.client.get(served.url(role, "/state")).json()
        teams = sorted(p["team"] for p in state["pending"])
        pairs = sorted(f"team:{r['from']}>team:{r['to']}" for r in state["requests"])
        if role in CONTROL:
            assert teams == ["team:HST", "team:VLD"], role
            assert pairs == ["team:HST>team:VLD", "team:MRD>team:ISL"], role
        else:
            assert teams == ([role] if role in ("team:HST", "team:VLD") else []), role
            assert all(role in pair.split(">") for pair in pairs), role
            assert len(pairs) == (
                1 if role in ("team:HST", "team:VLD", "team:MRD", "team:ISL") else 0
            )
        assert ("held" in state) == ("timeout_minutes" in state) == (role == "facilitator")


def test_the_facilitator_answers_for_any_team_and_the_evaluator_only_notes(
    served: Served,
) -> None:
    served.pend(POINT, "team:HST")
    served.pend("generators", "team:VLD")  # as if Valdora's operators decided it
    assert served.post("facilitator", "answer", {"point": "generators", "option": 0}).is_success
    assert served.post("facilitator", "answer", {"point": POINT, "option": 1}).is_success
    entries = [json.loads(line) for line in served.journal().splitlines()]
    assert [(e["point"], e["option"], e["by"]) for e in entries] == [
        ("generators", 0, "facilitator"),
        (POINT, 1, "facilitator"),
    ]
    refused(served.post("facilitator", "answer", {"point": POINT, "option": 0}), 400)
    objective = served.room.scenario.exercise.objectives[0].id  # type: ignore[union-attr]
    assert served.post("evaluator", "note", {"text": "ok", "objective": objective}).is_success
    assert served.room.notes[-1]["objective"] == objective


# -- the form token -----------------------------------------------------------------------------


def test_a_post_needs_its_own_roles_form_token(served: Served) -> None:
    served.pend()
    asked = served.room.request("team:HST", "VLD", 3)
    doers = {
        "act": ("facilitator", {"command": "end"}),
        "answer": ("team:HST", {"point": POINT, "option": 1}),
        "move": ("team:HST", {"kind": "statement", "text": "hello"}),
        "request": ("team:HST", {"helper": "VLD"}),
        "reply": ("team:VLD", {"request": asked, "accept": True}),
        "note": ("evaluator", {"text": "a note"}),
    }
    with serve(served.room) as stale:  # another server on the same room: other tokens
        stale_tokens = {r: stale.tokens[r] for r in ROLES}
    before = served.journal()
    for action, (role, body) in doers.items():
        others = [served.tokens[r] for r in ROLES if r != role]
        for token in [None, "", "0" * 64, served.tokens[role].upper(), stale_tokens[role], *others]:
            assert token != served.tokens[role]
            refused(served.post(role, action, body, token=token), 403)
    assert served.journal() == before
    assert not served.room.ending and served.room.pending[POINT].answer is None


def test_a_non_ascii_form_token_is_refused_not_a_server_error(served: Served) -> None:
    code = served.room.codes["evaluator"]
    response = served.client.post(
        f"/r/{code}/note", json={"text": "x"}, headers={"X-CSRF-Token": "é".encode("latin-1")}
    )
    refused(response, 403)


# -- bad bodies ---------------------------------------------------------------------------------

BIG = b'{"text": "' + b"x" * 100_000 + b'"}'
BAD: list[tuple[str, Any]] = [
    ("act", {"command": "explode"}),
    ("act", {"command": 1}),
    ("act", {"command": "pace", "value": "fast"}),
    ("act", {"command": "pace", "value": -5}),
    ("act", {"command": "pace", "value": 0}),
    ("act", {"command": "pace", "value": 1e6}),
    ("act", {"command": "pace"}),
    ("act", {"command": "timeout", "value": 0.1}),
    ("act", {"command": "hold", "value": 99}),
    ("act", {"command": "hold", "value": -1}),
    ("act", {"command": "release"}),
    ("act", {"command": "run", "extra": 1}),
    ("act", {}),
    ("act", []),
    ("act", None),
    ("act", "run"),
    ("act", b'{"command": "run"'),
    ("act", b"not json at all"),
    ("answer", {"point": 5, "option": 0}),
    ("answer", {"point": POINT, "option": -1}),
    ("answer", {"point": POINT, "option": 2}),
    ("answer", {"point": POINT, "option": "one"}),
    ("answer", {"point": POINT}),
    ("answer", {"point": "x" * 121, "option": 0}),
    ("answer", {"point": "generators", "option": 0}),
    ("answer", {"point": POINT, "option": 0, "by": "facilitator"}),
    ("move", {"kind": "teleport"}),
    ("move", {"kind": "isolate", "asset": "HST-ven-net", "hours": -1}),
    ("move", {"kind": "isolate", "asset": "HST-ven-net", "hours": 0}),
    ("move", {"kind": "isolate", "asset": "HST-ven-net", "hours": 0.1}),
    ("move", {"kind": "isolate", "asset": "HST-ven-net", "hours": 1000}),
    ("move", {"kind": "isolate", "asset": "HST-ven-net", "hours": "long"}),
    ("move", {"kind": "isolate"}),
    ("move", {"kind": "alert", "sector": "moon"}),
    ("move", {"kind": "share", "to": []}),
    ("move", {"kind": "share", "to": "VLD"}),
    ("move", {"kind": "share", "to": ["VLD"] * 51}),
    ("move", {"kind": "share", "to": ["X" * 121]}),
    ("move", {"kind": "statement"}),
    ("move", {"kind": "statement", "text": "   "}),
    ("move", {"kind": "statement", "text": "x" * 2001}),
    ("move", {"kind": "statement", "text": ["a"]}),
    ("request", {"helper": "VLD", "analysts": 0}),
    ("request", {"helper": "VLD", "analysts": -3}),
    ("request", {"helper": "VLD", "analysts": 51}),
    ("request", {"helper": "VLD", "analysts": "two"}),
    ("request", {"helper": "VLD", "analysts": 1.5}),
    ("request", {"helper": "NOWHERE"}),
    ("request", {"helper": ""}),
    ("request", {}),
    ("reply", {"request": "nope", "accept": True}),
    ("reply", {"request": "x"}),
    ("reply", {"request": "x", "accept": True, "analysts": -1}),
    ("reply", {"request": "x", "accept": [True]}),
    ("note", {"text": ""}),
    ("note", {"text": "   "}),
    ("note", {"text": "x" * 2001}),
    ("note", {"text": 5}),
    ("note", {"text": "ok", "objective": "no-such-objective"}),
    ("note", {"text": "ok", "by": "facilitator"}),
    *((action, BIG) for action in ACTIONS),
]
DOER = {
    "act": "facilitator",
    "answer": "team:HST",
    "move": "team:HST",
    "request": "team:HST",
    "reply": "team:VLD",
    "note": "evaluator",
}


@pytest.mark.parametrize(("action", "body"), BAD, ids=[f"{a}-{i}" for i, (a, _) in enumerate(BAD)])
def test_a_bad_body_is_a_one_line_4xx_and_journals_nothing(
    served: Served, action: str, body: Any
) -> None:
    room = served.room
    served.pend()
    room.request("team:HST", "VLD", 3)
    before = served.journal()
    raw = body if isinstance(body, bytes) else None
    response = served.post(DOER[action], action, body, content=raw)
    error = refused(response, 400, 413, 422)
    if body is BIG:
        assert response.status_code == 413 and str(MAX_BODY) in error
    assert served.journal() == before
    assert not room.queued and not room.notes and not room.held and not room.ending
    assert room.pending[POINT].answer is None and len(room.requests) == 1
    assert (room.pace, room.timeout_minutes) == (600, 5)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"command": "hold", "value": 1e999}', id="infinite"),
        pytest.param(b'{"command": "release", "value": NaN}', id="nan"),
        pytest.param(b'{"command": "hold", "value": 2.5}', id="fraction"),
    ],
)
def test_hold_with_a_value_that_is_no_sequence_is_refused(served: Served, body: bytes) -> None:
    before = served.journal()
    refused(served.post("facilitator", "act", content=body), 400, 422)
    assert served.journal() == before and not served.room.held


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("x" * 1000, id="long"),  # the form allows 2000 characters
        pytest.param("nul\x00", id="nul"),
        pytest.param("bidi\u202e", id="bidi"),
    ],
)
def test_a_statement_the_move_schema_refuses_is_a_4xx(served: Served, text: str) -> None:
    before = served.journal()
    response = served.post("team:HST", "move", {"kind": "statement", "text": text})
    assert response.status_code < 500, response.text
    if not response.is_success:
        refused(response, 400, 422)
        assert served.journal() == before


def test_an_unknown_code_is_404_whatever_the_body(served: Served) -> None:
    for action in ACTIONS:
        refused(served.client.post(f"/r/{secrets.token_urlsafe(16)}/{action}", json={}), 404)


def test_a_chunked_body_is_refused_before_it_is_read(served: Served) -> None:
    response = served.client.post(
        served.url("evaluator", "/note"),
        content=(BIG[i : i + 4096] for i in range(0, len(BIG), 4096)),
        headers={"Content-Type": "application/json", "X-CSRF-Token": served.tokens["evaluator"]},
    )
    refused(response, 411)  # a body without a Content-Length cannot be capped before reading


def test_a_reply_refused_after_the_end_journals_nothing(served: Served) -> None:
    asked = served.room.request("team:HST", "VLD", 3)
    assert served.post("facilitator", "act", {"command": "end"}).is_success
    before = served.journal()
    response = served.post("team:VLD", "reply", {"request": asked, "accept": True})
    if not response.is_success:
        refused(response, 400)
        assert served.journal() == before
        assert served.room.requests[asked]["status"] == "open"


def test_a_move_after_the_end_is_refused(served: Served) -> None:
    assert served.post("facilitator", "act", {"command": "end"}).is_success
    before = served.journal()
    error = refused(served.post("team:HST", "move", {"kind": "statement", "text": "hi"}), 400)
    assert "ended" in error and served.journal() == before


# -- pages --------------------------------------------------------------------------------------


def test_pages_carry_the_security_headers(served: Served) -> None:
    urls = [served.url(r) for r in ROLES] + [
        served.url("team:HST", "/state"),
        "/r/nope",
        "/static/room.js",
    ]
    for url in urls:
        headers = served.client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, url
        assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp, url
        assert headers["Referrer-Policy"] == "no-referrer", url
        assert headers["X-Frame-Options"] == "DENY", url
        assert headers["X-Content-Type-Options"] == "nosniff", url
    page = served.client.get(served.url("board"))
    assert page.headers["Cache-Control"] == "no-store"
    assert "<script>" not in page.text  # no inline script: the config is data, room.js a file


def evil_session(tmp_path: Path) -> Session:
    """The bundled final with markup in its exercise title, first inject and a country name."""
    scenario = (ROOT / "scenarios" / "continental_final.yaml").read_text(encoding="utf-8")
    model = (ROOT / "infrastructure_models" / "hemisphere.yaml").read_text(encoding="utf-8")
    swaps = [
        ("include: [../infrastructure_models/hemisphere.yaml]", "include: [hemisphere.yaml]"),
        ("title: Continental final 2026 — regional tabletop exercise", f"title: '{EVIL}'"),
        ('message: "Welcome.', f'message: "{EVIL} Welcome.'),
    ]
    for old, new in swaps:
        assert scenario.count(old) == 1, old
        scenario = scenario.replace(old, new)
    assert model.count("    name: Hestoria\n") == 1
    model = model.replace("    name: Hestoria\n", f"    name: '{NAME}'\n")
    (tmp_path / "continental_final.yaml").write_text(scenario, encoding="utf-8")
    (tmp_path / "hemisphere.yaml").write_text(model, encoding="utf-8")
    return open_session(str(tmp_path / "continental_final.yaml"))


@pytest.fixture
def evil(tmp_path: Path) -> Iterator[Served]:
    session = evil_session(tmp_path)
    exercise = session.resolved.scenario.exercise
    assert exercise is not None and exercise.title.startswith(EVIL)
    assert session.resolved.scenario.countries[0].name == NAME
    room = LiveRoom.open(session, tmp_path / "room", pace=600)
    with serve(room) as served:
        yield served
    room.close()


def test_scenario_text_is_escaped_in_every_page(evil: Served) -> None:
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    for role in ROLES:
        response = evil.client.get(evil.url(role))
        assert "Content-Security-Policy" in response.headers
        html = response.text
        block = CONFIG.search(html)
        assert block is not None
        outside = html[: block.start(1)] + html[block.end(1) :]
        assert "<script>alert" not in outside and "<!--" not in outside, role
        assert "</" not in block.group(1), role  # the data cannot close its script element
        assert config_of(html)["countries"]["HST"] == NAME
        assert html.count(escaped) >= (3 if role in ("team:HST", "facilitator") else 1), role
    assert "Welcome." in evil.client.get(evil.url("facilitator")).text


def test_no_raw_markup_from_the_scenario_in_the_page_source(evil: Served) -> None:
    html = evil.client.get(evil.url("team:VLD")).text
    assert "<!--<script>" not in html and "<script>alert" not in html


# -- downloads ----------------------------------------------------------------------------------


def test_no_download_before_the_end(served: Served) -> None:
    (served.room.folder / "aar.html").write_text("an old report", encoding="utf-8")
    for name in DOWNLOADS:
        for role in ROLES:
            status = 404 if role in CONTROL else 403
            refused(served.client.get(served.url(role, f"/files/{name}")), status)


def test_a_new_room_is_refused_a_file_or_a_folder_of_other_files(
    session: Session, tmp_path: Path
) -> None:
    from sim.facilitation.team_moves import RoomError

    (tmp_path / "afile").write_text("mine")
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "notes.txt").write_text("mine")
    for folder in (tmp_path / "afile", tmp_path / "theirs"):
        with pytest.raises(RoomError, match="not an empty folder"):
            LiveRoom.open(session, folder)
    assert sorted(p.name for p in (tmp_path / "theirs").iterdir()) == ["notes.txt"]
