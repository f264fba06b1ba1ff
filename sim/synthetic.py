"""Synthetic infrastructure models of any size, for demonstrations and benchmarks.

`synthetic_files` returns a scenario and the two CSV tables it names. Each country gets a
typical sector mix, a national CSIRT sized to it, routine incidents and a seat in a regional
network, and campaigns from the bundled templates run against the model. Assets depend on
assets of the same country following typical patterns (power feeds nearly everything, telecom
carries finance and emergency services, water supplies hospitals), each supplier chosen in
proportion to its weight so that a few hubs carry many dependents; interconnectors, cable
landings and a regional payment switch link countries. The figures live in
`infrastructure_models/presets/synthetic.yaml`. Everything is vectorised with numpy and drawn
from one seed: the same arguments always give the same bytes."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import yaml

from .library import library_root

PREFIXES = ("Aur", "Bor", "Cal", "Dor", "Est", "Fal", "Gal", "Hel", "Ist", "Kor", "Lum", "Mer")
SUFFIXES = ("elia", "ovia", "ador", "ania", "ica", "eria", "ona", "uay", "aria", "esia")
"""Fictional country names are a prefix and a suffix."""

START = datetime(2026, 7, 10, 18, 0, tzinfo=timezone(timedelta(hours=-5)))
DURATION_HOURS = 72.0


def load_presets() -> dict[str, Any]:
    """The generator's presets: sector mix, dependency patterns and disruptions."""
    path = library_root() / "infrastructure_models" / "presets" / "synthetic.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _apportion(total: int, shares: np.ndarray) -> np.ndarray:
    """Whole numbers summing to `total`, proportional to `shares` (largest remainders)."""
    exact = total * shares / shares.sum()
    counts = np.floor(exact).astype(np.int64)
    counts[np.argsort(counts - exact, kind="stable")[: total - counts.sum()]] += 1
    return counts


def _role_counts(size: int, roles: list[dict[str, Any]]) -> np.ndarray:
    """How many assets of each role a country of `size` assets has; essential roles first."""
    essential = [r for r, role in enumerate(roles) if role["essential"]][:size]
    counts = np.zeros(len(roles), dtype=np.int64)
    counts[essential] = 1
    return counts + _apportion(size - len(essential), np.array([r["share"] for r in roles]))


Bound = float | np.ndarray


def _uniform(
    rng: np.random.Generator, low: Bound, high: Bound, size: int, step: float
) -> np.ndarray:
    """`size` uniform draws between `low` and `high`, rounded to multiples of `step`."""
    return np.round((low + rng.random(size) * np.subtract(high, low)) / step) * step


class _Model:
    """A synthetic model: arrays with one entry per asset, in country-major order, and the
    links drawn between them."""

    def __init__(self, assets: int, countries: int, presets: dict[str, Any], seed: int) -> None:
        self.presets = presets
        self.roles: list[dict[str, Any]] = presets["roles"]
        self.codes = [role["code"] for role in self.roles]
        rng_countries, rng_assets, self.rng = (
            np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3)
        )
        names = [p + s for s, p in itertools.product(SUFFIXES, PREFIXES)]
        order = rng_countries.permutation(len(names))
        self.country_ids = [f"C{c + 1:02d}" for c in range(countries)]
        self.country_names = [names[order[c % len(names)]] for c in range(countries)]
        size = rng_countries.lognormal(0.0, presets["country_spread"], countries)
        floor = 1 if assets >= countries else 0
        self.sizes = floor + _apportion(assets - floor * countries, size)
        self.counts = np.stack([_role_counts(int(n), self.roles) for n in self.sizes])
        blocks = np.repeat(np.arange(self.counts.size), self.counts.ravel())
        self.country, self.role = np.divmod(blocks, len(self.roles))
        starts = np.concatenate(([0], np.cumsum(self.counts.ravel())))
        self.ordinal = np.arange(assets) - starts[blocks] + 1
        self.weight = self._weights(rng_assets)
        self.top = self._heaviest(blocks)
        triples = list(
            zip(self.country.tolist(), self.role.tolist(), self.ordinal.tolist(), strict=True)
        )
        self.ids = np.array(
            [f"{self.country_ids[c]}-{self.codes[r]}-{k}" for c, r, k in triples], dtype=object
        )
        self.names = [
            f"{self.country_names[c]} {self.roles[r]['label']} {k}" for c, r, k in triples
        ]
        self.asset_columns = self._asset_columns(rng_assets)

    def _column(self, key: str) -> np.ndarray:
        """Each asset's value of role field `key`."""
        return np.array([role[key] for role in self.roles])[self.role]

    def _weights(self, rng: np.random.Generator) -> np.ndarray:
        """People served: the role's reach of the population, shared log-normally."""
        people = self.presets["people_per_asset"] * self.sizes[self.country]
        sigma = self._column("spread")
        spread = np.exp(sigma * rng.standard_normal(len(sigma)) - sigma**2 / 2)
        share = self._column("reach") / self.counts[self.country, self.role]
        return np.maximum(1.0, np.round(people * share * spread))

    def _heaviest(self, blocks: np.ndarray) -> np.ndarray:
        """top[c, r]: index of country c's heaviest asset of role r, -1 if it has none."""
        order = np.lexsort((-self.weight, blocks))
        first = order[np.r_[True, blocks[order][1:] != blocks[order][:-1]]]
        top = np.full(self.counts.size, -1)
        top[blocks[first]] = first
        return top.reshape(self.counts.shape)

    def _asset_columns(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """The columns of the assets table, recovery parameters in dotted columns."""
        n, posture = len(self.role), self._column("posture")
        alpha, beta = (
            posture * self.presets["posture_concentration"],
            (1 - posture) * self.presets["posture_concentration"],
        )
        recovery: dict[str, np.ndarray] = {
            "recovery.dist": np.array([r["recovery"]["dist"] for r in self.roles])[self.role]
        }
        jitter = np.exp(self.presets["recovery_jitter"] * rng.standard_normal(n))
        params = dict.fromkeys(p for r in self.roles for p in r["recovery"] if p != "dist")
        for param in params:
            base = np.array([r["recovery"].get(param, np.nan) for r in self.roles], dtype=float)
            recovery[f"recovery.{param}"] = np.round(base[self.role] * jitter, 1)
        public = rng.random(n) < self._column("public")
        backup = self._column("backup").astype(float)
        return {
            "id": self.ids,
            "name": np.array(self.names, dtype=object),
            "sector": self._column("sector"),
            "country": np.array(self.country_ids)[self.country],
            "operator": np.where(public, "public", "private"),
            "weight": self.weight.astype(np.int64),
            "backup_hours": _uniform(rng, backup[:, 0], backup[:, 1], n, 0.5),
            **recovery,
            "prevention": np.round(rng.beta(alpha, beta), 2),
            "monitoring": np.round(rng.beta(alpha, beta), 2),
        }

    def _pick(self, choosers: np.ndarray, role: int) -> tuple[np.ndarray, np.ndarray]:
        """For each chooser, one asset of `role` in its country, drawn in proportion to weight.

        Choosers whose country has no asset of that role are dropped.
        """
        candidates = np.flatnonzero(self.role == role)
        bounds = np.searchsorted(self.country[candidates], np.arange(len(self.sizes) + 1))
        cum = np.concatenate(([0.0], np.cumsum(self.weight[candidates])))
        c = self.country[choosers]
        found = bounds[c + 1] > bounds[c]
        choosers, lo, hi = choosers[found], bounds[c[found]], bounds[c[found] + 1]
        target = cum[lo] + self.rng.random(len(choosers)) * (cum[hi] - cum[lo])
        position = np.clip(np.searchsorted(cum, target, side="right") - 1, lo, hi - 1)
        return choosers, candidates[position]

    def _local(self, link: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """Supplier and dependent indices of one `links` pattern."""
        each = np.flatnonzero(np.isin(self.role, [self.codes.index(c) for c in link["each"]]))
        each = each[self.rng.random(len(each)) < link.get("p", 1.0)]
        other = link.get("from", link.get("to"))
        each, picked = self._pick(each, self.codes.index(other))
        return (picked, each) if "from" in link else (each, picked)

    def _cross_border(self, link: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """Supplier and dependent indices of one `cross_border` pattern."""
        present = np.flatnonzero(self.sizes > 0)
        if link["between"] == "hub":
            hub = int(np.argmax(self.sizes))
            pairs = [(hub, c) for c in present if c != hub]
        else:  # a ring; two countries are one pair, one country has no neighbour
            ring = list(zip(present, np.roll(present, -1), strict=True))
            ring = ring if len(ring) > 2 else ring[: len(ring) - 1]
            pairs = ring + [(b, a) for a, b in ring]
        ends = np.array(pairs, dtype=np.int64).reshape(-1, 2)
        supplier = self.top[ends[:, 0], self.codes.index(link["from"])]
        dependent = self.top[ends[:, 1], self.codes.index(link["to"])]
        keep = (supplier >= 0) & (dependent >= 0)
        return supplier[keep], dependent[keep]

    def dependencies(self) -> dict[str, np.ndarray]:
        """The columns of the dependencies table, one row per pair; ends are asset indices."""
        parts = []
        for link in self.presets["links"] + self.presets["cross_border"]:
            supplier, dependent = (self._cross_border if "between" in link else self._local)(link)
            n = len(supplier)
            parts.append(
                {
                    "supplier": supplier,
                    "dependent": dependent,
                    "kind": np.full(n, link["kind"]),
                    "strength": _uniform(self.rng, *link["strength"], n, 0.01),
                    "delay_hours": _uniform(self.rng, *link.get("delay", (0, 0)), n, 0.5),
                }
            )
        table = {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
        _, first = np.unique(table["supplier"] * len(self.ids) + table["dependent"], True)
        return {key: column[np.sort(first)] for key, column in table.items()}

    def heaviest(self, code: str) -> int | None:
        """Index of the heaviest asset of role `code` in the whole model, if there is one."""
        found = self.top[:, self.codes.index(code)]
        found = found[found >= 0]
        return int(found[np.argmax(self.weight[found])]) if len(found) else None


def _variants(model: _Model, disrupted: list[str], deps: dict[str, np.ndarray]) -> dict[str, Any]:
    """Two or three policies to compare, each only if the model has what it changes."""
    variants: dict[str, Any] = {}
    cores = model.top[:, model.codes.index("CORE")]
    if (cores >= 0).any():
        variants["core_backup_24h"] = {
            "description": "Every country's main telecom core holds 24 h of generator fuel.",
            "assets": {model.ids[i]: {"backup_hours": 24.0} for i in cores[cores >= 0]},
        }
    grid = model.role == model.codes.index("GRID")
    ties = grid[deps["supplier"]] & grid[deps["dependent"]]
    if ties.any():
        ends = (model.ids[deps[end][ties]] for end in ("supplier", "dependent"))
        pairs = zip(*ends, strict=True)
        variants["islanded_grids"] = {
            "description": "Grids can island from their neighbours within minutes.",
            "dependencies": {f"{s}->{d}": {"strength": 0.05} for s, d in pairs},
        }
    variants["all_cbms"] = {
        "description": "Every country adopts every CBM with a mechanical effect.",
        "cbms": {
            cbm: model.country_ids
            for cbm in (
                "points_of_contact",
                "incident_sharing",
                "severity_schemes",
                "un_norms",
                "multistakeholder",
            )
        },
    }
    variants["fast_restoration"] = {
        "description": "Restoration crews on standby bring disrupted assets back in 2 h.",
        "assets": {a: {"recovery": {"dist": "fixed", "hours": 2.0}} for a in disrupted},
    }
    return variants


def _cells(column: np.ndarray) -> list[Any]:
    """A column's cells for the csv module: floats formatted once per distinct value, NaN empty."""
    if column.dtype.kind != "f":
        return column.tolist()
    values, inverse = np.unique(column, return_inverse=True)
    text = np.array(["" if np.isnan(v) else repr(v) for v in values.tolist()], dtype=object)
    return text[inverse].tolist()


def _csv(columns: dict[str, np.ndarray]) -> bytes:
    """A CSV table of equally long columns."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(zip(*(_cells(c) for c in columns.values()), strict=True))
    return buffer.getvalue().encode()


MAX_SYNTHETIC_ASSETS = 1_000_000
"""The largest model `generate` writes (the engine is measured up to 100,000 assets)."""
MAX_SYNTHETIC_COUNTRIES = 1_000
"""The most countries of a synthetic model."""


def synthetic_files(assets: int, countries: int, seed: int) -> dict[str, bytes]:
    """scenario.yaml, assets.csv and dependencies.csv of a synthetic model, by file name.

    The same arguments always give the same bytes. If there are fewer assets than countries,
    some countries have none. Raises ValueError if `assets` or `countries` is outside 1 to
    its maximum, or `seed` is negative.
    """
    fits = 1 <= assets <= MAX_SYNTHETIC_ASSETS and 1 <= countries <= MAX_SYNTHETIC_COUNTRIES
    if not fits or seed < 0:
        raise ValueError(
            f"need assets from 1 to {MAX_SYNTHETIC_ASSETS:,}, countries from 1 to "
            f"{MAX_SYNTHETIC_COUNTRIES:,} and seed >= 0"
        )
    presets = load_presets()
    model = _Model(assets, countries, presets, seed)
    deps = model.dependencies()
    disruptions = []
    for plan in presets["disruptions"]:
        target = model.heaviest(plan["role"])
        if target is not None:
            fields = {k: v for k, v in plan.items() if k != "role"}
            disruptions.append({"asset": model.ids[target], **fields})
    defenders = presets["defenders"]
    present = {str(sector) for sector in model.asset_columns["sector"].tolist()}
    campaigns = [
        {
            "id": plan["id"],
            "template": plan["template"],
            "start_hours": plan["start_hours"],
            "targeting": {
                "sectors": targets,
                "count": max(plan["min"], round(plan["per_1000"] * assets / 1000)),
            },
        }
        for plan in presets["campaigns"]
        if (targets := [s for s in plan["sectors"] if s in present])
    ]
    scenario = {
        "name": f"Synthetic model: {assets} assets in {countries} countries",
        "description": (
            f"Generated by `cyberttx generate --assets {assets} --countries {countries} "
            f"--seed {seed}`: a typical sector mix per country, dependencies after common "
            "patterns, and disruptions on the heaviest assets of key kinds."
        ),
        "start": START,
        "duration_hours": DURATION_HOURS,
        "seed": seed,
        "countries": [
            {
                "id": i,
                "name": n,
                "csirt": {
                    "analysts": max(2, round(defenders["analysts_per_1000_assets"] * k / 1000))
                },
                "background": {
                    "per_day": round(defenders["routine_per_day_per_1000_assets"] * k / 1000, 3),
                    "handling": defenders["handling"],
                },
            }
            for i, n, k in zip(
                model.country_ids, model.country_names, model.sizes.tolist(), strict=True
            )
        ],
        "assets_csv": "assets.csv",
        "dependencies_csv": "dependencies.csv",
        "disruptions": disruptions,
        "campaigns": campaigns,
        "network": {"members": model.country_ids},
        "variants": _variants(model, [d["asset"] for d in disruptions], deps),
    }
    text = yaml.safe_dump(scenario, sort_keys=False, default_flow_style=None, width=100)
    named = {end: model.ids[deps[end]] for end in ("supplier", "dependent")}
    return {
        "scenario.yaml": text.encode(),
        "assets.csv": _csv(model.asset_columns),
        "dependencies.csv": _csv(deps | named),
    }
