"""How grave a sudden incident is: the four grades of 突发事件 (特别重大, 重大, 较大, 一般).

Section 三 of the notice gives 特别重大 and 重大 incidents the tighter deadline, so the grade
must be judged from the post itself. The casualty thresholds are the national ones for accidents
(生产安全事故报告和调查处理条例, article 3), which news reports and officials also use for other
incidents: 30 deaths or 100 serious injuries make 特别重大, 10 and 50 重大, 3 and 10 较大. The
missing (失踪/失联) count with the dead, as they do in official tallies. An emergency response
level (Ⅰ–Ⅳ级响应) or an explicit grade in the text is taken at its word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EXTRA_MAJOR = "特别重大"
MAJOR = "重大"
LARGE = "较大"
ORDINARY = "一般"

#: most grave first
GRADES: tuple[str, ...] = (EXTRA_MAJOR, MAJOR, LARGE, ORDINARY)

# (minimum deaths incl. missing, minimum injured, grade), gravest first
CASUALTY_THRESHOLDS: tuple[tuple[int, int, str], ...] = (
    (30, 100, EXTRA_MAJOR),
    (10, 50, MAJOR),
    (3, 10, LARGE),
)

_RESPONSE_LEVELS = {
    "Ⅰ": EXTRA_MAJOR,
    "I": EXTRA_MAJOR,
    "一": EXTRA_MAJOR,
    "1": EXTRA_MAJOR,
    "Ⅱ": MAJOR,
    "II": MAJOR,
    "二": MAJOR,
    "2": MAJOR,
    "Ⅲ": LARGE,
    "III": LARGE,
    "三": LARGE,
    "3": LARGE,
    "Ⅳ": ORDINARY,
    "IV": ORDINARY,
    "四": ORDINARY,
    "4": ORDINARY,
}

_NUM = r"(\d+|[零〇一二两三四五六七八九十百千]+)"
_DEATH_WORDS = r"(?:死亡|遇难|身亡|罹难|丧生|殒命|失踪|失联)"
_INJURY_WORDS = r"(?:受伤|伤|重伤|轻伤)"
_DEATHS = (
    re.compile(
        _NUM + r"\s*(?:名|人|位|具)?[^，。；,;\d]{0,4}?" + _DEATH_WORDS
    ),  # 3人死亡, 12名矿工遇难
    re.compile(
        _DEATH_WORDS + r"(?:人数)?(?:已|升至|增至|达到?|为)?\s*" + _NUM + r"\s*(?:名|人)"
    ),  # 死亡12人
    re.compile(r"致\s*" + _NUM + r"\s*死"),  # 致3死
)
_INJURIES = (
    re.compile(_NUM + r"\s*(?:名|人|位)?[^，。；,;\d]{0,4}?" + _INJURY_WORDS + r"(?!害|心)"),
    re.compile(r"(?:受伤|重伤)(?:人数)?(?:已|升至|增至|达到?|为)?\s*" + _NUM + r"\s*(?:名|人)"),
)
_EXPLICIT = re.compile(
    r"(特别重大|重大)(?:[^，。；]{0,8}?)(?:事故|事件|灾害|险情|灾情|疫情|火灾|爆炸)(?!隐患)"
)
_LEVEL = re.compile(r"(Ⅰ|Ⅱ|Ⅲ|Ⅳ|IV|III|II|I|[一二三四1-4])\s*级(?:应急)?响应")
_NO_CASUALTIES = re.compile(r"(?:暂|尚)?无人员(?:伤亡|死亡)")

_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNITS = {"十": 10, "百": 100, "千": 1000}


def chinese_number(text: str) -> int | None:
    """``"12"``, ``"十二"``, ``"二十七"``, ``"一百零三"`` → int; None if it is not a number."""
    if text.isdigit():
        return int(text)
    total, digit = 0, None
    for char in text:
        if char in _DIGITS:
            digit = _DIGITS[char]
        elif char in _UNITS:
            total += (1 if digit is None else digit) * _UNITS[char]
            digit = None
        else:
            return None
    return total + (digit or 0)


@dataclass(frozen=True)
class Assessment:
    grade: str
    deaths: int
    injured: int
    reasons: tuple[str, ...]


def _largest(patterns: tuple[re.Pattern[str], ...], text: str) -> tuple[int, str]:
    best, where = 0, ""
    for pattern in patterns:
        for match in pattern.finditer(text):
            value = chinese_number(match.group(1))
            if value is not None and value > best:
                best, where = value, match.group(0)
    return best, where


def gravest(*grades: str) -> str:
    return min(grades, key=GRADES.index)


def assess(text: str) -> Assessment:
    """Grade an incident from what the post says; ``一般`` when it says nothing that weighs."""
    reasons: list[str] = []
    grades = [ORDINARY]
    deaths, death_phrase = _largest(_DEATHS, text)
    injured, injury_phrase = _largest(_INJURIES, text)
    for min_deaths, min_injured, grade in CASUALTY_THRESHOLDS:
        if deaths >= min_deaths or injured >= min_injured:
            grades.append(grade)
            phrase = death_phrase if deaths >= min_deaths else injury_phrase
            reasons.append(f"伤亡“{phrase}”达到{grade}标准")
            break
    if match := _EXPLICIT.search(text):
        grades.append(match.group(1))
        reasons.append(f"文中定级“{match.group(0)}”")
    if match := _LEVEL.search(text):
        grade = _RESPONSE_LEVELS[match.group(1)]
        grades.append(grade)
        reasons.append(f"启动“{match.group(0)}”")
    if deaths == 0 and injured == 0 and _NO_CASUALTIES.search(text):
        reasons.append("无人员伤亡")
    return Assessment(gravest(*grades), deaths, injured, tuple(reasons))
