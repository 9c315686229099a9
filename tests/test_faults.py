"""Faults the scheduler must survive: a locked or briefly unreachable database (retried, with a
log line), and ``kill -9`` in the middle of ingestion (a restart loses and repeats nothing)."""

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
from yuqing.app import App
from yuqing.config import load_settings
from yuqing.jobs import init_store
from yuqing.scheduler import _guarded, sweep
from yuqing.storage.db import make_engine, upgrade
from yuqing.storage.schema import Alert, Case, Classification, Post


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


def _scheduler(home):
    env = {**os.environ, "YUQING_HOME": str(home)}
    for name in ("YUQING_DATABASE_URL", "YUQING_CONFIG", "YUQING_SOURCES"):
        env.pop(name, None)
    return subprocess.Popen(
        [sys.executable, "-m", "yuqing.cli", "schedule"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


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
    app = App(load_settings({"YUQING_HOME": str(home)}))
    init_store(app)
    from yuqing.jobs import ensure_model

    ensure_model(app)

    def posts():
        with app.sessions() as s:
            return s.scalar(select(func.count(Post.id)))

    first = _scheduler(home)
    try:
        _until(lambda: posts() >= ITEMS, 90, "the first posts")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    stored_at_kill = posts()
    assert stored_at_kill < FEEDS * ITEMS  # killed in the middle of ingestion
    second = _scheduler(home)
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
