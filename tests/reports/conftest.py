"""A month of cases, built directly with the ORM, whose supervision figures are worked out by
hand in the comments below (and asserted in the tests)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from tests.dbfixtures import db_url, engine, sessions  # noqa: F401  (fixtures)
from yuqing.storage.schema import Case, CaseEvent, CaseResponse

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: when the November report is made: the case opened late on 30 November is still in time
NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)

JINSHUI = "郑州市金水区住房和城乡建设局"
WATER = "中牟县水利局"
MARKET = "中牟县市场监督管理局"
EDUCATION = "郑州市教育局"
EMERGENCY = "属地应急管理局"
CENTRAL = "郑州市中原区人民政府办公室"


def routing(jurisdiction: str = "", regions: list[dict[str, Any]] | None = None) -> dict:
    return {"first_responsible": "", "jurisdiction": jurisdiction, "regions": regions or []}


def add_case(
    session: Session,
    party: str,
    opened: datetime,
    *,
    hours: int = 48,
    route: dict | None = None,
    status: str = "open",
    deadline_state: str = "on_track",
    deadline_met: bool | None = None,
    answers: tuple[tuple[str, str, float], ...] = (),
    overdue_event: bool = False,
    merged_into_id: int | None = None,
) -> int:
    """A case opened (and surfaced) at ``opened`` with a ``hours`` deadline; ``answers`` are
    (form, channel, hours after surfacing)."""
    case = Case(
        category="emergency" if hours == 24 else "public_interest",
        severity="重大" if hours == 24 else "一般",
        opened_at=opened,
        surfaced_at=opened,
        due_at=opened + timedelta(hours=hours),
        response_form="press_conference" if hours == 24 else "response",
        status=status,
        deadline_state=deadline_state,
        deadline_met=deadline_met,
        first_response_at=opened + timedelta(hours=answers[0][2]) if answers else None,
        responsible_party=party,
        routing=route if route is not None else routing(),
        model_version="test",
        updated_at=opened,
        merged_into_id=merged_into_id,
    )
    session.add(case)
    session.flush()
    for form, channel, after in answers:
        at = opened + timedelta(hours=after)
        session.add(
            CaseResponse(
                case_id=case.id,
                form=form,
                channel=channel,
                at=at,
                recorded_by="测试",
                recorded_at=at,
            )
        )
    if overdue_event:
        session.add(
            CaseEvent(case_id=case.id, at=case.due_at, actor="sweep", action="overdue", detail={})
        )
    return case.id


def nov(day: int, hour: int = 2, minute: int = 0) -> datetime:
    """A UTC time in November 2026 (02:00 UTC is 10:00 in Shanghai)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def build_november(session: Session) -> dict[str, int]:
    """Twelve counted cases, two excluded by status, two outside the month. By hand:

    - 金水区住建局 (郑州市金水区): A press conference at 5 h on a 24-h case (on time, good
      practice); B and B2 a website release only, at 3 h and 4 h (late: wrong form; B's
      ``deadline_met`` recorded False, B2's unset and computed). 3 cases, 1 on time, median 4 h,
      0 overdue. Its merged and dismissed cases, both overdue, are not counted.
    - 中牟县水利局 (中牟县): C unanswered and marked overdue; D unanswered, only an ``overdue``
      event; F a weibo release at 10 h (on time, computed); F2 a briefing at 20 h on a 48-h case
      (on time, good practice). 4 cases, 2 on time, median 15 h, 2 overdue: to interview.
    - 中牟县市场监管局 (中牟县): E a media interview at 50 h on a 48-h case: late, overdue
      although never swept.
    - 中原区政府办 (no jurisdiction; regions: 郑州市, then 中原区): R1 answered at 2 h.
    - 属地应急管理局 (no routing): R2 unanswered, overdue → 未识别属地.
    - 郑州市教育局 (郑州市): S opened at 00:00 on 1 November Beijing time, answered at 1 h; P
      opened 23:30 on 30 November, still in time at NOW (pending). Cases opened 23:00 on 31
      October and 00:10 on 1 December (Beijing) are outside.

    Totals: 12 cases, 5 on time, 6 late, 1 pending, 4 overdue, median of 1,2,3,4,5,10,20,50 h
    = 4.5 h.
    """
    ids: dict[str, int] = {}
    js, zm, zz = routing("郑州市金水区"), routing("中牟县"), routing("郑州市")
    ids["A"] = add_case(
        session,
        JINSHUI,
        nov(10),
        hours=24,
        route=js,
        status="responded",
        deadline_met=True,
        answers=(("press_conference", "press", 5),),
    )
    ids["B"] = add_case(
        session,
        JINSHUI,
        nov(11),
        hours=24,
        route=js,
        status="responded",
        deadline_met=False,
        answers=(("authoritative_release", "website", 3),),
    )
    ids["B2"] = add_case(
        session,
        JINSHUI,
        nov(12),
        hours=24,
        route=js,
        status="responded",
        answers=(("authoritative_release", "website", 4),),
    )
    ids["C"] = add_case(session, WATER, nov(13), route=zm, deadline_state="overdue")
    ids["D"] = add_case(session, WATER, nov(14), route=zm, overdue_event=True)
    ids["F"] = add_case(
        session,
        WATER,
        nov(15),
        route=zm,
        status="responded",
        answers=(("authoritative_release", "weibo", 10),),
    )
    ids["F2"] = add_case(
        session, WATER, nov(16), route=zm, status="responded", answers=(("briefing", "press", 20),)
    )
    ids["E"] = add_case(
        session,
        MARKET,
        nov(17),
        route=zm,
        status="responded",
        deadline_met=False,
        answers=(("media_interview", "press", 50),),
    )
    ids["R1"] = add_case(
        session,
        CENTRAL,
        nov(18),
        route=routing(
            "",
            [
                {"code": "410100", "name": "河南省郑州市", "level": "city"},
                {"code": "410102", "name": "河南省郑州市中原区", "level": "county"},
            ],
        ),
        status="responded",
        deadline_met=True,
        answers=(("authoritative_release", "wechat", 2),),
    )
    ids["R2"] = add_case(session, EMERGENCY, nov(19), route={}, deadline_state="overdue")
    ids["S"] = add_case(
        session,
        EDUCATION,
        datetime(2026, 10, 31, 16, 0, tzinfo=UTC),
        route=zz,
        status="responded",
        answers=(("authoritative_release", "app", 1),),
    )
    ids["P"] = add_case(session, EDUCATION, nov(30, 15, 30), route=zz)
    # Not counted: merged and dismissed (both overdue: counting them would make 金水区 a unit
    # to interview), and opened outside the month in Beijing time.
    ids["M"] = add_case(
        session,
        JINSHUI,
        nov(20),
        route=js,
        status="merged",
        deadline_state="overdue",
        merged_into_id=ids["A"],
    )
    ids["X"] = add_case(
        session, JINSHUI, nov(21), route=js, status="dismissed", deadline_state="overdue"
    )
    ids["before"] = add_case(
        session, EDUCATION, datetime(2026, 10, 31, 15, 0, tzinfo=UTC), route=zz
    )
    ids["after"] = add_case(session, EDUCATION, nov(30, 16, 10), route=zz)
    return ids
