"""Recognising furniture lines (``yuqing.crawlers.boilerplate``)."""

from __future__ import annotations

import pytest

from tests.crawlers.notice_texts import clean_notice, to_traditional
from yuqing.crawlers.boilerplate import (
    drop_reason,
    is_markup_only,
    is_metadata,
    is_navigation,
    is_seo_spam,
    is_separator,
)


@pytest.mark.parametrize(
    "line",
    [
        '<menuitem id="rm6b5"><cite id="rm6b5"></cite></menuitem>',
        '• <address id="rm6b5"></address>',
        '2. <address id="rm6b5"></address>',
        '<style id="rm6b5"></style>',
        "<br/>&nbsp;",
    ],
)
def test_markup_only_lines(line: str) -> None:
    assert is_markup_only(line)


@pytest.mark.parametrize("line", ["<b>重要</b>通知", "a < b 且 c > d", "见《通知》"])
def test_lines_with_text_are_not_markup_only(line: str) -> None:
    assert not is_markup_only(line)


@pytest.mark.parametrize("line", ["| | | |", "------", "•", "2.", "* * *", "＝＝＝", "| 》 |"])
def test_separator_lines(line: str) -> None:
    assert is_separator(line)


@pytest.mark.parametrize("line", ["2016", "一、", "2016年7月30日", "第1条", "A", "👍👍"])
def test_short_content_is_not_a_separator(line: str) -> None:
    assert not is_separator(line)


@pytest.mark.parametrize(
    "line",
    [
        "相关解读",
        "相關解讀",
        "相关政策",
        "相关稿件",
        "扫一扫在手机上查看当前页面",
        "掃一掃在手機上查看當前頁面",
        "打印本页",
        "关闭窗口",
        "【字体：大 中 小】",
        "【打印本页】【关闭窗口】",
        "【字体：大 中 小】 【打印本页】 【关闭窗口】",
        "上一篇 | 下一篇",
        "当前位置：首页 > 政务公开 > 通知公告",
    ],
)
def test_navigation_lines(line: str) -> None:
    assert is_navigation(line)


@pytest.mark.parametrize(
    "line",
    [
        "国务院办公厅",
        "相关部门要做好政策解读",
        "关闭违法违规网站三百余家。",
        "打印机采购项目公示",
        "首页展示了2016年政务公开工作要点和相关政策文件的解读说明",
    ],
)
def test_content_is_not_navigation(line: str) -> None:
    assert not is_navigation(line)


@pytest.mark.parametrize(
    "line",
    [
        "1. 索 引 號:",
        "索引号: 000014349/2016-00124",
        "信息分類: 政府信息公開制度",
        "发布机构:",
        "发布日期: 2016-08-12 10:24",
        "標題: 國務院辦公廳關於在政務公開工作中進一步做好政務輿情回應的通知",
        "文号：国办发〔2016〕61号",
        "时效:",
        "主题分类：政府工作",
        "成文日期：2016年07月30日",
        "发布时间:2016-08-12 10:24 来源:国务院办公厅",
        "来源：新华社",
    ],
)
def test_metadata_lines(line: str) -> None:
    assert is_metadata(line)


@pytest.mark.parametrize(
    "line",
    [
        "时效性要求各地在48小时内回应。",
        "来源不明的信息不得转发:一经发现依法处理。",
        "标题党现象要坚决整治",
        "国办发〔2016〕61号",
        "各省、自治区、直辖市人民政府,国务院各部委、各直属机构:",
    ],
)
def test_content_is_not_metadata(line: str) -> None:
    assert not is_metadata(line)


@pytest.mark.parametrize(
    "line",
    [
        "国产精品亚洲国产在_国产三级精品三级在线专_国产精品视频一区二区三区_国产美女一级a毛片 "
        "无码国产69精品久久久久孕妇 国产女与黑人在线精品电影",
        "亞洲無碼_久久精品_在線觀看",
        "澳门娱乐城 彩票开户 百家乐 真人娱乐",
        "国产精品久久久久无码一级毛片在线观看",
    ],
)
def test_link_farm_lines(line: str) -> None:
    assert is_seo_spam(line)


@pytest.mark.parametrize(
    "line",
    [
        "澳门博彩业收入下降",
        "警方捣毁澳门博彩网站,查获彩票赌场窝点,抓获犯罪嫌疑人12名。",
        "网信办开展专项行动，清理无码视频、在线观看盗版影视和彩票博彩等违法信息。",
        "亚洲 欧洲",
        "file_name_2016",
    ],
)
def test_prose_about_gambling_or_porn_is_not_spam(line: str) -> None:
    assert not is_seo_spam(line)


def test_every_paragraph_of_the_clean_notice_survives_every_rule() -> None:
    for paragraph in clean_notice().split("\n"):
        if paragraph:
            assert drop_reason(paragraph) is None, paragraph
            traditional = to_traditional(paragraph)
            assert drop_reason(traditional) is None, traditional
