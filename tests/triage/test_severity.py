import pytest

from yuqing.triage.categories import EMERGENCY, POLICY_MISREADING, PUBLIC_INTEREST, RUMOUR
from yuqing.triage.severity import (
    EXTRA_MAJOR,
    GRADES,
    LARGE,
    MAJOR,
    ORDINARY,
    assess,
    chinese_number,
    grade,
    graver,
    gravest,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12", 12),
        ("十", 10),
        ("十二", 12),
        ("二十七", 27),
        ("一百零三", 103),
        ("两", 2),
        ("三千", 3000),
    ],
)
def test_chinese_numbers(text, value):
    assert chinese_number(text) == value


@pytest.mark.parametrize(
    ("text", "grade"),
    [
        ("某化工厂发生火灾，造成2人死亡、6人受伤", "一般"),
        ("隧道坍塌致3人遇难", "较大"),
        ("客车侧翻事故已造成5人死亡，另有12人受伤送医", "较大"),
        ("煤矿透水事故已致12名矿工遇难", "重大"),
        ("截至发稿，事故死亡人数升至十一人，仍有2人失联", "重大"),
        ("地震已造成31人遇难、160余人受伤", "特别重大"),
        ("强降雨致山体滑坡，27人失联", "重大"),
        ("暴雨引发内涝，暂无人员伤亡", "一般"),
        ("省防指启动防汛Ⅱ级应急响应", "重大"),
        ("国务院调查组认定这是一起特别重大生产安全责任事故", "特别重大"),
        ("开展重大事故隐患排查整治行动", "一般"),  # a campaign against hazards is no incident
    ],
)
def test_grades_follow_casualty_thresholds_and_stated_levels(text, grade):
    assert assess(text).grade == grade


def test_reasons_quote_the_text():
    result = assess("煤矿透水事故已致12名矿工遇难")
    assert result.deaths == 12
    assert any("12名矿工遇难" in r for r in result.reasons)


# grade(): the full rule set


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # deaths (incl. missing) at each edge
        ("事故造成2人死亡", ORDINARY),
        ("事故造成3人死亡", LARGE),
        ("事故造成2人死亡、1人失联", LARGE),
        ("事故造成9人死亡", LARGE),
        ("事故造成10人死亡", MAJOR),
        ("事故造成29人死亡", MAJOR),
        ("事故造成30人死亡", EXTRA_MAJOR),
        ("事故造成20人死亡、10人失踪", EXTRA_MAJOR),
        # injured at each edge
        ("事故造成9人受伤", ORDINARY),
        ("事故造成10人受伤", LARGE),
        ("事故造成49人受伤", LARGE),
        ("事故造成50人受伤", MAJOR),
        ("事故造成99人受伤", MAJOR),
        ("事故造成100人受伤", EXTRA_MAJOR),
        # vague counts by their lower bound
        ("死亡人数升至三十余人", EXTRA_MAJOR),
        ("近百人受伤", MAJOR),
        ("数十人遇难", MAJOR),
        # trapped: lives at risk
        ("2人被困", ORDINARY),
        ("3人被困", LARGE),
        ("12名矿工被困井下", MAJOR),
        ("30名矿工被困井下", EXTRA_MAJOR),
    ],
)
def test_casualty_and_trapped_thresholds_at_their_edges(text, expected):
    assert grade(text, EMERGENCY).grade == expected


def test_casualty_reason_quotes_the_phrase():
    result = grade("最新：事故死亡人数升至三十余人", EMERGENCY)
    assert result.grade == EXTRA_MAJOR
    assert "伤亡“死亡人数升至三十余人”达到特别重大标准" in result.reasons
    assert result.deaths == 30
    assert result.facts is not None and result.facts.deaths == 30


def test_missing_count_with_the_dead_and_the_reason_says_so():
    result = grade("某县山体滑坡，已造成3人死亡、十余人失联", EMERGENCY)
    assert result.grade == MAJOR
    assert (result.deaths, result.missing) == (3, 10)
    assert result.reasons == ("伤亡“3人死亡”“十余人失联”（死亡和失踪合计13人）达到重大标准",)


def test_trapped_reason():
    result = grade("12名矿工被困井下", EMERGENCY)
    assert result.reasons == ("被困“12名矿工被困”危及10人以上生命安全，达到重大标准",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("受灾群众9999人", ORDINARY),
        ("受灾群众1万人", LARGE),
        ("受灾群众9.9万人", LARGE),
        ("受灾群众10万人", MAJOR),
        ("受灾人口100万", EXTRA_MAJOR),
        ("紧急转移999人", ORDINARY),
        ("紧急转移1000人", LARGE),
        ("紧急转移安置1.5万人", MAJOR),
        ("紧急转移10万余人", EXTRA_MAJOR),
    ],
)
def test_people_affected_and_evacuated_thresholds(text, expected):
    assert grade(text, EMERGENCY).grade == expected


def test_households_are_converted_and_the_reason_says_how():
    result = grade("持续降雨，受灾4万户", EMERGENCY)  # 4万户 × 2.62 = 10.48万人
    assert result.grade == MAJOR
    assert result.reasons == ("受影响人口“受灾4万户”（按每户2.62人折算）达10万人以上，至少重大",)


def test_population_reason():
    result = grade("紧急转移3万余人", EMERGENCY)
    assert result.reasons == ("转移安置“紧急转移3万余人”达1万人以上，至少重大",)


def test_critical_infrastructure_makes_at_least_large():
    result = grade("某化工厂发生火灾，造成2人死亡、6人受伤", EMERGENCY)
    assert result.grade == LARGE
    assert result.reasons == ("关键基础设施受损（化工危化品）“某化工厂发生火灾”，至少较大",)
    # it does not lower a graver grade
    assert grade("大桥垮塌，已造成12人死亡", EMERGENCY).grade == MAJOR


def test_schools_and_hospitals_with_casualties_are_one_grade_graver():
    result = grade("某小学教学楼坍塌，造成3名学生受伤", EMERGENCY)
    assert result.grade == LARGE  # 3 injured alone is 一般
    assert result.reasons == (
        "涉及学校“某小学教学楼坍塌”且有人员伤亡：社会关注的脆弱群体，提高一级至较大",
    )
    assert grade("某养老院发生火灾，致12人死亡", EMERGENCY).grade == EXTRA_MAJOR
    assert grade("某医院火灾致30人遇难", EMERGENCY).grade == EXTRA_MAJOR  # no graver grade


def test_schools_without_casualties_are_not_raised():
    assert grade("某小学附近发生火灾，无人员伤亡", EMERGENCY).grade == ORDINARY


def test_stated_grades_and_response_levels_weigh_only_for_emergencies():
    assert grade("省防指启动防汛Ⅱ级应急响应", EMERGENCY).grade == MAJOR
    assert grade("省防指启动防汛Ⅱ级应急响应", EMERGENCY).reasons == ("启动“Ⅱ级应急响应”",)
    assert grade("省防指启动防汛Ⅱ级应急响应", POLICY_MISREADING).grade == ORDINARY
    explicit = grade("这是一起特别重大生产安全责任事故", EMERGENCY)
    assert explicit.reasons == ("文中定级“特别重大生产安全责任事故”",)
    assert grade("这是一起特别重大生产安全责任事故", PUBLIC_INTEREST).grade == ORDINARY


def test_population_and_infrastructure_weigh_only_for_emergencies():
    assert grade("小区停水三天没人管，受影响居民2万人", PUBLIC_INTEREST).grade == ORDINARY
    assert grade("小区停水三天没人管，受影响居民2万人", EMERGENCY).grade == LARGE


def test_casualties_weigh_in_every_category():
    assert grade("因拖欠救治，已有3名患者死亡", PUBLIC_INTEREST).grade == LARGE


def test_a_rumours_figures_grade_but_are_called_claims():
    result = grade("官方隐瞒，实际死亡300多人", RUMOUR)
    assert result.grade == EXTRA_MAJOR
    assert result.reasons == ("传言称伤亡“死亡300多人”达到特别重大标准",)


@pytest.mark.parametrize(
    ("sources", "posts_24h", "expected"),
    [
        (1, 1, ORDINARY),
        (4, 19, ORDINARY),
        (5, 1, LARGE),
        (1, 20, LARGE),
        (14, 99, LARGE),
        (15, 1, MAJOR),
        (1, 100, MAJOR),
        (500, 100_000, MAJOR),  # heat alone never makes 特别重大
    ],
)
def test_heat_thresholds(sources, posts_24h, expected):
    result = grade("市民反映某路段积水严重", PUBLIC_INTEREST, sources=sources, posts_24h=posts_24h)
    assert result.grade == expected


def test_heat_reason_names_the_figures():
    result = grade("市民反映某路段积水", EMERGENCY, sources=6, posts_24h=3)
    assert result.reasons == ("传播热度：6个来源、24小时内3条帖子（5个来源或20条以上），至少较大",)


def test_heat_with_facts_takes_the_gravest():
    result = grade("事故造成3人死亡", EMERGENCY, sources=20, posts_24h=10)
    assert result.grade == MAJOR
    assert len(result.reasons) == 2


def test_no_casualties_reason_kept():
    assert grade("暴雨引发内涝，暂无人员伤亡", EMERGENCY).reasons == ("无人员伤亡",)


def test_grade_helpers():
    assert gravest(ORDINARY, MAJOR, LARGE) == MAJOR
    assert [graver(g) for g in GRADES] == [EXTRA_MAJOR, EXTRA_MAJOR, MAJOR, LARGE]


def test_assess_keeps_its_narrow_rules():
    # no infrastructure, heat or population rules in assess()
    assert assess("某化工厂发生火灾，造成2人死亡、6人受伤").grade == ORDINARY
    assert assess("紧急转移10万余人").grade == ORDINARY
    assert chinese_number("三十余") == 30
    assert chinese_number("不是数") is None
