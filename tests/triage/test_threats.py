import pytest

from yuqing.triage.threats import (
    CALLS_TO_FORWARD,
    FAKE_OFFICIAL,
    FAKE_TOLL,
    GATHERING,
    KINDS,
    NATIONAL_INTEREST,
    ORDER_KINDS,
    PANIC,
    Threat,
    threatens_order,
    threats,
)


def kinds(text):
    return [t.kind for t in threats(text)]


def test_fabricated_toll_spread_with_calls_to_forward():
    found = threats(
        "某化工厂爆炸，官方隐瞒了真相，实际死亡300多人，不是新闻说的3人！速转，让更多人知道！"
    )
    assert found == (
        Threat(FAKE_TOLL, "实际死亡300多人"),
        Threat(CALLS_TO_FORWARD, "速转"),
    )
    assert threatens_order(found)


def test_cover_up_claim_quotes_the_toll_when_apart():
    found = threats("矿难死了几百人。这事被压下来了，官方一直隐瞒")
    assert [t.kind for t in found] == [FAKE_TOLL]
    assert found[0].phrase == "官方一直隐瞒……死了几百人"


def test_a_cover_up_claim_without_a_toll_is_no_fake_toll():
    assert FAKE_TOLL not in kinds("他们一直在隐瞒真相")


def test_an_ordinary_complaint_yields_nothing():
    assert threats("我家小区物业乱收费，找了好几次都没人管，我要讨个说法！") == ()
    assert threats("某县山体滑坡，已造成3人死亡、十余人失联") == ()  # a report, no marker


@pytest.mark.parametrize(
    ("text", "kind", "phrase"),
    [
        ("内部消息，明天起要封城，赶紧去超市囤货！", PANIC, "明天起要封城"),
        ("超市的米都被抢购一空了", PANIC, "超市的米都被抢购一空了"),
        ("听说水源被污染了", PANIC, "听说水源被污染了"),
        ("今晚有大地震，快逃！", PANIC, "今晚有大地震"),
        ("网传水库要溃坝", PANIC, "网传水库要溃坝"),
        ("明天上午九点在市政府门口集合", GATHERING, "明天上午九点在市政府门口集合"),
        ("大家一起去开发商门口讨说法", GATHERING, "大家一起去开发商门口讨说法"),
        ("业主们在售楼处拉横幅", GATHERING, "业主们在售楼处拉横幅"),
        ("内部消息，明天起要封城", FAKE_OFFICIAL, "内部消息"),
        ("我朋友在市医院上班说感染了上千人", FAKE_OFFICIAL, "我朋友在市医院上班说感染了上千人"),
        ("紧急通知：自来水不能喝", FAKE_OFFICIAL, "紧急通知"),
        ("网上流传一份红头文件", FAKE_OFFICIAL, "网上流传一份红头文件"),
        ("他们在网上煽动颠覆国家政权", NATIONAL_INTEREST, "他们在网上煽动颠覆国家政权"),
        ("网传水库要溃坝，紧急扩散", CALLS_TO_FORWARD, "紧急扩散"),
        ("看到请转发，让更多人知道", CALLS_TO_FORWARD, "看到请转发"),
        ("不转不是中国人", CALLS_TO_FORWARD, "不转不是中国人"),
    ],
)
def test_markers(text, kind, phrase):
    found = {t.kind: t.phrase for t in threats(text)}
    assert found.get(kind) == phrase


@pytest.mark.parametrize(
    "text",
    [
        "请市民不要恐慌，不要抢购，超市物资供应充足",
        "疫情期间避免人员聚集",
        "依法严厉打击分裂国家犯罪活动",
        "辟谣：网传我市将封城系谣言，请广大市民不信谣不传谣",
        "网传“实际死亡300多人、官方隐瞒”一事不实，经核实事故造成3人死亡",
        "市应急管理局官方微博发布紧急通知：受台风影响，明日全市停课",
        "据新华社报道，官方通报称事故已造成3人死亡",
    ],
)
def test_dissuasions_denials_and_sourced_notices_are_no_threats(text):
    assert threats(text) == ()


def test_this_is_not_a_rumour_is_no_denial():
    assert kinds("这不是谣言，明天要封城了！") == [PANIC]


def test_one_threat_per_kind_in_kind_order():
    found = threats("速转！紧急通知：明天封城，大家赶紧抢购。明天上午九点在广场集合，人越多越好")
    assert [t.kind for t in found] == [PANIC, GATHERING, FAKE_OFFICIAL, CALLS_TO_FORWARD]


def test_calls_to_forward_alone_do_not_threaten_order():
    found = threats("好消息！我市获评全国文明城市，速转！")
    assert [t.kind for t in found] == [CALLS_TO_FORWARD]
    assert not threatens_order(found)
    assert not threatens_order(())
    assert set(ORDER_KINDS) == set(KINDS) - {CALLS_TO_FORWARD}
