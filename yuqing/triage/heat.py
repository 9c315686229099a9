"""How hot an event is: how many posts, from how many sources and platforms, and how fast it grows.

Growth is counted as the posts that surfaced (published, or fetched when the time is missing or
in the future) in the last 1, 6 and 24 hours before ``now``. A platform is the site a source
lives on (its host without ``www.``/``m.``), so ten feeds of one newspaper are one platform.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuqing.storage.schema import Post, Source
from yuqing.triage.deadlines import surfaced_at

CHUNK = 900
WINDOWS = (timedelta(hours=1), timedelta(hours=6), timedelta(hours=24))


@dataclass(frozen=True)
class Heat:
    posts: int = 0
    sources: int = 0
    platforms: int = 0
    last_1h: int = 0
    last_6h: int = 0
    last_24h: int = 0

    @property
    def score(self) -> float:
        """One figure for ordering: breadth (sources, platforms) weighs more than volume, and
        recent growth more than old posts. Logarithmic, so that a thousand reposts do not bury
        every other event."""
        return round(
            math.log1p(self.posts)
            + 2 * math.log1p(self.sources)
            + math.log1p(self.platforms)
            + 2 * math.log1p(self.last_6h)
            + math.log1p(self.last_1h),
            3,
        )

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "score": self.score}


def platform_of(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    for prefix in ("www.", "m.", "wap."):
        host = host.removeprefix(prefix)
    return host


def event_heat(session: Session, event_ids: Sequence[int], now: datetime) -> dict[int, Heat]:
    """Heat of each event in ``event_ids`` (events without posts are absent)."""
    rows_by_event: dict[int, list[tuple[int, str, datetime]]] = defaultdict(list)
    ids = sorted(set(event_ids))
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(Post.event_id, Post.source_id, Source.url, Post.published_at, Post.fetched_at)
            .join(Source, Source.id == Post.source_id)
            .where(Post.event_id.in_(ids[start : start + CHUNK]))
        )
        for event, source_id, url, published, fetched in rows:
            rows_by_event[event].append((source_id, url, surfaced_at(published, fetched)))
    return {event: _heat(rows, now) for event, rows in rows_by_event.items()}


def _heat(rows: Sequence[tuple[int, str, datetime]], now: datetime) -> Heat:
    recent = [sum(1 for *_, at in rows if now - window <= at <= now) for window in WINDOWS]
    return Heat(
        posts=len(rows),
        sources=len({source for source, _, _ in rows}),
        platforms=len({platform_of(url) for _, url, _ in rows}),
        last_1h=recent[0],
        last_6h=recent[1],
        last_24h=recent[2],
    )
