"""Times as pages print them, read as aware UTC. A time without a zone is Beijing time, as on
every Chinese government site (and as ``crawlers.feeds`` reads zone-less feed dates)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from yuqing.crawlers.feeds import NAIVE_DATES_ZONE

# 2026-11-20, 2026/11/20, 2026.11.20, 2026年11月20日, each optionally followed by a time of
# day (09:30, 09:30:15, 9时30分); found anywhere in a string such as
# "发布时间：2026-11-20 09:30 来源：…".
_PRINTED = re.compile(
    r"(?P<y>(?:19|20)\d\d)\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*(?:T|\s)?\s*(?P<H>\d{1,2})\s*[:时]\s*(?P<M>\d{1,2})\s*分?"
    r"(?:\s*[:分]?\s*(?P<S>\d{1,2})\s*秒?)?)?"
)


def parse_w3c_time(text: str) -> datetime | None:
    """A sitemap / Open Graph time (W3C datetime: ``2026-11-20``, ``2026-11-20T08:30+08:00``)
    as aware UTC. None when absent or unreadable."""
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return _as_utc(moment)


def parse_printed_time(text: str) -> datetime | None:
    """The first date (and time of day) printed in ``text``, as aware UTC; a full ISO 8601 time
    with its zone is honoured. None when there is none or it is not a real date."""
    exact = parse_w3c_time(text)
    if exact is not None:
        return exact
    match = _PRINTED.search(text)
    if match is None:
        return None
    parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
    try:
        moment = datetime(
            parts["y"],
            parts["m"],
            parts["d"],
            parts.get("H", 0),
            parts.get("M", 0),
            parts.get("S", 0),
        )
    except ValueError:  # 2026-02-30, 25:61
        return None
    return _as_utc(moment)


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return (moment - NAIVE_DATES_ZONE).replace(tzinfo=UTC)
    return moment.astimezone(UTC)
