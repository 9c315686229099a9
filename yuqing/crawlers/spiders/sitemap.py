"""The spider for a source of kind ``sitemap``: its URL is a sitemap, a sitemap index or a news
sitemap; every page it lists on the sitemap's own host is fetched and its article extracted.

Published time, first found: ``news:publication_date`` or ``lastmod`` in the sitemap, then the
page's ``article:published_time`` meta. Sitemap XML is parsed without entities or network
access (scraped bytes are hostile), and a gzipped sitemap is unpacked up to ``DOWNLOAD_MAXSIZE``.

What happened is kept in ``spider.outcome`` (``SitemapOutcome``) for the crawl to judge.
"""

from __future__ import annotations

import html
import re
import zlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
import trafilatura
from lxml import etree
from parsel import Selector
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from yuqing.crawlers.encoding import charset_of, transcode
from yuqing.crawlers.errors import SOFT, FetchError
from yuqing.crawlers.extract import decode_page
from yuqing.crawlers.feeds import NAIVE_DATES_ZONE
from yuqing.crawlers.spiders import describe_failure

#: how many sitemaps one crawl reads at most (an index of indexes is a classic crawler trap)
MAX_SITEMAPS = 50
_GZIP_MAGIC = b"\x1f\x8b"
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


@dataclass
class SitemapOutcome:
    """What the spider met; the crawl decides from it whether the source failed."""

    sitemaps_read: int = 0
    sitemap_errors: list[FetchError] = field(default_factory=list)
    pages_listed: int = 0
    pages_ok: int = 0
    page_errors: list[FetchError] = field(default_factory=list)
    off_site: int = 0


class SitemapSpider(scrapy.Spider):
    """Reads ``sitemap_url`` (a keyword argument, as ``crawler.crawl`` passes it)."""

    name = "yuqing-sitemap"

    def __init__(self, sitemap_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sitemap_url = sitemap_url
        self.outcome = SitemapOutcome()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SitemapSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.request_dropped, signal=signals.request_dropped)
        return spider

    def request_dropped(self, request: scrapy.Request) -> None:
        """The scheduler drops a request whose URL it has already seen. For a redirect that
        means a loop (Scrapy's redirect limit never fires then), so the page is an error, not
        silently gone; a URL merely listed twice was fetched once and loses nothing."""
        chain = request.meta.get("redirect_urls")
        if not chain:
            return
        first = chain[0]
        error = FetchError(first, f"redirect loop: {first} leads back to {request.url}", SOFT)
        if request.callback == self.parse_sitemap:
            self.outcome.sitemap_errors.append(error)
        else:
            self.outcome.page_errors.append(error)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield self._sitemap_request(self.sitemap_url)

    def _sitemap_request(self, url: str) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_sitemap, errback=self.sitemap_failed)

    def sitemap_failed(self, failure: Failure) -> None:
        url = failure.request.url  # type: ignore[attr-defined]
        self.outcome.sitemap_errors.append(describe_failure(failure, url, self.settings))

    def page_failed(self, failure: Failure) -> None:
        url = failure.request.url  # type: ignore[attr-defined]
        self.outcome.page_errors.append(describe_failure(failure, url, self.settings))

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        try:
            root = parse_sitemap_xml(
                sitemap_body(response, self.settings.getint("DOWNLOAD_MAXSIZE"))
            )
        except ValueError as exc:
            self.outcome.sitemap_errors.append(
                FetchError(response.url, f"not a sitemap: {exc}, from {response.url}", "soft")
            )
            return
        self.outcome.sitemaps_read += 1
        kind = etree.QName(root).localname
        if kind == "sitemapindex":
            for loc in _children_text(root, "sitemap", "loc"):
                if self.outcome.sitemaps_read + len(self.outcome.sitemap_errors) >= MAX_SITEMAPS:
                    break
                if self._on_site(loc):
                    yield self._sitemap_request(loc)
            return
        for entry in root:
            if not isinstance(entry.tag, str) or etree.QName(entry).localname != "url":
                continue
            loc = _first_text(entry, "loc")
            if not loc or not self._on_site(loc):
                continue
            # CLOSESPIDER_PAGECOUNT is checked only as responses arrive, when every page queued
            # is already on its way (a 30-page sitemap under a cap of 10 stored 25): queue no
            # more pages than the cap, so that the cap bounds what one run fetches.
            cap = self.settings.getint("CLOSESPIDER_PAGECOUNT")
            if cap and self.outcome.pages_listed >= cap:
                break
            self.outcome.pages_listed += 1
            published = _sitemap_time(entry)
            yield scrapy.Request(
                loc,
                callback=self.parse_page,
                errback=self.page_failed,
                cb_kwargs={"listed_published": published},
            )

    def parse_page(
        self, response: Response, listed_published: datetime | None
    ) -> Iterator[PageItem]:
        if not isinstance(response, TextResponse):
            self.outcome.page_errors.append(
                FetchError(response.url, f"not an HTML page: {response.url}", "soft")
            )
            return
        try:
            document = decode_html(response.body, response.headers.get("Content-Type"))
            item = extract_item(response.url, document, listed_published)
        except Exception as exc:  # a bug met on hostile input must not stop the other pages
            message = (
                f"internal error reading {response.url} ({type(exc).__name__}: {exc}); "
                "please report it"
            )
            self.outcome.page_errors.append(FetchError(response.url, message, "soft"))
            return
        self.outcome.pages_ok += 1
        yield item

    def _on_site(self, url: str) -> bool:
        """Only http(s) pages of the sitemap's own host: a sitemap cannot send us elsewhere."""
        parts = urlsplit(url)
        home = urlsplit(self.sitemap_url)
        if parts.scheme in ("http", "https") and parts.netloc.lower() == home.netloc.lower():
            return True
        self.outcome.off_site += 1
        return False


def sitemap_body(response: Response, max_bytes: int) -> bytes:
    """The sitemap's XML, gunzipped when it came gzipped, never larger than ``max_bytes``."""
    body = response.body
    if not body.startswith(_GZIP_MAGIC):
        return body
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise ValueError(f"broken gzip data ({exc})") from None
    if len(data) > max_bytes:
        raise ValueError(f"unpacks to more than {max_bytes:,} bytes")
    return data


def parse_sitemap_xml(body: bytes) -> etree._Element:
    """The root of a ``urlset`` or ``sitemapindex``; ``ValueError`` saying why otherwise."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, recover=True, huge_tree=False, remove_comments=True
    )
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"unreadable XML ({exc})") from None
    if root is None or not isinstance(root.tag, str):
        raise ValueError("no XML document")
    name = etree.QName(root).localname
    if name not in ("urlset", "sitemapindex"):
        raise ValueError(f"the root element is <{name}>, not <urlset> or <sitemapindex>")
    return root


def decode_html(body: bytes, content_type: bytes | None) -> str:
    """The page as text: a charset in the HTTP header wins, else the page's own ``<meta>``,
    else UTF-8 or GB18030, whichever reads (many Chinese sites declare nothing)."""
    header = content_type.decode("latin-1") if content_type else None
    if charset_of(header):
        return transcode(body, header).data.decode("utf-8")
    return decode_page(body)


def extract_item(url: str, document: str, listed_published: datetime | None) -> PageItem:
    """Title, main text, time and author of one article page."""
    document = _END_TAGS_OF_DOCUMENT.sub("", document)
    page = Selector(text=document or "<html></html>")
    title = _first(
        page.css('meta[property="og:title"]::attr(content)').get(),
        page.css("title::text").get(),
        " ".join(page.css("h1 ::text").getall()),
    )
    author = _first(
        page.css('meta[name="author"]::attr(content)').get(),
        page.css('meta[property="article:author"]::attr(content)').get(),
    )
    published = listed_published or parse_w3c_time(
        page.css('meta[property="article:published_time"]::attr(content)').get() or ""
    )
    return PageItem(url, title, main_text_html(page, document), published, author or None)


def main_text_html(page: Selector, document: str) -> str:
    """The article as an HTML fragment: trafilatura's main text (one paragraph a line, escaped
    back into HTML, since the text may hold ``<`` and ``&``), else the ``<article>``/``<main>``
    /``<body>`` markup for pages too short for trafilatura to call them an article."""
    text = trafilatura.extract(document, include_comments=False, include_tables=True)
    if text:
        return "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines() if line.strip())
    return page.css("article").get() or page.css("main").get() or page.css("body").get() or ""


def parse_w3c_time(text: str) -> datetime | None:
    """A sitemap / Open Graph time (W3C datetime: ``2026-11-20``, ``2026-11-20T08:30+08:00``)
    as aware UTC; a time without a zone is Beijing time. None when absent or unreadable."""
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return (moment - NAIVE_DATES_ZONE).replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _sitemap_time(entry: etree._Element) -> datetime | None:
    for path in ("news/publication_date", "lastmod"):
        moment = parse_w3c_time(_first_text(entry, *path.split("/")) or "")
        if moment is not None:
            return moment
    return None


def _first_text(element: etree._Element, *path: str) -> str | None:
    """The text of the first descendant along ``path`` of local names (any namespace)."""
    for found in _children_text(element, *path):
        return found
    return None


def _children_text(element: etree._Element, *path: str) -> Iterator[str]:
    level = [element]
    for name in path:
        level = [
            child
            for parent in level
            for child in parent
            if isinstance(child.tag, str) and etree.QName(child).localname == name
        ]
    for node in level:
        if node.text and node.text.strip():
            yield node.text.strip()


def _first(*candidates: str | None) -> str:
    for candidate in candidates:
        if candidate and candidate.strip():
            return candidate.strip()
    return ""
