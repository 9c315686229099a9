"""One feed entry or scraped post → the cleaned, simplified text that the rest of yuqing uses.

``normalize_entry`` runs the steps in order: ``html_to_text`` (markup → lines), ``clean_text``
(repairs, furniture lines), ``to_simplified`` (OpenCC t2s). The cleaned text in its original
script is kept as well, because analysts quote the post as it was written.

``content_hash`` is the exact-duplicate key: SHA-256 of the simplified text with everything but
letters and digits removed (whitespace, punctuation, symbols) and compatibility forms folded
(full-width digits, case), so that a post re-posted with other line breaks, other punctuation or
in traditional characters has the same hash.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from yuqing.crawlers.chinese import to_simplified
from yuqing.crawlers.cleanup import clean_inline, clean_text
from yuqing.crawlers.htmltext import html_to_text

# In str patterns \W is "not a letter, digit or underscore" in the Unicode sense: CJK ideographs
# are letters and stay; spaces, punctuation and symbols go. The underscore goes too.
_NOT_CONTENT = re.compile(r"[\W_]+")


@dataclass(frozen=True, slots=True)
class NormalizedPost:
    title: str  #: cleaned title, simplified characters
    text: str  #: cleaned body, simplified characters, paragraphs on their own lines
    original_title: str  #: cleaned title in its original script
    original_text: str  #: cleaned body in its original script
    content_hash: str  #: ``content_hash(title + text)``: 64 hex digits


def normalize_entry(title: str, html: str) -> NormalizedPost:
    """Normalise a post's title (plain text or HTML) and body (an HTML fragment or plain text)."""
    original_title = clean_inline(html_to_text(title))
    original_text = clean_text(html_to_text(html))
    simplified_title = to_simplified(original_title)
    simplified_text = to_simplified(original_text)
    return NormalizedPost(
        title=simplified_title,
        text=simplified_text,
        original_title=original_title,
        original_text=original_text,
        content_hash=_hash_simplified(simplified_title + "\n" + simplified_text),
    )


def content_hash(text: str) -> str:
    """SHA-256 hex of ``text`` in simplified characters without whitespace and punctuation."""
    return _hash_simplified(to_simplified(text))


def _hash_simplified(text: str) -> str:
    key = _NOT_CONTENT.sub("", unicodedata.normalize("NFKC", text)).casefold()
    return hashlib.sha256(key.encode("utf-8")).hexdigest()
