"""Webhook delivery against a real receiver on 127.0.0.1: signed JSON, retries with backoff,
exactly one successful delivery per alert."""

import hashlib
import hmac
import json
from datetime import timedelta

from sqlalchemy import select

from tests.alerts.conftest import NOW, add_case, free_port, raise_alert
from yuqing.alerts.deliver import DeliveryReport, deliver_due
from yuqing.config import AlertSettings
from yuqing.storage.schema import AlertDelivery

SECRET = "s3cret-钥匙"


def delivery(sessions, channel="webhook"):
    with sessions() as s:
        return s.scalars(select(AlertDelivery).where(AlertDelivery.channel == channel)).one()


def test_the_receiver_gets_signed_compact_utf8_json(sessions, receivers):
    receiver = receivers()
    case_id = add_case(sessions)
    raise_alert(sessions, case_id, f"case:{case_id}:overdue", ["webhook"])
    alerts = AlertSettings(webhook_url=receiver.url(), webhook_secret=SECRET)

    report = deliver_due(sessions, alerts, NOW, user_agent="yuqing-test/1")

    assert report == DeliveryReport(sent=1, failed=0, pending=0)
    (got,) = receiver.requests
    assert got.path == "/hook"
    assert got.headers["content-type"] == "application/json"
    assert got.headers["x-yuqing-alert-id"] == f"case:{case_id}:overdue"
    assert got.headers["user-agent"] == "yuqing-test/1"
    # a receiver verifies the HMAC over the raw body with the shared secret
    expected = hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(got.headers["x-yuqing-signature"], f"sha256={expected}")
    body = json.loads(got.body)
    assert body["id"] == f"case:{case_id}:overdue"
    assert (body["case_id"], body["kind"], body["title"]) == (case_id, "overdue", "某煤矿透水事故")
    # UTF-8 as is, keys sorted, no spaces: the bytes a receiver signs over are predictable
    assert "某煤矿透水事故".encode() in got.body
    assert (
        got.body
        == json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    )

    d = delivery(sessions)
    assert (d.status, d.sent_at, d.attempts, d.last_error) == ("sent", NOW, 1, None)


def test_without_a_secret_there_is_no_signature_header(sessions, receivers):
    receiver = receivers()
    raise_alert(sessions, add_case(sessions), "k", ["webhook"])
    deliver_due(sessions, AlertSettings(webhook_url=receiver.url()), NOW)
    (got,) = receiver.requests
    assert "x-yuqing-signature" not in got.headers


def test_a_refusing_receiver_is_retried_with_backoff_until_it_takes_the_alert(
    sessions, receivers, caplog
):
    receiver = receivers(status=500)
    raise_alert(sessions, add_case(sessions), "k-500", ["webhook"])
    alerts = AlertSettings(webhook_url=receiver.url())

    caplog.set_level("WARNING", logger="yuqing.alerts")
    assert deliver_due(sessions, alerts, NOW) == DeliveryReport(sent=0, failed=1, pending=1)
    d = delivery(sessions)
    assert (d.status, d.attempts, d.next_attempt_at) == ("pending", 1, NOW + timedelta(seconds=30))
    assert "HTTP 500" in d.last_error
    (line,) = [r for r in caplog.records if r.name == "yuqing.alerts"]
    assert "k-500" in line.getMessage() and "HTTP 500" in line.getMessage()

    # not due yet: nothing is sent
    assert deliver_due(sessions, alerts, NOW + timedelta(seconds=29)).sent == 0
    assert len(receiver.requests) == 1
    # the second failure waits twice as long
    assert deliver_due(sessions, alerts, NOW + timedelta(seconds=30)).failed == 1
    d = delivery(sessions)
    assert (d.attempts, d.next_attempt_at) == (2, NOW + timedelta(seconds=90))

    receiver.status = 200
    assert deliver_due(sessions, alerts, NOW + timedelta(seconds=90)).sent == 1
    assert deliver_due(sessions, alerts, NOW + timedelta(hours=5)) == DeliveryReport()
    assert receiver.ids() == ["k-500"] * 3  # two refused, one taken, none after
    d = delivery(sessions)
    assert (d.status, d.attempts, d.sent_at) == ("sent", 3, NOW + timedelta(seconds=90))


def test_a_receiver_that_is_down_gets_the_alert_once_it_is_up(sessions, receivers):
    port = free_port()
    raise_alert(sessions, add_case(sessions), "k-down", ["webhook"])
    alerts = AlertSettings(webhook_url=f"http://127.0.0.1:{port}/hook", webhook_secret=SECRET)

    assert deliver_due(sessions, alerts, NOW) == DeliveryReport(sent=0, failed=1, pending=1)
    d = delivery(sessions)
    assert d.status == "pending" and d.attempts == 1
    assert "ConnectError" in d.last_error and f"http://127.0.0.1:{port}" in d.last_error

    receiver = receivers(port=port)
    assert deliver_due(sessions, alerts, NOW + timedelta(seconds=10)).sent == 0  # backing off
    assert receiver.requests == []
    assert deliver_due(sessions, alerts, NOW + timedelta(seconds=30)) == DeliveryReport(sent=1)
    assert deliver_due(sessions, alerts, NOW + timedelta(days=1)) == DeliveryReport()
    assert receiver.ids() == ["k-down"]


def test_redirects_are_not_followed_and_url_tokens_stay_out_of_errors(sessions, receivers):
    elsewhere = receivers()
    receiver = receivers(status=302, headers={"Location": elsewhere.url("/stolen")})
    raise_alert(sessions, add_case(sessions), "k-302", ["webhook"])
    alerts = AlertSettings(webhook_url=receiver.url("/hook?access_token=TOKEN123"))

    assert deliver_due(sessions, alerts, NOW).failed == 1
    assert elsewhere.requests == []
    d = delivery(sessions)
    assert "HTTP 302" in d.last_error and "not followed" in d.last_error
    assert "TOKEN123" not in d.last_error and "/hook" not in d.last_error


def test_a_switched_off_webhook_leaves_its_deliveries_pending_and_says_why(sessions, receivers):
    receiver = receivers()
    raise_alert(sessions, add_case(sessions), "k-off", ["webhook"])

    report = deliver_due(sessions, AlertSettings(), NOW)
    assert report == DeliveryReport(sent=0, failed=0, pending=1, unconfigured=1)
    d = delivery(sessions)
    assert (d.status, d.attempts, d.next_attempt_at) == ("pending", 0, NOW)
    assert "YUQING_WEBHOOK_URL" in d.last_error

    # configured again: it goes at once
    later = NOW + timedelta(minutes=1)
    assert deliver_due(sessions, AlertSettings(webhook_url=receiver.url()), later).sent == 1
    assert receiver.ids() == ["k-off"]
