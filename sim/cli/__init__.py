"""The `cyberttx` command: parse arguments, call the library, print. Nothing else.

Each command is a few calls into the library (`sim.schema.resolve`, `sim.analysis.designs`,
`sim.analysis.study`, `sim.facilitation.session`, `sim.report.summary` ...), which a notebook
can make with the same results. `common` holds the group and shared options; the commands
live in `scenarios`, `experiments`, `exercises` and `serve`, each imported when one of its
commands is first used (`common.COMMAND_MODULES`).
"""

from .common import main

__all__ = ["main"]
