"""The scheduler's jobs: what runs when, and one real cycle against a local feed."""

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, select

from tests.alerts.conftest import add_case, raise_alert
from tests.webhook_receiver import Receiver
from yuqing.app import App
from yuqing.config import load_settings
from yuqing.jobs import ensure_model, init_store
from yuqing.scheduler import ALERT_BATCH, build_scheduler, cycle, deliver, sync_jobs
from yuqing.storage.schema import AlertDelivery, Case, Post
from yuqing.storage.sources import set_enabled

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
    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[[source]]\nname = "快"\nurl = "http://127.0.0.1/a.rss"\nevery = "30s"\n'
        '[[source]]\nname = "慢"\nurl = "http://127.0.0.1/b.rss"\n',
        "utf-8",
    )
    app = make_app(tmp_path, sources)
    init_store(app)
    scheduler = build_scheduler(app, every_minutes=10)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert {"sources", "triage", "sweep", "alerts", "digest", "report"} <= set(jobs)
    by_name = {job.name: job for job in jobs.values() if job.id.startswith("source:")}
    assert by_name["source 快"].trigger.interval.total_seconds() == 30
    assert by_name["source 慢"].trigger.interval.total_seconds() == 600  # --every
    # each source runs once when the scheduler starts, then at its interval
    assert by_name["source 快"].next_run_time == NOW
    for job_id in ("triage", "sweep"):
        assert jobs[job_id].trigger.interval.total_seconds() == 60
    assert isinstance(jobs["digest"].trigger, CronTrigger)
    assert str(jobs["digest"].trigger.timezone) == "Asia/Shanghai"
    assert all(job.max_instances == 1 and job.coalesce for job in jobs.values())
    assert all(job.misfire_grace_time >= 120 for job in jobs.values())
    app.close()


def test_sources_coming_and_going_get_and_lose_their_jobs(tmp_path):
    sources = tmp_path / "sources.toml"
    sources.write_text('[[source]]\nname = "甲"\nurl = "http://127.0.0.1/a.rss"\n', "utf-8")
    app = make_app(tmp_path, sources)
    init_store(app)
    scheduler = build_scheduler(app, every_minutes=10)
    sources.write_text(
        '[[source]]\nname = "甲"\nurl = "http://127.0.0.1/a.rss"\nevery = "2h"\n'
        '[[source]]\nname = "乙"\nurl = "http://127.0.0.1/b.rss"\n',
        "utf-8",
    )
    sync_jobs(app, scheduler, timedelta(minutes=10))
    names = {j.name: j for j in scheduler.get_jobs() if j.id.startswith("source:")}
    assert set(names) == {"source 甲", "source 乙"}
    assert names["source 甲"].trigger.interval == timedelta(hours=2)
    with app.sessions.begin() as s:
        set_enabled(s, "乙", False)
    sync_jobs(app, scheduler, timedelta(minutes=10))
    assert {j.name for j in scheduler.get_jobs() if j.id.startswith("source:")} == {"source 甲"}
    app.close()


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


def test_the_alerts_job_sends_a_burst_in_one_turn(tmp_path):
    """A sweep can turn hundreds of cases due soon at once: the alerts job sends them all in its
    turn, in batches, instead of one batch per 30 seconds."""
    receiver = Receiver().start()
    settings = load_settings({"YUQING_HOME": str(tmp_path), "YUQING_WEBHOOK_URL": receiver.url()})
    app = App(settings, clock=lambda: NOW)
    init_store(app)
    burst = 2 * ALERT_BATCH + 10
    case_id = add_case(app.sessions)
    for n in range(burst):
        raise_alert(app.sessions, case_id, f"case-{case_id}-due_soon-{n}", ("webhook",))
    try:
        deliver(app)
    finally:
        receiver.close()
    assert sorted(receiver.ids()) == sorted(f"case-{case_id}-due_soon-{n}" for n in range(burst))
    with app.sessions() as s:
        pending = s.scalar(
            select(func.count(AlertDelivery.id)).where(AlertDelivery.status == "pending")
        )
    assert pending == 0
    app.close()


def test_warm_up_loads_the_model_the_dictionary_and_the_rules_before_any_job(
    tmp_path, caplog, monkeypatch
):
    from yuqing.models import tokenize
    from yuqing.scheduler import warm_up
    from yuqing.triage.responsibility import default_rules

    # as in a new process: no segmenter, no dictionary, no routing rules loaded yet
    monkeypatch.setattr(tokenize, "_segment", None)
    monkeypatch.setattr(tokenize, "_tokenizer", None)
    default_rules.cache_clear()
    app = make_app(tmp_path, tmp_path / "sources.toml")
    init_store(app)
    with caplog.at_level(logging.WARNING, logger="yuqing.scheduler"):
        warm_up(app)  # no model yet: said, not fatal
    assert "no model yet" in caplog.text
    # the segmenter and its dictionary are loaded (Python jieba's, unless rjieba is installed)
    assert tokenize._segment is not None
    assert tokenize._segment is not tokenize._python_segmenter or tokenize._tokenizer is not None
    assert default_rules.cache_info().currsize == 1  # triage and sweep find them loaded
    assert "http" in app.__dict__  # the feed turns' shared client, made before their threads
    version, _ = ensure_model(app)
    warm_up(app)
    assert app._model is not None and app._model[1] == version
    app.close()
