"""Retries with backoff for Scrapy crawls.

Scrapy's RetryMiddleware re-queues a failed request (a timeout, a dropped connection, HTTP 500,
502, 503, 504, 408, 429 …) at once, so a struggling site gets the same request again within
milliseconds. This downloader middleware holds a retried request back before it is sent:
``YUQING_RETRY_BACKOFF`` seconds before the first retry, doubling for each further one, at most
``MAX_WAIT_S``. Other requests keep flowing meanwhile; only the retried one waits.
"""

from __future__ import annotations

import asyncio

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

MAX_WAIT_S = 60.0


class RetryBackoff:
    def __init__(self, base_s: float) -> None:
        self.base_s = base_s

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryBackoff:
        base = crawler.settings.getfloat("YUQING_RETRY_BACKOFF", 0.0)
        if base <= 0:
            raise NotConfigured("YUQING_RETRY_BACKOFF is 0: retries go out at once")
        return cls(base)

    def wait_before(self, request: Request) -> float:
        """Seconds to hold ``request`` back: 0 for a first attempt."""
        retries = request.meta.get("retry_times", 0)
        if retries <= 0:
            return 0.0
        return min(self.base_s * 2 ** (retries - 1), MAX_WAIT_S)

    async def process_request(self, request: Request) -> None:
        wait = self.wait_before(request)
        if wait:
            await asyncio.sleep(wait)
