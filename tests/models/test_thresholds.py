from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from yuqing.models.classifier import train
from yuqing.models.corpus import Example, load_seed
from yuqing.models.errors import TrainingError
from yuqing.models.thresholds import (
    BASIS_BEST_F1,
    BASIS_DEFAULT,
    BASIS_TARGET,
    MIN_THRESHOLD,
    TARGET_PRECISION,
    choose_threshold,
    holdout_split,
)
from yuqing.triage.categories import EMERGENCY, RUMOUR, TEXT_LABELS

SCORES = np.array([0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1])


def test_the_best_f1_among_thresholds_reaching_the_target() -> None:
    truth = np.array([1, 1, 1, 0, 1, 1, 0, 0, 1, 0], dtype=bool)
    # raising the top k: k=3 P 1.00 R .50 | k=5 P .80 R .67 | k=6 P .83 R .83 (F1 .83)
    #                    k=9 P .67 R 1.0 (F1 .80): best F1 with P >= .8 is k=6
    chosen = choose_threshold(SCORES, truth, 0.8, 0.5)
    assert chosen["basis"] == BASIS_TARGET
    assert chosen["threshold"] == pytest.approx(0.45)  # halfway to the next lower score
    assert chosen["heldout_precision"] == pytest.approx(5 / 6)
    assert chosen["heldout_recall"] == pytest.approx(5 / 6)
    assert (chosen["heldout_positives"], chosen["heldout_posts"]) == (6, 10)
    # a stricter target gives up recall: only k <= 3 reach 0.9
    strict = choose_threshold(SCORES, truth, 0.9, 0.5)
    assert strict["threshold"] == pytest.approx(0.75)
    assert (strict["heldout_precision"], strict["heldout_recall"]) == (1.0, 0.5)


def test_an_unreachable_target_falls_back_to_the_best_f1() -> None:
    truth = np.array([0, 1, 1, 0, 1, 1, 0, 0, 1, 0], dtype=bool)
    # the top post is wrong: precision never exceeds .67; best F1 is k=6 (P .67 R .80)
    chosen = choose_threshold(SCORES, truth, 0.8, 0.5)
    assert chosen["basis"] == BASIS_BEST_F1
    assert chosen["threshold"] == pytest.approx(0.45)
    assert chosen["heldout_precision"] == pytest.approx(4 / 6)
    assert chosen["target_precision"] == 0.8


def test_too_few_held_out_posts_keep_the_default() -> None:
    truth = np.zeros(10, dtype=bool)
    truth[:4] = True
    chosen = choose_threshold(SCORES, truth, 0.8, 0.5)
    assert chosen["basis"] == BASIS_DEFAULT
    assert chosen["threshold"] == 0.5
    assert "4 held-out posts" in chosen["note"]
    assert chosen["heldout_recall"] == 1.0  # measured at the default all the same


def test_thresholds_stay_within_bounds_and_ties_are_not_split() -> None:
    easy = np.array([0.19, 0.18, 0.17, 0.16, 0.15, 0.05, 0.04, 0.03])
    truth = np.array([1, 1, 1, 1, 1, 0, 0, 0], dtype=bool)
    assert choose_threshold(easy, truth, 0.8, 0.5)["threshold"] == MIN_THRESHOLD
    tied = np.array([0.9] * 6 + [0.3] * 4)
    truth = np.array([1, 1, 1, 1, 1, 0, 1, 0, 0, 0], dtype=bool)
    chosen = choose_threshold(tied, truth, 0.8, 0.5)
    # the six tied posts are raised together (P 5/6) or not at all
    assert chosen["threshold"] == pytest.approx(0.6)
    assert chosen["heldout_precision"] == pytest.approx(5 / 6)


def test_the_holdout_split_is_stratified_disjoint_and_repeatable() -> None:
    targets = [{RUMOUR}] * 50 + [{EMERGENCY}] * 30 + [{EMERGENCY, RUMOUR}] * 10 + [set()] * 60
    train_rows, held = holdout_split(targets, 0.2, 0)
    assert sorted(train_rows + held) == list(range(len(targets)))
    assert not set(train_rows) & set(held)
    # stratified by the rarest label: the 10 two-label posts count as emergency
    kinds = Counter(frozenset(targets[i]) for i in held)
    assert kinds[frozenset({RUMOUR})] == 10
    assert kinds[frozenset()] == 12
    assert kinds[frozenset({EMERGENCY})] + kinds[frozenset({EMERGENCY, RUMOUR})] == 8
    assert holdout_split(targets, 0.2, 0) == (train_rows, held)
    assert holdout_split(targets, 0.2, 1) != (train_rows, held)
    assert holdout_split([{RUMOUR}, set()], 0.2, 0) is None


def test_the_seed_model_chooses_its_thresholds_on_held_out_posts() -> None:
    examples = load_seed()
    model = train(examples, target_precision={RUMOUR: 0.9})
    report = model.threshold_report_
    assert set(report) == set(TEXT_LABELS)
    usable = sum(e.usable for e in examples)
    for label in TEXT_LABELS:
        entry = report[label]
        assert model.thresholds_[label] == entry["threshold"]
        assert entry["heldout_posts"] == pytest.approx(usable * 0.2, abs=len(TEXT_LABELS) + 1)
        assert entry["basis"] in (BASIS_TARGET, BASIS_BEST_F1)
        target = 0.9 if label == RUMOUR else TARGET_PRECISION
        assert entry["target_precision"] == target
        if entry["basis"] == BASIS_TARGET:
            assert entry["heldout_precision"] >= target


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (1.0, "target precision must be between 0 and 1"),
        ({"gossip": 0.9}, "target precision for 'gossip': not a text label"),
        ({RUMOUR: 0}, "target precision for 'rumour' must be between 0 and 1"),
    ],
)
def test_bad_target_precision(train_examples: list[Example], target: object, message: str) -> None:
    with pytest.raises(TrainingError, match=message):
        train(train_examples, target_precision=target)  # type: ignore[arg-type]
