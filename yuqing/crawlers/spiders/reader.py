"""Reading a fetched page into a post, off the crawl's event loop.

Reading is most of a crawl's CPU (decoding, parsing, trafilatura, normalisation) and it holds
the GIL, so on a machine with a spare core it runs in a worker process while the crawl process
keeps fetching: ``PageReader`` sends ``read_page_bytes`` to a pool started before the reactor
(see ``crawlers.crawl``), or runs it inline when there is no pool. Either way the result is the
same ``ReadPage``, which the item pipeline stores.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from yuqing.crawlers.ingest import MAX_KEY, new_post
from yuqing.crawlers.normalize import normalize_entry
from yuqing.crawlers.spiders.pages import (
    FieldMissing,
    PageItem,
    decode_html,
    parse_document,
    read_article,
)
from yuqing.crawlers.urls import canonicalize_url
from yuqing.storage.posts import NewPost

#: widths of the posts columns a board fills
MAX_ADDRESSEE, MAX_STATUS = 300, 100


@dataclass(frozen=True)
class ReadPage:
    """What one page gave: its post (None when it has no text), or why it gave nothing."""

    url: str
    post: NewPost | None = None
    #: optional fields whose selector matched nothing
    missing: tuple[str, ...] = ()
    #: set when the page could not be read: the error in words
    error: str | None = None


def read_page_bytes(
    url: str,
    body: bytes,
    content_type: bytes | None,
    selectors: Mapping[str, Any],
    listed_published: datetime | None = None,
) -> ReadPage:
    """Decode, parse and read one page, and normalise it into a post. Never raises: a bug met
    on hostile input must not stop the other pages, so it comes back as the page's error."""
    try:
        page, document = parse_document(decode_html(body, content_type))
        item = read_article(url, page, document, selectors, listed_published)
        return ReadPage(url, to_post(item), item.missing)
    except FieldMissing as exc:
        return ReadPage(url, error=str(exc))
    except Exception as exc:
        return ReadPage(
            url,
            error=f"internal error reading {url} ({type(exc).__name__}: {exc}); please report it",
        )


def to_post(item: PageItem) -> NewPost | None:
    """The post for one page; None when it has neither title nor text, or no usable URL: the
    one place where crawled pages become posts (feed entries: ``ingest.to_posts``)."""
    norm = normalize_entry(item.title, item.html)
    if not (norm.title or norm.text):
        return None
    try:
        url = canonicalize_url(item.url)
    except ValueError:
        return None
    if len(url) > MAX_KEY:
        return None
    post = new_post(norm, url, guid=None, author=item.author, published=item.published)
    if item.addressed_to or item.reply_status or item.reply_html or item.replied_at:
        reply = normalize_entry("", item.reply_html).text if item.reply_html else ""
        post = replace(
            post,
            addressed_to=_cut(item.addressed_to, MAX_ADDRESSEE),
            reply_status=_cut(item.reply_status, MAX_STATUS),
            reply_text=reply or None,
            replied_at=item.replied_at,
        )
    return post


def _cut(text: str | None, width: int) -> str | None:
    """A short field cut to its column's width (scraped values can be any length)."""
    text = " ".join(text.split()) if text else ""
    return text[:width] or None


class PageReader:
    """Runs ``read_page_bytes`` in ``pool`` (a process pool) when given one, else inline."""

    def __init__(self, pool: Executor | None = None) -> None:
        self.pool = pool

    async def read(self, *args: Any) -> ReadPage:
        if self.pool is None:
            return read_page_bytes(*args)
        return await asyncio.wrap_future(self.pool.submit(read_page_bytes, *args))
