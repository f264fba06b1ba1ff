"""Reading scenario files: YAML, CSV tables and included models, into one checked `Scenario`.

This is the only place that reads scenario input. Every problem found is reported with the
file it came from and the field path (or CSV line) inside it.
"""

from __future__ import annotations

import csv
import io
import re
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from ..errors import Problem, ScenarioError
from ..library import library_root
from .columnar import Columns, build_items, nest, split_plain
from .distributions import DISTRIBUTION_NAMES
from .files import read_bytes
from .infrastructure import Asset, Dependency
from .references import Loc, check_references, check_schedule, dotted
from .scenario import (
    MAX_ROUTINE_INCIDENTS,
    InfrastructureModel,
    Scenario,
    ScenarioFile,
    Sources,
)
from .variants import VariantError, apply_variant

try:
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """A safe YAML loader (libyaml's where available) that rejects repeated keys, which
    YAML would otherwise resolve silently in favour of the last."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str | int | float | bool):
                continue  # pydantic reports keys of other types
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key '{key}' appears twice in one mapping", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


MAX_YAML_VALUES = 2_000_000
"""The most values a YAML file may hold once its aliases are expanded (an 'alias bomb' of a
few lines would otherwise expand to billions)."""

MAX_YAML_BYTES = 32 * 2**20
"""The largest YAML file read (32 MiB). Parsing YAML takes about a hundred times a file's size
in memory, so YAML gets a lower cap than other inputs: large models belong in CSV tables
(`assets_csv`, `dependencies_csv`), which a 100,000-asset model fills with 15 MiB."""

MAX_INCLUDE_DEPTH = 16
"""How deeply include files may nest."""

MAX_INCLUDED_FILES = 256
"""How many files a scenario's includes may read in all, a file included twice counted
twice (depth alone does not bound the work: ten files each including the next ten, eight
deep, would read a hundred million)."""

ENTITY_FIELDS = ("countries", "assets", "dependencies")
TABLES: dict[str, tuple[str, type[BaseModel]]] = {
    "assets_csv": ("assets", Asset),
    "dependencies_csv": ("dependencies", Dependency),
}


def read_yaml_mapping(path: Path, kind: str = "a scenario file") -> dict[str, Any]:
    """The top-level mapping of a YAML file (`kind`, said in errors), read with a safe loader.

    Raises ScenarioError if the file is missing, not UTF-8 text, not YAML, empty or not a mapping.
    """
    try:
        text = read_bytes(path, kind, limit=MAX_YAML_BYTES).decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError.one(path, "not a UTF-8 text file") from None
    if "\x00" in text:
        raise ScenarioError.one(path, "not a text file (it contains NUL bytes)")
    try:
        if "&" in text and "*" in text:  # anchors and aliases: bound what they expand to
            _check_aliases(path, yaml.compose(text, Loader=_Loader))
        data = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ScenarioError.one(path, f"not valid YAML: {error.problem}{where}") from None
    except yaml.YAMLError as error:
        raise ScenarioError.one(path, f"not valid YAML: {error}") from None
    if data is None:
        raise ScenarioError.one(path, "is empty; expected a mapping")
    if not isinstance(data, dict):
        raise ScenarioError.one(
            path, f"expected a mapping of fields at the top level, found {type(data).__name__}"
        )
    return data


def _check_aliases(path: Path, root: yaml.Node | None) -> None:
    """Refuse a document whose aliases expand past MAX_YAML_VALUES values, or refer to a
    node that contains them (a recursive structure)."""
    size: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack = [(root, False)] if root is not None else []
    while stack:
        node, finished = stack.pop()
        if isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        else:
            children = []
        if finished:
            open_nodes.discard(id(node))
            size[id(node)] = min(MAX_YAML_VALUES + 1, 1 + sum(size[id(c)] for c in children))
            continue
        if id(node) in size:
            continue
        if id(node) in open_nodes:
            raise ScenarioError.one(path, "an alias refers to a node that contains it")
        open_nodes.add(id(node))
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in size)
    if root is not None and size[id(root)] > MAX_YAML_VALUES:
        raise ScenarioError.one(path, f"its aliases expand to more than {MAX_YAML_VALUES:,} values")


def _message(e: Any) -> str:
    """Pydantic's message, without its 'Value error, ' prefix, with a hint for YAML's
    booleans (yes/no/on/off) where text was expected."""
    message = str(e["msg"]).removeprefix("Value error, ")
    if e["type"] == "string_type" and isinstance(e.get("input"), bool):
        message += " (YAML reads yes, no, on and off as true/false: put the value in quotes)"
    return message


def validation_problems(
    error: ValidationError, file: str, path_of: Callable[[Loc], str] = dotted
) -> list[Problem]:
    """Pydantic's findings as problems of `file`, each at the field path `path_of` gives."""
    return [
        Problem(
            file, path_of(tuple(p for p in e["loc"] if p not in DISTRIBUTION_NAMES)), _message(e)
        )
        for e in error.errors(include_url=False)
    ]


def line_path(line: int, rest: Loc) -> str:
    """Where a problem is in a table: its line, then the field path inside the row."""
    return f"line {line}: {dotted(rest)}" if rest else f"line {line}"


def read_csv(path: Path, data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header of a UTF-8 CSV table (`data`, read from `path`) and its non-empty rows, each
    with the line it starts on.

    Raises ScenarioError if the data is not CSV, is empty, is separated by ';' or has a row
    whose number of cells differs from the header's.
    """
    try:
        reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
        header = next(reader, None)
        if not header:
            raise ScenarioError.one(path, "is empty; expected a header row naming the columns")
        if len(header) == 1 and ";" in header[0]:
            raise ScenarioError.one(path, "looks separated by ';': save it with commas", "line 1")
        rows: list[tuple[int, list[str]]] = []
        start = reader.line_num + 1
        for cells in reader:
            if any(cells):
                if len(cells) != len(header):
                    raise ScenarioError.one(
                        path,
                        f"has {len(cells)} cells where the header has {len(header)}",
                        f"line {start}",
                    )
                rows.append((start, cells))
            start = reader.line_num + 1
    except (UnicodeDecodeError, csv.Error) as error:
        raise ScenarioError.one(path, f"not a readable CSV table ({error})") from None
    return header, rows


FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,59}(\.[A-Za-z_][A-Za-z0-9_]{0,59}){0,3}")
"""What a column header may be: a field name, dotted for nesting (`recovery.median`)."""


def _check_header(path: Path, header: list[str]) -> None:
    """Refuse headers that are not field names (without echoing them: a file that is not a
    table must not have its content printed), repeated ones, and a column beside its own
    nested columns (`weight` with `weight.x`)."""
    names = [name.strip() for name in header]
    for k, name in enumerate(names, start=1):
        if not FIELD_NAME.fullmatch(name):
            raise ScenarioError.one(path, f"column {k} of the header is not a field name", "line 1")
        if name in names[: k - 1]:
            raise ScenarioError.one(path, f"column {k} repeats the header '{name}'", "line 1")
        if any(other.startswith(name + ".") for other in names):
            raise ScenarioError.one(
                path, f"column '{name}' stands beside columns nested in it", "line 1"
            )


def read_table(
    path: Path, item_type: type[BaseModel], columnar: bool = True
) -> tuple[list[Any], Sequence[int]]:
    """The rows of a CSV table validated as `item_type`, and the line each starts on.

    Dotted headers nest (`recovery.dist`, `recovery.hours`); empty cells take the default.
    With `columnar`, whole columns are checked at once (see `columnar.py`), and only a table
    that path cannot vouch for is validated row by row, the way it always is without.
    Raises ScenarioError naming the line and column of every invalid cell.
    """
    data = read_bytes(path, "a CSV table")
    if columnar:
        found = _read_columnar(path, data, item_type)
        if found is not None:
            return found
    header, rows = read_csv(path, data)
    _check_header(path, header)
    build = _row_builder(header)
    lines = [line for line, _ in rows]
    try:
        items = TypeAdapter(list[item_type]).validate_python(  # type: ignore[valid-type]
            [build(cells) for _, cells in rows]
        )
    except ValidationError as error:
        problems = validation_problems(
            error,
            str(path),
            lambda loc: line_path(lines[loc[0]], loc[1:]),  # type: ignore[index]
        )
        raise ScenarioError(problems) from None
    return items, lines


def _read_columnar(
    path: Path, data: bytes, item_type: type[BaseModel]
) -> tuple[list[Any], Sequence[int]] | None:
    """The table's items and lines by the columnar path, or None where only the per-row path
    can vouch for them or name their problems. Raises the ScenarioError the per-row path
    raises for the table's shape or header (both paths read those the same way)."""
    table = split_plain(data)
    if table is None:  # quotes and the like: the csv module reads them, or says what is wrong
        table = Columns.from_rows(*read_csv(path, data))
    _check_header(path, table.header)
    items = build_items(item_type, [name.strip() for name in table.header], table.cells)
    return None if items is None else (items, table.lines)


def _row_builder(header: list[str]) -> Callable[[list[str]], dict[str, Any]]:
    """A function turning a row's cells into a mapping; `a.b` columns nest, empty cells drop."""
    names = [name.strip() for name in header]
    if not any("." in name for name in names):
        return lambda cells: {k: v for k, v in zip(names, cells, strict=True) if v}

    return partial(nest, tuple(tuple(name.split(".")) for name in names))


class _Collector:
    """Gathers entities from a scenario, its tables and its includes, remembering origins."""

    def __init__(self, roots: tuple[Path, ...], columnar: bool = True) -> None:
        self.roots = roots
        """Folders includes and tables may be read from."""
        self.columnar = columnar
        """Whether tables are read column by column (see `read_table`)."""
        self.items: dict[str, list[Any]] = {field: [] for field in ENTITY_FIELDS}
        self._starts: dict[str, list[int]] = {field: [] for field in ENTITY_FIELDS}
        self._origins: dict[str, list[tuple[str, Callable[[int, Loc], str]]]] = {
            field: [] for field in ENTITY_FIELDS
        }
        self.problems: list[Problem] = []
        self.included = 0

    def add(self, field: str, items: Any, file: str, path_of: Callable[[int, Loc], str]) -> None:
        if not items:
            return
        self._starts[field].append(len(self.items[field]))
        self._origins[field].append((file, path_of))
        self.items[field].extend(items)

    def locate(self, loc: Loc) -> tuple[str, str]:
        """The file, and the path inside it, of a field of a merged entity."""
        field, index = str(loc[0]), int(loc[1])
        chunk = bisect_right(self._starts[field], index) - 1
        file, path_of = self._origins[field][chunk]
        return file, path_of(index - self._starts[field][chunk], loc[2:])

    def add_sources(self, model: Sources, path: Path, stack: tuple[Path, ...]) -> None:
        file = str(path)
        for field in ENTITY_FIELDS:
            self.add(
                field, getattr(model, field), file, lambda i, rest, f=field: dotted((f, i, *rest))
            )
        for table_field, (field, item_type) in TABLES.items():
            name = getattr(model, table_field)
            if name is None:
                continue
            table = path.parent / name
            if not self._inside(table, file, table_field):
                continue
            try:
                rows, lines = read_table(table, item_type, self.columnar)
            except ScenarioError as error:
                self.problems.extend(error.problems)
                continue
            self.add(field, rows, str(table), lambda i, rest, ls=lines: line_path(ls[i], rest))
        for i, name in enumerate(model.include):
            self._include(path.parent / name, stack, file, f"include[{i}]")

    def _inside(self, path: Path, file: str, where: str) -> bool:
        """Whether `path` lies in one of the roots; if not, a problem says so (without
        reading it: a path may point at anything on the machine)."""
        resolved = path.resolve()
        if any(resolved.is_relative_to(root) for root in self.roots):
            return True
        self.problems.append(
            Problem(
                file,
                where,
                f"'{path}' lies outside the scenario's folder; to read it, allow its folder: "
                f"cyberttx --allow-path {resolved.parent} <command> ... (in Python: "
                f"allowed=[{str(resolved.parent)!r}]; a scenario given as a mapping is read "
                "from base_dir, by default the current folder)",
            )
        )
        return False

    def _include(self, path: Path, stack: tuple[Path, ...], file: str, where: str) -> None:
        resolved = path.resolve()
        if not self._inside(path, file, where):
            return
        if resolved in stack:
            self.problems.append(Problem(file, where, f"includes itself through '{path}'"))
            return
        if len(stack) >= MAX_INCLUDE_DEPTH:
            problem = f"includes nest deeper than {MAX_INCLUDE_DEPTH} files"
            self.problems.append(Problem(file, where, problem))
            return
        self.included += 1
        if self.included > MAX_INCLUDED_FILES:  # ten files each including the next ten...
            problem = f"includes read more than {MAX_INCLUDED_FILES} files (repeats counted)"
            if self.included == MAX_INCLUDED_FILES + 1:
                self.problems.append(Problem(file, where, problem))
            return
        try:
            data = read_yaml_mapping(path)
            model = InfrastructureModel.model_validate(data)
        except ScenarioError as error:
            self.problems.extend(Problem(file, where, str(p)) for p in error.problems)
            return
        except ValidationError as error:
            self.problems.extend(validation_problems(error, str(path)))
            return
        sources = (model.countries, model.assets, model.dependencies, model.include)
        if not any(sources) and model.assets_csv is None and model.dependencies_csv is None:
            self.problems.append(
                Problem(file, where, f"'{path}' holds no countries, assets or dependencies")
            )
            return
        self.add_sources(model, path, (*stack, resolved))


def campaign_templates() -> dict[str, dict[str, Any]]:
    """The bundled campaign templates by name (`scenarios/templates/campaigns.yaml`)."""
    return read_yaml_mapping(library_root() / "scenarios" / "templates" / "campaigns.yaml")


def _merged(base: Any, override: Any) -> Any:
    """`override` laid over `base`: mappings merge key by key, anything else replaces."""
    if isinstance(base, dict) and isinstance(override, dict):
        return {**base, **{k: _merged(base.get(k), v) for k, v in override.items()}}
    return override


def _expand_templates(data: dict[str, Any], file: str) -> dict[str, Any]:
    """`data` with every campaign that names a `template` laid over that template.

    Raises ScenarioError for an unknown template name.
    """
    campaigns = data.get("campaigns")
    if not isinstance(campaigns, list):
        return data
    wanted = [c for c in campaigns if isinstance(c, dict) and "template" in c]
    if not wanted:
        return data
    templates = campaign_templates()
    expanded, problems = [], []
    for i, campaign in enumerate(campaigns):
        if not (isinstance(campaign, dict) and "template" in campaign):
            expanded.append(campaign)
            continue
        rest = {k: v for k, v in campaign.items() if k != "template"}
        name = campaign["template"]
        if not isinstance(name, str) or name not in templates:
            known = ", ".join(templates)
            shown = f"'{name}'" if isinstance(name, str) else "given"
            problems.append(
                Problem(file, f"campaigns[{i}].template", f"unknown template {shown} ({known})")
            )
            name = ""
        expanded.append(_merged(templates.get(name, {}), rest))
    if problems:
        raise ScenarioError(problems)
    return {**data, "campaigns": expanded}


def load_scenario(
    source: str | Path | Mapping[str, Any],
    base_dir: str | Path = ".",
    allowed: Sequence[Path] = (),
    max_events: int = MAX_ROUTINE_INCIDENTS,
    columnar: bool = True,
) -> Scenario:
    """A checked scenario from a YAML file, or from a mapping (relative paths from `base_dir`).

    Includes and tables must lie in the scenario's folder (or `base_dir`), in the bundled
    library, or in one of the `allowed` folders. The routine incidents a run may expect are
    at most `max_events`, for the scenario and for every change made to it later. Without
    `columnar`, CSV tables are validated row by row (the same scenario, more slowly).

    Raises ScenarioError listing every problem, each naming its file and field path.
    """
    if isinstance(source, Mapping):
        path, data = Path(base_dir) / "<scenario>", dict(source)
    else:
        path = Path(source)
        data = read_yaml_mapping(path)
    file = str(path)
    limits = {"max_events": max_events}
    try:
        scenario_file = ScenarioFile.model_validate(_expand_templates(data, file), context=limits)
    except ValidationError as error:
        raise ScenarioError(validation_problems(error, file)) from None
    roots = (path.parent, library_root(), *allowed)
    collector = _Collector(tuple(Path(root).resolve() for root in roots), columnar)
    collector.add_sources(scenario_file, path, (path.resolve(),))
    if collector.problems:
        raise ScenarioError(collector.problems)
    fields = {name: getattr(scenario_file, name) for name in Scenario.model_fields}
    try:  # checks of the whole (the routine-incident budget) see the included countries
        scenario = Scenario.model_validate(
            fields | {f: tuple(collector.items[f]) for f in ENTITY_FIELDS}, context=limits
        )
    except ValidationError as error:
        raise ScenarioError(validation_problems(error, file)) from None
    problems = []
    if not scenario.assets:
        problems.append(Problem(file, "assets", "none, here or in its includes: nothing to run"))
    for loc, message in check_references(scenario) + check_schedule(scenario):
        where, inner = collector.locate(loc) if loc[0] in ENTITY_FIELDS else (file, dotted(loc))
        problems.append(Problem(where, inner, message))
    if not problems:
        for name in scenario.variants:
            try:
                apply_variant(scenario, name)
            except VariantError as error:
                problems.extend(Problem(file, dotted(loc), msg) for loc, msg in error.findings)
    if problems:
        raise ScenarioError(problems)
    return scenario


def load_model_or_scenario(
    path: str | Path, allowed: Sequence[Path] = (), max_events: int = MAX_ROUTINE_INCIDENTS
) -> Scenario:
    """A scenario file as `load_scenario` reads it, or an infrastructure model file wrapped
    in a one-hour scenario (for drawing and checking models on their own)."""
    path = Path(path)
    data = read_yaml_mapping(path)
    if "duration_hours" in data or "start" in data:
        return load_scenario(path, allowed=allowed, max_events=max_events)
    wrapper = {
        "name": str(data.get("name") or path.stem),
        "start": "2026-01-01T00:00:00Z",
        "duration_hours": 1,
        "include": [path.name],
    }
    return load_scenario(wrapper, base_dir=path.parent, allowed=allowed)
