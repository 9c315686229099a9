"""Opening cases and keeping their audit trail.

A post flagged with a key-response category (or as a rumour) opens one case; grouping reposts of
the same event into one case comes later. Every change to a case is a :class:`CaseEvent`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from yuqing.storage.schema import Case, CaseEvent, Post
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


def open_case(
    session: Session,
    post: Post,
    flags: Sequence[str],
    scores: Mapping[str, float],
    model_version: str,
    directory: Directory,
    now: datetime,
) -> Case | None:
    """Open the post's case if its flags call for one and it has none yet."""
    category = choose_category(flags, scores)
    if category is None:
        return None
    if session.scalar(select(exists().where(Case.post_id == post.id))):
        return None
    text = f"{post.title}\n{post.text}"
    assessment = assess(text) if category == EMERGENCY else None
    severity = assessment.grade if assessment else ORDINARY
    start = surfaced_at(post.published_at, post.fetched_at)
    due = deadline(category, severity, start)
    source = post.source
    routing = route(
        text,
        category,
        severity,
        Jurisdiction(source.region_name, source.level, source.department),
        directory,
        rumour=RUMOUR in flags,
    )
    case = Case(
        post=post,
        category=category,
        severity=severity,
        opened_at=now,
        surfaced_at=start,
        due_at=due.due_at,
        response_form=due.form,
        status=OPEN,
        responsible_party=routing.responsible_party,
        coordinator=routing.coordinator,
        referral=routing.referral,
        routing_reasons=[*(assessment.reasons if assessment else ()), *routing.reasons],
        model_version=model_version,
        updated_at=now,
    )
    session.add(case)
    add_event(
        session,
        case,
        actor="triage",
        action="opened",
        now=now,
        labels=list(flags),
        scores={k: round(v, 4) for k, v in scores.items()},
        model_version=model_version,
        due_at=due.due_at.isoformat(),
        response_form=due.form,
    )
    return case


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
