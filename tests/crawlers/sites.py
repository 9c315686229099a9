"""Local sites for the list-then-detail and message-board spiders, written for these tests: a
municipal news column paged three ways, and a mayor's mailbox whose replies arrive over time.

Every page carries the furniture real government pages do (navigation, a breadcrumb, a footer
with the ICP number), so a test can check that only the selected fields were stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tests.httpserver import LocalHttpServer

HTML = {"Content-Type": "text/html; charset=utf-8"}

_FRAME = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title} - 临江市人民政府</title></head>
<body>
<div class="nav"><a href="/">首页</a> <a href="/news/list_1.html">政务动态</a>
<a href="/board/list_1.html">市长信箱</a> <a href="/open/">政府信息公开</a></div>
<div class="crumb">当前位置：首页 &gt; {column}</div>
{main}
<div class="footer">主办：临江市人民政府办公室 ICP备案号：临ICP备20260001号
地址：临江市人民路1号 联系电话：0000-12345</div>
</body></html>"""


def beijing(*args: int) -> datetime:
    """A Beijing wall-clock time as aware UTC."""
    return datetime(*args, tzinfo=UTC) - timedelta(hours=8)


@dataclass(frozen=True)
class NewsItem:
    slug: str
    title: str
    paragraphs: tuple[str, str]
    #: Beijing wall-clock time, as the page prints it
    printed: str
    published: datetime
    author: str


_SUBJECTS = (
    ("临江市召开今冬供暖保障工作会议", "供热企业须在本月底前完成全部管网试压", "市城管局"),
    ("滨江大道雨水管改造期间交通组织方案", "人民路至解放路段实行半幅封闭施工", "市交通运输局"),
    ("第三批老旧小区加装电梯申报启动", "每部电梯市级财政补助十五万元", "市住建局"),
    ("冬春季森林防火专项检查全面展开", "重点检查野外用火管理和扑火物资储备", "市林业局"),
    ("桶装饮用水监督抽检结果通报", "三批次菌落总数超标产品已全部下架", "市市场监管局"),
    ("十月份12345热线办理情况通报", "按时办结率为百分之九十八点六", "市政务服务中心"),
    ("城东污水处理厂扩建工程环评公示", "公示期内可通过信函和电子邮件反映意见", "市生态环境局"),
    ("全市中小学冬季作息时间调整", "自下周一起上午到校时间推迟二十分钟", "市教育局"),
    ("临江港二期码头主体工程完工", "新增泊位年吞吐能力三百万吨", "市港航中心"),
    ("新建三处公共停车场投入使用", "新增停车泊位一千二百个并实行错峰共享", "市城管局"),
    ("农村饮水安全巩固提升工程验收", "十二个乡镇集中供水覆盖率达到百分之百", "市水利局"),
    ("市区部分公交线路优化调整公告", "七路和二十三路公交延伸至高铁新区", "市交通运输局"),
    ("冬季燃气安全隐患排查整治通知", "对餐饮场所燃气报警装置安装情况逐户检查", "市应急管理局"),
    ("临江市第五届职工技能大赛开幕", "共设焊工电工等十个比赛项目", "市总工会"),
)


def news_items(count: int = 12, first_day: int = 10) -> list[NewsItem]:
    """``count`` articles, one a day from ``first_day`` November 2026, oldest first."""
    items = []
    for i, (title, lead, author) in enumerate(_SUBJECTS[:count]):
        day = first_day + i
        items.append(
            NewsItem(
                slug=f"n{i + 1:02d}",
                title=title,
                paragraphs=(
                    f"11月{day}日，{lead}，{title}相关工作由{author}牵头负责。",
                    f"{author}表示，将持续做好跟踪落实，有关进展将通过本网站及时向社会公布。",
                ),
                printed=f"2026年11月{day}日 09:{i:02d}",
                published=beijing(2026, 11, day, 9, i),
                author=author,
            )
        )
    return items


def news_page(item: NewsItem) -> bytes:
    main = (
        f'<div class="article"><h1 class="art-title">{item.title}</h1>'
        f'<div class="art-meta">发布时间：{item.printed} 来源：<span class="src">{item.author}'
        f'</span> 【字体：大 中 小】</div><div id="art-body">'
        + "".join(f"<p>{p}</p>" for p in item.paragraphs)
        + '</div><div class="share">分享到：微信 微博</div></div>'
    )
    return _FRAME.format(title=item.title, column="政务动态", main=main).encode()


def list_page(links: list[tuple[str, str]], next_href: str | None, column: str) -> bytes:
    rows = "".join(f'<li><a class="t" href="{href}">{text}</a></li>' for href, text in links)
    following = f'<a class="next" href="{next_href}">下一页</a>' if next_href else ""
    main = (
        f'<ul class="news-list">{rows}</ul><div class="pages"><a href="list_1.html">首页</a>'
        f"{following}</div>"
    )
    return _FRAME.format(title=column, column=column, main=main).encode()


def serve_news(server: LocalHttpServer, items: list[NewsItem], per_page: int = 4) -> str:
    """List pages newest first under /news/, ``per_page`` links each; returns page 1's URL."""
    newest_first = list(reversed(items))
    pages = [newest_first[i : i + per_page] for i in range(0, len(newest_first), per_page)]
    for number, page_items in enumerate(pages, start=1):
        following = f"list_{number + 1}.html" if number < len(pages) else None
        links = [(f"/news/2026/{it.slug}.html", it.title) for it in page_items]
        server.add(
            f"/news/list_{number}.html", list_page(links, following, "政务动态"), headers=HTML
        )
    for item in items:
        server.add(f"/news/2026/{item.slug}.html", news_page(item), headers=HTML)
    return server.url("/news/list_1.html")


NEWS_OPTIONS = {
    "links": "ul.news-list a.t",
    "next": "a.next",
    "title": "h1.art-title",
    "body": "#art-body",
    "time": ".art-meta",
    "author": ".art-meta span.src::text",
}


@dataclass
class Letter:
    """One message on the mayor's mailbox, and the reply once there is one."""

    number: int
    title: str
    text: str
    printed: str
    department: str
    reply: str | None = None
    reply_printed: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return f"/board/letter_{self.number}.html"


def letters() -> list[Letter]:
    return [
        Letter(
            101,
            "锦绣花园小区供暖温度不达标",
            "锦绣花园3栋室内温度只有14度，多次打供热公司电话无人处理，老人孩子都冻感冒了。",
            "2026-11-20 19:42",
            "市城管局",
            "经核查，该小区二次管网阀门故障，供热公司已于11月22日完成维修，室温已达到19度。",
            "2026-11-23 10:15",
        ),
        Letter(
            102,
            "建议延长7路公交末班车时间",
            "高铁新区很多上班族晚上九点以后下班，7路末班车八点半就停了，建议延长到十点。",
            "2026-11-21 08:30",
            "市交通运输局",
        ),
        Letter(
            103,
            "城东工地夜间施工噪声扰民",
            "城东新区某工地连续一周凌晨两点还在打桩，周边居民无法休息，请有关部门查处。",
            "2026-11-22 23:05",
            "市生态环境局",
        ),
        Letter(
            104,
            "幼儿园收费标准是否合规",
            "某民办幼儿园本学期保育费上涨了三成，家长想了解收费调整是否经过备案。",
            "2026-11-24 12:00",
            "市教育局",
        ),
    ]


def letter_page(letter: Letter) -> bytes:
    status = "已回复" if letter.reply else "办理中"
    reply = ""
    if letter.reply:
        reply = (
            f'<div class="reply"><div class="reply-time">回复时间：{letter.reply_printed}</div>'
            f'<div class="reply-body"><p>{letter.reply}</p></div></div>'
        )
    main = (
        f'<div class="letter"><h2 class="l-title">{letter.title}</h2>'
        f'<table><tr><td>留言时间</td><td class="l-time">{letter.printed}</td></tr>'
        f'<tr><td>受理单位</td><td class="l-dept">{letter.department}</td></tr>'
        f'<tr><td>办理状态</td><td class="l-status">{status}</td></tr></table>'
        f'<div class="l-body">{letter.text}</div>{reply}</div>'
    )
    return _FRAME.format(title=letter.title, column="市长信箱", main=main).encode()


def serve_board(server: LocalHttpServer, board: list[Letter], per_page: int = 2) -> str:
    """The mailbox, newest first, ``per_page`` letters a list page; returns page 1's URL.
    Call again after changing a letter to serve its new state."""
    newest_first = sorted(board, key=lambda letter: -letter.number)
    pages = [newest_first[i : i + per_page] for i in range(0, len(newest_first), per_page)]
    for number, page_letters in enumerate(pages, start=1):
        following = f"list_{number + 1}.html" if number < len(pages) else None
        links = [(letter.path, letter.title) for letter in page_letters]
        server.add(
            f"/board/list_{number}.html", list_page(links, following, "市长信箱"), headers=HTML
        )
    for letter in board:
        server.add(letter.path, letter_page(letter), headers=HTML)
    return server.url("/board/list_1.html")


BOARD_OPTIONS = {
    "links": "ul.news-list a.t",
    "next": "xpath://a[@class='next']/@href",
    "title": "h2.l-title",
    "body": "div.l-body",
    "time": "td.l-time",
    "addressed_to": "td.l-dept",
    "reply_status": "td.l-status",
    "reply_text": "div.reply-body",
    "reply_time": "div.reply-time",
}
