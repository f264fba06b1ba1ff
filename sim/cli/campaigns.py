"""Campaign commands: `campaign from-stix`, a campaign block drafted from a threat report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import InputError
from ..report.summary import count
from . import common
from .common import main

if TYPE_CHECKING:
    from ..schema.from_stix import Draft


@main.group("campaign")
def campaign_group() -> None:
    """Draft campaigns from what threat reports publish."""


@campaign_group.command("from-stix")
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option(
    "--id",
    "campaign_id",
    required=True,
    metavar="NAME",
    help="Id of the new campaign (no spaces or '>'); with --into, one the scenario lacks.",
)
@click.option(
    "--from",
    "pick",
    metavar="OBJECT",
    help="The intrusion set or campaign to draft, by STIX id, name or alias, when the "
    "bundle holds several (default: the only one; with none, every attack-pattern).",
)
@click.option(
    "--into",
    metavar="SCENARIO",
    help="Write a copy of SCENARIO (a file or a bundled name) with the campaign appended to "
    "its `campaigns:` to --out, checked first.",
)
@click.option(
    "--out",
    type=common.FILE,
    help="File to write: the campaign block (default: print it), or with --into the new scenario.",
)
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
def from_stix_command(
    bundle: Path,
    campaign_id: str,
    pick: str | None,
    into: str | None,
    out: Path | None,
    force: bool,
) -> None:
    """Draft a campaign from the STIX 2.1 BUNDLE of a threat report.

    The attack-patterns the bundle's intrusion set or campaign `uses` (their ATT&CK ids in
    `external_references`, their tactics in `kill_chain_phases`) become one stage per tactic,
    in ATT&CK's tactic order, each technique checked against the shipped ATT&CK v18.1 table;
    where a tactic has several, one of the bundle's own matrix is taken, a sub-technique
    before its parent, and the others named in a comment (a technique makes one stage).
    Unknown, revoked and deprecated techniques are reported on standard error with their
    bundle object's id and skipped.

    Everything else is an ASSUMPTION, labelled as such in comments and in `source`: each
    stage's duration, success and detectability (the medians of the bundled templates'
    stages of its tactic), the actor (from the intrusion set's resource level and
    motivation), the start, the targeting (the one asset whose loss cascades furthest) and
    the impact (from the impact technique). The draft validates and runs as it is; edit the
    assumptions before an exercise.

    Prints the `campaigns:` block, or writes it to --out; with --into SCENARIO --out NEW.yaml,
    writes a copy of the scenario with the campaign added, keeping its comments.
    """
    from ..schema.from_stix import check_campaign_id

    try:
        campaign_id = check_campaign_id(campaign_id)
    except InputError as error:
        common.fail(f"error: --id {error}")
    if into is not None:
        _draft_into(bundle, campaign_id, pick, into, out, force)
        return
    if out is not None:
        _check_out(out, force)
    from ..schema.from_stix import campaign_yaml

    draft = _draft(bundle, campaign_id, pick)
    text = campaign_yaml(draft)
    if out is None:
        click.echo(text, nl=False)
        return
    common.write_one(out, text.encode())
    stages = len(draft.campaign["stages"])
    click.echo(
        f"Wrote {out} (campaign {campaign_id}, {count(stages, 'stage', 'stages')})", err=True
    )


def _check_out(out: Path, force: bool, scenario: Path | None = None) -> None:
    """Exit 2 unless `out` may be written."""
    if out.is_dir():
        common.fail(f"error: {out} is a folder; --out names the file to write")
    if out.exists() and not force:
        same = scenario is not None and out.resolve() == scenario.resolve()
        what = "is the scenario itself" if same else "already exists"
        common.fail(f"error: {out} {what}; choose another --out, or --force to replace it")


def _draft(bundle: Path, campaign_id: str, pick: str | None) -> Draft:
    """The drafted campaign, its skipped objects reported on standard error; exit 2 with one
    line if the bundle cannot be used."""
    from ..schema.from_stix import draft_campaign

    with common.input_errors(bundle):
        draft = draft_campaign(bundle, campaign_id, pick)
    for warning in draft.warnings:
        click.echo(warning, err=True)
    return draft


def _draft_into(
    bundle: Path, campaign_id: str, pick: str | None, into: str, out: Path | None, force: bool
) -> None:
    """from-stix BUNDLE --into SCENARIO --out NEW.yaml: checked, then written atomically."""

    from ..library import resolve_scenario
    from ..schema.files import read_bytes
    from ..schema.from_stix import scenario_text_with_campaign
    from ..schema.load import load_scenario

    with common.input_errors():
        path = resolve_scenario(into)
        source = load_scenario(path, **common.limits())
    if out is None:
        common.fail(f"error: --into {into} writes a new scenario: give --out NEW.yaml")
    _check_out(out, force, path)
    if campaign_id in {c.id for c in source.campaigns}:
        common.fail(f"error: --id {campaign_id}: {into} already has a campaign of that id")
    draft = _draft(bundle, campaign_id, pick)
    folders = (path.parent.resolve(), out.parent.resolve())
    moved = folders if folders[0] != folders[1] else None
    with common.input_errors(path):
        text = read_bytes(path, "a scenario file").decode("utf-8")
    text = scenario_text_with_campaign(text, draft, moved)
    merged = common.write_scenario_copy(out, text)
    assert merged.campaigns[-1].id == campaign_id
    stages = len(draft.campaign["stages"])
    what = count(stages, "stage", "stages")
    click.echo(f"Wrote {out}: {path.name} with campaign {campaign_id} ({what})")
