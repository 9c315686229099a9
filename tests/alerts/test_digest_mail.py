"""The scheduler's documents by mail: the digest and the weekly report reach the inbox."""

from datetime import date

from tests.alerts.conftest import free_port
from tests.test_digest import make_app
from yuqing.digest import write_digest, write_weekly_report


def test_the_digest_and_the_report_are_mailed_when_mail_is_configured(tmp_path, smtp_servers):
    port = free_port()
    _, inbox = smtp_servers(port)
    app = make_app(
        tmp_path, YUQING_SMTP_URL=f"smtp://127.0.0.1:{port}", YUQING_MAIL_TO="duty@example.test"
    )
    write_digest(app, date(2026, 11, 27))
    paths = write_weekly_report(app, date(2026, 11, 20), date(2026, 11, 27))
    app.close()
    assert [p.suffix for p in paths] == [".md", ".html", ".csv"]
    subjects = [msg["Subject"] for _, _, msg in inbox.messages]
    assert subjects == ["【舆情日报】2026-11-27 共1件", "【舆情回应督查】2026-11-20 至 2026-11-27"]
    _, rcpt, digest = inbox.messages[0]
    assert rcpt == ["duty@example.test"]
    assert {part.get_content_type() for part in digest.walk()} >= {"text/plain", "text/html"}


def test_a_digest_is_still_written_when_the_mail_server_is_down(tmp_path):
    app = make_app(
        tmp_path,
        YUQING_SMTP_URL=f"smtp://127.0.0.1:{free_port()}",
        YUQING_MAIL_TO="duty@example.test",
    )
    paths = write_digest(app, date(2026, 11, 27))
    app.close()
    assert all(p.is_file() for p in paths)
