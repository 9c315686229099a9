"""Markers that a rumour threatens social order or national interest (section 二 of the notice,
last paragraph: 严重危害社会秩序和国家利益的造谣传谣行为 are referred to the public security
organ and the internet regulator).

These are **markers, not proofs**. An official report of a real outage says 停水 and a rally
announcement says 集合; what makes a post a threat is that it is a rumour *and* carries them.
The referral decision therefore also needs a high rumour score, which is decided elsewhere
(:mod:`yuqing.triage.referral`); :func:`threatens_order` alone refers no one.

Kinds (:data:`KINDS`):

- ``panic``: buying sprees and hoarding (抢购, 囤积), 恐慌, lockdown claims (封城), poisoned
  water (水源被污染, 自来水有毒), predicted earthquakes (今晚有大地震) and disasters (水库要溃坝),
  flight calls (赶紧逃).
- ``gathering``: calls to gather: a time and 集合 (明天上午九点…集合), 大家一起去…门口讨说法,
  聚集, 拉横幅, 静坐, 游行, 堵路, 人越多越好.
- ``fake_official``: claimed official or insider notices: 内部消息, 红头文件, 朋友在医院上班说;
  and 紧急通知, 官方通报 or 政府通知 when the text names no source (据新华社, XX市应急管理局官方
  微博 …).
- ``fake_toll``: a death or casualty toll stated together with a claim of cover-up or of a
  "true" figure (官方隐瞒, 瞒报, 实际死亡…人, 真实数字, 远不止).
- ``national_interest``: kept modest: 分裂国家, 颠覆国家政权, 推翻政府, 煽动暴乱.
- ``calls_to_forward``: 速转, 紧急扩散, 请转发, 让更多人知道, 不转不是中国人 …; not itself a
  threat to order (good news is forwarded too), so :func:`threatens_order` ignores it.

A sentence that denies a rumour (辟谣, 系谣言, 不实, 不信谣不传谣; but not 这不是谣言) is
skipped, so a debunk quoting the rumour is no threat; markers preceded by a dissuasion
(不要抢购, 避免聚集, 打击分裂国家) do not count either. One threat per kind is returned: the first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from yuqing.triage.facts import DEATHS, INJURED, MISSING, extract_facts

PANIC = "panic"
GATHERING = "gathering"
FAKE_OFFICIAL = "fake_official"
FAKE_TOLL = "fake_toll"
NATIONAL_INTEREST = "national_interest"
CALLS_TO_FORWARD = "calls_to_forward"

#: kinds that threaten social order or national interest
ORDER_KINDS: tuple[str, ...] = (PANIC, GATHERING, FAKE_OFFICIAL, FAKE_TOLL, NATIONAL_INTEREST)
KINDS: tuple[str, ...] = (*ORDER_KINDS, CALLS_TO_FORWARD)


@dataclass(frozen=True)
class Threat:
    kind: str
    #: the words that carry the marker, as written
    phrase: str


_S = "。！？!?\n"  # sentence ends
_C = "，,；;：:。！？!?\n"  # clause ends
_TIME = (
    r"(?:明天|明早|明晚|明日|今天|今晚|今早|后天|本周.|下周.|周[一二三四五六日天]|"
    r"星期[一二三四五六日天]|(?<!\d)\d+[号日]|[上下]午|早上|晚上|中午)"
)

_PATTERNS: dict[str, re.Pattern[str]] = {
    PANIC: re.compile(
        r"抢购|疯抢|哄抢|囤积|囤货|屯货|抢盐|抢米|(?:赶紧|赶快|快)去?(?:买|囤|屯|抢)|恐慌|"
        r"(?:要|将|即将|马上|明天|明日|今晚|后天|准备)封(?:城|市|路|村|小区)|封城|"
        r"水源(?:被|遭|已)?(?:污染|投毒)|自来水(?:有毒|被污染|不能喝)|(?:不能|别)喝自来水|投毒|"
        rf"(?:今晚|明天|近期|近日|几天内|马上)[^{_S}]{{0,6}}?(?:有|发生|会有)[^{_S}]{{0,3}}?地震|"
        r"地震预报|毒气[^。]{0,4}?扩散|超市(?:被)?抢空|(?:粮|盐|米|油|药)(?:要|将)(?:大)?涨价|"
        r"(?:赶紧|赶快|快)(?:逃|跑|撤离)|(?:要|将|即将|马上|快)(?:溃坝|决堤|垮坝|爆炸)"
    ),
    GATHERING: re.compile(
        rf"{_TIME}[^{_S}]{{0,20}}?集合|集合地点|集合时间|"
        rf"(?:大家|我们|一起|都)[^{_S}]{{0,6}}?(?:去|到|来)[^{_S}]{{0,15}}?"
        r"(?:讨说法|讨个说法|要说法|讨公道|维权|抗议|门口|广场|拉横幅|静坐|堵)|"
        r"聚集|拉横幅|打横幅|拉条幅|举牌|静坐|游行|示威|堵路|围堵|堵门|"
        r"集体上访|集体维权|人越多越好|能来的都来|有种的都来"
    ),
    FAKE_OFFICIAL: re.compile(
        r"内部消息|内部通知|内部文件|内部人士|内部渠道|内部传出|小道消息|可靠消息|确切消息|"
        r"绝对可靠|千真万确|红头文件|"
        rf"(?:朋友|亲戚|同学|家人|老公|老婆|表哥|表姐|邻居)在[^{_C}]{{0,10}}?(?:上班|工作)"
    ),
    NATIONAL_INTEREST: re.compile(
        r"分裂国家|分裂祖国|颠覆国家政权|颠覆政权|推翻(?:政府|政权|共产党)|煽动(?:暴乱|叛乱)|"
        r"武装暴乱|泄露国家(?:秘密|机密)"
    ),
    CALLS_TO_FORWARD: re.compile(
        r"速转|速扩|急转|转发扩散|紧急扩散|求扩散|求转发|扩散周知|互相转告|相互转告|"
        r"(?:请|速|快|赶紧|帮忙|大家|务必|请大家)(?:转发|扩散|转告|转起来)|扩散(?:出去|起来)|"
        r"转起来|转告(?:家人|亲友|身边)|告诉(?:身边|家人|亲朋|亲友)|让更多(?:的)?人(?:知道|看到)|"
        r"不转不是中国人|看到(?:请|就|的)?转|转给(?:家人|亲人|朋友)"
    ),
}
#: official-sounding notices: a threat only when the text names no source for them
_CLAIMED_NOTICE = re.compile(
    r"紧急通知|官方通报|最新通报|官方消息|官方通知|上级通知|政府通知|上面通知|刚接到通知"
)
_SOURCE = re.compile(
    r"新华社|人民日报|央视|中新社|中国新闻网|官方微博|政务微博|官方网站|官网|"
    r"(?:人民政府|政府办公厅|政府办公室|公安局|公安厅|应急管理局|应急管理厅|卫生健康委员会|卫健委|"
    r"疾控中心|气象局|气象台|教育局|指挥部|管理委员会)"
    r"(?:官方)?(?:微博|微信|网站|公众号|发布|通报|公告|通告)|"
    r"(?:据|来源[:：])[^，。]{2,20}?(?:发布|通报|报道)"
)
_COVER_UP = re.compile(
    r"隐瞒|瞒报|谎报|少报|封锁消息|不让(?:报道|说|发|报)|不敢(?:公布|报道|说)|捂盖子|压着不报|"
    r"被删|删帖|不公布|没有公布|不报道|没有报道|官方不说|故意压低"
)
_TRUE_TOLL = re.compile(
    r"(?:实际|真实|真正)的?(?:死亡|遇难|伤亡|死了|失踪)|真实数字|实际数字|真实人数|实际人数|"
    r"远(?:远)?不止|至少死了"
)
_DENIAL = re.compile(r"辟谣|谣言|谣传|不实|假消息|虚假信息|系编造|系捏造|恶意编造|不信谣|不传谣")
_NOT_A_DENIAL = re.compile(r"(?:不是|并非|绝非|绝不是)(?:谣言|谣传|假消息)")
# words that turn a marker into its opposite when they come just before it
_DISSUADED = {
    PANIC: r"不要|请勿|勿|不必|无需|别|避免|防止|严禁|禁止|不得|没有|并未|未|不会|无",
    GATHERING: r"不要|请勿|勿|不必|别|避免|防止|严禁|禁止|不得|减少|没有|并未|未|不会|无",
    NATIONAL_INTEREST: r"打击|反对|严惩|惩治|防范|抵制|揭露|依法|维护|不容",
}
_DISSUADED_BEFORE = {
    kind: re.compile(f"(?:{words})[^{_C}]{{0,4}}$") for kind, words in _DISSUADED.items()
}
_PHRASE_CHARS = 40


def _sentences(text: str) -> list[str]:
    """The sentences of ``text`` that do not deny a rumour."""
    out = []
    for sentence in re.findall(rf"[^{_S}]+", text):
        if _DENIAL.search(sentence) and not _NOT_A_DENIAL.search(sentence):
            continue
        out.append(sentence)
    return out


def _clause(sentence: str, match: re.Match[str]) -> str:
    """The clause around ``match``, or the match itself when the clause is long."""
    start = max(sentence.rfind(c, 0, match.start()) for c in _C) + 1
    ends = [i for c in _C if (i := sentence.find(c, match.end())) != -1]
    clause = sentence[start : min(ends, default=len(sentence))].strip()
    return clause if len(clause) <= _PHRASE_CHARS else match.group(0)


def _first(kind: str, sentences: list[str]) -> Threat | None:
    pattern = _PATTERNS[kind]
    dissuaded = _DISSUADED_BEFORE.get(kind)
    for sentence in sentences:
        for match in pattern.finditer(sentence):
            before = sentence[max(0, match.start() - 8) : match.start()]
            if dissuaded is not None and dissuaded.search(before):
                continue
            return Threat(kind, _clause(sentence, match))
    return None


def _claimed_notice(sentences: list[str], text: str) -> Threat | None:
    if _SOURCE.search(text):
        return None
    for sentence in sentences:
        if match := _CLAIMED_NOTICE.search(sentence):
            return Threat(FAKE_OFFICIAL, _clause(sentence, match))
    return None


def _fake_toll(sentences: list[str]) -> Threat | None:
    kept = "。".join(sentences)
    facts = extract_facts(kept)
    if not (facts.dead_or_missing or facts.injured):
        return None
    toll = next(f for f in facts.figures if f.field in (DEATHS, MISSING, INJURED))
    for marker in (_TRUE_TOLL, _COVER_UP):
        for sentence in sentences:
            if match := marker.search(sentence):
                clause = _clause(sentence, match)
                phrase = clause if toll.phrase in clause else f"{clause}……{toll.phrase}"
                return Threat(FAKE_TOLL, phrase)
    return None


def threats(text: str) -> tuple[Threat, ...]:
    """The markers of a threat to social order in ``text``, at most one per kind, in
    :data:`KINDS` order."""
    sentences = _sentences(text)
    found = {
        PANIC: _first(PANIC, sentences),
        GATHERING: _first(GATHERING, sentences),
        FAKE_OFFICIAL: _first(FAKE_OFFICIAL, sentences) or _claimed_notice(sentences, text),
        FAKE_TOLL: _fake_toll(sentences),
        NATIONAL_INTEREST: _first(NATIONAL_INTEREST, sentences),
        CALLS_TO_FORWARD: _first(CALLS_TO_FORWARD, sentences),
    }
    return tuple(threat for kind in KINDS if (threat := found[kind]) is not None)


def threatens_order(found: Sequence[Threat]) -> bool:
    """Whether any marker threatens social order or national interest (calls to forward alone
    do not). A marker, not a proof: referral also needs a high rumour score."""
    return any(t.kind in ORDER_KINDS for t in found)
