import pytest

from yuqing.triage.facts import Facts, extract_facts


def test_landslide_report():
    facts = extract_facts("某县山体滑坡，已造成3人死亡、十余人失联，另有5人受伤送医。")
    assert (facts.deaths, facts.missing, facts.injured) == (3, 10, 5)
    assert facts.dead_or_missing == 13
    assert facts.figure("deaths").phrase == "3人死亡"
    missing = facts.figure("missing")
    assert (missing.phrase, missing.approximate) == ("十余人失联", True)
    assert facts.has_casualties


def test_a_rising_toll_keeps_the_largest_figure():
    posts = [
        "凌晨，某煤矿发生透水事故，已致3名矿工遇难。",
        "更新：遇难人数由3人升至12人，仍有5人被困。",
        "最新：事故死亡人数升至三十余人。",
    ]
    facts = extract_facts("\n".join(posts))
    assert facts.deaths == 30
    assert facts.figure("deaths").phrase == "死亡人数升至三十余人"
    assert facts.trapped == 5
    assert extract_facts("\n".join(posts[:2])).deaths == 12


@pytest.mark.parametrize(
    ("text", "deaths", "missing", "injured"),
    [
        ("隧道坍塌致3人遇难", 3, 0, 0),
        ("煤矿透水事故已致12名矿工遇难", 12, 0, 0),
        ("事故共造成死亡12人，受伤30余人", 12, 0, 30),
        ("车祸致1死3伤", 1, 0, 3),
        ("地震已造成31人遇难、160余人受伤", 31, 0, 160),
        ("3名无辜群众遇难", 3, 0, 0),
        ("强降雨致山体滑坡，27人失联", 0, 27, 0),
        ("3人被洪水冲走，下落不明", 0, 3, 0),
        ("截至发稿，事故死亡人数升至十一人，仍有2人失联", 11, 2, 0),
        ("聚餐后30余人中毒", 0, 0, 30),
        ("爆炸造成近百人伤亡", 0, 0, 90),  # all counted in 伤亡 were at least hurt
        ("造成两人死亡多人受伤", 2, 0, 0),  # 多人 is no figure
        ("其中1人经抢救无效死亡", 1, 0, 0),  # 无效 is no negation
        ("该起交通事故导致一名12岁男孩死亡", 1, 0, 0),  # an age is no count
        ("截至28日18时，暴雨因灾死亡3人、失踪1人", 3, 1, 0),
    ],
)
def test_casualty_phrasings(text, deaths, missing, injured):
    facts = extract_facts(text)
    assert (facts.deaths, facts.missing, facts.injured) == (deaths, missing, injured)


def test_the_seriously_injured_are_injured_too():
    facts = extract_facts("事故造成3人受伤，其中8人重伤")  # inconsistent copy: the larger wins
    assert (facts.injured, facts.seriously_injured) == (8, 8)
    assert extract_facts("造成12人受伤，其中3人伤势严重").seriously_injured == 3


@pytest.mark.parametrize(
    "text",
    [
        "暴雨引发内涝，暂无人员伤亡",
        "经排查，无人员死亡",
        "所幸无一人死亡",
        "车上3人未受伤",
        "全程实现零死亡",
        "未发现人员被困",
        "死亡率3%，第3天死亡",  # a rate and a day are no counts
        "2020年3月死亡",
    ],
)
def test_negations_and_non_counts_give_no_figures(text):
    facts = extract_facts(text)
    assert facts.figures == ()
    assert not facts.has_casualties


def test_people_affected_and_evacuated():
    facts = extract_facts("受灾群众1.2万人，紧急转移3万余人，受灾面积12万亩，倒塌房屋300间")
    assert (facts.affected, facts.evacuated) == (12000, 30000)
    assert facts.figure("evacuated").phrase == "紧急转移3万余人"
    assert extract_facts("受灾人口12万").affected == 120000
    assert extract_facts("2000余名群众被紧急转移").evacuated == 2000
    assert extract_facts("紧急疏散周边居民3000人").evacuated == 3000
    # a number with no word for people and no big unit is not a population
    assert extract_facts("转移物资3000件").evacuated == 0


def test_households_are_kept_and_converted_at_census_size():
    facts = extract_facts("台风致全市大面积停电，影响10万户")
    assert facts.households == 100000
    assert facts.affected == 0
    assert facts.people_affected == 262000
    assert extract_facts("1.2万户居民停水").households == 12000
    # the larger of people and converted households, not their sum
    both = extract_facts("停水影响1万户，受影响群众5万人")
    assert both.people_affected == 50000


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("暴雨致某大桥发生垮塌", "bridge_tunnel"),
        ("施工隧道塌方", "bridge_tunnel"),
        ("上游水库溃坝，下游村庄被淹", "dam_dyke"),
        ("某河段河堤出现决口", "dam_dyke"),
        ("受台风影响，全市大面积停电", "power"),
        ("管网爆裂，城区停水", "water"),
        ("水源遭到污染", "water"),
        ("餐馆燃气泄漏引发爆炸", "gas"),
        ("地铁5号线进水停运", "transport"),
        ("大雪致机场关闭", "transport"),
        ("化工厂发生爆炸", "hazmat"),
        ("槽罐车液氨泄漏", "hazmat"),
        ("地震致多地通信中断", "telecom"),
    ],
)
def test_critical_infrastructure(text, kind):
    kinds = [m.kind for m in extract_facts(text).infrastructure]
    assert kinds == [kind]


@pytest.mark.parametrize(
    "text",
    [
        "大桥没有发生垮塌",
        "本次降雨未造成停电",
        "开展燃气泄漏应急演练",
        "因线路检修，明日计划停电",
        "开展桥梁坍塌隐患排查",
    ],
)
def test_no_infrastructure_hit(text):
    assert extract_facts(text).infrastructure == ()


def test_a_space_in_a_headline_ends_a_count():
    facts = extract_facts("深水埗唐楼三级火 一死四伤 消防救出十多名住客")
    assert (facts.deaths, facts.injured) == (1, 4)


def test_places_named_once_per_kind_in_table_order():
    facts = extract_facts("强降雨致停电停水。随后又停电，燃气管道泄漏")
    assert [m.kind for m in facts.infrastructure] == ["power", "water", "gas"]
    assert facts.infrastructure[0].label == "电力"


def test_schools_and_hospitals_in_the_incident():
    facts = extract_facts("某小学教学楼坍塌，造成3名学生受伤。伤者已送往县人民医院救治。")
    # the hospital treats the injured: it is not a place the incident involved
    assert [m.kind for m in facts.vulnerable] == ["school"]
    ward = extract_facts("县医院住院部发生火灾，造成2人死亡，伤者转至市医院救治")
    assert [m.kind for m in ward.vulnerable] == ["hospital"]
    # a school used as a shelter is not a school the disaster hit
    shelter = extract_facts("滑坡已造成12人死亡，县政府已在镇中学设立临时安置点")
    assert shelter.vulnerable == ()
    assert facts.vulnerable[0].phrase == "某小学教学楼坍塌"
    assert facts.vulnerable[0].label == "学校"
    care = extract_facts("某养老院发生火灾")
    assert [m.kind for m in care.vulnerable] == ["care_home"]
    assert [m.kind for m in extract_facts("幼儿园食物中毒").vulnerable] == ["kindergarten"]


def test_schools_without_an_incident_are_not_involved():
    assert extract_facts("某小学举行开学典礼").vulnerable == ()
    assert extract_facts("学校开展火灾逃生演练，师生有序疏散").vulnerable == ()


def test_empty_text():
    assert extract_facts("") == Facts()


def test_hostile_input_is_read_in_linear_time():
    # long runs of digits or numerals once made the patterns backtrack for minutes; each of these
    # now takes well under a second
    for text in ("1234567890" * 20000, "一二三四五六七八九十" * 20000, "3人" * 60000):
        facts = extract_facts(text)
        assert facts.deaths == 0
