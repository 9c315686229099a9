"""The supervision report, sections 四 and 五 of the notice: who answered on time and who did not.

定期开展督查 … 定期对舆情回应工作情况进行通报，对工作消极、不作为且整改不到位的单位和个人进行约谈；
对先进典型以适当方式进行推广交流.

The report covers the cases *opened* in a period of days cut in Asia/Shanghai (both ends
included). Merged cases live on in the case they were merged into, and dismissed cases needed no
response: neither is counted, and the report says how many were left out.

Figures are given per department (the first responsible party, ``Case.responsible_party``) and
per region (the routing's jurisdiction), with totals:

- *on time*: see :func:`on_time`. The rate is taken over the cases whose outcome is known
  (``decided``); a case still inside its deadline with no qualifying answer is ``pending`` and
  counts neither way.
- *median hours to first response*: from ``surfaced_at`` (when the deadline starts to run) to the
  first response of any form, over the cases answered at all.
- *overdue*: see :func:`was_overdue`.

A department overdue :data:`INTERVIEW_THRESHOLD` times or more in the period is a candidate for
an interview (约谈). A case answered by a press conference or briefing within
:data:`EARLY_SHARE` of its allowed time is listed as good practice (先进典型).

Nothing here reads the clock: ``now`` is passed in.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuqing.storage.schema import Case, CaseEvent, CaseResponse
from yuqing.triage.cases import DISMISSED, MERGED
from yuqing.triage.lifecycle import PRESS_FORMS, meets_deadline
from yuqing.triage.sweep import OVERDUE

DEPARTMENT, REGION = "department", "region"
#: cases in these states are not counted (see the module docstring)
EXCLUDED = (MERGED, DISMISSED)
#: a region for cases whose routing recognised no place
UNKNOWN_REGION = "未识别属地"
#: a department for cases with no responsible party recorded
UNKNOWN_DEPARTMENT = "未明确责任单位"
#: overdue this many times in the period: a candidate for an interview (约谈)
INTERVIEW_THRESHOLD = 2
#: answered by a press conference or briefing within this share of the allowed time (from
#: surfacing to the deadline): good practice. Half: within 12 h of a 24-h deadline, 24 h of 48 h.
EARLY_SHARE = 0.5
#: a region's routing level, most specific last
_LEVEL_ORDER = ("national", "province", "city", "county")


class PeriodError(ValueError):
    """A report period that makes no sense (it ends before it starts)."""


@dataclass(frozen=True)
class CaseFacts:
    """One counted case, as the report sees it."""

    case_id: int
    department: str
    region: str
    response_form: str
    surfaced_at: datetime
    due_at: datetime
    #: the first response of any form, if any
    first_response_at: datetime | None
    #: True, False, or None while still pending (see :func:`on_time`)
    on_time: bool | None
    overdue: bool

    @property
    def hours_to_first_response(self) -> float | None:
        if self.first_response_at is None:
            return None
        return (self.first_response_at - self.surfaced_at).total_seconds() / 3600


@dataclass(frozen=True)
class UnitFigures:
    """One department's or region's figures (or the totals, with kind ``total``)."""

    kind: str
    unit: str
    cases: int
    on_time: int
    #: answered late, in the wrong form, or not at all by the deadline
    late: int
    #: still inside the deadline with no qualifying answer: counted neither way
    pending: int
    #: on time / decided cases; None when no case is decided yet
    on_time_rate: float | None
    median_hours_to_first_response: float | None
    overdue: int
    overdue_case_ids: tuple[int, ...] = ()

    @property
    def decided(self) -> int:
        return self.on_time + self.late


@dataclass(frozen=True)
class InterviewCandidate:
    """A department overdue :data:`INTERVIEW_THRESHOLD` times or more: a candidate for 约谈."""

    unit: str
    overdue_case_ids: tuple[int, ...]
    cases: int


@dataclass(frozen=True)
class GoodPractice:
    """A case answered early by a press conference or briefing (先进典型)."""

    unit: str
    region: str
    case_id: int
    form: str
    at: datetime
    allowed_hours: float
    hours_after_surfacing: float
    hours_before_due: float


@dataclass(frozen=True)
class Supervision:
    start: date
    end: date
    tz: ZoneInfo
    now: datetime
    total: UnitFigures
    departments: tuple[UnitFigures, ...]
    regions: tuple[UnitFigures, ...]
    interviews: tuple[InterviewCandidate, ...]
    good_practice: tuple[GoodPractice, ...]
    #: cases opened in the period but not counted, by status (merged, dismissed)
    excluded: dict[str, int] = field(default_factory=dict)


def on_time(case: Case, responses: Sequence[CaseResponse], now: datetime) -> bool | None:
    """Whether a case was answered on time: the one rule of this report.

    ``deadline_met`` True, as the lifecycle records it, is trusted. Otherwise the case's
    responses decide, by the lifecycle's own rule (:func:`yuqing.triage.lifecycle.meets_deadline`:
    a 24-hour deadline is met only by a press conference or briefing made by ``due_at``, a
    48-hour one by any response made by then); the lifecycle turns False into True the same way
    when a qualifying response follows a first one that did not qualify, so the two agree, and
    cases with ``deadline_met`` unset (data from before the lifecycle) are judged too. With no
    qualifying response the deadline is missed once it has passed; before that the case is
    pending, even if a first response (say a website notice on a 24-hour case) did not qualify,
    since a press conference may still come in time.

    Returns True (on time), False (missed), or None (still pending at ``now``).
    """
    if case.deadline_met is True:
        return True
    if any(meets_deadline(case.response_form, case.due_at, r.form, r.at) for r in responses):
        return True
    return None if now < case.due_at else False


def was_overdue(
    case: Case, responses: Sequence[CaseResponse], overdue_event: bool, now: datetime
) -> bool:
    """Whether a case went overdue: marked so by the deadline sweep (``deadline_state`` or an
    ``overdue`` event), or, should the sweep not have run in time, left with no response of any
    form until past its deadline (what the sweep would have marked)."""
    if case.deadline_state == OVERDUE or overdue_event:
        return True
    first = first_response(case, responses)
    reached = first if first is not None else now
    return reached > case.due_at


def first_response(case: Case, responses: Sequence[CaseResponse]) -> datetime | None:
    """The first response of any form: the recorded one, else the earliest stored."""
    times = [r.at for r in responses]
    if case.first_response_at is not None:
        times.append(case.first_response_at)
    return min(times, default=None)


def region_of(routing: dict[str, Any]) -> str:
    """The region a case is counted under: the routing's jurisdiction, else the most specific
    region it named, else :data:`UNKNOWN_REGION`."""
    jurisdiction = str(routing.get("jurisdiction") or "").strip()
    if jurisdiction:
        return jurisdiction
    regions = [r for r in routing.get("regions") or () if isinstance(r, dict) and r.get("name")]
    if not regions:
        return UNKNOWN_REGION

    def depth(region: dict[str, Any]) -> int:
        level = region.get("level")
        return _LEVEL_ORDER.index(level) if level in _LEVEL_ORDER else -1

    # max keeps the first of equals: the routing lists the places named in the text first.
    return str(max(regions, key=depth)["name"]).strip() or UNKNOWN_REGION


def period_bounds(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in ``tz``, as UTC."""
    if end < start:
        raise PeriodError(f"the period ends ({end}) before it starts ({start})")
    low = datetime.combine(start, time(), tzinfo=tz).astimezone(UTC)
    high = datetime.combine(end + timedelta(days=1), time(), tzinfo=tz).astimezone(UTC)
    return low, high


def supervise(session: Session, start: date, end: date, tz: ZoneInfo, now: datetime) -> Supervision:
    """The supervision figures for the cases opened from ``start`` to ``end`` (days in ``tz``)."""
    low, high = period_bounds(start, end, tz)
    in_period = (Case.opened_at >= low) & (Case.opened_at < high)
    cases = session.scalars(select(Case).where(in_period).order_by(Case.id)).all()
    # Subqueries rather than lists of ids: a month may hold more cases than a statement may
    # carry parameters.
    ids = select(Case.id).where(in_period).scalar_subquery()
    responses: dict[int, list[CaseResponse]] = defaultdict(list)
    for r in session.scalars(
        select(CaseResponse).where(CaseResponse.case_id.in_(ids)).order_by(CaseResponse.at)
    ):
        responses[r.case_id].append(r)
    overdue_events = set(
        session.scalars(
            select(CaseEvent.case_id).where(
                CaseEvent.case_id.in_(ids), CaseEvent.action == "overdue"
            )
        )
    )

    excluded: dict[str, int] = defaultdict(int)
    facts: list[CaseFacts] = []
    practice: list[GoodPractice] = []
    for case in cases:
        if case.status in EXCLUDED:
            excluded[case.status] += 1
            continue
        answers = responses.get(case.id, [])
        fact = CaseFacts(
            case_id=case.id,
            department=(case.responsible_party or "").strip() or UNKNOWN_DEPARTMENT,
            region=region_of(case.routing or {}),
            response_form=case.response_form,
            surfaced_at=case.surfaced_at,
            due_at=case.due_at,
            first_response_at=first_response(case, answers),
            on_time=on_time(case, answers, now),
            overdue=was_overdue(case, answers, case.id in overdue_events, now),
        )
        facts.append(fact)
        if (good := good_practice(fact, answers)) is not None:
            practice.append(good)

    departments = _group(facts, DEPARTMENT, lambda f: f.department)
    regions = _group(facts, REGION, lambda f: f.region)
    interviews = tuple(
        InterviewCandidate(d.unit, d.overdue_case_ids, d.cases)
        for d in departments
        if d.overdue >= INTERVIEW_THRESHOLD
    )
    practice.sort(key=lambda g: (g.hours_after_surfacing / g.allowed_hours, g.case_id))
    return Supervision(
        start=start,
        end=end,
        tz=tz,
        now=now,
        total=figures("total", "合计", facts),
        departments=departments,
        regions=regions,
        interviews=interviews,
        good_practice=tuple(practice),
        excluded=dict(excluded),
    )


def good_practice(fact: CaseFacts, responses: Sequence[CaseResponse]) -> GoodPractice | None:
    """The case's earliest press conference or briefing, if it came within :data:`EARLY_SHARE`
    of the allowed time (and so before the deadline)."""
    allowed = (fact.due_at - fact.surfaced_at).total_seconds()
    if allowed <= 0:
        return None
    for r in sorted(responses, key=lambda r: r.at):
        used = (r.at - fact.surfaced_at).total_seconds()
        if r.form in PRESS_FORMS and 0 <= used <= EARLY_SHARE * allowed:
            return GoodPractice(
                unit=fact.department,
                region=fact.region,
                case_id=fact.case_id,
                form=r.form,
                at=r.at,
                allowed_hours=allowed / 3600,
                hours_after_surfacing=used / 3600,
                hours_before_due=(fact.due_at - r.at).total_seconds() / 3600,
            )
    return None


def figures(kind: str, unit: str, facts: Iterable[CaseFacts]) -> UnitFigures:
    facts = list(facts)
    met = sum(f.on_time is True for f in facts)
    late = sum(f.on_time is False for f in facts)
    hours = [h for f in facts if (h := f.hours_to_first_response) is not None]
    overdue = tuple(f.case_id for f in facts if f.overdue)
    return UnitFigures(
        kind=kind,
        unit=unit,
        cases=len(facts),
        on_time=met,
        late=late,
        pending=len(facts) - met - late,
        on_time_rate=met / (met + late) if met + late else None,
        median_hours_to_first_response=statistics.median(hours) if hours else None,
        overdue=len(overdue),
        overdue_case_ids=overdue,
    )


def _group(
    facts: Sequence[CaseFacts], kind: str, key: Callable[[CaseFacts], str]
) -> tuple[UnitFigures, ...]:
    groups: dict[str, list[CaseFacts]] = defaultdict(list)
    for f in facts:
        groups[key(f)].append(f)
    units = [figures(kind, name, members) for name, members in groups.items()]
    # Those needing attention first: most overdue, then the lowest on-time rate.
    units.sort(
        key=lambda u: (
            -u.overdue,
            u.on_time_rate if u.on_time_rate is not None else 2.0,
            -u.cases,
            u.unit,
        )
    )
    return tuple(units)
