"""An exercise session: what to play (scenario, variant, seed, decisions so far), played live
or replayed, saved part-way and resumed.

    session = open_session("continental_final", decisions=Path("decisions.yaml"))
    played = replay(session)                     # or replay(session, policy="first"),
                                                 # or play_live(session, console)
    decisions_yaml = decisions_file(session, played)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..analysis.result import RunResult
from ..analysis.validation import check_measures
from ..atomic import beside, write_file
from ..engine.exercise import run_exercise
from ..errors import InputError, ScenarioError
from ..library import list_scenarios, resolve_scenario
from ..schema.exercise import Move
from ..schema.resolve import Resolved, resolve
from ..schema.scenario import MAX_ROUTINE_INCIDENTS
from .decisions import (
    Decision,
    DecisionsError,
    Recorder,
    policy_choice,
    read_decisions,
    write_decisions,
)
from .msel import with_msel
from .play import Console, play


class NoExercise(InputError):
    """A scenario without an `exercise:` to play."""


@dataclass(frozen=True)
class Session:
    """An exercise ready to play: the resolved scenario, the root seed, the decisions a file
    recorded (replayed first), and what that file said about where it stopped."""

    resolved: Resolved
    seed: int
    recorded: list[Decision] = field(default_factory=list)
    header: dict[str, Any] = field(default_factory=dict)
    source: Path | None = None
    """The decisions file or saved session the session was opened from."""
    warnings: tuple[str, ...] = ()
    """What the user should know: a seed or variant given that differs from the file's."""
    msel: Path | str | None = None
    """The MSEL table whose injects replaced the scenario's, if any."""

    @property
    def moves(self) -> list[Move]:
        """The teams' moves outside decision points that the file recorded (a served room's)."""
        return list(self.header.get("moves", []))

    def about(self) -> dict[str, Any]:
        """What a decisions file records about the session."""
        path = self.resolved.path
        bundled = list_scenarios().get(path.stem)
        same = bundled is not None and bundled.resolve() == path.resolve()
        return {
            "scenario": path.stem if same else str(path),  # a name survives a reinstall
            "resolved_scenario_sha256": self.resolved.scenario.digest(),
            "seed": self.seed,
            "variant": self.resolved.variant,
        } | ({} if self.msel is None else {"msel": str(self.msel)})


def open_session(
    scenario: str | None = None,
    variant: str | None = None,
    seed: int | None = None,
    decisions: Path | None = None,
    msel: Path | None = None,
    *,
    allowed: Sequence[Path] = (),
    max_events: int = MAX_ROUTINE_INCIDENTS,
) -> Session:
    """The session on `scenario` (a file or bundled name; None: the one `decisions` names, else
    the default) with `variant` and `seed` (None: the decisions file's, else the exercise's,
    else the scenario's).
    `decisions` is a decisions file or a saved session, whose decisions are replayed first.
    `msel` is an MSEL table (CSV or XLSX) whose injects replace the scenario's (default: the
    one the decisions file was played with, if any).

    Raises InputError naming the file and field: DecisionsError, ScenarioError, VariantError,
    NoExercise.
    """
    header: dict[str, Any] = {}
    recorded: list[Decision] = []
    warnings = []
    decisions = None if decisions is None else Path(decisions)
    if decisions is not None:
        header, recorded = read_decisions(decisions)
        for name, given in (("seed", seed), ("variant", variant)):
            if given is not None and header.get(name) not in (None, given):
                warnings.append(
                    f"the decisions were recorded with {name} {header[name]}; "
                    f"playing {given} instead"
                )
    named_there = scenario is None and header.get("scenario") is not None
    variant_there = variant is None and header.get("variant") is not None
    scenario = scenario or header.get("scenario")
    variant = header.get("variant") if variant is None else variant
    seed = header.get("seed") if seed is None else seed
    if named_there:
        _check_named(decisions, scenario)
    try:
        resolved = resolve(scenario, allowed=allowed, max_events=max_events)
    except ScenarioError as error:
        if not named_there:
            raise
        raise DecisionsError(f"{decisions}: scenario: {error.problems[0]}") from None
    if variant_there and variant not in resolved.written.variants and variant != "baseline":
        raise DecisionsError(f"{decisions}: variant: not a variant of {resolved.path}")
    resolved = resolved.with_variant(variant)
    msel = header.get("msel") if msel is None else msel
    if msel is not None:
        scenario_with_msel = with_msel(resolved.scenario, Path(msel))
        resolved = Resolved(resolved.path, resolved.written, variant, scenario_with_msel)
    if resolved.scenario.exercise is not None:
        resolved = Resolved(
            resolved.path, resolved.written, variant, resolved.scenario.as_exercised()
        )
    check_measures(resolved.path, {variant: resolved.scenario})
    if resolved.scenario.exercise is None:
        raise NoExercise(
            f"{resolved.path}: exercise: this scenario has no exercise to play "
            "(see docs/exercises.md)"
        )
    if header.get("resolved_scenario_sha256") not in (None, resolved.scenario.digest()):
        warnings.append("the decisions were recorded on a different scenario")
    root = resolved.scenario.exercise_seed(seed)
    return Session(resolved, root, recorded, header, decisions, tuple(warnings), msel)


def _check_named(decisions: Path | None, scenario: str | None) -> None:
    """Refuse a decisions file naming no scenario that exists."""
    try:
        found = resolve_scenario(scenario).is_file()
    except (InputError, OSError, ValueError):
        found = False
    if not found:
        raise DecisionsError(f"{decisions}: scenario: no scenario file or bundled scenario")


@dataclass(frozen=True)
class Played:
    """A played (or replayed) exercise: the run, or None if the room saved and quit part-way
    (at `stopped_at` hours); the decisions taken, and those the room undid."""

    result: RunResult | None
    taken: list[Decision]
    undone: list[Decision]
    stopped_at: float


def replay(session: Session, policy: str | None = None) -> Played:
    """Run the exercise without prompts: the recorded decisions, then the `policy`'s choice
    (default, first, last, prefer:ACTION, avoid:ACTION) or each point's default. Raises
    DecisionsError for a recorded decision that does not fit the scenario or a bad policy."""
    fallback = (lambda point, world: policy_choice(policy, point)) if policy else None
    recorder = Recorder(session.recorded, fallback, f"policy:{policy}" if policy else "default")
    with _blamed(session):
        scenario = session.resolved.scenario
        records = run_exercise(scenario, session.seed, recorder, moves=session.moves)
    end = session.resolved.scenario.duration_hours
    return Played(run_result(session, records), recorder.taken, [], end)


def play_live(session: Session, console: Console) -> Played:
    """Run the exercise with the room deciding at `console`, after replaying the session's
    recorded decisions; `result` is None when the room saves and quits."""
    with _blamed(session):
        outcome = play(
            session.resolved.scenario,
            session.seed,
            console,
            session.recorded,
            float(session.header.get("stopped_at", -1)),
            session.header.get("undone"),
            session.moves,
        )
    result = None if outcome.records is None else run_result(session, outcome.records)
    return Played(result, outcome.decisions, outcome.undone, outcome.stopped_at)


@contextmanager
def _blamed(session: Session) -> Iterator[None]:
    """A decision that does not fit the scenario, blamed on the file that recorded it."""
    try:
        yield
    except DecisionsError as error:
        raise DecisionsError(f"{session.source or 'policy'}: {error}") from None


def run_result(session: Session, records: Any) -> RunResult:
    """The run of `session` that `records` hold."""
    resolved = session.resolved
    return RunResult(resolved.scenario, resolved.variant, session.seed, records)


def decisions_file(session: Session, played: Played, moves: Sequence[Move] | None = None) -> bytes:
    """The decisions taken and the teams' `moves` (default: the session's), as a decisions
    file that replays them; for a session saved part-way, also where it stopped, so that it
    resumes there."""
    about = session.about()
    if played.result is None:
        about["stopped_at"] = played.stopped_at
    taken_moves = session.moves if moves is None else moves
    return write_decisions(played.taken, about, played.undone, taken_moves)


class SessionInTheWay(InputError):
    """A saved session waits beside the output folder, and this play would not continue it."""


@dataclass(frozen=True)
class SavedSession:
    """Where a session stopped part-way is saved: `<out>.session.yaml`, beside the folder
    the finished exercise will be written to."""

    path: Path

    @classmethod
    def of(cls, folder: Path) -> SavedSession:
        return cls(beside(folder, ".session.yaml"))

    def check(self, resuming: Path | None, replace: bool = False) -> None:
        """Raise SessionInTheWay if a saved session is there and this play is not resuming
        it (unless `replace`: starting again overwrites it)."""
        if self.path.exists() and resuming != self.path and not replace:
            raise SessionInTheWay(
                f"{self.path}: holds a saved session; continue it with --resume "
                "(or --force to start again)"
            )

    def save(self, session: Session, played: Played) -> None:
        """Write the decisions so far and where the room stopped, atomically."""
        write_file(self.path, decisions_file(session, played))

    def finished(self, resuming: Path | None) -> None:
        """The exercise it held is finished: remove it, if it is the one resumed."""
        if resuming is not None and resuming == self.path:
            self.path.unlink(missing_ok=True)
