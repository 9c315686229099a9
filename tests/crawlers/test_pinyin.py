"""Removing injected pinyin annotations (``yuqing.crawlers.pinyin``)."""

from __future__ import annotations

import pytest

from yuqing.crawlers.pinyin import is_pinyin, remove_pinyin_annotations


@pytest.mark.parametrize(
    ("polluted", "clean"),
    [
        ("號(hào)", "號"),
        ("發(fā)布", "發布"),
        ("機(jī)構(gòu)", "機構"),
        ("號（hào）", "號"),  # full-width parentheses
        ("號(hào）", "號"),  # mixed
        ("号(hao4)", "号"),  # tone number
        ("國務(guó wù)院", "國務院"),  # several syllables
        ("機構(jīgòu)", "機構"),  # several syllables written together
        ("女(nǚ)", "女"),
        ("绿(lv4)", "绿"),
        ("嗯(ń)", "嗯"),
        ("號(ha\u0300o)", "號"),  # tone mark as a combining character
    ],
)
def test_pinyin_after_a_character_is_removed(polluted: str, clean: str) -> None:
    assert remove_pinyin_annotations(polluted) == clean


@pytest.mark.parametrize(
    "legit",
    [
        "辦公廳(室)",
        "国办发(2016)61号",
        "国内生产总值(GDP)增长",
        "世界卫生组织(WHO)",
        "新款手机(app)上线",
        "第(一)项",
        "见附件(a)",  # untoned: too easily an ordinary abbreviation
        "二氧化碳(co2)排放",
        "(hào)开头没有汉字",  # nothing before it
        "number (hào) after a space",
        "数据(pm2.5)",
        "研究(Guó)",  # capitalised: not how the injected annotations look
    ],
)
def test_legitimate_parentheses_stay(legit: str) -> None:
    assert remove_pinyin_annotations(legit) == legit


def test_pinyin_inside_a_legitimate_parenthesis_goes_and_the_parenthesis_stays() -> None:
    assert remove_pinyin_annotations("各省(區(qū)、市)") == "各省(區、市)"
    assert remove_pinyin_annotations("各省（區(qū)、市）") == "各省（區、市）"


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        ("hào", True),
        ("guó wù", True),
        ("hao4", True),
        ("guo2 wu4", True),
        ("jīgòu", True),
        ("lǜ", True),
        ("hao", False),  # no tone: could be anything
        ("GDP", False),
        ("xyzà", False),  # not a syllable
        ("2016", False),
        ("區、市", False),
        ("", False),
        ("hào!", False),
    ],
)
def test_is_pinyin(candidate: str, expected: bool) -> None:
    assert is_pinyin(candidate) is expected
