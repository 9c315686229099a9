from __future__ import annotations

import numpy as np
import pytest

from yuqing.models import rumour_cues
from yuqing.models.classifier import (
    DEFAULT_THRESHOLD,
    Classifier,
    Prediction,
    corpus_digest,
    train,
)
from yuqing.models.corpus import Example
from yuqing.models.errors import ModelError, TrainingError
from yuqing.models.tokenize import normalize
from yuqing.triage.categories import (
    EMERGENCY,
    MORAL_BOTTOM_LINE,
    NONE,
    POLICY_MISREADING,
    PUBLIC_INTEREST,
    RUMOUR,
    SUPERIOR_REQUEST,
    TEXT_LABELS,
)


def test_held_out_posts_of_every_label_are_classified_right(
    classifier: Classifier, heldout_examples: list[Example]
) -> None:
    predictions = classifier.predict([e.text for e in heldout_examples])
    wrong = [
        (e.text, sorted(e.targets), p.labels)
        for e, p in zip(heldout_examples, predictions, strict=True)
        if set(p.labels) != e.targets
    ]
    assert wrong == []
    # the held-out set covers every text label and none
    covered = {label for e in heldout_examples for label in e.labels}
    assert covered == {*TEXT_LABELS, NONE}


def test_prediction_shape(classifier: Classifier) -> None:
    (prediction,) = classifier.predict(["商场突发火灾，消防员正在扑救"])
    assert isinstance(prediction, Prediction)
    assert list(prediction.scores) == list(TEXT_LABELS)
    assert all(0.0 <= s <= 1.0 for s in prediction.scores.values())
    assert prediction.labels == [EMERGENCY]
    assert set(prediction.reasons) == {EMERGENCY}
    with pytest.raises(AttributeError):
        prediction.labels = []  # type: ignore[misc]  # frozen


def test_a_post_can_carry_two_labels(classifier: Classifier) -> None:
    (prediction,) = classifier.predict(["网传化工厂爆炸死亡上百人，应急管理局辟谣：系谣言"])
    assert set(prediction.labels) == {EMERGENCY, RUMOUR}


@pytest.mark.parametrize(
    ("text", "label", "expected_terms"),
    [
        ("网传银行要冻结存款，警方辟谣称系谣言", RUMOUR, {"网传", "辟谣", "谣言"}),
        ("暴雨引发山体滑坡，多人被困失联", EMERGENCY, {"山体滑坡", "被困", "失联"}),
        ("学校食堂用过期食品给学生做饭", MORAL_BOTTOM_LINE, {"学校食堂", "过期食品"}),
        ("工地几十个农民工被拖欠工资，包工头跑路了", PUBLIC_INTEREST, {"农民工", "包工头"}),
        ("有人把延迟退休政策理解成明年一律七十岁退休", POLICY_MISREADING, {"理解", "政策"}),
    ],
)
def test_reasons_name_the_terms_that_matter(
    classifier: Classifier, text: str, label: str, expected_terms: set[str]
) -> None:
    (prediction,) = classifier.predict([text])
    assert label in prediction.labels
    reasons = prediction.reasons[label]
    if label == RUMOUR:  # the rumour cues come first, then the model's probability
        cues = list(rumour_cues.scan(normalize(text)).reasons)
        assert cues and reasons[: len(cues)] == cues
        assert reasons[len(cues)].startswith("模型判断的造谣传谣概率 ")
        reasons = reasons[len(cues) + 1 :]
    assert 1 <= len(reasons) <= 5
    assert expected_terms <= set(reasons)
    # every reason is a readable term found in the post (word pairs are shown with a space)
    assert all(term.replace(" ", "") in text for term in reasons)
    assert all(len(term.replace(" ", "")) >= 2 for term in reasons)
    # no term is repeated inside another one
    squashed = [term.replace(" ", "") for term in reasons]
    assert not [a for a in squashed for b in squashed if a != b and a in b]


def test_no_label_raised_means_no_reasons(classifier: Classifier) -> None:
    (prediction,) = classifier.predict(["周末和家人去公园野餐，阳光很好"])
    assert prediction.labels == []
    assert prediction.reasons == {}


def test_batch_prediction_equals_one_by_one(
    classifier: Classifier, heldout_examples: list[Example]
) -> None:
    texts = [e.text for e in heldout_examples] + ["", "！！！", "完全无关的English text 123"]
    batch = classifier.predict(texts)
    singles = [classifier.predict([text])[0] for text in texts]
    assert [p.labels for p in batch] == [p.labels for p in singles]
    assert [p.reasons for p in batch] == [p.reasons for p in singles]
    np.testing.assert_allclose(
        [list(p.scores.values()) for p in batch], [list(p.scores.values()) for p in singles]
    )
    np.testing.assert_allclose(classifier.scores(texts), [list(p.scores.values()) for p in batch])


def test_thresholds_are_respected(classifier: Classifier, train_examples: list[Example]) -> None:
    texts = ["商场突发火灾，消防员正在扑救", "今天天气很好", "网传明天封城"]
    before = classifier.scores(texts)
    fire_score = before[0, TEXT_LABELS.index(EMERGENCY)]
    above_fire = (fire_score + 1) / 2  # a threshold the fire post cannot reach
    below_weather = before[1, TEXT_LABELS.index(RUMOUR)] / 2  # one the weather post passes
    strict = train(train_examples, thresholds={EMERGENCY: above_fire, RUMOUR: below_weather})
    assert strict.thresholds_[EMERGENCY] == above_fire
    assert strict.threshold_report_[EMERGENCY]["basis"] == "override"
    # the others are chosen (here: too few held-out posts, so the default)
    assert strict.thresholds_[POLICY_MISREADING] == DEFAULT_THRESHOLD
    assert strict.threshold_report_[POLICY_MISREADING]["basis"] == "default"
    predictions = strict.predict(texts)
    for prediction in predictions:
        expected = [x for x in TEXT_LABELS if prediction.scores[x] >= strict.thresholds_[x]]
        assert prediction.labels == expected
        assert set(prediction.reasons) == set(expected)
    fire = predictions[0]
    assert DEFAULT_THRESHOLD < fire.scores[EMERGENCY] < above_fire
    assert EMERGENCY not in fire.labels
    # the same model (the overrides change no weight), so a lower threshold raises more
    np.testing.assert_allclose(strict.scores(texts), before)
    assert RUMOUR in predictions[1].labels
    assert RUMOUR not in classifier.predict(texts)[1].labels


def test_scores_are_calibrated_probabilities(classifier: Classifier) -> None:
    """Each label's score is a sigmoid over one regression (Platt scaling fitted on
    out-of-fold decision values), so it is a probability that orders posts as the
    regression's decision value does."""
    texts = ["商场突发火灾，消防员正在扑救", "今天天气很好", "化工厂爆炸，多人受伤", "小区停水"]
    features = classifier.features_.transform([normalize(t) for t in texts])
    for label, estimator in zip(classifier.labels_, classifier.estimators_, strict=True):
        (calibrated,) = estimator.calibrated_classifiers_
        (sigmoid,) = calibrated.calibrators
        decision = calibrated.estimator.decision_function(features)
        expected = 1 / (1 + np.exp(sigmoid.a_ * decision + sigmoid.b_))
        if label == RUMOUR:  # rumour adds the cues; these texts have none
            assert all(not rumour_cues.scan(normalize(t)).reasons for t in texts)
        got = classifier.scores(texts)[:, TEXT_LABELS.index(label)]
        np.testing.assert_allclose(got, expected)
        assert sigmoid.a_ < 0  # a higher decision value means a higher probability


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        ({"gossip": 0.5}, "'gossip': not a text label"),
        ({SUPERIOR_REQUEST: 0.5}, "not a text label"),
        ({RUMOUR: 0.0}, "between 0 and 1"),
        ({RUMOUR: 1.5}, "between 0 and 1"),
        ({RUMOUR: "0.5"}, "between 0 and 1"),
    ],
)
def test_bad_thresholds(
    train_examples: list[Example], thresholds: dict[str, object], message: str
) -> None:
    with pytest.raises(TrainingError, match=message):
        train(train_examples, thresholds=thresholds)  # type: ignore[arg-type]


def test_a_binary_rumour_none_corpus_trains_only_rumour(train_examples: list[Example]) -> None:
    binary = [e for e in train_examples if e.labels in ((RUMOUR,), (NONE,))]
    model = train(binary)
    assert model.labels_ == (RUMOUR,)
    assert model.absent_labels == tuple(x for x in TEXT_LABELS if x != RUMOUR)
    rumour, fire = model.predict(["紧急扩散！网传自来水被投毒", "商场突发火灾，消防员正在扑救"])
    assert rumour.labels == [RUMOUR]
    assert "网传" in rumour.reasons[RUMOUR]
    for prediction in (rumour, fire):
        assert all(prediction.scores[x] == 0.0 for x in model.absent_labels)
    assert EMERGENCY not in fire.labels


def test_a_label_with_one_example_is_named(train_examples: list[Example]) -> None:
    emergencies = [e for e in train_examples if e.labels == (EMERGENCY,)]
    others = [e for e in train_examples if EMERGENCY not in e.labels]
    with pytest.raises(TrainingError, match=r"'emergency' has 1; each label needs at least 2"):
        train([*others, emergencies[0]])


def test_a_label_carried_by_every_example_is_refused(train_examples: list[Example]) -> None:
    rumours = [e for e in train_examples if e.labels == (RUMOUR,)]
    with pytest.raises(TrainingError, match="'rumour': fewer than 2 examples without it"):
        train(rumours)


def test_no_text_label_at_all_is_refused(train_examples: list[Example]) -> None:
    nones = [e for e in train_examples if e.labels == (NONE,)]
    with pytest.raises(TrainingError, match="none of the 18 examples carries a text label"):
        train(nones)
    with pytest.raises(TrainingError, match="no usable examples"):
        train([Example(text="上级要求回应", labels=(SUPERIOR_REQUEST,))])


def test_superior_request_only_examples_are_left_out(train_examples: list[Example]) -> None:
    extra = Example(text="省政府要求市政府就此事主动回应", labels=(SUPERIOR_REQUEST,))
    with_extra = train([*train_examples, extra])
    assert with_extra.corpus_size_ == len(train_examples)
    assert with_extra.corpus_sha256_ == corpus_digest(
        [e.text for e in train_examples], [e.targets for e in train_examples]
    )


def test_corpus_digest_ignores_order_but_not_content() -> None:
    texts, targets = ["甲", "乙"], [{RUMOUR}, set()]
    assert corpus_digest(texts, targets) == corpus_digest(texts[::-1], targets[::-1])
    assert corpus_digest(texts, targets) != corpus_digest(texts, [set(), {RUMOUR}])
    assert len(corpus_digest(texts, targets)) == 64


def test_predict_refuses_a_bare_string_and_untrained_models(classifier: Classifier) -> None:
    with pytest.raises(TypeError, match="not one string"):
        classifier.predict("网传")
    with pytest.raises(TypeError, match="text 1 is int"):
        classifier.predict(["网传", 5])  # type: ignore[list-item]
    with pytest.raises(ModelError, match="not been trained"):
        Classifier().predict(["网传"])


def test_training_is_deterministic(train_examples: list[Example]) -> None:
    texts = ["网传明天封城，紧急扩散", "小区停水三天没人管"]
    first = train(train_examples).scores(texts)
    second = train(train_examples).scores(texts)
    np.testing.assert_array_equal(first, second)
