"""Response deadlines, section 三 of the notice.

对涉及特别重大、重大突发事件的政务舆情 … 最迟应在24小时内举行新闻发布会，
对其他政务舆情应在48小时内予以回应.

The clock runs from when the opinion surfaced (the post's publication time), not from when we
noticed it: a post we fetch a day late has a day less. ``now`` is always passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case

from yuqing.triage.categories import EMERGENCY
from yuqing.triage.severity import EXTRA_MAJOR, MAJOR

PRESS_CONFERENCE = "press_conference"
RESPONSE = "response"

#: what each response form is called on screen
FORM_NAMES = {PRESS_CONFERENCE: "新闻发布会", RESPONSE: "回应"}

PRESS_CONFERENCE_WITHIN = timedelta(hours=24)
RESPONSE_WITHIN = timedelta(hours=48)


@dataclass(frozen=True)
class Deadline:
    form: str
    due_at: datetime


def needs_press_conference(category: str, severity: str) -> bool:
    return category == EMERGENCY and severity in (EXTRA_MAJOR, MAJOR)


def deadline(category: str, severity: str, surfaced_at: datetime) -> Deadline:
    if needs_press_conference(category, severity):
        return Deadline(PRESS_CONFERENCE, surfaced_at + PRESS_CONFERENCE_WITHIN)
    return Deadline(RESPONSE, surfaced_at + RESPONSE_WITHIN)


def surfaced_at(published_at: datetime | None, fetched_at: datetime) -> datetime:
    """When the opinion surfaced: its publication time, unless missing or in the future (a feed
    with a wrong clock must not buy extra time)."""
    if published_at is None or published_at > fetched_at:
        return fetched_at
    return published_at


def surfaced_at_sql(published_at: ColumnElement[Any], fetched_at: ColumnElement[Any]) -> Any:
    """:func:`surfaced_at` as a SQL expression over two columns, for counts made in the
    database (an event's heat)."""
    return case(
        (and_(published_at.is_not(None), published_at <= fetched_at), published_at),
        else_=fetched_at,
    )


def time_left(due_at: datetime, now: datetime) -> timedelta:
    """Negative once overdue."""
    return due_at - now


def format_time_left(left: timedelta) -> str:
    """``剩余 5小时12分`` or ``超期 1天3小时``, to the minute."""
    minutes = int(abs(left).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        span = f"{days}天{hours}小时"
    elif hours:
        span = f"{hours}小时{mins}分"
    else:
        span = f"{mins}分"
    return f"超期 {span}" if left.total_seconds() < 0 else f"剩余 {span}"
