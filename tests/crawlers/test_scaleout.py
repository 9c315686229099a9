"""Crawls shared through the real Redis at 127.0.0.1:6379: two crawler processes split one local
site of 200 pages, every page fetched and stored once; a later round fetches them again; a worker
that joins waits while another is busy; a Redis that does not answer fails the crawl in one line,
recorded on the source.

Each test uses a key prefix of its own and deletes only its own keys afterwards. Where no Redis
answers, these tests skip with the reason, unless ``YUQING_REQUIRE_REDIS=1`` (set by ``.ci/run``)
makes that a failure.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import redis
from sqlalchemy import select

from tests.httpserver import LocalHttpServer, closed_port
from yuqing.crawlers.crawl import CrawlLimits, CrawlReport, crawl_in_subprocess, judge
from yuqing.crawlers.errors import FetchError
from yuqing.crawlers.scaleout import RequestCodec, Round, RoundKeys, redact
from yuqing.crawlers.sources import SourceSpec
from yuqing.crawlers.spiders.base import CrawlOutcome
from yuqing.storage.db import transaction
from yuqing.storage.schema import Post, Source
from yuqing.storage.sources import add_source, get_source

REDIS_URL = os.environ.get("YUQING_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
#: no politeness delay against our own server; the per-page delay is the server's
FAST = CrawlLimits(
    download_delay=0.0, concurrency_per_domain=8, download_timeout=10.0, retry_times=1
)
PAGES = 200
#: each page answers this late, so that both workers have pages in flight at once
PAGE_DELAY_S = 0.05
NAME = "临江市政府公告"
XML = {"Content-Type": "application/xml; charset=utf-8"}
HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.fixture
def shared_redis(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[redis.Redis, str]]:
    """The real Redis and a key prefix of this test's own, set for the crawls it starts."""
    server = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        server.ping()
    except redis.RedisError as exc:
        reason = f"Redis at {redact(REDIS_URL)} is not reachable: {exc}"
        if os.environ.get("YUQING_REQUIRE_REDIS") == "1":
            pytest.fail(reason + " (YUQING_REQUIRE_REDIS=1)")
        pytest.skip(reason)
    prefix = f"yuqing-test:{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("YUQING_REDIS_URL", REDIS_URL)
    monkeypatch.setenv("YUQING_REDIS_PREFIX", prefix)
    try:
        yield server, prefix
    finally:
        for key in server.scan_iter(match=f"{prefix}:*"):
            server.delete(key)
        server.close()


def page_path(i: int) -> str:
    return f"/gonggao/{i:03d}.html"


def listed_time(i: int) -> datetime | None:
    """Even pages carry a <lastmod> (Beijing time), odd ones none."""
    if i % 2:
        return None
    return datetime(2026, 11, 1 + i % 26, 9, i % 60, tzinfo=UTC) - timedelta(hours=8)


def serve_notices(server: LocalHttpServer, sitemap_delay: float = 0.5, pages: int = PAGES) -> str:
    """A site of ``pages`` notices, each different; return its sitemap's URL. The sitemap is
    slow, so the second worker surely starts while the first is reading it."""
    server.add("/robots.txt", b"User-agent: *\nDisallow: /admin/\n")
    entries = []
    for i in range(pages):
        when = listed_time(i)
        lastmod = ""
        if when is not None:
            beijing = (when + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%S")
            lastmod = f"<lastmod>{beijing}+08:00</lastmod>"
        entries.append(f"<url><loc>{server.url(page_path(i))}</loc>{lastmod}</url>")
        body = (
            f"<!DOCTYPE html><html><head><title>临江市公告第{i}号</title></head><body>"
            f"<article><h1>临江市公告第{i}号</h1>"
            f"<p>第{i}号公告：市政府决定对第{i}片区的供水管网进行改造，施工期间请居民提前储水。</p>"
            f"<p>咨询电话：12345-{i:04d}，受理时间为工作日上午九时至下午五时。</p>"
            "</article></body></html>"
        )
        server.add(page_path(i), body.encode(), headers=HTML, delay=PAGE_DELAY_S)
    server.add(
        "/sitemap.xml",
        (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(entries)
            + "</urlset>"
        ).encode(),
        headers=XML,
        delay=sitemap_delay,
    )
    return server.url("/sitemap.xml")


def add_sitemap_source(sessions, url: str) -> int:
    with transaction(sessions) as session:
        source = add_source(session, SourceSpec(NAME, url, kind="sitemap"), NOW)
        session.flush()
        return source.id


def two_workers(db_url: str, now: datetime) -> list[CrawlReport]:
    """Two crawler processes for the same source, started together."""
    with ThreadPoolExecutor(2) as pool:
        runs = [
            pool.submit(crawl_in_subprocess, db_url, NAME, 60, limits=FAST, now=now)
            for _ in range(2)
        ]
        return [run.result(timeout=90) for run in runs]


def source_row(sessions) -> Source:
    with sessions() as session:
        return get_source(session, NAME)


def assert_split_once(reports, http_server, sessions, keys, server, pages: int = PAGES) -> None:
    """One round of two workers stored every page once, each worker a share of them."""
    assert [r.status for r in reports] == ["ok", "ok"], reports
    assert all(r.pages > 0 for r in reports), [r.pages for r in reports]  # each did a share
    assert sum(r.pages for r in reports) == pages
    assert (sum(r.stored for r in reports), sum(r.duplicates for r in reports)) == (pages, 0)
    assert sum(r.page_errors for r in reports) == 0
    with sessions() as session:
        posts = {p.canonical_url: p for p in session.scalars(select(Post))}
    assert set(posts) == {http_server.url(page_path(i)) for i in range(pages)}
    for i in range(pages):
        assert http_server.count(page_path(i)) == 1, i  # fetched once, by one of the two
        post = posts[http_server.url(page_path(i))]
        assert f"第{i}号公告" in post.text
        # the listed time crossed Redis with the request, and so did None for odd pages
        assert post.published_at == listed_time(i), i
    assert http_server.count("/sitemap.xml") == 1  # read by the round's first worker only
    assert http_server.count("/robots.txt") == 2  # each worker asks for its own
    assert int(server.get(keys.round)) == 1  # one round, shared: the second worker joined
    assert server.smembers(keys.workers) == set()  # both left it
    source = source_row(sessions)
    assert (source.last_success_at, source.consecutive_failures, source.last_error) == (
        NOW,
        0,
        None,
    )


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_two_workers_split_one_site_and_a_later_round_fetches_it_again(
    http_server, sessions, db_url, shared_redis
):
    server, prefix = shared_redis
    keys = RoundKeys(prefix, add_sitemap_source(sessions, serve_notices(http_server)))

    assert_split_once(two_workers(db_url, NOW), http_server, sessions, keys, server)

    later = NOW + timedelta(hours=1)
    again = two_workers(db_url, later)

    # A new round: the seen filter was cleared, so every page is fetched again (and stored
    # nothing new, posts being deduplicated).
    assert [r.status for r in again] == ["ok", "ok"], again
    assert int(server.get(keys.round)) == 2
    assert all(http_server.count(page_path(i)) == 2 for i in range(PAGES))
    assert sum(r.pages for r in again) == PAGES
    assert (sum(r.stored for r in again), sum(r.duplicates for r in again)) == (0, PAGES)
    assert source_row(sessions).last_success_at == later


@pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_two_workers_split_one_site_into_postgresql(http_server, sessions, db_url, shared_redis):
    server, prefix = shared_redis
    site = serve_notices(http_server, pages=PAGES // 2)  # half the site: the same, quicker
    keys = RoundKeys(prefix, add_sitemap_source(sessions, site))

    reports = two_workers(db_url, NOW)

    assert_split_once(reports, http_server, sessions, keys, server, pages=PAGES // 2)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("redis://:hunter2@127.0.0.1:{port}/0", "Redis at redis://:***@127.0.0.1:{port}/0 is "),
        ("http://127.0.0.1:{port}/", "YUQING_REDIS_URL 'http://127.0.0.1:{port}/' is not a "),
    ],
    ids=["unreachable", "malformed"],
)
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_redis_that_cannot_be_used_fails_the_crawl_in_one_line(
    http_server, sessions, db_url, monkeypatch, url, words
):
    add_sitemap_source(sessions, serve_notices(http_server, sitemap_delay=0))
    refused = closed_port()
    try:
        port = refused.getsockname()[1]
        monkeypatch.setenv("YUQING_REDIS_URL", url.format(port=port))

        report = crawl_in_subprocess(db_url, NAME, 30, limits=FAST, now=NOW)
    finally:
        refused.close()

    assert report.status == "failed"
    assert report.error.startswith(words.format(port=port)), report.error
    assert "\n" not in report.error and "hunter2" not in report.error
    assert "Traceback" not in report.error
    source = source_row(sessions)
    assert (source.last_error, source.last_error_kind) == (report.error, "temporary")
    assert source.next_attempt_at == NOW + timedelta(minutes=15)
    assert http_server.count("/sitemap.xml") == 0  # nothing crawled unshared


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_worker_that_joins_waits_while_another_is_busy_and_records_nothing_if_it_got_nothing(
    http_server, sessions, db_url, shared_redis
):
    server, prefix = shared_redis
    keys = RoundKeys(prefix, add_sitemap_source(sessions, serve_notices(http_server)))
    other = Round(server, keys, "elsewhere-1-abcdef", ttl_s=1.0)
    assert other.join() == (False, 1)  # another worker's round, busy

    with ThreadPoolExecutor(1) as pool:
        run = pool.submit(crawl_in_subprocess, db_url, NAME, 30, limits=FAST, now=NOW)
        while server.scard(keys.workers) < 2 and not run.done():
            other.beat("busy")  # its heartbeat, until our worker has joined
            time.sleep(0.2)
        killed = time.monotonic()  # then it dies: its key expires a second later
        report = run.result(timeout=30)

    assert time.monotonic() - killed >= 1.0  # ours waited for it rather than closing at once
    assert (report.status, report.pages, report.stored) == ("ok", 0, 0)
    assert report.warning == (
        "joined round 1 of this source's crawl in another worker, which left no page for this one"
    )
    assert http_server.count("/sitemap.xml") == 0  # the index is the first worker's to read
    assert sum(http_server.count(page_path(i)) for i in range(PAGES)) == 0
    source = source_row(sessions)
    assert (source.last_attempt_at, source.last_error) == (None, None)  # nothing recorded
    assert server.smembers(keys.workers) == set()


def test_a_worker_that_joined_is_judged_without_the_index():
    joined = {"yuqing/joined_round": True, "yuqing/round": 4, "finish_reason": "finished"}
    alone = {**joined, "yuqing/joined_round": False}

    assert judge(NAME, CrawlOutcome(pages_ok=3), joined, FAST).status == "ok"
    failed = judge(NAME, CrawlOutcome(pages_ok=3), alone, FAST)
    assert failed.error == "the crawl ended (finished) before any sitemap was read"
    lost = {**joined, "yuqing/redis_error": "lost Redis at redis://h:6379/0 mid-crawl: gone"}
    assert judge(NAME, CrawlOutcome(pages_ok=3), lost, FAST).error == lost["yuqing/redis_error"]
    page_error = FetchError("http://h/1", "HTTP 404 Not Found from http://h/1", "hard")
    some_failed = judge(NAME, CrawlOutcome(pages_ok=3, page_errors=[page_error]), joined, FAST)
    assert some_failed.warning.startswith("1 of 4 pages failed: HTTP 404")


def test_rounds_are_joined_while_busy_and_forgotten_when_their_workers_die(shared_redis):
    server, prefix = shared_redis
    keys = RoundKeys(prefix, 7)
    first, second, third = (Round(server, keys, name) for name in ("a", "b", "c"))

    assert first.join() == (False, 1)  # a new round
    assert second.join() == (True, 1)  # joins it while the first is busy
    assert first.beat("idle") == 1  # the second is busy
    assert second.beat("idle") == 0
    # Everyone idle and nothing queued: the round is over, a new worker starts the next one.
    assert third.join() == (False, 2)

    short = Round(server, keys, "d", ttl_s=0.2)
    server.sadd(keys.dupefilter, "fingerprint")
    short.beat("busy")
    for worker in (first, second, third):
        worker.leave()
    assert Round(server, keys, "e").join() == (True, 2)  # d is alive and busy
    Round(server, keys, "e").leave()
    time.sleep(0.3)  # d is killed: its heartbeat stops and its key expires

    assert Round(server, keys, "f").join() == (False, 3)
    assert server.smembers(keys.workers) == {b"f"}
    assert not server.exists(keys.dupefilter)  # the new round starts with nothing seen


def test_requests_cross_redis_as_json_keeping_bytes_and_times():
    when = datetime(2026, 11, 20, 1, 30, tzinfo=UTC)
    request = {
        "url": "http://127.0.0.1/a.html",
        "headers": {b"Accept": [b"text/html"]},
        "body": b"",
        "meta": {"depth": 2, "redirect_urls": ["http://127.0.0.1/b"], "$odd": (1, 2)},
        "cb_kwargs": {"listed_published": when, "none": None},
    }

    data = RequestCodec.dumps(request)

    assert b"pickle" not in data and data.startswith(b"{")
    back = RequestCodec.loads(data)
    assert back["headers"] == {b"Accept": [b"text/html"]}
    assert back["cb_kwargs"] == {"listed_published": when, "none": None}
    assert back["meta"] == {"depth": 2, "redirect_urls": ["http://127.0.0.1/b"], "$odd": [1, 2]}
    with pytest.raises(TypeError):
        RequestCodec.dumps({"meta": {"x": object()}})


def test_passwords_are_hidden_in_redis_urls():
    assert (
        redact("redis://user:s3cr%40t@cache.internal:6379/2")
        == "redis://user:***@cache.internal:6379/2"
    )
    assert redact("rediss://:pw@h:6380") == "rediss://:***@h:6380"
    assert redact("unix:///run/redis.sock?db=1&password=pw") == (
        "unix:///run/redis.sock?db=1&password=***"
    )
    assert redact("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
