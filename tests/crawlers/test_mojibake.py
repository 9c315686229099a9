"""Repairing wrongly decoded characters (``yuqing.crawlers.mojibake``)."""

from __future__ import annotations

import pytest

from tests.crawlers.notice_texts import to_traditional
from yuqing.crawlers.mojibake import (
    remove_unrecoverable_chars,
    repair_gbk_mojibake,
    repair_latin1_mojibake,
    repair_shifted_gbk,
)


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
