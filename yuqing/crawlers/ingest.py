"""Feed ingestion: fetch every due source, parse, normalise, deduplicate and store its posts.

Each source is fetched and prepared on its own (``prepare_source`` is a pure function of a
snapshot, so it can run in a worker), then stored in its own transaction together with its health,
so one broken source never stops the others and never loses what was already stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from yuqing.config import HttpLimits
from yuqing.crawlers.errors import CrawlError
from yuqing.crawlers.feeds import FeedEntry, parse_feed
from yuqing.crawlers.fetch import FetchResult, Validators, fetch, make_client
from yuqing.crawlers.health import is_due, next_attempt, should_disable
from yuqing.crawlers.normalize import NormalizedPost, normalize_entry
from yuqing.crawlers.sources import FEED
from yuqing.crawlers.urls import canonicalize_url
from yuqing.storage.db import transaction
from yuqing.storage.posts import NewPost, store_posts
from yuqing.storage.schema import Source
from yuqing.workers import cpu_workers, process_pool

#: fetching is network-bound: a few requests in flight hide each other's latency
FETCH_WORKERS = 8
#: below this many sources, starting worker processes costs more than it saves
PARSE_POOL_MIN_SOURCES = 16
#: column widths of posts.canonical_url / guid and posts.author
MAX_KEY = 2000
MAX_AUTHOR = 300


@dataclass(frozen=True)
class SourceSnapshot:
    id: int
    name: str
    url: str
    validators: Validators


@dataclass(frozen=True)
class Prepared:
    """What one fetch produced, before anything is stored."""

    snapshot: SourceSnapshot
    status: str  # fetched | not_modified | unchanged | failed
    validators: Validators | None = None
    posts: list[NewPost] = field(default_factory=list)
    skipped_empty: int = 0
    skipped_bad_link: int = 0
    warning: str | None = None
    error: str | None = None
    error_kind: str | None = None


@dataclass(frozen=True)
class SourceReport:
    name: str
    status: str
    new_posts: int = 0
    duplicates: int = 0
    skipped_empty: int = 0
    warning: str | None = None
    error: str | None = None
    disabled: bool = False


def entry_key(
    entry: FeedEntry,
    content_hash: str,
    base_url: str,
    source_id: int,
    shared: set[str] = frozenset(),
) -> str:
    """The identity a post is stored under: its canonical link; without a usable link its guid
    (scoped to the source, since guids are only unique within one feed); else its content.
    A link in ``shared`` is one the feed gives to several different entries (its home page,
    typically), so it identifies none of them."""
    for candidate in (entry.link, entry.guid):
        if candidate and candidate.startswith(("http://", "https://", "/")):
            try:
                url = canonicalize_url(candidate, base=base_url)
            except ValueError:
                continue
            if url not in shared and len(url) <= MAX_KEY:  # absurd links are link-farm noise
                return url
    if entry.guid and f"guid:{source_id}:{entry.guid.strip()}" not in shared:
        return f"guid:{source_id}:{entry.guid.strip()}"[:MAX_KEY]
    return f"hash:{content_hash}"


def new_post(
    norm: NormalizedPost,
    key: str,
    *,
    guid: str | None,
    author: str | None,
    published: datetime | None,
) -> NewPost:
    """The row for one normalised post, cut to the columns' widths: the one place where feed
    entries and crawled pages become posts."""
    return NewPost(
        canonical_url=key,
        guid=guid[:MAX_KEY] if guid else None,
        title=norm.title,
        text=norm.text,
        original_text=norm.original_text,
        author=author[:MAX_AUTHOR] if author else None,
        published_at=published,
        content_hash=norm.content_hash,
    )


def to_posts(entries: list[FeedEntry], base_url: str, source_id: int) -> tuple[list[NewPost], int]:
    """Normalise entries into posts; entries with no text at all are skipped and counted."""
    kept = []
    for entry in entries:
        norm = normalize_entry(entry.title, entry.html)
        if norm.title or norm.text:
            kept.append((entry, norm, entry_key(entry, norm.content_hash, base_url, source_id)))
    # Keys that different entries share cannot tell them apart: key those entries again.
    contents: dict[str, set[str]] = {}
    for _, norm, key in kept:
        contents.setdefault(key, set()).add(norm.content_hash)
    shared = {key for key, hashes in contents.items() if len(hashes) > 1}
    posts = [
        new_post(
            norm,
            entry_key(entry, norm.content_hash, base_url, source_id, shared)
            if key in shared
            else key,
            guid=entry.guid,
            author=entry.author,
            published=entry.published,
        )
        for entry, norm, key in kept
    ]
    return posts, len(entries) - len(kept)


def parse_fetched(snap: SourceSnapshot, result: FetchResult) -> Prepared:
    """Parse and normalise a fetched body (runs in a worker process for large runs)."""
    assert result.body is not None
    try:
        feed = parse_feed(result.body, result.headers, result.final_url)
        posts, empty = to_posts(feed.entries, result.final_url, snap.id)
    except CrawlError as exc:
        return Prepared(snap, "failed", error=str(exc), error_kind=getattr(exc, "kind", "soft"))
    except Exception as exc:  # a bug met on hostile input must not stop the other sources
        error = f"internal error reading the feed ({type(exc).__name__}: {exc}); please report it"
        return Prepared(snap, "failed", error=error, error_kind="soft")
    return Prepared(snap, "fetched", result.validators, posts, empty, warning=feed.warning)


def prepare_source(
    client: httpx.Client,
    limits: HttpLimits,
    snap: SourceSnapshot,
    parsers: ProcessPoolExecutor | None = None,
) -> Prepared:
    """Fetch and parse one source; every crawler error becomes a ``failed`` result."""
    try:
        result = fetch(client, snap.url, limits, snap.validators)
    except CrawlError as exc:
        return Prepared(snap, "failed", error=str(exc), error_kind=getattr(exc, "kind", "soft"))
    if result.status != "fetched" or result.body is None:
        return Prepared(snap, result.status, validators=result.validators)
    if parsers is not None:
        try:
            return parsers.submit(parse_fetched, snap, result).result()
        except BrokenProcessPool:
            pass  # a worker was killed (out of memory, a signal): carry on in this process
    return parse_fetched(snap, result)


def record(session: Session, prepared: Prepared, now: datetime) -> SourceReport:
    """Store one source's posts and health in the caller's transaction."""
    if prepared.status == "failed":
        return _record_failure(session, prepared, now)
    health: dict[str, Any] = {
        "last_attempt_at": now,
        "last_success_at": now,
        "consecutive_failures": 0,
        "last_error": None,
        "last_error_kind": None,
        "next_attempt_at": None,
    }
    if prepared.status == "fetched":
        health["last_warning"] = prepared.warning
    if prepared.validators is not None:
        health["etag"] = prepared.validators.etag
        health["last_modified"] = prepared.validators.last_modified
        health["last_body_hash"] = prepared.validators.body_hash
    # One UPDATE, no load: this runs once per source on every cycle.
    sources = Source.__table__
    updated = session.connection().execute(
        update(sources).where(sources.c.id == prepared.snapshot.id).values(**health)
    )
    if updated.rowcount == 0:  # deleted while we were fetching
        return SourceReport(prepared.snapshot.name, "gone")
    stored = store_posts(session, prepared.snapshot.id, prepared.posts, now)
    return SourceReport(
        prepared.snapshot.name,
        prepared.status,
        new_posts=stored.inserted,
        duplicates=stored.duplicates,
        skipped_empty=prepared.skipped_empty,
        warning=prepared.warning,
    )


def _record_failure(session: Session, prepared: Prepared, now: datetime) -> SourceReport:
    source = session.get(Source, prepared.snapshot.id)
    if source is None:  # deleted while we were fetching
        return SourceReport(prepared.snapshot.name, "gone")
    kind = prepared.error_kind or "soft"
    source.last_attempt_at = now
    source.consecutive_failures += 1
    source.last_error = prepared.error
    source.last_error_kind = kind
    source.next_attempt_at = next_attempt(now, source.consecutive_failures, kind)
    if should_disable(source.consecutive_failures, kind):
        source.enabled = False
    return SourceReport(source.name, "failed", error=prepared.error, disabled=not source.enabled)


def due_sources(
    session: Session, now: datetime, names: list[str] | None = None, force: bool = False
) -> list[SourceSnapshot]:
    """Sources to fetch now: the named ones (always), else every enabled source out of backoff."""
    # Feeds only: other kinds are crawled, each in a process of its own (`yuqing crawl`).
    query = select(Source).where(Source.kind == FEED).order_by(Source.id)
    if names:
        query = query.where(Source.name.in_(names))
    snaps = []
    for s in session.scalars(query):
        if names or force or is_due(s.next_attempt_at, s.enabled, now):
            validators = Validators(s.etag, s.last_modified, s.last_body_hash)
            snaps.append(SourceSnapshot(s.id, s.name, s.url, validators))
    return snaps


def ingest(
    sessions: sessionmaker[Session],
    limits: HttpLimits,
    now: Callable[[], datetime],
    names: list[str] | None = None,
    force: bool = False,
    parsers: ProcessPoolExecutor | None = None,
    client: httpx.Client | None = None,
) -> Iterator[SourceReport]:
    """Fetch the due (or named) sources and store what they hold; yields one report per source
    as soon as it is stored. Feeds are parsed in ``parsers`` when given (the caller's pool),
    else in a pool of this call's own when there are many sources. ``client`` is the caller's
    long-lived HTTP client (left open); without one, the call makes its own."""
    with sessions() as session:
        snaps = due_sources(session, now(), names, force)
    own = None
    if parsers is None and cpu_workers() > 1 and len(snaps) >= PARSE_POOL_MIN_SOURCES:
        # Created before the fetch threads, so that its workers can be forked safely.
        own, _ = process_pool(cpu_workers(), preload=["yuqing.crawlers.ingest"])
        parsers = own
    with (
        nullcontext(client) if client is not None else make_client(limits) as http,
        # One source (the scheduler's turn for it) is fetched in the calling thread: a pool
        # would start a thread per turn, many times a second with hundreds of sources.
        ThreadPoolExecutor(FETCH_WORKERS) if len(snaps) > 1 else nullcontext() as pool,
        own or nullcontext(),
    ):
        if pool is None:
            results = (prepare_source(http, limits, snap, parsers) for snap in snaps)
        else:
            futures = [pool.submit(prepare_source, http, limits, snap, parsers) for snap in snaps]
            results = (future.result() for future in futures)
        for prepared in results:
            try:
                with transaction(sessions) as session:
                    report = record(session, prepared, now())
            except SQLAlchemyError as exc:
                # The transaction rolled back, so nothing half-stored remains; record the failure
                # on the source and go on with the others.
                failed = Prepared(
                    prepared.snapshot,
                    "failed",
                    error=f"could not store posts: {exc.orig or exc}",
                    error_kind="soft",
                )
                with transaction(sessions) as session:
                    report = record(session, failed, now())
            yield report
