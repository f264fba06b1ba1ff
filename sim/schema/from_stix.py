"""Campaigns from threat reports: the attack-patterns of a STIX 2.1 bundle (what an intrusion
set or campaign `uses`, with their ATT&CK ids and kill-chain phases) become a campaign block
with one stage per tactic, in ATT&CK's tactic order.

Only the stages' tactics and techniques come from the bundle. Each stage's duration, success
and detectability are the median of the bundled templates' stages of that tactic (of all their
stages where no template has it); actor, start, targeting and impact are defaults. All of these
are labelled as assumptions, in YAML comments and in the campaign's `source`."""

from __future__ import annotations

import json
import math
import re
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import stix2
import yaml
from pydantic import TypeAdapter, ValidationError
from stix2 import exceptions as stix_errors

from ..errors import InputError, Problem, ScenarioError
from .attack import ATTACK_VERSION, techniques
from .base import HIDDEN_CHARACTERS, Id
from .campaigns import Campaign
from .files import MAX_INPUT_BYTES, read_bytes
from .yaml_text import Dumper, Moved, content_end, dump, relocated_fields, spliced_or_none

MAX_BUNDLE_BYTES = MAX_INPUT_BYTES
"""The largest bundle read (ATT&CK's own enterprise bundle is about 45 MiB)."""

TACTIC_ORDER = (
    "reconnaissance",
    "resource-development",
    "initial-access",
    "execution",
    "persistence",
    "privilege-escalation",
    "defense-evasion",
    "evasion",
    "credential-access",
    "discovery",
    "lateral-movement",
    "collection",
    "command-and-control",
    "exfiltration",
    "inhibit-response-function",
    "impair-process-control",
    "impact",
)
"""Enterprise and ICS tactics in kill-chain order, merged (ICS's evasion beside defense
evasion; its inhibit-response-function and impair-process-control just before impact)."""

KILL_CHAINS = ("mitre-attack", "mitre-ics-attack")
"""The `kill_chain_name`s whose phases are ATT&CK tactics."""

ATTACK_SOURCES = ("mitre-attack", "mitre-ics-attack")
"""The `external_references` source names that carry ATT&CK technique ids."""

IMPACT_BY_TECHNIQUE = {
    "T1486": "ransomware",
    "T1485": "wiper",
    "T1561": "wiper",
    "T1495": "wiper",
    "T1498": "ddos",
    "T1499": "ddos",
    "T1667": "ddos",
    "T1489": "degrade",
    "T1490": "degrade",
    "T1491": "degrade",
    "T1496": "degrade",
    "T1529": "degrade",
    "T1531": "degrade",
    "T1565": "degrade",
    "T0882": "exfiltrate",
}
"""The impact type a technique (or its sub-techniques) implies; any other ICS impact,
inhibit-response-function or impair-process-control technique degrades, and a campaign
without any of these exfiltrates."""

IMPACT_RANK = ("ransomware", "wiper", "degrade", "ddos", "exfiltrate")
"""Which impact wins when a bundle has several: the most damaging."""

TARGETING = {"count": 1, "pick": "reach"}
"""Default targeting: the one asset, in any country and sector, whose loss cascades furthest."""

_STIX_ID = re.compile(
    r"^[a-z0-9][a-z0-9-]{0,250}--[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$"
)
_TECHNIQUE_ID = re.compile(r"^T[0-9]{4}(\.[0-9]{3})?$")
_WORD = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
_HIDDEN = re.compile(f"[{re.escape(HIDDEN_CHARACTERS)}]")


@dataclass(frozen=True)
class StageDefaults:
    """Duration, success and detectability assumed for a stage, and where they come from."""

    duration: dict[str, Any]
    success: float
    detectability: float
    basis: str


@dataclass
class Draft:
    """A campaign drafted from a bundle: the block, its comments, and what was skipped."""

    campaign: dict[str, Any]
    bundle: str
    notes: dict[str, str] = field(default_factory=dict)
    """One comment per top-level field (`actor`, `impact`...)."""
    stage_notes: list[list[str]] = field(default_factory=list)
    """Comment lines above each stage."""
    warnings: list[str] = field(default_factory=list)
    """One line per object or phase skipped, naming the bundle object's id."""


def check_campaign_id(value: str) -> str:
    """`value` if it can be a campaign id; raises InputError saying why not."""
    try:
        return TypeAdapter(Id).validate_python(value)
    except ValidationError:
        raise InputError(
            f"'{_shown(value)}' is not a valid campaign id: 1 to 120 characters, no spaces, "
            "no '>' and no hidden characters"
        ) from None


def campaign_from_stix(
    bundle_path: Path | str, campaign_id: str, pick: str | None = None
) -> tuple[dict[str, Any], list[str]]:
    """The campaign block drafted from a STIX bundle, and a line for each skipped object.

    `pick` names the intrusion set or campaign (id, name or alias) when the bundle holds
    several. Raises ScenarioError, naming the file, if the bundle cannot be read or used.
    """
    draft = draft_campaign(bundle_path, campaign_id, pick)
    return draft.campaign, draft.warnings


def draft_campaign(bundle_path: Path | str, campaign_id: str, pick: str | None = None) -> Draft:
    """The campaign drafted from a STIX bundle with its comments (see `campaign_from_stix`)."""
    path = Path(bundle_path)
    campaign_id = check_campaign_id(campaign_id)
    objects = _read_bundle(path)
    warnings: list[str] = []
    chosen, patterns = _chosen(path, objects, pick, warnings)
    found = _stage_candidates(path, patterns, warnings)
    if not found:  # the skipped objects, then why there is no campaign
        skipped = [Problem(str(path), "", w.removeprefix(f"{path}: ")) for w in warnings]
        last = "no usable ATT&CK technique is left, so no stage"
        raise ScenarioError([*skipped, Problem(str(path), "", last)])
    defaults = tactic_defaults()
    stages, stage_notes = [], []
    table = techniques()
    domains = [table[t].domain for ids in found.values() for t in ids]
    main = max(sorted(set(domains)), key=domains.count)  # the bundle's own matrix

    def preference(tid: str) -> tuple[bool, bool, str]:
        """Its matrix first, then a sub-technique (more specific) before its parent."""
        return (table[tid].domain != main, "." not in tid, tid)

    used: set[str] = set()
    for tactic in (t for t in TACTIC_ORDER if t in found):
        ids = sorted(found[tactic], key=preference)
        fresh = [i for i in ids if i not in used]
        if not fresh:  # a technique under two tactics makes one stage, not two
            warnings.append(
                f"{path}: {tactic}: its only technique ({', '.join(ids)}) is already a stage "
                "under an earlier tactic; no stage for it"
            )
            continue
        chosen_id = min(fresh, key=_impact_key) if tactic == "impact" else fresh[0]
        used.add(chosen_id)
        guess = defaults.get(tactic, defaults[""])
        stages.append(
            {
                "tactic": tactic,
                "technique": chosen_id,
                "success": guess.success,
                "detectability": guess.detectability,
                "duration": dict(guess.duration),  # unshared: a dump makes no aliases
            }
        )
        others = [i for i in ids if i != chosen_id]
        note = f"{tactic}: {chosen_id} {techniques()[chosen_id].name}"
        if others:
            note += f"; also in the bundle: {', '.join(others)}"
        stage_notes.append([note, f"assumption: duration, success, detectability: {guess.basis}"])
    actor, actor_note = _actor(objects, chosen)
    impact_type, impact_note = _impact(found)
    name = _text(chosen.get("name", "")) if chosen else ""
    bundle = _text(path.name) or "bundle"
    what = f"{chosen['id']}, {chosen['type']}" if chosen else "all its attack-patterns"
    campaign = {
        "id": campaign_id,
        "name": name or f"Campaign from {bundle}"[:300],
        "actor": actor,
        "start_hours": 0,
        "targeting": dict(TARGETING),
        "stages": stages,
        "impact": {"type": impact_type},
        "source": (
            f"Drafted by `cyberttx campaign from-stix` from the STIX bundle {bundle} ({what}): "
            f"the stages' tactics and techniques are its attack-patterns, checked against ATT&CK "
            f"v{ATTACK_VERSION}. ASSUMPTIONS, not intelligence (edit them): each stage's "
            "duration, success and detectability are the median of the bundled templates' "
            "stages of its tactic (of all their stages where none has the tactic); the actor, "
            "start_hours, targeting and impact are defaults."
        ),
    }
    Campaign.model_validate(campaign)  # a bug if this fails: every field was checked above
    notes = {
        "actor": actor_note,
        "start_hours": "assumption: edit (hours after the scenario starts)",
        "targeting": "assumption: edit (the asset whose loss cascades furthest)",
        "impact": impact_note,
    }
    return Draft(campaign, bundle, notes, stage_notes, warnings)


def _shown(value: object, limit: int = 60) -> str:
    """`value` as text safe to print in one line: hidden characters dropped, cut short."""
    text = " ".join(_HIDDEN.sub("", str(value)).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text(value: object) -> str:
    """A name for the campaign: visible characters, one line, at most 300 characters."""
    return _shown(value, 300) if isinstance(value, str) else ""


def _read_bundle(path: Path) -> list[Any]:
    """The objects of the bundle at `path`, each parsed (and so checked) by `stix2`; of
    several versions of one object, the latest."""
    data = read_bytes(path, "a STIX bundle", MAX_BUNDLE_BYTES)
    try:
        raw = json.loads(data)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise ScenarioError.one(path, f"is not JSON ({error.msg} at {where})") from None
    except UnicodeDecodeError:
        raise ScenarioError.one(path, "is not JSON (not UTF-8 text)") from None
    except (ValueError, RecursionError):
        raise ScenarioError.one(
            path, "is not usable JSON (too deeply nested or too large a number)"
        ) from None
    if not isinstance(raw, dict):
        found = "a JSON array" if isinstance(raw, list) else "a single JSON value"
        raise ScenarioError.one(path, f"is {found}, not a STIX bundle (an object of type 'bundle')")
    if raw.get("type") != "bundle":
        raise ScenarioError.one(path, "is not a STIX bundle: its 'type' is not 'bundle'")
    items = raw.get("objects", [])
    if not isinstance(items, list):
        raise ScenarioError.one(path, "is not a valid STIX bundle: 'objects' is not a list")
    version = "2.0" if raw.get("spec_version") == "2.0" else "2.1"
    envelope = {k: v for k, v in raw.items() if k != "objects"}
    _parsed(path, envelope, "the bundle", version)
    latest: dict[str, Any] = {}
    for k, item in enumerate(items):
        where = f"objects[{k}]"
        if not isinstance(item, dict):
            raise ScenarioError.one(path, f"is not valid STIX: {where} is not an object")
        ident = item.get("id")
        if not isinstance(ident, str) or not _STIX_ID.match(ident):
            raise ScenarioError.one(path, f"is not valid STIX: {where} has no valid 'id'")
        parsed = _parsed(path, item, ident, version)
        if isinstance(parsed, dict):  # a type stix2 does not know (x-mitre-tactic...)
            continue
        old = latest.get(ident)
        if old is None or str(parsed.get("modified", "")) > str(old.get("modified", "")):
            latest[ident] = parsed
    return [latest[i] for i in sorted(latest)]


def _parsed(path: Path, item: dict[str, Any], where: str, version: str) -> Any:
    """`item` parsed by `stix2`; ScenarioError naming `where` and the property at fault
    (never echoing values from the file) if it is not valid STIX."""
    try:
        return stix2.parse(item, allow_custom=True, version=version)
    except stix_errors.InvalidValueError as error:
        what = f"its '{_shown(error.prop_name, 40)}' is invalid"
    except stix_errors.MissingPropertiesError as error:
        what = f"it lacks {', '.join(_shown(p, 40) for p in error.properties)}"
    except stix_errors.STIXError as error:
        what = f"it is invalid ({type(error).__name__})"
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as error:
        what = f"it is invalid ({type(error).__name__})"
    raise ScenarioError.one(path, f"is not valid STIX {version}: {where}: {what}")


def _label(obj: Mapping[str, Any]) -> str:
    """An intrusion set or campaign for a list of choices: its id and (short) name."""
    name = _shown(obj.get("name", ""), 40)
    return f"{obj['id']} ({name})" if name else obj["id"]


def _chosen(
    path: Path, objects: list[Any], pick: str | None, warnings: list[str]
) -> tuple[Mapping[str, Any] | None, list[Mapping[str, Any]]]:
    """The intrusion set or campaign the draft is of (None: the whole bundle), and the
    attack-patterns it uses."""
    by_id = {o["id"]: o for o in objects}
    actors = [o for o in objects if o["type"] in ("intrusion-set", "campaign")]
    relations = [o for o in objects if o["type"] == "relationship"]
    attributed = {
        r["source_ref"]
        for r in relations
        if r["relationship_type"] == "attributed-to"
        and r["source_ref"].startswith("campaign--")
        and str(r["target_ref"]).startswith("intrusion-set--")
        and r["target_ref"] in by_id
    }
    if pick is not None:
        wanted = pick.strip().casefold()
        matches = [
            o
            for o in actors
            if o["id"] == pick.strip()
            or wanted in {str(n).casefold() for n in [o.get("name", ""), *o.get("aliases", [])]}
        ]
        if len(matches) != 1:
            listed = ", ".join(_label(o) for o in (matches or actors)) or "none"
            how = "matches several" if matches else "matches no intrusion set or campaign"
            raise ScenarioError.one(path, f"--from '{_shown(pick)}' {how}: {listed}")
        chosen = matches[0]
    else:
        roots = [o for o in actors if o["id"] not in attributed]
        if len(roots) > 1:
            listed = ", ".join(_label(o) for o in roots)
            raise ScenarioError.one(
                path,
                f"holds {len(roots)} intrusion sets and campaigns: choose one with --from: "
                + listed,
            )
        chosen = roots[0] if roots else None
    if chosen is None:
        patterns = [o for o in objects if o["type"] == "attack-pattern"]
        if not patterns:
            raise ScenarioError.one(
                path, "holds no attack-pattern (ATT&CK technique), so no campaign stage"
            )
        return None, patterns
    sources = {chosen["id"]}
    if chosen["type"] == "intrusion-set":
        sources |= {
            r["source_ref"]
            for r in relations
            if r["relationship_type"] == "attributed-to" and r["target_ref"] == chosen["id"]
        }
    patterns = {}
    for r in relations:
        target = str(r["target_ref"])
        if r["relationship_type"] != "uses" or r["source_ref"] not in sources:
            continue
        if not target.startswith("attack-pattern--"):
            continue
        if target not in by_id:
            warnings.append(
                f"{path}: {r['id']}: uses {target}, which is not in the bundle; skipped"
            )
            continue
        patterns[target] = by_id[target]
    if not patterns:
        raise ScenarioError.one(path, f"{chosen['id']} uses no attack-pattern in the bundle")
    return chosen, [patterns[i] for i in sorted(patterns)]


def _technique_id(obj: Mapping[str, Any]) -> str | None:
    """The ATT&CK id of an attack-pattern, from its external references."""
    for ref in obj.get("external_references", ()):
        if ref.get("source_name") in ATTACK_SOURCES and ref.get("external_id") is not None:
            return str(ref["external_id"]).strip()
    return None


def _stage_candidates(
    path: Path, patterns: Iterable[Mapping[str, Any]], warnings: list[str]
) -> dict[str, set[str]]:
    """The techniques of `patterns` by ATT&CK tactic, each checked against the shipped table;
    a line in `warnings` for each pattern or phase skipped."""
    table = techniques()
    found: dict[str, set[str]] = {}
    for obj in patterns:
        ident = obj["id"]
        tid = _technique_id(obj)
        shown = tid if tid is not None and _TECHNIQUE_ID.match(tid) else None
        label = f"{path}: {ident} ({shown or 'no technique id'})"
        if obj.get("revoked") is True or obj.get("x_mitre_deprecated") is True:
            why = "revoked" if obj.get("revoked") is True else "deprecated (x_mitre_deprecated)"
            warnings.append(f"{label}: {why}; skipped")
            continue
        if tid is None:
            warnings.append(f"{label}: no ATT&CK id in its external_references; skipped")
            continue
        if shown is None:
            warnings.append(f"{label}: its ATT&CK external_id is not a technique id; skipped")
            continue
        if tid not in table:
            warnings.append(
                f"{label}: unknown technique (not in ATT&CK v{ATTACK_VERSION}); skipped"
            )
            continue
        phases = [
            p.get("phase_name")
            for p in obj.get("kill_chain_phases", ())
            if p.get("kill_chain_name") in KILL_CHAINS
        ]
        listed = sorted(table[tid].tactics, key=TACTIC_ORDER.index)
        if not phases:
            first = listed[0]
            warnings.append(
                f"{label}: no ATT&CK kill-chain phase; placed under '{first}', its first "
                f"tactic in ATT&CK v{ATTACK_VERSION}"
            )
            phases = [first]
        for phase in dict.fromkeys(phases):
            if phase not in listed:
                named = (
                    f"'{phase}'" if isinstance(phase, str) and _WORD.match(phase) else "its phase"
                )
                warnings.append(
                    f"{label}: not under {named} in ATT&CK v{ATTACK_VERSION} (it is under "
                    f"{', '.join(listed)}); that phase skipped"
                )
                continue
            found.setdefault(phase, set()).add(tid)
    return found


def _impact_type(tid: str) -> str:
    """The impact a technique implies (exfiltrate if none)."""
    by_parent = IMPACT_BY_TECHNIQUE.get(tid.split(".")[0])
    if by_parent is not None:
        return by_parent
    return "degrade" if techniques()[tid].domain == "ics" else "exfiltrate"


def _impact_key(tid: str) -> tuple[int, str]:
    return IMPACT_RANK.index(_impact_type(tid)), tid


def _impact(found: Mapping[str, set[str]]) -> tuple[str, str]:
    """The campaign's impact type and its comment."""
    ics_effects = found.get("inhibit-response-function", set()) | found.get(
        "impair-process-control", set()
    )
    candidates = sorted(found.get("impact", set()) | ics_effects, key=_impact_key)
    if not candidates:
        return "exfiltrate", "assumption: edit (no impact technique in the bundle)"
    tid = candidates[0]
    kind = _impact_type(tid)
    return kind, f"assumption: edit ({kind} from {tid} {techniques()[tid].name})"


def _actor(objects: list[Any], chosen: Mapping[str, Any] | None) -> tuple[str, str]:
    """The campaign's actor, from the intrusion set's resource level and primary motivation
    (a campaign's: the set it is attributed to), and its comment."""
    subject = chosen
    if chosen is not None and chosen["type"] == "campaign":
        sets = sorted(
            o["target_ref"]
            for o in objects
            if o["type"] == "relationship"
            and o["relationship_type"] == "attributed-to"
            and o["source_ref"] == chosen["id"]
            and str(o["target_ref"]).startswith("intrusion-set--")
        )
        by_id = {o["id"]: o for o in objects}
        subject = by_id.get(sets[0]) if sets else None
    level = str(subject.get("resource_level", "")) if subject else ""
    motive = str(subject.get("primary_motivation", "")) if subject else ""
    if level == "government":
        actor, why = "state", "resource_level: government"
    elif motive in ("ideology", "notoriety"):
        actor, why = "hacktivist", f"primary_motivation: {motive}"
    elif motive in ("personal-gain", "organizational-gain") or level == "organization":
        actor = "criminal"
        why = f"primary_motivation: {motive}" if motive else "resource_level: organization"
    elif motive in ("dominance", "coercion"):
        actor, why = "state", f"primary_motivation: {motive}"
    else:
        actor, why = "state", "the default: no resource_level or primary_motivation to go by"
    return actor, f"assumption: edit ({why})"


def _median_hours(duration: Mapping[str, Any]) -> float:
    """The median of a duration distribution, in hours."""
    kind = duration["dist"]
    if kind == "fixed":
        return float(duration["hours"])
    if kind == "exponential":
        return float(duration["mean"]) * math.log(2)
    if kind == "uniform":
        return (float(duration["low"]) + float(duration["high"])) / 2
    if kind == "triangular":
        low, mode, high = (float(duration[k]) for k in ("low", "mode", "high"))
        if mode >= (low + high) / 2:
            return low + math.sqrt((high - low) * (mode - low) / 2)
        return high - math.sqrt((high - low) * (high - mode) / 2)
    return float(duration["median"])


def _defaults_of(stages: list[dict[str, Any]], basis: str) -> StageDefaults:
    """Median success and detectability of `stages`, and the duration of median median."""
    durations = sorted(
        (s["duration"] for s in stages),
        key=lambda d: (_median_hours(d), json.dumps(d, sort_keys=True)),
    )
    return StageDefaults(
        duration=dict(durations[(len(durations) - 1) // 2]),
        success=round(statistics.median(float(s["success"]) for s in stages), 3),
        detectability=round(
            statistics.median(float(s.get("detectability", 0.3)) for s in stages), 3
        ),
        basis=basis,
    )


def tactic_defaults() -> dict[str, StageDefaults]:
    """Assumed stage figures by tactic from the bundled campaign templates: the median of the
    templates' stages of that tactic; under "" the generic fallback, the median of all their
    stages."""
    from .load import campaign_templates  # the loader imports this package's models

    stages = [
        s for t in campaign_templates().values() for s in t.get("stages", ()) if isinstance(s, dict)
    ]
    by_tactic: dict[str, list[dict[str, Any]]] = {}
    for stage in stages:
        by_tactic.setdefault(stage["tactic"], []).append(stage)
    defaults = {
        tactic: _defaults_of(
            group,
            f"medians of the {len(group)} template stages of this tactic"
            if len(group) > 1
            else "as in the one template stage of this tactic",
        )
        for tactic, group in by_tactic.items()
    }
    defaults[""] = _defaults_of(
        stages, f"medians of all {len(stages)} template stages (no template has this tactic)"
    )
    return defaults


def _yaml_value(value: object) -> str:
    """`value` as YAML: flow style for mappings and lists, wrapped at about 90 characters."""
    text = yaml.dump(
        value,
        Dumper=Dumper,
        default_flow_style=True,
        width=88,
        allow_unicode=True,
        sort_keys=False,
    )
    return text.removesuffix("\n...\n").rstrip("\n")


def _item_lines(draft: Draft) -> list[str]:
    """The campaign as one YAML list item at column 0 (continuation lines indented 2)."""
    campaign = draft.campaign
    lines: list[str] = []

    def put(key: str, value: object, note: str | None = None) -> None:
        if isinstance(value, str) and len(value) > 70:  # a long name or source: folded
            lines.append(f"{key}: >-")
            lines.extend(f"  {line}" for line in _folded(value))
            return
        first, *rest = _yaml_value(value).split("\n")
        inline = f"{key}: {first}  # {note}"
        if note and (rest or len(inline) > 90):
            lines.extend(f"# {line}" for line in _folded(note))
        lines.append(inline if note and not rest and len(inline) <= 90 else f"{key}: {first}")
        lines.extend(f"  {line.lstrip()}" for line in rest)

    put("id", campaign["id"])
    put("name", campaign["name"])
    for key in ("actor", "start_hours", "targeting"):
        put(key, campaign[key], draft.notes.get(key))
    lines.append("stages:")
    for stage, notes in zip(campaign["stages"], draft.stage_notes, strict=True):
        lines.extend(f"  # {line}" for note in notes for line in _folded(note, 86))
        head = ", ".join(f"{k}: {_yaml_value(v)}" for k, v in stage.items() if k != "duration")
        lines.append(f"  - {{{head},")
        lines.append(f"     duration: {_yaml_value(stage['duration'])}}}")
    put("impact", campaign["impact"], draft.notes.get("impact"))
    put("source", campaign["source"])
    return lines


def _folded(text: str, width: int = 88) -> list[str]:
    """`text` cut at spaces into lines of at most about `width` characters (a folded scalar
    joins them back with single spaces)."""
    words, lines, line = text.split(" "), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return [*lines, line]


def _header(draft: Draft) -> list[str]:
    return [
        f"# Drafted from the STIX bundle {draft.bundle} by `cyberttx campaign from-stix`.",
        f"# From the bundle: the stages' tactics and techniques (ATT&CK v{ATTACK_VERSION}).",
        "# Everything marked 'assumption' is a default, not intelligence: edit it.",
    ]


def _block(draft: Draft, column: int) -> str:
    """The header and the campaign item, every line indented by `column` spaces."""
    pad = " " * column
    item = _item_lines(draft)
    lines = _header(draft) + [("- " if k == 0 else "  ") + line for k, line in enumerate(item)]
    return "".join(f"{pad}{line}\n" for line in lines)


def campaign_yaml(draft: Draft) -> str:
    """The drafted campaign as a `campaigns:` block, with its comments, to paste into a
    scenario (or its item alone under an existing `campaigns:`)."""
    text = "campaigns:\n" + _block(draft, 2)
    assert yaml.safe_load(text) == {"campaigns": [draft.campaign]}, "the YAML must read back"
    return text


def scenario_text_with_campaign(text: str, draft: Draft, moved: Moved | None = None) -> str:
    """The YAML of a scenario file (`text`) with the drafted campaign appended to its
    `campaigns:`, in place so that comments and layout stay (rewritten whole where the layout
    is unusual). With `moved` (the scenario's folder and the copy's), the files it names
    are re-pointed so that they still resolve from the copy's folder."""
    data = yaml.safe_load(text)
    campaigns = [*(data.get("campaigns") or []), draft.campaign]
    expected = relocated_fields({**data, "campaigns": campaigns}, moved)
    kept = spliced_or_none(lambda: _spliced(text, draft), expected, moved)
    return kept or "\n".join(_header(draft)) + "\n" + dump(expected)


def _spliced(text: str, draft: Draft) -> str | None:
    """`text` with the campaign appended to its block `campaigns:` list (or a new one);
    None where the layout is not a plain block mapping."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode) or root.flow_style:
        return None
    found = next(((k, v) for k, v in root.value if k.value == "campaigns"), None)
    if found is None:
        tail = "" if text.endswith("\n") or not text else "\n"
        return text + tail + "campaigns:\n" + _block(draft, 2)
    key, value = found
    empty = (isinstance(value, yaml.ScalarNode) and value.value in ("", "~", "null")) or (
        isinstance(value, yaml.SequenceNode) and not value.value
    )
    if empty:
        end = content_end(text, key.start_mark.index, value.end_mark.index)
        block = "campaigns:\n" + _block(draft, key.start_mark.column + 2)
        rest = text[end:].removeprefix("\n")
        return text[: key.start_mark.index] + block + rest
    if not isinstance(value, yaml.SequenceNode) or value.flow_style:
        return None
    column = value.start_mark.column
    if text[value.start_mark.index : value.start_mark.index + 1] != "-":
        return None
    end = content_end(text, value.start_mark.index, value.end_mark.index)
    lead = "" if text[end - 1 : end] == "\n" else "\n"
    return text[:end] + lead + _block(draft, column) + text[end:]
