"""Source health: when to try a failing source again, when to give up on it, and which sources
are due. Pure functions of ``now``; nothing here reads a clock.

Backoff after the n-th consecutive failure (n = 1, 2, ...):

- ``temporary`` / ``soft``: 15 min, 30 min, 1 h, 2 h, ... doubling, capped at 24 h.
- ``hard``: 15 min, 1 h, 4 h, 16 h, then 24 h: the source is probably gone, so we knock less
  often, yet a site that is down for an afternoon's migration still gets a few tries.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from yuqing.crawlers.errors import FAILURE_KINDS, HARD, SOFT

FIRST_DELAY = timedelta(minutes=15)
MAX_DELAY = timedelta(hours=24)
_GROWTH = {HARD: 4}  # temporary and soft double
#: 2**7 * 15 min already passes 24 h: larger exponents would only build huge numbers
_MAX_EXPONENT = 7

#: Consecutive failures after which a source is switched off, by the kind of the last failure.
#: hard: five in a row span 15 min + 1 h + 4 h + 16 h ≈ 21 h of "not found / no such host",
#:   long enough to ride out a site migration or a DNS slip, short enough not to knock daily
#:   on a door that is gone. Re-enabling is a person's decision.
#: soft: the source answers with something unusable (an HTML page where the feed was, an
#:   oversized body); ten in a row is about three days, enough for a webmaster to fix a glitch.
#: temporary: never. Outages end, and at the 24 h cap a dead source costs one request a day.
DISABLE_AFTER = {HARD: 5, SOFT: 10}


def next_attempt(now: datetime, consecutive_failures: int, kind: str) -> datetime:
    """When to try again after ``consecutive_failures`` failures in a row, the last of ``kind``."""
    _check_aware("now", now)
    _check_failures(consecutive_failures, kind)
    growth = _GROWTH.get(kind, 2)
    exponent = min(consecutive_failures - 1, _MAX_EXPONENT)
    return now + min(FIRST_DELAY * growth**exponent, MAX_DELAY)


def should_disable(consecutive_failures: int, kind: str) -> bool:
    """Whether a source that failed ``consecutive_failures`` times in a row should be switched
    off, the last failure being of ``kind``."""
    _check_failures(consecutive_failures, kind)
    limit = DISABLE_AFTER.get(kind)
    return limit is not None and consecutive_failures >= limit


def is_due(next_attempt_at: datetime | None, enabled: bool, now: datetime) -> bool:
    """The one "source is due for a fetch" predicate: enabled, and its time has come (a source
    never attempted, ``next_attempt_at`` None, is due at once)."""
    _check_aware("now", now)
    if not enabled:
        return False
    if next_attempt_at is None:
        return True
    _check_aware("next_attempt_at", next_attempt_at)
    return next_attempt_at <= now


def _check_failures(consecutive_failures: int, kind: str) -> None:
    if kind not in FAILURE_KINDS:
        raise ValueError(f"unknown failure kind {kind!r}; expected one of {FAILURE_KINDS}")
    if consecutive_failures < 1:
        raise ValueError(
            f"consecutive_failures must be at least 1 (this failure counts), "
            f"got {consecutive_failures}"
        )


def _check_aware(name: str, value: datetime) -> None:
    # SQLite hands DateTime columns back naive; say so here rather than fail later with
    # "can't compare offset-naive and offset-aware datetimes".
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware UTC datetime, got naive {value}")
