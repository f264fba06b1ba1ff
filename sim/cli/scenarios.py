"""Commands on one scenario: run, validate, schema, list, graph, generate."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from ..analysis.export import run_files
from ..analysis.result import run_resolved
from ..errors import InputError, ScenarioError
from ..gc_pause import gc_paused
from ..library import DEFAULT_SCENARIO, list_scenarios, resolve_scenario
from ..report.summary import run_summary
from ..schema.load import load_model_or_scenario, load_scenario
from ..schema.scenario import (
    InfrastructureModel,
    ScenarioFile,
)
from ..synthetic import MAX_SYNTHETIC_ASSETS, MAX_SYNTHETIC_COUNTRIES, synthetic_files
from . import common
from .common import main


@main.command("run")
@click.argument("scenario", required=False)
@common.SEED_OPTION
@common.VARIANT_OPTION
@common.out_option(
    "Output folder, which must not exist yet (default: results/<scenario>-<timestamp>/)."
)
@common.FORCE
def run_command(
    scenario: str | None, seed: int | None, variant: str | None, out: Path | None, force: bool
) -> None:
    """Run SCENARIO once and write its records.

    SCENARIO is a YAML file or the name of a bundled scenario (default: the bundled
    default scenario). Writes events.csv (event log), series.csv (inoperability change
    points: q holds from `time` until the asset's next row), metrics.json and run.json
    (provenance) into the output folder, all or nothing. A run that takes more than two
    seconds shows its simulated hours on a terminal; Ctrl-C stops it and writes nothing.
    """
    resolved = common.resolved_scenario(scenario, variant)
    began = time.perf_counter()
    with gc_paused(), common.hours_bar(resolved.scenario.duration_hours) as progress:
        result = run_resolved(resolved, seed, progress)
    folder = common.output_folder(out, force, resolved.path.stem)
    common.save(folder, run_files(result, common.provenance_of(resolved.path, began)), force)
    click.echo(run_summary(result))
    click.echo(f"\nWrote {folder}/ (events.csv, series.csv, metrics.json, run.json)")


@main.command("validate")
@click.argument("files", nargs=-1, required=True)
def validate_command(files: tuple[str, ...]) -> None:
    """Check scenario FILES; print OK or every problem with its file and field path.

    Exit status 0 when every file is valid, 2 otherwise.
    """
    from ..analysis.validation import validated

    failed = False
    for name in files:
        try:
            scenario = validated(resolve_scenario(name), **common.limits())
        except InputError as error:
            failed = True
            click.echo(error.report() if isinstance(error, ScenarioError) else str(error), err=True)
            continue
        click.echo(
            f"OK {name}: {len(scenario.countries)} countries, {len(scenario.assets)} assets, "
            f"{len(scenario.dependencies)} dependencies, {len(scenario.variants)} variants"
        )
    if failed:
        sys.exit(common.EXIT_INPUT)


@main.command("schema")
@click.option(
    "--kind",
    type=click.Choice(["scenario", "model"]),
    default="scenario",
    show_default=True,
    help="Scenario files, or infrastructure model files (infrastructure_models/*.yaml).",
)
@click.option("--out", type=common.FILE, help="Write to a file.")
def schema_command(kind: str, out: Path | None) -> None:
    """Print the JSON Schema of the scenario language, for editors' YAML support."""
    model = ScenarioFile if kind == "scenario" else InfrastructureModel
    text = json.dumps(model.model_json_schema(), indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        common.write_one(out, text.encode())
        click.echo(f"Wrote {out}")


@main.command("list")
def list_command() -> None:
    """List the bundled scenarios with their names and descriptions."""
    for name, path in list_scenarios().items():
        with common.input_errors():
            scenario = load_scenario(path, **common.limits())
        marker = " (default)" if name == DEFAULT_SCENARIO else ""
        first_line = scenario.description.strip().split(". ")[0].rstrip(".")
        click.echo(f"{name}{marker}: {scenario.name}. {first_line}.")


@main.command("graph")
@click.argument("source", required=False)
@common.out_option(
    "File name (default: results/<name>-graph); .png and .svg are added, or replace a .png or "
    ".svg it ends with."
)
def graph_command(source: str | None, out: Path | None) -> None:
    """Draw the dependency graph of a scenario or infrastructure model to PNG and SVG.

    SOURCE is a scenario or model file, or a bundled scenario's name (default: the default
    scenario). Assets are grouped by country (columns) and sector (labelled bands), shaped by
    sector and sized by people served; an arrow runs from each supplier to the asset that
    depends on it, red across a border. A model of more than 500 assets is drawn as one block
    per country and sector, with arrows as thick as the dependencies between blocks.
    """
    from ..report.graph import draw_graph

    with common.input_errors():
        path = resolve_scenario(source)
        scenario = load_model_or_scenario(path, **common.limits())
    stem = out or Path("results") / f"{path.stem}-graph"
    if stem.suffix.lower() in {".png", ".svg"}:
        stem = stem.with_suffix("")
    written = []
    for kind, data in draw_graph(scenario).items():
        target = stem.with_name(f"{stem.name}.{kind}")
        common.write_one(target, data)
        written.append(str(target))
    click.echo(f"Wrote {' and '.join(written)}")


@main.command("generate")
@click.option(
    "--assets", type=click.IntRange(1, MAX_SYNTHETIC_ASSETS), default=1000, show_default=True
)
@click.option(
    "--countries", type=click.IntRange(1, MAX_SYNTHETIC_COUNTRIES), default=3, show_default=True
)
@click.option("--seed", type=common.SEED, default=0, show_default=True)
@common.out_option("Folder to create (required).")
@common.FORCE
def generate_command(assets: int, countries: int, seed: int, out: Path | None, force: bool) -> None:
    """Write a synthetic infrastructure model and a scenario that runs on it.

    The folder gets scenario.yaml (countries with CSIRTs, a regional network, campaigns from
    the templates, a few disruptions, variants) naming
    assets.csv and dependencies.csv. Run it with `cyberttx run OUT/scenario.yaml`.
    """

    if out is None:
        raise click.UsageError("Missing option '--out'.")
    files = synthetic_files(assets=assets, countries=countries, seed=seed)
    common.save(out, files, force)
    click.echo(f"Wrote {out}/ (scenario.yaml, assets.csv, dependencies.csv)")
