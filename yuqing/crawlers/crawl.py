"""One Scrapy crawl of one source, and the way to run it in a child process.

Twisted's reactor cannot be restarted, so a process runs at most one ``run_crawl``; a long-lived
caller (the scheduler, the CLI) uses ``crawl_in_subprocess``, which starts
``python -m yuqing.crawlers.crawl SOURCE --database-url URL`` and reads the one JSON line it
prints. A child that outlives its time limit is killed and the source records why; the batches
it stored before that stay stored.

The source's health is recorded with ``ingest.record``, exactly as for a feed: success clears
the failures; a failed crawl (sitemap unreachable or not a sitemap, robots.txt forbidding it,
every page failing, the time limit) sets ``last_error`` in words and the backoff.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from typing import Any

from scrapy.crawler import CrawlerProcess

from yuqing.config import ConfigError, HttpLimits
from yuqing.crawlers.errors import (
    SOFT,
    TEMPORARY,
    CrawlError,
    CrawlProcessFailed,
    UnsupportedSourceKind,
)
from yuqing.crawlers.fetch import Validators
from yuqing.crawlers.ingest import Prepared, SourceSnapshot, record
from yuqing.crawlers.spiders.sitemap import SitemapOutcome, SitemapSpider
from yuqing.storage.db import make_engine, session_factory, transaction
from yuqing.storage.errors import StorageError
from yuqing.storage.sources import get_source

SPIDERS = {"sitemap": SitemapSpider}
#: page errors quoted in a report's warning; the rest are counted
QUOTED_ERRORS = 3


@dataclass(frozen=True)
class CrawlLimits:
    """Politeness and safety limits of one crawl (defaults for a public government site)."""

    #: responses per crawl, robots.txt and sitemaps included: a trap ends here
    page_cap: int = 1000
    #: sitemap index → sitemap → page is depth 2; deeper nesting is a trap
    max_depth: int = 4
    #: seconds between two requests to one site (AutoThrottle starts here and adapts)
    download_delay: float = 1.0
    concurrency_per_domain: int = 2
    download_timeout: float = 30.0
    retry_times: int = 2
    max_bytes: int = HttpLimits().max_bytes
    user_agent: str = HttpLimits().user_agent


@dataclass(frozen=True)
class CrawlReport:
    source: str
    #: ok | failed
    status: str
    pages: int = 0
    page_errors: int = 0
    stored: int = 0
    duplicates: int = 0
    skipped_empty: int = 0
    error: str | None = None
    #: temporary | soft | hard (``crawlers.errors``): drives the backoff
    error_kind: str | None = None
    warning: str | None = None
    #: Scrapy's finish reason (finished, closespider_pagecount, ...), or killed
    finish_reason: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str) -> CrawlReport:
        data = json.loads(line)
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


def scrapy_settings(limits: CrawlLimits) -> dict[str, Any]:
    """Scrapy settings for one polite, bounded crawl."""
    return {
        "ROBOTSTXT_OBEY": True,
        "USER_AGENT": limits.user_agent,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": limits.download_delay,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(limits.concurrency_per_domain),
        "DOWNLOAD_DELAY": limits.download_delay,
        "CONCURRENT_REQUESTS_PER_DOMAIN": limits.concurrency_per_domain,
        "DOWNLOAD_TIMEOUT": limits.download_timeout,
        "RETRY_ENABLED": limits.retry_times > 0,
        "RETRY_TIMES": limits.retry_times,
        "DOWNLOAD_MAXSIZE": limits.max_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "CLOSESPIDER_PAGECOUNT": limits.page_cap,
        "DEPTH_LIMIT": limits.max_depth,
        "REDIRECT_MAX_TIMES": HttpLimits().max_redirects,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "COOKIES_ENABLED": False,
        # Only http and https: no file://, ftp://, s3:// or data: URL from a sitemap or redirect.
        "DOWNLOAD_HANDLERS": {"file": None, "ftp": None, "s3": None, "data": None},
        "ITEM_PIPELINES": {"yuqing.crawlers.pipeline.StorePostsPipeline": 300},
    }


def run_crawl(
    database_url: str,
    source_name: str,
    now: datetime,
    limits: CrawlLimits | None = None,
) -> CrawlReport:
    """Crawl one source in this process (at most once per process), store its pages and
    record its health. Raises ``NotFound`` for an unknown source, ``UnsupportedSourceKind``."""
    limits = limits or CrawlLimits()
    engine = make_engine(database_url)
    try:
        sessions = session_factory(engine)
        snap, spider_cls = _load(sessions, source_name)
        settings = {
            **scrapy_settings(limits),
            "YUQING_DATABASE_URL": database_url,
            "YUQING_SOURCE_ID": snap.id,
            "YUQING_NOW": now.astimezone(UTC).isoformat(),
        }
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(spider_cls)
        process.crawl(crawler, sitemap_url=snap.url)
        process.start()
        stats = crawler.stats.get_stats() if crawler.stats else {}
        report = judge(snap.name, crawler.spider.outcome, stats, limits)  # type: ignore[union-attr]
        _record(sessions, snap, report, now)
        return report
    finally:
        engine.dispose()


def judge(
    name: str, outcome: SitemapOutcome, stats: dict[str, Any], limits: CrawlLimits
) -> CrawlReport:
    """Whether the crawl failed, and the words for it."""
    finish = stats.get("finish_reason")
    counts = {
        "pages": outcome.pages_ok,
        "page_errors": len(outcome.page_errors),
        "stored": stats.get("yuqing/stored", 0),
        "duplicates": stats.get("yuqing/duplicates", 0),
        "skipped_empty": stats.get("yuqing/skipped_empty", 0),
        "finish_reason": finish,
    }
    failure = _failure(outcome, stats)
    if failure is not None:
        error, kind = failure
        return CrawlReport(name, "failed", error=error, error_kind=kind, **counts)
    notes = []
    if outcome.page_errors:
        quoted = "; ".join(str(e) for e in outcome.page_errors[:QUOTED_ERRORS])
        more = len(outcome.page_errors) - QUOTED_ERRORS
        notes.append(
            f"{len(outcome.page_errors)} of {outcome.pages_listed} pages failed: {quoted}"
            + (f"; and {more} more" if more > 0 else "")
        )
    if outcome.sitemap_errors:
        notes.append(f"{len(outcome.sitemap_errors)} sitemaps failed: {outcome.sitemap_errors[0]}")
    if finish == "closespider_pagecount":
        notes.append(f"stopped at the cap of {limits.page_cap} pages; the rest waits for next time")
    if outcome.off_site:
        notes.append(f"{outcome.off_site} URLs on other hosts ignored")
    return CrawlReport(name, "ok", warning="; ".join(notes) or None, **counts)


def _failure(outcome: SitemapOutcome, stats: dict[str, Any]) -> tuple[str, str] | None:
    """(message, failure kind) when the crawl failed as a whole, else None."""
    if stats.get("yuqing/store_error"):
        return str(stats["yuqing/store_error"]), SOFT
    if outcome.sitemaps_read == 0:
        if outcome.sitemap_errors:
            first = outcome.sitemap_errors[0]
            return f"sitemap unusable: {first}", first.kind
        reason = stats.get("finish_reason")
        return f"the crawl ended ({reason}) before any sitemap was read", TEMPORARY
    if outcome.page_errors and outcome.pages_ok == 0:
        first = outcome.page_errors[0]
        return f"all {len(outcome.page_errors)} pages failed, the first: {first}", first.kind
    return None


def _load(sessions: Any, source_name: str) -> tuple[SourceSnapshot, type[SitemapSpider]]:
    with sessions() as session:
        source = get_source(session, source_name)
        spider_cls = SPIDERS.get(source.kind)
        if spider_cls is None:
            raise UnsupportedSourceKind(
                f"source {source.name!r} is of kind {source.kind!r}, which is not crawled "
                f"(crawled kinds: {', '.join(sorted(SPIDERS))})"
            )
        return SourceSnapshot(source.id, source.name, source.url, Validators()), spider_cls


def _record(
    sessions: Any,
    snap: SourceSnapshot,
    report: CrawlReport,
    now: datetime,
) -> None:
    if report.status == "ok":
        prepared = Prepared(snap, "fetched", warning=report.warning)
    else:
        prepared = Prepared(snap, "failed", error=report.error, error_kind=report.error_kind)
    with transaction(sessions) as session:
        record(session, prepared, now)


def crawl_in_subprocess(
    database_url: str,
    source_name: str,
    timeout_s: float,
    limits: CrawlLimits | None = None,
    now: datetime | None = None,
) -> CrawlReport:
    """Run one crawl in a child process (``python -m yuqing.crawlers.crawl``), so that crawls
    can run again and again from one long-lived process. Past ``timeout_s`` the child is asked
    to stop, then killed (see :func:`_stop`), and the source records it. Raises ``NotFound`` /
    ``UnsupportedSourceKind`` before starting anything, and ``CrawlProcessFailed`` (also
    recorded) when the child dies without a report."""
    limits = limits or CrawlLimits()
    engine = make_engine(database_url)
    try:
        sessions = session_factory(engine)
        snap, _ = _load(sessions, source_name)
        command = [sys.executable, "-m", "yuqing.crawlers.crawl", source_name]
        command += _limit_args(limits)
        if now is not None:
            command += ["--now", now.astimezone(UTC).isoformat()]
        # Our own interpreter and module, arguments as a list (no shell): nothing to inject.
        # The URL goes in the environment, not the arguments, which `ps` shows to everyone.
        env = {**os.environ, "YUQING_DATABASE_URL": database_url}
        with subprocess.Popen(  # noqa: S603
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
        ) as child:
            try:
                stdout, stderr = child.communicate(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                _stop(child, grace_s=min(STOP_GRACE_S, timeout_s / 4))
                report = CrawlReport(
                    snap.name,
                    "failed",
                    error=f"crawl exceeded its time limit of {timeout_s:g} s",
                    error_kind=TEMPORARY,
                    finish_reason="killed",
                )
                _record(sessions, snap, report, now or datetime.now(UTC))
                return report
        done = subprocess.CompletedProcess(command, child.returncode, stdout, stderr)
        lines = done.stdout.decode("utf-8", "replace").strip().splitlines()
        if lines:
            try:
                return CrawlReport.from_json(lines[-1])
            except (ValueError, TypeError, KeyError):
                pass  # not a report: handled below as a crash
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        message = f"crawl process exited with code {done.returncode}: {tail[0][:300]}"
        failed = CrawlReport(snap.name, "failed", error=message, error_kind=TEMPORARY)
        _record(sessions, snap, failed, now or datetime.now(UTC))
        raise CrawlProcessFailed(message)
    finally:
        engine.dispose()


#: past its time limit, how long a crawl gets to close cleanly before it is killed
STOP_GRACE_S = 15.0


def _stop(child: subprocess.Popen[bytes], grace_s: float) -> None:
    """SIGTERM first: Scrapy then closes the spider and the pipeline stores its last batch.
    Whatever is still running after ``grace_s`` is killed; committed batches stay stored."""
    child.terminate()
    try:
        child.communicate(timeout=grace_s)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()


def _limit_args(limits: CrawlLimits) -> list[str]:
    args = []
    for f in fields(CrawlLimits):
        args += [f"--{f.name.replace('_', '-')}", str(getattr(limits, f.name))]
    return args


def main(argv: list[str] | None = None) -> int:
    """``python -m yuqing.crawlers.crawl SOURCE --database-url URL``: one crawl, one JSON line.

    Exit status 0 when the crawl succeeded, 1 when it failed (the report says why), 2 when it
    could not start (unknown source, wrong kind, bad database URL: the message is on stderr).
    """
    parser = argparse.ArgumentParser(
        prog="python -m yuqing.crawlers.crawl",
        description="Crawl one source in this process and print its report as one JSON line.",
        epilog="example: python -m yuqing.crawlers.crawl 临江市政府新闻 "
        "--database-url sqlite:///var/yuqing.db",
    )
    parser.add_argument("source", help="the source's name")
    parser.add_argument(
        "--database-url", help="SQLAlchemy URL (default: YUQING_DATABASE_URL, then the settings')"
    )
    parser.add_argument("--now", help="ISO 8601 time with offset to record (default: now)")
    defaults = CrawlLimits()
    for f in fields(CrawlLimits):
        value = getattr(defaults, f.name)
        parser.add_argument(f"--{f.name.replace('_', '-')}", type=type(value), default=value)
    args = parser.parse_args(argv)
    limits = CrawlLimits(**{f.name: getattr(args, f.name) for f in fields(CrawlLimits)})
    try:
        database_url = args.database_url or _default_database_url()
        now = datetime.fromisoformat(args.now) if args.now else datetime.now(UTC)
        if now.tzinfo is None:
            raise ValueError(f"--now {args.now!r} has no UTC offset")
        report = run_crawl(database_url, args.source, now, limits)
    except (CrawlError, StorageError, ConfigError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report.to_json(), flush=True)
    return 0 if report.status == "ok" else 1


def _default_database_url() -> str:
    from yuqing.config import load_settings

    return load_settings().database_url


if __name__ == "__main__":
    sys.exit(main())
