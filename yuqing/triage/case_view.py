"""One case as people read it: ``yuqing case show``.

Everything a team needs to act on a case in one place: its grade and why, its deadline, who must
answer and why, its event (heat, the URLs of its posts), any referral with its evidence, and
its history, with the histories of cases merged into it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuqing.display import terminal_safe
from yuqing.storage.schema import Case, CaseEvent, CaseResponse, Referral
from yuqing.triage.categories import CATEGORIES
from yuqing.triage.deadlines import FORM_NAMES, format_time_left, time_left
from yuqing.triage.heat import event_heat
from yuqing.triage.lifecycle import CHANNELS, FORMS
from yuqing.triage.queue import event_urls


def case_view(session: Session, case_id: int, now: datetime) -> dict[str, Any] | None:
    case = session.get(Case, case_id)
    if case is None:
        return None
    merged = session.scalars(select(Case).where(Case.merged_into_id == case.id)).all()
    history = session.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id.in_([case.id, *(m.id for m in merged)]))
        .order_by(CaseEvent.at, CaseEvent.id)
    ).all()
    referral = session.scalar(select(Referral).where(Referral.case_id == case.id))
    responses = session.scalars(
        select(CaseResponse).where(CaseResponse.case_id == case.id).order_by(CaseResponse.at)
    ).all()
    event: dict[str, Any] | None = None
    if case.event_id is not None:
        heat = event_heat(session, [case.event_id], now).get(case.event_id)
        event = {
            "id": case.event_id,
            "heat": heat.as_dict() if heat else None,
            "urls": list(event_urls(session, [case.event_id]).get(case.event_id, ())),
        }
    return {
        "case_id": case.id,
        "status": case.status,
        "merged_into": case.merged_into_id,
        "category": case.category,
        "category_name": CATEGORIES[case.category].name_zh,
        "severity": case.severity,
        "severity_reasons": list(case.severity_reasons),
        "opened_at": case.opened_at.isoformat(),
        "surfaced_at": case.surfaced_at.isoformat(),
        "due_at": case.due_at.isoformat(),
        "seconds_left": int(time_left(case.due_at, now).total_seconds()),
        "response_form": case.response_form,
        "deadline_state": case.deadline_state,
        "deadline_met": case.deadline_met,
        "first_response_at": case.first_response_at.isoformat() if case.first_response_at else None,
        "escalated_at": case.escalated_at.isoformat() if case.escalated_at else None,
        "close_reason": case.close_reason,
        "responses": [
            {
                "form": r.form,
                "channel": r.channel,
                "url": r.url,
                "at": r.at.isoformat(),
                "recorded_by": r.recorded_by,
                "note": r.note,
            }
            for r in responses
        ],
        "requested_by": case.requested_by,
        "about": case.about,
        "post": (
            {"id": case.post.id, "url": case.post.canonical_url, "title": case.post.title}
            if case.post
            else None
        ),
        "routing": dict(case.routing),
        "event": event,
        "referral": (
            {
                "at": referral.at.isoformat(),
                "organs": list(referral.organs),
                "reasons": list(referral.reasons),
                "evidence": list(referral.evidence),
            }
            if referral
            else None
        ),
        "merged_cases": [m.id for m in merged],
        "history": [
            {
                "case_id": e.case_id,
                "at": e.at.isoformat(),
                "actor": e.actor,
                "action": e.action,
                "detail": e.detail,
            }
            for e in history
        ],
    }


def format_case(view: dict[str, Any], tz: ZoneInfo) -> str:
    """The case as text for a terminal; scraped strings are made terminal-safe."""

    def when(iso: str) -> str:
        return datetime.fromisoformat(iso).astimezone(tz).strftime("%Y-%m-%d %H:%M")

    left = format_time_left(timedelta(seconds=view["seconds_left"]))
    lines = [
        f"案件 {view['case_id']} [{view['status']}] {view['severity']} · {view['category_name']}",
        f"时限：{FORM_NAMES[view['response_form']]} {when(view['due_at'])}（{left}）",
    ]
    if view["deadline_met"] is not None:
        lines.append("按时回应" if view["deadline_met"] else "未按时限要求回应")
    if view["close_reason"]:
        lines.append(f"{view['status']}理由：{terminal_safe(view['close_reason'])}")
    for r in view["responses"]:
        where = terminal_safe(r["url"] or "")
        lines.append(
            f"回应：{when(r['at'])} {FORMS.get(r['form'], r['form'])}"
            f"（{CHANNELS.get(r['channel'], r['channel'])}）{where}"
        )
    if view["merged_into"]:
        lines.append(f"已并入案件 {view['merged_into']}")
    if view["post"]:
        post = view["post"]
        lines.append(f"首帖：{terminal_safe(post['title'])}  {terminal_safe(post['url'])}")
    if view["requested_by"]:
        lines.append(f"上级交办：{terminal_safe(view['requested_by'])}")
        lines.append(f"事项：{terminal_safe(view['about'] or '')}")
    for reason in view["severity_reasons"]:
        lines.append(f"  定级依据：{terminal_safe(reason)}")
    routing = view["routing"]
    if routing:
        lines.append(f"第一责任主体：{terminal_safe(routing.get('first_responsible', ''))}")
        if routing.get("co_responsible"):
            lines.append(f"按职责回应：{terminal_safe('、'.join(routing['co_responsible']))}")
        if routing.get("coordinators"):
            lines.append(f"组织协调：{terminal_safe('、'.join(routing['coordinators']))}")
        for reason in routing.get("reasons", []):
            lines.append(f"  依据：{terminal_safe(reason)}")
    if view["event"]:
        heat = view["event"]["heat"] or {}
        lines.append(
            f"事件 {view['event']['id']}：{heat.get('posts', 0)} 帖，"
            f"{heat.get('sources', 0)} 个来源，{heat.get('platforms', 0)} 个平台"
        )
        for url in view["event"]["urls"][:10]:
            lines.append(f"  {terminal_safe(url)}")
    if view["referral"]:
        ref = view["referral"]
        lines.append(f"移交：{terminal_safe('、'.join(ref['organs']))}（{when(ref['at'])}）")
        for reason in ref["reasons"]:
            lines.append(f"  {terminal_safe(reason)}")
        lines.append(f"  证据：{len(ref['evidence'])} 帖")
    lines.append("经过：")
    for e in view["history"]:
        other = "" if e["case_id"] == view["case_id"] else f"（案件 {e['case_id']}）"
        lines.append(f"  {when(e['at'])} {terminal_safe(e['actor'])} {e['action']}{other}")
    return "\n".join(lines)
