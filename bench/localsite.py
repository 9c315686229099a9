"""A generated municipal news site, served from 127.0.0.1 by a separate process, for benches.

``build_site`` writes every page of 临江市人民政府's news section from small word lists (the same
seed gives the same site): ``pages`` article pages of about 1–3 KB of text each inside the usual
page furniture (top bar, header, navigation, breadcrumb, share bar, related links, footer), a
``sitemap.xml`` (one ``urlset``, every article with its ``lastmod``), paginated list pages
``/list/1.html`` … (20 articles each, newest first, with a 下一页 link) for list-then-detail
spiders, a home page and a ``robots.txt`` that allows everything.

``LocalSite.start`` renders the complete HTTP responses into memory once, then serves them from
a forked process running one asyncio event loop: keep-alive, one write per response, no file or
template work per request. A thread-per-connection ``http.server`` would cost the server as much
CPU per request as a light crawler spends, and share its GIL when run in-process; this one stays
far below a crawler's rate (``LocalSite.cpu_seconds`` lets a bench show it).

This module is named ``localsite``, not ``site``: run as ``python bench/crawl.py``, the bench
folder heads ``sys.path``, and a ``site.py`` there would clash with the standard module.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from html import escape

SITE_NAME = "临江市人民政府"
BEIJING = timezone(timedelta(hours=8))
#: the newest article's time; the others go back from it, a few a day
NEWEST = datetime(2026, 11, 27, 17, 30, tzinfo=BEIJING)
LIST_PAGE_SIZE = 20

#: (path segment, name) of the news columns an article is filed under
COLUMNS = [
    ("zwyw", "政务要闻"),
    ("bmdt", "部门动态"),
    ("qxdt", "区县动态"),
    ("tzgg", "通知公告"),
    ("msgz", "民生关注"),
]
NAV = ["首页", "政务公开", "新闻中心", "政务服务", "互动交流", "数据开放", "走进临江"]
ACTORS = [
    "市政府",
    "市住房和城乡建设局",
    "市交通运输局",
    "市生态环境局",
    "市卫生健康委员会",
    "市教育局",
    "市市场监督管理局",
    "市应急管理局",
    "市人力资源和社会保障局",
    "城东区",
    "河西区",
    "临江经济技术开发区",
    "青山县",
    "市城市管理局",
]
ACTIONS = ["召开", "部署", "推进", "开展", "启动", "通报", "研究", "督导", "发布", "扎实推进"]
TOPICS = [
    "老旧小区改造",
    "冬季供暖保障",
    "安全生产大检查",
    "农村人居环境整治",
    "优化营商环境",
    "河湖长制",
    "食品安全抽检",
    "防汛抗旱",
    "全国文明城市创建",
    "义务教育招生入学",
    "城市道路提质",
    "根治欠薪",
    "燃气安全排查整治",
    "12345热线诉求办理",
    "养老服务体系建设",
    "大气污染防治",
]
KINDS_OF_TEXT = ["工作会议", "推进会", "专项行动", "情况通报", "实施方案", "现场调度会", "工作"]
OFFICIALS = ["市长王建国", "副市长张明远", "市委常委刘海燕", "局长陈志强", "区长李卫东"]
PLACES = ["滨江大道", "人民路", "解放街道", "城南片区", "高新园区", "沿河社区", "青山镇"]
SENTENCES = [
    "{date}，{actor}召开{topic}{kind}，{official}出席会议并讲话。",
    "会议听取了各相关单位关于{topic}工作进展情况的汇报，研究部署下一阶段重点任务。",
    "会议指出，{topic}事关群众切身利益，各级各部门要提高政治站位，压紧压实工作责任。",
    "截至目前，全市已累计完成{topic}项目{n}个，完成年度计划的{pct}%。",
    "{official}强调，要坚持问题导向，聚焦群众反映强烈的突出问题，建立问题清单、责任清单。",
    "在{place}，工作人员正在逐户走访，登记群众的意见建议，能当场解决的当场解决。",
    "据了解，今年以来{actor}共受理相关诉求{n}件，按时办结率达到{pct}%。",
    "下一步，{actor}将进一步完善长效机制，加强部门协同，确保各项措施落地见效。",
    "会议要求，要严格落实“一岗双责”，对工作推进不力、群众反映强烈的，严肃追责问责。",
    "据介绍，{place}一带改造共涉及居民{n}户，预计明年{month}月底前全面完工。",
    "活动现场，志愿者向过往群众发放宣传资料{n}余份，解答群众咨询{m}人次。",
    "{actor}相关负责人表示，将以此次{kind}为契机，持续巩固提升工作成效。",
    "市民如有意见建议，可拨打12345政务服务便民热线反映，或通过市政府门户网站留言。",
    "检查组采取“四不两直”方式，深入{place}等地实地查看，现场反馈问题{m}条。",
    "此次{topic}共投入资金{n}万元，惠及群众{m}万余人。",
]


@dataclass(frozen=True)
class Article:
    path: str
    title: str
    column: tuple[str, str]
    published: datetime
    source: str
    topic: str


@dataclass(frozen=True)
class Site:
    """Every path's full HTTP response, and what a bench needs to know about them."""

    responses: dict[bytes, bytes]
    articles: int
    list_pages: int
    #: bytes of all bodies (headers not counted)
    body_bytes: int


def build_site(base: str, pages: int, seed: int = 2016) -> Site:
    """The site as served at ``base`` (``http://127.0.0.1:PORT``: sitemap and robots.txt name
    absolute URLs)."""
    rng = random.Random(seed)
    articles = [_article(i, rng) for i in range(pages)]
    bodies: dict[str, tuple[str, bytes]] = {}
    html = "text/html; charset=utf-8"
    for i, article in enumerate(articles):
        related = [articles[(i + k * 37) % pages] for k in range(1, 6)]
        newer = articles[i - 1] if i > 0 else None
        older = articles[i + 1] if i + 1 < pages else None
        page = _article_page(article, i, related, newer, older, rng)
        bodies[article.path] = (html, page.encode("utf-8"))
    list_pages = max(1, -(-pages // LIST_PAGE_SIZE))
    for n in range(1, list_pages + 1):
        chunk = articles[(n - 1) * LIST_PAGE_SIZE : n * LIST_PAGE_SIZE]
        bodies[f"/list/{n}.html"] = (html, _list_page(chunk, n, list_pages).encode("utf-8"))
    bodies["/"] = (html, _home_page(articles[:8]).encode("utf-8"))
    bodies["/sitemap.xml"] = ("application/xml; charset=utf-8", _sitemap(base, articles))
    robots = f"User-agent: *\nAllow: /\n\nSitemap: {base}/sitemap.xml\n"
    bodies["/robots.txt"] = ("text/plain; charset=utf-8", robots.encode("ascii"))
    return Site(
        {p.encode("ascii"): _response(200, ctype, body) for p, (ctype, body) in bodies.items()},
        articles=pages,
        list_pages=list_pages,
        body_bytes=sum(len(body) for _, body in bodies.values()),
    )


def _article(index: int, rng: random.Random) -> Article:
    # Newest first, 2 to 5 a day, in office hours.
    published = NEWEST - timedelta(minutes=index * rng.randint(190, 290))
    published = published.replace(hour=8 + published.hour % 10)
    column = COLUMNS[rng.randrange(len(COLUMNS))]
    actor, topic = rng.choice(ACTORS), rng.choice(TOPICS)
    title = f"{actor}{rng.choice(ACTIONS)}{topic}{rng.choice(KINDS_OF_TEXT)}"
    # Government CMSs file pages as /column/YYYYMM/tYYYYMMDD_ID.html; the ID keeps them apart.
    path = f"/{column[0]}/{published:%Y%m}/t{published:%Y%m%d}_{4_310_000 + index}.html"
    return Article(path, title, column, published, actor, topic)


def _paragraphs(article: Article, index: int, rng: random.Random) -> list[str]:
    words = {
        "date": f"{article.published.month}月{article.published.day}日",
        "actor": article.source,
        "topic": article.topic,
    }
    paragraphs = []
    for _ in range(rng.randint(4, 9)):
        sentences = rng.sample(SENTENCES, rng.randint(2, 4))
        paragraphs.append(
            "".join(
                s.format(
                    **words,
                    kind=rng.choice(KINDS_OF_TEXT),
                    official=rng.choice(OFFICIALS),
                    place=rng.choice(PLACES),
                    n=rng.randint(12, 3600),
                    m=rng.randint(3, 90),
                    pct=rng.randint(60, 99),
                    month=rng.randint(1, 12),
                )
                for s in sentences
            )
        )
    # A document number makes every article's text its own: no two are duplicates.
    paragraphs.append(f"（临政办发〔{article.published.year}〕{index + 1}号）")
    return paragraphs


def _furniture_top(title: str) -> str:
    nav = "".join(f'<li><a href="/{i}/">{escape(name)}</a></li>' for i, name in enumerate(NAV))
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>"
        '<link rel="stylesheet" href="/css/common.css"><script src="/js/jquery.min.js"></script>'
        "</head><body>"
        '<div class="topbar"><div class="w"><span class="date">欢迎访问临江市人民政府门户网站'
        '</span><a href="/wza/">无障碍</a><a href="/zzms/">长者模式</a><a href="/fanti/">繁體</a>'
        '<a href="/en/">English</a></div></div>'
        f'<div class="header"><a href="/"><img src="/images/logo.png" alt="{SITE_NAME}"></a>'
        '<form class="search" action="/search/" method="get"><input name="q" '
        'placeholder="请输入关键词"><button type="submit">搜索</button></form></div>'
        f'<ul class="nav">{nav}</ul>'
    )


def _furniture_bottom() -> str:
    links = ["网站地图", "联系我们", "隐私声明", "使用帮助", "纠错"]
    return (
        '<div class="footer"><ul class="links">'
        + "".join(f'<li><a href="/help/{i}.html">{t}</a></li>' for i, t in enumerate(links))
        + "</ul><p>主办：临江市人民政府办公室　承办：临江市大数据中心</p>"
        "<p>网站标识码：4313000001　湘ICP备05001234号　湘公网安备43130002000123号</p>"
        "<p>地址：临江市新城大道1号　邮编：417000　电话：0738-8221234</p>"
        '<p><a href="/dzjg/"><img src="/images/dzjg.png" alt="党政机关"></a></p></div>'
        '<script src="/js/common.js"></script><script src="/js/stat.js"></script>'
        "</body></html>"
    )


def _article_page(
    article: Article,
    index: int,
    related: list[Article],
    newer: Article | None,
    older: Article | None,
    rng: random.Random,
) -> str:
    code, column = article.column
    when = f"{article.published:%Y-%m-%d %H:%M}"
    body = "".join(
        f'<p style="text-indent:2em;">{escape(p)}</p>' for p in _paragraphs(article, index, rng)
    )
    # Half the pages say their title in Open Graph, as CMS templates of some sites do.
    og = f'<meta property="og:title" content="{escape(article.title)}">' if index % 2 else ""
    head_meta = (
        f'<meta name="ArticleTitle" content="{escape(article.title)}">'
        f'<meta name="PubDate" content="{when}"><meta name="ContentSource" '
        f'content="{escape(article.source)}">{og}'
    )
    top = _furniture_top(f"{article.title}_{column}_{SITE_NAME}").replace(
        "</head>", head_meta + "</head>", 1
    )

    def link(other: Article | None, label: str) -> str:
        if other is None:
            return f"<p>{label}：没有了</p>"
        return f'<p>{label}：<a href="{other.path}">{escape(other.title)}</a></p>'

    return (
        top + '<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/xwzx/">新闻中心</a>'
        f' &gt; <a href="/{code}/">{column}</a></div>'
        f'<div class="article"><h1>{escape(article.title)}</h1>'
        f'<div class="info"><span>发布时间：{when}</span><span>来源：'
        f'{escape(article.source)}</span><span>浏览次数：<em id="hits">'
        f"{rng.randint(50, 9000)}</em></span><span>字号：<a>大</a> <a>中</a> <a>小</a></span>"
        "</div>"
        f'<div class="content" id="zoom">{body}</div>'
        '<div class="share">分享到：<a class="wx">微信</a><a class="wb">微博</a>'
        '<a href="javascript:window.print()">打印本页</a><a href="javascript:window.close()">'
        "关闭窗口</a></div>"
        f'<div class="prevnext">{link(newer, "上一篇")}{link(older, "下一篇")}</div>'
        '<div class="related"><h3>相关阅读</h3><ul>'
        + "".join(f'<li><a href="{r.path}">{escape(r.title)}</a></li>' for r in related)
        + "</ul></div></div>"
        + _furniture_bottom()
    )


def _list_page(articles: list[Article], n: int, last: int) -> str:
    items = "".join(
        f'<li><a href="{a.path}" title="{escape(a.title)}">{escape(a.title)}</a>'
        f'<span class="date">{a.published:%Y-%m-%d}</span></li>'
        for a in articles
    )
    pager = ['<a href="/list/1.html">首页</a>']
    if n > 1:
        pager.append(f'<a href="/list/{n - 1}.html">上一页</a>')
    pager.append(f'<span class="current">{n}</span>')
    if n < last:
        pager.append(f'<a href="/list/{n + 1}.html">下一页</a>')
    pager.append(f'<a href="/list/{last}.html">尾页</a>')
    pager.append(f"<span>第{n}/{last}页</span>")
    return (
        _furniture_top(f"新闻中心_{SITE_NAME}")
        + '<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/xwzx/">新闻中心'
        "</a></div>"
        f'<div class="main"><ul class="list">{items}</ul>'
        f'<div class="pager">{"".join(pager)}</div></div>' + _furniture_bottom()
    )


def _home_page(newest: list[Article]) -> str:
    items = "".join(f'<li><a href="{a.path}">{escape(a.title)}</a></li>' for a in newest)
    return (
        _furniture_top(SITE_NAME)
        + f'<div class="main"><h2>新闻中心</h2><ul class="list">{items}</ul>'
        '<a class="more" href="/list/1.html">更多</a></div>' + _furniture_bottom()
    )


def _sitemap(base: str, articles: list[Article]) -> bytes:
    urls = "".join(
        f"<url><loc>{base}{a.path}</loc><lastmod>{a.published.isoformat()}</lastmod>"
        "<changefreq>never</changefreq></url>"
        for a in articles
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    ).encode()


def _response(status: int, content_type: str, body: bytes) -> bytes:
    reason = {200: "OK", 404: "Not Found", 405: "Method Not Allowed"}[status]
    head = (
        f"HTTP/1.1 {status} {reason}\r\nServer: bench\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


NOT_FOUND = _response(404, "text/plain; charset=utf-8", b"not found\n")
NOT_ALLOWED = _response(405, "text/plain; charset=utf-8", b"GET only\n")
#: a request head longer than this is not one of ours: the connection is dropped
MAX_HEAD = 16 * 1024


class _HttpProtocol(asyncio.Protocol):
    """HTTP/1.1 GET with keep-alive (and pipelining), answered from pre-rendered bytes."""

    def __init__(self, responses: dict[bytes, bytes]) -> None:
        self.responses = responses
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
            request_line, _, headers = head.partition(b"\r\n")
            method, _, rest = request_line.partition(b" ")
            target = rest.rpartition(b" ")[0]
            if method == b"GET":
                self.transport.write(self.responses.get(target, NOT_FOUND))
            else:
                self.transport.write(NOT_ALLOWED)
            if b"connection: close" in headers.lower():
                self.transport.close()
                return
        if len(self.buffer) > MAX_HEAD:
            self.transport.close()


def _serve(listener: socket.socket, responses: dict[bytes, bytes]) -> None:
    async def run() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _HttpProtocol(responses), sock=listener)
        await server.serve_forever()

    asyncio.run(run())


class LocalSite:
    """The site served from 127.0.0.1 by a child process; ``stop`` ends it."""

    def __init__(self, pages: int, seed: int = 2016) -> None:
        # Bound before rendering, so that the sitemap can name the port.
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1024)
        self.base = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.site = build_site(self.base, pages, seed)
        self.process: multiprocessing.process.BaseProcess | None = None

    @property
    def sitemap_url(self) -> str:
        return f"{self.base}/sitemap.xml"

    @property
    def list_url(self) -> str:
        return f"{self.base}/list/1.html"

    def start(self) -> LocalSite:
        # Forked: the child gets the rendered bytes and the listening socket without copying.
        context = multiprocessing.get_context("fork")
        self.process = context.Process(
            target=_serve, args=(self.listener, self.site.responses), daemon=True
        )
        self.process.start()
        self.listener.close()
        return self

    def cpu_seconds(self) -> float | None:
        """CPU time the server process has used so far (Linux ``/proc``); None elsewhere."""
        if self.process is None or self.process.pid is None:
            return None
        try:
            with open(f"/proc/{self.process.pid}/stat", "rb") as stat:
                # Fields after the command name (which may hold spaces): utime is the 12th.
                fields = stat.read().rpartition(b")")[2].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.join(5)
            self.process = None

    def __enter__(self) -> LocalSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
