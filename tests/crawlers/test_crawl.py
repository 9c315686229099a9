"""Sitemap crawls of a small municipal news site served from 127.0.0.1 (pages written for these
tests): every article stored once, broken pages counted, failures recorded on the source.

``run_crawl`` starts a Twisted reactor, which cannot run twice in one process, so each in-process
crawl here runs in a forked child; ``crawl_in_subprocess`` is tested as the scheduler uses it.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.httpserver import LocalHttpServer, closed_port
from yuqing.crawlers.crawl import CrawlLimits, CrawlReport, crawl_in_subprocess, main, run_crawl
from yuqing.crawlers.sources import SourceSpec
from yuqing.storage.db import transaction
from yuqing.storage.schema import Post, Source
from yuqing.storage.sources import add_source, get_source

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
#: no delay, short timeouts: the site is local and the suite must stay quick
FAST = CrawlLimits(
    download_delay=0.0,
    concurrency_per_domain=8,
    download_timeout=5.0,
    retry_times=1,
    retry_backoff=0.2,
)
HTML = {"Content-Type": "text/html; charset=utf-8"}
XML = {"Content-Type": "application/xml; charset=utf-8"}


@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    paragraphs: tuple[str, ...]
    #: XML elements inside <url> after <loc> (news:news or lastmod), or "" for none
    listed: str
    #: what the page's <head> says about it
    head: str
    published: datetime


def _bj(*args: int) -> datetime:
    """A Beijing time as UTC."""
    return datetime(*args, tzinfo=UTC) - timedelta(hours=8)


def _news(when: str) -> str:
    return (
        "<news:news><news:publication><news:name>临江发布</news:name><news:language>zh"
        f"</news:language></news:publication><news:publication_date>{when}"
        "</news:publication_date></news:news>"
    )


ARTICLES = (
    Article(
        "a01",
        "临江市召开今冬供暖工作部署会",
        (
            "11月20日上午，市政府召开今冬明春供暖工作部署会，要求各供热企业在11月25日前完成管网试压。",
            "会议明确，居民室温不得低于18摄氏度，对群众反映的不热问题须在24小时内上门处理。",
        ),
        _news("2026-11-20T09:30:00+08:00"),
        '<meta property="og:title" content="临江市召开今冬供暖工作部署会">',
        _bj(2026, 11, 20, 9, 30),
    ),
    Article(
        "a02",
        "滨江大道施工期间绕行方案发布",
        (
            "因滨江大道雨水管改造，12月1日至明年1月15日，滨江大道人民路至解放路段封闭施工。",
            "市交通运输局提醒，途经车辆可经沿河路、建设路绕行，公交3路、15路临时调整线路。",
        ),
        "<lastmod>2026-11-21</lastmod>",
        "",
        _bj(2026, 11, 21),
    ),
    Article(
        "a03",
        "老旧小区加装电梯第三批申报启动",
        (
            "市住房和城乡建设局发布通知，第三批既有住宅加装电梯申报工作即日起启动，截止12月31日。",
            "每部电梯市级财政补助15万元，同一单元业主同意比例须达到三分之二以上。",
        ),
        "",
        '<meta property="article:published_time" content="2026-11-22T10:00:00+08:00">',
        _bj(2026, 11, 22, 10, 0),
    ),
    Article(
        "a04",
        "关于开展冬春季森林防火专项检查的通知",
        (
            "各区县林业部门：为切实做好冬春季森林防火工作，市林业局决定开展专项检查。",
            "检查重点为野外用火管理、护林员在岗情况和扑火物资储备，发现隐患立即整改。",
        ),
        _news("2026-11-23T08:00:00Z"),
        "",
        datetime(2026, 11, 23, 8, 0, tzinfo=UTC),
    ),
    Article(
        "a05",
        "市场监管局通报桶装饮用水抽检结果",
        (
            "市市场监督管理局近日对全市桶装饮用水开展监督抽检，共抽检样品60批次。",
            "其中3批次菌落总数超标，涉事企业已被责令停产整改，不合格产品全部下架召回。",
        ),
        _news("2026-11-24T16:20:00+08:00"),
        "",
        _bj(2026, 11, 24, 16, 20),
    ),
    Article(
        "a06",
        "12345热线十月份办理情况通报",
        (
            "十月份，市12345政务服务便民热线共受理群众诉求2.3万件，按时办结率98.6%。",
            "供暖、物业、噪声扰民类诉求居前三位，排名靠后的三个单位已被约谈。",
        ),
        _news("2026-11-25T11:00:00+08:00"),
        "",
        _bj(2026, 11, 25, 11, 0),
    ),
    Article(
        "a07",
        "城东污水处理厂扩建工程环评公示",
        (
            "城东污水处理厂扩建工程环境影响报告书已编制完成，现向社会公开征求意见。",
            "公示期为10个工作日，公众可通过信函、电子邮件等方式提交书面意见。",
        ),
        _news("2026-11-26T15:45:00+08:00"),
        "",
        _bj(2026, 11, 26, 15, 45),
    ),
    Article(
        "a08",
        "市教育局回应校外培训收费问题",
        (
            "针对网民反映部分培训机构一次性收取全年费用的问题，市教育局回应称已开展专项排查。",
            "对违规预收费的机构，将依法责令退费并纳入失信名单，家长可拨打监督电话举报。",
        ),
        _news("2026-11-27T09:10:00+08:00"),
        "",
        _bj(2026, 11, 27, 9, 10),
    ),
)
#: the article served in GBK with no charset anywhere (header or page)
GBK_SLUG = "a04"


def article_page(article: Article) -> str:
    # a04 carries its title in <h1> only; the others also in <title>.
    title = "" if article.slug == GBK_SLUG else f"<title>{article.title}</title>"
    body = "".join(f"<p>{p}</p>" for p in article.paragraphs)
    return (
        f"<!DOCTYPE html><html><head>{title}{article.head}</head><body>"
        '<div class="nav"><a href="/">首页</a> | <a href="/news/">政务要闻</a></div>'
        f"<article><h1>{article.title}</h1>{body}</article>"
        '<div class="footer">临江市人民政府办公室 主办</div></body></html>'
    )


def serve_site(server: LocalHttpServer, robots: str = "User-agent: *\nDisallow: /admin/\n") -> str:
    """Serve the site; return the sitemap index URL."""
    server.add("/robots.txt", robots.encode(), headers={"Content-Type": "text/plain"})
    server.add(
        "/sitemap_index.xml",
        (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{server.url('/sitemaps/news.xml')}</loc></sitemap>"
            "</sitemapindex>"
        ).encode(),
        headers=XML,
    )
    urls = [
        f"<url><loc>{server.url(f'/news/{a.slug}.html')}</loc>{a.listed}</url>" for a in ARTICLES
    ]
    urls += [f"<url><loc>{server.url(f'/news/{slug}.html')}</loc></url>" for slug in ("a09", "a10")]
    server.add(
        "/sitemaps/news.xml",
        (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
            + "".join(urls)
            + "</urlset>"
        ).encode(),
        headers=XML,
    )
    for article in ARTICLES:
        page = article_page(article)
        if article.slug == GBK_SLUG:
            server.add(
                f"/news/{article.slug}.html",
                page.encode("gbk"),
                headers={"Content-Type": "text/html"},
            )
        else:
            server.add(f"/news/{article.slug}.html", page.encode(), headers=HTML)
    # a09 is not served (404); a10 is a server error
    server.add("/news/a10.html", "服务器内部错误".encode(), status=500, headers=HTML)
    return server.url("/sitemap_index.xml")


def add_sitemap_source(sessions, name: str, url: str) -> None:
    with transaction(sessions) as session:
        add_source(session, SourceSpec(name, url), NOW).kind = "sitemap"


def crawl(db_url: str, name: str, now: datetime = NOW) -> CrawlReport:
    """``run_crawl`` in a forked child: one reactor per process."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        return pool.submit(run_crawl, db_url, name, now, FAST).result(timeout=60)


def posts_of(sessions, name: str) -> list[Post]:
    with sessions() as session:
        source = get_source(session, name)
        return list(session.scalars(select(Post).where(Post.source_id == source.id)))


def source_row(sessions, name: str) -> Source:
    with sessions() as session:
        return get_source(session, name)


def test_sitemap_crawl_stores_every_article_once(http_server, sessions, db_url):
    add_sitemap_source(sessions, "临江市政府新闻", serve_site(http_server))

    report = crawl(db_url, "临江市政府新闻")

    assert report.status == "ok", report
    assert (report.pages, report.page_errors, report.stored) == (8, 2, 8)
    posts = {p.canonical_url: p for p in posts_of(sessions, "临江市政府新闻")}
    assert set(posts) == {http_server.url(f"/news/{a.slug}.html") for a in ARTICLES}
    for article in ARTICLES:
        post = posts[http_server.url(f"/news/{article.slug}.html")]
        assert article.title in post.title
        for paragraph in article.paragraphs:
            assert paragraph in post.text, (article.slug, post.text)
        assert "临江市人民政府办公室 主办" not in post.text  # page furniture left out
        assert post.published_at == article.published, article.slug
        assert post.fetched_at == NOW
    assert http_server.count("/news/a10.html") == 2  # retried once, then counted as an error
    source = source_row(sessions, "临江市政府新闻")
    assert source.last_success_at == NOW
    assert (source.consecutive_failures, source.last_error) == (0, None)
    assert "2 of 10 pages failed" in source.last_warning
    assert "HTTP 404 Not Found" in source.last_warning
    assert "HTTP 500 Internal Server Error" in source.last_warning

    again = crawl(db_url, "临江市政府新闻", NOW + timedelta(hours=1))

    assert (again.status, again.stored, again.duplicates) == ("ok", 0, 8)
    assert len(posts_of(sessions, "临江市政府新闻")) == 8
    assert source_row(sessions, "临江市政府新闻").last_success_at == NOW + timedelta(hours=1)


def test_robots_txt_forbidding_everything_fails_with_a_clear_error(http_server, sessions, db_url):
    sitemap = serve_site(http_server, robots="User-agent: *\nDisallow: /\n")
    add_sitemap_source(sessions, "禁止抓取", sitemap)

    report = crawl(db_url, "禁止抓取")

    assert report.status == "failed"
    assert report.error == f"sitemap unusable: robots.txt forbids fetching {sitemap}"
    assert http_server.count("/sitemap_index.xml") == 0
    assert http_server.count("/news/a01.html") == 0
    source = source_row(sessions, "禁止抓取")
    assert source.last_error == report.error
    assert source.consecutive_failures == 1
    assert source.next_attempt_at == NOW + timedelta(minutes=15)
    assert posts_of(sessions, "禁止抓取") == []


def test_unreachable_sitemap_fails_and_keeps_what_was_stored(http_server, sessions, db_url):
    add_sitemap_source(sessions, "临江市政府新闻", serve_site(http_server))
    assert crawl(db_url, "临江市政府新闻").stored == 8
    refused = closed_port()
    try:
        gone = f"http://127.0.0.1:{refused.getsockname()[1]}/sitemap_index.xml"
        with transaction(sessions) as session:
            get_source(session, "临江市政府新闻").url = gone
        later = NOW + timedelta(hours=2)

        report = crawl(db_url, "临江市政府新闻", later)
    finally:
        refused.close()

    assert report.status == "failed"
    assert report.error.startswith(f"sitemap unusable: could not connect to {gone}")
    source = source_row(sessions, "临江市政府新闻")
    assert source.last_error == report.error
    assert source.last_success_at == NOW  # the earlier success is not forgotten
    assert source.next_attempt_at == later + timedelta(minutes=15)
    assert len(posts_of(sessions, "临江市政府新闻")) == 8


def test_a_sitemap_that_is_not_xml_is_named_as_such(http_server, sessions, db_url):
    http_server.add("/sitemap.xml", "<html><body>网站维护中</body></html>".encode(), headers=HTML)
    add_sitemap_source(sessions, "维护中", http_server.url("/sitemap.xml"))

    report = crawl(db_url, "维护中")

    assert report.status == "failed"
    assert "not a sitemap: the root element is <html>" in report.error
    assert source_row(sessions, "维护中").last_error_kind == "soft"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_crawl_in_subprocess_reports_and_stores(http_server, sessions, db_url):
    add_sitemap_source(sessions, "临江市政府新闻", serve_site(http_server))

    report = crawl_in_subprocess(db_url, "临江市政府新闻", timeout_s=30, limits=FAST, now=NOW)

    assert (report.status, report.stored, report.page_errors) == ("ok", 8, 2)
    assert len(posts_of(sessions, "临江市政府新闻")) == 8
    assert source_row(sessions, "临江市政府新闻").last_success_at == NOW


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_crawl_past_its_time_limit_is_killed_and_recorded(http_server, sessions, db_url):
    serve_site(http_server)
    http_server.routes["/sitemap_index.xml"].delay = 30  # hangs far past the limit
    add_sitemap_source(sessions, "挂起", http_server.url("/sitemap_index.xml"))

    report = crawl_in_subprocess(db_url, "挂起", timeout_s=4, limits=FAST, now=NOW)

    assert (report.status, report.finish_reason) == ("failed", "killed")
    source = source_row(sessions, "挂起")
    assert source.last_error == "crawl exceeded its time limit of 4 s"
    assert source.last_error_kind == "temporary"
    assert source.next_attempt_at == NOW + timedelta(minutes=15)


def test_a_sitemap_whose_pages_all_fail_fails(http_server, sessions, db_url):
    listed = "".join(f"<url><loc>{http_server.url(p)}</loc></url>" for p in ("/x/1.html", "/x/2"))
    http_server.add(
        "/sitemap.xml",
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{listed}</urlset>'.encode(),
        headers=XML,
    )
    add_sitemap_source(sessions, "全是死链", http_server.url("/sitemap.xml"))

    report = crawl(db_url, "全是死链")

    assert report.status == "failed"
    assert report.error.startswith("all 2 pages failed, the first: HTTP 404 Not Found from ")
    source = source_row(sessions, "全是死链")
    assert (source.last_error, source.last_error_kind) == (report.error, "hard")


def test_the_command_names_an_unknown_source_or_a_kind_it_cannot_crawl(sessions, db_url, capsys):
    with transaction(sessions) as session:
        add_source(session, SourceSpec("市政府信息公开", "http://127.0.0.1:9/feed.xml"), NOW)

    assert main(["不存在", "--database-url", db_url]) == 2
    assert "unknown source '不存在'" in capsys.readouterr().err
    assert main(["市政府信息公开", "--database-url", db_url]) == 2
    assert "is of kind 'feed', which is not crawled" in capsys.readouterr().err
    assert capsys.readouterr().out == ""  # nothing on stdout but a report
