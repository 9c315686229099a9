"""Crawl rate of yuqing's spider against a bare Scrapy spider fetching the same pages.

Generates a municipal news site of ``--pages`` article pages (``bench/localsite.py``: sitemap,
list pages, robots.txt) and serves it from 127.0.0.1 in a separate process. Then, in the same
run, it times two crawls of it:

- yuqing: a source of kind ``--kind`` in a fresh SQLite store, crawled as the product crawls it
  (``crawl_in_subprocess``: a child ``python -m yuqing.crawlers.crawl``), which fetches every
  page, extracts it with trafilatura, normalises it and stores the posts in batches. A
  ``sitemap`` source (the default) is the site's sitemap; a ``site`` source is list page 1,
  with selectors for the article links and the 下一页 link;
- bare: a minimal ``scrapy.Spider`` in a child process that reads the same sitemap (or follows
  the same list pages) and fetches every page, doing nothing with them.

Both run with yuqing's own Scrapy settings for the network (``scrapy_settings``: robots.txt
obeyed, AutoThrottle on as in the product, no download delay, the same concurrency per domain
and page cap); the bare spider only has no item pipeline. Each is timed from starting its child
process to that child's exit, interpreter start-up and imports included for both, since a crawl
pays them every time the scheduler starts one; the start-up alone is printed too. With
``--repeat N`` the runs alternate (yuqing, bare, then bare, yuqing, ...) and each spider's median
run by rate is taken (for an even N, the slower of the middle two). Both crawls share the machine
with whatever else runs on it: on a busy machine, repeat.

The last line is ``pages_per_s=… bare_pages_per_s=… ratio=…``. Target on 2 cores: ratio ≥ 0.6.
Run: ``.venv/bin/python bench/crawl.py [--pages 2000] [--repeat 3] [--kind sitemap|site]
[--concurrency 16]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import scrapy
from localsite import LocalSite
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response
from scrapy.utils.sitemap import Sitemap

if TYPE_CHECKING:
    from yuqing.crawlers.crawl import CrawlLimits
    from yuqing.crawlers.sources import SourceSpec

THIS = Path(__file__).resolve()
# yuqing is imported inside the functions that use it, never at the top: the bare spider's child
# runs this file too, and its start-up must be Scrapy's alone, not trafilatura's and SQLAlchemy's.


@dataclass(frozen=True)
class Run:
    """One timed crawl."""

    pages: int
    seconds: float
    #: CPU seconds the site's server spent meanwhile (None where /proc is missing)
    server_cpu_s: float | None
    #: posts counted in the store afterwards (yuqing only)
    stored: int | None = None
    page_errors: int = 0
    finish_reason: str | None = None
    warning: str | None = None

    @property
    def rate(self) -> float:
        return self.pages / self.seconds


# --- yuqing's crawl, as the product runs it --------------------------------------------------


def yuqing_run(site: LocalSite, spec: SourceSpec, limits: CrawlLimits) -> Run:
    """Add ``spec`` to a fresh store and crawl it with ``crawl_in_subprocess``."""
    from sqlalchemy import func, select

    from yuqing.app import App
    from yuqing.config import load_settings
    from yuqing.crawlers.crawl import crawl_in_subprocess
    from yuqing.jobs import add_sources, init_store
    from yuqing.storage.schema import Post
    from yuqing.storage.sources import get_source

    with tempfile.TemporaryDirectory() as home:
        app = App(load_settings({"YUQING_HOME": home}))
        init_store(app)
        add_sources(app, [spec])
        timeout_s = max(300.0, site.site.articles * 0.5)
        cpu0, t0 = site.cpu_seconds(), time.perf_counter()
        report = crawl_in_subprocess(app.settings.database_url, spec.name, timeout_s, limits)
        elapsed, cpu1 = time.perf_counter() - t0, site.cpu_seconds()
        with app.sessions() as session:
            source_id = get_source(session, spec.name).id
            stored = session.scalar(
                select(func.count()).select_from(Post).where(Post.source_id == source_id)
            )
        app.close()
    if report.status != "ok":
        sys.exit(f"yuqing's crawl failed: {report.error}")
    return Run(
        report.pages,
        elapsed,
        _spent(cpu0, cpu1),
        stored=stored,
        page_errors=report.page_errors,
        finish_reason=report.finish_reason,
        warning=report.warning,
    )


def yuqing_sitemap(site: LocalSite, limits: CrawlLimits) -> Run:
    """yuqing's sitemap spider: a source of kind sitemap whose URL is the site's sitemap."""
    from yuqing.crawlers.sources import SourceSpec

    return yuqing_run(site, SourceSpec("临江市政府新闻", site.sitemap_url, kind="sitemap"), limits)


#: where a list page of the generated site links its articles (CSS) and the next page (XPath)
LINKS = "ul.list a"
NEXT = '//div[@class="pager"]/a[text()="下一页"]'


# --- the bare Scrapy spider --------------------------------------------------------------------


class BareSpider(scrapy.Spider):
    """Fetches the pages a sitemap lists (``mode="sitemap"``), or those linked from list pages
    followed by their 下一页 link (``mode="list"``), and does nothing with them."""

    name = "bare"

    def __init__(self, start_url: str, mode: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_url, self.mode = start_url, mode
        self.pages = self.errors = 0

    async def start(self) -> AsyncIterator[scrapy.Request]:
        callback = self.parse_sitemap if self.mode == "sitemap" else self.parse_list
        yield scrapy.Request(self.start_url, callback=callback)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        for entry in Sitemap(response.body):
            yield scrapy.Request(entry["loc"], callback=self.parse_page, errback=self.failed)

    def parse_list(self, response: Response) -> Iterator[scrapy.Request]:
        for href in response.css(f"{LINKS}::attr(href)").getall():
            yield response.follow(href, callback=self.parse_page, errback=self.failed)
        following = response.xpath(f"{NEXT}/@href").get()
        if following:
            yield response.follow(following, callback=self.parse_list)

    def parse_page(self, response: Response) -> None:
        self.pages += 1

    def failed(self, failure: Any) -> None:
        self.errors += 1


def bare_child(mode: str, start_url: str, settings_json: str) -> None:
    """The bare spider's child process: one crawl, then one JSON line on stdout."""
    process = CrawlerProcess(json.loads(settings_json))
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, start_url=start_url, mode=mode)
    process.start()
    spider = crawler.spider
    stats = crawler.stats.get_stats() if crawler.stats else {}
    print(
        json.dumps(
            {
                "pages": spider.pages,  # type: ignore[union-attr]
                "errors": spider.errors,  # type: ignore[union-attr]
                "finish_reason": stats.get("finish_reason"),
            }
        ),
        flush=True,
    )


def bare_settings(limits: CrawlLimits, kind: str) -> dict[str, Any]:
    """yuqing's Scrapy settings for the same limits and kind of source, less the item pipeline
    (the bare spider yields no items)."""
    from yuqing.crawlers.crawl import scrapy_settings

    settings = scrapy_settings(limits, kind)
    del settings["ITEM_PIPELINES"]
    return settings


def bare_run(
    site: LocalSite, mode: str, start_url: str, limits: CrawlLimits, kind: str = "sitemap"
) -> Run:
    """The bare spider in a child process (this file with ``--bare-child``), timed from start to
    exit like yuqing's."""
    command = [sys.executable, str(THIS), "--bare-child", mode, start_url]
    command += ["--settings-json", json.dumps(bare_settings(limits, kind))]
    cpu0, t0 = site.cpu_seconds(), time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=False)
    elapsed, cpu1 = time.perf_counter() - t0, site.cpu_seconds()
    lines = done.stdout.decode("utf-8", "replace").strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = done.stderr.decode("utf-8", "replace").strip()[-2000:]
        sys.exit(f"the bare spider failed (exit {done.returncode}): {tail}")
    result = json.loads(lines[-1])
    return Run(
        result["pages"],
        elapsed,
        _spent(cpu0, cpu1),
        page_errors=result["errors"],
        finish_reason=result["finish_reason"],
    )


def bare_sitemap(site: LocalSite, limits: CrawlLimits) -> Run:
    return bare_run(site, "sitemap", site.sitemap_url, limits)


def yuqing_site(site: LocalSite, limits: CrawlLimits) -> Run:
    """yuqing's list-then-detail spider: a source of kind site from list page 1, told where the
    links to articles and the next list page are; the article pages go through trafilatura."""
    from yuqing.crawlers.sources import SourceSpec

    options = {"links": LINKS, "next": f"xpath:{NEXT}", "list_pages": site.site.list_pages}
    spec = SourceSpec("临江市政府新闻列表", site.list_url, kind="site", options=options)
    return yuqing_run(site, spec, limits)


def bare_site(site: LocalSite, limits: CrawlLimits) -> Run:
    return bare_run(site, "list", site.list_url, limits, kind="site")


#: source kind -> (yuqing's crawl, the bare spider's crawl of the same pages)
KINDS: dict[str, tuple[Callable[..., Run], Callable[..., Run]]] = {
    "sitemap": (yuqing_sitemap, bare_sitemap),
    "site": (yuqing_site, bare_site),
}


# --- measuring and printing -------------------------------------------------------------------


def _spent(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before


def startup_seconds(command: list[str], times: int = 3) -> float:
    """Median wall time of a command that only starts and imports (``--help``)."""
    samples = []
    for _ in range(times):
        t0 = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def describe(name: str, run: Run) -> str:
    server = ""
    if run.server_cpu_s is not None:
        server = f", server CPU {run.server_cpu_s / run.seconds:.0%}"
    stored = "" if run.stored is None else f", {run.stored} posts stored"
    errors = f", {run.page_errors} page errors" if run.page_errors else ""
    return (
        f"{name}: {run.pages} pages in {run.seconds:.2f} s = {run.rate:.1f} pages/s"
        f"{stored}{errors}{server} ({run.finish_reason})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000, help="article pages (default 2000)")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each spider; the median is taken"
    )
    parser.add_argument(
        "--concurrency", type=int, default=16, help="requests at a time per domain (default 16)"
    )
    parser.add_argument(
        "--kind", choices=sorted(KINDS), default="sitemap", help="source kind (default sitemap)"
    )
    parser.add_argument("--bare-child", nargs=2, metavar=("MODE", "URL"), help=argparse.SUPPRESS)
    parser.add_argument("--settings-json", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_child:
        bare_child(*args.bare_child, args.settings_json)
        return

    from yuqing.crawlers.crawl import CrawlLimits

    if args.pages < 1 or args.repeat < 1:
        parser.error("--pages and --repeat must be at least 1")
    # Politeness off for a local site: no delay, many requests at a time. The cap counts every
    # response (robots.txt, sitemap, list pages), so it sits well above the page count.
    limits = CrawlLimits(
        page_cap=args.pages * 2 + 100,
        download_delay=0.0,
        concurrency_per_domain=args.concurrency,
    )
    yuqing_crawl, bare_crawl = KINDS[args.kind]
    with LocalSite(args.pages) as site:
        print(
            f"site: {site.site.articles} article pages, {site.site.list_pages} list pages, "
            f"sitemap, robots.txt; {site.site.body_bytes / 1e6:.1f} MB of bodies, served by "
            f"a separate process at {site.base}"
        )
        print(
            f"both spiders: yuqing's scrapy_settings, concurrency {limits.concurrency_per_domain}"
            f" per domain, download delay 0, AutoThrottle on (as in the product), robots.txt "
            f"obeyed, page cap {limits.page_cap}; timed from starting the child to its exit"
        )
        yuqing_runs, bare_runs = [], []
        for n in range(args.repeat):
            # Alternate which goes first, so neither always meets a warmer machine.
            order = [("yuqing", yuqing_crawl), ("bare", bare_crawl)]
            for name, crawl in order if n % 2 == 0 else order[::-1]:
                run = crawl(site, limits)
                (yuqing_runs if name == "yuqing" else bare_runs).append(run)
                print(f"run {n + 1} {describe(name, run)}")
                if run.warning:
                    print(f"  warning: {run.warning}")
    yuqing_startup = startup_seconds([sys.executable, "-m", "yuqing.crawlers.crawl", "--help"])
    bare_startup = startup_seconds([sys.executable, str(THIS), "--help"])

    def median_run(runs: list[Run]) -> Run:
        return sorted(runs, key=lambda r: r.rate)[(len(runs) - 1) // 2]

    yuqing, bare = median_run(yuqing_runs), median_run(bare_runs)
    print("the median run of each:" if args.repeat > 1 else "the run of each:")
    for name, run, startup in (("yuqing", yuqing, yuqing_startup), ("bare", bare, bare_startup)):
        stored = "-" if run.stored is None else str(run.stored)
        print(
            f"  {name:6} pages={run.pages} seconds={run.seconds:.2f} pages/s={run.rate:.1f} "
            f"posts_stored={stored} start-up={startup:.2f}s "
            f"pages/s_after_start-up={run.pages / max(run.seconds - startup, 1e-9):.1f}"
        )
    if yuqing.stored != yuqing.pages:
        print(f"note: {yuqing.pages} pages fetched but {yuqing.stored} posts stored")
    print(
        f"pages_per_s={yuqing.rate:.2f} bare_pages_per_s={bare.rate:.2f} "
        f"ratio={yuqing.rate / bare.rate:.3f}"
    )


if __name__ == "__main__":
    main()
