"""Near-duplicate detection: are two posts the same story?

Reposts and rewrites of one story share most of their wording, so each post's cleaned text is cut
into overlapping character shingles and summarised by a MinHash signature (datasketch), whose
agreement estimates the Jaccard similarity of the two shingle sets. Candidates are found by
locality-sensitive hashing: the signature is cut into bands, and posts sharing any band's value
are compared. The bands live in the database (``signature_bands``), so the index survives
restarts and is shared by every process using the store, where datasketch's own ``MinHashLSH``
would live in one process's memory.

A repost that adds a comment, or a short post quoting a long article, has a low Jaccard
similarity but holds most of the shorter text: containment, estimated from the Jaccard figure
and the two set sizes, catches it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from datasketch import MinHash

#: characters per shingle: three Chinese characters carry a word or two
SHINGLE = 3
NUM_PERM = 128
#: 25 bands of 3 rows (75 of the 128 values): pairs at Jaccard 0.5 become candidates 96% of the
#: time, at 0.7 (a repost) all but always, at 0.3 half the time, unrelated posts (~0.02) almost
#: never. Each band is an index row per post, so more bands cost every triage batch.
BANDS, ROWS = 25, 3
#: the same story when the estimated Jaccard similarity reaches this…
SAME_STORY_JACCARD = 0.5
#: … or the shorter text is this much inside the longer one, with at least this Jaccard
#: similarity: below it the estimate rests on a handful of the 128 values, and chance agreement
#: between a short post and a long one would read as containment
SAME_STORY_CONTAINMENT = 0.7
CONTAINMENT_MIN_JACCARD = 0.15
#: texts with fewer shingles than this say too little to be compared (a title alone, "转发")
MIN_SHINGLES = 8
#: only the start of a long text is compared: a story is recognisable from its first page
MAX_CHARS = 3000

# Punctuation, symbols and spaces say nothing about the story and differ between reposts.
_NOISE = re.compile(r"[\W_]+", re.UNICODE)
_SEED = 2016


@dataclass(frozen=True)
class Signature:
    hashvalues: np.ndarray
    #: distinct shingles in the text
    size: int

    @cached_property
    def bands(self) -> tuple[int, ...]:
        """The LSH band keys (see :func:`band_keys`), computed once."""
        return tuple(band_keys(self))

    def to_bytes(self) -> bytes:
        return self.hashvalues.astype("<u4").tobytes()

    @classmethod
    def from_bytes(cls, data: bytes, size: int) -> Signature:
        return cls(np.frombuffer(data, dtype="<u4").astype(np.uint64), size)


def shingles(text: str) -> set[bytes]:
    """The text's character shingles, after width folding and with punctuation and spaces gone."""
    folded = _NOISE.sub("", unicodedata.normalize("NFKC", text[:MAX_CHARS]).lower())
    if len(folded) < SHINGLE:
        return set()
    return {folded[i : i + SHINGLE].encode("utf-8") for i in range(len(folded) - SHINGLE + 1)}


def signature(text: str) -> Signature | None:
    """The MinHash signature of ``text``; None when it is too short to compare."""
    grams = shingles(text)
    if len(grams) < MIN_SHINGLES:
        return None
    minhash = MinHash(num_perm=NUM_PERM, seed=_SEED)
    minhash.update_batch(list(grams))
    return Signature(minhash.hashvalues.copy(), len(grams))


def band_keys(sig: Signature) -> list[int]:
    """One key per band: a 63-bit hash of the band's number and values (fits a SQL BIGINT)."""
    values = sig.hashvalues.astype("<u4")
    keys = []
    for band in range(BANDS):
        chunk = values[band * ROWS : (band + 1) * ROWS].tobytes()
        digest = hashlib.blake2b(bytes([band]) + chunk, digest_size=8).digest()
        keys.append(int.from_bytes(digest, "little") >> 1)
    return keys


def jaccard(a: Signature, b: Signature) -> float:
    return float(np.count_nonzero(a.hashvalues == b.hashvalues)) / NUM_PERM


def containment(a: Signature, b: Signature, similarity: float | None = None) -> float:
    """How much of the smaller shingle set lies in the larger: |A∩B| / min(|A|, |B|), from the
    Jaccard estimate J = |A∩B| / |A∪B| and the set sizes."""
    j = jaccard(a, b) if similarity is None else similarity
    intersection = j * (a.size + b.size) / (1 + j)
    return min(1.0, intersection / min(a.size, b.size))


@dataclass(frozen=True)
class Likeness:
    jaccard: float
    containment: float

    @property
    def same_story(self) -> bool:
        if self.jaccard >= SAME_STORY_JACCARD:
            return True
        return (
            self.jaccard >= CONTAINMENT_MIN_JACCARD and self.containment >= SAME_STORY_CONTAINMENT
        )

    @property
    def score(self) -> float:
        return max(self.jaccard, self.containment)


def likeness(a: Signature, b: Signature) -> Likeness:
    j = jaccard(a, b)
    return Likeness(j, containment(a, b, j))


def likenesses(a: Signature, others: Sequence[Signature]) -> list[Likeness]:
    """``likeness(a, b)`` for every b, in one array comparison."""
    if not others:
        return []
    matrix = np.stack([b.hashvalues for b in others])
    agree = np.count_nonzero(matrix == a.hashvalues, axis=1) / NUM_PERM
    return [
        Likeness(float(j), containment(a, b, float(j))) for j, b in zip(agree, others, strict=True)
    ]
