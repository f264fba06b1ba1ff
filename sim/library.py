"""The bundled scenario library: where it is and how a name becomes a path."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from .errors import InputError

DEFAULT_SCENARIO = "continental_final"
"""What `cyberttx run` runs when given no scenario."""


def library_root() -> Path:
    """The folder holding `scenarios/` and `infrastructure_models/`.

    An installed wheel carries them inside the package; a source checkout has them beside it.
    """
    bundled = Path(str(files("sim"))) / "_bundled"
    return bundled if bundled.is_dir() else Path(__file__).resolve().parent.parent


def list_scenarios() -> dict[str, Path]:
    """Bundled scenarios by name (the file name without `.yaml`)."""
    return {p.stem: p for p in sorted((library_root() / "scenarios").glob("*.yaml"))}


class UnknownScenario(InputError, KeyError):
    """A name that is neither a scenario file nor a bundled scenario."""

    def __str__(self) -> str:
        return str(self.args[0])


def bundled_scenario(name: str = DEFAULT_SCENARIO) -> Path:
    """The path of a bundled scenario; raises UnknownScenario (a KeyError) naming the known
    ones."""
    scenarios = list_scenarios()
    if name not in scenarios:
        raise UnknownScenario(f"no bundled scenario '{name}' (bundled: {', '.join(scenarios)})")
    return scenarios[name]


def resolve_scenario(name_or_path: str | None) -> Path:
    """A scenario file: an existing path, else a bundled scenario's name, else the default."""
    if name_or_path is None:
        return bundled_scenario()
    path = Path(name_or_path)
    if path.exists() or path.suffix in {".yaml", ".yml"} or len(path.parts) > 1:
        return path
    return bundled_scenario(name_or_path)
