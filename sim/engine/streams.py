"""Independent random streams, one per entity, derived from a root seed (DESIGN.md §3).

A stream is keyed by what draws from it (its kind and the ids that name it), never by its
position or by the order events happen, so adding an asset or changing one campaign leaves
every other entity's draws unchanged, and two variants of the same replication see the same
draws (common random numbers).
"""

from __future__ import annotations

import hashlib
import json

import numpy as np


def _key(kind: str, names: tuple[str, ...]) -> int:
    # JSON keeps the parts apart whatever characters the ids contain ('a/b' + 'c' is not
    # 'a' + 'b/c').
    text = json.dumps([kind, *names], ensure_ascii=False)
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


class Streams:
    """Random generators for one replication: `streams('intrusion', 'apt28', 'AUR-grid')`."""

    def __init__(self, seed: int, replication: int = 0) -> None:
        self.seed = seed
        self.replication = replication
        self._cache: dict[tuple[str, ...], np.random.Generator] = {}

    def __call__(self, kind: str, *names: str) -> np.random.Generator:
        """The generator of the entity of `kind` named by `names`, created on first use."""
        key = (kind, *names)
        rng = self._cache.get(key)
        if rng is None:
            sequence = np.random.SeedSequence(
                self.seed, spawn_key=(self.replication, _key(kind, names))
            )
            rng = self._cache[key] = np.random.Generator(np.random.PCG64(sequence))
        return rng
