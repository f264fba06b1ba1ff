"""What a team may do in a served room besides deciding: its moves (share, isolate, alert,
backup, statement) turned into engine actions, and the checks on what it sends."""

from __future__ import annotations

from typing import Any

from ..errors import InputError
from ..schema.infrastructure import SECTORS
from ..schema.scenario import Scenario

MAX_TEXT = 2000
"""The longest text a team or an evaluator may send."""


class RoomError(InputError):
    """An action the room refuses: not this role's, not now, or malformed."""


def country_of(role: str) -> str:
    """The country a team role acts for; RoomError for any other role."""
    if not role.startswith("team:"):
        raise RoomError("only a country's team acts for its country")
    return role.removeprefix("team:")


def number(value: Any, low: float, high: float) -> float:
    """`value` as a number from `low` to `high`; RoomError otherwise."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RoomError(f"expected a number from {low:g} to {high:g}") from None
    if not low <= number <= high:
        raise RoomError(f"expected a number from {low:g} to {high:g}")
    return number


def text_of(value: Any) -> str:
    """`value` as a text of 1 to MAX_TEXT characters, stripped; RoomError otherwise."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise RoomError(f"expected a text of 1 to {MAX_TEXT} characters")
    return value.strip()


def team_move(
    scenario: Scenario, country: str, kind: str, given: dict[str, Any]
) -> tuple[list[dict[str, Any]], str]:
    """The engine actions of a team's move and its label in words: share (to: partner
    countries), isolate (asset, hours), alert (sector, hours), backup (asset, hours) or
    statement (text). Raises RoomError for a move the team may not make."""
    assets = {a.id: a for a in scenario.assets if a.country == country}
    others = {c.id for c in scenario.countries} - {country}
    hours = number(given.get("hours", 24), 0.5, 168.0)
    if kind == "share":
        to = list(given.get("to") or [])
        if not to or not set(to) <= others:
            raise RoomError(f"share with one or more of: {', '.join(sorted(others))}")
        action = {"action": "share_indicators", "country": country, "to": to}
        return [action], f"{country} shares indicators with {', '.join(to)}"
    if kind in ("isolate", "backup"):
        asset = given.get("asset")
        if asset not in assets:
            raise RoomError(f"'{asset}' is not an asset of {country}")
        name = "isolate" if kind == "isolate" else "activate_backup"
        verb = "isolates" if kind == "isolate" else "brings on line the backup of"
        action = {"action": name, "asset": asset, "hours": hours}
        return [action], f"{country} {verb} {assets[asset].name} for {hours:g} h"
    if kind == "alert":
        sector = given.get("sector")
        if sector not in SECTORS:
            raise RoomError(f"'{sector}' is not a sector")
        action = {"action": "raise_alert", "sector": sector, "country": country, "hours": hours}
        return [action], f"{country} raises the alert of its {sector} sector for {hours:g} h"
    if kind == "statement":
        text = text_of(given.get("text"))
        return [{"action": "statement", "text": text}], f"{country} makes a public statement"
    raise RoomError(f"unknown move '{kind}'")
