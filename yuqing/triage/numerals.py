"""Numbers as Chinese posts write them: ``12``, ``１２``, ``1,200``, ``1.2万``, ``二十七``,
``三万五千``, ``两千五``, and the vague counts news copy is full of (``三十余``, ``十几``, ``数十``,
``上百``, ``近百``).

Every number is read as a **lower bound**: a figure that the text guarantees, never more, because
triage grades incidents from it and must not grade a post above what it says. ``approximate``
tells that the text's figure was vague (or a decimal cut down), so reasons can say "at least".

Conventions for the vague forms (the project's own, chosen as the least each form can mean):

============================  ==========================  ======================================
form                          value                       why
============================  ==========================  ======================================
``三十余``, ``30多``, ``百余``   the number before it (30)   余/多 mean "more than"
``3万余``, ``30余万``           30000, 300000               余 before or after the big unit
``十几``, ``二十几万``            10, 200000                  几 after a unit adds at least nothing
``十来``                        10                          来 (colloquial) as 几
``数十``, ``几百``, ``数万``       20, 200, 20000              数/几 before a unit: "several" ≥ 2
``上百``, ``上千``, ``过万``       100, 1000, 10000            "reaching" the unit
``逾百``, ``超过30``, ``超千``     100, 30, 1000               "more than" the figure
``近百``, ``近30``               90, 27                      "nearly": 90 % of the figure, floored
``约300``                       300                         "about": the figure, flagged vague
``三四十``, ``十一二``, ``三五``    30, 11, 3                   a range of two digits: its lower end
decimals: ``3.5``               3                           floored (a lower bound)
============================  ==========================  ======================================

:data:`NUMBER_PATTERN` is a regular-expression fragment (no capturing groups) that finds such
numbers in running text; other modules embed it. Everything it matches is meant to be given to
:func:`parse_number`, which may still reject an ill-formed match (e.g. ``五三百``) with None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

_FULL_WIDTH = str.maketrans("０１２３４５６７８９．", "0123456789.")

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
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
#: markers of a vague count that add nothing to the lower bound
_VAGUE_SUFFIXES = "余多几来"

_CN_DIGITS = "".join(_DIGITS)
# atomic: a run of digits is one number, never re-split on backtracking (which would be
# exponential on a long run of digits)
_ARABIC = r"(?>[0-9０-９]+(?:,[0-9]{3})*(?:[.．][0-9０-９]+)?)"
#: a count with a vague prefix and a bare unit: 数十, 几百万, 上千, 过万, 逾百, 近百
_VAGUE_UNIT = (
    r"(?:(?<![人总户次])[数几][十百千万亿]+"
    r"|(?:上|过)[百千万亿][百千万亿]*"
    r"|(?:逾|超过?|近)[十百千万亿]+)"
    r"[余多]?"
)
#: an ordinary number, optionally prefixed and with a vague tail: 三十余, 1.2万, 逾30, 二十几万
_PLAIN = (
    rf"(?:近|约|逾|超过?)?"
    rf"(?>(?:{_ARABIC}|[{_CN_DIGITS}十百千])(?:{_ARABIC}|[{_CN_DIGITS}十百千万亿])*)"
    r"(?:[余多几][万亿]*[余多]?|(?<=[十百千万])来)?"
)
NUMBER_PATTERN = rf"(?:{_VAGUE_UNIT}|{_PLAIN})"
"""Regex fragment (no groups) matching a number as :func:`parse_number` reads it."""

_NUMBER = re.compile(NUMBER_PATTERN)
#: longer runs of digits are no counts of anything (and would be slow to convert)
_MAX_DIGITS = 16
_ARABIC_TOKEN = re.compile(r"[0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?")
#: prefixes: (prefix, needs a bare unit after it, digit a bare unit counts, lower-bound factor)
_PREFIXES: tuple[tuple[str, bool, str, Fraction], ...] = (
    ("超过", False, "一", Fraction(1)),
    ("数", True, "两", Fraction(1)),  # 数十 = 两十 = 20: "several" is at least two
    ("几", True, "两", Fraction(1)),
    ("上", True, "一", Fraction(1)),  # 上百 = 一百
    ("过", True, "一", Fraction(1)),
    ("逾", False, "一", Fraction(1)),
    ("超", False, "一", Fraction(1)),
    ("近", False, "一", Fraction(9, 10)),  # 近百 = 90
    ("约", False, "一", Fraction(1)),
)


@dataclass(frozen=True)
class Number:
    #: the least the text's figure can mean
    value: int
    #: the text's figure was vague (余, 多, 几, 数, 上, 近, 约, a range, a cut decimal)
    approximate: bool


class _Invalid(Exception):
    """Internal: the characters do not form a number."""


def parse_number(s: str) -> Number | None:
    """Read ``s`` (a whole number as written, e.g. a :data:`NUMBER_PATTERN` match) as a lower
    bound; None if it is not a number."""
    text = s.strip().translate(_FULL_WIDTH)
    if not text:
        return None
    approximate = False
    factor = Fraction(1)
    for prefix, needs_unit, lead, prefix_factor in _PREFIXES:
        if text.startswith(prefix) and len(text) > len(prefix):
            rest = text[len(prefix) :]
            starts_with_unit = rest[0] in _SMALL_UNITS or rest[0] in _BIG_UNITS
            if needs_unit and not starts_with_unit:
                return None
            text = (lead if starts_with_unit else "") + rest
            factor, approximate = prefix_factor, True
            break
    try:
        value, vague = _evaluate(text)
    except _Invalid:
        return None
    value *= factor
    floored = int(value)  # non-negative, so int() floors
    return Number(floored, approximate or vague or floored != value)


def _tokens(text: str) -> list[str | Fraction]:
    """Split into Arabic numbers (as Fractions) and single characters."""
    out: list[str | Fraction] = []
    i = 0
    while i < len(text):
        if text[i].isascii() and text[i].isdigit():
            match = _ARABIC_TOKEN.match(text, i)
            assert match is not None  # a digit always starts a token
            digits = match.group(0).replace(",", "")
            if len(digits) > _MAX_DIGITS:
                raise _Invalid  # a serial number or garbage, not a count
            out.append(Fraction(digits))
            i = match.end()
        else:
            out.append(text[i])
            i += 1
    return out


def _evaluate(text: str) -> tuple[Fraction, bool]:
    """The number ``text`` writes and whether it is vague; raises _Invalid if it is none."""
    pieces = _tokens(text)
    total = Fraction(0)  # the part already closed by 万 or 亿
    section = Fraction(0)  # the part below 万 being built
    pending: Fraction | None = None  # a digit (or Arabic number) not yet given a unit
    pending_chinese = False
    last_small: int | None = None  # the last 十/百/千 of this section
    last_big: int | None = None
    zero_gap = False  # a 零 since the last unit: 一百零三's 三 is ones, 一百三's is tens
    vague = False
    after_vague = False  # after 余/多/几 only 万/亿 may follow
    seen_digit = False
    previous: str | Fraction | None = None
    for piece in pieces:
        if isinstance(piece, Fraction):
            if pending is not None or after_vague:
                raise _Invalid
            pending, pending_chinese, seen_digit = piece, False, True
        elif piece in _DIGITS:
            digit = _DIGITS[piece]
            if after_vague:
                raise _Invalid
            if digit == 0:
                if pending is not None:
                    raise _Invalid
                zero_gap, seen_digit = True, True
            elif pending is not None:
                # 三四十, 十一二, 三五: a range of two digits; keep its lower end
                low = int(pending)
                if not (pending_chinese and isinstance(previous, str) and previous in _DIGITS):
                    raise _Invalid
                if not (digit == low + 1 or (low, digit) == (3, 5)) or vague:
                    raise _Invalid
                vague = True
            else:
                pending, pending_chinese, seen_digit = Fraction(digit), True, True
        elif piece in _SMALL_UNITS:
            unit = _SMALL_UNITS[piece]
            if after_vague or (last_small is not None and unit >= last_small):
                raise _Invalid
            # a bare unit counts one of it: 十二, 百余, and the rare 一百十 (= 一百一十)
            section += (pending if pending is not None else 1) * unit
            pending, last_small, zero_gap, seen_digit = None, unit, False, True
        elif piece in _BIG_UNITS:
            unit = _BIG_UNITS[piece]
            section += pending or 0
            if section == 0 and total == 0:
                raise _Invalid  # a bare 万 is no number
            if last_big == unit:
                raise _Invalid  # 三万五万
            if unit == _BIG_UNITS["亿"]:
                total = (total + section) * unit  # 三万亿: all so far counts in 亿
            else:
                total += section * unit  # 一亿三千万: the 万 part adds to the 亿 part
            section, pending, last_small, last_big, zero_gap = Fraction(0), None, None, unit, False
            # 三十余万: after 余 a big unit may come, and after it another 余 (三十余万余 is odd
            # but harmless); nothing else
            after_vague = False
        elif piece in _VAGUE_SUFFIXES:
            if after_vague:
                raise _Invalid
            if pending is not None and pending_chinese:
                raise _Invalid  # 三多 is not Chinese; 三十多 and 30多 are
            if pending is None and previous is None:
                raise _Invalid
            if piece == "来" and not isinstance(previous, str):
                raise _Invalid
            vague, after_vague = True, True
        else:
            raise _Invalid
        previous = piece
    if not seen_digit:
        raise _Invalid
    if pending is not None:
        if pending_chinese and not zero_gap and (last_small or last_big):
            # 两千五 = 2500, 三万五 = 35000, 二十七 = 27: a trailing digit is one unit down
            scale = (last_small or last_big or 10) // 10
            section += pending * scale
        else:
            section += pending
    return total + section, vague


def find_numbers(text: str) -> list[tuple[Number, str]]:
    """Every number in ``text`` with the characters it was read from, in order."""
    out = []
    for match in _NUMBER.finditer(text):
        number = parse_number(match.group(0))
        if number is not None:
            out.append((number, match.group(0)))
    return out
