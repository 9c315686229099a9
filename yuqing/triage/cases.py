"""Opening cases and keeping their audit trail.

A post flagged with a key-response category (or as a rumour) opens a case for its event, unless
the event already has an active one, which the post then joins (``event_cases``). Every change to
a case is a :class:`CaseEvent`.
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
from yuqing.triage.categories import CASE_CATEGORIES, EMERGENCY, RUMOUR, SUPERIOR_REQUEST
from yuqing.triage.deadlines import RESPONSE, deadline, surfaced_at
from yuqing.triage.heat import Heat
from yuqing.triage.responsibility import Decision, Rules, SourcePlace
from yuqing.triage.severity import grade

# A case's states; the transitions between them are in ``lifecycle``.
OPEN, ACKNOWLEDGED, RESPONDING, RESPONDED = "open", "acknowledged", "responding", "responded"
FOLLOWING_UP, CLOSED, DISMISSED, MERGED = "following_up", "closed", "dismissed", "merged"
STATUSES = (OPEN, ACKNOWLEDGED, RESPONDING, RESPONDED, FOLLOWING_UP, CLOSED, DISMISSED, MERGED)
#: a case still being worked on: new posts of its event join it
ACTIVE = (OPEN, ACKNOWLEDGED, RESPONDING, RESPONDED, FOLLOWING_UP)
#: still waiting for its first response: its deadline runs
AWAITING = (OPEN, ACKNOWLEDGED, RESPONDING)


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
    region_code: str = ""
    event_id: int | None = None

    @property
    def place(self) -> SourcePlace:
        return SourcePlace(self.region_code, self.region_name, self.level, self.department)


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
            Source.region_code,
            Post.event_id,
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
    rules: Rules,
    now: datetime,
    heat: Heat | None = None,
) -> dict[str, Any] | None:
    """The case a post's flags call for, as column values; None when they call for none.
    Pure: the notice's rules applied to one post (and its event's heat), no database."""
    category = choose_category(flags, scores)
    if category is None:
        return None
    text = f"{post.title}\n{post.text}"
    heat = heat or Heat(posts=1, sources=1, platforms=1)
    assessment = grade(text, category, sources=heat.sources, posts_24h=heat.last_24h)
    start = surfaced_at(post.published_at, post.fetched_at)
    due = deadline(category, assessment.grade, start)
    decision = rules.decide(text, category, assessment.grade, post.place)
    return {
        "post_id": post.post_id,
        "event_id": post.event_id,
        "category": category,
        "severity": assessment.grade,
        "severity_reasons": list(assessment.reasons),
        "opened_at": now,
        "surfaced_at": start,
        "due_at": due.due_at,
        "response_form": due.form,
        "status": OPEN,
        **routing_columns(decision),
        "referral": "",
        "model_version": model_version,
        "updated_at": now,
    }


def routing_columns(decision: Decision) -> dict[str, Any]:
    """A decision as the case columns that hold it: the JSON in full, and the short forms the
    queue's table shows."""
    return {
        "responsible_party": decision.first_responsible[:300],
        "coordinator": "、".join(decision.coordinators)[:300],
        "routing_reasons": list(decision.reasons),
        "routing": decision.as_dict(),
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


class RequestError(ValueError):
    """A higher-level request that cannot open a case; the message names the field."""


def open_request(
    session: Session,
    requested_by: str,
    about: str,
    due_at: datetime,
    rules: Rules,
    place: SourcePlace,
    now: datetime,
    actor: str,
) -> Case:
    """Open a case for a higher-level government's request to respond (section 二, category
    five), with the instructed deadline, routed like any other case."""
    requested_by, about = requested_by.strip(), about.strip()
    if not requested_by:
        raise RequestError("--requested-by is empty: name the body that asked for the response")
    if not about:
        raise RequestError("--about is empty: say what the response is about")
    if due_at <= now:
        raise RequestError(f"the due time {due_at.isoformat()} is already past")
    assessment = grade(about, SUPERIOR_REQUEST)
    decision = rules.decide(about, SUPERIOR_REQUEST, assessment.grade, place)
    case = Case(
        post_id=None,
        event_id=None,
        category=SUPERIOR_REQUEST,
        severity=assessment.grade,
        severity_reasons=list(assessment.reasons),
        opened_at=now,
        surfaced_at=now,
        due_at=due_at,
        response_form=RESPONSE,
        status=OPEN,
        referral="",
        model_version="",
        updated_at=now,
        requested_by=requested_by[:300],
        about=about,
        **routing_columns(decision),
    )
    session.add(case)
    add_event(
        session,
        case,
        actor,
        "opened",
        now,
        requested_by=requested_by,
        due_at=due_at.isoformat(),
        rule=decision.rule,
    )
    session.flush()
    return case
