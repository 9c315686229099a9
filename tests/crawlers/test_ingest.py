"""Ingestion end to end: real feeds served from 127.0.0.1 into a real database."""

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import feedparser
from sqlalchemy import select

from yuqing.config import HttpLimits
from yuqing.crawlers.fetch import make_client
from yuqing.crawlers.ingest import ingest
from yuqing.crawlers.sources import SourceSpec
from yuqing.storage.schema import Post, Source
from yuqing.storage.sources import add_source

NOW = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)
LIMITS = HttpLimits(connect_timeout=2.0, read_timeout=0.5, max_bytes=200_000, max_redirects=3)

GOOD = {
    "/rss2.xml": ("rss20_city_gov.xml", "application/rss+xml; charset=utf-8"),
    "/rss1.rdf": ("rss10_message_board.rdf", "application/rdf+xml"),
    "/atom.xml": ("atom_news.xml", "application/atom+xml"),
    "/gbk.xml": ("gbk_declared_gb2312.xml", "application/xml"),
    "/gbk-bare.xml": ("gbk_undeclared.xml", "text/xml"),
    "/malformed.xml": ("malformed_rss.xml", "application/rss+xml"),
}

ODD_ENTRIES = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>县政府网</title><link>http://127.0.0.1/</link>
<item><title>只有guid的条目</title><guid isPermaLink="false">county-0042</guid>
<description>某县城区部分路段今晚停水检修。</description></item>
<item><title>既无链接也无guid</title><description>村民反映村道年久失修。</description></item>
<item><title></title><description>   </description></item>
<item><title>带跟踪参数</title><link>http://127.0.0.1/a.html?utm_source=weibo&amp;id=7#c</link>
<description>正文一</description></item>
</channel></rss>""".encode()


def run(sessions, now=NOW, **kw):
    return {r.name: r for r in ingest(sessions, LIMITS, lambda: now, **kw)}


def add(sessions, name, url):
    with sessions.begin() as s:
        add_source(s, SourceSpec(name, url, "430000", "湖南省", "provincial"), NOW)


def posts(sessions):
    with sessions() as s:
        return s.scalars(select(Post).order_by(Post.id)).all()


def test_every_readable_entry_is_stored_once_and_broken_sources_say_why(
    sessions, http_server, read_fixture
):
    expected = 0
    for path, (fixture, ctype) in GOOD.items():
        body = read_fixture(fixture)
        http_server.add(path, body, headers={"Content-Type": ctype}, etag=f'"{path}"')
        add(sessions, path, http_server.url(path))
        expected += len(feedparser.parse(body).entries)
    http_server.add("/html", read_fixture("not_a_feed.html"), headers={"Content-Type": "text/html"})
    http_server.add("/500", b"oops", status=500)
    http_server.redirect("/loop-a", "/loop-b")
    http_server.redirect("/loop-b", "/loop-a")
    http_server.add("/big", b"<rss>" + b"x" * 300_000)
    http_server.add("/slow", b"<rss/>", delay=2.0)
    for name in ("/html", "/500", "/loop-a", "/big", "/slow"):
        add(sessions, name, http_server.url(name))
    add(sessions, "/refused", "http://127.0.0.1:9/feed.xml")

    reports = run(sessions)
    assert {n for n, r in reports.items() if r.status == "fetched"} == set(GOOD)
    assert sum(r.new_posts for r in reports.values()) == expected == len(posts(sessions))
    assert reports["/malformed.xml"].warning
    errors = {n: r.error for n, r in reports.items() if r.status == "failed"}
    assert "not a feed" in errors["/html"]
    assert "500" in errors["/500"]
    assert "redirect" in errors["/loop-a"]
    assert "200,000" in errors["/big"] or "larger" in errors["/big"]
    assert "timed out" in errors["/slow"]
    assert set(errors) == {"/html", "/500", "/loop-a", "/big", "/slow", "/refused"}

    with sessions() as s:
        health = {src.name: src for src in s.scalars(select(Source))}
    assert health["/500"].consecutive_failures == 1
    assert health["/500"].next_attempt_at > NOW
    assert health["/500"].last_error == errors["/500"]
    assert health["/rss2.xml"].last_success_at == NOW
    assert health["/rss2.xml"].etag == '"/rss2.xml"'

    # GBK feeds, declared or not, come out as the right characters.
    texts = " ".join(p.title + p.text for p in posts(sessions))
    assert "镕" in texts and "堃" in texts

    # Again, later: unchanged feeds cost one conditional request and store nothing; failing
    # sources are still backing off and are not asked at all.
    before = {path: http_server.count(path) for path in [*GOOD, "/500"]}
    again = run(sessions, now=NOW + timedelta(minutes=5))
    assert {r.status for r in again.values()} == {"not_modified"}
    assert set(again) == set(GOOD)
    assert all(http_server.count(p) == before[p] + 1 for p in GOOD)
    assert http_server.count("/500") == before["/500"]
    assert len(posts(sessions)) == expected


def test_a_failing_source_keeps_what_it_stored(sessions, http_server, read_fixture):
    http_server.add("/feed", read_fixture("rss20_city_gov.xml"))
    add(sessions, "board", http_server.url("/feed"))
    stored = run(sessions)["board"].new_posts
    assert stored > 0
    http_server.add("/feed", b"", status=503)
    report = run(sessions, now=NOW + timedelta(hours=1), force=True)["board"]
    assert report.status == "failed" and "503" in report.error
    assert len(posts(sessions)) == stored
    with sessions() as s:
        board = s.scalar(select(Source))
        assert (board.consecutive_failures, board.last_success_at) == (1, NOW)


def test_entries_without_links_or_text(sessions, http_server):
    http_server.add("/odd", ODD_ENTRIES, headers={"Content-Type": "application/rss+xml"})
    add(sessions, "odd", http_server.url("/odd"))
    report = run(sessions)["odd"]
    assert (report.new_posts, report.skipped_empty) == (3, 1)
    with sessions() as s:
        source_id = s.scalar(select(Source.id))
    keys = [p.canonical_url for p in posts(sessions)]
    assert keys[0] == f"guid:{source_id}:county-0042"
    assert keys[1].startswith("hash:")
    assert keys[2] == "http://127.0.0.1/a.html?id=7"


def test_the_same_post_from_two_sources_is_stored_once(sessions, http_server, read_fixture):
    body = read_fixture("rss20_city_gov.xml")
    http_server.add("/a", body)
    http_server.add(
        "/b", body.replace(b"https://www.linjiang.gov.example", b"http://mirror.example")
    )
    add(sessions, "a", http_server.url("/a"))
    add(sessions, "b", http_server.url("/b"))
    reports = run(sessions)
    assert reports["a"].new_posts > 0
    assert reports["b"].new_posts == 0
    assert reports["b"].duplicates == reports["a"].new_posts


def test_a_callers_client_serves_every_turn_and_one_source_is_fetched_in_the_callers_thread(
    sessions, http_server, read_fixture
):
    """The scheduler's turns (one source each, many a minute) share the process's client and
    start no thread of their own; a run over several sources still fetches them in parallel."""
    http_server.add("/a", read_fixture("rss20_city_gov.xml"))
    http_server.add("/b", read_fixture("atom_news.xml"))
    add(sessions, "a", http_server.url("/a"))
    add(sessions, "b", http_server.url("/b"))
    seen: list[tuple[str, int]] = []

    def note(request):
        seen.append((request.url.path, threading.get_ident()))

    with make_client(LIMITS) as client:
        client.event_hooks["request"].append(note)
        for turn, name in enumerate(("a", "b", "a")):
            now = NOW + timedelta(minutes=turn)
            report = run(sessions, now=now, names=[name], client=client)[name]
            assert report.status in ("fetched", "unchanged", "not_modified")
            assert not client.is_closed  # the caller's to close
        assert [path for path, _ in seen] == ["/a", "/b", "/a"]
        assert {thread for _, thread in seen} == {threading.get_ident()}
        seen.clear()
        both = run(sessions, now=NOW + timedelta(minutes=5), force=True, client=client)
        assert set(both) == {"a", "b"}
        assert sorted(path for path, _ in seen) == ["/a", "/b"]
        assert threading.get_ident() not in {thread for _, thread in seen}
    assert len(posts(sessions)) > 0


def test_named_sources_are_fetched_even_while_backing_off(sessions, http_server, read_fixture):
    http_server.add("/feed", b"", status=500)
    add(sessions, "board", http_server.url("/feed"))
    run(sessions)
    assert run(sessions, now=NOW + timedelta(minutes=1)) == {}
    http_server.add("/feed", read_fixture("atom_news.xml"))
    report = run(sessions, now=NOW + timedelta(minutes=1), names=["board"])["board"]
    assert report.status == "fetched" and report.new_posts > 0


def test_hard_failures_disable_a_source(sessions, http_server):
    http_server.add("/gone", b"", status=410)
    add(sessions, "gone", http_server.url("/gone"))
    now = NOW
    for _ in range(5):
        report = run(sessions, now=now, force=True)["gone"]
        now += timedelta(days=1)
    assert report.disabled
    assert run(sessions, now=now) == {}
    with sessions() as s:
        assert s.scalar(select(Source.enabled)) is False


def test_limits_are_the_settings(sessions, http_server, read_fixture):
    body = read_fixture("rss20_city_gov.xml")
    http_server.add("/feed", body)
    add(sessions, "board", http_server.url("/feed"))
    small = replace(LIMITS, max_bytes=len(body) // 2)
    reports = list(ingest(sessions, small, lambda: NOW))
    assert reports[0].status == "failed"


def test_many_sources_are_parsed_in_worker_processes_with_the_same_result(
    sessions, http_server, monkeypatch
):
    import yuqing.crawlers.ingest as ingest_module

    bodies = {}
    for i in range(ingest_module.PARSE_POOL_MIN_SOURCES + 2):
        items = "".join(
            f"<item><title>第{i}号源第{n}条</title><link>http://127.0.0.1/{i}/{n}</link>"
            f"<description>&lt;p&gt;第{i}个县第{n}个村反映道路损坏&lt;/p&gt;</description></item>"
            for n in range(3)
        )
        body = f'<rss version="2.0"><channel><title>{i}</title>{items}</channel></rss>'.encode()
        bodies[f"/f{i}"] = body
        http_server.add(f"/f{i}", body)
        add(sessions, f"s{i}", http_server.url(f"/f{i}"))
    used = []
    real_pool = ingest_module.process_pool
    monkeypatch.setattr(
        ingest_module, "process_pool", lambda *a, **k: used.append(1) or real_pool(*a, **k)
    )
    reports = run(sessions)
    assert used, "the worker pool was not used"
    expected = sum(len(feedparser.parse(b).entries) for b in bodies.values())
    assert sum(r.new_posts for r in reports.values()) == expected == len(posts(sessions))
    assert all(r.status == "fetched" for r in reports.values())


def test_a_link_shared_by_different_entries_identifies_none_of_them(sessions, http_server):
    items = "".join(
        f"<item><title>留言{n}</title><link>http://127.0.0.1/board/</link>"
        + (f"<guid isPermaLink='false'>msg-{n}</guid>" if n < 2 else "")
        + f"<description>第{n}位网友反映小区停暖</description></item>"
        for n in range(4)
    )
    body = f'<rss version="2.0"><channel><title>留言板</title>{items}</channel></rss>'.encode()
    http_server.add("/board.rss", body)
    add(sessions, "board", http_server.url("/board.rss"))
    assert run(sessions)["board"].new_posts == 4
    keys = sorted(p.canonical_url for p in posts(sessions))
    assert [k.split(":")[0] for k in keys] == ["guid", "guid", "hash", "hash"]
