"""The main text of a saved page (``yuqing extract FILE``).

Two kinds of page come in:

- real HTML documents (a doctype, ``<html>``, ``<body>``): trafilatura finds the article and
  drops the page furniture (menus, breadcrumbs, related links, footer); its title goes first;
- half-text, half-markup pages, as some scrapers save them (``gov-page-as-scraped.txt``): lines
  of text with stray tags; there the source's line breaks are the structure and are kept.

Either way the text then goes through ``clean_text`` (mojibake, pinyin annotations, navigation,
metadata and spam lines) and OpenCC t2s. The result has one paragraph per line of text,
paragraphs separated by one blank line, and no trailing newline.
"""

from __future__ import annotations

import re

import trafilatura

from yuqing.crawlers.chinese import to_simplified
from yuqing.crawlers.cleanup import clean_inline, clean_text
from yuqing.crawlers.encoding import transcode
from yuqing.crawlers.htmltext import html_to_text

_HTML_DOCUMENT = re.compile(r"<!doctype\s+html|<html[\s>]|<body[\s>]", re.IGNORECASE)
# <meta charset="gbk"> or <meta http-equiv="Content-Type" content="text/html; charset=gbk">,
# looked for in the first bytes only, as browsers do.
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]+)", re.IGNORECASE)
_META_WINDOW = 2048


def extract_page(raw: bytes | str, *, simplified: bool = True) -> str:
    """Return the main text of a saved page given as bytes (UTF-8 or GB18030) or as text.

    ``simplified=False`` keeps the page's own script (the text is cleaned all the same).
    Returns ``""`` when the page has no text.
    """
    text = decode_page(raw) if isinstance(raw, bytes) else raw
    if _HTML_DOCUMENT.search(text):
        body = _article_text(text)
    else:
        body = clean_text(html_to_text(text, keep_newlines=True))
    paragraphs = [line for line in body.split("\n") if line.strip()]
    result = "\n\n".join(paragraphs)
    return to_simplified(result) if simplified else result


def decode_page(raw: bytes) -> str:
    """Decode a page's bytes: a byte-order mark, else valid UTF-8, else the ``<meta>`` charset,
    else GB18030 (bytes that decode nowhere become U+FFFD and are removed by the cleanup)."""
    declared = _META_CHARSET.search(raw, 0, _META_WINDOW)
    content_type = f"text/html; charset={declared.group(1).decode('ascii')}" if declared else None
    return transcode(raw, content_type).data.decode("utf-8")


def _article_text(document: str) -> str:
    extracted = trafilatura.bare_extraction(
        document, with_metadata=True, include_comments=False, include_tables=True
    )
    text = extracted.text if extracted is not None else None
    if not text:
        # Nothing trafilatura recognises as an article (a bare list, a tiny page): fall back to
        # all of the page's text, furniture lines dropped by the cleanup.
        return clean_text(html_to_text(document, keep_newlines=False))
    body = clean_text(text)
    title = clean_inline(extracted.title or "")
    if title and not body.startswith(title):
        body = f"{title}\n{body}"
    return body
