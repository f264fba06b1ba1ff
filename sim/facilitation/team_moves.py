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


SAID = {
    "move_share": "{country} shares indicators with {to}",
    "move_isolate": "{country} isolates {asset} for {hours} h",
    "move_backup": "{country} switches {asset} to its backup for {hours} h",
    "move_alert": "{country} raises the alert of its {sector} sector for {hours} h",
    "move_statement": "{country} makes a public statement",
    "move_lend": "{country} lends {to} {analysts} analysts",
    "request": "{country} asks {to} for {analysts} analysts",
    "reply_accepted": "{country} lends {to} the analysts it asked for",
    "reply_declined": "{country} declines {to}'s request for analysts",
}
"""What the room says of each move, request and answer in English, by key; screens in other
languages find the key in their catalog (as `feed.KEY`) and fill in the same fields
(country ids in `country` and `to` become names there)."""


def said(key: str, **fields: Any) -> tuple[str, dict[str, str]]:
    """The English words of `key` with `fields`, and the fields as texts."""
    texts = {k: f"{v:g}" if isinstance(v, float) else str(v) for k, v in fields.items()}
    return SAID[key].format(**texts), texts


def team_move(
    scenario: Scenario, country: str, kind: str, given: dict[str, Any]
) -> tuple[list[dict[str, Any]], str]:
    """The engine actions of a team's move and the key of what it says (see SAID): share
    (to: partner countries), isolate (asset, hours), alert (sector, hours), backup (asset,
    hours) or statement (text). Raises RoomError for a move the team may not make."""
    assets = {a.id: a for a in scenario.assets if a.country == country}
    others = {c.id for c in scenario.countries} - {country}
    hours = number(given.get("hours", 24), 0.5, 168.0)
    if kind == "share":
        to = list(dict.fromkeys(given.get("to") or []))
        if not to or not set(to) <= others:
            raise RoomError(f"share with one or more of: {', '.join(sorted(others))}")
        return [{"action": "share_indicators", "country": country, "to": to}], "move_share"
    if kind in ("isolate", "backup"):
        asset = given.get("asset")
        if asset not in assets:
            raise RoomError(f"'{asset}' is not an asset of {country}")
        name = "isolate" if kind == "isolate" else "activate_backup"
        return [{"action": name, "asset": asset, "hours": hours}], f"move_{kind}"
    if kind == "alert":
        sector = given.get("sector")
        if sector not in SECTORS:
            raise RoomError(f"'{sector}' is not a sector")
        action = {"action": "raise_alert", "sector": sector, "country": country, "hours": hours}
        return [action], "move_alert"
    if kind == "statement":
        text = text_of(given.get("text"))
        return [{"action": "statement", "text": text}], "move_statement"
    raise RoomError(f"unknown move '{kind}'")
