"""Choosing each label's threshold on held-out data, for a stated precision.

The split: a stratified :data:`HOLDOUT_SHARE` of the posts (stratified by each post's rarest
label, ``none`` counting as a label, so every label keeps its share of held-out posts). A model
trained on the other posts scores them; then, per label:

1. among the thresholds whose held-out precision reaches the target (:data:`TARGET_PRECISION`,
   overridable per label), the one with the best held-out F1 (ties: the lower threshold, more
   recall) — the precision is a floor the analysts can rely on, and above it nothing is given up;
2. if no threshold reaches the target, the one with the best held-out F1 (the label is noisier
   than hoped; the report says the target was missed);
3. with fewer than :data:`MIN_HELDOUT_POSITIVES` held-out posts of the label, the default (a
   calibrated probability of one half), because a handful of posts cannot estimate a precision.

A chosen threshold sits halfway between the held-out score it admits and the next lower one (a
margin for the refit on all posts, whose scores move a little), and is kept within
[:data:`MIN_THRESHOLD`, :data:`MAX_THRESHOLD`]: a corpus whose held-out posts are all easy would
otherwise pick a threshold so low that any post unlike the corpus is raised.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from typing import Any

import numpy as np

#: Held-out precision a chosen threshold must reach, unless the caller names another.
TARGET_PRECISION = 0.8
#: Share of the training posts held out to choose thresholds.
HOLDOUT_SHARE = 0.2
#: Fewer held-out posts of a label than this, and its threshold is the default.
MIN_HELDOUT_POSITIVES = 5
MIN_THRESHOLD = 0.2
MAX_THRESHOLD = 0.9

#: How a threshold came about (``threshold_report_[label]["basis"]``).
BASIS_TARGET = "target_precision"
BASIS_BEST_F1 = "best_f1_target_missed"
BASIS_DEFAULT = "default"
BASIS_OVERRIDE = "override"


def holdout_split(
    targets: Sequence[Collection[str]], share: float, random_state: int
) -> tuple[list[int], list[int]] | None:
    """(training rows, held-out rows), stratified by each post's rarest label; None when the
    corpus is too small to hold any post out."""
    counts = Counter(label for t in targets for label in t)
    groups: dict[str, list[int]] = {}
    for row, t in enumerate(targets):
        key = min(t, key=lambda label: (counts[label], label)) if t else ""
        groups.setdefault(key, []).append(row)
    rng = np.random.default_rng(random_state)
    held: list[int] = []
    for key in sorted(groups):
        rows = groups[key]
        take = round(len(rows) * share)
        if take:
            held.extend(rng.permutation(rows)[:take].tolist())
    if not held:
        return None
    held_set = set(held)
    return [row for row in range(len(targets)) if row not in held_set], sorted(held)


def choose_threshold(
    scores: np.ndarray, truth: np.ndarray, target: float, default: float
) -> dict[str, Any]:
    """One label's threshold from held-out ``scores`` and ``truth`` (booleans), with the
    held-out precision and recall at it (see the module docstring)."""
    positives = int(truth.sum())
    if positives < MIN_HELDOUT_POSITIVES:
        note = f"{positives} held-out posts with the label; {MIN_HELDOUT_POSITIVES} needed"
        return {**default_choice(default, note), **_measured(scores, truth, default, target)}
    order = np.argsort(-scores, kind="stable")
    ranked, hits = scores[order], truth[order]
    # candidate k: raise the k+1 highest-scoring posts; only where the next score is lower
    last_of_tie = np.append(ranked[1:] < ranked[:-1], True)
    tp = np.cumsum(hits)[last_of_tie]
    raised = (np.arange(ranked.size) + 1)[last_of_tie]
    precision, recall = tp / raised, tp / positives
    f1 = np.where(tp > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0.0)
    reach = precision >= target
    basis = BASIS_TARGET if reach.any() else BASIS_BEST_F1
    best = int(np.argmax(np.where(reach, f1, -1.0) if reach.any() else f1))
    admitted = ranked[last_of_tie][best]
    below = ranked[ranked < admitted]
    threshold = (admitted + below[0]) / 2 if below.size else admitted
    threshold = float(min(max(threshold, MIN_THRESHOLD), MAX_THRESHOLD))
    return {
        "threshold": threshold,
        "basis": basis,
        **_measured(scores, truth, threshold, target),
    }


def default_choice(threshold: float, note: str) -> dict[str, Any]:
    return {"threshold": float(threshold), "basis": BASIS_DEFAULT, "note": note}


def override_choice(threshold: float) -> dict[str, Any]:
    return {"threshold": float(threshold), "basis": BASIS_OVERRIDE}


def _measured(
    scores: np.ndarray, truth: np.ndarray, threshold: float, target: float
) -> dict[str, Any]:
    raised = scores >= threshold
    hits = int((raised & truth).sum())
    return {
        "target_precision": float(target),
        "heldout_precision": hits / int(raised.sum()) if raised.any() else 0.0,
        "heldout_recall": hits / int(truth.sum()) if truth.any() else 0.0,
        "heldout_positives": int(truth.sum()),
        "heldout_posts": int(truth.size),
    }
