"""Storing posts once: exact duplicates (same canonical URL or same content hash) are dropped."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

from yuqing.storage.bulk import insert_many
from yuqing.storage.schema import Classification, Post


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
    # A message board's message (``None`` for every other post).
    addressed_to: str | None = None
    reply_status: str | None = None
    reply_text: str | None = None
    replied_at: datetime | None = None


@dataclass(frozen=True)
class StoreResult:
    inserted: int
    duplicates: int


def store_posts(
    session: Session, source_id: int, posts: Sequence[NewPost], fetched_at: datetime
) -> StoreResult:
    """Insert the posts not stored yet. Duplicates within the batch are dropped here; those
    already in the database are skipped by the unique constraints (ON CONFLICT DO NOTHING),
    which also settles a race with a concurrent ingest."""
    rows: list[dict[str, Any]] = [
        # vars(), not asdict(): asdict deep-copies every value, a third of this function's time
        {**vars(p), "source_id": source_id, "fetched_at": fetched_at}
        for p in _drop_repeats(posts)
    ]
    inserted = 0
    if rows:
        inserted = insert_many(session.connection(), Post.__table__, rows, ignore_conflicts=True)
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


def stored_posts(
    session: Session, source_id: int, unsettled_since: datetime | None = None
) -> dict[str, bool]:
    """The canonical URLs of a source's stored posts, each with whether it is *settled*.

    Without ``unsettled_since`` every post is settled. With it, a post is unsettled while it has
    no reply and was published (else fetched) since then: a board message still waiting for
    its answer, which a crawl reads again.
    """
    if unsettled_since is None:
        urls = session.scalars(select(Post.canonical_url).where(Post.source_id == source_id))
        return dict.fromkeys(urls, True)
    settled = or_(
        Post.reply_text.is_not(None),
        Post.replied_at.is_not(None),
        func.coalesce(Post.published_at, Post.fetched_at) < unsettled_since,
    )
    rows = session.execute(select(Post.canonical_url, settled).where(Post.source_id == source_id))
    return {url: bool(done) for url, done in rows}
