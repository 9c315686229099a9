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

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from yuqing.storage.in_lists import slices
from yuqing.storage.schema import Post, Source
from yuqing.triage.deadlines import surfaced_at_sql

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
    """Heat of each event in ``event_ids`` (events without posts are absent). Counted in SQL,
    one row per event and source, so that a story with ten thousand reposts costs no more to
    read than one with ten."""
    surfaced = surfaced_at_sql(Post.published_at, Post.fetched_at)
    recent = [
        func.sum(case((and_(surfaced >= now - window, surfaced <= now), 1), else_=0))
        for window in WINDOWS
    ]
    per_source: dict[int, list[tuple[str, int, int, int, int]]] = defaultdict(list)
    ids = sorted(set(event_ids))
    for chunk in slices(ids):
        rows = session.execute(
            select(Post.event_id, Source.url, func.count(Post.id), *recent)
            .join(Source, Source.id == Post.source_id)
            .where(Post.event_id.in_(chunk))
            .group_by(Post.event_id, Source.id, Source.url)
        )
        for event, url, posts, h1, h6, h24 in rows:
            per_source[event].append((url, posts, int(h1 or 0), int(h6 or 0), int(h24 or 0)))
    return {
        event: Heat(
            posts=sum(r[1] for r in rows),
            sources=len(rows),
            platforms=len({platform_of(r[0]) for r in rows}),
            last_1h=sum(r[2] for r in rows),
            last_6h=sum(r[3] for r in rows),
            last_24h=sum(r[4] for r in rows),
        )
        for event, rows in per_source.items()
    }
