"""Remove the pinyin that some sites inject after Chinese characters.

Some copies of a page come with the pronunciation written after characters:
``號(hào)``, ``機(jī)構(gòu)``, ``國(guó wù)``, ``号(hao4)`` (the scraped notice in
``/work/shared/notice/`` is full of them). They are not part of the text and break words apart
for keyword matching. Only a parenthesis right after a Chinese character that holds lower-case
pinyin with a tone goes; every other parenthesis (``辦公廳(室)``, ``(GDP)``, ``(2016)``) stays.
Works in either script. ``yuqing.crawlers.cleanup`` runs this after the character repairs
(``mojibake``), which also use ``is_pinyin``.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from yuqing.crawlers.hanzi import CJK_IDEOGRAPH

# ---------------------------------------------------------------------------------------------
# 5. Pinyin injected after characters: "號(hào)", "機(jī)構(gòu)", "國(guó wù)", "号(hao4)".

# Finals that may follow each initial ("" = no initial), toneless, with "v" for ü.
_SYLLABLES_BY_INITIAL = {
    "": "a o e ai ei ao ou an en ang eng er yi ya ye yao you yan yin yang ying yo yong yu yue "
    "yuan yun wu wa wo wai wei wan wen wang weng m n ng hm hng",
    "b": "a o ai ei ao an en ang eng i ie iao ian in ing u",
    "p": "a o ai ei ao ou an en ang eng i ie iao ian in ing u",
    "m": "a o e ai ei ao ou an en ang eng i ie iao iu ian in ing u",
    "f": "a o ei ou an en ang eng u",
    "d": "a e ai ei ao ou an en ang eng ong i ie iao iu ian ing u uo ui uan un",
    "t": "a e ai ao ou an ang eng ong i ie iao ian ing u uo ui uan un",
    "n": "a e ai ei ao ou an en ang eng ong i ie iao iu ian in iang ing u uo uan un v ve",
    "l": "a o e ai ei ao ou an ang eng ong i ia ie iao iu ian in iang ing u uo uan un v ve",
    "g": "a e ai ei ao ou an en ang eng ong u ua uo uai ui uan un uang",
    "k": "a e ai ei ao ou an en ang eng ong u ua uo uai ui uan un uang",
    "h": "a e ai ei ao ou an en ang eng ong u ua uo uai ui uan un uang",
    "j": "i ia ie iao iu ian in iang ing iong u ue uan un",
    "q": "i ia ie iao iu ian in iang ing iong u ue uan un",
    "x": "i ia ie iao iu ian in iang ing iong u ue uan un",
    "zh": "a e i ai ei ao ou an en ang eng ong u ua uo uai ui uan un uang",
    "ch": "a e i ai ao ou an en ang eng ong u ua uo uai ui uan un uang",
    "sh": "a e i ai ei ao ou an en ang eng u ua uo uai ui uan un uang",
    "r": "e i ao ou an en ang eng ong u ua uo ui uan un",
    "z": "a e i ai ei ao ou an en ang eng ong u uo ui uan un",
    "c": "a e i ai ao ou an en ang eng ong u uo ui uan un",
    "s": "a e i ai ao ou an en ang eng ong u uo ui uan un",
}
PINYIN_SYLLABLES = frozenset(
    initial + final for initial, finals in _SYLLABLES_BY_INITIAL.items() for final in finals.split()
)
_LONGEST_SYLLABLE = max(map(len, PINYIN_SYLLABLES))
# Combining tone marks (macron, acute, caron, grave) after NFD decomposition.
_TONE_MARKS = re.compile("[\u0304\u0301\u030c\u0300]")
_PINYIN_TOKEN = re.compile(r"(?:[a-zv]+[1-5]?)+")
_ANNOTATION = re.compile(f"(?<=[{CJK_IDEOGRAPH}])[(（]([^()（）\\n]{{1,40}})[)）]")


def is_pinyin(candidate: str) -> bool:
    """True when ``candidate`` is lower-case pinyin with at least one tone (mark or digit).

    ``"hào"``, ``"guó wù"``, ``"jīgòu"``, ``"hao4"`` are pinyin; ``"GDP"``, ``"2016"``, ``"室"``
    and untoned ``"an"`` (too easily an ordinary word or abbreviation) are not.
    """
    decomposed = unicodedata.normalize("NFD", candidate.strip())
    toneless = _TONE_MARKS.sub("", decomposed)
    has_tone = len(toneless) != len(decomposed)
    plain = unicodedata.normalize("NFC", toneless).replace("ü", "v").replace("u:", "v")
    if not plain or plain != plain.lower():
        return False
    for token in re.split(r"[\s'’·-]+", plain):
        if not token:
            continue
        if not _PINYIN_TOKEN.fullmatch(token):
            return False
        has_tone = has_tone or any(c.isdigit() for c in token)
        if not all(_segments(part) for part in re.split(r"[1-5]", token) if part):
            return False
    return has_tone


@functools.lru_cache(maxsize=4096)
def _segments(letters: str) -> bool:
    """Whether ``letters`` splits into valid syllables ("jigou" → ji gou)."""
    if not letters:
        return True
    return any(
        letters[:size] in PINYIN_SYLLABLES and _segments(letters[size:])
        for size in range(min(_LONGEST_SYLLABLE, len(letters)), 0, -1)
    )


def remove_pinyin_annotations(text: str) -> str:
    """Remove ``(pinyin)`` right after a Chinese character; other parentheses stay."""
    if "(" not in text and "（" not in text:
        return text
    return _ANNOTATION.sub(lambda m: "" if is_pinyin(m.group(1)) else m.group(), text)
