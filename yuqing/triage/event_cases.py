"""Cases follow events: one active case per story.

Called by triage for each stored batch, after its posts were grouped into events:

1. events merged by grouping merge their cases: the younger case is marked ``merged`` and points
   at the older one, which takes the graver grade, the earlier deadline and the press-conference
   form if either had it; both keep their own history, and each records the merge;
2. a flagged post whose event has an active case joins it (a sudden incident flag makes the case
   one); otherwise it opens the event's case;
3. every active case whose event grew is graded again from all its posts and its heat. A grade
   only moves up by itself (a person may lower it); an upgrade of a sudden incident to 重大 or
   above sets the 24-hour press-conference deadline from the upgrade, unless the case already
   has an earlier one: a deadline never moves later by itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuqing.storage.in_lists import slices
from yuqing.storage.schema import Case
from yuqing.triage.alerting import MAJOR_CASE, REFERRAL, is_major, raise_alert
from yuqing.triage.cases import (
    ACTIVE,
    MERGED,
    CaseInput,
    add_event,
    case_inputs,
    choose_category,
    open_cases,
    plan_case,
    routing_columns,
)
from yuqing.triage.categories import EMERGENCY, RUMOUR
from yuqing.triage.deadlines import (
    PRESS_CONFERENCE,
    PRESS_CONFERENCE_WITHIN,
    needs_press_conference,
)
from yuqing.triage.events import Grouping
from yuqing.triage.heat import Heat, event_heat
from yuqing.triage.referral import check_post, refer
from yuqing.triage.responsibility import Rules
from yuqing.triage.severity import EXTRA_MAJOR, GRADES, grade, gravest

#: the new posts of an event read to grade it again: the latest, each cut to a length
GRADE_POSTS, GRADE_CHARS = 40, 2000


class Predicted(Protocol):
    scores: dict[str, float]
    labels: list[str]


@dataclass
class CaseChanges:
    opened: int = 0
    joined: int = 0
    merged: int = 0
    regraded: int = 0
    referred: int = 0


def active_case(session: Session, event_id: int) -> Case | None:
    return active_cases(session, [event_id]).get(event_id)


def active_cases(session: Session, event_ids: Sequence[int]) -> dict[int, Case]:
    """The active case of each event that has one (the oldest, should there be two)."""
    found: dict[int, Case] = {}
    ids = sorted(set(event_ids))
    for chunk in slices(ids):
        for case in session.scalars(
            select(Case)
            .where(Case.event_id.in_(chunk), Case.status.in_(ACTIVE))
            .order_by(Case.id.desc())
        ):
            assert case.event_id is not None
            found[case.event_id] = case
    return found


def update_cases(
    session: Session,
    grouping: Grouping,
    flagged: Mapping[int, Predicted],
    model_version: str,
    rules: Rules,
    now: datetime,
    channels: Sequence[str] = (),
) -> CaseChanges:
    """Apply a grouped batch to the cases (module doc); alerts go to ``channels``."""
    changes = CaseChanges()
    for absorbed, survivor in grouping.merges:
        changes.merged += merge_event_cases(session, absorbed, survivor, now)
    planned: list[tuple[dict[str, Any], dict[str, Any]]] = []
    opening: set[int] = set()
    later: list[tuple[int, Predicted, int]] = []
    joins: dict[int, _Joins] = {}
    inputs = sorted(case_inputs(session, list(flagged)), key=lambda p: p.post_id)
    active = active_cases(session, list(grouping.touched | set(grouping.event_of.values())))
    # Heat matters where a case is, or may open: most posts of a busy run need none.
    flagged_events = {e for p in inputs if (e := grouping.event_of.get(p.post_id, p.event_id))}
    heat = event_heat(session, sorted(flagged_events | (grouping.touched & set(active))), now)
    for post in inputs:
        prediction = flagged[post.post_id]
        event = grouping.event_of.get(post.post_id, post.event_id)
        case = active.get(event) if event is not None else None
        if case is not None:
            # A post re-triaged by a new model is not new to its event's case.
            if post.post_id not in grouping.known:
                changes.joined += _join(joins, case, post.post_id, prediction)
            continue
        if event in opening:
            later.append((post.post_id, prediction, event))  # joins the case opened below
            continue
        plan = plan_case(
            post,
            prediction.labels,
            prediction.scores,
            model_version,
            rules,
            now,
            heat.get(event) if event is not None else None,
        )
        if plan is None:
            continue
        if event is not None:
            opening.add(event)
        planned.append((plan, _opened_detail(plan, prediction, model_version, grouping)))
    changes.opened = open_cases(session, planned, now)
    session.flush()
    if opening:
        active.update(active_cases(session, list(opening)))
        for event in opening:
            if (case := active.get(event)) is not None and is_major(case.severity):
                raise_alert(session, case, MAJOR_CASE, now, channels)
    for post_id, prediction, event in later:
        if (case := active.get(event)) is not None:
            changes.joined += _join(joins, case, post_id, prediction)
    _record(session, joins, now)
    for event in sorted(grouping.touched):
        case = active.get(event)
        texts = grouping.texts.get(event, [])
        if case is not None and regrade(session, case, texts, heat.get(event, Heat()), rules, now):
            changes.regraded += 1
            if is_major(case.severity):
                raise_alert(session, case, MAJOR_CASE, now, channels)
    changes.referred = _refer(session, inputs, flagged, rules, now, channels)
    return changes


def _refer(
    session: Session,
    inputs: Sequence[CaseInput],
    flagged: Mapping[int, Predicted],
    rules: Rules,
    now: datetime,
    channels: Sequence[str],
) -> int:
    """Refer the cases whose new posts are threatening rumours (see ``referral``)."""
    referred = 0
    for post in inputs:
        prediction = flagged[post.post_id]
        reasons = check_post(
            f"{post.title}\n{post.text}",
            prediction.scores.get(RUMOUR, 0.0),
            RUMOUR in prediction.labels,
        )
        if reasons is None:
            continue
        case = (
            active_case(session, post.event_id)
            if post.event_id is not None
            else session.scalar(select(Case).where(Case.post_id == post.post_id))
        )
        if case is not None:
            # The jurisdiction the case was routed to (the place in the text, else the source's).
            level, region = case.routing.get("level", ""), case.routing.get("jurisdiction", "")
            if region == "全国":
                region = ""
            refer(session, case, rules.referral_organs(level, region), reasons, now)
            raise_alert(session, case, REFERRAL, now, channels)
            referred += 1
    return referred


def _opened_detail(
    plan: Mapping[str, Any], prediction: Predicted, model_version: str, grouping: Grouping
) -> dict[str, Any]:
    detail = {
        "labels": list(prediction.labels),
        "scores": {k: round(v, 4) for k, v in prediction.scores.items()},
        "model_version": model_version,
        "severity": plan["severity"],
        "due_at": plan["due_at"].isoformat(),
        "response_form": plan["response_form"],
        "event_id": plan["event_id"],
    }
    if why := grouping.why.get(plan["post_id"]):
        detail["event_reason"] = why
    return detail


def _join(joins: dict[int, _Joins], case: Case, post_id: int, prediction: Predicted) -> int:
    """A flagged post joins its event's active case; recorded per case and batch (``_record``)."""
    entry = joins.setdefault(case.id, _Joins(case))
    entry.posts.append(post_id)
    entry.labels.update(prediction.labels)
    category = choose_category([case.category, *prediction.labels], prediction.scores)
    if category == EMERGENCY and case.category != EMERGENCY:
        entry.category = (case.category, category)
        case.category = category
    return 1


@dataclass
class _Joins:
    case: Case
    posts: list[int] = field(default_factory=list)
    labels: set[str] = field(default_factory=set)
    category: tuple[str, str] | None = None


def _record(session: Session, joins: dict[int, _Joins], now: datetime) -> None:
    """One ``posts_joined`` audit event per case and batch, not one per post: a story reposted
    ten thousand times must not bury the case's history. A flag the case did not have may have
    changed its category (a sudden incident outranks the others); the grade and deadline
    follow in ``regrade``."""
    for entry in joins.values():
        detail: dict[str, Any] = {
            "post_ids": entry.posts,
            "count": len(entry.posts),
            "labels": sorted(entry.labels),
        }
        if entry.category is not None:
            detail["category"] = {"from": entry.category[0], "to": entry.category[1]}
        entry.case.updated_at = now
        add_event(session, entry.case, "triage", "posts_joined", now, **detail)


def regrade(
    session: Session, case: Case, texts: Sequence[str], heat: Heat, rules: Rules, now: datetime
) -> bool:
    """Grade ``case`` again from the posts its event just gained (``texts``) and its heat;
    returns whether anything changed. The posts it had are not read again: the grade they gave
    stands, since a grade only moves up by itself."""
    if case.event_id is None:
        return False
    assessment = grade(
        "\n".join(text[:GRADE_CHARS] for text in texts[-GRADE_POSTS:]),
        case.category,
        sources=heat.sources,
        posts_24h=heat.last_24h,
    )
    changed = False
    new = gravest(case.severity, assessment.grade)
    if new != case.severity:
        add_event(
            session,
            case,
            "triage",
            "regraded",
            now,
            **{
                "from": case.severity,
                "to": new,
                "reasons": list(assessment.reasons),
                "heat": heat.as_dict(),
            },
        )
        case.severity = new
        case.severity_reasons = list(assessment.reasons)
        changed = True
        if new == EXTRA_MAJOR:
            _reroute(session, case, rules, now)
    if needs_press_conference(case.category, case.severity) and (
        case.response_form != PRESS_CONFERENCE
    ):
        due = min(case.due_at, now + PRESS_CONFERENCE_WITHIN)
        add_event(
            session,
            case,
            "triage",
            "deadline_changed",
            now,
            **{
                "from": case.due_at.isoformat(),
                "to": due.isoformat(),
                "response_form": PRESS_CONFERENCE,
                "why": f"升级为{case.severity}突发事件：24小时内举行新闻发布会（自升级时起）",
            },
        )
        case.response_form, case.due_at = PRESS_CONFERENCE, due
        changed = True
    if changed:
        case.updated_at = now
    return changed


def _reroute(session: Session, case: Case, rules: Rules, now: datetime) -> None:
    """Decide the first responsible party again (a 特别重大 grade names that level's main
    leader), from the case's first post and its source."""
    if case.post_id is None:
        return
    (post,) = case_inputs(session, [case.post_id])
    decision = rules.decide(f"{post.title}\n{post.text}", case.category, case.severity, post.place)
    columns = routing_columns(decision)
    if columns["routing"] != case.routing:
        add_event(
            session,
            case,
            "triage",
            "rerouted",
            now,
            **{"from": case.routing, "to": columns["routing"]},
        )
        for key, value in columns.items():
            setattr(case, key, value)


def merge_event_cases(session: Session, absorbed: int, survivor: int, now: datetime) -> int:
    """Cases follow their events' merge: returns 1 when two active cases became one."""
    gone, kept = active_case(session, absorbed), active_case(session, survivor)
    # Every case of the absorbed event now belongs to the surviving one, history and all.
    for case in session.scalars(select(Case).where(Case.event_id == absorbed)):
        case.event_id = survivor
    if gone is None or kept is None:
        if gone is not None:
            add_event(session, gone, "triage", "event_merged", now, into_event=survivor)
        return 0
    if gone.id < kept.id:  # the older case survives, whichever event was older
        gone, kept = kept, gone
    before = {"severity": kept.severity, "due_at": kept.due_at.isoformat()}
    kept.severity = gravest(kept.severity, gone.severity)
    if GRADES.index(gone.severity) < GRADES.index(before["severity"]):
        kept.severity_reasons = list(gone.severity_reasons)
    if gone.category == EMERGENCY:
        kept.category = EMERGENCY
    if gone.response_form == PRESS_CONFERENCE:
        kept.response_form = PRESS_CONFERENCE
    kept.due_at = min(kept.due_at, gone.due_at)
    kept.updated_at = gone.updated_at = now
    gone.status, gone.merged_into_id = MERGED, kept.id
    add_event(session, gone, "triage", "merged", now, into_case=kept.id, into_event=survivor)
    add_event(
        session,
        kept,
        "triage",
        "merged_from",
        now,
        merged_case=gone.id,
        merged_event=absorbed,
        before=before,
        after={"severity": kept.severity, "due_at": kept.due_at.isoformat()},
    )
    return 1


def merged_history(session: Session, case: Case) -> Sequence[Case]:
    """The cases merged into ``case``, so that its history can be shown with theirs."""
    return session.scalars(select(Case).where(Case.merged_into_id == case.id)).all()
