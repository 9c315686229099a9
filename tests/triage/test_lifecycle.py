"""A case's life and the deadline sweep, with a fixed clock."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from yuqing.storage.schema import Alert, AlertDelivery, Case, CaseEvent
from yuqing.triage import lifecycle
from yuqing.triage.lifecycle import LifecycleError
from yuqing.triage.responsibility import default_rules
from yuqing.triage.sweep import deadline_state, sweep

T0 = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)


def make_case(sessions, response_form="response", hours=48, severity="一般"):
    with sessions.begin() as s:
        case = Case(
            post_id=None,
            category="emergency",
            severity=severity,
            severity_reasons=[],
            opened_at=T0,
            surfaced_at=T0,
            due_at=T0 + timedelta(hours=hours),
            response_form=response_form,
            status="open",
            responsible_party="中牟县应急管理局",
            coordinator="",
            referral="",
            routing={"level": "county", "jurisdiction": "中牟县", "coordinators": []},
            routing_reasons=[],
            model_version="t",
            updated_at=T0,
            about="中牟县某地发生险情",
        )
        s.add(case)
        s.flush()
        return case.id


def act(sessions, func, *args, **kw):
    with sessions.begin() as s:
        return func(s, *args, **kw)


def actions(sessions, case_id):
    with sessions() as s:
        return s.scalars(
            select(CaseEvent.action).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        ).all()


def test_acknowledged_answered_by_a_press_conference_followed_up_and_closed(sessions):
    case_id = make_case(sessions, "press_conference", hours=24)
    now = T0 + timedelta(hours=2)
    assert (
        act(sessions, lifecycle.acknowledge, case_id, actor="张三", now=now).status
        == "acknowledged"
    )
    done = act(
        sessions,
        lifecycle.record_response,
        case_id,
        form="press_conference",
        channel="website",
        at=T0 + timedelta(hours=20),
        actor="张三",
        now=T0 + timedelta(hours=21),
        url="https://www.example.gov.cn/xwfb/1.html",
    )
    assert (done.status, done.deadline_met) == ("responded", True)
    later = act(
        sessions,
        lifecycle.record_response,
        case_id,
        form="authoritative_release",
        channel="weibo",
        at=T0 + timedelta(hours=30),
        actor="李四",
        now=T0 + timedelta(hours=30),
    )
    assert later.status == "following_up"  # 持续发布权威信息
    closed = act(
        sessions,
        lifecycle.close,
        case_id,
        "事件平息，善后完毕",
        actor="张三",
        now=T0 + timedelta(days=3),
    )
    assert closed.status == "closed"
    with sessions() as s:
        case = s.get(Case, case_id)
        assert case.deadline_met is True
        assert case.first_response_at == T0 + timedelta(hours=20)
        assert case.close_reason == "事件平息，善后完毕"
        events = s.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        ).all()
    assert [e.action for e in events] == ["acknowledged", "responded", "responded", "closed"]
    assert [e.actor for e in events] == ["张三", "张三", "李四", "张三"]
    assert events[1].detail["url"] == "https://www.example.gov.cn/xwfb/1.html"


def test_a_24_hour_deadline_is_met_only_by_a_press_conference_or_briefing(sessions):
    case_id = make_case(sessions, "press_conference", hours=24)
    first = act(
        sessions,
        lifecycle.record_response,
        case_id,
        form="authoritative_release",
        channel="website",
        at=T0 + timedelta(hours=3),
        actor="a",
        now=T0 + timedelta(hours=3),
    )
    assert first.deadline_met is False
    briefing = act(
        sessions,
        lifecycle.record_response,
        case_id,
        form="briefing",
        channel="press",
        at=T0 + timedelta(hours=23),
        actor="a",
        now=T0 + timedelta(hours=23),
    )
    assert (briefing.status, briefing.deadline_met) == ("following_up", True)
    late = make_case(sessions, "response", hours=48)
    done = act(
        sessions,
        lifecycle.record_response,
        late,
        form="media_interview",
        channel="press",
        at=T0 + timedelta(hours=49),
        actor="a",
        now=T0 + timedelta(hours=50),
    )
    assert done.deadline_met is False


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (lambda s, c: lifecycle.close(s, c, "好了", actor="a", now=T0), "it cannot become closed"),
        (lambda s, c: lifecycle.dismiss(s, c, "  ", actor="a", now=T0), "a reason is needed"),
        (
            lambda s, c: lifecycle.record_response(
                s, c, form="tweet", channel="weibo", at=T0, actor="a", now=T0
            ),
            "unknown response form 'tweet'",
        ),
        (
            lambda s, c: lifecycle.record_response(
                s,
                c,
                form="briefing",
                channel="weibo",
                at=T0 + timedelta(hours=1),
                actor="a",
                now=T0,
            ),
            "is in the future",
        ),
        (
            lambda s, c: lifecycle.record_response(
                s, c, form="briefing", channel="weibo", at=T0, actor="a", now=T0, url="javascript:x"
            ),
            r"must be http\(s\)",
        ),
        (lambda s, c: lifecycle.acknowledge(s, 999, actor="a", now=T0), "no case 999"),
    ],
)
def test_changes_the_state_does_not_allow_are_refused_and_change_nothing(sessions, step, message):
    case_id = make_case(sessions)
    with pytest.raises(LifecycleError, match=message):
        act(sessions, step, case_id)
    with sessions() as s:
        assert s.get(Case, case_id).status == "open"
    assert actions(sessions, case_id) == []


def test_nothing_is_done_to_a_dismissed_case(sessions):
    case_id = make_case(sessions)
    act(sessions, lifecycle.dismiss, case_id, "误报", actor="a", now=T0)
    with pytest.raises(LifecycleError, match="is dismissed"):
        act(sessions, lifecycle.acknowledge, case_id, actor="a", now=T0)


def test_deadline_states_from_the_share_of_time_used():
    due = T0 + timedelta(hours=48)
    assert deadline_state(T0, due, T0 + timedelta(hours=35)) == "on_track"
    assert deadline_state(T0, due, T0 + timedelta(hours=36)) == "due_soon"
    assert deadline_state(T0, due, due) == "overdue"


def test_an_unanswered_case_turns_due_soon_then_overdue_escalates_and_alerts_once_each(sessions):
    case_id = make_case(sessions)
    rules = default_rules()

    def run(hours):
        with sessions.begin() as s:
            return sweep(s, T0 + timedelta(hours=hours), rules, channels=("webhook",))

    assert (run(10).due_soon, run(10).overdue) == (0, 0)
    first = run(37)
    assert (first.due_soon, first.overdue) == (1, 0)
    assert run(40).due_soon == 0  # the same state again: nothing new
    late = run(49)
    assert (late.overdue, late.escalated) == (1, 1)
    assert run(60).overdue == 0
    with sessions() as s:
        case = s.get(Case, case_id)
        assert case.deadline_state == "overdue"
        assert case.escalated_at == T0 + timedelta(hours=49)
        escalated = s.scalar(select(CaseEvent).where(CaseEvent.action == "escalated"))
        assert escalated.detail["to"] == ["中牟县人民政府办公室", "中共中牟县委宣传部"]
        kinds = s.scalars(
            select(Alert.kind).where(Alert.case_id == case_id).order_by(Alert.id)
        ).all()
        assert kinds == ["due_soon", "overdue"]
        assert s.scalar(select(func.count(AlertDelivery.id))) == 2  # one per alert: the webhook
    assert actions(sessions, case_id) == ["due_soon", "overdue", "escalated"]


def test_an_answered_case_is_not_swept(sessions):
    case_id = make_case(sessions)
    act(
        sessions,
        lifecycle.record_response,
        case_id,
        form="authoritative_release",
        channel="website",
        at=T0 + timedelta(hours=1),
        actor="a",
        now=T0 + timedelta(hours=1),
    )
    with sessions.begin() as s:
        report = sweep(s, T0 + timedelta(hours=100), default_rules())
    assert (report.due_soon, report.overdue) == (0, 0)


def test_alert_ids_are_ascii_for_headers(sessions):
    from yuqing.triage.alerting import MAJOR_CASE, alert_key

    case_id = make_case(sessions, severity="特别重大")
    with sessions() as s:
        key = alert_key(s.get(Case, case_id), MAJOR_CASE)
    assert key == f"case-{case_id}-major_case-extra-major"
    assert key.isascii()
