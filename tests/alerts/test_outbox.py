"""The outbox: one alert per key, one pending delivery per channel, in the caller's
transaction."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.alerts.conftest import NOW, add_case, raise_alert
from yuqing.alerts.outbox import enqueue, recent_alerts
from yuqing.storage.schema import Alert, AlertDelivery


def test_a_key_makes_one_alert_with_a_pending_delivery_per_channel(sessions):
    case_id = add_case(sessions)
    key = f"case:{case_id}:overdue"
    assert raise_alert(sessions, case_id, key, ["webhook", "email"], due_at="2026-11-28T03:00:00Z")
    # the same state change seen again (a re-run sweep) adds nothing, whatever it carries
    later = NOW + timedelta(minutes=5)
    assert not raise_alert(sessions, case_id, key, ["webhook", "email"], at=later, title="改")

    with sessions() as s:
        (alert,) = s.scalars(select(Alert)).all()
        deliveries = s.scalars(select(AlertDelivery).order_by(AlertDelivery.channel)).all()
    assert (alert.key, alert.case_id, alert.kind, alert.created_at) == (
        key,
        case_id,
        "overdue",
        NOW,
    )
    assert alert.payload == {
        "id": key,
        "case_id": case_id,
        "kind": "overdue",
        "created_at": "2026-11-27T04:00:00+00:00",
        "severity": "重大",
        "title": "某煤矿透水事故",
        "due_at": "2026-11-28T03:00:00Z",
    }
    assert [(d.channel, d.status, d.attempts, d.next_attempt_at) for d in deliveries] == [
        ("email", "pending", 0, NOW),
        ("webhook", "pending", 0, NOW),
    ]
    assert all(d.alert_id == alert.id and d.last_error is None for d in deliveries)


def test_the_alert_is_part_of_the_callers_transaction(sessions):
    case_id = add_case(sessions)
    with sessions() as s, s.begin():
        enqueue(
            s,
            case_id=case_id,
            kind="due_soon",
            key="k1",
            payload={},
            channels=["webhook"],
            now=NOW,
        )
        assert s.scalar(select(func.count()).select_from(Alert)) == 1
        s.rollback()  # the change it reports did not happen: neither did the alert
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Alert)) == 0
        assert s.scalar(select(func.count()).select_from(AlertDelivery)) == 0


def test_with_no_channel_the_alert_is_recorded_and_listed_without_deliveries(sessions):
    case_id = add_case(sessions)
    assert raise_alert(sessions, case_id, "k-none", [], kind="major_case")
    assert raise_alert(sessions, case_id, "k-hook", ["webhook"], at=NOW + timedelta(minutes=1))
    with sessions() as s:
        listed = recent_alerts(s)
        pending = recent_alerts(s, pending_only=True)
    assert [(a["id"], a["kind"], len(a["deliveries"])) for a in listed] == [
        ("k-hook", "overdue", 1),
        ("k-none", "major_case", 0),
    ]
    assert listed[0]["deliveries"][0]["status"] == "pending"
    assert listed[1]["payload"]["id"] == "k-none"
    assert [a["id"] for a in pending] == ["k-hook"]


def test_mistakes_are_refused_with_what_is_wrong(sessions):
    case_id = add_case(sessions)
    cases = [
        ({"kind": "rumor"}, "unknown alert kind 'rumor'"),
        ({"channels": ["sms"]}, "unknown alert channel 'sms'"),
        ({"payload": {"case_id": case_id + 1}}, "payload field 'case_id'"),
        ({"payload": {"when": NOW}}, "payload field 'when' is not JSON"),
        ({"key": ""}, "alert key ''"),
        ({"key": "case-1-重大"}, "must be printable ASCII"),
    ]
    for change, message in cases:
        args = {
            "case_id": case_id,
            "kind": "overdue",
            "key": "k",
            "payload": {},
            "channels": ["webhook"],
            "now": NOW,
            **change,
        }
        with sessions() as s, s.begin(), pytest.raises(ValueError, match=message):
            enqueue(s, **args)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Alert)) == 0
