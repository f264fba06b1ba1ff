"""Optimisations must not change results: the records of a few fixed runs, and the rows of a
small experiment, pinned by digest.

The digests cover every event row and every change point, with floats written to 12
significant digits, so that any change in what happens, when, or in which order fails. A
last-bit difference alone does not, but it can still flip a threshold (a tolerance, "down")
and so change what happens; and numpy does not promise the same random streams across
versions. So if a digest fails after an upgrade rather than a change of code, compare the
records with those of the previous commit before updating. A change to the model that is
meant to change results must update the digests: `python tests/test_golden_records.py`
prints the new ones; say in the commit why results changed.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import pytest

import sim
from sim.analysis.designs import variants_of
from sim.analysis.experiment import run_experiment
from sim.atomic import write_folder
from sim.engine import compiled_cascade
from sim.engine.compiled_cascade import Cascade
from sim.engine.exercise import run_exercise
from sim.engine.records import Records
from sim.engine.world import run_replication
from sim.synthetic import synthetic_files

GOLDEN = {
    "continental_final/-/3/0": "f6629c2df20f2ff8",
    "continental_final/all_cbms/3/2": "af7a4cd98eede5ae",
    "continental_final/all_cbms_joint_cell/3/0": "4dd2adf6d72b6688",
    "continental_final/exercise-last/5/0": "ba65c02e691bd7af",
    "grid_cascade/-/11/0": "1069121a86e2a3ae",
    "ransomware_wave/-/5/1": "5bf6c28c72275fdf",
    "synthetic-1000/-/0/0": "ecd9c64df2a3f744",
}
"""Digest of the records of each run, keyed `scenario/variant/seed/replication`."""


def digest(records: Records) -> str:
    """SHA-256 (first 16 hex digits) of the event log and series, floats to 12 digits."""

    def text(value: object) -> str:
        if isinstance(value, float):
            return "nan" if math.isnan(value) else f"{value:.12g}"
        return str(value)

    lines = ["\t".join(map(text, row)) for row in records.events]
    lines += [
        f"{t:.12g}\t{a}\t{q:.12g}"
        for t, a, q in zip(records.series_time, records.series_asset, records.series_q, strict=True)
    ]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def records_of(key: str, tmp: Path, cascade: Cascade = "auto") -> Records:
    """Run the replication that `key` names, with the settle `cascade` chooses."""
    name, variant, seed, replication = key.split("/")
    if name.startswith("synthetic-"):
        write_folder(tmp / "model", synthetic_files(int(name.split("-")[1]), 5, 0))
        scenario = sim.load_scenario(tmp / "model" / "scenario.yaml")
    else:
        scenario = sim.load_scenario(sim.bundled_scenario(name))
    if variant == "exercise-last":
        return run_exercise(
            scenario,
            int(seed),
            lambda point, world: len(point.options) - 1,
            replication=int(replication),
            cascade=cascade,
        )
    chosen = sim.apply_variant(scenario, None if variant == "-" else variant)
    return run_replication(chosen, seed=int(seed), replication=int(replication), cascade=cascade)


EXPERIMENT = "912ecb2ae8cee11e"
"""Digest of the rows of a three-replication experiment on two variants of the default
scenario (KPIs as `compare` writes them), floats to 12 digits."""


def experiment_digest() -> str:
    scenario = sim.load_scenario(sim.bundled_scenario())
    rows = run_experiment(variants_of(scenario, ["baseline", "all_cbms"]), 3, 5).rows
    text = "\n".join(
        "\t".join(f"{k}={v:.12g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items())
        for row in rows
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def test_experiment_rows_match_their_pinned_digest() -> None:
    assert experiment_digest() == EXPERIMENT


@pytest.mark.parametrize("key", sorted(GOLDEN))
def test_records_match_their_pinned_digest(key: str, tmp_path: Path) -> None:
    assert digest(records_of(key, tmp_path, "python")) == GOLDEN[key]


@pytest.mark.skipif(not compiled_cascade.available, reason="numba is not installed")
@pytest.mark.parametrize("key", sorted(GOLDEN))
def test_the_compiled_cascade_gives_the_pinned_records(key: str, tmp_path: Path) -> None:
    assert digest(records_of(key, tmp_path, "compiled")) == GOLDEN[key]


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for key in sorted(GOLDEN):
            print(f'    "{key}": "{digest(records_of(key, Path(tmp)))}",')
    print(f'EXPERIMENT = "{experiment_digest()}"')
