"""Who decides at decision points: a recorded log (replay), a scripted policy, and the log
every exercise keeps of its decisions (scenario time and wall-clock time)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..engine.exercise import Chooser
from ..engine.world import World
from ..errors import InputError, ScenarioError
from ..schema.exercise import ACTION_KINDS, DecisionPoint, Move
from ..schema.files import read_bytes
from ..schema.scenario import MAX_SEED

POLICIES = (
    "default",
    "first",
    "last",
    *(f"{v}:{k}" for v in ("prefer", "avoid") for k in ACTION_KINDS),
)
"""Scripted policies: each point's default, its first or last option, or the first option
that takes (prefer) or does not take (avoid) an action of some kind."""


class DecisionsError(InputError, ValueError):
    """A decisions file that cannot be read or does not fit the scenario."""


@dataclass(frozen=True)
class Decision:
    """One decision taken: the point, the option, when (scenario and wall clock) and by whom."""

    point: str
    option: int
    label: str
    time_hours: float
    wall_clock: str
    source: str


def decided(point: DecisionPoint, option: int, world: World, source: str) -> Decision:
    """The record of taking `option` at `point` now."""
    return Decision(
        point.id,
        option,
        point.options[option].label,
        world.env.now,
        datetime.now().astimezone().isoformat(timespec="seconds"),
        source,
    )


def policy_choice(policy: str, point: DecisionPoint) -> int:
    """The option a scripted policy takes at `point`. Raises DecisionsError for an unknown
    policy."""
    if policy not in POLICIES:
        raise DecisionsError(f"unknown policy '{policy}'; choose one of {', '.join(POLICIES)}")
    if policy in ("default", "first", "last"):
        return {"default": point.default, "first": 0, "last": len(point.options) - 1}[policy]
    wanted, kind = policy.split(":")
    for k, option in enumerate(point.options):
        if (kind in {a.action for a in option.actions}) == (wanted == "prefer"):
            return k
    return point.default


class Recorder:
    """Chooses from recorded decisions first, then from `fallback`; keeps every decision."""

    def __init__(self, recorded: list[Decision], fallback: Chooser | None, source: str) -> None:
        self.recorded, self.fallback, self.source = list(recorded), fallback, source
        self.taken: list[Decision] = []

    @property
    def replaying(self) -> bool:
        """Whether recorded decisions remain to be replayed."""
        return len(self.taken) < len(self.recorded)

    def __call__(self, point: DecisionPoint, world: World) -> int:
        if self.replaying:
            expected = self.recorded[len(self.taken)]
            number = len(self.taken) + 1
            if expected.point != point.id:
                raise DecisionsError(
                    f"decision {number} was recorded at point '{expected.point}', but this "
                    f"scenario reaches '{point.id}' there"
                )
            if not 0 <= expected.option < len(point.options):
                raise DecisionsError(
                    f"decision {number}: option {expected.option} is not an option of "
                    f"'{point.id}' (0 to {len(point.options) - 1}, counted from 0)"
                )
            self.taken.append(replace(expected, time_hours=world.env.now))  # when it fell now
            return expected.option
        option = self.fallback(point, world) if self.fallback else point.default
        self.taken.append(decided(point, option, world, self.source))
        return option


def write_decisions(
    decisions: list[Decision],
    about: dict[str, Any],
    undone: list[Decision] | None = None,
    moves: Sequence[Move] = (),
) -> bytes:
    """A decisions file: `about` (scenario, seed, variant...), the decisions in order, any
    decisions the room undid (kept for the record; a replay ignores them), and the teams'
    moves outside decision points (a replay takes them at their hours)."""
    content = about | {"decisions": [asdict(d) for d in decisions]}
    if undone:
        content["undone"] = [asdict(d) for d in undone]
    if moves:
        content["moves"] = [
            m.model_dump(mode="json", by_alias=True, exclude_defaults=True) for m in moves
        ]
    return yaml.safe_dump(content, sort_keys=False, allow_unicode=True).encode()


class _Row(BaseModel):
    """A decision as a decisions file or a saved session holds it."""

    model_config = ConfigDict(extra="forbid", strict=False)
    point: Annotated[str, Field(min_length=1, max_length=120)]
    option: Annotated[int, Field(ge=0, le=1000, strict=True)]
    label: Annotated[str, Field(max_length=300)] = ""
    time_hours: Annotated[float, Field(ge=0, le=1_000_000, allow_inf_nan=False)]
    wall_clock: Annotated[str, Field(max_length=64)] = ""
    source: Annotated[str, Field(max_length=120)] = ""


class _File(BaseModel):
    """A decisions file or a saved session: what it was played on, and the decisions."""

    model_config = ConfigDict(extra="forbid")
    scenario: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    resolved_scenario_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None
    msel: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    seed: Annotated[int, Field(ge=0, le=MAX_SEED, strict=True)] | None = None
    variant: Annotated[str, Field(min_length=1, max_length=120)] | None = None
    decisions: list[_Row]
    undone: list[_Row] = []
    moves: Annotated[list[Move], Field(max_length=10_000)] = []
    stopped_at: Annotated[float, Field(ge=-1, le=1_000_000, allow_inf_nan=False)] | None = None
    """Where a saved session stopped (hours); -1 or none: at the start."""


def read_decisions(path: Path) -> tuple[dict[str, Any], list[Decision]]:
    """The header of a decisions file (its `undone` as Decisions, its `moves` as Moves) and
    its decisions. Raises DecisionsError naming the file and each field that is wrong."""
    try:
        data = yaml.safe_load(read_bytes(path, "a decisions file").decode("utf-8"))
    except ScenarioError as error:
        raise DecisionsError(str(error.problems[0])) from None
    except (yaml.YAMLError, UnicodeDecodeError):
        raise DecisionsError(f"{path}: not a decisions file (not UTF-8 YAML)") from None
    if not isinstance(data, dict):
        raise DecisionsError(f"{path}: not a decisions file (expected a mapping)")
    try:
        checked = _File.model_validate(data)
    except ValidationError as error:
        raise DecisionsError(
            "\n".join(f"{path}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        ) from None
    decisions = [Decision(**row.model_dump()) for row in checked.decisions]
    undone = [Decision(**row.model_dump()) for row in checked.undone]
    header = {k: v for k, v in data.items() if k not in ("decisions", "stopped_at")}
    stopped = {} if checked.stopped_at is None else {"stopped_at": checked.stopped_at}
    return header | stopped | {"undone": undone, "moves": list(checked.moves)}, decisions
