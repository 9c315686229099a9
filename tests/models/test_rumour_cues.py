from __future__ import annotations

import itertools

import pytest

from yuqing.models import rumour_cues
from yuqing.models.classifier import Classifier
from yuqing.models.rumour_cues import CUES, combine, noisy_or, scan
from yuqing.models.tokenize import normalize
from yuqing.triage.categories import RUMOUR, TEXT_LABELS


def cues_of(text: str) -> rumour_cues.CueResult:
    return scan(normalize(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("网传明天全市停水，紧急扩散！", ["网传", "紧急扩散", "紧急"]),
        ("据说某某医院内部已经有人感染了，马上删", ["据说", "某某", "马上删"]),
        ("不转不是中国人！内部消息，绝对可靠", ["内部消息", "不转不是中国人"]),
        ("高速连环追尾死了三十多个，转发救人", ["转发救人", "死了三十"]),
        ("朋友圈疯传：水库已经垮了200人遇难，看完就删", ["朋友圈疯传", "200人遇难", "看完就删"]),
        ("網傳明天封城，緊急擴散", ["网传", "紧急扩散", "紧急"]),  # traditional characters
    ],
)
def test_cues_are_found_and_named(text: str, expected: list[str]) -> None:
    result = cues_of(text)
    shown = " ".join(result.reasons)
    for seen in expected:
        assert f"“{seen}”" in shown
    assert not result.countered
    assert 0 < result.strength < 1
    assert result.reasons[-1] == "通篇无具名信源"  # none of these names anyone


def test_ordinary_posts_have_no_cues() -> None:
    for text in (
        "周末和家人去公园野餐，阳光很好",
        "小区停水三天没人管，物业推诿",
        "市应急管理局通报：化工厂爆炸致3人死亡，事故原因正在调查",
        "紧急通知：明天上午9点全体员工开会",  # urgency alone is not a rumour cue
        "听说这家店的火锅很好吃，周末去试试",  # hearsay, but nothing else: small
    ):
        result = cues_of(text)
        assert result.strength <= 0.3 + 0.15 + 1e-9, text
    assert cues_of("周末和家人去公园野餐，阳光很好") == rumour_cues.NO_CUES
    assert cues_of("市应急管理局通报：化工厂爆炸致3人死亡，事故原因正在调查").reasons == ()


def test_a_death_toll_with_a_named_source_is_news() -> None:
    anonymous = cues_of("某地化工厂爆炸，当场死了五十多人，转起来")
    sourced = cues_of("据新华社报道，某地化工厂爆炸，已有五十多人死亡，转起来")
    assert any("死伤人数" in r for r in anonymous.reasons)
    assert not any("死伤人数" in r for r in sourced.reasons)
    assert "通篇无具名信源" not in sourced.reasons
    assert sourced.strength < anonymous.strength


def test_urgency_counts_beside_a_call_to_forward() -> None:
    plain = cues_of("明天停水，求扩散")
    urgent = cues_of("紧急！明天停水，求扩散")
    assert any("紧迫口吻" in r for r in urgent.reasons)
    assert not any("紧迫口吻" in r for r in plain.reasons)
    assert urgent.strength > plain.strength


@pytest.mark.parametrize(
    "text",
    [
        "网传自来水被投毒、紧急扩散？经核实，系不实信息，请勿传播",
        "官方辟谣：“某某医院内部消息称出现新病毒”为谣言",
        "近日网传“银行明天冻结存款”，经查并不属实",
    ],
)
def test_a_refutation_cancels_the_cues(text: str) -> None:
    result = cues_of(text)
    assert result.countered
    assert result.strength == 0.0
    assert "以上线索不计分" in result.reasons[-1]
    assert combine(0.1, result.strength) == pytest.approx(0.1)


def test_combination_is_monotone_and_bounded() -> None:
    weights = [cue.weight for cue in CUES]
    for size in range(len(weights)):
        for subset in itertools.combinations(weights, size):
            for extra in weights:
                assert noisy_or([*subset, extra]) >= noisy_or(subset)
    assert noisy_or([]) == 0.0
    assert 0 < noisy_or(weights) < 1
    grid = [0.0, 0.1, 0.5, 0.9, 1.0]
    for p, q in itertools.product(grid, grid):
        for s, t in itertools.product(grid, grid):
            if p <= q and s <= t:
                assert combine(p, s) <= combine(q, t)
        assert combine(p, 0.0) == pytest.approx(p)  # never below the model's probability
        assert 0.0 <= combine(p, q) <= 1.0


def test_more_cues_in_a_post_never_lower_its_score() -> None:
    steps = [
        "明天全市停水",
        "网传明天全市停水",
        "网传明天全市停水，内部消息",
        "网传明天全市停水，内部消息，马上删",
        "网传明天全市停水，内部消息，马上删，紧急扩散",
        "网传明天全市停水，内部消息，马上删，紧急扩散，不转不是中国人",
    ]
    strengths = [cues_of(text).strength for text in steps]
    assert strengths == sorted(strengths)
    assert strengths[0] == 0.0 and strengths[-1] > 0.8


def test_cues_alone_can_flag_but_not_on_a_refutation(classifier: Classifier) -> None:
    rumour_at = TEXT_LABELS.index(RUMOUR)
    texts = [
        "内部消息：明天起全市限行，马上删，紧急扩散",
        "经核实，“内部消息：明天起全市限行，马上删，紧急扩散”系不实信息",
    ]
    cued, refuted = classifier.predict(texts)
    model_only = classifier.estimators_[classifier.labels_.index(RUMOUR)].predict_proba(
        classifier.features_.transform([normalize(t) for t in texts])
    )[:, 1]
    # the cued post scores above the model alone, by the cues' noisy-or
    strength = cues_of(texts[0]).strength
    assert cued.scores[RUMOUR] == pytest.approx(combine(model_only[0], strength))
    assert cued.scores[RUMOUR] > model_only[0]
    assert RUMOUR in cued.labels
    assert cued.reasons[RUMOUR][0].startswith("自称内部或知情来源")
    # the refutation keeps exactly the model's probability
    assert refuted.scores[RUMOUR] == pytest.approx(model_only[1])
    assert classifier.scores(texts)[1, rumour_at] == pytest.approx(model_only[1])
