"""The seed corpus is varied the way real posts are, and large without padding: duplicates and
near-templates (posts that share most of their wording) do not count toward its size."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from functools import cache

import opencc
import pytest

from yuqing.models.corpus import Example, load_seed
from yuqing.triage.categories import NONE, RUMOUR, TEXT_LABELS

MIN_POSTS = 2000
#: two posts sharing more than this share of their character 5-grams are one post twice
NEAR_DUPLICATE = 0.5
GRAM = 5
REGIONS = (
    "北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江",
    "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川",
    "贵州", "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆", "香港", "澳门", "台湾",
)  # fmt: skip
STYLES = {"weibo", "news", "board", "wechat", "forum"}


@cache
def corpus() -> tuple[Example, ...]:
    return tuple(load_seed())


def grams(text: str) -> frozenset[str]:
    text = re.sub(r"[\W_]+", "", text)
    return frozenset(text[i : i + GRAM] for i in range(max(1, len(text) - GRAM + 1)))


def near_duplicate_pairs(texts: list[str]) -> list[tuple[int, int, float]]:
    """Pairs above NEAR_DUPLICATE, found through an index of shared 5-grams instead of
    comparing all pairs."""
    sets = [grams(t) for t in texts]
    index: dict[str, list[int]] = defaultdict(list)
    for i, g in enumerate(sets):
        for gram in g:
            index[gram].append(i)
    pairs = []
    for i, g in enumerate(sets):
        shared: Counter[int] = Counter()
        for gram in g:
            postings = index[gram]
            if len(postings) < 200:  # a stock phrase says nothing about templates
                shared.update(j for j in postings if j > i)
        for j, n in shared.items():
            union = len(g) + len(sets[j]) - n
            if union and n / union > NEAR_DUPLICATE:
                pairs.append((i, j, n / union))
    return pairs


def test_no_duplicates_or_near_templates():
    texts = [e.text for e in corpus()]
    pairs = near_duplicate_pairs(texts)
    shown = [f"{corpus()[i].id} ~ {corpus()[j].id} ({s:.2f})" for i, j, s in pairs[:10]]
    assert pairs == [], f"{len(pairs)} near-duplicate pairs, e.g. {shown}"


def test_enough_distinct_posts():
    texts = [e.text for e in corpus()]
    dropped = {j for _, j, _ in near_duplicate_pairs(texts)}
    distinct = len({re.sub(r"[\W_]+", "", t) for t in texts}) - len(dropped)
    if distinct < MIN_POSTS:
        pytest.fail(f"{distinct} distinct posts; the seed corpus needs at least {MIN_POSTS}")


def test_every_label_and_its_hard_negatives():
    counts = Counter(label for e in corpus() for label in e.labels)
    for label in (*TEXT_LABELS, NONE):
        assert counts[label] >= 150, f"{label}: {counts[label]} posts"
    assert sum(len(e.targets) > 1 for e in corpus()) >= 30  # multi-label, as real posts are
    assert sum(RUMOUR in e.targets and len(e.targets) > 1 for e in corpus()) >= 20


def test_varied_like_real_posts():
    examples = corpus()
    regions = {r for e in examples for r in REGIONS if r in (e.region or "") or r in e.text}
    assert set(REGIONS) - regions == set()
    assert {e.style for e in examples} >= STYLES
    assert len({e.department for e in examples if e.department}) >= 15
    lengths = sorted(len(e.text) for e in examples)
    assert lengths[0] <= 25 and lengths[-1] >= 400
    assert sum(n >= 300 for n in lengths) >= 20


def test_traditional_posts_are_there_too():
    to_simplified = opencc.OpenCC("t2s").convert
    traditional = sum(to_simplified(e.text) != e.text for e in corpus())
    assert traditional >= 0.05 * len(corpus())
