"""E-mail delivery through a real SMTP server (aiosmtpd) on 127.0.0.1."""

from datetime import timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from tests.alerts.conftest import NOW, accept_only, add_case, free_port, raise_alert
from yuqing.alerts import DeliveryError
from yuqing.alerts.deliver import DeliveryReport, deliver_due
from yuqing.alerts.email import parse_smtp_url, send_message, subject_of
from yuqing.config import AlertSettings
from yuqing.storage.schema import AlertDelivery

TO = ("duty@example.gov.cn", "office@example.gov.cn")


def settings(port: int, credentials: str = "") -> AlertSettings:
    return AlertSettings(
        smtp_url=f"smtp://{credentials}127.0.0.1:{port}",
        mail_from="yuqing@example.gov.cn",
        mail_to=TO,
    )


def email_delivery(sessions):
    with sessions() as s:
        return s.scalars(select(AlertDelivery).where(AlertDelivery.channel == "email")).one()


def test_the_alert_arrives_once_with_a_chinese_subject_and_a_message_id_from_its_key(
    sessions, smtp_servers
):
    port = free_port()
    _, inbox = smtp_servers(port)
    case_id = add_case(sessions)
    key = f"case:{case_id}:overdue"
    raise_alert(sessions, case_id, key, ["email"], due_at="2026-11-28T03:00:00+00:00")

    assert deliver_due(sessions, settings(port), NOW) == DeliveryReport(sent=1)
    assert deliver_due(sessions, settings(port), NOW + timedelta(hours=2)) == DeliveryReport()

    ((mail_from, rcpt_tos, msg),) = inbox.messages
    assert (mail_from, rcpt_tos) == ("yuqing@example.gov.cn", list(TO))
    assert msg["Subject"] == f"【舆情告警】重大 案件 {case_id} 已超期：某煤矿透水事故"
    assert msg["Message-ID"] == f"<alert.case%3A{case_id}%3Aoverdue@example.gov.cn>"
    assert msg["X-Yuqing-Alert-Id"] == key
    body = msg.get_content()
    assert f"案件编号：{case_id}" in body
    assert "告警类型：已超期（overdue）" in body
    assert "回应时限：2026-11-28 11:00（Asia/Shanghai）" in body  # shown in Beijing time
    assert "标题：某煤矿透水事故" in body


def test_a_server_that_is_down_gets_the_alert_once_it_is_up(sessions, smtp_servers):
    port = free_port()
    raise_alert(sessions, add_case(sessions), "k-mail", ["email"])

    assert deliver_due(sessions, settings(port), NOW) == DeliveryReport(failed=1, pending=1)
    d = email_delivery(sessions)
    assert (d.status, d.attempts, d.next_attempt_at) == ("pending", 1, NOW + timedelta(seconds=30))
    assert f"smtp://127.0.0.1:{port}" in d.last_error and "refused" in d.last_error

    _, inbox = smtp_servers(port)
    assert deliver_due(sessions, settings(port), NOW + timedelta(seconds=30)).sent == 1
    assert deliver_due(sessions, settings(port), NOW + timedelta(days=1)).sent == 0
    assert [m["X-Yuqing-Alert-Id"] for _, _, m in inbox.messages] == ["k-mail"]


def test_login_and_a_wrong_password_that_never_shows(sessions, smtp_servers, caplog):
    port = free_port()
    _, inbox = smtp_servers(
        port, authenticator=accept_only("duty", "p@ss:w/rd"), auth_require_tls=False
    )
    raise_alert(sessions, add_case(sessions), "k-auth", ["email"])
    caplog.set_level("DEBUG")

    wrong = settings(port, "duty:Wr0ngPassw0rd@")
    assert deliver_due(sessions, wrong, NOW).failed == 1
    d = email_delivery(sessions)
    assert "SMTPAuthenticationError" in d.last_error and "535" in d.last_error
    assert "Wr0ngPassw0rd" not in d.last_error
    assert "Wr0ngPassw0rd" not in caplog.text
    assert inbox.messages == []

    # smtplib sends credentials as ASCII: anything else is refused in words, not a codec error
    chinese = settings(port, "duty:%E5%8F%A3%E4%BB%A4@")
    assert deliver_due(sessions, chinese, NOW + timedelta(seconds=30)).failed == 1
    assert "must be ASCII" in email_delivery(sessions).last_error

    right = settings(port, "duty:p%40ss%3Aw%2Frd@")  # URL-encoded "p@ss:w/rd"
    assert deliver_due(sessions, right, NOW + timedelta(minutes=2)).sent == 1
    assert len(inbox.messages) == 1


def test_smtp_urls_and_subjects():
    server = parse_smtp_url("smtps://alerts%40gov:pa%3Ass@mail.example.gov.cn")
    assert (server.host, server.port, server.tls) == ("mail.example.gov.cn", 465, True)
    assert (server.user, server.password) == ("alerts@gov", "pa:ss")
    assert "pa:ss" not in repr(server)
    assert parse_smtp_url("smtp://127.0.0.1").port == 25
    assert subject_of({"severity": "重大", "case_id": 12, "kind": "overdue"}) == (
        "【舆情告警】重大 案件 12 已超期"
    )
    # a scraped title cannot break the header or the terminal
    hostile = subject_of({"case_id": 3, "kind": "due_soon", "title": "标题\r\nBcc: x@y\x1b[2J"})
    assert hostile == "【舆情告警】案件 3 即将到期：标题 Bcc: x@y"


def test_the_body_reads_as_the_triage_payload_says(sessions, smtp_servers):
    port = free_port()
    _, inbox = smtp_servers(port)
    case_id = add_case(sessions)
    raise_alert(
        sessions,
        case_id,
        "case-major",
        ["email"],
        kind="major_case",
        kind_name="重大舆情",
        category="emergency",
        category_name="突发事件",
        first_responsible="阜平县人民政府",
        coordinators=["保定市人民政府办公室", "保定市委宣传部"],
        url="http://127.0.0.1/1",
        referral=None,
    )
    assert deliver_due(sessions, settings(port), NOW).sent == 1
    ((_, _, msg),) = inbox.messages
    assert msg["Subject"] == f"【舆情告警】重大 案件 {case_id} 重大舆情：某煤矿透水事故"
    lines = msg.get_content().splitlines()
    assert lines[:5] == [
        "告警编号：case-major",
        "告警类型：重大舆情（major_case）",
        f"案件编号：{case_id}",
        "级别：重大",
        "类别：突发事件",
    ]
    assert "第一责任主体：阜平县人民政府" in lines
    assert "组织协调：保定市人民政府办公室；保定市委宣传部" in lines
    assert "移送：—" in lines
    assert "告警时间：2026-11-27 12:00（Asia/Shanghai）" in lines


def test_send_message_sends_any_message_and_names_what_failed(smtp_servers):
    port = free_port()
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = "【舆情日报】2026-11-27", "yuqing@localhost", TO[0]
    msg.set_content("日报正文", charset="utf-8")
    with pytest.raises(DeliveryError, match=f"smtp://127.0.0.1:{port}.*refused"):
        send_message(f"smtp://127.0.0.1:{port}", msg, "yuqing@localhost", [TO[0]])
    with pytest.raises(DeliveryError, match="YUQING_MAIL_TO is empty"):
        send_message(f"smtp://127.0.0.1:{port}", msg, "yuqing@localhost", [])

    _, inbox = smtp_servers(port)
    send_message(f"smtp://127.0.0.1:{port}", msg, "yuqing@localhost", [TO[0]])
    ((_, rcpt_tos, got),) = inbox.messages
    assert rcpt_tos == [TO[0]] and got["Subject"] == "【舆情日报】2026-11-27"
    assert got.get_content().strip() == "日报正文"
