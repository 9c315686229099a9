"""Classification speed, model load time and peak memory on one core.

Trains the default model from the seed corpus and saves it to a temporary registry (not timed),
then times loading it back (``registry.load``, as every process that classifies does), and
classifying 20,000 generated posts of about 150 characters in batches, in this one process.
Peak memory is the process's maximum resident set size (``getrusage``), training included.
The last line is ``posts_per_s=… load_s=… peak_mb=…``. Targets: ≥ 5,000 posts/s on one core,
load < 2 s, peak < 500 MB.
Run: ``.venv/bin/python bench/classify.py [--posts 20000] [--batch 1000]``.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime

from yuqing.models import registry
from yuqing.models.classifier import train
from yuqing.models.corpus import load_seed

OPENINGS = [
    "网友爆料：",
    "【突发】",
    "市民来信反映，",
    "据本台记者了解，",
    "家长们在群里说，",
    "网传",
    "今天下班路上看到",
    "业主代表称，",
    "",
]
PLACES = ["海淀区", "浦东新区", "天河区", "武侯区", "雁塔区", "江北区", "鼓楼区", "南岗区"]
BODIES = [
    "{p}某小区连续停水三天，物业只说管道检修，老人孩子用水都成了问题，打12345也没人给个准话",
    "{p}一化工厂凌晨发生爆炸，火光冲天，附近居民听到巨响，消防救援人员已赶到现场处置",
    "{p}学校食堂被发现使用过期食材，有学生吃完后腹痛呕吐，家长要求校方公开调查结果",
    "{p}有人说新的医保政策以后看病全部自费，很多老人信以为真跑去退保，社保局窗口排起长队",
    "{p}工地拖欠四十多名农民工工资将近半年，包工头联系不上，工人们只能在项目部门口等",
    "{p}内部消息，明天起全市封路，超市要断货，赶紧囤菜，紧急扩散，马上删",
    "{p}新开的商场周末搞活动，人气很旺，美食街的排队长得看不到头，拍了几张照片分享",
    "{p}暴雨导致多处道路积水，一辆公交车被困在涵洞里，乘客已被安全转移",
    "{p}养老院护工被曝殴打老人，视频在网上流传，家属愤怒要求严惩",
    "{p}球队昨晚主场二比一取胜，球迷在看台上唱了整整九十分钟，气氛热烈",
]
TAILS = [
    "希望有关部门尽快核实处理。",
    "目前当地已成立工作组调查。",
    "大家怎么看？",
    "评论区里不少人说自己也遇到过。",
    "截至发稿，涉事单位尚未回应。",
    "转发让更多人知道！",
    "",
]


def make_posts(count: int, seed: int = 7) -> list[str]:
    """``count`` posts of about 150 characters, built from the fragments above."""
    rng = random.Random(seed)
    posts = []
    for n in range(count):
        parts = [rng.choice(OPENINGS) + rng.choice(BODIES).format(p=rng.choice(PLACES))]
        while sum(map(len, parts)) < 140:
            parts.append(rng.choice(BODIES).format(p=rng.choice(PLACES)))
        parts.append(f"{rng.choice(TAILS)}（第{n}帖）")
        posts.append("。".join(parts)[:150])
    return posts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says

    posts = make_posts(args.posts)
    mean = sum(map(len, posts)) / len(posts)
    print(f"{len(posts)} posts, {mean:.0f} characters on average")
    with tempfile.TemporaryDirectory(prefix="yuqing-bench-") as models_dir:
        started = time.perf_counter()
        version = registry.save(train(load_seed()), models_dir, now=datetime.now(UTC))
        print(f"trained the seed model in {time.perf_counter() - started:.1f} s (not timed)")
        started = time.perf_counter()
        classifier, _ = registry.load(models_dir, version)
        classifier.predict(["加载"])  # first use builds the segmenter and the term table
        load_s = time.perf_counter() - started

    started = time.perf_counter()
    flagged = 0
    for start in range(0, len(posts), args.batch):
        predictions = classifier.predict(posts[start : start + args.batch])
        flagged += sum(bool(p.labels) for p in predictions)
    elapsed = time.perf_counter() - started
    rate = len(posts) / elapsed
    # ru_maxrss is in kilobytes on Linux, bytes on macOS
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale
    print(f"classified {len(posts)} posts in {elapsed:.2f} s; {flagged} raised a label")
    print(f"model load (registry.load + first prediction): {load_s:.2f} s")
    print(f"posts_per_s={rate:.0f} load_s={load_s:.2f} peak_mb={peak_mb:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
