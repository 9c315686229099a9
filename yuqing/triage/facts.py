"""The facts in a post's text that grade a sudden incident: casualties, people affected,
critical infrastructure hit, schools and hospitals involved.

Each figure is a lower bound (see :mod:`yuqing.triage.numerals`) and keeps the phrase it was
read from, so that a grade's reasons can quote the text. When a figure appears several times (a
toll rising from 3 to 12 across follow-ups) the largest is kept: tolls only ever rise in reports.

What is read, by field:

- ``deaths`` (死亡, 遇难, 身亡, 罹难, 丧生, …; ``3死`` too), ``missing`` (失踪, 失联, 下落不明,
  冲走), ``trapped`` (被困, 受困, 被埋), ``injured`` (受伤, 伤, 中毒, 烧伤, 送医, and the
  combined 伤亡/死伤, since everyone counted there was at least hurt), ``seriously_injured``
  (重伤, 危重, 伤势严重); ``injured`` is never less than ``seriously_injured``.
- ``affected`` people (受灾, 受影响, 停水/停电 … N人), ``evacuated`` people (转移安置, 紧急转移,
  疏散, 撤离), ``households`` (停水停电影响 N户, N户受灾). Households are kept as written;
  :attr:`Facts.people_affected` converts them at 2.62 persons a household, the average household
  size of the 2020 census (第七次全国人口普查), and takes the larger of that and ``affected``
  rather than the sum, because two figures in one report often count the same people.
- phrasing read: ``3人死亡``, ``12名矿工遇难``, ``十余人失联``, ``死亡12人``,
  ``死亡人数升至三十余人``, ``遇难人数由3人升至12人``, ``致1死3伤``, ``受灾群众1.2万人``,
  ``紧急转移3万余人``, ``停电影响3万户``.
- negations give no figure: ``无人员伤亡``, ``暂无人员死亡``, ``无一人死亡``, ``3人未受伤``,
  ``零死亡``.

Places are read from sentences, not from counts: ``infrastructure`` lists the kinds of
:data:`INFRASTRUCTURE` a sentence reports as hit (a collapsed bridge, a breached dyke, an outage);
``vulnerable`` lists schools, kindergartens, hospitals and care homes named in a sentence that
reports an incident. Drills, campaigns against hazards and planned maintenance (演练, 排查, 隐患,
计划停电, 检修) are not incidents, and clauses about them are skipped.

Limits: statistics (全年交通事故死亡200人) read as a toll, and a denial written other than as a
negation before the figure (3人死亡的消息不实) is not understood; rumour checks live in
:mod:`yuqing.triage.threats`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from yuqing.triage.numerals import NUMBER_PATTERN, parse_number

DEATHS = "deaths"
MISSING = "missing"
INJURED = "injured"
SERIOUSLY_INJURED = "seriously_injured"
TRAPPED = "trapped"
AFFECTED = "affected"
EVACUATED = "evacuated"
HOUSEHOLDS = "households"

_FIELDS = (DEATHS, MISSING, INJURED, SERIOUSLY_INJURED, TRAPPED, AFFECTED, EVACUATED, HOUSEHOLDS)

#: persons per household, 第七次全国人口普查 (2020): 平均每个家庭户的人口为2.62人
HOUSEHOLD_SIZE = Fraction(262, 100)

# clause boundaries: a figure and its words never straddle one
# clause breaks: punctuation, and spaces, which headlines use as commas (一死四伤 消防救出十多名…)
_STOP = '，。；！？,;!?、\n：:（）()“”"… \u3000\t'
_NUMBER_CHARS = "0-9０-９零〇一二两三四五六七八九十百千万亿"
_NEGATION = r"(?:没有|没|未|无|并非|不是|否认)"
_NEGATED_BEFORE = re.compile(_NEGATION + r"(?:造成|导致|出现|发生|发现|有)?一?$")
_CLASSIFIER = r"(?:名|人|位|具|例)(?!次)"
# a number not cut out of a longer one (this also keeps a search over a long run of digits
# linear: only the run's first character can start a match)
_N = rf"(?<![{_NUMBER_CHARS}.．,])(?P<n>{NUMBER_PATTERN})"

# words per casualty field, longest first where one starts another
_CASUALTY_WORDS: dict[str, str] = {
    DEATHS: r"死亡|遇难|身亡|罹难|丧生|殒命|遇害|丧命|离世|死(?![伤亡])",
    MISSING: r"失踪|失联|下落不明|冲走|卷走",
    TRAPPED: r"被困|受困|被埋|被压埋|被掩埋|困在|被围困",
    SERIOUSLY_INJURED: r"重伤|伤势严重|伤势较重|危重|病危|生命垂危",
    INJURED: (
        r"伤亡|死伤|受伤|负伤|受轻伤|轻伤|中毒|烧伤|烫伤|送医|就医|入院|住院|"
        r"伤(?![亡心害残痕口])"
    ),
}
#: the short forms written straight after a number: 致3死5伤
_DIRECT_WORDS = {DEATHS: r"死(?![伤亡])", INJURED: r"伤(?![亡心害残痕口])"}
# the words of another count: a filler must not run across one (两人死亡多人受伤 is not two hurt)
_OTHER_COUNT = r"死亡|遇难|身亡|罹难|丧生|遇害|失联|失踪|被困|受伤|伤亡|死伤|重伤|轻伤|中毒"
# an age inside a count (一名12岁男孩死亡, 3名70多岁老人遇难)
_AGE = r"(?:[0-9]{1,3}|[一二三四五六七八九十]{1,3})多?岁"
# filler between a count and its word: no clause break, no other number or count, no negation
# (3人未受伤); 不幸, 无辜 and 抢救无效 are not negations
_FILL = rf"(?:{_AGE}|(?!{_OTHER_COUNT}|没|未|无(?![辜效])|并非)[^{_STOP}{_NUMBER_CHARS}])"
_RISE = r"(?:升至|增至|上升至|上升到|升到|增加至|增加到|攀升至|达到|已达|达)"
_AFTER_COUNT = r"(?![0-9０-９天小时年月日号点分秒%％个次岁元米级度吨])"


def _casualty_patterns(words: str, direct: str | None) -> list[re.Pattern[str]]:
    patterns = [
        # 3人死亡, 12名矿工遇难, 三十余人不幸遇难, 1人经抢救无效死亡
        rf"{_N}(?P<cl>{_CLASSIFIER}){_FILL}{{0,8}}?(?:{words})",
        # 死亡12人, 死亡人数升至三十余人, 被困井下的12名矿工
        rf"(?:{words})(?:人数|人员|者)?{_FILL}{{0,8}}?{_N}(?P<cl>{_CLASSIFIER})",
        # 遇难人数由3人升至12人: a toll rising inside one clause
        rf"(?:{words})(?:人数|人员|者)?[^{_STOP}]{{0,12}}?{_RISE}{_N}(?P<cl>{_CLASSIFIER})?"
        + _AFTER_COUNT,
    ]
    if direct:
        patterns.append(rf"{_N}(?:{direct})")  # 致3死5伤, 一死两伤
    return [re.compile(p) for p in patterns]


_CASUALTY_PATTERNS = {
    name: _casualty_patterns(words, _DIRECT_WORDS.get(name))
    for name, words in _CASUALTY_WORDS.items()
}

_PEOPLE = r"(?:(?:人|名|口)(?!次)|群众|居民|村民|市民|游客|师生)"
_PEOPLE_NOUNS = r"(?:人口|群众|人员|居民|村民|市民|游客|师生|人数)"
_OPEN_FILL = rf"[^{_STOP}{_NUMBER_CHARS}]"
_OUTAGE = r"停水|停电|断水|断电|停气|断气|停暖|供水中断|供电中断"
_POPULATION_WORDS = {
    AFFECTED: (rf"受灾|受影响|受到影响|波及|{_OUTAGE}", r"受灾|受影响|受到影响|被波及"),
    EVACUATED: (
        r"紧急转移安置|转移安置|紧急转移|转移|紧急疏散|疏散|撤离|安置|避险",
        r"被紧急转移|紧急转移|被转移|转移安置|转移|被疏散|疏散|撤离|安置|避险",
    ),
}


def _population_patterns(before: str, after: str) -> list[re.Pattern[str]]:
    return [
        # 受灾群众1.2万人, 紧急转移3万余人, 受灾人口12万, 停电影响3万人
        re.compile(rf"(?:{before}){_PEOPLE_NOUNS}?{_OPEN_FILL}{{0,8}}?{_N}(?P<cl>{_PEOPLE})?"),
        # 3万人受灾, 2000余名群众被紧急转移
        re.compile(rf"{_N}(?P<cl>{_PEOPLE}){_OPEN_FILL}{{0,6}}?(?:{after})"),
    ]


_POPULATION_PATTERNS = {
    name: _population_patterns(before, after) for name, (before, after) in _POPULATION_WORDS.items()
}
_HOUSEHOLD_PATTERNS = [
    # 停电影响3万户, 受灾1200余户
    re.compile(rf"(?:{_OUTAGE}|受灾|受影响|受到影响|影响|波及){_OPEN_FILL}{{0,8}}?{_N}用?户"),
    # 1.2万户居民停水
    re.compile(rf"{_N}用?户{_OPEN_FILL}{{0,6}}?(?:{_OUTAGE}|受灾|受影响|受到影响)"),
]
# a population figure is a count of people only with a word for people or a big unit after it;
# otherwise 受灾面积12万亩 would read as 12万 people
_NOT_PEOPLE_AFTER = re.compile(r"[亩顷公平米元户间座辆头只吨千克斤%％个处栋套条家所次台艘架]")

#: kind → (label shown to people, what a sentence says when it is hit; {f} is the words between)
INFRASTRUCTURE: dict[str, tuple[str, str]] = {
    "bridge_tunnel": (
        "桥梁隧道",
        r"(?:桥|桥梁|隧道|涵洞|高架){f}{{0,6}}?(?:坍塌|垮塌|断裂|倒塌|塌方|冒顶|冲毁|塌陷)",
    ),
    "dam_dyke": (
        "水库堤坝",
        r"溃坝|溃堤|决堤|垮坝|漫坝|(?:水库|大坝|堤坝|堤防|河堤|江堤|圩堤|坝体){f}{{0,6}}?"
        r"(?:决口|溃决|垮塌|管涌|漫顶|出现险情)",
    ),
    "power": (
        "电力",
        r"大面积停电|停电|断电|供电中断|电网{f}{{0,4}}?(?:故障|瘫痪)|"
        r"变电站{f}{{0,4}}?(?:爆炸|起火|故障|被淹)",
    ),
    "water": (
        "供水",
        r"停水|断水|供水中断|(?:自来水|水源|水厂){f}{{0,4}}?(?:污染|中断|停产|异味)",
    ),
    "gas": (
        "燃气",
        r"(?:燃气|天然气|煤气|液化气){f}{{0,4}}?(?:泄漏|爆炸|中断|爆燃)|停气",
    ),
    "transport": (
        "轨道交通与机场",
        r"(?:地铁|轻轨|轨道交通|高铁|动车|列车|火车|铁路|机场|航班){f}{{0,6}}?"
        r"(?:停运|脱轨|追尾|相撞|中断|停飞|关闭|进水|被淹|倒灌|起火|爆炸|瘫痪)",
    ),
    "hazmat": (
        "化工危化品",
        r"(?:化工厂|化工园区|化工企业|化工公司|危化品|危险化学品|危险品|农药厂|炼油厂|炼化)"
        r"{f}{{0,8}}?(?:爆炸|起火|火灾|泄漏|燃烧|爆燃)|"
        r"(?:有毒气体|毒气|氯气|氨气|液氨|硫化氢|苯){f}{{0,3}}?泄漏|核泄漏|放射源(?:丢失|泄漏)",
    ),
    "telecom": (
        "通信",
        r"通信中断|通讯中断|通信瘫痪|通讯瘫痪|网络中断|网络瘫痪|断网|信号中断|"
        r"基站{f}{{0,4}}?(?:退服|损毁|受损|瘫痪)",
    ),
}
# between a structure and what befell it: no clause break and no negation (大桥没有垮塌)
_INFRA_FILL = rf"(?:(?!没|未|无|不)[^{_STOP}])"
_INFRASTRUCTURE_PATTERNS = {
    kind: re.compile(pattern.format(f=_INFRA_FILL)) for kind, (_, pattern) in INFRASTRUCTURE.items()
}

#: kind → (label shown to people, words naming the place or its people)
VULNERABLE: dict[str, tuple[str, str]] = {
    "school": ("学校", r"中小学|小学|中学|学校|校园|高校|大学|学院|教学楼|学生|师生"),
    "kindergarten": ("幼儿园", r"幼儿园|托儿所|托育|幼儿|幼童"),
    "hospital": ("医院", r"医院|卫生院|卫生所|诊所|急诊|病房|住院部"),
    "care_home": ("养老机构", r"养老院|敬老院|福利院|养老机构|护理院|老年公寓"),
}
_VULNERABLE_PATTERNS = {kind: re.compile(words) for kind, (_, words) in VULNERABLE.items()}
#: a hospital as where the injured are treated, a school as a shelter: places that help, not
#: places the incident happened in
_TREATED = re.compile(
    r"(?:送|送往|送至|送到|转至|转往|转送|入住|住进|抬上|紧急送)[^，。；！？]{0,8}"
    r"(?:医院|卫生院|诊所|急诊)|(?:医院|卫生院|诊所)[^，。；！？]{0,2}(?:救治|治疗|抢救|观察|留观)"
    r"|(?:在|到|于|借用|腾出)[^，。；！？]{0,8}(?:学校|中学|小学|学校操场|体育馆)[^，。；！？]{0,8}"
    r"(?:设立|设置|安置|避险|避难|临时)"
)
_INCIDENT = re.compile(
    r"火灾|起火|失火|着火|大火|爆炸|爆燃|坍塌|垮塌|倒塌|塌方|泄漏|中毒|被困|伤亡|死亡|遇难|身亡|"
    r"受伤|伤|进水|被淹|踩踏|砍|刺|袭击|事故|车祸|侧翻|相撞|溺水|溺亡|坠楼|坠亡|地震|洪水|洪灾|"
    r"滑坡|泥石流|冲毁|停电|停水|疫情|感染"
)
#: clauses about drills, campaigns and maintenance report no incident
_NOT_AN_INCIDENT = re.compile(r"演练|演习|模拟|培训|排查|隐患|科普|计划停|检修")
_SENTENCE = re.compile(r"[^。！？!?\n]+")
_CLAUSE = re.compile(r"[^，,；;。！？!?\n]+")
_PHRASE_CHARS = 40


@dataclass(frozen=True)
class Figure:
    """One figure the text gives, and where it came from."""

    field: str
    value: int
    approximate: bool
    phrase: str


@dataclass(frozen=True)
class Mention:
    """A place named as involved: a kind from :data:`INFRASTRUCTURE` or :data:`VULNERABLE`."""

    kind: str
    phrase: str

    @property
    def label(self) -> str:
        table = INFRASTRUCTURE if self.kind in INFRASTRUCTURE else VULNERABLE
        return table[self.kind][0]


@dataclass(frozen=True)
class Facts:
    deaths: int = 0
    missing: int = 0
    injured: int = 0
    seriously_injured: int = 0
    trapped: int = 0
    affected: int = 0
    evacuated: int = 0
    households: int = 0
    infrastructure: tuple[Mention, ...] = ()
    vulnerable: tuple[Mention, ...] = ()
    #: the figure behind every non-zero count above, one per field, in field order
    figures: tuple[Figure, ...] = ()

    def figure(self, name: str) -> Figure | None:
        """The figure behind field ``name`` (e.g. ``"deaths"``), None when the text gave none."""
        return next((f for f in self.figures if f.field == name), None)

    @property
    def dead_or_missing(self) -> int:
        """The dead and the missing together, as official tallies count them."""
        return self.deaths + self.missing

    @property
    def people_affected(self) -> int:
        """Affected people, households converted at :data:`HOUSEHOLD_SIZE` (the larger)."""
        return max(self.affected, int(self.households * HOUSEHOLD_SIZE))

    @property
    def has_casualties(self) -> bool:
        return bool(self.deaths or self.missing or self.injured)


def _negated(text: str, start: int) -> bool:
    return bool(_NEGATED_BEFORE.search(text[max(0, start - 6) : start]))


def _best(
    name: str, patterns: Iterable[re.Pattern[str]], text: str, *, people_only: bool = False
) -> Figure | None:
    best: Figure | None = None
    for pattern in patterns:
        for match in pattern.finditer(text):
            if _negated(text, match.start()):
                continue
            written = match.group("n")
            number = parse_number(written)
            if number is None or number.value == 0:
                continue
            if people_only and not _counts_people(match, written, text):
                continue
            if best is None or number.value > best.value:
                best = Figure(name, number.value, number.approximate, match.group(0))
    return best


def _counts_people(match: re.Match[str], written: str, text: str) -> bool:
    if match.groupdict().get("cl"):
        return True
    after = text[match.end() : match.end() + 1]
    return ("万" in written or "亿" in written) and not _NOT_PEOPLE_AFTER.match(after)


def _clause(text: str, start: int, end: int) -> str:
    """The clause of ``text`` around ``start:end``, cut to a readable length."""
    for clause in _CLAUSE.finditer(text):
        if clause.start() <= start and end <= clause.end():
            phrase = clause.group(0).strip()
            return phrase if len(phrase) <= _PHRASE_CHARS else text[start:end]
    return text[start:end]


def _mentions(text: str) -> tuple[tuple[Mention, ...], tuple[Mention, ...]]:
    infrastructure: dict[str, Mention] = {}
    vulnerable: dict[str, Mention] = {}
    for sentence in _SENTENCE.finditer(text):
        # a clause about a drill or a hazard campaign says nothing of an incident
        clauses = [c.group(0) for c in _CLAUSE.finditer(sentence.group(0))]
        words = "，".join(c for c in clauses if not _NOT_AN_INCIDENT.search(c))
        for kind, pattern in _INFRASTRUCTURE_PATTERNS.items():
            if kind in infrastructure:
                continue
            for match in pattern.finditer(words):
                if not _negated(words, match.start()):
                    infrastructure[kind] = Mention(kind, _clause(words, match.start(), match.end()))
                    break
        if not _INCIDENT.search(words):
            continue
        treated = [(m.start(), m.end()) for m in _TREATED.finditer(words)]
        for kind, pattern in _VULNERABLE_PATTERNS.items():
            if kind in vulnerable:
                continue
            for match in pattern.finditer(words):
                # the injured taken to hospital: the hospital treats them, it is not involved
                if any(a <= match.start() < b for a, b in treated):
                    continue
                vulnerable[kind] = Mention(kind, _clause(words, match.start(), match.end()))
                break
    order_i, order_v = list(INFRASTRUCTURE), list(VULNERABLE)
    return (
        tuple(sorted(infrastructure.values(), key=lambda m: order_i.index(m.kind))),
        tuple(sorted(vulnerable.values(), key=lambda m: order_v.index(m.kind))),
    )


def extract_facts(text: str) -> Facts:
    """Everything :mod:`yuqing.triage.severity` grades from, read from ``text``."""
    figures: dict[str, Figure] = {}
    for name, patterns in _CASUALTY_PATTERNS.items():
        if found := _best(name, patterns, text):
            figures[name] = found
    for name, patterns in _POPULATION_PATTERNS.items():
        if found := _best(name, patterns, text, people_only=True):
            figures[name] = found
    if found := _best(HOUSEHOLDS, _HOUSEHOLD_PATTERNS, text):
        figures[HOUSEHOLDS] = found
    serious = figures.get(SERIOUSLY_INJURED)
    injured = figures.get(INJURED)
    if serious and (injured is None or injured.value < serious.value):
        # the seriously injured are injured too
        figures[INJURED] = Figure(INJURED, serious.value, serious.approximate, serious.phrase)
    infrastructure, vulnerable = _mentions(text)

    def count(name: str) -> int:
        return figures[name].value if name in figures else 0

    return Facts(
        deaths=count(DEATHS),
        missing=count(MISSING),
        injured=count(INJURED),
        seriously_injured=count(SERIOUSLY_INJURED),
        trapped=count(TRAPPED),
        affected=count(AFFECTED),
        evacuated=count(EVACUATED),
        households=count(HOUSEHOLDS),
        infrastructure=infrastructure,
        vulnerable=vulnerable,
        figures=tuple(figures[name] for name in _FIELDS if name in figures),
    )
