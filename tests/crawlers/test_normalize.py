from __future__ import annotations

import dataclasses
import re

import pytest

from tests.crawlers.notice_texts import to_traditional
from yuqing.crawlers.normalize import NormalizedPost, content_hash, normalize_entry

TITLE = "青河市发布汛期舆情回应工作通知"
BODY = (
    "<p>入汛以来，我市降雨偏多，部分河段水位持续上涨。</p>"
    "<p>各区县要在24小时内回应重大险情舆情，对一般性舆情48小时内予以回应。</p>"
    "<script>track('entry')</script>"
)


def test_entry_is_converted_cleaned_and_simplified() -> None:
    post = normalize_entry(
        "國(guó)務院辦公廳通知",
        "<p>發(fā)布時(shí)間:2016-08-12</p><p>政務輿(yú)情回應(yīng)。</p>",
    )
    assert post.title == "国务院办公厅通知"
    assert post.text == "政务舆情回应。"
    assert post.original_title == "國務院辦公廳通知"
    assert post.original_text == "政務輿情回應。"
    assert re.fullmatch(r"[0-9a-f]{64}", post.content_hash)


def test_paragraphs_stay_apart_and_scripts_go() -> None:
    post = normalize_entry(TITLE, BODY)
    assert post.text.split("\n\n") == [
        "入汛以来，我市降雨偏多，部分河段水位持续上涨。",
        "各区县要在24小时内回应重大险情舆情，对一般性舆情48小时内予以回应。",
    ]
    assert "track" not in post.text


@pytest.mark.parametrize(
    ("title", "body"),
    [
        # other line breaks, spaces and markup
        (f"  {TITLE} ", BODY.replace("</p><p>", "<br><br>\n")),
        (TITLE, re.sub(r"</?p>", " ", BODY)),
        # other punctuation: half-width, none, extra
        (TITLE, BODY.replace("，", ",").replace("。", ".")),
        (TITLE + "！", BODY.replace("，", "").replace("。", "")),
        (f"【{TITLE}】", BODY.replace("24", "２４")),
        # the same post in traditional characters
        (to_traditional(TITLE), to_traditional(BODY)),
    ],
)
def test_reformatted_copies_have_the_same_content_hash(title: str, body: str) -> None:
    assert normalize_entry(title, body).content_hash == normalize_entry(TITLE, BODY).content_hash


@pytest.mark.parametrize(
    ("title", "body"),
    [
        (TITLE, BODY.replace("24小时", "12小时")),
        (TITLE.replace("汛期", "旱期"), BODY),
        (TITLE, BODY.replace("降雨偏多", "降雨偏少")),
    ],
)
def test_different_content_has_a_different_hash(title: str, body: str) -> None:
    assert normalize_entry(title, body).content_hash != normalize_entry(TITLE, BODY).content_hash


def test_content_hash_of_title_and_text_matches_the_post() -> None:
    post = normalize_entry(to_traditional(TITLE), to_traditional(BODY))
    assert content_hash(post.title + post.text) == post.content_hash
    assert content_hash(post.original_title + "\n" + post.original_text) == post.content_hash


def test_content_hash_ignores_whitespace_punctuation_case_and_script() -> None:
    assert content_hash("GDP 增長：6.9%") == content_hash("gdp增长6.9")
    assert content_hash("政务舆情") != content_hash("政务舆论")
    assert content_hash("") == content_hash(" \n，。")


def test_plain_text_entries_are_handled() -> None:
    post = normalize_entry("标题", "第一行\n第二行\n\n\n第二段")
    assert post.text == "第一行\n第二行\n\n第二段"


def test_empty_entry() -> None:
    post = normalize_entry("", "")
    assert (post.title, post.text, post.original_title, post.original_text) == ("", "", "", "")


def test_normalized_post_is_frozen() -> None:
    post = normalize_entry(TITLE, BODY)
    assert isinstance(post, NormalizedPost)
    with pytest.raises(dataclasses.FrozenInstanceError):
        post.title = "changed"  # type: ignore[misc]


def test_control_characters_and_escape_sequences_never_reach_storage() -> None:
    post = normalize_entry("标题\x00有\x1b[2J控制\x1b[0m", "<p>正文\x00内容\x07</p>")
    assert (post.title, post.text) == ("标题有控制", "正文内容")
    osc = normalize_entry("\x1b]0;title\x07x", "\x1b]0;body\x07y")
    assert not any(ord(c) < 32 and c not in "\n\t" for c in osc.original_text + osc.title)
