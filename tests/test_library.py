"""The bundled library: every scenario validates and runs; the default shows what CBMs buy."""

from __future__ import annotations

import numpy as np
import pytest

from sim import bundled_scenario, list_scenarios, load_scenario, run


@pytest.mark.parametrize("name", sorted(list_scenarios()))
def test_every_bundled_scenario_runs_every_variant(name: str) -> None:
    scenario = load_scenario(list_scenarios()[name])
    assert scenario.description
    for variant in [None, *scenario.variants]:
        assert run(scenario, variant=variant, seed=1).metrics["service_hours_lost"] >= 0


def test_all_cbms_lower_mean_loss_in_the_default_scenario() -> None:
    scenario = load_scenario(bundled_scenario())
    seeds = range(30)
    base = np.array(
        [run(scenario, "baseline", seed=s).metrics["service_hours_lost"] for s in seeds]
    )
    cbms = np.array(
        [run(scenario, "all_cbms", seed=s).metrics["service_hours_lost"] for s in seeds]
    )
    difference = cbms - base
    assert difference.mean() < 0
    assert (difference <= 1e-6 * base.max()).mean() >= 0.8  # rarely worse on a paired seed
