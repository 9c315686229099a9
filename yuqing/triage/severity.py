"""How grave a sudden incident is: the four grades of 突发事件 (特别重大, 重大, 较大, 一般).

Section 三 of the notice gives 特别重大 and 重大 incidents the tighter deadline (a press
conference within 24 hours), and section 一 puts 特别重大 舆情 under the government's principal
leader, so the grade is judged from the post itself (:mod:`yuqing.triage.facts` reads the facts)
and from how far it has spread. :func:`grade` applies these rules; the gravest grade any rule
gives wins, and every rule that fires leaves a reason in Chinese quoting the text:

1. **Casualties** (every category). The national thresholds for accidents (生产安全事故报告和
   调查处理条例, article 3), which news reports and officials also use for other incidents:
   30 deaths or 100 injured make 特别重大, 10 and 50 重大, 3 and 10 较大
   (:data:`CASUALTY_THRESHOLDS`). The missing (失踪/失联) count with the dead, as they do in
   official tallies ("死亡（含失踪）").
2. **Lives at risk** (every category): people trapped (被困), :data:`TRAPPED_THRESHOLDS`. The
   特别重大 figure, 30, is the 危及30人以上生命安全 of the State Council's grading standard for
   sudden public events (特别重大、重大突发公共事件分级标准（试行）, 2006, safety accidents);
   10 and 3 below it follow the death thresholds and are the project's own.
3. **Vulnerable groups** (every category): a school, kindergarten, hospital or care home
   involved in an incident with casualties makes the casualty grade one grade graver (一般 →
   较大 …). The grade here measures how urgently government must answer, not the legal grade of
   the incident: the notice asks for responses where public concern is sharpest (section 二,
   涉及公众切身利益且产生较大影响; 涉及民生领域严重冲击社会道德底线), and harm to children,
   patients and the old draws the most of it.
4. **People affected** (emergency category only): :data:`AFFECTED_THRESHOLDS` for people hit
   (受灾, 受影响, 停水停电; households converted as in :attr:`Facts.people_affected`) and
   :data:`EVACUATED_THRESHOLDS` for people moved (紧急转移安置, 疏散, 撤离). Evacuating 10万 is
   特别重大 in the 2006 standard above; every other figure in both tables is the project's own,
   set at a tenth of the grade above.
5. **Critical infrastructure** (emergency category only): a collapsed bridge, a breached dyke,
   an outage of power, water, gas or telecoms, a stopped railway or airport, a chemical
   accident (:data:`yuqing.triage.facts.INFRASTRUCTURE`) makes at least 较大 (project's own:
   such damage reaches many people even when no figure is given).
6. **A stated grade or response level** (emergency category only): 特别重大事故, Ⅱ级应急响应 …
   taken at their word.
7. **Heat** (every category): many sources or posts within 24 hours make at least 较大, a lot at
   least 重大 (:data:`HEAT_THRESHOLDS`, project's own, not yet tuned on real traffic). Spread
   alone never makes 特别重大: that needs facts.

Why some rules serve the emergency category only: outside it, population and infrastructure
words describe a policy's reach or a complaint's subject (新规受影响群众300万人, 小区停水三天),
not an incident, and a 级响应 or 重大 there is not an emergency plan's act. Casualties are graver
than any category label. A rumour's figures are what is in doubt: they still grade (a claimed
toll spreads fear as fast as a true one), but its reasons say 传言称.

:func:`assess` is the older, narrower form kept for its callers: casualties and a stated grade
or response level only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from yuqing.triage.categories import EMERGENCY, RUMOUR
from yuqing.triage.facts import (
    AFFECTED,
    DEATHS,
    EVACUATED,
    HOUSEHOLD_SIZE,
    HOUSEHOLDS,
    INJURED,
    MISSING,
    TRAPPED,
    Facts,
    extract_facts,
)
from yuqing.triage.numerals import parse_number

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
#: (minimum people trapped, grade), gravest first
TRAPPED_THRESHOLDS: tuple[tuple[int, str], ...] = ((30, EXTRA_MAJOR), (10, MAJOR), (3, LARGE))
#: (minimum people affected, grade), gravest first
AFFECTED_THRESHOLDS: tuple[tuple[int, str], ...] = (
    (1_000_000, EXTRA_MAJOR),
    (100_000, MAJOR),
    (10_000, LARGE),
)
#: (minimum people evacuated or relocated, grade), gravest first
EVACUATED_THRESHOLDS: tuple[tuple[int, str], ...] = (
    (100_000, EXTRA_MAJOR),
    (10_000, MAJOR),
    (1_000, LARGE),
)
#: (minimum distinct sources, minimum posts in the last 24 h, grade): either figure suffices
HEAT_THRESHOLDS: tuple[tuple[int, int, str], ...] = ((15, 100, MAJOR), (5, 20, LARGE))
#: the least grade for an incident that hits critical infrastructure
INFRASTRUCTURE_GRADE = LARGE

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
_EXPLICIT = re.compile(
    r"(特别重大|重大)(?:[^，。；]{0,8}?)(?:事故|事件|灾害|险情|灾情|疫情|火灾|爆炸)(?!隐患)"
)
_LEVEL = re.compile(r"(Ⅰ|Ⅱ|Ⅲ|Ⅳ|IV|III|II|I|[一二三四1-4])\s*级(?:应急)?响应")
_NO_CASUALTIES = re.compile(r"(?:暂|尚)?(?:无|未造成)人员(?:伤亡|死亡)")


def chinese_number(text: str) -> int | None:
    """``"12"``, ``"十二"``, ``"二十七"``, ``"一百零三"`` → int; None if it is not a number.
    Vague forms give their lower bound (``"三十余"`` → 30), see :mod:`yuqing.triage.numerals`."""
    number = parse_number(text)
    return None if number is None else number.value


@dataclass(frozen=True)
class Assessment:
    grade: str
    #: deaths, missing not included
    deaths: int
    injured: int
    #: why, in Chinese, each naming the phrase or figure behind it
    reasons: tuple[str, ...]
    missing: int = 0
    #: everything read from the text (None only for an Assessment built by hand)
    facts: Facts | None = None


def gravest(*grades: str) -> str:
    return min(grades, key=GRADES.index)


def graver(grade: str) -> str:
    """One grade graver (特别重大 stays)."""
    return GRADES[max(0, GRADES.index(grade) - 1)]


# each rule gives (grade, reason) pairs
_Found = list[tuple[str, str]]


def _people(count: int) -> str:
    """10000 → 1万, 1000000 → 100万 (thresholds as Chinese reports write them)."""
    return f"{count // 10_000}万" if count >= 10_000 and count % 10_000 == 0 else str(count)


def _quote(facts: Facts, *fields: str) -> str:
    return "".join(f"“{f.phrase}”" for name in fields if (f := facts.figure(name)))


def _casualties(facts: Facts, claimed: bool) -> _Found:
    dead, injured = facts.dead_or_missing, facts.injured
    for min_dead, min_injured, grade in CASUALTY_THRESHOLDS:
        if dead >= min_dead:
            quoted = _quote(facts, DEATHS, MISSING)
            total = f"（死亡和失踪合计{dead}人）" if facts.deaths and facts.missing else ""
        elif injured >= min_injured:
            quoted, total = _quote(facts, INJURED), ""
        else:
            continue
        said = "传言称" if claimed else ""
        return [(grade, f"{said}伤亡{quoted}{total}达到{grade}标准")]
    return []


def _trapped(facts: Facts, claimed: bool) -> _Found:
    said = "传言称" if claimed else ""
    for minimum, grade in TRAPPED_THRESHOLDS:
        if facts.trapped >= minimum:
            quoted = _quote(facts, TRAPPED)
            return [(grade, f"{said}被困{quoted}危及{minimum}人以上生命安全，达到{grade}标准")]
    return []


def _population(facts: Facts) -> _Found:
    found: _Found = []
    affected = facts.people_affected
    for minimum, grade in AFFECTED_THRESHOLDS:
        if affected >= minimum:
            name = AFFECTED if facts.affected >= affected else HOUSEHOLDS
            quoted = _quote(facts, name)
            if name == HOUSEHOLDS:
                quoted += f"（按每户{float(HOUSEHOLD_SIZE)}人折算）"
            found.append((grade, f"受影响人口{quoted}达{_people(minimum)}人以上，至少{grade}"))
            break
    for minimum, grade in EVACUATED_THRESHOLDS:
        if facts.evacuated >= minimum:
            quoted = _quote(facts, EVACUATED)
            found.append((grade, f"转移安置{quoted}达{_people(minimum)}人以上，至少{grade}"))
            break
    return found


def _infrastructure(facts: Facts) -> _Found:
    return [
        (
            INFRASTRUCTURE_GRADE,
            f"关键基础设施受损（{m.label}）“{m.phrase}”，至少{INFRASTRUCTURE_GRADE}",
        )
        for m in facts.infrastructure
    ]


def _stated(text: str) -> _Found:
    found: _Found = []
    if match := _EXPLICIT.search(text):
        found.append((match.group(1), f"文中定级“{match.group(0)}”"))
    if match := _LEVEL.search(text):
        found.append((_RESPONSE_LEVELS[match.group(1)], f"启动“{match.group(0)}”"))
    return found


def _heat(sources: int, posts_24h: int) -> _Found:
    for min_sources, min_posts, grade in HEAT_THRESHOLDS:
        if sources >= min_sources or posts_24h >= min_posts:
            return [
                (
                    grade,
                    f"传播热度：{sources}个来源、24小时内{posts_24h}条帖子"
                    f"（{min_sources}个来源或{min_posts}条以上），至少{grade}",
                )
            ]
    return []


def _combine(facts: Facts, text: str, found: Iterable[tuple[str, str]]) -> Assessment:
    pairs = list(found)
    reasons = [reason for _, reason in pairs]
    if not facts.has_casualties and _NO_CASUALTIES.search(text):
        reasons.append("无人员伤亡")
    grade = gravest(ORDINARY, *(g for g, _ in pairs))
    return Assessment(grade, facts.deaths, facts.injured, tuple(reasons), facts.missing, facts)


def grade(text: str, category: str, *, sources: int = 1, posts_24h: int = 1) -> Assessment:
    """Grade the incident ``text`` reports, filed under ``category``, seen from ``sources``
    distinct sources with ``posts_24h`` posts in the last 24 hours (rules in the module doc)."""
    facts = extract_facts(text)
    claimed = category == RUMOUR
    harm = _casualties(facts, claimed) + _trapped(facts, claimed)
    if facts.vulnerable and facts.has_casualties:
        base = gravest(ORDINARY, *(g for g, _ in harm))
        place = facts.vulnerable[0]
        harm.append(
            (
                graver(base),
                f"涉及{place.label}“{place.phrase}”且有人员伤亡：社会关注的脆弱群体，"
                f"提高一级至{graver(base)}",
            )
        )
    found = harm + _heat(sources, posts_24h)
    if category == EMERGENCY:
        found += _population(facts) + _infrastructure(facts) + _stated(text)
    return _combine(facts, text, found)


def assess(text: str) -> Assessment:
    """Grade from casualties and a stated grade or response level only (the older rule set);
    ``一般`` when the post says nothing that weighs."""
    facts = extract_facts(text)
    return _combine(facts, text, _casualties(facts, claimed=False) + _stated(text))
