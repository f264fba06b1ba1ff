"""Commands that write what CSIRTs' own tools read: `export navigator`, `export stix` and
`export misp`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..analysis.intelligence import intelligence
from ..analysis.run_folder import RunFolder, RunFolderError, read_run_folder
from ..analysis.techniques import TechniqueUse, count_techniques, technique_use
from ..report.misp import DISTRIBUTION, misp_events
from ..report.navigator import navigator_layers
from ..report.stix import TLP, stix_bundle
from ..schema.resolve import Resolved
from ..schema.scenario import Scenario
from . import common
from .common import main


@main.group("export")
def export_group() -> None:
    """Write a scenario's or a run's results in the formats CSIRTs' own tools read: ATT&CK
    Navigator layers, a STIX 2.1 bundle, MISP events. Everything written is marked as
    exercise data."""


RUN_DIR = click.argument("run_dir", metavar="RUN_DIR", type=click.Path(path_type=Path))
SCENARIO_FILE = click.option(
    "--scenario",
    "scenario_file",
    type=click.Path(path_type=Path),
    help="The scenario file the run read, if RUN_DIR was moved from where it ran or the "
    "file run.json names is not under the current folder, the bundled library or an "
    "--allow-path folder (it must be the very same file: its SHA-256 is checked against "
    "run.json).",
)
TLP_OPTION = click.option(
    "--tlp",
    type=click.Choice(sorted(TLP)),
    default="green",
    show_default=True,
    help="Traffic Light Protocol level marked on everything written.",
)


def _run_folder(folder: Path, scenario: Path | None) -> RunFolder:
    with common.input_errors(folder):
        try:
            return read_run_folder(folder, scenario, **common.limits())
        except RunFolderError as error:  # its message names the file already
            common.fail(str(error))


def _with_campaigns(resolved: Resolved) -> Scenario:
    if not resolved.scenario.campaigns:
        common.fail(f"{resolved.path}: campaigns: none in this scenario, so no technique to draw")
    return resolved.scenario


def _folder_name(folder: Path) -> str:
    return folder.resolve().name or "run"


def _write(out: Path | None, force: bool, default: str, files: dict[str, bytes]) -> Path:
    folder = common.output_folder(out, force, default)
    common.save(folder, files, force)
    return folder


def _out(kind: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return common.out_option(
        f"Output folder, which must not exist yet (default: results/<name>-{kind}-<timestamp>/)."
    )


@export_group.command("navigator")
@click.argument("source", metavar="SCENARIO|RUN_DIR", required=False)
@common.SEED_OPTION
@common.VARIANT_OPTION
@click.option(
    "-n",
    "--replications",
    type=click.IntRange(min=1, max=10_000),
    default=20,
    show_default=True,
    help="Replications the counts are taken over (for a SCENARIO).",
)
@SCENARIO_FILE
@_out("navigator")
@common.FORCE
def navigator_command(
    source: str | None,
    seed: int | None,
    variant: str | None,
    replications: int,
    scenario_file: Path | None,
    out: Path | None,
    force: bool,
) -> None:
    """ATT&CK Navigator layers of the campaigns of a SCENARIO (over -n replications) or of
    the one run or played exercise in RUN_DIR (a folder `run` or `play` wrote).

    Each technique a campaign uses is scored by how often, when it was reached, it was where
    the intrusion was first detected (red: never, green: always), with how often it was
    reached and blocked in its comment. Writes one layer per campaign and one for all
    campaigns, per ATT&CK domain (enterprise, ics): open them in the Navigator with "Open
    Existing Layer". The data are exercise data, not intelligence.
    """
    if source is not None and Path(source).is_dir():  # a run folder (a scenario is a file)
        if seed is not None or variant is not None:
            common.fail("error: --seed and --variant are the run's own for a RUN_DIR")
        run = _run_folder(Path(source), scenario_file)
        scenario, name = _with_campaigns(run.resolved), _folder_name(run.path)
        use = TechniqueUse(1)
        count_techniques(use, scenario, run.events)
    else:
        resolved = common.resolved_scenario(source, variant)
        scenario, name = _with_campaigns(resolved), resolved.path.stem
        use = technique_use(scenario, scenario.root_seed(seed), replications)
    files = navigator_layers(scenario, use)
    folder = _write(out, force, f"{name}-navigator", files)
    runs = "1 run" if use.replications == 1 else f"{use.replications} replications"
    click.echo(f"{len(files)} layers of {len(scenario.campaigns)} campaigns over {runs}")
    click.echo(f"\nWrote {folder}/ ({', '.join(files)})")


@export_group.command("stix")
@RUN_DIR
@SCENARIO_FILE
@TLP_OPTION
@_out("stix")
@common.FORCE
def stix_command(
    run_dir: Path, scenario_file: Path | None, tlp: str, out: Path | None, force: bool
) -> None:
    """A STIX 2.1 bundle of the run or played exercise in RUN_DIR (a folder `run` or `play`
    wrote): an identity per CSIRT and per operator hit, an intrusion set and campaign per
    campaign with the ATT&CK techniques it uses and its indicators (fictional patterns,
    marked as exercise data), an incident per intrusion, sightings where CSIRTs detected a
    campaign, and a note per indicator share saying who received it and when.

    Times are the scenario's calendar and ids are deterministic, so the same run gives the
    same bytes. Load bundle.json into a STIX-aware platform (OpenCTI, MISP's STIX import).
    """
    run = _run_folder(run_dir, scenario_file)
    scenario = run.resolved.scenario
    bundle = stix_bundle(scenario, run.events, intelligence(scenario, run.events), tlp)
    folder = _write(out, force, f"{_folder_name(run.path)}-stix", {"bundle.json": bundle})
    click.echo(f"A STIX 2.1 bundle of {scenario.name}, seed {run.seed}, TLP:{tlp.upper()}")
    click.echo(f"\nWrote {folder}/ (bundle.json)")


@export_group.command("misp")
@RUN_DIR
@SCENARIO_FILE
@TLP_OPTION
@click.option(
    "--distribution",
    type=click.Choice(list(DISTRIBUTION)),
    default="organisation",
    show_default=True,
    help="MISP distribution of the events: your organisation only, this community, "
    "connected communities, or all.",
)
@_out("misp")
@common.FORCE
def misp_command(
    run_dir: Path,
    scenario_file: Path | None,
    tlp: str,
    distribution: str,
    out: Path | None,
    force: bool,
) -> None:
    """MISP events of the run or played exercise in RUN_DIR: one per campaign as each
    country saw it, `<campaign>.<country>.json`.

    Its attributes are the campaign's indicators the country came to hold (fictional
    values), stamped with when it held them: a partner's share shows its delay, and the
    comment says from whom. Tags give the campaign's ATT&CK techniques, the TLP level and
    the exercise marking. Load a file in MISP with "Add Event > Import from... > MISP JSON".
    """
    run = _run_folder(run_dir, scenario_file)
    scenario = run.resolved.scenario
    intel = intelligence(scenario, run.events)
    files = misp_events(scenario, run.events, intel, tlp, distribution)
    if not files:
        common.fail(
            f"{run_dir}: no country held or detected any campaign's indicators in this run, "
            "so there is no MISP event to write"
        )
    folder = _write(out, force, f"{_folder_name(run.path)}-misp", files)
    click.echo(f"{len(files)} MISP events of {scenario.name}, seed {run.seed}, TLP:{tlp.upper()}")
    click.echo(f"\nWrote {folder}/")
