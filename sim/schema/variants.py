"""Named variants: overrides of scenario values, applied and validated like the scenario."""

from __future__ import annotations

from collections.abc import Mapping
from itertools import compress
from operator import attrgetter
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import InputError
from .base import Entity
from .references import REFERRING_FIELDS, Finding, Loc, check_references, dotted
from .scenario import Scenario

FIXED_FIELDS = frozenset({"seed", "variants", "name"})
"""Scenario fields a variant may not change: variants of one run share its random numbers."""


class VariantError(InputError, ValueError):
    """A variant that does not exist or does not apply; `findings` says where."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        super().__init__(
            "; ".join(": ".join(filter(None, (dotted(loc), msg))) for loc, msg in findings)
        )


def _keyed(items: tuple[Any, ...]) -> bool:
    """Whether overrides address these items by key (entities with an id, dependencies)."""
    return bool(items) and isinstance(items[0], BaseModel) and hasattr(type(items[0]), "key")


KEPT_ENTITIES = ("countries", "assets")
"""What a variant may change but not add to or remove from: paired runs compare one model."""

DISCRIMINATOR = "dist"
"""The field that chooses a distribution's family: naming another family replaces it whole."""


def _override(model: BaseModel, patch: Any, loc: Loc) -> BaseModel:
    if not isinstance(patch, Mapping):
        raise VariantError([(loc, "expected a mapping of field overrides")])
    fields = type(model).model_fields
    update: dict[str, Any] = {}
    for key, value in patch.items():
        if key not in fields:
            raise VariantError([((*loc, key), "unknown field")])
        if key == "id" and hasattr(type(model), "key"):
            raise VariantError([((*loc, key), "a variant cannot rename an entity")])
        current = getattr(model, key)
        if isinstance(current, BaseModel) and isinstance(value, Mapping):
            family = getattr(current, DISCRIMINATOR, None)
            retagged = DISCRIMINATOR in value and value[DISCRIMINATOR] != family
            update[key] = value if retagged else _override(current, value, (*loc, key))
        elif isinstance(current, tuple) and isinstance(value, Mapping):
            update[key] = _override_items(current, value, (*loc, key))
        else:
            update[key] = value
    data = {name: getattr(model, name) for name in fields} | update
    try:
        return type(model).model_validate(data, context=getattr(model, "limits", None))
    except ValidationError as error:
        raise VariantError([((*loc, *e["loc"]), e["msg"]) for e in error.errors()]) from None


def _override_items(items: tuple[Any, ...], patch: Any, loc: Loc) -> tuple[Any, ...]:
    if items and not _keyed(items):
        raise VariantError([(loc, "these entries have no ids: give the whole list instead")])
    by_id = bool(items) and isinstance(items[0], Entity)  # an entity's key is its id
    keys = list(map(attrgetter("id" if by_id else "key"), items))
    wanted = compress(range(len(keys)), map(patch.__contains__, keys))
    index = {keys[i]: i for i in wanted}  # the last of a repeated key
    result = list(items)
    for key, value in patch.items():
        if key not in index:
            raise VariantError([((*loc, key), f"no entry with id '{key}'")])
        result[index[key]] = _override(items[index[key]], value, (*loc, key))
    return tuple(result)


def _may_refer(field: str, value: Any) -> bool:
    """Whether overriding top-level `field` with `value` can change what references are
    checked: not when it only overrides fields of keyed entries that no check reads."""
    if field not in REFERRING_FIELDS or not isinstance(value, Mapping):
        return True
    return any(
        not isinstance(entry, Mapping) or not REFERRING_FIELDS[field].isdisjoint(entry)
        for entry in value.values()
    )


def apply_variant(scenario: Scenario, name: str | None) -> Scenario:
    """The scenario with variant `name` applied (unchanged for None or 'baseline' if undeclared).

    Raises VariantError for an unknown variant or overrides that do not validate.
    """
    if name is None or (name == "baseline" and name not in scenario.variants):
        return scenario
    if name not in scenario.variants:
        known = ", ".join(sorted(scenario.variants)) or "none declared"
        raise VariantError([((), f"unknown variant '{name}' (known: {known})")])
    return apply_overrides(scenario, scenario.variants[name], ("variants", name))


def apply_overrides(scenario: Scenario, overrides: Mapping[str, Any], loc: Loc = ()) -> Scenario:
    """The scenario with `overrides` (a variant's mapping) applied and checked; problems are
    reported under `loc`. Raises VariantError."""
    patch = dict(overrides)
    if not isinstance(patch.pop("description", ""), str):
        raise VariantError([((*loc, "description"), "should be text")])
    fixed = FIXED_FIELDS.intersection(patch)
    if fixed:
        raise VariantError([((*loc, f), "a variant cannot change this field") for f in fixed])
    result = _override(scenario, patch, loc)
    assert isinstance(result, Scenario)
    for field in KEPT_ENTITIES:
        before, after = ({e.id for e in getattr(s, field)} for s in (scenario, result))
        if before != after:
            change = "; ".join(
                f"{verb} {', '.join(sorted(ids)[:3])}{' ...' if len(ids) > 3 else ''}"
                for verb, ids in (("adds", after - before), ("removes", before - after))
                if ids
            )
            raise VariantError(
                [
                    (
                        (*loc, field),
                        f"a variant changes {field} by id, never adds or removes one ({change})",
                    )
                ]
            )
    findings = check_references(result, changed=[f for f in patch if _may_refer(f, patch[f])])
    if findings:
        raise VariantError([((*loc, *f_loc), msg) for f_loc, msg in findings])
    return result
