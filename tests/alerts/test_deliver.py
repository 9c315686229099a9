"""Delivering the outbox on SQLite and PostgreSQL: oldest first, each channel on its own, no
delivery sent twice by two deliverers at once; and ``yuqing alerts`` from the command line."""

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.alerts.conftest import NOW, add_case, free_port, raise_alert
from yuqing.alerts.deliver import DeliveryReport, backoff, deliver_due
from yuqing.cli import main
from yuqing.config import AlertSettings
from yuqing.storage.db import make_engine, session_factory
from yuqing.storage.schema import AlertDelivery


def test_backoff_doubles_from_thirty_seconds_up_to_an_hour():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 7, 8, 9, 1000)] == [
        30,
        60,
        120,
        1920,
        3600,
        3600,
        3600,
    ]


def test_oldest_first_and_at_most_limit(sessions, receivers):
    receiver = receivers()
    case_id = add_case(sessions)
    for minutes, key in ((1, "newest"), (3, "oldest"), (2, "middle")):
        raise_alert(sessions, case_id, key, ["webhook"], at=NOW - timedelta(minutes=minutes))
    raise_alert(sessions, case_id, "future", ["webhook"], at=NOW + timedelta(minutes=1))
    alerts = AlertSettings(webhook_url=receiver.url())

    assert deliver_due(sessions, alerts, NOW, limit=2) == DeliveryReport(sent=2, pending=2)
    assert receiver.ids() == ["oldest", "middle"]
    assert deliver_due(sessions, alerts, NOW) == DeliveryReport(sent=1, pending=1)
    assert receiver.ids() == ["oldest", "middle", "newest"]


def test_each_channel_and_each_alert_stands_alone(sessions, receivers, smtp_servers):
    receiver = receivers(status_for={"bad": 500})
    port = free_port()
    _, inbox = smtp_servers(port)
    case_id = add_case(sessions)
    raise_alert(sessions, case_id, "bad", ["webhook", "email"], at=NOW - timedelta(minutes=1))
    raise_alert(sessions, case_id, "good", ["webhook"])
    alerts = AlertSettings(
        webhook_url=receiver.url(),
        smtp_url=f"smtp://127.0.0.1:{port}",
        mail_from="yuqing@localhost",
        mail_to=("duty@localhost",),
    )

    # the webhook refuses one alert: its e-mail and the other alert still go
    assert deliver_due(sessions, alerts, NOW) == DeliveryReport(sent=2, failed=1, pending=1)
    assert [m["X-Yuqing-Alert-Id"] for _, _, m in inbox.messages] == ["bad"]
    receiver.status_for.clear()
    assert deliver_due(sessions, alerts, NOW + timedelta(minutes=1)) == DeliveryReport(sent=1)
    assert receiver.ids() == ["bad", "good", "bad"]
    assert len(inbox.messages) == 1  # the e-mail was not sent again with the retried webhook


def test_two_deliverers_at_once_never_send_one_delivery_twice(sessions, receivers):
    receiver = receivers(delay=0.2)  # each send takes a while, so the two runs overlap
    case_id = add_case(sessions)
    keys = [f"k{i}" for i in range(4)]
    for i, key in enumerate(keys):
        raise_alert(sessions, case_id, key, ["webhook"], at=NOW - timedelta(minutes=10 - i))
    alerts = AlertSettings(webhook_url=receiver.url())
    reports: list[DeliveryReport] = []

    def run() -> None:
        reports.append(deliver_due(sessions, alerts, NOW))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(receiver.ids()) == keys
    assert sum(r.sent for r in reports) == 4 and sum(r.failed for r in reports) == 0
    with sessions() as s:
        assert set(s.scalars(select(AlertDelivery.status))) == {"sent"}


# Row locks are PostgreSQL's; SQLite claims with a lease (the test above runs on both).
@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_postgres_skips_a_delivery_another_transaction_holds(sessions, receivers):
    receiver = receivers()
    raise_alert(sessions, add_case(sessions), "held", ["webhook"])
    alerts = AlertSettings(webhook_url=receiver.url())
    with sessions() as other, other.begin():
        other.execute(select(AlertDelivery).with_for_update())  # another deliverer mid-send
        assert deliver_due(sessions, alerts, NOW) == DeliveryReport(sent=0, pending=1)
        assert receiver.requests == []
    assert deliver_due(sessions, alerts, NOW) == DeliveryReport(sent=1)


# --- the command ------------------------------------------------------------------------------


@pytest.fixture
def home(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("YUQING_HOME", str(tmp_path / "home"))
    for name in (
        "YUQING_DATABASE_URL",
        "YUQING_CONFIG",
        "YUQING_SOURCES",
        "YUQING_WEBHOOK_URL",
        "YUQING_WEBHOOK_SECRET",
        "YUQING_SMTP_URL",
        "YUQING_MAIL_TO",
    ):
        monkeypatch.delenv(name, raising=False)
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    engine = make_engine(f"sqlite:///{tmp_path / 'home' / 'yuqing.db'}")
    yield session_factory(engine)
    engine.dispose()


def test_the_alerts_command_lists_and_delivers(home, receivers, monkeypatch, capsys):
    receiver = receivers(status=503)
    now = datetime.now(UTC) - timedelta(minutes=1)  # the command runs on the real clock
    case_id = add_case(home)
    raise_alert(home, case_id, f"case:{case_id}:overdue", ["webhook"], at=now)
    monkeypatch.setenv("YUQING_WEBHOOK_URL", receiver.url())

    assert main(["alerts", "deliver"]) == 0
    assert capsys.readouterr().out == "alerts: 0 sent, 1 failed, 1 pending\n"

    assert main(["alerts", "--pending"]) == 0
    text = capsys.readouterr().out
    assert f"overdue     case {case_id}  case:{case_id}:overdue" in text
    assert "webhook: pending, 1 attempt, next " in text and "HTTP 503" in text

    assert main(["alerts", "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["id"] == f"case:{case_id}:overdue"
    assert listed["payload"]["title"] == "某煤矿透水事故"
    (d,) = listed["deliveries"]
    assert (d["channel"], d["status"], d["attempts"]) == ("webhook", "pending", 1)
    assert datetime.fromisoformat(d["next_attempt_at"]) > now

    # switched off: nothing is tried, and the command says so
    monkeypatch.delenv("YUQING_WEBHOOK_URL")
    assert main(["alerts", "deliver"]) == 0
    assert capsys.readouterr().out == "alerts: 0 sent, 0 failed, 1 pending\n"
    assert main(["alerts", "--pending"]) == 0
    assert "no alert channel configured" in capsys.readouterr().out
    assert len(receiver.requests) == 1
