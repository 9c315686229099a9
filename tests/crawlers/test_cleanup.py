"""The composed cleaning (``yuqing.crawlers.cleanup``): character repairs and line rules
together, on the reference notice and its scraped copy."""

from __future__ import annotations

from tests.crawlers.notice_texts import clean_notice, scraped_notice, to_traditional
from yuqing.crawlers.cleanup import clean_inline, clean_text, repair_characters


def test_character_repairs_leave_the_clean_notice_unchanged() -> None:
    notice = clean_notice()
    assert repair_characters(notice) == notice
    traditional = to_traditional(notice)
    assert repair_characters(traditional) == traditional


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
