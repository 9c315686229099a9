"""End-to-end ingestion rate against feedparser alone.

Serves a few hundred generated RSS feeds from 127.0.0.1, then runs the real pipeline into a fresh
SQLite store: fetch, parse, normalise, deduplicate, store (``yuqing ingest``), then classify and
open cases (``yuqing triage``). In the same run it times feedparser alone on the same bytes, with
its defaults (and, for reference, with the options the pipeline uses). Prints the figures; the
last line is ``posts_per_s=… parse_only_per_s=… ratio=…``. Targets on 2 cores with SQLite:
≥ 1,000 posts/s, ratio ≥ 0.5.
Run: ``.venv/bin/python bench/ingest.py [--feeds 300] [--entries 20]``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.sax.saxutils import escape

import feedparser

from yuqing.app import App
from yuqing.config import load_settings
from yuqing.crawlers.sources import SourceSpec
from yuqing.jobs import add_sources, ensure_model, ingest_and_triage, init_store, run_ingest

PLACES = [
    "长沙市",
    "成都市",
    "阜平县",
    "杭州市",
    "郑州市",
    "兰州市",
    "南宁市",
    "哈尔滨市",
    "昆明市",
]
SUBJECTS = [
    "小区居民",
    "一名网友",
    "记者",
    "多位家长",
    "附近商户",
    "村民代表",
    "市民王女士",
    "李先生",
]
EVENTS = [
    "反映供暖一直不达标，室温只有十二度，物业推说管道老化",
    "称工地拖欠农民工工资近四个月，多次讨要无果",
    "报料一处路面突然塌陷，一辆电动车陷入坑中，暂无人员伤亡",
    "称学校食堂饭菜出现异味，已有学生腹痛就医",
    "发帖询问新的公积金提取政策是否取消了租房提取",
    "分享了周末城市马拉松的比赛照片，赛道沿途风景很美",
    "称化工厂夜间排放刺鼻气体，周边居民不敢开窗",
    "网传明天起全市停水三天，紧急扩散，请大家提前储水",
    "点赞社区志愿者连夜清理积雪，方便老人出行",
    "反映公交线路调整后，偏远小区的居民上班要多走两公里",
]
DETAILS = [
    "相关部门表示已经关注此事，将尽快核实处理。",
    "截至发稿时，当事方尚未作出回应。",
    "有居民表示，类似问题去年冬天也出现过。",
    "评论区里不少人说自己也遇到了同样的情况。",
    "记者现场看到，现场已设置围挡，有工作人员值守。",
]


def make_feed(index: int, entries: int, base: str, rng: random.Random, now: datetime) -> bytes:
    items = []
    for n in range(entries):
        place, who = rng.choice(PLACES), rng.choice(SUBJECTS)
        body = (
            f"<p>{place}{who}{rng.choice(EVENTS)}。</p><p>{rng.choice(DETAILS)}"
            f"{rng.choice(DETAILS)}（编号{index}-{n}）</p>"
        )
        published = format_datetime(now - timedelta(minutes=rng.randrange(1, 3000)))
        items.append(
            f"<item><title>{escape(place + who + '反映问题')}{index}-{n}</title>"
            f"<link>{base}/post/{index}/{n}.html?utm_source=bench</link>"
            f"<guid>{base}/post/{index}/{n}.html</guid><pubDate>{published}</pubDate>"
            f"<description>{escape(body)}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>bench feed {index}</title><link>{base}/</link><description>bench</description>"
        + "".join(items)
        + "</channel></rss>"
    ).encode("utf-8")


def serve_forever(feeds: dict[str, bytes], port: Any) -> None:
    server, _ = serve(feeds)
    port.value = server.server_address[1]
    threading.Event().wait()


def serve_elsewhere(feeds: dict[str, bytes]) -> tuple[multiprocessing.Process, str]:
    """The feeds served from a separate process, as the web would be: its threads and its CPU
    time are not the pipeline's."""
    port = multiprocessing.get_context("fork").Value("i", 0)
    process = multiprocessing.get_context("fork").Process(
        target=serve_forever, args=(feeds, port), daemon=True
    )
    process.start()
    while not port.value:
        time.sleep(0.01)
    return process, f"http://127.0.0.1:{port.value}"


def serve(feeds: dict[str, bytes]) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes: without this, Nagle and delayed ACKs
        # hold every response back ~40 ms, and the benchmark would measure that instead.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            body = feeds.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--entries", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(20161)
    now = datetime.now(UTC)
    # Links name a fixed host; the feeds are served from wherever the server listens.
    link_base = "http://news.bench.invalid"
    feeds = {
        f"/feed/{i}.xml": make_feed(i, args.entries, link_base, rng, now) for i in range(args.feeds)
    }
    server, base = serve_elsewhere(feeds)
    total_bytes = sum(map(len, feeds.values()))

    with tempfile.TemporaryDirectory() as home:
        app = App(load_settings({"YUQING_HOME": home}))
        init_store(app)
        # The model is trained and loaded before the clock starts: neither is ingestion.
        t0 = time.perf_counter()
        version, _ = ensure_model(app)
        app.model()  # loaded once per process, as the scheduler keeps it
        print(
            f"model {version} trained and loaded in {time.perf_counter() - t0:.1f} s (not counted)"
        )
        add_sources(
            app, [SourceSpec(f"bench {i}", f"{base}/feed/{i}.xml") for i in range(args.feeds)]
        )

        # The main job's path: ingest, with triage working on what is stored meanwhile.
        t0 = time.perf_counter()
        reports, triaged = ingest_and_triage(app)
        elapsed = time.perf_counter() - t0
        stored = sum(r.new_posts for r in reports)
        failed = [r for r in reports if r.status == "failed"]
        if failed:
            print(f"{len(failed)} sources failed, e.g. {failed[0].error}", file=sys.stderr)
        again = run_ingest(app)
        app.close()
    server.terminate()

    def parse_rate(**options: bool) -> tuple[float, int]:
        start, parsed = time.perf_counter(), 0
        for body in feeds.values():
            parsed += len(feedparser.parse(body, **options).entries)
        return parsed / (time.perf_counter() - start), parsed

    # "feedparser alone" is feedparser as it comes: feedparser.parse(bytes). The pipeline turns
    # off sanitising and URI rewriting (it never shows feed HTML); that rate is printed too.
    parse_only, parsed = parse_rate()
    parse_lean, _ = parse_rate(sanitize_html=False, resolve_relative_uris=False)

    posts_per_s = stored / elapsed
    print(f"feeds={args.feeds} entries={parsed} bytes={total_bytes:,}")
    print(f"stored={stored} classified={triaged.classified} cases={triaged.cases_opened}")
    print(f"ingest and triage: {elapsed:.2f}s")
    print(f"second ingest stored {sum(r.new_posts for r in again)} posts")
    print(
        f"feedparser with the pipeline's options (no sanitising): {parse_lean:.0f} entries/s, "
        f"ratio {posts_per_s / parse_lean:.2f}"
    )
    print(
        f"posts_per_s={posts_per_s:.0f} parse_only_per_s={parse_only:.0f} "
        f"ratio={posts_per_s / parse_only:.2f}"
    )


if __name__ == "__main__":
    main()
