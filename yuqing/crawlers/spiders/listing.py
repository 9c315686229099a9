"""Spiders for sources of kind ``site`` (list pages leading to articles) and ``board`` (a
message board: list pages leading to messages, each with the department it is addressed to and,
in time, the government's reply).

Paging: from the source's URL (list page 1), the ``links`` selector gives the posts of a page and
the ``next`` selector the next list page. Paging stops

- when a list page holds nothing new: every post on it is stored already (on a board: stored
  and settled, see below). Lists run newest first, so the rest was read on earlier runs; a
  post pinned to the top of every page does not stop it, as the others on the page are new;
- at ``list_pages`` list pages (default ``DEFAULT_LIST_PAGES``), so an endless pagination
  trap ends, and when the page cap is reached;
- when a list page lists nothing, or has no next link.

A board message stays *unsettled* while it has no reply and is younger than ``recheck_days``
(default ``DEFAULT_RECHECK_DAYS``): its page is read again on each crawl, and a reply seen there
updates the stored message (``storage.replies``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import scrapy
from scrapy.http import Response

from yuqing.crawlers.crawl_options import BOARD_SELECTORS, SITE_SELECTORS
from yuqing.crawlers.errors import SOFT, FetchError
from yuqing.crawlers.spiders.base import YuqingSpider
from yuqing.crawlers.spiders.pages import select_links
from yuqing.crawlers.spiders.reader import ReadPage

DEFAULT_LIST_PAGES = 50
DEFAULT_RECHECK_DAYS = 30
#: the selectors that find things on a list page; the others read a post's own page
_LIST_SELECTORS = ("links", "next")


class SiteSpider(YuqingSpider):
    name = "yuqing-site"
    index_name = "list page"
    page_fields = tuple(k for k in SITE_SELECTORS if k not in _LIST_SELECTORS)

    def is_index(self, request: scrapy.Request) -> bool:
        return request.callback == self.parse_list

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield self._list_request(self.start_url, 1)

    def _list_request(self, url: str, number: int) -> scrapy.Request:
        return scrapy.Request(
            url, callback=self.parse_list, errback=self.index_failed, cb_kwargs={"number": number}
        )

    def parse_list(self, response: Response, number: int) -> Iterator[scrapy.Request]:
        outcome = self.outcome
        parsed = self.html_of(response, outcome.index_errors)
        if parsed is None:
            return
        page, _ = parsed
        links = [
            u for u in select_links(page, self.options["links"], response.url) if self.on_site(u)
        ]
        if not links:
            message = (
                f"the links selector {self.options['links']!r} matched nothing on list page "
                f"{number}, {response.url}"
            )
            if number == 1:
                outcome.index_errors.append(FetchError(response.url, message, SOFT))
            else:
                outcome.stopped = message
                outcome.notes.append(message)
            return
        outcome.index_read += 1
        fresh = 0
        for link in links:
            key = self.canonical(link)
            if key is None:
                continue
            stored = key in self.known
            if stored and self.known[key]:
                outcome.already_stored += 1
                continue
            if self.page_cap_reached():
                outcome.stopped = "the page cap was reached"
                outcome.notes.append(
                    f"stopped at the cap of {outcome.pages_listed} pages; "
                    "the rest waits for next time"
                )
                return
            outcome.pages_listed += 1
            outcome.rechecked += stored
            fresh += 1
            yield scrapy.Request(link, callback=self.parse_post, errback=self.page_failed)
        if fresh == 0:
            outcome.stopped = f"list page {number} holds only posts already stored"
            return
        following = (
            select_links(page, self.options["next"], response.url) if "next" in self.options else []
        )
        following = [u for u in following if self.on_site(u)]
        if not following:
            return
        if number >= self.options.get("list_pages", DEFAULT_LIST_PAGES):
            outcome.stopped = f"stopped at the cap of {number} list pages"
            outcome.notes.append(f"{outcome.stopped}; the rest waits for next time")
            return
        yield self._list_request(following[0], number + 1)

    async def parse_post(self, response: Response) -> AsyncIterator[ReadPage]:
        selectors = {k: v for k, v in self.options.items() if k in self.page_fields}
        read = await self.read_page(response, selectors)
        if read is not None:
            yield read


class BoardSpider(SiteSpider):
    """A message board: a site whose posts also carry the addressee and the reply."""

    name = "yuqing-board"
    page_fields = tuple(k for k in BOARD_SELECTORS if k not in _LIST_SELECTORS)
