from __future__ import annotations

from pathlib import Path

import pytest

from tests.shared import notice_file
from yuqing.crawlers.extract import decode_page, extract_page

PAGES = Path(__file__).parent / "pages"


def reference_notice() -> str:
    # The comparison ignores only trailing whitespace at line ends and at the end of the file.
    text = notice_file("notice-zh-simplified.txt").read_text(encoding="utf-8")
    return "\n".join(line.rstrip() for line in text.rstrip().split("\n"))


def scraped_notice_bytes() -> bytes:
    return notice_file("gov-page-as-scraped.txt").read_bytes()


# --- the scraped notice: half text, half markup ----------------------------------------------


def test_scraped_notice_reproduces_the_reference_text() -> None:
    assert extract_page(scraped_notice_bytes()) == reference_notice()


def test_scraped_notice_in_gb18030_and_as_str_gives_the_same_text() -> None:
    text = scraped_notice_bytes().decode("utf-8")
    assert extract_page(text.encode("gb18030")) == reference_notice()
    assert extract_page(text) == reference_notice()


def test_scraped_notice_with_a_byte_order_mark_and_crlf_line_ends() -> None:
    raw = b"\xef\xbb\xbf" + scraped_notice_bytes().replace(b"\n", b"\r\n")
    assert extract_page(raw) == reference_notice()


def test_scraped_notice_can_keep_its_traditional_script() -> None:
    text = extract_page(scraped_notice_bytes(), simplified=False)
    assert text.startswith("國務院辦公廳關于在政務公開工作中進一步做好政務輿情回應的通知\n\n")
    assert "(guó)" not in text
    assert text.endswith("國務院辦公廳\n\n2016年7月30日")


# --- real HTML pages -------------------------------------------------------------------------

CITY_NOTICE_PARAGRAPHS = [
    "青河市人民政府办公室关于做好汛期信息发布和舆情回应工作的通知",
    "青政办发〔2024〕12号",
    "各区县人民政府，市政府各部门，各直属机构：",
    "入汛以来，我市降雨偏多，部分河段水位持续上涨，社会关注度明显上升。为及时回应群众关切，"
    "防止不实信息扩散，经市政府同意，现就做好汛期信息发布和舆情回应工作通知如下：",
    "一、压实回应责任。各区县、各部门要明确一名负责同志分管汛期信息发布工作，对涉及本地区、"
    "本部门的防汛舆情，按照属地管理、分级负责的原则及时回应，不得推诿拖延。",
    "二、把握回应时限。对堤防险情、人员伤亡等重大突发事件，要在24小时内举行新闻发布会；"
    "对一般性舆情，要在48小时内通过政府网站、政务微博和微信公众号予以回应。",
    "三、加强监测研判。市委网信办牵头建立汛期舆情日报制度，发现谣言要第一时间澄清，"
    "对造谣传谣的，移交公安机关依法处理。",
    "青河市人民政府办公室",
    "2024年5月17日",
]


def test_government_page_gives_title_and_article_paragraphs() -> None:
    raw = (PAGES / "gov-city-notice-gb2312.html").read_bytes()
    assert extract_page(raw) == "\n\n".join(CITY_NOTICE_PARAGRAPHS)


@pytest.mark.parametrize(
    "furniture",
    [
        "欢迎访问",
        "设为首页",
        "政务公开",  # menu and breadcrumb
        "当前位置",
        "索引号",
        "QH-2024-00871",
        "发布时间",
        "浏览次数",
        "字体",
        "打印本页",
        "关闭窗口",
        "扫一扫",
        "相关稿件",
        "年度政务公开工作要点",
        "网站地图",
        "网站标识码",
        "ICP",
        "版权所有",
        "访问量",
        "_hmt",
        "float: left",
    ],
)
def test_government_page_boilerplate_is_dropped(furniture: str) -> None:
    raw = (PAGES / "gov-city-notice-gb2312.html").read_bytes()
    assert furniture not in extract_page(raw)


def test_government_page_is_the_same_in_utf8() -> None:
    raw = (PAGES / "gov-city-notice-gb2312.html").read_bytes()
    as_utf8 = raw.decode("gb18030").replace("charset=gb2312", "charset=utf-8").encode("utf-8")
    assert extract_page(as_utf8) == extract_page(raw)


def test_mirror_page_in_traditional_characters_with_pinyin_and_spam() -> None:
    text = extract_page((PAGES / "mirror-traditional-pinyin.html").read_bytes())
    paragraphs = text.split("\n\n")
    assert paragraphs[0] == "青河市防汛抗旱指挥部关于进入汛期的通告"
    assert paragraphs[1].startswith("根据气象部门预报,我市自5月15日起进入汛期。")
    assert "沿河各区(县)要组织力量对堤防、水库和山塘开展拉网式排查" in text
    assert paragraphs[-2:] == ["青河市防汛抗旱指挥部", "2024年5月10日"]
    for furniture in (
        "(",
        "政策镜像站",
        "发布时间",
        "相关稿件",
        "国产精品",
        "澳门",
        "网站地图",
        "gtag",
    ):
        assert furniture not in text.replace("(县)", ""), furniture


def test_page_without_text_gives_empty_text() -> None:
    assert extract_page(b"") == ""
    assert extract_page(b"<html><body><script>x()</script></body></html>") == ""


def test_html_page_that_is_no_article_falls_back_to_its_text() -> None:
    page = "<html><body><ul><li>第一条消息</li><li>第二条消息</li></ul></body></html>"
    assert extract_page(page) == "第一条消息\n\n第二条消息"


# --- decoding --------------------------------------------------------------------------------


def test_decode_page_utf8_gb18030_and_declared_charset() -> None:
    text = "<p>政务舆情回应 镕</p>"  # 镕 exists in GBK/GB18030 but not in GB2312
    assert decode_page(text.encode("utf-8")) == text
    assert decode_page(text.encode("gb18030")) == text
    declared = '<meta charset="big5"><p>政務輿情</p>'
    assert decode_page(declared.encode("big5")) == declared


def test_undecodable_bytes_do_not_reach_the_text() -> None:
    raw = "<p>政务舆情回应</p>".encode("gb18030") + b"\xff\x80\xff"
    assert extract_page(raw) == "政务舆情回应"
