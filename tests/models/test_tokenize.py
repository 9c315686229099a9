from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import jieba
import pytest

from yuqing.models import tokenize
from yuqing.models.errors import ModelError
from yuqing.models.tokenize import blank_punctuation, normalize, words

# Regression pins: a change of jieba, of its dictionary or of userdict.txt that moves these
# boundaries changes every model's features, so it must show up here first.
SEGMENTATION = [
    ("网传住建局要取消学区房，紧急扩散！", ["网传", "住建局", "要", "取消", "学区房", "紧急扩散"]),
    (
        "人社局回应延迟退休：渐进式延迟退休不等于“一刀切”",
        ["人社局", "回应", "延迟退休", "渐进式延迟退休", "不", "等于", "一刀切"],
    ),
    (
        "四川省应急管理厅发布山体滑坡红色预警，已转移安置群众３０００余人",
        [
            "四川省",
            "应急管理厅",
            "发布",
            "山体滑坡",
            "红色预警",
            "已",
            "转移安置",
            "群众",
            "3000",
            "余人",
        ],
    ),
    (
        "市场监管局通报：某学校食堂使用过期食品和地沟油",
        ["市场监管局", "通报", "某", "学校食堂", "使用", "过期食品", "和", "地沟油"],
    ),
    (
        "网友在12345热线反映农民工工资被拖欠半年，网信办已介入 🙏",
        [
            "网友",
            "在",
            "12345热线",
            "反映",
            "农民工工资",
            "被",
            "拖欠",
            "半年",
            "网信办",
            "已",
            "介入",
        ],
    ),
]


def _userdict_words() -> list[str]:
    text = resources.files("yuqing.models").joinpath("userdict.txt").read_text(encoding="utf-8")
    return [
        line.split()[0] for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]


@pytest.mark.parametrize(("sentence", "expected"), SEGMENTATION)
def test_segmentation_is_pinned(sentence: str, expected: list[str]) -> None:
    assert words(normalize(sentence)) == expected


def test_every_user_dictionary_word_stays_whole() -> None:
    entries = _userdict_words()
    assert len(entries) >= 150
    assert len(set(entries)) == len(entries), "duplicate entries in userdict.txt"
    split = {word: words(word) for word in entries if words(word) != [word]}
    assert split == {}


def test_words_drops_punctuation_whitespace_and_symbols() -> None:
    tokens = words("  网传！！“辟谣”…… 🙏🙏 \n\t#热搜#  ")
    assert tokens == ["网传", "辟谣", "热搜"]


def test_normalize_folds_full_width_and_case() -> None:
    assert normalize("ＰＭ２．５超标　ＡＢＣ") == "pm2.5超标 abc"


def test_blank_punctuation_turns_runs_of_punctuation_into_one_space() -> None:
    assert blank_punctuation("紧急扩散！！！网传，，学区房🙏🙏取消") == "紧急扩散 网传 学区房 取消"


def test_configure_after_initialisation_refuses_another_directory(tmp_path: Path) -> None:
    tokenize.get_tokenizer()
    in_use = tokenize.cache_file()
    assert in_use is not None
    tokenize.configure(in_use.parent)  # the same directory again is harmless
    with pytest.raises(ModelError, match="already initialised"):
        tokenize.configure(tmp_path)


# The cache location can only be chosen before jieba starts, so these run in a fresh process.
_SCRIPT = """
import json, sys, jieba
from yuqing.models import tokenize
tokenize.configure(sys.argv[1])
tokenize._segment = tokenize._python_segmenter  # the cache belongs to the Python engine
tokens = tokenize.words("网传住建局回应学区房")
print(json.dumps({"tokens": tokens, "global_initialised": jieba.dt.initialized}))
"""


def _segment_in_fresh_process(cache_dir: Path, temp_dir: Path) -> tuple[dict[str, object], str]:
    temp_dir.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(cache_dir)],
        capture_output=True,
        text=True,
        env={**os.environ, "TMPDIR": str(temp_dir)},
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout), result.stderr


def test_private_cache_file_and_untouched_global_tokenizer(tmp_path: Path) -> None:
    cache_dir = tmp_path / "jieba-cache"
    report, stderr = _segment_in_fresh_process(cache_dir, tmp_path / "tmp")
    assert report == {"tokens": ["网传", "住建局", "回应", "学区房"], "global_initialised": False}
    cache = cache_dir / f"jieba-{jieba.__version__}.cache"
    assert cache.stat().st_size > 1_000_000  # the prefix dictionary
    assert list(cache_dir.iterdir()) == [cache]
    # nothing in the temp directory jieba would use by default (no /tmp/jieba.cache)
    assert list((tmp_path / "tmp").iterdir()) == []
    assert "Building prefix dict" not in stderr  # jieba's start-up chatter is silenced


def test_without_a_usable_cache_directory_segmentation_still_works(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    report, _ = _segment_in_fresh_process(blocker / "jieba", tmp_path / "tmp")
    assert report["tokens"] == ["网传", "住建局", "回应", "学区房"]
    # the in-memory build leaves no cache file behind anywhere
    assert list((tmp_path / "tmp").iterdir()) == []
    assert blocker.read_text(encoding="utf-8") == "not a directory"


def test_both_engines_segment_the_whole_seed_corpus_alike() -> None:
    """rjieba is jieba compiled: a model trained with one engine must read the same with the
    other, so every seed post must give the same tokens."""
    rust = tokenize._rjieba_segmenter()
    if rust is None:
        pytest.skip("rjieba is not installed: only the Python engine is in use")
    from yuqing.models.corpus import load_seed

    texts = [tokenize.normalize(example.text) for example in load_seed()]
    assert len(texts) > 1000
    differing = [t for t in texts if rust(t) != tokenize._python_segmenter(t)]
    assert differing == []
