import pytest

from yuqing.triage.severity import assess, chinese_number


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
