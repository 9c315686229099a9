from __future__ import annotations

import pytest

from yuqing.crawlers import chinese
from yuqing.crawlers.chinese import to_simplified


@pytest.mark.parametrize(
    ("traditional", "simplified"),
    [
        ("國務院辦公廳", "国务院办公厅"),
        ("政務輿情回應", "政务舆情回应"),
        ("國辦發〔2016〕61號", "国办发〔2016〕61号"),
        # OpenCC t2s leaves 著 alone, as the reference text of the notice has it
        ("隨著互聯網的迅猛發展", "随著互联网的迅猛发展"),
        ("各省(區、市)", "各省(区、市)"),
    ],
)
def test_traditional_becomes_simplified(traditional: str, simplified: str) -> None:
    assert to_simplified(traditional) == simplified


def test_simplified_text_is_left_as_it_is() -> None:
    text = "国务院办公厅关于在政务公开工作中进一步做好政务舆情回应的通知"
    assert to_simplified(text) == text


def test_mixed_text_keeps_latin_digits_and_punctuation() -> None:
    assert to_simplified("GDP增長6.9%，見http://x.cn/a?b=1") == "GDP增长6.9%，见http://x.cn/a?b=1"


def test_ascii_text_takes_the_fast_path_and_is_returned_unchanged() -> None:
    text = "Plain ASCII, 2016 (no Chinese)"
    assert to_simplified(text) is text
    assert to_simplified("") == ""


def test_converter_is_built_once_per_process() -> None:
    assert chinese._t2s_converter() is chinese._t2s_converter()
