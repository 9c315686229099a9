"""Sitemap crawls of badly behaved sites served from 127.0.0.1 (pages written for these tests):
a redirect loop, a 10 MB page, a page slower than the timeout, GB18030 and mislabelled GB2312
pages, broken HTML, a page with no text, a site larger than the page cap, and a site that
starts failing after a good crawl. Each bad page is counted and named; the good ones land;
nothing stored before is lost.

SQLite only: the storage path is the same as in ``test_crawl.py``, which runs on both databases.
Each ``run_crawl`` runs in a forked child, since a Twisted reactor runs once per process.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.crawlers.test_crawl import add_sitemap_source, posts_of, source_row
from tests.httpserver import LocalHttpServer
from yuqing.crawlers.crawl import CrawlLimits, CrawlReport, run_crawl

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
#: no delay, no retries, short timeouts: the site is local and the suite must stay quick
FAST = CrawlLimits(
    download_delay=0.0, concurrency_per_domain=8, download_timeout=5.0, retry_times=0
)
HTML = {"Content-Type": "text/html; charset=utf-8"}
XML = {"Content-Type": "application/xml; charset=utf-8"}

GOOD = {
    "/news/b01.html": (
        "城西片区集中供热管网改造完工",
        "经过三个月施工，城西片区12公里集中供热老旧管网改造全部完工，惠及居民1.2万户。",
    ),
    "/news/b02.html": (
        "市政务服务中心延长周末办理时间",
        "自12月起，市政务服务中心周六办理时间延长至下午五点，社保、公积金窗口照常受理。",
    ),
}


def page(title: str, *paragraphs: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title></head><body>"
        f"<article><h1>{title}</h1>{body}</article></body></html>"
    )


def serve_sitemap(server: LocalHttpServer, paths: list[str]) -> str:
    """Serve robots.txt and a sitemap listing ``paths``; return the sitemap's URL."""
    server.add("/robots.txt", b"User-agent: *\nDisallow: /admin/\n")
    urls = "".join(f"<url><loc>{server.url(p)}</loc></url>" for p in paths)
    server.add(
        "/sitemap.xml",
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode(),
        headers=XML,
    )
    return server.url("/sitemap.xml")


def serve_good_pages(server: LocalHttpServer) -> list[str]:
    for path, (title, text) in GOOD.items():
        server.add(path, page(title, text).encode(), headers=HTML)
    return list(GOOD)


def crawl(db_url: str, name: str, limits: CrawlLimits = FAST, now: datetime = NOW) -> CrawlReport:
    """``run_crawl`` in a forked child: one reactor per process."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        return pool.submit(run_crawl, db_url, name, now, limits).result(timeout=60)


def stored_titles(sessions, name: str) -> dict[str, str]:
    return {p.canonical_url: p.title for p in posts_of(sessions, name)}


def assert_good_pages_stored(server: LocalHttpServer, sessions, name: str) -> None:
    posts = {p.canonical_url: p for p in posts_of(sessions, name)}
    assert set(posts) == {server.url(path) for path in GOOD}
    for path, (title, text) in GOOD.items():
        assert posts[server.url(path)].title == title
        assert text in posts[server.url(path)].text


def test_a_redirect_loop_is_one_page_error(http_server, sessions, db_url):
    http_server.redirect("/news/loop.html", "/news/loop-2.html")
    http_server.redirect("/news/loop-2.html", "/news/loop.html")
    sitemap = serve_sitemap(http_server, [*serve_good_pages(http_server), "/news/loop.html"])
    add_sitemap_source(sessions, "重定向循环", sitemap)

    report = crawl(db_url, "重定向循环")

    assert report.status == "ok", report
    assert (report.pages, report.page_errors, report.stored) == (2, 1, 2)
    loop = http_server.url("/news/loop.html")
    assert report.warning == f"1 of 3 pages failed: redirect loop: {loop} leads back to {loop}"
    assert_good_pages_stored(http_server, sessions, "重定向循环")
    assert source_row(sessions, "重定向循环").last_warning == report.warning


@pytest.mark.parametrize(
    "content_length",
    [True, False],
    ids=["declared", "streamed"],
)
def test_a_10_mb_page_is_refused_by_the_size_cap(http_server, sessions, db_url, content_length):
    filler = "<p>" + "市民来信反映小区噪声扰民问题。" * 40 + "</p>"
    huge = page("超大页面", filler).encode()
    huge = huge * (10 * 1024 * 1024 // len(huge) + 1)
    assert len(huge) >= 10 * 1024 * 1024
    http_server.add("/news/huge.html", huge, headers=HTML, content_length=content_length)
    sitemap = serve_sitemap(http_server, [*serve_good_pages(http_server), "/news/huge.html"])
    add_sitemap_source(sessions, "超大页面", sitemap)
    limits = replace(FAST, max_bytes=1_000_000)

    report = crawl(db_url, "超大页面", limits)

    assert report.status == "ok", report
    assert (report.pages, report.page_errors, report.stored) == (2, 1, 2)
    big = http_server.url("/news/huge.html")
    assert f"body larger than 1,000,000 bytes from {big}" in report.warning
    assert_good_pages_stored(http_server, sessions, "超大页面")


def test_a_page_slower_than_the_timeout_is_one_page_error(http_server, sessions, db_url):
    http_server.add(
        "/news/slow.html", page("慢页面", "迟到的内容。").encode(), headers=HTML, delay=8
    )
    sitemap = serve_sitemap(http_server, [*serve_good_pages(http_server), "/news/slow.html"])
    add_sitemap_source(sessions, "慢页面", sitemap)

    report = crawl(db_url, "慢页面", replace(FAST, download_timeout=1.0))

    assert report.status == "ok", report
    assert (report.pages, report.page_errors, report.stored) == (2, 1, 2)
    slow = http_server.url("/news/slow.html")
    assert f"timed out after 1.0 s fetching {slow}" in report.warning
    assert_good_pages_stored(http_server, sessions, "慢页面")


GB18030_TITLE = "𠮷家村委会答复村民用水问题"
GB18030_TEXT = "村民反映𠮷家村自来水夜间停供，镇水务站已更换加压泵，即日起全天供水。"
#: 镕 and 堃 are in GBK but not in GB2312: a page labelled gb2312 that uses them is common
GBK_TITLE = "王堃代表走访朱镕街道社区"
GBK_TEXT = "市人大代表王堃到朱镕街道社区听取居民对老旧小区改造的意见，记录问题十二条。"


def test_gb18030_and_mislabelled_gb2312_pages_read_right(http_server, sessions, db_url):
    gb18030 = page(GB18030_TITLE, GB18030_TEXT).replace("<head>", '<head><meta charset="gb18030">')
    in_meta = page(GBK_TITLE, GBK_TEXT).replace("<head>", '<head><meta charset="gb2312">')
    in_header = page(GBK_TITLE + "（续）", GBK_TEXT + "下次走访定于一月。")
    http_server.add(
        "/news/gb18030.html", gb18030.encode("gb18030"), headers={"Content-Type": "text/html"}
    )
    http_server.add(
        "/news/gb2312-meta.html", in_meta.encode("gbk"), headers={"Content-Type": "text/html"}
    )
    http_server.add(
        "/news/gb2312-header.html",
        in_header.encode("gbk"),
        headers={"Content-Type": "text/html; charset=gb2312"},
    )
    paths = ["/news/gb18030.html", "/news/gb2312-meta.html", "/news/gb2312-header.html"]
    add_sitemap_source(sessions, "国标编码", serve_sitemap(http_server, paths))

    report = crawl(db_url, "国标编码")

    assert (report.status, report.pages, report.page_errors, report.stored) == ("ok", 3, 0, 3)
    posts = {p.canonical_url: p for p in posts_of(sessions, "国标编码")}
    expected = {
        "/news/gb18030.html": (GB18030_TITLE, GB18030_TEXT),
        "/news/gb2312-meta.html": (GBK_TITLE, GBK_TEXT),
        "/news/gb2312-header.html": (GBK_TITLE + "（续）", GBK_TEXT + "下次走访定于一月。"),
    }
    assert set(posts) == {http_server.url(p) for p in expected}
    for path, (title, text) in expected.items():
        post = posts[http_server.url(path)]
        assert post.title == title, path
        assert text in post.text, (path, post.text)
        assert "\ufffd" not in post.title + post.text


BROKEN = (
    "<html><head><title>关于加强冬季道路除雪工作的通知</title><body>"
    "<div class=content><p>各区环卫部门：入冬以来我市已出现两次降雪过程"
    "<p>要求主干道雪停后六小时内清理完毕，背街小巷二十四小时内清理完毕</html>"
    "<p>对工作不力的单位，将在全市通报批评<td>市城市管理局</span></div></div></div>"
)


def test_broken_html_still_gives_its_text_and_a_textless_page_is_skipped(
    http_server, sessions, db_url
):
    http_server.add("/news/broken.html", BROKEN.encode(), headers=HTML)
    script_only = (
        "<!DOCTYPE html><html><head><title></title></head><body>"
        "<script>window.location.href='/news/index.html';</script></body></html>"
    )
    http_server.add("/news/script.html", script_only.encode(), headers=HTML)
    sitemap = serve_sitemap(http_server, ["/news/broken.html", "/news/script.html"])
    add_sitemap_source(sessions, "残缺页面", sitemap)

    report = crawl(db_url, "残缺页面")

    assert report.status == "ok", report
    assert (report.pages, report.page_errors, report.stored, report.skipped_empty) == (2, 0, 1, 1)
    (post,) = posts_of(sessions, "残缺页面")
    assert post.canonical_url == http_server.url("/news/broken.html")
    assert post.title == "关于加强冬季道路除雪工作的通知"
    for sentence in (
        "入冬以来我市已出现两次降雪过程",
        "背街小巷二十四小时内清理完毕",
        "将在全市通报批评",
    ):
        assert sentence in post.text, post.text
    assert "window.location" not in post.text


def test_the_page_cap_ends_a_big_site_and_says_so(http_server, sessions, db_url):
    paths = []
    for n in range(1, 31):
        path = f"/news/c{n:02d}.html"
        text = f"第{n}号公告：本市第{n}批老旧小区改造项目名单已确定，请相关街道做好入户宣传。"
        http_server.add(path, page(f"改造项目公告第{n}号", text).encode(), headers=HTML)
        paths.append(path)
    add_sitemap_source(sessions, "三十页", serve_sitemap(http_server, paths))

    report = crawl(db_url, "三十页", replace(FAST, page_cap=10))

    assert report.status == "ok", report
    assert report.finish_reason == "closespider_pagecount"
    assert "stopped at the cap of 10 pages" in report.warning
    fetched = sum(http_server.count(p) for p in paths)
    # robots.txt and the sitemap count too; requests already in flight may still land
    assert 1 <= report.stored <= fetched < 30
    assert report.stored <= 10
    assert len(posts_of(sessions, "三十页")) == report.stored
    assert "stopped at the cap of 10 pages" in source_row(sessions, "三十页").last_warning


def test_a_site_that_starts_failing_loses_nothing_stored(http_server, sessions, db_url):
    sitemap = serve_sitemap(http_server, serve_good_pages(http_server))
    add_sitemap_source(sessions, "后来坏了", sitemap)
    assert crawl(db_url, "后来坏了").stored == 2

    # one page now fails: the crawl is still ok, the page's post stays
    http_server.add("/news/b02.html", "服务器内部错误".encode(), status=500, headers=HTML)
    one_hour = NOW + timedelta(hours=1)
    partly = crawl(db_url, "后来坏了", now=one_hour)

    assert (partly.status, partly.stored, partly.duplicates, partly.page_errors) == ("ok", 0, 1, 1)
    assert (
        "HTTP 500 Internal Server Error from " + http_server.url("/news/b02.html") in partly.warning
    )
    assert_good_pages_stored(http_server, sessions, "后来坏了")

    # then the sitemap itself fails: the crawl fails, everything stored stays
    http_server.add("/sitemap.xml", "服务器内部错误".encode(), status=500, headers=HTML)
    two_hours = NOW + timedelta(hours=2)
    failed = crawl(db_url, "后来坏了", now=two_hours)

    assert failed.status == "failed"
    assert failed.error == f"sitemap unusable: HTTP 500 Internal Server Error from {sitemap}"
    assert_good_pages_stored(http_server, sessions, "后来坏了")
    source = source_row(sessions, "后来坏了")
    assert (source.last_error, source.consecutive_failures) == (failed.error, 1)
    assert source.last_success_at == one_hour


def test_a_failing_page_is_retried_after_a_growing_wait(http_server, sessions, db_url):
    """Two retries of an HTTP 503, 0.5 s then 1 s later: a struggling site is not hammered."""
    sitemap = serve_sitemap(http_server, ["/busy.html", *serve_good_pages(http_server)])
    http_server.add("/busy.html", "稍后再试".encode(), status=503, headers=HTML)
    add_sitemap_source(sessions, "繁忙站", sitemap)

    report = crawl(db_url, "繁忙站", replace(FAST, retry_times=2, retry_backoff=0.5))

    assert (report.status, report.stored, report.page_errors) == ("ok", 2, 1)
    first, second, third = http_server.arrivals["/busy.html"]
    assert second - first >= 0.5 and third - second >= 1.0
    assert "HTTP 503" in report.warning
