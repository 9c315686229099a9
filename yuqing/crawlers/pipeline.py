"""The Scrapy item pipeline that stores pages as posts, by the same path as feed entries:
``normalize_entry`` → canonical URL and content hash (``spiders.reader``, often in a worker
process) → ``store_posts`` (exact duplicates
dropped by the database's unique keys). A message board's reply seen on a message stored
earlier updates it (``storage.replies``).

Posts are stored in batches, each in its own transaction, so a crawl that dies half-way keeps
every batch stored before it. Counts go to the crawl's stats (``yuqing/stored``,
``yuqing/duplicates``, ``yuqing/updated``, ``yuqing/skipped_empty``) and a storage failure to
``yuqing/store_error``;
``crawlers.crawl`` reads them to report and to record the source's health.

Settings (all required but the batch size; ``crawlers.crawl`` sets them)::

    YUQING_DATABASE_URL   SQLAlchemy URL
    YUQING_SOURCE_ID      the source the posts belong to
    YUQING_NOW            ISO 8601 UTC time recorded as the posts' fetched_at
    YUQING_STORE_BATCH    posts per transaction (default 100)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from sqlalchemy.exc import SQLAlchemyError

from yuqing.crawlers.spiders.reader import ReadPage
from yuqing.storage.db import make_engine, session_factory, transaction
from yuqing.storage.posts import NewPost, store_posts
from yuqing.storage.replies import record_replies

DEFAULT_BATCH = 100


class StorePostsPipeline:
    def __init__(
        self,
        crawler: Crawler,
        database_url: str,
        source_id: int,
        fetched_at: datetime,
        batch_size: int,
    ) -> None:
        self.crawler = crawler
        self.database_url = database_url
        self.source_id = source_id
        self.fetched_at = fetched_at
        self.batch_size = batch_size
        self.pending: list[NewPost] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePostsPipeline:
        settings = crawler.settings
        database_url = settings.get("YUQING_DATABASE_URL")
        if not database_url:
            raise NotConfigured("YUQING_DATABASE_URL is not set: posts have nowhere to go")
        source_id = settings.getint("YUQING_SOURCE_ID", 0)
        if source_id <= 0:
            raise NotConfigured("YUQING_SOURCE_ID is not set: posts would belong to no source")
        try:
            fetched_at = datetime.fromisoformat(settings.get("YUQING_NOW", ""))
        except ValueError as exc:
            raise NotConfigured(f"YUQING_NOW is not an ISO 8601 time: {exc}") from exc
        if fetched_at.tzinfo is None:
            raise NotConfigured("YUQING_NOW must carry its UTC offset")
        batch = max(1, settings.getint("YUQING_STORE_BATCH", DEFAULT_BATCH))
        return cls(crawler, database_url, source_id, fetched_at, batch)

    def open_spider(self) -> None:
        self.engine_ = make_engine(self.database_url)
        self.sessions_ = session_factory(self.engine_)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ReadPage):
            return item
        post = item.post
        if post is None:
            self._stats().inc_value("yuqing/skipped_empty")
            return item
        self.pending.append(post)
        if len(self.pending) >= self.batch_size:
            self._flush()
        return item

    def close_spider(self) -> None:
        try:
            self._flush()
        finally:
            self.engine_.dispose()

    def _flush(self) -> None:
        batch, self.pending = self.pending, []
        if not batch:
            return
        stats = self._stats()
        try:
            with transaction(self.sessions_) as session:
                result = store_posts(session, self.source_id, batch, self.fetched_at)
                updated = record_replies(session, batch, self.fetched_at)
        except SQLAlchemyError as exc:
            # The batch rolled back; earlier batches stay stored. The crawl reports the failure,
            # and the next crawl fetches these pages again.
            cause = getattr(exc, "orig", None) or exc
            stats.set_value("yuqing/store_error", f"could not store posts: {cause}")
            stats.inc_value("yuqing/unstored", len(batch))
            return
        stats.inc_value("yuqing/stored", result.inserted)
        stats.inc_value("yuqing/duplicates", result.duplicates)
        stats.inc_value("yuqing/updated", updated)

    def _stats(self) -> Any:
        assert self.crawler.stats is not None
        return self.crawler.stats
