import re

import pytest

from yuqing.triage.numerals import NUMBER_PATTERN, Number, find_numbers, parse_number


@pytest.mark.parametrize(
    ("written", "value", "approximate"),
    [
        # Arabic, full-width, thousands separators, decimals with 万/亿
        ("12", 12, False),
        ("１２", 12, False),
        ("1,200", 1200, False),
        ("1.2万", 12000, False),
        ("0.5亿", 50_000_000, False),
        ("3.5", 3, True),  # a cut decimal is a lower bound, and vague
        ("2020", 2020, False),
        # Chinese numerals
        ("十", 10, False),
        ("十二", 12, False),
        ("二十七", 27, False),
        ("一百零三", 103, False),
        ("一千零五十", 1050, False),
        ("两千", 2000, False),
        ("三万五千", 35000, False),
        ("两千五", 2500, False),  # a trailing digit is one unit down
        ("三万五", 35000, False),
        ("一亿三千万", 130_000_000, False),
        ("百万", 1_000_000, False),
        ("〇", 0, False),
        ("零", 0, False),
        ("3万5000", 35000, False),
        # vague counts: their least meaning
        ("三十余", 30, True),
        ("30余", 30, True),
        ("三十多", 30, True),
        ("两千多", 2000, True),
        ("百余", 100, True),
        ("3万余", 30000, True),
        ("30余万", 300000, True),
        ("十几", 10, True),
        ("二十几万", 200000, True),
        ("十来", 10, True),
        ("数十", 20, True),  # 数/几 = "several" ≥ 2
        ("几百", 200, True),
        ("数十万", 200000, True),
        ("上百", 100, True),
        ("上千", 1000, True),
        ("过万", 10000, True),
        ("逾百", 100, True),
        ("超过30", 30, True),
        ("近百", 90, True),  # "nearly": 90 % of the figure
        ("近30", 27, True),
        ("约300", 300, True),
        ("三四十", 30, True),  # a range: its lower end
        ("十一二", 11, True),
        ("三五", 3, True),
    ],
)
def test_numbers_read_as_lower_bounds(written, value, approximate):
    assert parse_number(written) == Number(value, approximate)
    # whatever parse_number reads, the pattern finds whole
    assert re.fullmatch(NUMBER_PATTERN, written)


@pytest.mark.parametrize(
    "written",
    ["", "万", "多", "余", "几", "abc", "三多", "五三百", "一九四九", "三万五万", "十多百", "数3"],
)
def test_non_numbers_are_rejected(written):
    assert parse_number(written) is None


def test_numbers_found_in_running_text():
    text = "已造成三十余人死亡，１２人受伤，紧急转移1.2万人，死亡人数十一人"
    found = [(n.value, written) for n, written in find_numbers(text)]
    assert found == [(30, "三十余"), (12, "１２"), (12000, "1.2万"), (11, "十一")]


def test_pattern_embeds_in_larger_expressions():
    deaths = re.compile(rf"(?P<n>{NUMBER_PATTERN})人死亡")
    match = deaths.search("事故已造成近百人死亡")
    assert match and parse_number(match.group("n")) == Number(90, True)
