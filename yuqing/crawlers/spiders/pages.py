"""Reading one fetched page into a ``PageItem``, for every kind of crawled source.

A field the source names a selector for (``crawlers.crawl_options``) is read with it; a field
without one falls back on what pages commonly carry: the Open Graph title, ``<h1>``,
``<title>``; trafilatura's main text for the body; ``article:published_time``; the author meta.
A title or body selector that matches nothing is an error on that page (the site changed its
layout: storing the page furniture instead would be worse than storing nothing); another field
that matches nothing is left empty and counted, so the crawl's report can say so.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import trafilatura
from parsel import Selector, SelectorList

from yuqing.crawlers.crawl_options import split_selector
from yuqing.crawlers.encoding import charset_of, transcode
from yuqing.crawlers.extract import decode_page
from yuqing.crawlers.spiders.times import parse_printed_time, parse_w3c_time

#: libxml2 (under parsel and trafilatura) stops reading at ``</html>``, so text after a stray
#: one in mid-page was lost; HTML5 parsers ignore these end tags, and so do we.
_END_TAGS_OF_DOCUMENT = re.compile(r"</\s*(?:html|body)\s*>", re.IGNORECASE)


@dataclass(frozen=True)
class PageItem:
    """One fetched page, before normalisation: ``html`` is an HTML fragment of the main text."""

    url: str
    title: str
    html: str
    published: datetime | None
    author: str | None
    # A message board's message: whom it is addressed to and the reply, when shown.
    addressed_to: str | None = None
    reply_status: str | None = None
    #: the reply as an HTML fragment, like ``html``
    reply_html: str | None = None
    replied_at: datetime | None = None
    #: the fields whose selector matched nothing on this page (stored empty)
    missing: tuple[str, ...] = field(default=())


class FieldMissing(ValueError):
    """A title or body selector matched nothing on a page."""


def decode_html(body: bytes, content_type: bytes | None) -> str:
    """The page as text: a charset in the HTTP header wins, else the page's own ``<meta>``,
    else UTF-8 or GB18030, whichever reads (many Chinese sites declare nothing)."""
    header = content_type.decode("latin-1") if content_type else None
    if charset_of(header):
        return transcode(body, header).data.decode("utf-8")
    return decode_page(body)


def parse_document(document: str) -> tuple[Selector, str]:
    """The page's selector and its markup with stray document end tags removed."""
    document = _END_TAGS_OF_DOCUMENT.sub("", document)
    return Selector(text=document or "<html></html>"), document


def select(page: Selector, query: str) -> SelectorList[Selector]:
    language, expression = split_selector(query)
    return page.xpath(expression) if language == "xpath" else page.css(expression)


def select_text(page: Selector, query: str) -> str | None:
    """The text of what ``query`` matches (attributes and text nodes as they are), one line."""
    parts = []
    for node in select(page, query):
        if isinstance(node.root, str):
            parts.append(node.root)
        else:
            parts.extend(node.xpath(".//text()").getall())
    text = " ".join(" ".join(parts).split())
    return text or None


def select_html(page: Selector, query: str) -> str | None:
    """What ``query`` matches as an HTML fragment; matched text is escaped back into HTML."""
    pieces = [
        html.escape(node.root) if isinstance(node.root, str) else node.get()
        for node in select(page, query)
    ]
    fragment = "".join(pieces)
    return fragment if fragment.strip() else None


def select_links(page: Selector, query: str, base_url: str) -> list[str]:
    """Absolute URLs of what ``query`` matches: the ``href`` of matched elements, or matched
    attribute values; repeats dropped, page order kept."""
    links: dict[str, None] = {}
    for node in select(page, query):
        href = node.root if isinstance(node.root, str) else node.attrib.get("href")
        if href and href.strip() and not href.strip().startswith(("#", "javascript:")):
            links[urljoin(base_url, href.strip())] = None
    return list(links)


def read_article(
    url: str,
    page: Selector,
    document: str,
    selectors: Mapping[str, Any],
    listed_published: datetime | None = None,
) -> PageItem:
    """Title, main text, time and author of one page, and a board's fields when the source
    names selectors for them. Raises ``FieldMissing`` when a title or body selector finds
    nothing."""
    missing: list[str] = []

    def optional(key: str) -> str | None:
        if key not in selectors:
            return None
        value = select_text(page, selectors[key])
        if value is None:
            missing.append(key)
        return value

    title = _required_text(page, selectors, "title", url) if "title" in selectors else None
    title = title or _first(
        page.css('meta[property="og:title"]::attr(content)').get(),
        page.css("title::text").get(),
        " ".join(page.css("h1 ::text").getall()),
    )
    if "body" in selectors:
        body = select_html(page, selectors["body"])
        if body is None:
            raise FieldMissing(_nothing("body", selectors["body"], url))
    else:
        body = main_text_html(page, document)
    printed = optional("time")
    published = parse_printed_time(printed) if printed else None
    published = (
        published
        or listed_published
        or parse_w3c_time(
            page.css('meta[property="article:published_time"]::attr(content)').get() or ""
        )
    )
    author = optional("author") or _first(
        page.css('meta[name="author"]::attr(content)').get(),
        page.css('meta[property="article:author"]::attr(content)').get(),
    )
    reply_html = None
    if "reply_text" in selectors:
        reply_html = select_html(page, selectors["reply_text"])
        if reply_html is None:
            missing.append("reply_text")
    reply_time = optional("reply_time")
    return PageItem(
        url=url,
        title=title,
        html=body,
        published=published,
        author=author or None,
        addressed_to=optional("addressed_to"),
        reply_status=optional("reply_status"),
        reply_html=reply_html,
        replied_at=parse_printed_time(reply_time) if reply_time else None,
        missing=tuple(missing),
    )


def main_text_html(page: Selector, document: str) -> str:
    """The article as an HTML fragment: trafilatura's main text (one paragraph a line, escaped
    back into HTML, since the text may hold ``<`` and ``&``), else the ``<article>``/``<main>``
    /``<body>`` markup for pages too short for trafilatura to call them an article."""
    # fast: no second opinion from the readability fallback, which cost a fifth of extraction
    # and changed no text on the pages measured (bench/crawl.py's site, the test pages).
    text = trafilatura.extract(document, include_comments=False, include_tables=True, fast=True)
    if text:
        return "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines() if line.strip())
    return page.css("article").get() or page.css("main").get() or page.css("body").get() or ""


def _required_text(page: Selector, selectors: Mapping[str, Any], key: str, url: str) -> str:
    value = select_text(page, selectors[key])
    if value is None:
        raise FieldMissing(_nothing(key, selectors[key], url))
    return value


def _nothing(key: str, query: str, url: str) -> str:
    return f"the {key} selector {query!r} matched nothing on {url}"


def _first(*candidates: str | None) -> str:
    for candidate in candidates:
        if candidate and candidate.strip():
            return candidate.strip()
    return ""
