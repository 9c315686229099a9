"""The scheduler's jobs: what runs when, and one real cycle against a local feed."""

from datetime import UTC, datetime

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func, select

from yuqing.app import App
from yuqing.config import load_settings
from yuqing.jobs import ensure_model, init_store
from yuqing.scheduler import build_scheduler, cycle
from yuqing.storage.schema import Case, Post

NOW = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)

FEED = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>市新闻</title>
<item><title>某煤矿发生透水事故 已致12名矿工遇难</title><link>http://127.0.0.1/n/1</link>
<pubDate>Fri, 27 Nov 2026 10:00:00 +0800</pubDate>
<description>记者从市应急管理局获悉，某煤矿井下发生透水事故，已致12名矿工遇难，救援仍在进行。</description>
</item></channel></rss>""".encode()


def make_app(tmp_path, sources_file):
    settings = load_settings({"YUQING_HOME": str(tmp_path), "YUQING_SOURCES": str(sources_file)})
    return App(settings, clock=lambda: NOW)


def test_jobs_and_their_triggers(tmp_path):
    app = make_app(tmp_path, tmp_path / "sources.toml")
    scheduler = build_scheduler(app, every_minutes=10)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"cycle", "sweep", "digest"}
    assert isinstance(jobs["cycle"].trigger, IntervalTrigger)
    assert jobs["cycle"].trigger.interval.total_seconds() == 600
    assert isinstance(jobs["digest"].trigger, CronTrigger)
    assert str(jobs["digest"].trigger.timezone) == "Asia/Shanghai"
    assert all(job.max_instances == 1 and job.coalesce for job in jobs.values())


def test_a_cycle_reads_the_sources_file_ingests_and_opens_cases(tmp_path, http_server):
    http_server.add("/news.rss", FEED, headers={"Content-Type": "application/rss+xml"})
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f'[[source]]\nname = "市新闻"\nurl = "{http_server.url("/news.rss")}"\n'
        'region_name = "大同市"\nregion_code = "140200"\nlevel = "municipal"\n',
        "utf-8",
    )
    app = make_app(tmp_path, sources)
    init_store(app)
    ensure_model(app)
    cycle(app)
    cycle(app)  # the second cycle finds nothing new
    with app.sessions() as s:
        assert s.scalar(select(func.count(Post.id))) == 1
        case = s.scalar(select(Case))
    assert (case.category, case.severity, case.response_form) == (
        "emergency",
        "重大",
        "press_conference",
    )
    assert case.responsible_party.startswith("大同市应急管理局")
    assert http_server.count("/news.rss") == 2
    app.close()
