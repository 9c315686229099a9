"""Reading and writing sources, with their health and post counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from yuqing.crawlers.sources import SourceSpec
from yuqing.storage.errors import DuplicateSource, NotFound
from yuqing.storage.schema import Post, Source

JURISDICTION = ("region_code", "region_name", "level", "department")
#: what a sources file or OPML list says about a source, and so what syncing it updates
DECLARED = ("kind", *JURISDICTION, "options", "every")


def add_source(session: Session, spec: SourceSpec, now: datetime) -> Source:
    """Add a new source; raise :class:`DuplicateSource` if its name or URL is taken."""
    clash = session.scalar(
        select(Source).where((Source.name == spec.name) | (Source.url == spec.url))
    )
    if clash is not None:
        field = "name" if clash.name == spec.name else "URL"
        raise DuplicateSource(
            f"a source with that {field} already exists: {clash.name} ({clash.url})"
        )
    source = Source(
        name=spec.name,
        url=spec.url,
        created_at=now,
        consecutive_failures=0,
        enabled=True,
        **{k: getattr(spec, k) for k in DECLARED},
    )
    session.add(source)
    session.flush()
    return source


def sync_sources(session: Session, specs: list[SourceSpec], now: datetime) -> tuple[int, int]:
    """Add sources not yet known (matched by URL, then by name) and refresh the jurisdiction of
    known ones. Never deletes: a source dropped from a file keeps its stored posts.
    Returns (added, updated)."""
    added = updated = 0
    by_url = {s.url: s for s in session.scalars(select(Source))}
    by_name = {s.name: s for s in by_url.values()}
    for spec in specs:
        existing = by_url.get(spec.url) or by_name.get(spec.name)
        if existing is None:
            source = add_source(session, spec, now)
            by_url[source.url], by_name[source.name] = source, source
            added += 1
            continue
        changes = {
            k: getattr(spec, k)
            for k in (*DECLARED, "name", "url")
            if getattr(existing, k) != getattr(spec, k)
        }
        if changes:
            for key, value in changes.items():
                setattr(existing, key, value)
            updated += 1
    session.flush()
    return added, updated


def get_source(session: Session, name: str) -> Source:
    source = session.scalar(select(Source).where(Source.name == name))
    if source is None:
        known = session.scalars(select(Source.name).order_by(Source.name)).all()
        hint = f"; known sources: {', '.join(known)}" if known else "; no sources yet"
        raise NotFound(f"unknown source {name!r}{hint}")
    return source


def set_enabled(session: Session, name: str, enabled: bool) -> Source:
    """Switch a source on or off. Switching on forgets its failures, so it is fetched at the
    next ingest instead of waiting out the backoff it earned while broken."""
    source = get_source(session, name)
    source.enabled = enabled
    if enabled:
        source.consecutive_failures = 0
        source.next_attempt_at = None
    return source


@dataclass(frozen=True)
class SourceRow:
    source: Source
    posts: int
    #: posts stored in the last 24 hours
    recent: int = 0


def list_sources(session: Session, now: datetime | None = None) -> list[SourceRow]:
    """Every source with its post count and, given ``now``, the posts of the last 24 hours."""
    since = (now - timedelta(hours=24)) if now is not None else None
    recent = func.count(Post.id).filter(Post.fetched_at >= since) if since else literal(0)
    counts = (
        select(Post.source_id, func.count(Post.id).label("n"), recent.label("recent"))
        .group_by(Post.source_id)
        .subquery()
    )
    rows = session.execute(
        select(Source, func.coalesce(counts.c.n, 0), func.coalesce(counts.c.recent, 0))
        .outerjoin(counts, counts.c.source_id == Source.id)
        .order_by(Source.name)
    )
    return [SourceRow(source, int(n), int(r)) for source, n, r in rows]


def to_spec(source: Source) -> SourceSpec:
    return SourceSpec(name=source.name, url=source.url, **{k: getattr(source, k) for k in DECLARED})
