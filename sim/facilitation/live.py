"""A served exercise room: the simulation runs in its own thread, paced against the wall clock,
while a facilitator, one team per country, an evaluator and a projector board act and watch.

The room is the library under `cyberttx serve` (any front end can drive it):

    room = LiveRoom.open(session, folder)          # or LiveRoom.open(..., resume=True)
    room.start()
    room.codes                                     # one secret code per role
    room.act(role, "run")                          # the facilitator starts the clock
    room.answer("team:HST", "first-severe-incident", 1)
    room.move("team:HST", "share", to=["VLD"])
    items, cursor, version = room.since("team:HST", cursor)  # what that team may see so far

Every action is written to an append-only journal (flushed and fsynced) before it is
acknowledged; reopening the folder with `resume=True` replays the journal to the same state.
The room's decisions and moves replay with `cyberttx play --decisions` to identical records.
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..analysis.export import provenance
from ..atomic import write_file
from ..engine import kinds
from ..engine.exercise import Delivered, run_exercise, take_move
from ..engine.records import Row
from ..engine.world import World
from ..schema.exercise import DecisionPoint, Move
from ..schema.scenario import Scenario
from .board import TICK_HOURS, TRUTH, board
from .decisions import Decision, Recorder
from .feed import Feed
from .outputs import exercise_files
from .room_journal import Journal
from .session import Played, Session, run_result
from .team_moves import RoomError, country_of, number, said, team_move, text_of

MOVE_DELAY_HOURS = 1e-6
"""A move is taken this long after the tick that picks it up: after everything else of that
instant, in the live room and in a replay alike."""

CONTROL = frozenset({"facilitator", "evaluator"})
"""Who sees the whole truth."""

PUBLIC = "public"
"""The audience tag of what everyone, the projector board included, may see."""

PACES = (0.1, 600.0)
"""Slowest and fastest pace, in simulated hours per real minute."""

ALL_PLAYERS = {"all", "all players", "everyone", "all teams", "todos", "tous", "todos os jogadores"}
"""Inject recipients that address every team."""


@dataclass(frozen=True)
class Item:
    """Something the room shows: what happened, when, to whom (roles, or PUBLIC)."""

    id: int
    time: float
    kind: str
    audience: frozenset[str]
    text: str
    data: dict[str, Any] = field(default_factory=dict)

    def seen_by(self, role: str) -> bool:
        return role in CONTROL or PUBLIC in self.audience or role in self.audience

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "time": self.time, "kind": self.kind, "text": self.text} | {
            "public": PUBLIC in self.audience,
            **self.data,
        }


@dataclass
class Pending:
    """A decision point waiting for its team."""

    point: DecisionPoint
    role: str
    remaining: float
    answer: int | None = None
    by: str = ""
    """Who answered: a role, `timeout` or `end`."""


def roles_of(session: Session) -> list[str]:
    """The room's roles: facilitator, evaluator, board, and a team per country."""
    countries = [f"team:{c.id}" for c in session.resolved.scenario.countries]
    return ["facilitator", "evaluator", "board", *countries]


class LiveRoom:
    """One served exercise (see the module's docstring)."""

    def __init__(
        self,
        session: Session,
        folder: Path,
        codes: dict[str, str],
        entries: list[dict[str, Any]],
        pace: float,
        timeout_minutes: float,
    ) -> None:
        self.session, self.folder, self.codes = session, folder, codes
        self.scenario = session.resolved.scenario
        exercise = self.scenario.exercise
        self._points = {p.id: p for p in exercise.decision_points} if exercise else {}
        self._team_country = {t.id: t.country for t in exercise.teams} if exercise else {}
        self._open: set[str] = set()
        """Incidents triaged and not yet contained (as the status board counts them)."""
        self.feed = Feed(self.scenario)
        self.pace, self.timeout_minutes = pace, timeout_minutes
        self.paused, self.jumping, self.ending, self.ended = True, False, False, False
        self.closed = False
        """Set when the server goes down: screens' streams end."""
        self.failed: str | None = None
        self.clock = 0.0
        self.items: list[Item] = []
        self.pending: dict[str, Pending] = {}
        self.answered: set[str] = set()
        self.requests: dict[str, dict[str, Any]] = {}
        self.notes: list[dict[str, Any]] = []
        self.held: set[int] = set()
        self.moves: list[Move] = []
        self.queued: list[dict[str, Any]] = []
        self.board: dict[str, Any] = {}
        self.version = 0
        """Bumped at every change a screen may show (items, clock, state)."""
        self._cond = _Notifying(self)
        self._thread: threading.Thread | None = None
        self._recorder: Recorder | None = None
        self._answers: list[Decision] = []
        self._said: dict[str, dict[str, Any]] = {}
        """What each move taken here says, by its tag (for screens in other languages)."""
        self._resume_clock = -1.0
        self._began = time.monotonic()
        self._restore(entries)
        self.journal = Journal(folder / "journal.jsonl")

    # -- opening and resuming ---------------------------------------------------------------

    @classmethod
    def open(
        cls,
        session: Session,
        folder: Path,
        *,
        resume: bool = False,
        pace: float = 1.0,
        timeout_minutes: float = 5.0,
    ) -> LiveRoom:
        """The room of `session` kept in `folder`: new (the folder must not hold a room), or
        `resume`d from its journal with the same codes."""
        saved = folder / "room.json"
        if resume:
            if not saved.is_file():
                raise RoomError(f"{folder}: no room to resume (no room.json)")
            about = json.loads(saved.read_text(encoding="utf-8"))
            if about.get("scenario_sha256") != session.resolved.scenario.digest():
                raise RoomError(f"{saved}: the room was served on a different scenario")
            entries = Journal.read(folder / "journal.jsonl")
            return cls(session, folder, about["codes"], entries, pace, timeout_minutes)
        if saved.exists():
            raise RoomError(f"{folder}: holds a room already; resume it or choose another --out")
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise RoomError(f"{folder}: exists and is not an empty folder; choose another --out")
        folder.mkdir(parents=True, exist_ok=True)
        codes = {role: secrets.token_urlsafe(16) for role in roles_of(session)}
        about = {"scenario_sha256": session.resolved.scenario.digest(), "codes": codes}
        about |= session.about()
        write_file(saved, json.dumps(about, indent=2).encode())
        os.chmod(saved, 0o600)
        return cls(session, folder, codes, [], pace, timeout_minutes)

    def _label(self, point: str, option: int) -> str:
        """The label of `option` at decision point `point` ("" if there is none)."""
        found = self._points.get(point)
        options = found.options if found else ()
        return options[option].label if 0 <= option < len(options) else ""

    def _restore(self, entries: list[dict[str, Any]]) -> None:
        """Set the room's state from a journal's entries."""
        taken_intents = set()
        for e in entries:
            kind = e["kind"]
            if kind == "answer":
                label = self._label(e["point"], e["option"])
                wall = e.get("wall", "")
                self._answers.append(Decision(e["point"], e["option"], label, 0.0, wall, e["by"]))
                self.answered.add(e["point"])
            elif kind == "move":
                self.moves.append(Move.model_validate(e["move"]))
                taken_intents.add(e["intent"])
            elif kind == "intent":
                self.queued.append(e)
            elif kind == "request":
                self.requests[e["request"]["id"]] = e["request"]
            elif kind == "reply":
                self.requests[e["id"]]["status"] = e["status"]
            elif kind == "note":
                self.notes.append(e["note"])
            elif kind == "hold":
                self.held.add(e["sequence"])
            elif kind == "release":
                self.held.discard(e["sequence"])
            elif kind == "settings":
                self.pace, self.timeout_minutes = e["pace"], e["timeout_minutes"]
            elif kind == "clock":
                self._resume_clock = max(self._resume_clock, e["hours"])
            elif kind == "end":
                self.ending = True
        self.queued = [q for q in self.queued if q["intent"] not in taken_intents]

    # -- the simulation thread ----------------------------------------------------------------

    def start(self) -> None:
        """Start the simulation (the clock stays paused until the facilitator runs it)."""
        self._thread = threading.Thread(target=self._run, name="room", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        recorder = Recorder(self._answers, self._choose, "room")
        self._recorder = recorder
        try:
            records = run_exercise(
                self.scenario,
                self.session.seed,
                recorder,
                self._deliver,
                watch=self._watch,
                moves=list(self.moves),
            )
            played = Played(
                run_result(self.session, records), recorder.taken, [], self.scenario.duration_hours
            )
            took = time.monotonic() - self._began
            about = provenance(self.session.resolved.path, took, "cyberttx serve")
            files = exercise_files(self.session, played, self.moves, self.notes, about)
            for name, data in files.items():
                write_file(self.folder / name, data)
            with self._cond:
                self.ended = True
                done = "The exercise has ended."
                self._publish(self.clock, "end", CONTROL | {PUBLIC}, done, {"files": list(files)})
        except Exception as error:  # the room says so rather than hanging
            with self._cond:
                self.failed = f"{type(error).__name__}: {error}"
                self._cond.notify_all()

    def _watch(self, world: World) -> None:
        world.records.listeners.append(lambda row: self._heard(row))
        world.env.process(self._pacer(world))

    def _pacer(self, world: World) -> Iterator[Any]:
        while True:
            yield world.env.timeout(TICK_HOURS)
            self._tick(world)

    def _tick(self, world: World) -> None:
        """Publish the clock and the board, take queued moves, then wait as the pace says."""
        with self._cond:
            self.clock = world.env.now
            self.board = board(world, self.board, len(self._open))
            for intent in self.queued:
                self._take(world, intent)
            self.queued = []
            if round(self.clock / TICK_HOURS) % 50 == 0:
                self.journal.add({"kind": "clock", "hours": self.clock})
            self._cond.notify_all()
            started = time.monotonic()
            while not self._fast():
                left = TICK_HOURS / self.pace * 60 - (time.monotonic() - started)
                if not self.paused and left <= 0:
                    break
                self._cond.wait(timeout=None if self.paused else left)

    def _fast(self) -> bool:
        return self.ending or self.jumping or self.clock <= self._resume_clock

    def _take(self, world: World, intent: dict[str, Any]) -> None:
        move = Move.model_validate(
            {"time_hours": world.env.now + MOVE_DELAY_HOURS} | intent["move"]
        )
        self.moves.append(move)
        number = len(self.moves)
        self._said[f"move:{number}"] = intent.get("said", {})
        self.journal.add(
            {"kind": "move", "intent": intent["intent"], "move": move.model_dump(mode="json")}
        )
        timer = world.env.timeout(MOVE_DELAY_HOURS)
        timer.callbacks.append(lambda _event: take_move(world, move, number))

    def _choose(self, point: DecisionPoint, world: World) -> int:
        """Wait for the point's team (the facilitator for a point without one); the timeout
        counts down only while the clock runs, and then takes the default."""
        role = self._team_role(point.team)
        with self._cond:
            if self.clock > self._resume_clock:  # a restart comes back to this point
                self.journal.add({"kind": "clock", "hours": world.env.now})
            pending = Pending(point, role, self.timeout_minutes * 60)
            self.pending[point.id] = pending
            data = _point_json(point)
            self._publish(world.env.now, "decision_due", frozenset({role}), point.prompt, data)
            while pending.answer is None:
                if self.ending or pending.remaining <= 0:
                    by = "end" if self.ending else "timeout"
                    self._record_answer(pending, point.default, by)
                    break
                began = time.monotonic()
                self._cond.wait(timeout=1.0 if self.paused else min(1.0, pending.remaining))
                if not self.paused:
                    pending.remaining -= time.monotonic() - began
                    self._cond.notify_all()  # screens show the countdown
            del self.pending[point.id]
            self.jumping = False
            if self._recorder is not None:  # the decisions file says who decided
                self._recorder.source = pending.by
            return pending.answer  # type: ignore[return-value]

    def _record_answer(self, pending: Pending, option: int, by: str) -> None:
        wall = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        entry = {"point": pending.point.id, "option": option, "by": by, "wall": wall}
        self.journal.add({"kind": "answer"} | entry)
        self.answered.add(pending.point.id)
        pending.answer, pending.by = option, by
        self._cond.notify_all()

    def _deliver(self, delivered: Delivered, world: World) -> None:
        inject = delivered.inject
        audience = self._inject_audience(inject.recipient)
        data = {"sequence": inject.sequence, "from": inject.sender, "to": inject.recipient}
        data["translated"] = delivered.translated
        with self._cond:
            if inject.sequence in self.held:
                data["held"] = True
                audience = frozenset()  # control sees it; the teams once it is released
            self._publish(world.env.now, "inject", audience, delivered.message, data)
            self.jumping = False

    def _heard(self, row: Row) -> None:
        line = self.feed.line(row)
        if row.kind == kinds.TRIAGED:
            self._open.add(row.incident)
        elif row.kind == kinds.CONTAINED:
            self._open.discard(row.incident)
        with self._cond:
            if row.kind in (kinds.DECISION, kinds.MOVE):
                who = self._row_role(row)
                data = {"tag": row.incident} | self._said.get(row.incident, {})
                self._publish(row.time, row.kind, who, row.detail, data)
            elif row.kind == kinds.PUBLIC_STATEMENT:
                self._publish(row.time, "statement", frozenset({PUBLIC}), row.detail)
            elif line is not None:
                audience = frozenset({f"team:{line.country}"} if line.country else {PUBLIC})
                said = {"key": line.key, "fields": dict(line.fields)}
                self._publish(line.time, "feed", audience, line.text, said)
                self.jumping = False
            elif row.kind in TRUTH:
                text = f"{TRUTH[row.kind]}: {row.campaign} at {row.asset} ({row.country})"
                self._publish(row.time, "truth", frozenset(), text)

    # -- who sees and does what ---------------------------------------------------------------

    def _team_role(self, team: str | None) -> str:
        country = self._team_country.get(team) if team else None
        return f"team:{country}" if country else "facilitator"

    def _row_role(self, row: Row) -> frozenset[str]:
        if row.country:
            return frozenset({f"team:{row.country}"})
        found = self._points.get(row.incident.removeprefix("decision:"))
        return frozenset({self._team_role(found.team)} if found else set())

    def _inject_audience(self, recipient: str) -> frozenset[str]:
        """Every team when the inject addresses all players; else the teams whose country or
        team (id or name) it names; else control only."""
        wanted = recipient.strip().lower()
        if wanted in ALL_PLAYERS:
            return frozenset({PUBLIC})
        found = {
            f"team:{c.id}"
            for c in self.scenario.countries
            if wanted in {c.id.lower(), (c.name or "").lower()}
        }
        exercise = self.scenario.exercise
        for team in exercise.teams if exercise else ():
            if team.country and wanted in {team.id.lower(), team.name.lower()}:
                found.add(f"team:{team.country}")
        return frozenset(found)

    def _publish(
        self,
        hours: float,
        kind: str,
        audience: frozenset[str],
        text: str,
        data: dict[str, Any] | None = None,
    ) -> None:
        self.items.append(Item(len(self.items) + 1, hours, kind, audience, text, data or {}))
        self._cond.notify_all()

    def role_of(self, code: str) -> str | None:
        """The role whose code this is (compared in constant time), or None."""
        found = None
        for role, known in self.codes.items():
            if hmac.compare_digest(known.encode(), code.encode()):
                found = role
        return found

    # -- actions ------------------------------------------------------------------------------

    def act(self, role: str, command: str, value: Any = None) -> None:
        """A facilitator's command: run, pause, pace (hours per minute), jump (to the next
        news), timeout (minutes), hold or release (an inject's sequence), end."""
        if role != "facilitator":
            raise RoomError("only the facilitator controls the clock and the injects")
        with self._cond:
            if command in ("run", "pause", "jump"):
                self.paused = command == "pause"
                self.jumping = command == "jump"
                if command == "pause":
                    self.journal.add({"kind": "clock", "hours": self.clock})
            elif command in ("pace", "timeout"):
                given = number(value, *(PACES if command == "pace" else (0.25, 240.0)))
                if command == "pace":
                    self.pace = given
                else:
                    self.timeout_minutes = given
                    for pending in self.pending.values():  # waiting ones get no more time
                        pending.remaining = min(pending.remaining, given * 60)
                entry = {"pace": self.pace, "timeout_minutes": self.timeout_minutes}
                self.journal.add({"kind": "settings"} | entry)
            elif command in ("hold", "release"):
                self._hold(command, value)
            elif command == "end":
                self.journal.add({"kind": "end"})
                self.ending, self.paused = True, False
            else:
                raise RoomError(f"unknown command '{command}'")
            self._cond.notify_all()

    def _hold(self, command: str, value: Any) -> None:
        exercise = self.scenario.exercise
        sequences = {i.sequence: i for i in exercise.injects} if exercise else {}
        sequence = value if isinstance(value, int) and value in sequences else None
        if sequence is None:
            raise RoomError(f"no inject with sequence {value!r}")
        self.journal.add({"kind": command, "sequence": sequence})
        if command == "hold":
            self.held.add(sequence)
            return
        self.held.discard(sequence)
        for item in self.items:  # a held inject already delivered goes out now
            if (
                item.kind == "inject"
                and item.data.get("sequence") == sequence
                and item.data.get("held")
            ):
                inject = sequences[sequence]
                audience = self._inject_audience(inject.recipient)
                data = item.data | {"held": False, "released": True}
                self._publish(self.clock, "inject", audience, item.text, data)

    def answer(self, role: str, point: str, option: int) -> None:
        """The team's (or the facilitator's, for any team) answer at a pending point."""
        with self._cond:
            pending = self.pending.get(point)
            if point in self.answered:
                raise RoomError("this decision has already been answered")
            if pending is None:
                raise RoomError(f"no decision '{point}' is waiting")
            if role not in (pending.role, "facilitator"):
                raise RoomError("this decision is another team's")
            if not (isinstance(option, int) and 0 <= option < len(pending.point.options)):
                raise RoomError(f"option must be 0 to {len(pending.point.options) - 1}")
            self._record_answer(pending, option, role)

    def move(self, role: str, kind: str, **given: Any) -> str:
        """A team's move: share (to: partner countries), isolate (asset, hours), alert (sector,
        hours), backup (asset, hours) or statement (text); queued for the next tick and
        journaled first. Returns the move's id."""
        country = country_of(role)
        actions, key = team_move(self.scenario, country, kind, given)
        first = actions[0]
        names = {a.id: a.name for a in self.scenario.assets}
        fields = {
            "to": ", ".join(first.get("to", ())),
            "asset": names.get(first.get("asset", ""), ""),
            "hours": first.get("hours", ""),
            "sector": first.get("sector", ""),
        }
        return self._queue(country, actions, key, {k: v for k, v in fields.items() if v != ""})

    def _queue(
        self, country: str, actions: list[dict[str, Any]], key: str, fields: dict[str, Any]
    ) -> str:
        label, texts = said(key, country=country, **fields)
        intent = {
            "kind": "intent",
            "intent": secrets.token_hex(8),
            "move": {"country": country, "label": label, "actions": actions},
            "said": {"key": key, "fields": {"country": country} | texts},
        }
        try:
            Move.model_validate({"time_hours": 0.0} | intent["move"])  # refuse now, not later
        except ValidationError as error:
            problem = error.errors()[0]
            where = ".".join(str(p) for p in problem["loc"])
            raise RoomError(f"{where}: {problem['msg']}") from None
        with self._cond:
            self._still_on()
            self.journal.add(intent)
            self.queued.append(intent)
            self._cond.notify_all()
        return intent["intent"]

    def request(self, role: str, helper: str, analysts: int) -> str:
        """A team asks another country's team for analysts; that team answers (`reply`)."""
        country = country_of(role)
        if helper == country or helper not in {c.id for c in self.scenario.countries}:
            raise RoomError(f"'{helper}' is not another country")
        wanted = int(number(analysts, 1, 50))
        made = {"id": secrets.token_hex(6), "from": country, "to": helper, "analysts": wanted}
        made["status"] = "open"
        with self._cond:
            self._still_on()
            self.journal.add({"kind": "request", "request": made})
            self.requests[made["id"]] = made
            text, fields = said("request", country=country, to=helper, analysts=wanted)
            audience = frozenset({f"team:{country}", f"team:{helper}"})
            data = {"request": made["id"], "key": "request", "fields": fields}
            self._publish(self.clock, "request", audience, text, data)
        return made["id"]

    def reply(self, role: str, request: str, accept: bool, analysts: int | None = None) -> None:
        """The asked team lends analysts (its CSIRT's arrive as the engine's assistance
        does) or declines."""
        country = country_of(role)
        with self._cond:
            self._still_on()
            asked = self.requests.get(request)
            if asked is None or asked["to"] != country:
                raise RoomError("no such request to this team")
            if asked["status"] != "open":
                raise RoomError("this request has been answered")
            status = "accepted" if accept else "declined"
            self.journal.add({"kind": "reply", "id": request, "status": status})
            asked["status"] = status
            key = f"reply_{status}"
            text, fields = said(key, country=country, to=asked["from"])
            audience = frozenset({f"team:{country}", f"team:{asked['from']}"})
            data = {"request": request, "key": key, "fields": fields}
            self._publish(self.clock, "reply", audience, text, data)
        if accept:
            lent = int(number(analysts or asked["analysts"], 1, 50))
            action = {
                "action": "request_assistance",
                "country": asked["from"],
                "from": country,
                "analysts": lent,
            }
            self._queue(country, [action], "move_lend", {"to": asked["from"], "analysts": lent})

    def _still_on(self) -> None:
        if self.ended or self.ending:
            raise RoomError("the exercise has ended")

    def note(self, role: str, text: str, objective: str | None = None) -> None:
        """An evaluator's (or facilitator's) time-stamped note, against an objective."""
        if role not in CONTROL:
            raise RoomError("only the evaluator and the facilitator take notes")
        exercise = self.scenario.exercise
        known = {o.id for o in exercise.objectives} if exercise else set()
        if objective not in known | {None, ""}:
            raise RoomError(f"no objective '{objective}'")
        with self._cond:
            made = {
                "time_hours": self.clock,
                "wall_clock": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "objective": objective or "",
                "text": text_of(text),
                "by": role,
            }
            self.journal.add({"kind": "note", "note": made})
            self.notes.append(made)
            self._publish(self.clock, "note", frozenset(), made["text"], {"objective": objective})

    # -- what each role sees ------------------------------------------------------------------

    def view(self, role: str) -> dict[str, Any]:
        """The state `role` may see now (besides the items)."""
        with self._cond:
            seen = {
                "role": role,
                "clock": self.clock,
                "calendar": self.scenario.calendar_time(self.clock),
                "local_time": _local_time(self.scenario, self.clock),
                "duration": self.scenario.duration_hours,
                "paused": self.paused,
                "ending": self.ending and not self.ended,
                "catching_up": self.clock < self._resume_clock,
                "ended": self.ended,
                "failed": self.failed if role in CONTROL else None,
                "pace": self.pace,
                "board": self.board,
                "pending": [
                    _point_json(p.point) | {"team": p.role, "seconds_left": round(p.remaining)}
                    for p in self.pending.values()
                    if role in CONTROL or p.role == role
                ],
                "requests": [
                    r
                    for r in self.requests.values()
                    if role in CONTROL or role in (f"team:{r['from']}", f"team:{r['to']}")
                ],
            }
            if role == "facilitator":
                seen |= {"timeout_minutes": self.timeout_minutes, "held": sorted(self.held)}
            return seen

    def since(self, role: str, after: int) -> tuple[list[Item], int, int]:
        """The items `role` may see after item number `after`, the number to ask after next
        time, and the room's version, without waiting."""
        with self._cond:
            return [i for i in self.items[after:] if i.seen_by(role)], len(self.items), self.version

    def close(self) -> None:
        """End the screens' streams and wake waiting threads: the server is going down (the
        journal already holds everything)."""
        with self._cond:
            self.closed = True
            self._cond.notify_all()


class _Notifying(threading.Condition):
    """A condition whose every `notify_all` bumps the room's version."""

    def __init__(self, room: LiveRoom) -> None:
        super().__init__()
        self.room = room

    def notify_all(self) -> None:
        self.room.version += 1
        super().notify_all()


def _local_time(scenario: Scenario, hours: float) -> str | None:
    """Scenario hour `hours` as the scenario's local date and time, ISO without a zone (for
    screens to write in their language); None past the calendar's end."""
    try:
        return (scenario.start + timedelta(hours=hours)).replace(tzinfo=None).isoformat()
    except OverflowError:
        return None


def _point_json(point: DecisionPoint) -> dict[str, Any]:
    """A decision point as screens show it, with its translations."""
    return {
        "point": point.id,
        "prompt": point.prompt,
        "options": [o.label for o in point.options],
        "default": point.default,
        "translated": {k: v.model_dump() for k, v in point.translations.items()},
    }
