"""What every yuqing spider shares: the outcome it keeps for the crawl to judge, its failure
callbacks, redirect loops, and staying on the source's own site.

A crawl reads *index* pages (sitemaps, or a site's list pages) that lead to *pages* (articles,
messages). An index that cannot be read at all fails the crawl; a page that fails is counted and
quoted in the crawl's warning.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from yuqing.crawlers.errors import SOFT, FetchError
from yuqing.crawlers.spiders import describe_failure
from yuqing.crawlers.spiders.pages import decode_html, parse_document
from yuqing.crawlers.spiders.reader import PageReader, ReadPage
from yuqing.crawlers.urls import canonicalize_url


@dataclass
class CrawlOutcome:
    """What the spider met; ``crawlers.crawl`` decides from it whether the source failed."""

    #: what the index pages are called in messages: "sitemap" or "list page"
    index_name: str = "sitemap"
    index_read: int = 0
    index_errors: list[FetchError] = field(default_factory=list)
    pages_listed: int = 0
    pages_ok: int = 0
    page_errors: list[FetchError] = field(default_factory=list)
    off_site: int = 0
    #: links not followed because their post is stored already (and, on a board, settled)
    already_stored: int = 0
    #: stored board messages fetched again to look for their reply
    rechecked: int = 0
    #: why paging stopped before the list ran out, in words (None: it ran out, or no paging)
    stopped: str | None = None
    #: what the crawl's report should warn about, in words (a cap met, a selector gone stale)
    notes: list[str] = field(default_factory=list)
    #: optional fields whose selector matched nothing, and on how many pages
    missing: Counter[str] = field(default_factory=Counter)


class YuqingSpider(scrapy.Spider):
    """Reads ``start_url`` and ``options`` (keyword arguments, as ``crawler.crawl`` passes
    them); ``reader`` reads fetched pages (``spiders.reader``); ``known`` maps the canonical
    URLs this source has stored to whether they are settled (nothing left to learn from them:
    ``storage.posts.stored_posts``)."""

    index_name = "sitemap"

    def __init__(
        self,
        start_url: str,
        options: Mapping[str, Any] | None = None,
        known: Mapping[str, bool] | None = None,
        reader: PageReader | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.reader = reader or PageReader()
        self.start_url = start_url
        self.options = dict(options or {})
        self.known = dict(known or {})
        self.outcome = CrawlOutcome(index_name=self.index_name)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> YuqingSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.request_dropped, signal=signals.request_dropped)
        return spider

    def is_index(self, request: scrapy.Request) -> bool:
        raise NotImplementedError

    def request_dropped(self, request: scrapy.Request) -> None:
        """The scheduler drops a request whose URL it has already seen. For a redirect that
        means a loop (Scrapy's redirect limit never fires then), so the page is an error, not
        silently gone; a URL merely listed twice was fetched once and loses nothing."""
        chain = request.meta.get("redirect_urls")
        if not chain:
            return
        first = chain[0]
        error = FetchError(first, f"redirect loop: {first} leads back to {request.url}", SOFT)
        self._errors(request).append(error)

    def index_failed(self, failure: Failure) -> None:
        url = failure.request.url  # type: ignore[attr-defined]
        self.outcome.index_errors.append(describe_failure(failure, url, self.settings))

    def page_failed(self, failure: Failure) -> None:
        url = failure.request.url  # type: ignore[attr-defined]
        self.outcome.page_errors.append(describe_failure(failure, url, self.settings))

    def page_error(self, url: str, message: str) -> None:
        self.outcome.page_errors.append(FetchError(url, message, SOFT))

    def html_of(self, response: Response, errors: list[FetchError]) -> tuple[Any, str] | None:
        """(selector, markup) of an HTML response; None, with the error noted, otherwise."""
        if not isinstance(response, TextResponse):
            errors.append(FetchError(response.url, f"not an HTML page: {response.url}", SOFT))
            return None
        document = decode_html(response.body, response.headers.get("Content-Type"))
        return parse_document(document)

    async def read_page(
        self,
        response: Response,
        selectors: Mapping[str, Any],
        listed_published: datetime | None = None,
    ) -> ReadPage | None:
        """The page read into a post (in the reader's worker process when there is one); a
        page that cannot be read becomes a page error, and the other pages go on."""
        if not isinstance(response, TextResponse):
            self.page_error(response.url, f"not an HTML page: {response.url}")
            return None
        read = await self.reader.read(
            response.url,
            response.body,
            response.headers.get("Content-Type"),
            dict(selectors),
            listed_published,
        )
        if read.error is not None:
            self.page_error(response.url, read.error)
            return None
        self.outcome.pages_ok += 1
        self.outcome.missing.update(read.missing)
        return read

    def on_site(self, url: str) -> bool:
        """Only http(s) pages of the source's own host: a page cannot send us elsewhere."""
        parts = urlsplit(url)
        home = urlsplit(self.start_url)
        if parts.scheme in ("http", "https") and parts.netloc.lower() == home.netloc.lower():
            return True
        self.outcome.off_site += 1
        return False

    def page_cap_reached(self) -> bool:
        """CLOSESPIDER_PAGECOUNT is checked only as responses arrive, when every page queued is
        already on its way (a 30-page sitemap under a cap of 10 stored 25): queue no more pages
        than the cap, so that the cap bounds what one run fetches."""
        cap = self.settings.getint("CLOSESPIDER_PAGECOUNT")
        return bool(cap) and self.outcome.pages_listed >= cap

    def canonical(self, url: str) -> str | None:
        try:
            return canonicalize_url(url)
        except ValueError:
            return None

    def _errors(self, request: scrapy.Request) -> list[FetchError]:
        return self.outcome.index_errors if self.is_index(request) else self.outcome.page_errors
