"""Errors about what the user handed over. Any other exception is a bug and shows as one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario: where (file and field path) and what."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        return f"{where}: {self.message}"


class InputError(Exception):
    """Input a user handed over (a file, an option, a name) that cannot be used; its message
    names the file or option and says what is wrong. Front ends show it in one line and exit
    with status 2."""


class ScenarioError(InputError):
    """A scenario or model that is unreadable or invalid; `problems` lists every finding."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def one(cls, file: object, message: str, path: str = "") -> ScenarioError:
        """The error of a single problem in `file` (at field `path`, if given)."""
        return cls([Problem(str(file), path, message)])

    def report(self, limit: int = 25) -> str:
        """The problems one per line, at most `limit` of them."""
        lines = [str(p) for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"... and {len(self.problems) - limit} more problems")
        return "\n".join(lines)
