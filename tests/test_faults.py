"""Faults the scheduler must survive: a locked or briefly unreachable database (retried, with a
log line), ``kill -9`` in the middle of ingestion or of a deadline sweep (a restart loses and
repeats nothing), and a crawl that hangs (ended at its limit; the feeds do not wait for it)."""

import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from sqlalchemy import func, select

from tests.dbfixtures import POSTGRES_URL, _postgres_schema
from tests.webhook_receiver import Receiver
from yuqing.app import App
from yuqing.config import load_settings
from yuqing.jobs import ensure_model, init_store
from yuqing.scheduler import _guarded, sweep
from yuqing.storage.db import make_engine, upgrade
from yuqing.storage.schema import (
    Alert,
    AlertDelivery,
    Case,
    CaseEvent,
    Classification,
    Post,
    Source,
)


@pytest.fixture
def quick_retries(monkeypatch):
    monkeypatch.setattr("yuqing.scheduler.DB_RETRY_PAUSES_S", (0.5, 1.0, 2.0))


def test_a_locked_database_is_retried_with_a_log_line(tmp_path, monkeypatch, quick_retries, caplog):
    monkeypatch.setattr("yuqing.storage.db.SQLITE_BUSY_TIMEOUT_MS", 100)
    app = App(load_settings({"YUQING_HOME": str(tmp_path)}))
    init_store(app)
    holder = sqlite3.connect(tmp_path / "yuqing.db", isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(1.2, lambda: holder.execute("COMMIT"))
    release.start()
    with caplog.at_level(logging.WARNING, logger="yuqing.scheduler"):
        _guarded(sweep, "sweep")(app)
    release.join()
    holder.close()
    retries = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert retries and "database is locked" in retries[0]
    assert "attempt 1 of 4" in retries[0]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # it got through
    app.close()


class Gate:
    """A TCP port on 127.0.0.1 that refuses connections until ``open()``, then forwards them
    to PostgreSQL: a database that is briefly unreachable."""

    def __init__(self, target=("127.0.0.1", 5432)):
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()  # nobody listens here yet: connections are refused
        self.listener = None

    def open(self):
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        if self.listener is not None:
            self.listener.close()


@pytest.mark.postgres
def test_a_briefly_unreachable_database_is_retried_until_it_answers(
    tmp_path, quick_retries, caplog
):
    for schema in _postgres_schema():
        url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        gate = Gate()
        gated = url.replace("127.0.0.1:5432", f"127.0.0.1:{gate.port}")
        assert gated != url
        app = App(load_settings({"YUQING_HOME": str(tmp_path), "YUQING_DATABASE_URL": gated}))
        opener = threading.Timer(1.0, gate.open)
        opener.start()
        try:
            with caplog.at_level(logging.WARNING, logger="yuqing.scheduler"):
                _guarded(sweep, "sweep")(app)
        finally:
            opener.join()
            app.close()
            gate.close()
        retries = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
        assert retries and "job sweep: database locked or unreachable" in retries[0]
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


FEEDS, ITEMS = 30, 20


def feed(n: int) -> bytes:
    # 40 hours ago: every case opened is already due soon, so the sweep alerts
    when = format_datetime(datetime.now(UTC) - timedelta(hours=40))
    items = "".join(
        f"<item><title>第{n}号源第{i}条：某地发生山体滑坡已致{i % 4}人遇难</title>"
        f"<link>http://127.0.0.1/p/{n}/{i}</link><pubDate>{when}</pubDate>"
        f"<description>第{n}号源报道：{n}镇{i}村发生山体滑坡，救援正在进行，编号{n}-{i}。</description>"
        "</item>"
        for i in range(ITEMS)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>源{n}</title>'
        f"{items}</channel></rss>"
    ).encode()


def _scheduler(home, name, **env_vars):
    """A real ``yuqing schedule`` process on ``home``, logging to ``home/<name>.log`` (a file, not
    a pipe nobody reads, which would stall it once full)."""
    env = {**os.environ, "YUQING_HOME": str(home), **env_vars}
    for var in ("YUQING_DATABASE_URL", "YUQING_CONFIG", "YUQING_SOURCES"):
        if var not in env_vars:
            env.pop(var, None)
    with open(home / f"{name}.log", "w", encoding="utf-8") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "yuqing.cli", "schedule"], env=env, stdout=log, stderr=log
        )


def _ready_store(home):
    """An app on ``home`` with its store migrated and a model trained, as ``yuqing init``."""
    app = App(load_settings({"YUQING_HOME": str(home)}))
    init_store(app)
    ensure_model(app)
    return app


def _log(home, name) -> str:
    return (home / f"{name}.log").read_text("utf-8")


def _until(check, timeout_s, what):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def test_kill_9_during_ingestion_then_a_restart_loses_and_repeats_nothing(tmp_path, http_server):
    for n in range(FEEDS):
        # slow answers keep the scheduler busy fetching when it is killed
        http_server.add(f"/f{n}.rss", feed(n), headers={"Content-Type": "application/rss+xml"})
        http_server.routes[f"/f{n}.rss"].delay = 0.3
    home = tmp_path / "home"
    home.mkdir()
    (home / "sources.toml").write_text(
        "".join(
            f'[[source]]\nname = "源{n}"\nurl = "{http_server.url(f"/f{n}.rss")}"\n'
            f'region_name = "中牟县"\nregion_code = "410122"\nlevel = "county"\n'
            for n in range(FEEDS)
        ),
        "utf-8",
    )
    app = _ready_store(home)

    def posts():
        with app.sessions() as s:
            return s.scalar(select(func.count(Post.id)))

    first = _scheduler(home, "first")
    try:
        _until(lambda: posts() >= ITEMS, 90, "the first posts")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    stored_at_kill = posts()
    assert stored_at_kill < FEEDS * ITEMS  # killed in the middle of ingestion
    second = _scheduler(home, "second")
    try:

        def triaged():
            with app.sessions() as s:
                done = s.scalar(select(func.count(func.distinct(Classification.post_id))))
            return posts() == FEEDS * ITEMS and done == FEEDS * ITEMS

        _until(triaged, 120, "every post stored and triaged after the restart")

        def swept():
            with app.sessions() as s:
                waiting = s.scalar(
                    select(func.count(Case.id)).where(Case.deadline_state == "on_track")
                )
                return s.scalar(select(func.count(Case.id))) > 0 and waiting == 0

        _until(swept, 120, "the sweep after the restart")
        second.send_signal(signal.SIGTERM)
        assert second.wait(60) == 0
    finally:
        if second.poll() is None:
            second.kill()
    with app.sessions() as s:
        urls = s.scalar(select(func.count(func.distinct(Post.canonical_url))))
        assert urls == posts() == FEEDS * ITEMS  # nothing lost, nothing twice
        per_post = s.execute(
            select(Classification.post_id, Classification.label, func.count())
            .group_by(Classification.post_id, Classification.label, Classification.model_version)
            .having(func.count() > 1)
        ).all()
        assert per_post == []  # no post classified twice
        # at most one active case per event, and one case per opening post
        twice = s.execute(
            select(Case.event_id, func.count())
            .where(Case.status.not_in(("merged", "closed", "dismissed")))
            .group_by(Case.event_id)
            .having(func.count() > 1)
        ).all()
        assert twice == []
        # one due-soon alert per case, however many sweeps ran before and after the kill
        due_soon = s.scalars(select(Alert.case_id).where(Alert.kind == "due_soon")).all()
        cases = s.scalars(select(Case.id).where(Case.deadline_state == "due_soon")).all()
        assert sorted(due_soon) == sorted(cases)
    app.close()


def test_a_hanging_crawl_is_ended_at_its_limit_while_the_feeds_run(tmp_path, http_server):
    limit = 20
    http_server.add("/sitemap.xml", b"<urlset/>", headers={"Content-Type": "application/xml"})
    http_server.routes["/sitemap.xml"].delay = 120  # answers long after the limit
    for n in range(2):
        http_server.add(f"/f{n}.rss", feed(n), headers={"Content-Type": "application/rss+xml"})
    home = tmp_path / "home"
    home.mkdir()
    # the read timeout is raised above the limit, so that the limit is what ends the crawl
    (home / "yuqing.toml").write_text(
        f"crawl_time_limit = {limit}\n[http]\nread_timeout = 300\n", "utf-8"
    )
    (home / "sources.toml").write_text(
        f'[[source]]\nname = "挂起的网站"\nurl = "{http_server.url("/sitemap.xml")}"\n'
        'kind = "sitemap"\n'
        + "".join(
            f'[[source]]\nname = "源{n}"\nurl = "{http_server.url(f"/f{n}.rss")}"\n'
            for n in range(2)
        ),
        "utf-8",
    )
    app = _ready_store(home)

    def hanging():
        with app.sessions() as s:
            return s.scalars(select(Source).where(Source.name == "挂起的网站")).one()

    def posts():
        with app.sessions() as s:
            return s.scalar(select(func.count(Post.id)))

    scheduler = _scheduler(home, "scheduler")
    try:
        _until(lambda: posts() == 2 * ITEMS, 60, "the feeds' posts")
        assert hanging().last_error is None  # the crawl still hangs: the feeds did not wait
        _until(lambda: hanging().last_error is not None, limit + 30, "the crawl to be ended")
        scheduler.send_signal(signal.SIGTERM)
        assert scheduler.wait(60) == 0
    finally:
        if scheduler.poll() is None:
            scheduler.kill()
    source = hanging()
    assert source.last_error == f"crawl exceeded its time limit of {limit} s"
    assert source.last_error_kind == "temporary"
    assert "crawl 挂起的网站: failed" in _log(home, "scheduler")
    app.close()


CASES = 1200  # enough that one sweep of them all takes seconds, for the kill to land inside


def _waiting_cases(app, now):
    """``CASES`` unanswered cases, none swept yet: even ones 83% through their 48 hours (due
    soon), odd ones two hours past their deadline (overdue, to be escalated)."""
    with app.sessions.begin() as s:
        s.add_all(
            Case(
                category="emergency",
                severity="较大",
                opened_at=now - timedelta(hours=40),
                surfaced_at=now - timedelta(hours=40 if i % 2 == 0 else 50),
                due_at=now + timedelta(hours=8 if i % 2 == 0 else -2),
                response_form="response",
                responsible_party="中牟县人民政府",
                routing={"level": "county", "jurisdiction": "中牟县"},
                model_version="seed",
                updated_at=now,
            )
            for i in range(CASES)
        )


def test_kill_9_during_a_sweep_then_a_restart_loses_and_repeats_nothing(tmp_path):
    """Killed inside a sweep, restarted (the sweep is redone whole), killed again, ten hours on,
    restarted: each case is alerted, audited and escalated exactly once per state it reached."""
    home = tmp_path / "home"
    home.mkdir()
    app = _ready_store(home)
    _waiting_cases(app, datetime.now(UTC))
    receiver = Receiver().start()
    hook = {"YUQING_WEBHOOK_URL": receiver.url(), "YUQING_WEBHOOK_SECRET": "s3cret"}

    def swept(state):
        with app.sessions() as s:
            return s.scalar(select(func.count(Case.id)).where(Case.deadline_state == state))

    def count(what, *where):
        with app.sessions() as s:
            return s.scalar(select(func.count(what)).where(*where))

    first = _scheduler(home, "first", **hook)
    try:
        start = f"sweep: {CASES} cases waiting"
        _until(lambda: start in _log(home, "first"), 60, "the first sweep")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
        app.engine.dispose()
    # the kill landed inside the sweep, and its transaction left nothing half done behind
    assert "newly due soon" not in _log(home, "first")
    assert swept("on_track") == CASES
    assert count(Alert.id) == count(CaseEvent.id) == 0

    second = _scheduler(home, "second", **hook)
    try:
        _until(lambda: swept("on_track") == 0, 120, "the sweep after the restart")
        _until(lambda: len(set(receiver.ids())) == CASES, 120, "every alert delivered")
        # killed once every delivery is marked sent: one received but not yet marked would be
        # sent again, by design (at least once, receivers de-duplicate on the id)
        _until(lambda: count(AlertDelivery.id, AlertDelivery.status != "sent") == 0, 60, "marks")
        second.send_signal(signal.SIGKILL)
        second.wait(10)
    finally:
        if second.poll() is None:
            second.kill()
        app.engine.dispose()
    assert swept("due_soon") == swept("overdue") == CASES // 2
    # ten hours pass while nothing runs: the due-soon cases are now past their deadlines
    with app.sessions.begin() as s:
        for case in s.scalars(select(Case).where(Case.deadline_state == "due_soon")):
            case.surfaced_at -= timedelta(hours=10)
            case.due_at -= timedelta(hours=10)

    third = _scheduler(home, "third", **hook)
    try:
        _until(lambda: swept("overdue") == CASES, 120, "the sweep after the second restart")
        _until(lambda: len(set(receiver.ids())) == CASES * 3 // 2, 120, "the overdue alerts")
        third.send_signal(signal.SIGTERM)
        assert third.wait(60) == 0
    finally:
        if third.poll() is None:
            third.kill()
        receiver.close()
    with app.sessions() as s:
        alerts = s.execute(select(Alert.case_id, Alert.kind)).all()
        events = s.execute(select(CaseEvent.case_id, CaseEvent.action)).all()
        ids = s.scalars(select(Case.id).order_by(Case.id)).all()
        escalated = s.scalar(select(func.count(Case.id)).where(Case.escalated_at.is_not(None)))
    # every case alerted and audited exactly once for each state it reached (the even ones due
    # soon, then overdue; the odd ones overdue at once), escalated once, each alert received once
    reached = sorted(
        (case_id, state)
        for n, case_id in enumerate(ids)
        for state in (("due_soon", "overdue") if n % 2 == 0 else ("overdue",))
    )
    assert sorted(alerts) == reached
    assert sorted(e for e in events if e[1] != "escalated") == reached
    assert sorted(c for c, a in events if a == "escalated") == ids
    assert escalated == CASES
    assert len(receiver.ids()) == len(set(receiver.ids())) == len(reached)
    app.close()
