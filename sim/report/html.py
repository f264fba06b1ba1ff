"""HTML pages from the package's Jinja templates: autoescaped, so text from a scenario is safe."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape


@cache
def environment(package: str = "sim.report") -> Environment:
    """The template environment of `package`'s templates/ folder, autoescape on."""
    return Environment(
        loader=PackageLoader(package, "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template: str, **context: Any) -> str:
    """The named template of templates/ rendered with `context`."""
    return environment().get_template(template).render(**context)
