from __future__ import annotations

import json

import pytest

from yuqing.models.classifier import Classifier
from yuqing.models.corpus import Example
from yuqing.models.errors import ModelError
from yuqing.models.evaluate import LabelScore, evaluate, score
from yuqing.triage.categories import ALL_LABELS, EMERGENCY, NONE, RUMOUR, SUPERIOR_REQUEST

E, R = EMERGENCY, RUMOUR


def test_hand_checked_scores() -> None:
    truth = [{R}, {R}, set(), set(), {E, R}, {E}]
    predicted = [{R}, set(), {R}, set(), {E}, {E, R}]
    report = score(truth, predicted)
    # emergency: true in posts 4, 5; raised in 4, 5          → P 2/2, R 2/2
    # rumour:    true in posts 0, 1, 4; raised in 0, 2, 5    → P 1/3, R 1/3
    # none:      true in posts 2, 3; predicted in 1, 3       → P 1/2, R 1/2
    assert list(report.per_label) == [EMERGENCY, RUMOUR, NONE]
    assert report.per_label[EMERGENCY] == LabelScore(1.0, 1.0, 1.0, 2)
    assert report.per_label[RUMOUR] == pytest.approx(LabelScore(1 / 3, 1 / 3, 1 / 3, 3))
    assert report.per_label[NONE] == LabelScore(0.5, 0.5, 0.5, 2)
    assert report.macro_f1 == pytest.approx((1 + 1 / 3 + 0.5) / 3)
    assert report.exact_match == pytest.approx(2 / 6)  # posts 0 and 3
    assert report.n_examples == 6


def test_f1_is_the_harmonic_mean_and_empty_ratios_are_zero() -> None:
    report = score([{R}, set(), set()], [{R}, {R}, set()])
    assert report.per_label[RUMOUR] == pytest.approx(LabelScore(0.5, 1.0, 2 / 3, 1))
    assert report.per_label[NONE] == pytest.approx(LabelScore(1.0, 0.5, 2 / 3, 2))

    never_raised = score([{E}, set()], [set(), set()])
    assert never_raised.per_label[EMERGENCY] == LabelScore(0.0, 0.0, 0.0, 1)
    assert never_raised.per_label[NONE] == pytest.approx(LabelScore(0.5, 1.0, 2 / 3, 1))
    assert never_raised.macro_f1 == pytest.approx(1 / 3)


def test_score_refuses_mismatched_or_empty_input() -> None:
    with pytest.raises(ModelError, match="2 true label sets but 1 predictions"):
        score([{R}, set()], [{R}])
    with pytest.raises(ModelError, match="nothing to score"):
        score([], [])


def test_evaluate_on_held_out_posts(
    classifier: Classifier, heldout_examples: list[Example]
) -> None:
    report = evaluate(classifier, heldout_examples)
    assert list(report.per_label) == list(ALL_LABELS)
    assert all(s.support == 3 for s in report.per_label.values())
    assert report.macro_f1 == 1.0
    assert report.exact_match == 1.0


def test_a_binary_set_evaluates_rumour_and_none(
    classifier: Classifier, heldout_examples: list[Example]
) -> None:
    binary = [e for e in heldout_examples if e.labels in ((RUMOUR,), (NONE,))]
    extra = Example(text="省政府要求市政府主动回应", labels=(SUPERIOR_REQUEST,))
    report = evaluate(classifier, [*binary, extra])
    assert list(report.per_label) == [RUMOUR, NONE]
    assert report.n_examples == 6  # the superior_request example is left out


def test_evaluate_needs_usable_examples(classifier: Classifier) -> None:
    with pytest.raises(ModelError, match="no examples to evaluate"):
        evaluate(classifier, [Example(text="上级要求回应", labels=(SUPERIOR_REQUEST,))])


def test_report_as_dict_and_table() -> None:
    report = score([{R}, set(), set()], [{R}, {R}, set()])
    data = json.loads(json.dumps(report.as_dict()))
    assert data["n_examples"] == 3
    assert data["macro_f1"] == pytest.approx(2 / 3)
    assert set(data) == {"n_examples", "macro_f1", "exact_match", RUMOUR, NONE}
    assert data[RUMOUR] == {
        "precision": 0.5,
        "recall": 1.0,
        "f1": pytest.approx(2 / 3),
        "support": 1,
    }
    lines = report.format_table().splitlines()
    assert lines[0].split() == ["label", "precision", "recall", "f1", "support"]
    assert lines[1].split() == ["rumour", "0.500", "1.000", "0.667", "1"]
    assert lines[2].split() == ["none", "1.000", "0.500", "0.667", "2"]
    assert lines[3] == "macro-F1 0.667 over 2 labels; exact match 0.667; 3 posts"


def test_a_file_that_annotates_only_some_labels_is_read_within_them() -> None:
    # rumour/none data: a sudden incident raised on a post it calls "none" is not a miss
    truth = [frozenset({"rumour"}), frozenset(), frozenset()]
    predicted = [frozenset({"rumour", "emergency"}), frozenset({"emergency"}), frozenset()]
    report = score(truth, predicted)
    assert list(report.per_label) == ["rumour", "none"]
    assert report.macro_f1 == 1.0 and report.exact_match == 1.0
