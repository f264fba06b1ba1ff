"""Independent random streams, one per entity, derived from a root seed (DESIGN.md §3).

A stream is keyed by the entity's kind and id, not by its position, so adding an asset or
changing one campaign leaves every other entity's draws unchanged, and two variants of the same
replication see the same draws (common random numbers).
"""

from __future__ import annotations

import hashlib

import numpy as np


def _key(kind: str, name: str) -> int:
    digest = hashlib.blake2b(f"{kind}:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


class Streams:
    """Random generators for one replication: `streams('recovery', 'AUR-grid')`."""

    def __init__(self, seed: int, replication: int = 0) -> None:
        self.seed = seed
        self.replication = replication
        self._cache: dict[tuple[str, str], np.random.Generator] = {}

    def __call__(self, kind: str, name: str) -> np.random.Generator:
        """The generator of entity `name` of `kind`, created on first use."""
        key = (kind, name)
        rng = self._cache.get(key)
        if rng is None:
            sequence = np.random.SeedSequence(
                self.seed, spawn_key=(self.replication, _key(kind, name))
            )
            rng = self._cache[key] = np.random.Generator(np.random.PCG64(sequence))
        return rng
