"""parse_feed() on real feed bytes served from 127.0.0.1 and fetched with fetch()."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx
import pytest

from tests.httpserver import LocalHttpServer
from yuqing.config import HttpLimits
from yuqing.crawlers.errors import NotAFeed
from yuqing.crawlers.feeds import FeedEntry, ParsedFeed, parse_feed
from yuqing.crawlers.fetch import fetch, make_client

LIMITS = HttpLimits(connect_timeout=0.5, read_timeout=0.5)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with make_client(LIMITS) as client:
        yield client


@pytest.fixture
def serve(
    http_server: LocalHttpServer, client: httpx.Client
) -> Callable[[str, bytes, str | None], ParsedFeed]:
    """Serve ``body`` at ``path`` with a Content-Type, fetch it, and parse what came back."""

    def serve_and_parse(path: str, body: bytes, content_type: str | None) -> ParsedFeed:
        headers = {"Content-Type": content_type} if content_type else {}
        http_server.add(path, body, headers=headers)
        result = fetch(client, http_server.url(path), LIMITS)
        assert result.body is not None
        return parse_feed(result.body, result.headers, result.final_url)

    return serve_and_parse


def test_rss20(serve, read_fixture, http_server: LocalHttpServer):
    feed = serve("/zwgk/rss.xml", read_fixture("rss20_city_gov.xml"), "application/rss+xml")

    assert feed.title == "临江市人民政府 · 通知公告"
    assert feed.link == "https://www.linjiang.gov.example/zwgk/tzgg/"
    assert feed.warning is None
    assert feed.encoding == "utf-8"
    assert [e.guid for e in feed.entries] == [
        "ljgov-tzgg-58213",
        "ljgov-tzgg-58190",
        "https://www.linjiang.gov.example/zwgk/zcjd/202407/t20240710_58102.html",
    ]
    first = feed.entries[0]
    assert first.title == "关于调整城区居民生活用水价格的听证公告"
    # a relative link, joined against the URL the feed came from
    assert first.link == http_server.url("/zwgk/tzgg/202407/t20240712_58213.html")
    # content:encoded wins over description, raw markup kept (no sanitising, no URI rewriting)
    assert "<strong>2024年7月26日上午9时</strong>" in first.html
    assert '<a href="/zwgk/fj/sjtzfa.pdf">' in first.html
    assert first.published == datetime(2024, 7, 12, 1, 30, tzinfo=UTC)  # 09:30 +0800
    assert first.author == "临江市发展和改革委员会"
    second = feed.entries[1]
    assert second.html.startswith("<p>受强降雨影响")  # description, when there is no content
    assert second.author is None


def test_rss10_rdf(serve, read_fixture):
    feed = serve("/liuyan.rdf", read_fixture("rss10_message_board.rdf"), "application/rdf+xml")

    assert feed.title == "临江市民心声 · 网上留言板"
    assert [e.title for e in feed.entries] == [
        "东湖小区停水三天无人通知，老人买水困难",
        "建议在实验小学门口增设人行横道信号灯",
    ]
    entry = feed.entries[0]
    assert entry.guid == entry.link == "https://liuyan.linjiang.gov.example/msg/20240711-0423"
    assert entry.published == datetime(2024, 7, 11, 12, 15, tzinfo=UTC)  # dc:date
    assert entry.author == "东湖居民"
    assert "独居老人" in entry.html


def test_atom(serve, read_fixture, http_server: LocalHttpServer):
    feed = serve("/local/atom.xml", read_fixture("atom_news.xml"), "application/atom+xml")

    assert feed.title == "江城晚报 · 本地新闻"
    first, second = feed.entries
    assert first.guid == "tag:news.jiangcheng.example,2024:local-88412"
    assert first.link == http_server.url("/local/2024/07/12/city-south-rumour.html")
    assert first.html.startswith("<p>区住建局12日回应称")  # content wins over summary
    assert first.published == datetime(2024, 7, 12, 0, 0, tzinfo=UTC)  # published, not updated
    assert first.author == "本报记者 周晓雯"
    assert second.published == datetime(2024, 7, 11, 23, 5, tzinfo=UTC)  # only <updated>
    assert second.html.startswith("<p>受持续强降雨影响")  # summary when there is no content


def test_gbk_feed_declared_as_gb2312(serve, read_fixture):
    body = read_fixture("gbk_declared_gb2312.xml")
    with pytest.raises(UnicodeDecodeError):
        body.decode("gb2312")  # the fixture really holds GBK-only characters

    feed = serve("/xzxx/rss.xml", body, "text/xml; charset=gb2312")

    assert feed.encoding == "gb18030"
    assert feed.warning is None
    assert feed.title == "南溪县人民政府网 · 县长信箱回复"
    assert [e.title for e in feed.entries] == [
        "关于镕达化工园区夜间异味扰民问题的回复",
        "王堃同志任县应急管理局局长",
    ]
    assert feed.entries[0].author == "县生态环境局"


def test_gbk_feed_with_no_declaration_and_no_charset(serve, read_fixture):
    body = read_fixture("gbk_undeclared.xml")
    assert b"encoding" not in body

    feed = serve("/bhz/rss.xml", body, "text/xml")

    assert feed.encoding == "gb18030"
    assert feed.title == "北河镇便民服务中心"
    (entry,) = feed.entries
    assert entry.title == "北河镇2024年城乡居民医保缴费截止提醒"
    assert entry.html.endswith("咨询：镇社保所张喆。")
    assert entry.published == datetime(2024, 6, 28, 0, 30, tzinfo=UTC)


def test_gbk_feed_served_with_a_wrong_utf8_charset(serve, read_fixture):
    feed = serve(
        "/xzxx/rss.xml", read_fixture("gbk_declared_gb2312.xml"), "text/html; charset=utf-8"
    )

    assert feed.encoding == "gb18030"
    assert feed.warning is None  # a feed served as text/html is common and harmless
    assert feed.entries[1].title == "王堃同志任县应急管理局局长"


def test_malformed_feed_with_entries_is_accepted_with_a_warning(serve, read_fixture):
    feed = serve("/qs/rss.xml", read_fixture("malformed_rss.xml"), "application/rss+xml")

    assert feed.warning == "malformed XML: mismatched tag at line 12"
    assert [e.title for e in feed.entries] == [
        "青山区2024年第二季度农民工工资支付情况通报",
        "关于青山湖景区暑期限流措施的公告",
    ]
    assert feed.entries[0].guid is None  # no <guid> in this feed
    assert feed.entries[1].published == datetime(2024, 7, 8, 7, 30, tzinfo=UTC)


def test_html_page_is_not_a_feed(serve, read_fixture, http_server: LocalHttpServer):
    with pytest.raises(NotAFeed) as caught:
        serve("/rss.xml", read_fixture("not_a_feed.html"), "text/html; charset=utf-8")

    url = http_server.url("/rss.xml")
    assert caught.value.kind == "soft"
    assert caught.value.url == url
    assert str(caught.value) == f"not a feed: an HTML page, no RSS, RDF or Atom element, from {url}"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "the body is empty"),
        (b"  \n", "the body is empty"),
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "malformed XML"),
        ("服务器繁忙，请稍后再试".encode("gbk"), "malformed XML"),
        (
            b"<?xml version='1.0'?><urlset><url><loc>http://a.example/</loc></url></urlset>",
            "no RSS",
        ),
    ],
)
def test_other_documents_are_not_feeds(body, reason):
    url = "http://127.0.0.1/feed.xml"

    with pytest.raises(NotAFeed) as caught:
        parse_feed(body, {"content-type": "application/xml"}, url)

    assert str(caught.value).startswith(f"not a feed: {reason}")
    assert str(caught.value).endswith(f", from {url}")


def test_valid_feed_without_entries(serve, read_fixture):
    feed = serve("/yjxx/rss.xml", read_fixture("empty_channel.xml"), "application/rss+xml")

    assert feed.entries == []
    assert feed.warning is None
    assert feed.title == "临江市应急管理局 · 预警信息"


def test_body_naming_a_local_file_is_not_read(tmp_path, read_fixture):
    # Given bytes, feedparser first tries them as a file name. A hostile server answering
    # with a path must get "not a feed", not the contents of our file.
    local = tmp_path / "secret-feed.xml"
    local.write_bytes(read_fixture("rss20_city_gov.xml"))

    with pytest.raises(NotAFeed):
        parse_feed(str(local).encode(), {"content-type": "text/plain"}, "http://127.0.0.1/x")


def test_hostile_links_are_dropped_and_missing_fields_are_empty():
    body = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>留言板</title><link>javascript:alert(1)</link>
<item><link>javascript:alert(document.cookie)</link><description>点击领取补贴</description></item>
<item><title>来信</title><link>data:text/html,&lt;script&gt;x()&lt;/script&gt;</link></item>
<item><title>回复</title><link>//cdn.example/post/1</link><pubDate>不是日期</pubDate></item>
</channel></rss>""".encode()

    feed = parse_feed(body, {"content-type": "application/rss+xml"}, "https://bbs.example/rss")

    assert feed.link is None
    assert feed.entries == [
        FeedEntry(guid=None, link=None, title="", html="点击领取补贴", published=None, author=None),
        FeedEntry(guid=None, link=None, title="来信", html="", published=None, author=None),
        FeedEntry(
            guid=None,
            link="https://cdn.example/post/1",
            title="回复",
            html="",
            published=None,
            author=None,
        ),
    ]


def test_content_location_is_the_base_for_relative_links():
    body = (
        b"<rss version='2.0'><channel><title>t</title>"
        b"<item><title>a</title><link>t1.html</link></item></channel></rss>"
    )
    headers = {"content-type": "application/rss+xml", "content-location": "/news/2024/"}

    feed = parse_feed(body, headers, "http://127.0.0.1/feeds/rss")

    assert feed.entries[0].link == "http://127.0.0.1/news/2024/t1.html"


def test_undecodable_bytes_are_replaced_and_reported():
    body = (
        "<rss version='2.0'><channel><title>市场监管局</title><item><title>关于".encode()
        + b"\xe5\x9b"  # a character cut in half by the source's CMS
        + "抽检结果的通告</title></item></channel></rss>".encode()
    )

    feed = parse_feed(body, {"content-type": "application/rss+xml"}, "http://127.0.0.1/rss")

    assert feed.entries[0].title == "关于\ufffd抽检结果的通告"
    assert feed.encoding == "utf-8"
    assert feed.warning == "undecodable bytes replaced (read as utf-8)"


def test_dates_without_a_zone_are_beijing_time() -> None:
    items = "".join(
        f"<item><title>t{i}</title><link>http://127.0.0.1/{i}</link><pubDate>{d}</pubDate></item>"
        for i, d in enumerate(
            [
                "Fri, 12 Jul 2024 09:30:00 +0800",
                "Fri, 12 Jul 2024 09:30:00",
                "2024-07-12 09:30:00",
                "2024-07-12T01:30:00Z",
                "Fri, 12 Jul 2024 01:30:00 GMT",
            ]
        )
    )
    body = f'<rss version="2.0"><channel><title>x</title>{items}</channel></rss>'
    feed = parse_feed(body.encode(), {}, "http://127.0.0.1/feed")
    expected = datetime(2024, 7, 12, 1, 30, tzinfo=UTC)
    assert [e.published for e in feed.entries] == [expected] * 5
