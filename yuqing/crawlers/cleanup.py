"""Repair and clean the text of scraped Chinese pages and feed entries.

Scraped text is hostile and dirty (see ``/work/shared/notice/gov-page-as-scraped.txt``: the State
Council notice as a mirror site served it). This module puts the cleaning steps together; each
step lives in a module named for what it does. Two kinds of cleaning, in this order:

Character level (inside lines)
    1. ``mojibake.repair_latin1_mojibake``: UTF-8 bytes that were decoded as Latin-1/cp1252.
    2. ``mojibake.repair_gbk_mojibake``: UTF-8 bytes that were decoded as GBK.
    3. ``mojibake.repair_shifted_gbk``: GBK text decoded one byte off (``?;貞?``).
    4. ``mojibake.remove_unrecoverable_chars``: U+FFFD, C1 controls, private-use and invisible
       characters.
    5. ``pinyin.remove_pinyin_annotations``: ``號(hào)`` → ``號``.

Line level (a line is dropped when one of ``boilerplate.LINE_RULES`` says so; the rules see a line
after the character repairs, so ``相關(guān)解讀`` is recognised as ``相关解读``).

Repairs come first because the line rules must see real characters; the pinyin goes before the
line rules because annotated navigation (``相關(guān)解讀``) must still be recognised.
Every rule works in either script: text is cleaned *before* conversion to simplified characters,
because the original script is kept too.
"""

from __future__ import annotations

import re

from yuqing.crawlers.boilerplate import drop_reason
from yuqing.crawlers.mojibake import (
    remove_unrecoverable_chars,
    repair_gbk_mojibake,
    repair_latin1_mojibake,
    repair_shifted_gbk,
)
from yuqing.crawlers.pinyin import remove_pinyin_annotations

_SPACES = re.compile(r"[^\S\n]+")
_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x0b\x0c\x85]")


def repair_characters(text: str) -> str:
    """All character-level repairs (1–5 above), in order; line structure is untouched."""
    text = repair_latin1_mojibake(text)
    text = repair_gbk_mojibake(text)
    text = repair_shifted_gbk(text)
    text = remove_unrecoverable_chars(text)
    return remove_pinyin_annotations(text)


def clean_text(text: str) -> str:
    """Repair characters, normalise spaces and drop furniture lines.

    Lines are kept as lines; runs of blank lines become one blank line; the result has no
    leading or trailing blank lines.
    """
    text = repair_characters(_NEWLINES.sub("\n", text))
    kept: list[str] = []
    for raw_line in text.split("\n"):
        line = _SPACES.sub(" ", raw_line).strip()
        if not line:
            if kept and kept[-1]:
                kept.append("")
            continue
        if drop_reason(line) is None:
            kept.append(line)
    while kept and not kept[-1]:
        kept.pop()
    return "\n".join(kept)


def clean_inline(text: str) -> str:
    """Clean a one-line value (a title): character repairs, all whitespace to single spaces."""
    return " ".join(repair_characters(text).split())
