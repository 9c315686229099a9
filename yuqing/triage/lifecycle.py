"""A case's life, sections 三 to 五 of the notice: acknowledged, answered in time and in the
right form, followed up with authoritative information, closed with a reason.

    open → acknowledged → responding → responded → following_up → closed
      └──────────┴────────────┴─────────────┴──────────┴──→ dismissed (with a reason)
    (merged: set by triage when two events prove one story, see ``event_cases``)

Recording a response moves a case to ``responded`` the first time and to ``following_up`` after
that: the notice asks for authoritative information to keep coming (持续发布权威信息), so a case
stays in follow-up until someone closes it with a reason. A 24-hour press-conference deadline is
met only by a press conference or a briefing (吹风会) made before it; a 48-hour deadline by any
response made before it. Every change is a :class:`CaseEvent` naming who made it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from yuqing.storage.schema import Case, CaseResponse
from yuqing.triage.cases import (
    ACKNOWLEDGED,
    CLOSED,
    DISMISSED,
    FOLLOWING_UP,
    MERGED,
    OPEN,
    RESPONDED,
    RESPONDING,
    add_event,
)
from yuqing.triage.deadlines import PRESS_CONFERENCE

#: states from which nothing moves on (a merged case lives on in the one it was merged into)
FINAL = (CLOSED, DISMISSED, MERGED)

#: response forms (section 三) and what people call them
FORMS = {
    "authoritative_release": "发布权威信息",
    "press_conference": "新闻发布会",
    "briefing": "吹风会",
    "media_interview": "接受媒体采访",
}
#: the forms that meet a 24-hour press-conference deadline
PRESS_FORMS = ("press_conference", "briefing")
CHANNELS = {
    "weibo": "政务微博",
    "wechat": "政务微信",
    "app": "政务客户端",
    "website": "政府网站",
    "press": "新闻媒体",
}

#: status → the statuses a person may move it to by hand
_MOVES = {
    OPEN: (ACKNOWLEDGED, RESPONDING, DISMISSED),
    ACKNOWLEDGED: (RESPONDING, DISMISSED),
    RESPONDING: (DISMISSED,),
    RESPONDED: (CLOSED, DISMISSED),
    FOLLOWING_UP: (CLOSED, DISMISSED),
}


class LifecycleError(ValueError):
    """A change the case's state does not allow, or a bad value; the message says which."""


@dataclass(frozen=True)
class Recorded:
    case_id: int
    status: str
    #: for a first response: whether it met the deadline (form and time)
    deadline_met: bool | None = None


def _case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise LifecycleError(f"no case {case_id}")
    return case


def _move(case: Case, to: str) -> None:
    if case.status in FINAL:
        raise LifecycleError(f"case {case.id} is {case.status}: nothing more can be done to it")
    if to not in _MOVES.get(case.status, ()):
        raise LifecycleError(f"case {case.id} is {case.status}: it cannot become {to}")


def acknowledge(session: Session, case_id: int, actor: str, now: datetime) -> Recorded:
    """Someone has the case in hand (认领)."""
    case = _case(session, case_id)
    _move(case, ACKNOWLEDGED)
    case.status, case.acknowledged_at, case.updated_at = ACKNOWLEDGED, now, now
    add_event(session, case, actor, ACKNOWLEDGED, now)
    return Recorded(case.id, case.status)


def start_responding(session: Session, case_id: int, actor: str, now: datetime) -> Recorded:
    """A response is being prepared (e.g. a press conference is called)."""
    case = _case(session, case_id)
    _move(case, RESPONDING)
    if case.acknowledged_at is None:
        case.acknowledged_at = now
    case.status, case.updated_at = RESPONDING, now
    add_event(session, case, actor, RESPONDING, now)
    return Recorded(case.id, case.status)


def meets_deadline(response_form: str, due_at: datetime, form: str, at: datetime) -> bool:
    """Whether a response of ``form`` made at ``at`` meets a case's deadline: the one rule."""
    if at > due_at:
        return False
    return form in PRESS_FORMS if response_form == PRESS_CONFERENCE else True


def record_response(
    session: Session,
    case_id: int,
    *,
    form: str,
    channel: str,
    at: datetime,
    actor: str,
    now: datetime,
    url: str | None = None,
    note: str | None = None,
) -> Recorded:
    """Record a response the government made. The first one decides whether the deadline was
    met; later ones are follow-up (持续发布权威信息)."""
    if form not in FORMS:
        raise LifecycleError(f"unknown response form {form!r}; one of: {', '.join(FORMS)}")
    if channel not in CHANNELS:
        raise LifecycleError(f"unknown channel {channel!r}; one of: {', '.join(CHANNELS)}")
    if url and not url.startswith(("http://", "https://")):
        raise LifecycleError(f"the response URL must be http(s): {url!r}")
    if at > now:
        raise LifecycleError(f"the response time {at.isoformat()} is in the future")
    case = _case(session, case_id)
    if case.status in FINAL:
        raise LifecycleError(f"case {case.id} is {case.status}: nothing more can be done to it")
    if at < case.surfaced_at:
        raise LifecycleError(
            f"the response time {at.isoformat()} is before the matter surfaced "
            f"({case.surfaced_at.isoformat()})"
        )
    session.add(
        CaseResponse(
            case_id=case.id,
            form=form,
            channel=channel,
            url=url,
            at=at,
            recorded_by=actor,
            recorded_at=now,
            note=note,
        )
    )
    met: bool | None = None
    if case.first_response_at is None:
        met = meets_deadline(case.response_form, case.due_at, form, at)
        case.first_response_at, case.deadline_met = at, met
        case.status = RESPONDED
        if case.acknowledged_at is None:
            case.acknowledged_at = now
    elif not case.deadline_met and meets_deadline(case.response_form, case.due_at, form, at):
        # A website notice first, then the press conference in time: the deadline was met.
        case.deadline_met = met = True
        case.status = FOLLOWING_UP
    else:
        case.status = FOLLOWING_UP
    case.updated_at = now
    add_event(
        session,
        case,
        actor,
        "responded",
        now,
        form=form,
        channel=channel,
        url=url,
        at=at.isoformat(),
        deadline_met=case.deadline_met,
        status=case.status,
    )
    return Recorded(case.id, case.status, met)


def close(session: Session, case_id: int, reason: str, actor: str, now: datetime) -> Recorded:
    """Close an answered case, with the reason (事件平息, 已办结 …)."""
    return _finish(session, case_id, CLOSED, reason, actor, now)


def dismiss(session: Session, case_id: int, reason: str, actor: str, now: datetime) -> Recorded:
    """Set aside a case that needs no response (误报, 非本级职责 …), with the reason."""
    return _finish(session, case_id, DISMISSED, reason, actor, now)


def _finish(
    session: Session, case_id: int, to: str, reason: str, actor: str, now: datetime
) -> Recorded:
    reason = reason.strip()
    if not reason:
        raise LifecycleError(f"a reason is needed to make a case {to}")
    case = _case(session, case_id)
    _move(case, to)
    case.status, case.closed_at, case.close_reason, case.updated_at = to, now, reason, now
    add_event(session, case, actor, to, now, reason=reason)
    return Recorded(case.id, case.status)
