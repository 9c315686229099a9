"""Routing: area accuracy on labelled message-board posts, load time and speed.

Reads JSONL files of message-board posts with a human area label (``{"text", "area"}``; by
default ``tests/triage/board_messages_blind.jsonl``, written without seeing the directory's
words), decides each with ``Rules.decide`` (what ``yuqing route`` does) and compares the first
responsible department's area with the label; prints accuracy per area, the confusion, and the
posts that went wrong (``--wrong``). Then times loading and deciding for a 500-character post.
The last line is ``accuracy=… load_ms=… decide_us_per_500_chars=…``.
Run: ``.venv/bin/python bench/route_eval.py [--data FILE ...] [--wrong] [--repeat 2000]``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from yuqing.triage.orgs import load_organisations
from yuqing.triage.regions import load_divisions
from yuqing.triage.responsibility import Rules

BOARD = Path(__file__).resolve().parent.parent / "tests" / "triage" / "board_messages_blind.jsonl"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", action="append", metavar="FILE", help="labelled JSONL (default: the blind set)"
    )
    parser.add_argument("--wrong", action="store_true", help="list the misrouted posts")
    parser.add_argument("--repeat", type=int, default=2000, help="timing repetitions")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    orgs = load_organisations()
    rules = Rules(orgs, load_divisions())
    load_ms = (time.perf_counter() - started) * 1000

    rows = [
        json.loads(line)
        for path in (args.data or [BOARD])
        for line in Path(path).read_text("utf-8").splitlines()
        if line.strip()
    ]
    confusion: Counter[tuple[str, str]] = Counter()
    wrong = []
    for row in rows:
        matches = orgs.recognise(row["text"])
        got = rules.decide(row["text"]).area or "(none)"
        confusion[row["area"], got] += 1
        if got != row["area"]:
            wrong.append((row, matches[:3]))
    right = sum(n for (want, got), n in confusion.items() if want == got)
    print(f"{len(rows)} posts, {len(orgs)} departments")
    for area in sorted({want for want, _ in confusion}):
        total = sum(n for (want, _), n in confusion.items() if want == area)
        print(f"  {area:<8} {confusion[area, area]:>3}/{total}")
    for (want, got), n in sorted(confusion.items()):
        if want != got:
            print(f"  confused {want} → {got}: {n}")
    if args.wrong:
        for row, matches in wrong:
            found = ", ".join(
                f"{m.department.code} {m.score:g} {'/'.join(m.named + m.topics)}" for m in matches
            )
            print(f"- [{row['area']}] {row['text'][:50]}…\n    {found}")

    post = "".join(row["text"] for row in rows)[:500]
    started = time.perf_counter()
    for _ in range(args.repeat):
        rules.decide(post)
    per_post_us = (time.perf_counter() - started) / args.repeat * 1e6
    print(
        f"accuracy={right / len(rows):.3f} load_ms={load_ms:.1f} "
        f"decide_us_per_500_chars={per_post_us:.0f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
