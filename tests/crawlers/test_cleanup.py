from __future__ import annotations

import opencc
import pytest

from tests.shared import notice_file
from yuqing.crawlers.cleanup import (
    clean_inline,
    clean_text,
    drop_reason,
    is_markup_only,
    is_metadata,
    is_navigation,
    is_pinyin,
    is_seo_spam,
    is_separator,
    remove_pinyin_annotations,
    remove_unrecoverable_chars,
    repair_characters,
    repair_gbk_mojibake,
    repair_latin1_mojibake,
    repair_shifted_gbk,
)


def clean_notice() -> str:
    """The reference notice, paragraphs separated by blank lines, no trailing newline."""
    return notice_file("notice-zh-simplified.txt").read_text(encoding="utf-8").rstrip()


def scraped_notice() -> str:
    return notice_file("gov-page-as-scraped.txt").read_text(encoding="utf-8")


def to_traditional(text: str) -> str:
    return opencc.OpenCC("s2t").convert(text)


# --- pinyin annotations ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("polluted", "clean"),
    [
        ("號(hào)", "號"),
        ("發(fā)布", "發布"),
        ("機(jī)構(gòu)", "機構"),
        ("號（hào）", "號"),  # full-width parentheses
        ("號(hào）", "號"),  # mixed
        ("号(hao4)", "号"),  # tone number
        ("國務(guó wù)院", "國務院"),  # several syllables
        ("機構(jīgòu)", "機構"),  # several syllables written together
        ("女(nǚ)", "女"),
        ("绿(lv4)", "绿"),
        ("嗯(ń)", "嗯"),
        ("號(ha\u0300o)", "號"),  # tone mark as a combining character
    ],
)
def test_pinyin_after_a_character_is_removed(polluted: str, clean: str) -> None:
    assert remove_pinyin_annotations(polluted) == clean


@pytest.mark.parametrize(
    "legit",
    [
        "辦公廳(室)",
        "国办发(2016)61号",
        "国内生产总值(GDP)增长",
        "世界卫生组织(WHO)",
        "新款手机(app)上线",
        "第(一)项",
        "见附件(a)",  # untoned: too easily an ordinary abbreviation
        "二氧化碳(co2)排放",
        "(hào)开头没有汉字",  # nothing before it
        "number (hào) after a space",
        "数据(pm2.5)",
        "研究(Guó)",  # capitalised: not how the injected annotations look
    ],
)
def test_legitimate_parentheses_stay(legit: str) -> None:
    assert remove_pinyin_annotations(legit) == legit


def test_pinyin_inside_a_legitimate_parenthesis_goes_and_the_parenthesis_stays() -> None:
    assert remove_pinyin_annotations("各省(區(qū)、市)") == "各省(區、市)"
    assert remove_pinyin_annotations("各省（區(qū)、市）") == "各省（區、市）"


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        ("hào", True),
        ("guó wù", True),
        ("hao4", True),
        ("guo2 wu4", True),
        ("jīgòu", True),
        ("lǜ", True),
        ("hao", False),  # no tone: could be anything
        ("GDP", False),
        ("xyzà", False),  # not a syllable
        ("2016", False),
        ("區、市", False),
        ("", False),
        ("hào!", False),
    ],
)
def test_is_pinyin(candidate: str, expected: bool) -> None:
    assert is_pinyin(candidate) is expected


# --- mojibake --------------------------------------------------------------------------------


def test_utf8_read_as_latin1_is_repaired() -> None:
    assert repair_latin1_mojibake("å›½åŠ¡é™¢") == "国务院"
    broken = "国务院办公厅".encode().decode("latin-1")  # C1 controls, not cp1252 characters
    assert repair_latin1_mojibake(f"通知：{broken}。") == "通知：国务院办公厅。"


def test_latin1_run_that_does_not_decode_is_removed() -> None:
    # Two lead characters whose continuation bytes are wrong: debris, not text.
    assert repair_latin1_mojibake("前å›Xåé后") == "前å›Xåé后"  # broken apart: left alone
    assert repair_latin1_mojibake("前åƒåƒ后") == "前后"


def test_european_text_is_not_mojibake() -> None:
    for text in ("café™", "Müller und Söhne", "São Paulo", "naïve résumé", "© 2016 · 版权所有"):
        assert repair_latin1_mojibake(text) == text


def test_utf8_read_as_gbk_is_repaired() -> None:
    original = "舆情回应"
    garbled = original.encode().decode("gbk")  # decodes without loss
    assert garbled != original
    assert repair_gbk_mojibake(f"关于{garbled}的通知") == f"关于{original}的通知"


def test_utf8_read_as_gbk_with_a_lost_last_byte_keeps_what_round_trips() -> None:
    assert repair_gbk_mojibake("鍥藉姟闄?") == "国务"
    lossy = "国务院".encode().decode("gbk", errors="replace")  # "鍥藉姟闄\ufffd"
    assert repair_gbk_mojibake(lossy) == "国务"


def test_utf8_read_as_gbk_with_lost_bytes_inside_drops_the_debris() -> None:
    garbled = "各地区各部门要加强研判".encode().decode("gbk", errors="replace")
    repaired = repair_gbk_mojibake(garbled)
    assert repaired.startswith("各地区各部门要加强研")
    assert "\ufffd" not in repaired


@pytest.mark.parametrize(
    "real",
    [
        "湖南一个叫羊涓村，90岁的老人",  # 涓村， is valid UTF-8 when read back ("临壬")
        "各省、自治区、直辖市人民政府,国务院各部委、各直属机构:",
        "发布、解读、回应衔接配套的政务公开工作格局基本形成。",
    ],
)
def test_real_chinese_is_not_mojibake(real: str) -> None:
    assert repair_gbk_mojibake(real) == real
    assert repair_gbk_mojibake(to_traditional(real)) == to_traditional(real)


def test_gbk_read_one_byte_off_is_refilled_from_the_document() -> None:
    # "。回應" shifted by a byte reads "?;貞?" (and took the "(" of the annotation with it);
    # the rest of the document shows that 。 and 應 are the characters that fit.
    context = "回應工作。加強回應。回應機制。做好回應。"
    text = f"{context}進行回應(yīng)?;貞?yīng)內容"
    assert repair_shifted_gbk(text) == f"{context}進行回應(yīng)。回應內容"


def test_shifted_gbk_without_evidence_is_left_alone() -> None:
    text = "進行回應?;貞?內容"  # no other 。 or 應 to learn from
    assert repair_shifted_gbk(text) == text


@pytest.mark.parametrize("text", ["真的?好的?", "是吗?对吗?", "为什么?怎么办?怎么办。为什么?"])
def test_question_marks_in_real_text_are_not_shifted_gbk(text: str) -> None:
    assert repair_shifted_gbk(text * 3) == text * 3


def test_unrecoverable_characters_are_removed() -> None:
    text = "国\ufffd\ufffd务\x85\x9d院\ue000\ue001办\u200b公\ufeff厅\u202e"
    assert remove_unrecoverable_chars(text) == "国务院办公厅"


def test_character_repairs_leave_the_clean_notice_unchanged() -> None:
    notice = clean_notice()
    assert repair_characters(notice) == notice
    traditional = to_traditional(notice)
    assert repair_characters(traditional) == traditional


# --- line rules ------------------------------------------------------------------------------


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


# --- the whole pipeline ----------------------------------------------------------------------


def test_clean_text_leaves_the_clean_notice_unchanged() -> None:
    notice = clean_notice()
    assert clean_text(notice) == notice
    assert clean_text(to_traditional(notice)) == to_traditional(notice)


def test_clean_text_on_the_scraped_notice_drops_all_furniture() -> None:
    cleaned = clean_text(scraped_notice())
    for furniture in (
        "索 引",
        "信息分類",
        "發布機構",
        "標題:",
        "來源:",
        "| |",
        "相關解讀",
        "掃一掃",
        "国产精品",
    ):
        assert furniture not in cleaned, furniture
    assert "(yīng)" not in cleaned and "(hào)" not in cleaned
    assert "進行回應。回應內容" in cleaned
    assert "辦公廳(室)會同" in cleaned
    assert "各省(區、市)" in cleaned


def test_clean_text_normalises_spaces_and_blank_lines() -> None:
    text = "\u3000\u3000第一段\u3000有  空格 \r\n\r\n\r\n\r\n第二段\r\n第三行\n\n\n"
    assert clean_text(text) == "第一段 有 空格\n\n第二段\n第三行"


def test_clean_text_of_nothing() -> None:
    assert clean_text("") == ""
    assert clean_text("\n \n\u3000\n") == ""
    assert clean_text("相关解读\n打印本页") == ""


def test_clean_inline_makes_one_line() -> None:
    assert clean_inline(" 國(guó)務院\n辦公廳\u3000通知 ") == "國務院 辦公廳 通知"
