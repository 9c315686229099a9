"""Which case changes raise an alert, and what the alert says.

Four kinds: a new case graded 重大 or 特别重大 (or one upgraded to it), ``major_case``; a deadline
``due_soon``; a case ``overdue``; a rumour ``referral``. Each is keyed by the case and the state
it reports (the grade, the due time), so it is raised once per state change: the same change
seen again adds nothing, and a new one (an upgrade to 特别重大, a deadline moved earlier) alerts
again. Delivery is the outbox's business (``yuqing.alerts``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from yuqing.alerts.outbox import enqueue
from yuqing.storage.schema import Case
from yuqing.triage.categories import CATEGORIES
from yuqing.triage.severity import EXTRA_MAJOR, MAJOR

MAJOR_CASE, DUE_SOON, OVERDUE, REFERRAL = "major_case", "due_soon", "overdue", "referral"

#: what each kind means, for people
KIND_NAMES = {
    MAJOR_CASE: "重大舆情",
    DUE_SOON: "即将到期",
    OVERDUE: "已超期",
    REFERRAL: "谣言移交",
}


#: grades in ASCII for alert ids, which travel in HTTP and mail headers
GRADE_CODES = {EXTRA_MAJOR: "extra-major", MAJOR: "major", "较大": "large", "一般": "ordinary"}


def alert_key(case: Case, kind: str) -> str:
    """The alert's stable id, in ASCII (it travels in headers): the case and the state
    reported."""
    if kind == MAJOR_CASE:
        state = GRADE_CODES[case.severity]
    elif kind in (DUE_SOON, OVERDUE):
        state = case.due_at.isoformat()
    else:
        state = "1"
    return f"case-{case.id}-{kind}-{state}"


def payload(case: Case, kind: str) -> dict[str, Any]:
    post = case.post
    return {
        "kind_name": KIND_NAMES[kind],
        "severity": case.severity,
        "category": case.category,
        "category_name": CATEGORIES[case.category].name_zh,
        "title": (post.title or post.text[:80]) if post else (case.about or "")[:80],
        "url": post.canonical_url if post else None,
        "status": case.status,
        "due_at": case.due_at.isoformat(),
        "response_form": case.response_form,
        "deadline_state": case.deadline_state,
        "first_responsible": case.responsible_party,
        "coordinators": list(case.routing.get("coordinators", [])),
        "referral": case.referral or None,
    }


def raise_alert(
    session: Any, case: Case, kind: str, now: datetime, channels: Sequence[str]
) -> bool:
    """Put the alert for ``case`` reaching ``kind`` in the outbox (once per state change)."""
    return enqueue(
        session,
        case_id=case.id,
        kind=kind,
        key=alert_key(case, kind),
        payload=payload(case, kind),
        channels=channels,
        now=now,
    )


def is_major(severity: str) -> bool:
    return severity in (MAJOR, EXTRA_MAJOR)
