"""Commands that write what CSIRTs' own tools read: `export navigator`."""

from __future__ import annotations

from pathlib import Path

import click

from ..analysis.techniques import technique_use
from ..report.navigator import navigator_layers
from . import common
from .common import main


@main.group("export")
def export_group() -> None:
    """Write a scenario's results in the formats CSIRTs' own tools read."""


@export_group.command("navigator")
@click.argument("scenario", required=False)
@common.SEED_OPTION
@common.VARIANT_OPTION
@click.option(
    "-n",
    "--replications",
    type=click.IntRange(min=1, max=10_000),
    default=20,
    show_default=True,
    help="Replications the counts are taken over.",
)
@common.out_option(
    "Output folder, which must not exist yet (default: results/<scenario>-navigator-<timestamp>/)."
)
@common.FORCE
def navigator_command(
    scenario: str | None,
    seed: int | None,
    variant: str | None,
    replications: int,
    out: Path | None,
    force: bool,
) -> None:
    """ATT&CK Navigator layers of SCENARIO's campaigns.

    Each technique a campaign uses is scored by how often, when it was reached, it was where
    the intrusion was first detected (red: never, green: always), with how often it was
    reached and blocked in its comment, over the replications. Writes one layer per
    campaign and one for all campaigns, per ATT&CK domain (enterprise, ics): open them in
    the Navigator with "Open Existing Layer". The data are exercise data, not intelligence.
    """
    resolved = common.resolved_scenario(scenario, variant)
    if not resolved.scenario.campaigns:
        common.fail(f"{resolved.path}: campaigns: none in this scenario, so no technique to draw")
    use = technique_use(resolved.scenario, resolved.scenario.root_seed(seed), replications)
    files = navigator_layers(resolved.scenario, use)
    folder = common.output_folder(out, force, f"{resolved.path.stem}-navigator")
    common.save(folder, files, force)
    click.echo(
        f"{len(files)} layers of {len(resolved.scenario.campaigns)} campaigns over "
        f"{replications} replications"
    )
    click.echo(f"\nWrote {folder}/ ({', '.join(files)})")
