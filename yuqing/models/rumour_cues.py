"""Rumour indicators an analyst recognises, outside the statistical model.

A rumour announces itself by how it is written more than by what it is about: hearsay (网传,
据说), a claimed inside source (内部消息, 某医院内部), pressure to pass it on (紧急扩散, 转发救人,
不转不是中国人), a threat of deletion (马上删), death tolls nobody vouches for, and no named
source at all. Each :class:`Cue` carries a weight (how much it alone raises the rumour score) and
the reason shown to the analyst.

Scoring: the matched cues combine as a noisy-or, ``strength = 1 - Π(1 - weight)``, and join the
model's rumour probability the same way, ``score = 1 - (1 - p_model)(1 - strength)``. Both steps
are monotone: another cue, or a higher model probability, never lowers the score, and the score
never falls below the model's own probability.

Counter-cues (官方辟谣, 经核实, 不实信息, ...) mark a post that reports or quotes a refutation. The
rumour cues such a post repeats (网传 ... 经核实系谣言) are then not counted: the cues alone must
never flag a harmless post. Whether a refutation post is itself a rumour case stays the model's
call, made from the labelled examples.

Texts are expected normalised (:func:`yuqing.models.tokenize.normalize`: simplified characters,
half-width digits), as the classifier hands them over.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

#: A weight is the score the cue alone gives a post the model sees no rumour in.
_HEARSAY = 0.3
_STRONG = 0.35

# Numbers written either way; 上百 / 数十 / 几十 included.
_NUMBER = r"(?:\d+|[一二两三四五六七八九十百千万几数上]+)"
_CASUALTY = re.compile(
    rf"{_NUMBER}(?:多|余|来)?(?:个|名|位)?(?:人|学生|孩子|村民|工人)?"
    r"(?:死亡|遇难|丧生|身亡|罹难|当场死|被烧死|被砸死|被淹死)"
    rf"|死了{_NUMBER}|死亡人数(?:已经|已)?(?:超过|达到|达)?{_NUMBER}"
)
#: Someone identifiable vouches for the post: a news agency, a reporter, an authority that
#: issued something. Its absence is what makes a casualty figure unverifiable.
_NAMED_SOURCE = re.compile(
    r"新华社|人民日报|央视|中新社|中国新闻网|澎湃|财新|记者|通讯员|通报|发布会|新闻办|官网|官微"
    r"|政府|卫健委|疾控|应急管理|公安(?:部|厅|局)|警方|派出所|消防|气象(?:局|台)|地震(?:局|台)"
    r"|院方|校方|村委会|居委会|街道办|[市县区]委"
    r"|(?:部|厅|局|委|办|院)(?:发布|通报|表示|介绍|证实|回应|称)|据[^，。！？\s]{1,12}(?:报道|消息|通报)"
)


@dataclass(frozen=True)
class Cue:
    """One rumour indicator: a pattern over normalised text, its weight and its reason."""

    name: str
    pattern: re.Pattern[str]
    weight: float
    #: why the cue matters, shown with the text it matched
    reason: str


CUES: tuple[Cue, ...] = (
    Cue(
        "hearsay",
        re.compile(
            r"网传|网上(?:都在)?传|据说|听说|据传|传言|小道消息|朋友圈(?:疯传|都在传)|群里(?:都在)?传"
        ),
        _HEARSAY,
        "传闻口吻，消息来源不明",
    ),
    Cue(
        "insider",
        re.compile(
            r"内部消息|内部人士|内部通知|内部员工|知情人士|可靠消息|绝对可靠|绝对真实|千真万确"
            r"|某某|某(?:医院|单位|部门|机关|公司|学校|小区)(?:内部)?|(?:我|朋友|亲戚|同学)在(?:医院|政府|公安)"
        ),
        _STRONG,
        "自称内部或知情来源，无法核实",
    ),
    Cue(
        "forward",
        re.compile(
            r"紧急扩散|扩散出去|转发救人|求扩散|求转发|速转|转起来|大家转发|帮忙转发|帮忙扩散|互相转告"
            r"|转(?:发)?(?:告|给)(?:家人|亲友|朋友|身边)|让更多人知道|看到的(?:请|都)转"
        ),
        _HEARSAY,
        "呼吁转发扩散",
    ),
    Cue(
        "deletion",
        re.compile(
            r"马上(?:就)?(?:要)?删|随时(?:会)?(?:被)?删|看完就删|即将被删|快被删|删(?:帖)?之前|趁还没删"
        ),
        _STRONG,
        "声称即将被删，催人快看快传",
    ),
    Cue(
        "coercion",
        re.compile(
            r"不转不是中国人|是中国人就转|不转(?:就)?不是|不转发?(?:会|就)倒霉|转发.{0,6}(?:保平安|好运)"
        ),
        _STRONG,
        "以道德或迷信逼人转发",
    ),
    Cue(
        "casualties",
        _CASUALTY,
        # lighter: disaster news often gives a toll without naming its source in the same post
        0.2,
        "死伤人数没有具名来源，无法核实",
    ),
)

#: Urgency: weak alone (news uses it too), telling next to a call to forward (see _URGENT_FORWARD).
_URGENCY = re.compile(r"紧急|十万火急|速看|赶紧|千万(?:不要|别)|注意了|重要提醒|火速|刻不容缓")
_URGENT_FORWARD = Cue("urgent_forward", _URGENCY, 0.2, "紧迫口吻加转发呼吁")
#: No authority or outlet named anywhere; counted only beside another cue, because most
#: harmless posts (a complaint, a photo of a park) name no source either.
_NO_SOURCE = Cue("no_source", _NAMED_SOURCE, 0.15, "通篇无具名信源")

COUNTER_CUES = re.compile(
    r"辟谣|经核实|经查|核实后|不实信息|信息不实|不实消息|谣言|假消息|虚假信息|并不属实|不属实|"
    r"已查明|澄清|造谣|不信谣|网警提醒|请勿(?:相信|传播|转发)"
)

#: Every literal a rumour cue starts from; a post without any skips the per-cue scan (most
#: posts, so this keeps the cues cheap next to the model).
_ANY_CUE = re.compile("|".join(cue.pattern.pattern for cue in CUES))


@dataclass(frozen=True)
class CueResult:
    """The cues found in one post. ``strength``: their noisy-or combination, 0.0 when a
    counter-cue is present; ``reasons``: one line per cue, in :data:`CUES` order."""

    strength: float
    reasons: tuple[str, ...]
    countered: bool = False


NO_CUES = CueResult(0.0, ())


def scan(text: str) -> CueResult:
    """Find the rumour cues (and counter-cues) in one normalised text."""
    if not _ANY_CUE.search(text):
        return NO_CUES
    named = _NAMED_SOURCE.search(text) is not None
    matched: list[tuple[Cue, str]] = []
    for cue in CUES:
        if named and cue.name == "casualties":
            continue  # a death toll someone vouches for is news, not a rumour cue
        found = cue.pattern.search(text)
        if found:
            matched.append((cue, found.group()))
    if not matched:
        return NO_CUES
    if any(cue.name == "forward" for cue, _ in matched):
        urgent = _URGENCY.search(text)
        if urgent:
            matched.append((_URGENT_FORWARD, urgent.group()))
    if not named:
        matched.append((_NO_SOURCE, ""))
    reasons = [f"{cue.reason}（“{seen}”）" if seen else cue.reason for cue, seen in matched]
    counter = COUNTER_CUES.search(text)
    if counter:
        reasons.append(f"含辟谣或核实表述（“{counter.group()}”），以上线索不计分")
        return CueResult(0.0, tuple(reasons), countered=True)
    return CueResult(noisy_or(cue.weight for cue, _ in matched), tuple(reasons))


def scan_all(texts: Sequence[str]) -> list[CueResult]:
    return [scan(text) for text in texts]


def noisy_or(weights: Iterable[float]) -> float:
    """``1 - Π(1 - w)``: in [0, 1], and never lower for another weight in [0, 1]."""
    keep = 1.0
    for weight in weights:
        keep *= 1.0 - weight
    return 1.0 - keep


def combine(model_probability: Any, strength: Any) -> Any:
    """The rumour score: the model's probability raised by the cues' strength (noisy-or).
    Takes floats or numpy arrays of them."""
    return 1.0 - (1.0 - model_probability) * (1.0 - strength)
