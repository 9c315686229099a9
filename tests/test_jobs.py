"""The main job's path: ingest with triage working alongside, on one shared pool of workers."""

from datetime import UTC, datetime

from sqlalchemy import func, select

from yuqing.app import App
from yuqing.config import load_settings
from yuqing.crawlers.ingest import PARSE_POOL_MIN_SOURCES
from yuqing.crawlers.sources import SourceSpec
from yuqing.jobs import add_sources, ensure_model, ingest_and_triage, init_store
from yuqing.storage.schema import Classification, Post

NOW = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)
EVENTS = ["路面塌陷致2人受伤", "小区停暖一周无人管", "给环卫工人点赞", "网传明天全市停水"]


def feed(i: int) -> bytes:
    items = "".join(
        f"<item><title>{i}号源：{event}</title><link>http://127.0.0.1/{i}/{n}</link>"
        f"<description>第{i}个县第{n}条消息，{event}。</description></item>"
        for n, event in enumerate(EVENTS)
    )
    return f'<rss version="2.0"><channel><title>{i}</title>{items}</channel></rss>'.encode()


def test_many_sources_are_ingested_and_triaged_together(tmp_path, http_server, monkeypatch):
    import yuqing.jobs as jobs

    monkeypatch.setattr(jobs, "cpu_workers", lambda: 2)  # the pooled path, whatever the machine
    app = App(load_settings({"YUQING_HOME": str(tmp_path)}), clock=lambda: NOW)
    init_store(app)
    ensure_model(app)
    specs = []
    for i in range(PARSE_POOL_MIN_SOURCES + 4):
        http_server.add(f"/{i}.rss", feed(i))
        specs.append(SourceSpec(f"源{i}", http_server.url(f"/{i}.rss")))
    add_sources(app, specs)

    reports, triaged = ingest_and_triage(app)
    stored = sum(r.new_posts for r in reports)
    assert stored == len(specs) * len(EVENTS)
    assert triaged.classified == stored
    with app.sessions() as s:
        assert s.scalar(select(func.count(Post.id))) == stored
        classified = s.scalar(select(func.count(func.distinct(Classification.post_id))))
    assert classified == stored
    assert triaged.cases_opened > 0
    # a second cycle finds nothing new to store or to classify
    again, retriaged = ingest_and_triage(app, force=True)
    assert sum(r.new_posts for r in again) == 0 and retriaged.classified == 0
    app.close()
