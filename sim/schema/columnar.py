"""Columnar reading of CSV tables: whole columns are checked at once, and rows are built
without validating each through pydantic.

The columnar path vouches only for what it checks. A table it cannot split into plain
columns, a field it does not know how to check, or any cell that fails a check makes it
return None; the loader's per-row pydantic path then gives the same items, or the exact
problems with their lines and columns.
"""

from __future__ import annotations

import codecs
import csv
import math
import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, partial
from itertools import compress, repeat
from operator import setitem
from typing import Annotated, Any

import numpy as np
from annotated_types import Ge, Gt, Le, Lt
from pydantic import AfterValidator, BaseModel, StringConstraints, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from .base import HIDDEN_CHARACTERS, _visible

_EDGE_SPACE = re.compile(r"^\s|\s,|,\s|\s$")
"""Whitespace at either end of a cell, in cells joined by ',' (or beside a comma inside one)."""
_NOT_NUMERIC = re.compile(r"[^0-9eE+\-.,]")
"""A character that cannot occur in a plain decimal number (or the ',' joining them)."""

KNOWN_PATTERNS = {r"^[^\s>]+$": r"\s>"}
"""Patterns of text fields the columnar path checks, each with the characters it forbids (in
a regex class): a non-empty cell without any matches, and stripping leaves it unchanged
(Python's `\\s` covers all of Rust's whitespace, so none is missed)."""

KNOWN_CONFIG = {"frozen": True, "extra": "forbid", "validate_default": False}
"""The model configuration the columnar path reproduces (`sim.schema.base.Model`'s)."""

Cells = tuple[str, ...]
"""One column of a table. Columns and values are tuples: once the collector finds they hold
only text and numbers it stops tracking them, so they cost later collections nothing."""

Converter = Callable[[Cells], tuple[Any, ...] | None]
"""Turns a field's non-empty cells into its values, or None if any cell may be invalid."""


@dataclass(frozen=True)
class Columns:
    """A table by column: its header, its cells column by column, and the line each row
    starts on."""

    header: list[str]
    cells: list[Cells]
    lines: tuple[int, ...]

    @classmethod
    def from_rows(cls, header: list[str], rows: list[tuple[int, list[str]]]) -> Columns:
        """The columns of rows as `sim.schema.load.read_csv` gives them."""
        cells = list(zip(*(row for _, row in rows), strict=True))
        return cls(header, cells or [() for _ in header], tuple(line for line, _ in rows))


def split_plain(data: bytes) -> Columns | None:
    """The columns of a UTF-8 table, exactly as the csv module reads them, if the table has
    no quote, NUL, lone carriage return or line over the csv field limit, its header is not
    separated by ';' and each row that is not blank has as many cells as the header; None
    for any other table. Lines are measured on the bytes, with numpy."""
    data = data.removeprefix(codecs.BOM_UTF8)
    if b'"' in data or b"\x00" in data:
        return None
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n")
        if b"\r" in data:
            return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    raw = np.frombuffer(data, np.uint8)
    ends = np.flatnonzero(raw == ord("\n"))
    if not data.endswith(b"\n"):
        ends = np.append(ends, len(data))
    lengths = np.diff(ends, prepend=-1) - 1
    commas = np.diff(np.searchsorted(np.flatnonzero(raw == ord(",")), ends), prepend=0)
    header = text.partition("\n")[0].split(",")
    if not lengths[0] or (len(header) == 1 and ";" in header[0]):
        return None
    if lengths.max() > csv.field_size_limit():
        return None
    kept = lengths != commas  # empty, or nothing but commas: the csv module skips the line
    kept[0] = False
    if np.any(kept & (commas != len(header) - 1)):
        return None
    lines = tuple((np.flatnonzero(kept) + 1).tolist())
    if not lines:
        return Columns(header, [() for _ in header], ())
    body = text.partition("\n")[2].removesuffix("\n")
    if not kept[1:].all():
        body = "\n".join(compress(body.split("\n"), kept[1:].tolist()))
    flat = tuple(body.replace("\n", ",").split(","))
    width = len(header)
    return Columns(header, [flat[k::width] for k in range(width)], lines)


def build_items(
    item_type: type[BaseModel], names: list[str], cells: list[Cells]
) -> list[Any] | None:
    """The rows of a table with columns `names` (dotted ones nest) as `item_type` items,
    equal field for field to what pydantic's validation gives; None if the model or any cell
    needs the per-row path. Empty cells take the field's default."""
    count = len(cells[0])
    if not count:
        return []
    if not _constructible(item_type):
        return None
    columns: dict[str, list[tuple[tuple[str, ...], Cells]]] = {}
    for name, column in zip(names, cells, strict=True):
        top, *rest = name.split(".")
        columns.setdefault(top, []).append((tuple(rest), column))
    fields = item_type.model_fields
    if not columns.keys() <= fields.keys():
        return None  # pydantic reports the extra input
    values: list[Iterable[Any]] = []
    given: dict[str, bool | tuple[bool, ...]] = {}
    for name in fields:
        found = _field_values(item_type, name, columns.get(name, []), count)
        if found is None:
            return None
        values.append(found[0])
        given[name] = found[1]
    return _construct(item_type, list(fields), values, _fields_sets(given, count), count)


def _constructible(item_type: type[BaseModel]) -> bool:
    """Whether building `item_type` from checked values is what validation would do: no
    validators, private attributes, aliases or configuration beyond KNOWN_CONFIG."""
    decorators = item_type.__pydantic_decorators__
    return (
        dict(item_type.model_config) == KNOWN_CONFIG
        and not item_type.__pydantic_root_model__
        and not item_type.__pydantic_post_init__
        and not item_type.__private_attributes__
        and not (
            decorators.validators
            or decorators.field_validators
            or decorators.root_validators
            or decorators.model_validators
        )
        and all(
            info.alias is None and info.validation_alias is None
            for info in item_type.model_fields.values()
        )
    )


def _field_values(
    item_type: type[BaseModel],
    name: str,
    columns: list[tuple[tuple[str, ...], Cells]],
    count: int,
) -> tuple[Iterable[Any], bool | tuple[bool, ...]] | None:
    """A field's value in each row, and whether each row gives it (one bool if all rows
    agree); None if a row needs the per-row path."""
    info = item_type.model_fields[name]
    default_ok = not info.is_required() and _plain_default(info)
    if not columns:
        return (repeat(info.default, count), False) if default_ok else None
    if len(columns) > 1 or columns[0][0]:
        return _nested_values(item_type, name, columns, default_ok)
    cells = columns[0][1]
    convert = _converter(item_type, name)
    if all(cells):
        converted = convert(cells)
        return None if converted is None else (converted, True)
    given = tuple(map(bool, cells))
    if not default_ok:
        return None  # a row without the field: pydantic says it is required
    if not any(given):
        return repeat(info.default, count), False
    converted = convert(tuple(compress(cells, given)))
    if converted is None:
        return None
    found = iter(converted)
    return tuple(next(found) if row else info.default for row in given), given


def _nested_values(
    item_type: type[BaseModel],
    name: str,
    columns: list[tuple[tuple[str, ...], Cells]],
    default_ok: bool,
) -> tuple[Iterable[Any], bool | tuple[bool, ...]] | None:
    """A field given by nested columns (`recovery.dist`, ...): validated by pydantic once per
    distinct combination of cells, equal combinations sharing one frozen value."""
    adapter = _adapter(item_type, name)
    paths = tuple(path for path, _ in columns)
    cells = [column for _, column in columns]
    empty = ("",) * len(paths)
    values: dict[tuple[str, ...], Any] = {}
    for key in dict.fromkeys(zip(*cells, strict=True)):
        if key == empty:
            if not default_ok:
                return None
            values[key] = item_type.model_fields[name].default
            continue
        try:
            values[key] = adapter.validate_python(nest(paths, key))
        except ValidationError:
            return None
    found = tuple(map(values.__getitem__, zip(*cells, strict=True)))
    if empty not in values:
        return found, True
    return found, tuple(map(empty.__ne__, zip(*cells, strict=True)))


def _plain_default(info: FieldInfo) -> bool:
    """Whether pydantic would use the field's default as it is (unvalidated, uncopied)."""
    return (
        info.default_factory is None
        and not info.validate_default
        and isinstance(info.default, str | int | float | bool | None)
    )


def _fields_sets(given: dict[str, bool | tuple[bool, ...]], count: int) -> Iterable[set[str]]:
    """The fields each row sets (pydantic's `model_fields_set`): one set shared by the rows
    that set the same fields, as nothing changes a frozen model's set."""
    always = {name for name, rows in given.items() if rows is True}
    mixed = {name: rows for name, rows in given.items() if isinstance(rows, tuple)}
    if not mixed:
        return repeat(always, count)
    shared = {
        pattern: always | set(compress(mixed, pattern))
        for pattern in set(zip(*mixed.values(), strict=True))
    }
    return map(shared.__getitem__, zip(*mixed.values(), strict=True))


def _construct(
    item_type: type[BaseModel],
    names: list[str],
    values: list[Iterable[Any]],
    fields_sets: Iterable[set[str]],
    count: int,
) -> list[Any]:
    """Items of `item_type` from checked values, as `model_construct` builds them (field by
    field and attribute by attribute over all items: the loops run in C)."""
    rows: list[dict[str, Any]] = list(map(dict, repeat((), count)))
    for name, column in zip(names, values, strict=True):
        deque(map(setitem, rows, repeat(name), column), maxlen=0)
    items = list(map(object.__new__, repeat(item_type, count)))
    for attribute, settings in (
        ("__dict__", rows),
        ("__pydantic_fields_set__", fields_sets),
        ("__pydantic_extra__", repeat(None)),
        ("__pydantic_private__", repeat(None)),
    ):
        deque(map(object.__setattr__, items, repeat(attribute), settings), maxlen=0)
    return items


@cache
def _adapter(item_type: type[BaseModel], name: str) -> TypeAdapter[Any]:
    """Pydantic's validator of one field of a model, as the model applies it."""
    info = item_type.model_fields[name]
    return TypeAdapter(Annotated[info.annotation, info])


@cache
def _converter(item_type: type[BaseModel], name: str) -> Converter:
    """How a field's cells are checked: as numbers or text, column by column, when its type
    is one of those the columnar path knows; else through pydantic, once per distinct cell."""
    info = item_type.model_fields[name]
    if info.annotation is float:
        bounds = [m for m in info.metadata if isinstance(m, Ge | Gt | Le | Lt)]
        finite = [
            m for m in info.metadata if getattr(m, "__dict__", {}).keys() == {"allow_inf_nan"}
        ]
        if len(bounds) + len(finite) == len(info.metadata):  # every value is finite anyway
            return partial(_numbers, bounds)
    if info.annotation is str:
        text = _text_rule(info.metadata)
        if text is not None:
            return text
    return partial(_distinct, _adapter(item_type, name))


def _numbers(bounds: list[Ge | Gt | Le | Lt], cells: Cells) -> tuple[float, ...] | None:
    """Plain decimal numbers within `bounds` (finite whatever the field allows)."""
    if _NOT_NUMERIC.search(",".join(cells)):
        return None
    try:
        numbers = tuple(map(float, cells))
    except ValueError:
        return None
    low, high = min(numbers), max(numbers)
    if not (math.isfinite(low) and math.isfinite(high)):
        return None
    for bound in bounds:
        if isinstance(bound, Ge) and not low >= bound.ge:
            return None
        if isinstance(bound, Gt) and not low > bound.gt:
            return None
        if isinstance(bound, Le) and not high <= bound.le:
            return None
        if isinstance(bound, Lt) and not high < bound.lt:
            return None
    return numbers


@dataclass(frozen=True)
class _TextRule:
    """What a text field asks of its non-empty cells, checked column by column: no
    forbidden character, no whitespace at either end where it strips (so that stripping
    changes nothing), and a length within bounds."""

    forbidden: re.Pattern[str] | None
    strips: bool
    min_length: int
    max_length: int | None


def _text_rule(metadata: list[Any]) -> Converter | None:
    """A column check of these text constraints (or a stricter one), or None if one of them
    is not known."""
    classes: list[str] = []
    constraints = StringConstraints()
    for m in metadata:
        if isinstance(m, AfterValidator) and m.func is _visible:
            classes.append(re.escape(HIDDEN_CHARACTERS))
        elif (
            isinstance(m, StringConstraints)
            and constraints == StringConstraints()  # one set of constraints at most
            and not (m.to_upper or m.to_lower or m.strict or m.ascii_only)
            and (m.pattern is None or m.pattern in KNOWN_PATTERNS)
        ):
            constraints = m
            if isinstance(m.pattern, str):
                classes.append(KNOWN_PATTERNS[m.pattern])
        else:
            return None
    rule = _TextRule(
        re.compile(f"[{''.join(classes)}]") if classes else None,
        bool(constraints.strip_whitespace) and constraints.pattern is None,
        constraints.min_length or 0,
        constraints.max_length,
    )
    return partial(_texts, rule)


def _texts(rule: _TextRule, cells: Cells) -> Cells | None:
    """The cells themselves, if they pass the rule."""
    if rule.forbidden is not None or rule.strips:
        joined = ",".join(cells)
        if rule.forbidden is not None and rule.forbidden.search(joined):
            return None
        if rule.strips and _EDGE_SPACE.search(joined):
            return None
    if rule.min_length > 1 and min(map(len, cells)) < rule.min_length:
        return None
    if rule.max_length is not None and max(map(len, cells)) > rule.max_length:
        return None
    return cells


def nest(paths: tuple[tuple[str, ...], ...], cells: Iterable[str]) -> dict[str, Any]:
    """The mapping nested columns give a row: `a.b` columns nest, empty cells drop."""
    row: dict[str, Any] = {}
    for path, cell in zip(paths, cells, strict=True):
        if cell:
            *parents, leaf = path
            target = row
            for part in parents:
                target = target.setdefault(part, {})
            target[leaf] = cell
    return row


def _distinct(adapter: TypeAdapter[Any], cells: Cells) -> tuple[Any, ...] | None:
    """The cells validated by pydantic once per distinct cell; None if any is invalid."""
    values = {}
    for cell in dict.fromkeys(cells):
        try:
            values[cell] = adapter.validate_python(cell)
        except ValidationError:
            return None
    return tuple(map(values.__getitem__, cells))
