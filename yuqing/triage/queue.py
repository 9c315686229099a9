"""The daily triage queue that monitoring teams read.

The queue for a day (cut in Asia/Shanghai) holds every case opened that day, and every case
opened earlier that is still being worked on (not closed, dismissed or merged): an unanswered
case stays in front of the team until it is answered, an answered one until it is closed.
Cases still waiting for a response first; then gravest first, overdue first, hotter first, the
nearest deadline first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from yuqing.display import fit, terminal_safe
from yuqing.storage.in_lists import slices
from yuqing.storage.schema import Case, Classification, Post
from yuqing.triage.cases import ACTIVE, AWAITING, MERGED, OPEN
from yuqing.triage.categories import CATEGORIES
from yuqing.triage.deadlines import FORM_NAMES, format_time_left, time_left
from yuqing.triage.heat import Heat, event_heat
from yuqing.triage.severity import GRADES

#: URLs listed per event in the queue; the event's post count is in its heat
MAX_URLS = 200


@dataclass(frozen=True)
class QueueItem:
    case_id: int
    severity: str
    category: str
    status: str
    response_form: str
    surfaced_at: datetime
    due_at: datetime
    seconds_left: int
    source: str
    title: str
    url: str
    responsible_party: str
    coordinator: str
    referral: str
    #: why this grade and this owner, in words (severity cues, routing rules applied)
    reasons: tuple[str, ...] = ()
    #: why the post was flagged: for each label raised, the cues matched and the terms that
    #: weighed most, as the model that opened the case gave them
    flags: dict[str, list[str]] = field(default_factory=dict)
    event_id: int | None = None
    heat: Heat = field(default_factory=Heat)
    #: the URLs of the event's posts, the first first
    urls: tuple[str, ...] = ()
    severity_reasons: tuple[str, ...] = ()
    #: the first-responsible-party decision (see ``yuqing route``)
    routing: dict[str, Any] = field(default_factory=dict)
    requested_by: str | None = None

    @property
    def overdue(self) -> bool:
        return self.seconds_left < 0


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)
    return start, start + timedelta(days=1)


def daily_queue(session: Session, day: date, tz: ZoneInfo, now: datetime) -> list[QueueItem]:
    start, end = day_bounds(day, tz)
    cases = session.scalars(
        select(Case)
        .options(joinedload(Case.post).joinedload(Post.source))
        .where(Case.opened_at < end, Case.status != MERGED)
        .where(or_(Case.opened_at >= start, Case.status.in_(ACTIVE)))
    ).all()
    flags = _flags(session, cases)
    events = sorted({c.event_id for c in cases if c.event_id is not None})
    heat = event_heat(session, events, now)
    urls = event_urls(session, events)
    items = [
        QueueItem(
            case_id=c.id,
            severity=c.severity,
            category=c.category,
            status=c.status,
            response_form=c.response_form,
            surfaced_at=c.surfaced_at,
            due_at=c.due_at,
            seconds_left=int(time_left(c.due_at, now).total_seconds()),
            source=c.post.source.name if c.post else f"上级交办：{c.requested_by or ''}",
            title=(c.post.title or c.post.text[:60]) if c.post else (c.about or "")[:60],
            url=c.post.canonical_url if c.post else "",
            responsible_party=c.responsible_party,
            coordinator=c.coordinator,
            referral=c.referral,
            reasons=(*c.severity_reasons, *c.routing_reasons),
            flags=flags.get(c.id, {}),
            event_id=c.event_id,
            heat=heat.get(c.event_id, Heat()) if c.event_id is not None else Heat(),
            urls=urls.get(c.event_id, ()) if c.event_id is not None else (),
            severity_reasons=tuple(c.severity_reasons),
            routing=dict(c.routing),
            requested_by=c.requested_by,
        )
        for c in cases
    ]
    # Waiting for a response before answered; gravest first; within a grade the overdue ones,
    # then the hotter event, then the nearer deadline.
    items.sort(
        key=lambda i: (
            i.status not in AWAITING,
            GRADES.index(i.severity),
            not i.overdue,
            -i.heat.score,
            i.due_at,
            i.case_id,
        )
    )
    return items


def event_urls(
    session: Session, event_ids: Sequence[int], limit: int = MAX_URLS
) -> dict[int, tuple[str, ...]]:
    """The URLs of each event's posts, in the order they were stored, at most ``limit`` each."""
    out: dict[int, list[str]] = {}
    for chunk in slices(event_ids):
        rows = session.execute(
            select(Post.event_id, Post.canonical_url)
            .where(Post.event_id.in_(chunk))
            .order_by(Post.id)
        )
        for event, url in rows:
            urls = out.setdefault(event, [])
            if len(urls) < limit:
                urls.append(url)
    return {event: tuple(urls) for event, urls in out.items()}


def _flags(session: Session, cases: Sequence[Case]) -> dict[int, dict[str, list[str]]]:
    """The flagged labels and their reasons behind each case, from the classifications of the
    model version that opened it."""
    cases = [c for c in cases if c.post_id is not None]
    by_post = {(c.post_id, c.model_version): c.id for c in cases}
    out: dict[int, dict[str, list[str]]] = {}
    for chunk in slices(cases):
        rows = session.execute(
            select(
                Classification.post_id,
                Classification.model_version,
                Classification.label,
                Classification.reasons,
            ).where(
                Classification.post_id.in_([c.post_id for c in chunk]),
                Classification.flagged.is_(True),
            )
        )
        for post_id, version, label, reasons in rows:
            case_id = by_post.get((post_id, version))
            if case_id is not None:
                out.setdefault(case_id, {})[label] = list(reasons)
    return out


def as_json(items: list[QueueItem], tz: ZoneInfo) -> list[dict[str, object]]:
    return [
        {
            "case_id": i.case_id,
            "severity": i.severity,
            "category": i.category,
            "category_name": CATEGORIES[i.category].name_zh,
            "status": i.status,
            "response_form": i.response_form,
            "surfaced_at": i.surfaced_at.astimezone(tz).isoformat(),
            "due_at": i.due_at.astimezone(tz).isoformat(),
            "seconds_left": i.seconds_left,
            "overdue": i.overdue,
            "source": i.source,
            "title": i.title,
            "url": i.url,
            "responsible_party": i.responsible_party,
            "coordinator": i.coordinator,
            "referral": i.referral,
            "reasons": list(i.reasons),
            "flags": i.flags,
            "requested_by": i.requested_by,
            "routing": i.routing,
            "event": {
                "id": i.event_id,
                "heat": i.heat.as_dict(),
                "severity": i.severity,
                "severity_reasons": list(i.severity_reasons),
                "urls": list(i.urls),
            },
        }
        for i in items
    ]


COLUMNS = (
    ("级别", 8),
    ("类别", 8),
    ("时限", 40),
    ("来源", 18),
    ("标题", 32),
    ("第一责任主体", 44),
)


def format_table(items: list[QueueItem], day: date, tz: ZoneInfo) -> str:
    """The queue as a terminal table; every scraped string is made terminal-safe first."""
    open_count = sum(i.status in AWAITING for i in items)
    overdue = sum(i.overdue and i.status in AWAITING for i in items)
    lines = [
        f"舆情处置队列 {day.isoformat()}（{tz.key}）：{len(items)} 件，"
        f"待回应 {open_count} 件，超期 {overdue} 件"
    ]
    if not items:
        lines.append("（今日无需重点回应的舆情）")
        return "\n".join(lines)
    lines.append("  ".join(fit(name, w) for name, w in COLUMNS).rstrip())
    for i in items:
        left = format_time_left(timedelta(seconds=i.seconds_left))
        due = i.due_at.astimezone(tz).strftime("%m-%d %H:%M")
        deadline = f"{FORM_NAMES[i.response_form]} {due} {left}"
        status = "" if i.status == OPEN else f"[{i.status}] "
        cells = (
            i.severity,
            CATEGORIES[i.category].short_zh,
            status + deadline,
            terminal_safe(i.source),
            terminal_safe(i.title),
            terminal_safe(i.responsible_party),
        )
        lines.append(
            "  ".join(fit(c, w) for c, (_, w) in zip(cells, COLUMNS, strict=True)).rstrip()
        )
        indent = " " * 60
        if i.flags:
            why = "；".join(
                f"{CATEGORIES[label].short_zh}：{terminal_safe('、'.join(terms[:5]))}"
                for label, terms in i.flags.items()
                if terms and label in CATEGORIES
            )
            if why:
                lines.append(f"{indent}↳ 依据：{why}")
        if i.heat.posts > 1:
            h = i.heat
            lines.append(
                f"{indent}↳ 热度：{h.posts} 帖，{h.sources} 个来源，{h.platforms} 个平台；"
                f"近1/6/24小时新增 {h.last_1h}/{h.last_6h}/{h.last_24h}"
            )
        if i.severity_reasons:
            lines.append(f"{indent}↳ 定级：{terminal_safe('；'.join(i.severity_reasons[:3]))}")
        if i.routing.get("co_responsible"):
            others = "、".join(i.routing["co_responsible"])
            lines.append(f"{indent}↳ 按职责回应：{terminal_safe(others)}")
        if i.routing.get("coordinators"):
            lines.append(
                f"{indent}↳ 组织协调：{terminal_safe('、'.join(i.routing['coordinators']))}"
            )
        if i.referral:
            lines.append(f"{indent}↳ 同时移交：{terminal_safe(i.referral)}")
    return "\n".join(lines)
