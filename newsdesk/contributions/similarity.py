"""Near-duplicate texts: shingling and MinHash, for "this was sent before" and "this
is copy from elsewhere".

A text becomes the set of its five-word runs (shingles); two texts' overlap is the
share of shingles they have in common (Jaccard similarity). A MinHash signature of
64 numbers estimates that share without keeping the sets, and cutting the signature
into 16 bands of 4 lets the database find candidates by exact match on any band
(locality-sensitive hashing): texts sharing half their shingles meet in some band
with near certainty, texts sharing a tenth almost never do. Pure functions.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Sequence

SHINGLE_WORDS = 5
PERMUTATIONS = 64
ROWS_PER_BAND = 4
BANDS = PERMUTATIONS // ROWS_PER_BAND
# Words read from one text: enough for any story, bounded for a huge one.
MAX_WORDS = 5_000
_PRIME = (1 << 61) - 1
# Fixed, so signatures made today and next year compare.
_SALTS = [
    (random.Random(2026 + n).randrange(1, _PRIME), random.Random(n).randrange(_PRIME))  # noqa: S311 (hash parameters, not secrets)
    for n in range(PERMUTATIONS)
]
_WORD = re.compile(r"\w+")


def shingles(text: str) -> set[int]:
    """Return the hashed five-word runs of a text (case and punctuation ignored)."""
    words = _WORD.findall(text.casefold())[:MAX_WORDS]
    runs = range(max(len(words) - SHINGLE_WORDS + 1, 1)) if words else range(0)
    return {_hash(" ".join(words[start : start + SHINGLE_WORDS])) for start in runs}


def _hash(run: str) -> int:
    return int.from_bytes(hashlib.blake2b(run.encode(), digest_size=8).digest(), "big")


def signature(text: str) -> tuple[int, ...]:
    """Return the MinHash signature of a text (empty for a text without words)."""
    found = shingles(text)
    if not found:
        return ()
    return tuple(min((a * x + b) % _PRIME for x in found) for a, b in _SALTS)


def band_keys(sig: Sequence[int]) -> list[str]:
    """Return the keys under which a signature's bands are indexed ("band:hash")."""
    if len(sig) != PERMUTATIONS:
        return []
    keys = []
    for band in range(BANDS):
        rows = sig[band * ROWS_PER_BAND : (band + 1) * ROWS_PER_BAND]
        digest = hashlib.blake2b(
            b",".join(str(value).encode() for value in rows), digest_size=8
        ).hexdigest()
        keys.append(f"{band}:{digest}")
    return keys


def estimated_overlap(first: Sequence[int], second: Sequence[int]) -> float:
    """Return the estimated share of shingles two texts have in common (0 to 1)."""
    if len(first) != PERMUTATIONS or len(second) != PERMUTATIONS:
        return 0.0
    return sum(a == b for a, b in zip(first, second, strict=True)) / PERMUTATIONS
