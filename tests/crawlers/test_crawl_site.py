"""The list-then-detail (``site``) and message-board (``board``) spiders on local sites written
for these tests (``tests/crawlers/sites.py``): fields by selector, incremental paging, replies
that arrive later, and the ways a configured site goes wrong."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.crawlers.sites import (
    BOARD_OPTIONS,
    HTML,
    NEWS_OPTIONS,
    letter_page,
    letters,
    list_page,
    news_items,
    news_page,
    serve_board,
    serve_news,
)
from tests.crawlers.test_crawl import NOW, crawl, posts_of, source_row
from yuqing.cli import main
from yuqing.crawlers.sources import SourceSpec, check_spec
from yuqing.storage.db import transaction
from yuqing.storage.schema import Post, PostUpdate
from yuqing.storage.sources import add_source

FURNITURE = ("ICP备案号", "当前位置", "分享到", "字体：大 中 小")


def add(sessions, name: str, kind: str, url: str, **options) -> None:
    spec = check_spec(SourceSpec(name, url, kind=kind, options=options))
    with transaction(sessions) as session:
        add_source(session, spec, NOW)


def by_url(sessions, name: str, server) -> dict[str, Post]:
    return {p.canonical_url.removeprefix(server.url("")): p for p in posts_of(sessions, name)}


def test_a_site_source_stores_each_article_by_its_selectors(http_server, sessions, db_url):
    items = news_items(12)
    add(sessions, "临江政务动态", "site", serve_news(http_server, items), **NEWS_OPTIONS)

    report = crawl(db_url, "临江政务动态")

    assert report.status == "ok", report
    assert (report.pages, report.stored, report.page_errors) == (12, 12, 0)
    posts = by_url(sessions, "临江政务动态", http_server)
    assert set(posts) == {f"/news/2026/{it.slug}.html" for it in items}
    for item in items:
        post = posts[f"/news/2026/{item.slug}.html"]
        assert post.title == item.title
        assert [line for line in post.text.splitlines() if line] == list(item.paragraphs)
        assert post.published_at == item.published
        assert post.author == item.author
        assert not any(bit in post.text for bit in FURNITURE)
    assert [http_server.count(f"/news/list_{n}.html") for n in (1, 2, 3)] == [1, 1, 1]


def test_a_second_crawl_stops_paging_at_stored_posts_and_finds_new_ones(
    http_server, sessions, db_url
):
    items = news_items(12)
    add(sessions, "临江政务动态", "site", serve_news(http_server, items), **NEWS_OPTIONS)
    crawl(db_url, "临江政务动态")

    again = crawl(db_url, "临江政务动态", NOW + timedelta(hours=1))

    assert (again.status, again.stored, again.pages) == ("ok", 0, 0)
    # Page 1 held only stored posts: pages 2 and 3 and every article were left alone.
    assert [http_server.count(f"/news/list_{n}.html") for n in (1, 2, 3)] == [2, 1, 1]
    assert all(http_server.count(f"/news/2026/{it.slug}.html") == 1 for it in items)

    # Two new articles push the list down: page 1 holds them and two stored ones, page 2 only
    # stored ones, so paging stops there and page 3 is not read again.
    serve_news(http_server, news_items(14))
    third = crawl(db_url, "临江政务动态", NOW + timedelta(hours=2))

    assert (third.status, third.stored, third.pages) == ("ok", 2, 2)
    assert len(posts_of(sessions, "临江政务动态")) == 14
    assert [http_server.count(f"/news/list_{n}.html") for n in (1, 2, 3)] == [3, 2, 1]


def test_without_a_body_selector_the_main_text_is_found_by_trafilatura(
    http_server, sessions, db_url
):
    items = news_items(4)
    url = serve_news(http_server, items)
    add(sessions, "临江政务动态", "site", url, links="ul.news-list a.t")

    report = crawl(db_url, "临江政务动态")

    assert (report.status, report.stored) == ("ok", 4), report
    for item in items:
        post = by_url(sessions, "临江政务动态", http_server)[f"/news/2026/{item.slug}.html"]
        for paragraph in item.paragraphs:
            assert paragraph in post.text
        assert "ICP备案号" not in post.text
        assert item.title in post.title


def test_a_board_stores_messages_and_later_replies_update_them(http_server, sessions, db_url):
    board = letters()
    add(sessions, "临江市长信箱", "board", serve_board(http_server, board), **BOARD_OPTIONS)

    first = crawl(db_url, "临江市长信箱")

    assert (first.status, first.stored, first.updated) == ("ok", 4, 0), first
    posts = by_url(sessions, "临江市长信箱", http_server)
    answered = posts["/board/letter_101.html"]
    assert answered.title == "锦绣花园小区供暖温度不达标"
    assert answered.text == board[0].text
    assert answered.addressed_to == "市城管局"
    assert answered.reply_status == "已回复"
    assert answered.reply_text == board[0].reply
    assert answered.replied_at == NOW.replace(day=23, hour=2, minute=15)  # 10:15 Beijing
    waiting = posts["/board/letter_103.html"]
    assert (waiting.reply_status, waiting.reply_text, waiting.replied_at) == ("办理中", None, None)
    assert waiting.addressed_to == "市生态环境局"

    # The environment bureau answers letter 103; nothing else changes.
    board[2].reply = "经查，该工地未办理夜间施工许可，已责令停止夜间作业并处以罚款。"
    board[2].reply_printed = "2026年11月26日 16时40分"
    serve_board(http_server, board)
    second = crawl(db_url, "临江市长信箱", NOW + timedelta(hours=6))

    assert (second.status, second.stored, second.updated) == ("ok", 0, 1), second
    post = by_url(sessions, "临江市长信箱", http_server)["/board/letter_103.html"]
    assert (post.reply_status, post.reply_text) == ("已回复", board[2].reply)
    assert post.replied_at == NOW.replace(day=26, hour=8, minute=40)
    with sessions() as session:
        updates = session.scalars(select(PostUpdate)).all()
    assert len(updates) == 1
    assert updates[0].post_id == post.id and updates[0].what == "reply"
    assert updates[0].at == NOW + timedelta(hours=6)
    assert updates[0].detail["before"] == {
        "reply_status": "办理中",
        "reply_text": None,
        "replied_at": None,
    }
    assert updates[0].detail["after"]["reply_text"] == board[2].reply
    # The answered letter was not fetched again; the unanswered ones were, for their replies.
    assert http_server.count("/board/letter_101.html") == 1
    assert http_server.count("/board/letter_102.html") == 2


def test_a_field_the_page_stops_showing_does_not_erase_the_stored_one(
    http_server, sessions, db_url
):
    board = letters()
    add(sessions, "临江市长信箱", "board", serve_board(http_server, board), **BOARD_OPTIONS)
    crawl(db_url, "临江市长信箱")
    # Letter 102 is forwarded: its status changes, and the page loses its addressee row.
    page = letter_page(board[1]).replace("办理中".encode(), "已转办".encode())
    page = page.replace('<td class="l-dept">市交通运输局</td>'.encode(), b"<td></td>")
    http_server.add(board[1].path, page, headers=HTML)

    report = crawl(db_url, "临江市长信箱", NOW + timedelta(hours=1))

    assert (report.status, report.updated) == ("ok", 1)
    assert "the addressed_to selector matched nothing on 1 pages" in report.warning
    post = by_url(sessions, "临江市长信箱", http_server)["/board/letter_102.html"]
    assert (post.reply_status, post.addressed_to) == ("已转办", "市交通运输局")


def test_sources_of_each_kind_are_added_and_crawled_from_the_command_line(
    tmp_path, monkeypatch, http_server, capsys
):
    monkeypatch.setenv("YUQING_HOME", str(tmp_path))
    monkeypatch.delenv("YUQING_DATABASE_URL", raising=False)
    news = serve_news(http_server, news_items(6))
    board = serve_board(http_server, letters())
    assert main(["db", "upgrade"]) == 0
    options = [f"--{k.replace('_', '-')}={v}" for k, v in NEWS_OPTIONS.items()]
    assert main(["sources", "add", "--name", "政务动态", "--kind", "site", "--url", news,
                 *options, "--delay", "0", "--concurrency", "4"]) == 0  # fmt: skip
    options = [f"--{k.replace('_', '-')}={v}" for k, v in BOARD_OPTIONS.items()]
    assert main(["sources", "add", "--name", "市长信箱", "--kind", "board", "--url", board,
                 *options, "--delay", "0"]) == 0  # fmt: skip
    capsys.readouterr()

    assert main(["crawl", "--timeout", "120"]) == 0
    out = capsys.readouterr().out
    assert "政务动态: ok, 6 pages, 6 new" in out
    assert "市长信箱: ok, 4 pages, 4 new" in out

    assert main(["crawl", "--timeout", "120"]) == 0
    out = capsys.readouterr().out
    assert "政务动态: ok, 0 pages, 0 new" in out
    assert "市长信箱: ok" in out and "0 new" in out  # its unanswered letters read again
    assert main(["sources", "--json"]) == 0
    listed = capsys.readouterr().out
    assert '"kind": "board"' in listed and '"posts_last_24h": 4' in listed


def test_a_pagination_trap_ends_at_the_list_page_cap(http_server, sessions, db_url):
    # Every list page links one new article and a next page, for ever (200 are served).
    for n in range(1, 201):
        item = news_items(14)[n % 14]
        links = [(f"/trap/a{n}.html", item.title)]
        http_server.add(
            f"/trap/list_{n}.html", list_page(links, f"list_{n + 1}.html", "政务动态"), headers=HTML
        )
        page = news_page(item).replace(item.paragraphs[0].encode(), f"第{n}篇。".encode())
        http_server.add(f"/trap/a{n}.html", page, headers=HTML)
    add(
        sessions,
        "陷阱站",
        "site",
        http_server.url("/trap/list_1.html"),
        links="ul.news-list a.t",
        next="a.next",
        body="#art-body",
        list_pages=5,
    )

    report = crawl(db_url, "陷阱站")

    assert (report.status, report.stored) == ("ok", 5), report
    assert "stopped at the cap of 5 list pages" in report.warning
    assert http_server.count("/trap/list_6.html") == 0
    assert "stopped at the cap of 5 list pages" in source_row(sessions, "陷阱站").last_warning


def test_a_list_selector_that_matches_nothing_fails_the_crawl_and_loses_nothing(
    http_server, sessions, db_url
):
    url = serve_news(http_server, news_items(4))
    add(sessions, "改版站", "site", url, **NEWS_OPTIONS)
    crawl(db_url, "改版站")
    # The site is redesigned: the list is now a <table>.
    http_server.add(
        "/news/list_1.html",
        list_page([], None, "政务动态").replace(b'<ul class="news-list">', b"<table>"),
        headers=HTML,
    )

    report = crawl(db_url, "改版站", NOW + timedelta(hours=1))

    assert report.status == "failed"
    assert report.error == (
        "list page unusable: the links selector 'ul.news-list a.t' matched nothing on list "
        f"page 1, {url}"
    )
    source = source_row(sessions, "改版站")
    assert source.last_error == report.error and source.consecutive_failures == 1
    assert len(posts_of(sessions, "改版站")) == 4


def test_a_body_selector_that_matches_nothing_is_an_error_on_each_page(
    http_server, sessions, db_url
):
    url = serve_news(http_server, news_items(4))
    add(sessions, "错配站", "site", url, **{**NEWS_OPTIONS, "body": "div.content"})

    report = crawl(db_url, "错配站")

    assert (report.status, report.stored, report.page_errors) == ("failed", 0, 4)
    assert report.error.startswith("all 4 pages failed, the first: the body selector")
    assert "'div.content' matched nothing on http://127.0.0.1" in report.error


def test_an_optional_field_that_matches_nothing_is_stored_empty_and_reported(
    http_server, sessions, db_url
):
    url = serve_news(http_server, news_items(4))
    add(sessions, "缺作者", "site", url, **{**NEWS_OPTIONS, "author": "span.writer"})

    report = crawl(db_url, "缺作者")

    assert (report.status, report.stored) == ("ok", 4)
    assert "the author selector matched nothing on 4 pages" in report.warning
    assert {p.author for p in posts_of(sessions, "缺作者")} == {None}


def test_gbk_pages_without_a_declaration_are_read_on_a_site(http_server, sessions, db_url):
    items = news_items(4)
    serve_news(http_server, items)
    for item in items:  # the articles re-served as GBK, with no charset anywhere
        page = news_page(item).decode().replace('<meta charset="utf-8">', "")
        http_server.add(
            f"/news/2026/{item.slug}.html",
            page.encode("gbk"),
            headers={"Content-Type": "text/html"},
        )
    add(sessions, "GBK站", "site", http_server.url("/news/list_1.html"), **NEWS_OPTIONS)

    report = crawl(db_url, "GBK站")

    assert (report.status, report.stored) == ("ok", 4), report
    titles = {p.title for p in posts_of(sessions, "GBK站")}
    assert titles == {it.title for it in items}
