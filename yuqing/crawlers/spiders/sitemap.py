"""The spider for a source of kind ``sitemap``: its URL is a sitemap, a sitemap index or a news
sitemap; every page it lists on the sitemap's own host is fetched and its article extracted.

Published time, first found: ``news:publication_date`` or ``lastmod`` in the sitemap, then the
page's ``article:published_time`` meta. Sitemap XML is parsed without entities or network
access (scraped bytes are hostile), and a gzipped sitemap is unpacked up to ``DOWNLOAD_MAXSIZE``.

What happened is kept in ``spider.outcome`` (``base.CrawlOutcome``) for the crawl to judge.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterator
from datetime import datetime

import scrapy
from lxml import etree
from scrapy.http import Response

from yuqing.crawlers.errors import SOFT, FetchError
from yuqing.crawlers.spiders.base import YuqingSpider
from yuqing.crawlers.spiders.reader import ReadPage
from yuqing.crawlers.spiders.times import parse_w3c_time

#: how many sitemaps one crawl reads at most (an index of indexes is a classic crawler trap)
MAX_SITEMAPS = 50
_GZIP_MAGIC = b"\x1f\x8b"


class SitemapSpider(YuqingSpider):
    """Reads the sitemap at ``start_url``; takes the politeness options only."""

    name = "yuqing-sitemap"
    index_name = "sitemap"

    def is_index(self, request: scrapy.Request) -> bool:
        return request.callback == self.parse_sitemap

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield self._sitemap_request(self.start_url)

    def _sitemap_request(self, url: str) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_sitemap, errback=self.index_failed)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        outcome = self.outcome
        try:
            root = parse_sitemap_xml(
                sitemap_body(response, self.settings.getint("DOWNLOAD_MAXSIZE"))
            )
        except ValueError as exc:
            outcome.index_errors.append(
                FetchError(response.url, f"not a sitemap: {exc}, from {response.url}", SOFT)
            )
            return
        outcome.index_read += 1
        kind = etree.QName(root).localname
        if kind == "sitemapindex":
            for loc in _children_text(root, "sitemap", "loc"):
                if outcome.index_read + len(outcome.index_errors) >= MAX_SITEMAPS:
                    break
                if self.on_site(loc):
                    yield self._sitemap_request(loc)
            return
        for entry in root:
            if not isinstance(entry.tag, str) or etree.QName(entry).localname != "url":
                continue
            loc = _first_text(entry, "loc")
            if not loc or not self.on_site(loc):
                continue
            if self.page_cap_reached():
                break
            outcome.pages_listed += 1
            yield scrapy.Request(
                loc,
                callback=self.parse_page,
                errback=self.page_failed,
                cb_kwargs={"listed_published": _sitemap_time(entry)},
            )

    async def parse_page(
        self, response: Response, listed_published: datetime | None
    ) -> AsyncIterator[ReadPage]:
        read = await self.read_page(response, {}, listed_published)
        if read is not None:
            yield read


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
