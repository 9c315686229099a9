"""Opening cases and keeping their audit trail.

A post flagged with a key-response category (or as a rumour) opens one case; grouping reposts of
the same event into one case comes later. Every change to a case is a :class:`CaseEvent`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuqing.storage.bulk import insert_many
from yuqing.storage.schema import Case, CaseEvent, Post, Source
from yuqing.triage.categories import CASE_CATEGORIES, EMERGENCY, RUMOUR
from yuqing.triage.deadlines import deadline, surfaced_at
from yuqing.triage.routing import Directory, Jurisdiction, route
from yuqing.triage.severity import ORDINARY, assess

OPEN, RESPONDED, CLOSED = "open", "responded", "closed"
STATUSES = (OPEN, RESPONDED, CLOSED)


def choose_category(flags: Sequence[str], scores: Mapping[str, float]) -> str | None:
    """The category a case is filed under. A sudden incident wins, since it alone can carry the
    24-hour deadline; a rumour is filed as such only when nothing else applies (it is then also
    referred, see routing)."""
    candidates = [f for f in flags if f in CASE_CATEGORIES and f != RUMOUR]
    if EMERGENCY in candidates:
        return EMERGENCY
    if candidates:
        return max(candidates, key=lambda f: scores.get(f, 0.0))
    return RUMOUR if RUMOUR in flags else None


def add_event(
    session: Session, case: Case, actor: str, action: str, now: datetime, **detail: Any
) -> CaseEvent:
    event = CaseEvent(case=case, at=now, actor=actor, action=action, detail=detail)
    session.add(event)
    return event


@dataclass(frozen=True)
class CaseInput:
    """What opening a case needs to know about a post and its source."""

    post_id: int
    title: str
    text: str
    published_at: datetime | None
    fetched_at: datetime
    region_name: str
    level: str
    department: str


def case_inputs(session: Session, post_ids: Sequence[int]) -> list[CaseInput]:
    rows = session.execute(
        select(
            Post.id,
            Post.title,
            Post.text,
            Post.published_at,
            Post.fetched_at,
            Source.region_name,
            Source.level,
            Source.department,
        )
        .join(Source, Post.source_id == Source.id)
        .where(Post.id.in_(post_ids))
    )
    return [CaseInput(*row) for row in rows]


def plan_case(
    post: CaseInput,
    flags: Sequence[str],
    scores: Mapping[str, float],
    model_version: str,
    directory: Directory,
    now: datetime,
) -> dict[str, Any] | None:
    """The case a post's flags call for, as column values; None when they call for none.
    Pure: the notice's rules applied to one post, no database."""
    category = choose_category(flags, scores)
    if category is None:
        return None
    text = f"{post.title}\n{post.text}"
    assessment = assess(text) if category == EMERGENCY else None
    severity = assessment.grade if assessment else ORDINARY
    start = surfaced_at(post.published_at, post.fetched_at)
    due = deadline(category, severity, start)
    routing = route(
        text,
        category,
        severity,
        Jurisdiction(post.region_name, post.level, post.department),
        directory,
        rumour=RUMOUR in flags,
    )
    return {
        "post_id": post.post_id,
        "category": category,
        "severity": severity,
        "opened_at": now,
        "surfaced_at": start,
        "due_at": due.due_at,
        "response_form": due.form,
        "status": OPEN,
        "responsible_party": routing.responsible_party,
        "coordinator": routing.coordinator,
        "referral": routing.referral,
        "routing_reasons": [*(assessment.reasons if assessment else ()), *routing.reasons],
        "model_version": model_version,
        "updated_at": now,
    }


def open_cases(
    session: Session, planned: Sequence[tuple[dict[str, Any], dict[str, Any]]], now: datetime
) -> int:
    """Insert planned cases, each with its ``opened`` event (``detail``). A post that already
    has a case keeps it: the unique post_id skips the new one. One statement per table."""
    conn = session.connection()
    inserted = insert_many(
        conn, Case.__table__, [case for case, _ in planned], ignore_conflicts=True
    )
    if not inserted:
        return 0
    # The cases opened just now, by post: a case opened earlier keeps its own history.
    opened = dict(
        conn.execute(
            select(Case.__table__.c.post_id, Case.__table__.c.id).where(
                Case.__table__.c.post_id.in_([case["post_id"] for case, _ in planned]),
                Case.__table__.c.opened_at == now,
            )
        ).all()
    )
    insert_many(
        conn,
        CaseEvent.__table__,
        [
            {
                "case_id": opened[case["post_id"]],
                "at": now,
                "actor": "triage",
                "action": "opened",
                "detail": detail,
            }
            for case, detail in planned
            if case["post_id"] in opened
        ],
    )
    return inserted


def sweep_overdue(session: Session, now: datetime) -> int:
    """Mark every open case past its deadline with one ``overdue`` event. Idempotent, so the
    scheduler can run it as often as it likes instead of keeping one timer per case."""
    already = select(CaseEvent.id).where(
        (CaseEvent.case_id == Case.id) & (CaseEvent.action == "overdue")
    )
    cases = session.scalars(
        select(Case).where(Case.status == OPEN, Case.due_at < now, ~already.exists())
    ).all()
    for case in cases:
        add_event(
            session,
            case,
            actor="scheduler",
            action="overdue",
            now=now,
            due_at=case.due_at.isoformat(),
        )
    return len(cases)
