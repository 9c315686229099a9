from __future__ import annotations

import pytest

from yuqing.crawlers.htmltext import html_to_text


def test_plain_text_is_returned_untouched() -> None:
    text = "近年来，随着互联网的迅猛发展\n  新型传播方式不断涌现  "
    assert html_to_text(text) is text


def test_paragraphs_become_paragraphs_and_inline_tags_vanish() -> None:
    fragment = "<p>第一段<b>加粗</b>文字</p><p>第二段 <a href='/x'>链接</a></p>"
    assert html_to_text(fragment) == "第一段加粗文字\n\n第二段 链接"


def test_nested_tags() -> None:
    fragment = "<div><div><span><em><strong>深层</strong></em>嵌套</span></div></div>尾部"
    assert html_to_text(fragment) == "深层嵌套\n尾部"


def test_br_and_list_items_become_lines() -> None:
    fragment = "一行<br>二行<br/>三行<ul>\n<li>甲</li>\n<li>乙</li></ul>"
    assert html_to_text(fragment) == "一行\n二行\n三行\n甲\n乙"


def test_headings_and_table_rows() -> None:
    fragment = (
        "<h2>标题</h2><table><tr><td>索引号</td><td>001</td></tr><tr><td>时效</td></tr></table>"
    )
    assert html_to_text(fragment) == "标题\n\n索引号 001\n时效"


def test_entities_are_decoded() -> None:
    fragment = "<p>A&amp;B &lt;b&gt; &quot;引号&quot; &#x56FD;&#21153;&hellip;</p>"
    assert html_to_text(fragment) == 'A&B <b> "引号" 国务…'


def test_entities_without_tags_are_decoded_too() -> None:
    assert html_to_text("政务&amp;舆情 &lt;通知&gt;") == "政务&舆情 <通知>"


def test_escaped_markup_stays_text() -> None:
    # &lt;script&gt; is text that talks about a tag, not a tag: it must survive as text.
    assert (
        html_to_text("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>") == "<script>alert(1)</script>"
    )


@pytest.mark.parametrize("tag", ["script", "style", "noscript", "template", "title"])
def test_non_content_elements_are_dropped_with_their_text(tag: str) -> None:
    fragment = f"<div>前<{tag}>var x = '不要';</{tag}>后</div>"
    text = html_to_text(fragment)
    # libxml2 may close the block around a <title>; the text on both sides must survive.
    assert "不要" not in text
    assert text.replace("\n", "") == "前后"


def test_head_and_comments_are_dropped() -> None:
    fragment = "<head><title>t</title><meta charset='utf-8'></head><p>正文<!-- 注释 --></p>"
    assert html_to_text(fragment) == "正文"


def test_spaces_collapse_including_ideographic_and_nbsp() -> None:
    fragment = "<p>\u3000\u3000第一\u3000\u3000句&nbsp;&nbsp;第二\t\t句</p>"
    assert html_to_text(fragment) == "第一 句 第二 句"


def test_source_newlines_are_spaces_in_layout_html() -> None:
    assert html_to_text("<p>一\n二</p>\n\n\n<p>三</p>") == "一 二\n\n三"


def test_source_newlines_are_kept_when_there_is_no_layout_markup() -> None:
    assert html_to_text("一行 <b>粗</b>\n二行\n\n\n\n三段") == "一行 粗\n二行\n\n三段"


def test_keep_newlines_can_be_forced_either_way() -> None:
    assert html_to_text("a<b>b</b>\nc", keep_newlines=False) == "ab c"
    assert html_to_text("<div>a\nb</div>", keep_newlines=True) == "a\nb"


def test_pre_keeps_its_lines() -> None:
    assert html_to_text("<p>x</p><pre>第一行\n  第二行</pre>") == "x\n\n第一行\n第二行"


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ("<", "<"),
        ("&", "&"),
        ("</p>", ""),
        ("<!---->", ""),
        ("<p>未闭合<b>标签", "未闭合标签"),
        ("控制\x00字符\x07<b>x</b>", "控制字符x"),
        ("孤立代理\ud800<b>x</b>", "孤立代理x"),
        ("<p>a</p></body></html><p>b</p>", "a\n\nb"),
    ],
)
def test_hostile_or_broken_markup_does_not_raise(fragment: str, expected: str) -> None:
    assert html_to_text(fragment) == expected


@pytest.mark.parametrize("depth", [300, 3000])
def test_deep_nesting_keeps_the_text(depth: int) -> None:
    # 3,000 levels is past what libxml2 builds even with huge_tree: the fallback reads it.
    fragment = "<div>" * depth + "深处<script>x()</script>的<b>字</b>" + "</div>" * depth + "尾"
    assert html_to_text(fragment) == "深处的字\n尾"
