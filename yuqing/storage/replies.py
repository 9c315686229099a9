"""Replies seen on stored message-board posts: the post is updated and the change recorded.

A board message is stored when first seen, usually before the government answers. When a later
crawl finds the reply (or a new status, or the addressee filled in), the stored post takes the
new values and a ``post_updates`` row keeps what was there before, so an analyst can tell when
the answer appeared. A value the page no longer shows never erases a stored one: a page that
failed to render its reply box must not undo a reply.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuqing.storage.posts import NewPost
from yuqing.storage.schema import Post, PostUpdate

#: the fields of a board post that a later crawl may fill in
REPLY_FIELDS = ("addressed_to", "reply_status", "reply_text", "replied_at")


def record_replies(session: Session, posts: Sequence[NewPost], now: datetime) -> int:
    """Update the stored posts among ``posts`` whose reply fields changed; returns how many."""
    seen = {p.canonical_url: p for p in posts if any(getattr(p, f) for f in REPLY_FIELDS)}
    if not seen:
        return 0
    updated = 0
    stored = session.scalars(select(Post).where(Post.canonical_url.in_(list(seen))))
    for post in stored:
        fresh = seen[post.canonical_url]
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for name in REPLY_FIELDS:
            new = getattr(fresh, name)
            old = getattr(post, name)
            if new is None or new == old:
                continue
            before[name], after[name] = _plain(old), _plain(new)
            setattr(post, name, new)
        if after:
            session.add(
                PostUpdate(
                    post_id=post.id, at=now, what="reply", detail={"before": before, "after": after}
                )
            )
            updated += 1
    session.flush()
    return updated


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value
