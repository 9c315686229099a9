"""The deadline sweep: where each unanswered case's deadline stands, from the stored due times.

Run as often as liked (``yuqing sweep``, the scheduler every minute): it computes each waiting
case's state from ``surfaced_at``/``due_at`` and ``now`` alone, never from timers kept in memory,
so a restart loses nothing, and it acts only on a change of state, so a re-run repeats nothing:

- ``on_track``: less than 75% of the allowed time used;
- ``due_soon``: 75% or more used (an alert);
- ``overdue``: past the deadline (an alert), and the case is escalated to its level's general
  office (办公厅/室) and propaganda department, who coordinate the response (section 一).

States only get worse by themselves; a deadline moved earlier (an upgrade) can skip ``due_soon``.
Alerts go through the outbox in the same transaction as the change (``alerts.outbox``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuqing.storage.schema import Case
from yuqing.triage.alerting import raise_alert
from yuqing.triage.cases import AWAITING, add_event
from yuqing.triage.responsibility import Rules

ON_TRACK, DUE_SOON, OVERDUE = "on_track", "due_soon", "overdue"
DEADLINE_STATES = (ON_TRACK, DUE_SOON, OVERDUE)
#: the share of the allowed time after which a case is due soon
DUE_SOON_SHARE = 0.75


@dataclass
class SweepReport:
    due_soon: int = 0
    overdue: int = 0
    escalated: int = 0


def deadline_state(surfaced_at: datetime, due_at: datetime, now: datetime) -> str:
    """Where a deadline stands at ``now``: the one rule."""
    if now >= due_at:
        return OVERDUE
    allowed = (due_at - surfaced_at).total_seconds()
    used = (now - surfaced_at).total_seconds()
    return DUE_SOON if allowed <= 0 or used >= DUE_SOON_SHARE * allowed else ON_TRACK


def sweep(
    session: Session, now: datetime, rules: Rules, channels: Sequence[str] = ()
) -> SweepReport:
    """Bring every waiting case's deadline state up to ``now``, in the caller's transaction."""
    report = SweepReport()
    cases = session.scalars(
        select(Case).where(Case.status.in_(AWAITING), Case.deadline_state != OVERDUE)
    ).all()
    for case in cases:
        state = deadline_state(case.surfaced_at, case.due_at, now)
        if DEADLINE_STATES.index(state) <= DEADLINE_STATES.index(case.deadline_state):
            continue
        case.deadline_state, case.updated_at = state, now
        add_event(session, case, "sweep", state, now, due_at=case.due_at.isoformat())
        raise_alert(session, case, state, now, channels)
        if state == DUE_SOON:
            report.due_soon += 1
        else:
            report.overdue += 1
            report.escalated += escalate(session, case, rules, now)
    return report


def escalate(session: Session, case: Case, rules: Rules, now: datetime) -> int:
    """Hand an overdue case to its level's general office and propaganda department."""
    if case.escalated_at is not None:
        return 0
    level = case.routing.get("level") or "county"
    region = case.routing.get("jurisdiction") or ""
    if level == "national" or region == "全国":
        level, region = "national", ""
    to = [rules.orgs.general_office(level, region), rules.orgs.propaganda_department(level, region)]
    if not region and level != "national":
        to = ["属地人民政府办公室", "属地党委宣传部"]
    case.escalated_at = now
    add_event(session, case, "sweep", "escalated", now, to=to, due_at=case.due_at.isoformat())
    return 1
