"""The supervision figures (sections 四, 五), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.reports.conftest import (
    CENTRAL,
    EDUCATION,
    EMERGENCY,
    JINSHUI,
    MARKET,
    NOW,
    SHANGHAI,
    WATER,
    build_november,
)
from yuqing.reports.supervision import (
    UNKNOWN_REGION,
    CaseFacts,
    PeriodError,
    good_practice,
    on_time,
    period_bounds,
    region_of,
    supervise,
    was_overdue,
)
from yuqing.storage.db import transaction
from yuqing.storage.schema import Case, CaseResponse

NOV_1, NOV_30 = date(2026, 11, 1), date(2026, 11, 30)


@pytest.fixture
def november(sessions):
    with transaction(sessions) as session:
        ids = build_november(session)
    with sessions() as session:
        return ids, supervise(session, NOV_1, NOV_30, SHANGHAI, NOW)


def by_unit(units):
    return {u.unit: u for u in units}


def test_departments_on_time_late_median_and_overdue(november):
    ids, sup = november
    d = by_unit(sup.departments)
    assert set(d) == {JINSHUI, WATER, MARKET, CENTRAL, EMERGENCY, EDUCATION}
    # A press conference in time counts; a website release on a 24-h case does not (B, B2).
    js = d[JINSHUI]
    assert (js.cases, js.on_time, js.late, js.pending, js.overdue) == (3, 1, 2, 0, 0)
    assert js.on_time_rate == pytest.approx(1 / 3)
    assert js.median_hours_to_first_response == pytest.approx(4.0)
    water = d[WATER]
    assert (water.cases, water.on_time, water.late, water.overdue) == (4, 2, 2, 2)
    assert water.overdue_case_ids == (ids["C"], ids["D"])
    assert water.median_hours_to_first_response == pytest.approx(15.0)
    # Answered after its deadline, never swept: overdue all the same.
    assert (d[MARKET].on_time, d[MARKET].late, d[MARKET].overdue) == (0, 1, 1)
    # Opened 00:00 on 1 November in Beijing (still October in UTC): counted; the one opened
    # 23:30 on 30 November is still in time, so the rate is over the decided case only.
    edu = d[EDUCATION]
    assert (edu.cases, edu.on_time, edu.pending, edu.on_time_rate) == (2, 1, 1, 1.0)
    assert d[EMERGENCY].median_hours_to_first_response is None
    # Units needing attention come first.
    assert sup.departments[0].unit == WATER


def test_totals_and_exclusions(november):
    _, sup = november
    t = sup.total
    assert (t.cases, t.on_time, t.late, t.pending, t.overdue) == (12, 5, 6, 1, 4)
    assert t.on_time_rate == pytest.approx(5 / 11)
    assert t.median_hours_to_first_response == pytest.approx(4.5)
    # Merged and dismissed cases (both overdue) are left out, and said to be.
    assert sup.excluded == {"merged": 1, "dismissed": 1}


def test_regions_interviews_and_good_practice(november):
    ids, sup = november
    r = by_unit(sup.regions)
    assert set(r) == {"郑州市金水区", "中牟县", "河南省郑州市中原区", UNKNOWN_REGION, "郑州市"}
    zm = r["中牟县"]
    assert (zm.cases, zm.on_time, zm.late, zm.overdue) == (5, 2, 3, 3)
    assert r[UNKNOWN_REGION].overdue == 1
    assert r["河南省郑州市中原区"].on_time == 1
    # Overdue twice: to interview, with the cases; 金水区's overdue cases were merged/dismissed.
    assert [(i.unit, i.overdue_case_ids) for i in sup.interviews] == [(WATER, (ids["C"], ids["D"]))]
    # Early press conference (5 of 24 h) and briefing (20 of 48 h); the weibo release is not.
    assert [g.case_id for g in sup.good_practice] == [ids["A"], ids["F2"]]
    first = sup.good_practice[0]
    assert (first.unit, first.region, first.form) == (JINSHUI, "郑州市金水区", "press_conference")
    assert first.hours_after_surfacing == pytest.approx(5)
    assert first.hours_before_due == pytest.approx(19)


def test_an_empty_period_has_no_figures(sessions):
    with sessions() as session:
        sup = supervise(session, NOV_1, NOV_30, SHANGHAI, NOW)
    assert sup.total.cases == 0
    assert sup.total.on_time_rate is None
    assert sup.total.median_hours_to_first_response is None
    assert sup.departments == sup.regions == sup.interviews == sup.good_practice == ()


# --- the rules, on cases not stored -----------------------------------------------------------

T0 = datetime(2026, 11, 10, 2, tzinfo=UTC)


def case(hours: int = 24, **kw) -> Case:
    values = {
        "surfaced_at": T0,
        "due_at": T0 + timedelta(hours=hours),
        "response_form": "press_conference" if hours == 24 else "response",
        "deadline_state": "on_track",
        "deadline_met": None,
        "first_response_at": None,
    }
    return Case(**(values | kw))


def answer(form: str, after: float) -> CaseResponse:
    return CaseResponse(form=form, channel="website", at=T0 + timedelta(hours=after))


@pytest.mark.parametrize(
    ("hours", "form", "after", "expected"),
    [
        (24, "press_conference", 23, True),
        (24, "briefing", 24, True),  # at the deadline itself: in time (the lifecycle's rule)
        (24, "authoritative_release", 1, False),
        (24, "press_conference", 25, False),
        (48, "media_interview", 47, True),
        (48, "authoritative_release", 49, False),
    ],
)
def test_on_time_from_responses_when_deadline_met_is_unset(hours, form, after, expected):
    later = T0 + timedelta(hours=60)
    assert on_time(case(hours), [answer(form, after)], later) is expected


def test_on_time_trusts_a_recorded_met_and_waits_before_the_deadline():
    assert on_time(case(deadline_met=True), [], T0 + timedelta(hours=30)) is True
    website = [answer("authoritative_release", 1)]
    # A website notice first on a 24-h case: a press conference may still come in time.
    assert on_time(case(deadline_met=False), website, T0 + timedelta(hours=2)) is None
    assert on_time(case(deadline_met=False), website, T0 + timedelta(hours=25)) is False
    assert on_time(case(), [], T0 + timedelta(hours=2)) is None
    # Recorded False, then a press conference in time: met (as the lifecycle would record).
    both = [*website, answer("press_conference", 6)]
    assert on_time(case(deadline_met=False), both, T0 + timedelta(hours=30)) is True


def test_overdue_rules():
    later = T0 + timedelta(hours=30)
    assert was_overdue(case(deadline_state="overdue"), [], False, later)
    assert was_overdue(case(), [], True, later)
    assert was_overdue(case(), [], False, later)  # never swept, unanswered past the deadline
    assert not was_overdue(case(), [], False, T0 + timedelta(hours=2))
    assert not was_overdue(case(), [answer("authoritative_release", 3)], False, later)
    assert was_overdue(case(), [answer("press_conference", 25)], False, later)


def test_good_practice_is_a_press_form_within_half_the_time():
    fact = CaseFacts(1, "单位", "属地", "response", T0, T0 + timedelta(hours=48), None, True, False)
    assert good_practice(fact, [answer("briefing", 24)]) is not None  # exactly half: in
    assert good_practice(fact, [answer("briefing", 24.1)]) is None
    assert good_practice(fact, [answer("authoritative_release", 1)]) is None
    found = good_practice(fact, [answer("authoritative_release", 1), answer("press_conference", 6)])
    assert found is not None and found.form == "press_conference"
    assert found.hours_before_due == pytest.approx(42)


def test_region_of_prefers_the_jurisdiction_then_the_most_specific_region():
    regions = [
        {"name": "河南省郑州市中原区", "level": "county"},
        {"name": "河南省", "level": "province"},
    ]
    assert region_of({"jurisdiction": "中牟县", "regions": regions}) == "中牟县"
    assert region_of({"jurisdiction": "", "regions": regions}) == "河南省郑州市中原区"
    assert region_of({"jurisdiction": None, "regions": [{"name": ""}]}) == UNKNOWN_REGION
    assert region_of({}) == UNKNOWN_REGION


def test_period_days_are_cut_in_shanghai_and_must_not_run_backwards():
    low, high = period_bounds(NOV_1, NOV_30, SHANGHAI)
    assert low == datetime(2026, 10, 31, 16, tzinfo=UTC)
    assert high == datetime(2026, 11, 30, 16, tzinfo=UTC)
    with pytest.raises(PeriodError, match="2026-10-01"):
        period_bounds(NOV_1, date(2026, 10, 1), SHANGHAI)
