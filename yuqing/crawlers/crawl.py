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
import signal
import subprocess
import sys
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime, timedelta
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
from yuqing.crawlers.scaleout import (
    JOINED_STAT,
    REDIS_ERROR_STAT,
    ROUND_STAT,
    SharedFrontierError,
    shared_crawl_settings,
)
from yuqing.crawlers.spiders.base import CrawlOutcome, YuqingSpider
from yuqing.crawlers.spiders.listing import DEFAULT_RECHECK_DAYS, BoardSpider, SiteSpider
from yuqing.crawlers.spiders.reader import PageReader
from yuqing.crawlers.spiders.sitemap import SitemapSpider
from yuqing.storage.db import make_engine, session_factory, transaction
from yuqing.storage.errors import StorageError
from yuqing.storage.posts import stored_posts
from yuqing.storage.sources import get_source
from yuqing.workers import cpu_workers, process_pool

SPIDERS: dict[str, type[YuqingSpider]] = {
    "sitemap": SitemapSpider,
    "site": SiteSpider,
    "board": BoardSpider,
}
#: a source's options that override the run's limits (``crawl_options.NUMBERS``)
LIMIT_OPTIONS = {
    "delay": "download_delay",
    "concurrency": "concurrency_per_domain",
    "page_cap": "page_cap",
}
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
    #: seconds before the first retry of a request, doubling for each further one
    retry_backoff: float = 2.0
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
    #: stored posts updated (a board's reply seen on a message stored earlier)
    updated: int = 0
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


def scrapy_settings(limits: CrawlLimits, kind: str = "sitemap") -> dict[str, Any]:
    """Scrapy settings for one polite, bounded crawl of a ``kind`` source."""
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
        "YUQING_RETRY_BACKOFF": limits.retry_backoff,
        "DOWNLOADER_MIDDLEWARES": {"yuqing.crawlers.retry_backoff.RetryBackoff": 560},
        "DOWNLOAD_MAXSIZE": limits.max_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "CLOSESPIDER_PAGECOUNT": limits.page_cap,
        # Sitemaps nest a few levels at most; a site's list pages are counted by the spider
        # (``list_pages``), as each next page is one level deeper than the last.
        "DEPTH_LIMIT": limits.max_depth if kind == "sitemap" else 0,
        "REDIRECT_MAX_TIMES": HttpLimits().max_redirects,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        # Scrapy parses each generator callback's source on every response to warn about a
        # `return value` in it (its cache misses on bound methods): a few % of a crawl.
        "WARN_ON_GENERATOR_RETURN_VALUE": False,
        "COOKIES_ENABLED": False,
        # Scrapy starts CONCURRENT_ITEMS asyncio tasks (100 by default) for every response whose
        # callback is an async generator, as ours are; a page yields one item and a list page a
        # few dozen requests, so 100 tasks a page were a third of the crawl process's time.
        "CONCURRENT_ITEMS": 4,
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
    engine = make_engine(database_url)
    try:
        sessions = session_factory(engine)
        snap, kind, options = _load(sessions, source_name)
        limits = source_limits(limits or CrawlLimits(), options)
        with sessions() as session:
            known = stored_posts(session, snap.id, unsettled_since(kind, options, now))
        settings = {
            **scrapy_settings(limits, kind),
            "YUQING_DATABASE_URL": database_url,
            "YUQING_SOURCE_ID": snap.id,
            "YUQING_NOW": now.astimezone(UTC).isoformat(),
        }
        try:
            # With YUQING_REDIS_URL set, this process is one worker of the source's crawl round.
            settings.update(shared_crawl_settings(snap.id))
        except SharedFrontierError as exc:
            report = CrawlReport(snap.name, "failed", error=str(exc), error_kind=TEMPORARY)
            _record(sessions, snap, report, now)
            return report
        pool = reading_pool()
        try:
            process = CrawlerProcess(settings)
            crawler = process.create_crawler(SPIDERS[kind])
            reader = PageReader(pool)
            process.crawl(crawler, start_url=snap.url, options=options, known=known, reader=reader)
            process.start()
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
        stats = crawler.stats.get_stats() if crawler.stats else {}
        report = judge(snap.name, crawler.spider.outcome, stats, limits)  # type: ignore[union-attr]
        # A worker that joined a round and found no page left learnt nothing about the source:
        # its "ok" must not overwrite what the round's first worker recorded.
        if not (stats.get(JOINED_STAT) and report.status == "ok" and report.pages == 0):
            _record(sessions, snap, report, now)
        return report
    finally:
        engine.dispose()


def reading_pool() -> ProcessPoolExecutor | None:
    """One worker process that reads pages while this one fetches, where there is a core to
    spare (reading is most of a crawl's CPU); None on one core. Started before the reactor, so
    it is forked from a process with a single thread."""
    if cpu_workers() < 2:
        return None
    pool, _ = process_pool(1, preload=["yuqing.crawlers.spiders.reader"])
    return pool


def source_limits(limits: CrawlLimits, options: Mapping[str, Any]) -> CrawlLimits:
    """The run's limits with the source's own politeness options in their place: a site that
    asked for a 5-second delay gets it however the run was started."""
    own = {LIMIT_OPTIONS[k]: v for k, v in options.items() if k in LIMIT_OPTIONS}
    return replace(limits, **own)


def unsettled_since(kind: str, options: Mapping[str, Any], now: datetime) -> datetime | None:
    """For a board, the age below which a stored message without a reply is read again."""
    if kind != "board":
        return None
    return now - timedelta(days=options.get("recheck_days", DEFAULT_RECHECK_DAYS))


def judge(
    name: str, outcome: CrawlOutcome, stats: dict[str, Any], limits: CrawlLimits
) -> CrawlReport:
    """Whether the crawl failed, and the words for it."""
    finish = stats.get("finish_reason")
    counts = {
        "pages": outcome.pages_ok,
        "page_errors": len(outcome.page_errors),
        "stored": stats.get("yuqing/stored", 0),
        "duplicates": stats.get("yuqing/duplicates", 0),
        "updated": stats.get("yuqing/updated", 0),
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
        # a worker that joined a round listed nothing: out of the pages it fetched, then
        listed = outcome.pages_listed or outcome.pages_ok + len(outcome.page_errors)
        notes.append(
            f"{len(outcome.page_errors)} of {listed} pages failed: {quoted}"
            + (f"; and {more} more" if more > 0 else "")
        )
    if outcome.index_errors:
        notes.append(
            f"{len(outcome.index_errors)} {outcome.index_name}s failed: {outcome.index_errors[0]}"
        )
    if finish == "closespider_pagecount":
        notes.append(f"stopped at the cap of {limits.page_cap} pages; the rest waits for next time")
    notes.extend(n for n in outcome.notes if finish != "closespider_pagecount" or "cap" not in n)
    if outcome.missing:
        notes.append(
            "; ".join(
                f"the {key} selector matched nothing on {n} pages"
                for key, n in sorted(outcome.missing.items())
            )
        )
    if outcome.off_site:
        notes.append(f"{outcome.off_site} URLs on other hosts ignored")
    if stats.get(JOINED_STAT) and not (outcome.pages_ok or outcome.page_errors):
        notes.append(
            f"joined round {stats.get(ROUND_STAT)} of this source's crawl in another worker, "
            "which left no page for this one"
        )
    return CrawlReport(name, "ok", warning="; ".join(notes) or None, **counts)


def _failure(outcome: CrawlOutcome, stats: dict[str, Any]) -> tuple[str, str] | None:
    """(message, failure kind) when the crawl failed as a whole, else None."""
    if stats.get("yuqing/store_error"):
        return str(stats["yuqing/store_error"]), SOFT
    if stats.get(REDIS_ERROR_STAT):
        return str(stats[REDIS_ERROR_STAT]), TEMPORARY
    # A worker that joined a running round reads no index: the round's first worker does.
    if outcome.index_read == 0 and not stats.get(JOINED_STAT):
        if outcome.index_errors:
            first = outcome.index_errors[0]
            return f"{outcome.index_name} unusable: {first}", first.kind
        reason = stats.get("finish_reason")
        return f"the crawl ended ({reason}) before any {outcome.index_name} was read", TEMPORARY
    if outcome.page_errors and outcome.pages_ok == 0:
        first = outcome.page_errors[0]
        return f"all {len(outcome.page_errors)} pages failed, the first: {first}", first.kind
    return None


def _load(sessions: Any, source_name: str) -> tuple[SourceSnapshot, str, dict[str, Any]]:
    """The source, its kind and its options; ``UnsupportedSourceKind`` for a feed."""
    with sessions() as session:
        source = get_source(session, source_name)
        if source.kind not in SPIDERS:
            raise UnsupportedSourceKind(
                f"source {source.name!r} is of kind {source.kind!r}, which is not crawled "
                f"(crawled kinds: {', '.join(sorted(SPIDERS))})"
            )
        snap = SourceSnapshot(source.id, source.name, source.url, Validators())
        return snap, source.kind, dict(source.options or {})


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
        snap, _, _ = _load(sessions, source_name)
        command = [sys.executable, "-m", "yuqing.crawlers.crawl", source_name]
        command += _limit_args(limits)
        if now is not None:
            command += ["--now", now.astimezone(UTC).isoformat()]
        # Our own interpreter and module, arguments as a list (no shell): nothing to inject.
        # The URL goes in the environment, not the arguments, which `ps` shows to everyone.
        env = {**os.environ, "YUQING_DATABASE_URL": database_url}
        # Its own process group, so that its page-reading worker goes with it when it is killed
        # (an orphaned worker would hold the pipes open and hang this wait).
        with subprocess.Popen(  # noqa: S603
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        ) as child:
            try:
                stdout, stderr = child.communicate(timeout=timeout_s)
            except KeyboardInterrupt:
                _kill_group(child)
                raise
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
        pass
    _kill_group(child)
    child.communicate()


def _kill_group(child: subprocess.Popen[bytes]) -> None:
    """SIGKILL to the crawl and every process it started (its group, see ``start_new_session``)."""
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # all gone already


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
