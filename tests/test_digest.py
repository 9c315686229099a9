"""The daily digest and the weekly report: files written, mail sent when configured."""

from datetime import UTC, date, datetime, timedelta

from yuqing.app import App
from yuqing.config import load_settings
from yuqing.digest import queue_html, write_digest
from yuqing.jobs import init_store
from yuqing.storage.schema import Case
from yuqing.triage.queue import daily_queue

NOW = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)


def make_app(tmp_path, **env):
    settings = load_settings({"YUQING_HOME": str(tmp_path), **env})
    app = App(settings, clock=lambda: NOW)
    init_store(app)
    with app.sessions.begin() as s:
        s.add(
            Case(
                post_id=None,
                category="superior_request",
                severity="一般",
                opened_at=NOW,
                surfaced_at=NOW,
                due_at=NOW + timedelta(hours=24),
                response_form="response",
                status="open",
                responsible_party="中牟县<script>alert(1)</script>",
                routing={"jurisdiction": "中牟县", "level": "county"},
                model_version="",
                updated_at=NOW,
                requested_by="市政府办公室",
                about="就<b>水质</b>问题主动回应",
            )
        )
    return app


def test_the_digest_is_written_as_markdown_and_html_and_escapes_what_it_shows(tmp_path):
    app = make_app(tmp_path)
    paths = write_digest(app, date(2026, 11, 27))
    assert [p.name for p in paths] == ["queue-2026-11-27.md", "queue-2026-11-27.html"]
    page = paths[1].read_text("utf-8")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "&lt;b&gt;水质" in page
    assert "| 一般 |" in paths[0].read_text("utf-8")
    app.close()


def test_a_queue_title_link_is_only_an_http_link(tmp_path):
    app = make_app(tmp_path)
    with app.sessions() as s:
        items = daily_queue(s, date(2026, 11, 27), app.tz, NOW)
    page = queue_html(items, date(2026, 11, 27), app.tz)
    assert "<a href" not in page  # the request has no URL: no link
    app.close()
