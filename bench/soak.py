"""Soak: the scheduler for a few minutes against 200 local feeds that change every few seconds.

A separate process serves ``--feeds`` RSS feeds on 127.0.0.1; each gains a post every
``--change`` seconds (some reporting incidents grave enough for a 重大 case, so that alerts flow).
Another thread receives the webhook alerts. ``yuqing schedule`` then runs as a child process on a
fresh SQLite store, each source fetched every 10 s, for ``--minutes``, and is stopped with
SIGTERM. Its resident memory is sampled every few seconds from ``/proc``.

Printed: posts stored, cases opened, alerts sent (received by the webhook), duplicates found
(posts stored twice for one item, alerts received twice, two active cases for one event: must
be 0), peak memory and its growth per minute: least squares over the samples after the first
``START_UP_S`` seconds, which hold the start-up (the model and dictionaries loaded, the first
triage runs taking the feeds' backlog and settling the allocator). Last line:
``posts=… cases=… duplicates=… peak_mb=… growth_mb_per_min=…``. Targets: duplicates 0, peak
< 400 MB, growth < 1 MB/min. Not a timed test. A run needs several minutes past the start-up
for the slope to mean anything: the default is 10.
Run: ``.venv/bin/python bench/soak.py [--minutes 10] [--feeds 200] [--change 5]``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PLACES = ("青石镇", "柳河乡", "东关街道", "白沙村", "南湖新区", "北山镇", "西岭乡", "金水湾")
EVENTS = ("道路塌陷", "山体滑坡", "民房火灾", "燃气泄漏", "河堤管涌", "桥梁垮塌", "厂房爆炸")
DETAILS = (
    "救援队伍已赶到现场",
    "周边群众已疏散",
    "相关部门正在调查原因",
    "交通管制正在实施",
    "伤者已送医救治",
    "附近学校临时停课",
    "供水供电暂时中断",
    "专家组已连夜会商",
)
GRAVE_EVERY = 7  # one story in seven reports a toll of a 重大 incident
#: samples before this are start-up, not growth: one-time allocations of the first triage runs
#: land anywhere in the first two minutes (seen at 15 s in one run, at 70 s in another)
START_UP_S = 120


def item(feed: int, tick: int, change_s: float) -> str:
    """One story per tick, carried by every feed (reposts across sources), so that each tick
    makes one event; the wording is drawn from the tick, not the feed."""
    pick = random.Random(tick)
    place, event = pick.choice(PLACES), pick.choice(EVENTS)
    dead = 12 if tick % GRAVE_EVERY == 0 else pick.randint(0, 2)
    details = "，".join(pick.sample(DETAILS, 3))
    title = f"{place}发生{event}事故已致{dead}人遇难（{tick}）"
    spot = f"{place}{pick.randint(1, 30)}号附近"
    # each source words its repost a little differently, as reposts do
    text = f"【源{feed}转发】第{tick}号通报：{spot}发生{event}，已致{dead}人遇难，{details}。"
    published = formatdate(tick * change_s, usegmt=True)
    return (
        f"<item><title>{title}</title><link>http://127.0.0.1/p/{feed}/{tick}</link>"
        f"<guid>{feed}-{tick}</guid><pubDate>{published}</pubDate>"
        f"<description>{text}</description></item>"
    )


def serve_feeds(listener_fd: int, change_s: float, keep: int) -> None:
    """The feed server's process: feed N holds its last ``keep`` items, one new every
    ``change_s`` seconds."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            try:
                feed = int(self.path.strip("/").removesuffix(".rss").removeprefix("f"))
            except ValueError:
                self.send_error(404)
                return
            now = int(time.time() / change_s)
            items = "".join(item(feed, t, change_s) for t in range(now, now - keep, -1))
            body = (
                '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                f"<title>源{feed}</title>{items}</channel></rss>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    import socket

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
    server.socket = socket.socket(fileno=listener_fd)
    server.serve_forever(poll_interval=0.2)


class Receiver:
    """The webhook receiver: counts each alert id it is sent."""

    def __init__(self) -> None:
        self.ids: Counter[str] = Counter()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                owner.ids[json.loads(body)["id"]] += 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"


def rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def slope_per_min(samples: list[tuple[float, float]]) -> float:
    if len(samples) < 2:
        return 0.0
    n = len(samples)
    mx = sum(t for t, _ in samples) / n
    my = sum(m for _, m in samples) / n
    den = sum((t - mx) ** 2 for t, _ in samples) or 1.0
    return sum((t - mx) * (m - my) for t, m in samples) / den * 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--change", type=float, default=5.0, help="seconds between new posts")
    args = parser.parse_args()

    import socket

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    context = multiprocessing.get_context("fork")
    server = context.Process(
        target=serve_feeds, args=(listener.fileno(), args.change, 10), daemon=True
    )
    server.start()
    receiver = Receiver()
    with tempfile.TemporaryDirectory() as home:
        sources = "".join(
            f'[[source]]\nname = "源{n}"\nurl = "http://127.0.0.1:{port}/f{n}.rss"\n'
            'region_name = "中牟县"\nregion_code = "410122"\nlevel = "county"\nevery = "10s"\n'
            for n in range(args.feeds)
        )
        Path(home, "sources.toml").write_text(sources, "utf-8")
        env = {**os.environ, "YUQING_HOME": home, "YUQING_WEBHOOK_URL": receiver.url}
        for name in ("YUQING_DATABASE_URL", "YUQING_CONFIG", "YUQING_SOURCES"):
            env.pop(name, None)
        subprocess.run([sys.executable, "-m", "yuqing.cli", "init"], env=env, check=True)
        log = Path(home, "scheduler.log").open("w")
        child = subprocess.Popen(
            [sys.executable, "-m", "yuqing.cli", "schedule"], env=env, stdout=log, stderr=log
        )
        started = time.monotonic()
        samples: list[tuple[float, float]] = []
        try:
            while (elapsed := time.monotonic() - started) < args.minutes * 60:
                if (mb := rss_mb(child.pid)) is not None:
                    samples.append((elapsed, mb))
                time.sleep(5)
        finally:
            child.send_signal(signal.SIGTERM)
            child.wait(120)
            log.close()
            # kept after the temporary store goes, for a look at what the scheduler said
            Path(tempfile.gettempdir(), "yuqing-soak.log").write_text(
                Path(home, "scheduler.log").read_text("utf-8", "replace"), "utf-8"
            )
        db = sqlite3.connect(Path(home, "yuqing.db"))
        posts = db.execute("SELECT count(*) FROM posts").fetchone()[0]
        distinct = db.execute("SELECT count(DISTINCT guid) FROM posts").fetchone()[0]
        cases = db.execute("SELECT count(*) FROM cases").fetchone()[0]
        two_cases = db.execute(
            "SELECT count(*) FROM (SELECT event_id FROM cases WHERE status NOT IN "
            "('merged', 'closed', 'dismissed') GROUP BY event_id HAVING count(*) > 1)"
        ).fetchone()[0]
        alerts = db.execute("SELECT count(*) FROM alerts").fetchone()[0]
        db.close()
    server.terminate()
    twice = sum(n - 1 for n in receiver.ids.values() if n > 1)
    duplicates = (posts - distinct) + twice + two_cases
    peak = max((m for _, m in samples), default=0.0)
    growth = slope_per_min([(t, m) for t, m in samples if t >= START_UP_S])
    print(
        f"scheduler ran {args.minutes:g} min against {args.feeds} feeds (a new post every "
        f"{args.change:g} s each), one source job every 10 s"
    )
    print(
        f"posts stored {posts}, cases {cases}, alerts raised {alerts}, alerts received "
        f"{sum(receiver.ids.values())} ({len(receiver.ids)} distinct)"
    )
    print(
        f"duplicates: {posts - distinct} posts, {twice} alerts, {two_cases} events with two "
        f"active cases"
    )
    print(
        f"memory: peak {peak:.0f} MB, growth {growth:.2f} MB/min after the first "
        f"{START_UP_S} s ({len(samples)} samples)"
    )
    # the shape of the curve tells a step at start-up (a load, a cache filling) from a leak
    by_minute = [m for t, m in samples if t >= 60 and int(t) % 60 < 5]
    print("resident MB at minute 1, 2, …: " + " ".join(f"{m:.0f}" for m in by_minute))
    print(
        f"posts={posts} cases={cases} duplicates={duplicates} peak_mb={peak:.0f} "
        f"growth_mb_per_min={growth:.2f}"
    )


if __name__ == "__main__":
    main()
