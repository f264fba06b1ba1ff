"""cyberttx: a discrete-event simulation engine for tabletop cyber exercises.

>>> from sim import load_scenario, run
>>> result = run(load_scenario(bundled_scenario()))
"""

from .analysis.result import RunResult, run
from .engine.records import Records
from .engine.world import run_replication
from .errors import Problem, ScenarioError
from .library import bundled_scenario, list_scenarios
from .schema.load import load_scenario
from .schema.scenario import Scenario
from .schema.variants import VariantError, apply_variant
from .version import __version__

__all__ = [
    "Problem",
    "Records",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "VariantError",
    "__version__",
    "apply_variant",
    "bundled_scenario",
    "list_scenarios",
    "load_scenario",
    "run",
    "run_replication",
]
