"""Storing posts once: exact duplicates (same canonical URL or same content hash) are dropped."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from yuqing.storage.schema import Classification, Post

#: stay well under SQLite's bound-parameter limit in IN (...) lookups
LOOKUP_CHUNK = 500


@dataclass(frozen=True)
class NewPost:
    canonical_url: str
    guid: str | None
    title: str
    text: str
    original_text: str
    author: str | None
    published_at: datetime | None
    content_hash: str


@dataclass(frozen=True)
class StoreResult:
    inserted: int
    duplicates: int


def store_posts(
    session: Session, source_id: int, posts: Sequence[NewPost], fetched_at: datetime
) -> StoreResult:
    fresh = _drop_known(session, _drop_repeats(posts))
    rows: list[dict[str, Any]] = [
        {**asdict(p), "source_id": source_id, "fetched_at": fetched_at} for p in fresh
    ]
    inserted = 0
    if rows:
        # A concurrent ingest may have stored the same post since the lookup: let the unique
        # constraints decide instead of failing the whole batch.
        result = session.connection().execute(_insert_ignoring_conflicts(session), rows)
        inserted = (
            result.rowcount if result.rowcount is not None and result.rowcount >= 0 else len(rows)
        )
    return StoreResult(inserted=inserted, duplicates=len(posts) - inserted)


def _drop_repeats(posts: Iterable[NewPost]) -> list[NewPost]:
    seen_urls: set[str] = set()
    seen_hashes: set[str] = set()
    unique = []
    for post in posts:
        if post.canonical_url in seen_urls or post.content_hash in seen_hashes:
            continue
        seen_urls.add(post.canonical_url)
        seen_hashes.add(post.content_hash)
        unique.append(post)
    return unique


def _drop_known(session: Session, posts: list[NewPost]) -> list[NewPost]:
    known_urls: set[str] = set()
    known_hashes: set[str] = set()
    for start in range(0, len(posts), LOOKUP_CHUNK):
        chunk = posts[start : start + LOOKUP_CHUNK]
        known_urls.update(
            session.scalars(
                select(Post.canonical_url).where(
                    Post.canonical_url.in_([p.canonical_url for p in chunk])
                )
            )
        )
        known_hashes.update(
            session.scalars(
                select(Post.content_hash).where(
                    Post.content_hash.in_([p.content_hash for p in chunk])
                )
            )
        )
    return [
        p for p in posts if p.canonical_url not in known_urls and p.content_hash not in known_hashes
    ]


def _insert_ignoring_conflicts(session: Session) -> Any:
    table = Post.__table__
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return insert(table)


def untriaged(
    model_version: str, since: datetime | None = None, after_id: int = 0
) -> Select[tuple[Post]]:
    """Posts never classified; with ``since``, posts fetched since then that ``model_version`` has
    not classified yet (re-triage after a new model, keeping earlier models' results)."""
    query = select(Post).where(Post.id > after_id).order_by(Post.id)
    if since is None:
        return query.where(~exists().where(Classification.post_id == Post.id))
    return query.where(
        Post.fetched_at >= since,
        ~exists().where(
            (Classification.post_id == Post.id) & (Classification.model_version == model_version)
        ),
    )
