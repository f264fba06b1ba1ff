"""The MITRE ATT&CK technique table shipped with the package, for offline checks of ids."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

ATTACK_VERSION = "18.1"
TABLE = f"attack-techniques-v{ATTACK_VERSION}.csv"


@dataclass(frozen=True)
class Technique:
    """One ATT&CK technique or sub-technique."""

    domain: str
    id: str
    name: str
    tactics: tuple[str, ...]


@cache
def techniques() -> dict[str, Technique]:
    """Every Enterprise and ICS technique of ATT&CK v18.1 by id (read on first use)."""
    text = (files("sim") / "data" / TABLE).read_text(encoding="utf-8")
    return {
        row["id"]: Technique(
            row["domain"], row["id"], row["name"], tuple(row["tactics"].split(";"))
        )
        for row in csv.DictReader(text.splitlines())
    }
