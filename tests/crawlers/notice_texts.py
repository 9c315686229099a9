"""The reference notice and its scraped copy as test inputs for the text-cleaning tests
(``test_mojibake``, ``test_pinyin``, ``test_boilerplate``, ``test_cleanup``)."""

from __future__ import annotations

import opencc

from tests.shared import notice_file


def clean_notice() -> str:
    """The reference notice, paragraphs separated by blank lines, no trailing newline."""
    return notice_file("notice-zh-simplified.txt").read_text(encoding="utf-8").rstrip()


def scraped_notice() -> str:
    return notice_file("gov-page-as-scraped.txt").read_text(encoding="utf-8")


def to_traditional(text: str) -> str:
    return opencc.OpenCC("s2t").convert(text)
