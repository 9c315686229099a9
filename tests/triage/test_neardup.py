from yuqing.triage.neardup import (
    BANDS,
    MIN_SHINGLES,
    Signature,
    band_keys,
    likeness,
    shingles,
    signature,
)

STORY = (
    "11月26日凌晨，临江县青石镇发生山体滑坡，已造成3人死亡、十余人失联。县应急管理局已启动"
    "应急响应，消防、武警等救援力量正在现场搜救，附近道路已封闭，请过往车辆绕行。"
)
REPOST = "【转发】" + STORY + "愿平安，大家注意安全！"
REWRITE = (
    "据临江县应急管理局消息，11月26日凌晨临江县青石镇发生山体滑坡，目前已造成3人死亡、"
    "十余人失联，消防、武警等救援力量正在现场搜救，附近道路已经封闭。"
)
OTHER = "市教育局发布通知，今年秋季学期中小学入学报名将于8月1日开始，家长可通过网上平台提交材料。"


def sig(text: str) -> Signature:
    result = signature(text)
    assert result is not None
    return result


def test_punctuation_width_and_case_do_not_change_shingles():
    assert shingles("山体滑坡，３人死亡！ABC") == shingles("山体滑坡 3人死亡abc")


def test_a_repost_with_a_comment_is_the_same_story():
    like = likeness(sig(STORY), sig(REPOST))
    assert like.jaccard > 0.8
    assert like.same_story


def test_a_rewrite_of_the_same_report_is_the_same_story():
    assert likeness(sig(STORY), sig(REWRITE)).same_story


def test_an_unrelated_post_is_not():
    like = likeness(sig(STORY), sig(OTHER))
    assert like.jaccard < 0.1
    assert not like.same_story


def test_a_short_quote_of_a_long_article_counts_by_containment():
    long_text = STORY + OTHER + "相关部门表示将尽快查明原因，并做好遇难者家属安抚工作。" * 3
    short = "转：" + STORY[:60]
    like = likeness(sig(long_text), sig(short))
    assert like.jaccard < 0.5
    assert like.containment >= 0.7
    assert like.same_story


def test_too_short_texts_have_no_signature():
    assert signature("转发") is None
    assert signature("好" * (MIN_SHINGLES + 10)) is None  # one distinct shingle


def test_signatures_round_trip_through_bytes_and_share_bands_when_alike():
    a, b = sig(STORY), sig(REPOST)
    again = Signature.from_bytes(a.to_bytes(), a.size)
    assert likeness(a, again).jaccard == 1.0
    keys_a, keys_b = band_keys(a), band_keys(b)
    assert len(keys_a) == BANDS
    assert all(0 <= k < 2**63 for k in keys_a)
    assert set(keys_a) & set(keys_b)
    assert not set(keys_a) & set(band_keys(sig(OTHER)))
