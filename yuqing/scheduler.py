"""The one scheduler process (``yuqing schedule``), on APScheduler 3.

Jobs: the main cycle (sources file → ingest → triage) every few minutes, the deadline sweep every
five, and the daily queue digest at 08:00 Asia/Shanghai. Deadlines are columns in the case table
checked by an idempotent sweep, never one job per case, and the job store is the in-memory one:
APScheduler 3 job stores must never be shared between two schedulers, so a persistent store would
only invite a second scheduler to double-run every job.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from yuqing import jobs
from yuqing.app import App
from yuqing.triage.queue import daily_queue, format_table

log = logging.getLogger("yuqing.scheduler")

SWEEP_EVERY = timedelta(minutes=5)
DIGEST_AT = {"hour": 8, "minute": 0}


def cycle(app: App) -> None:
    report = jobs.main_job(app)
    failed = [r for r in report.sources if r.status == "failed"]
    log.info(
        "cycle: %d sources (%d failed), %d new posts, %d triaged, %d cases opened, %d overdue",
        len(report.sources),
        len(failed),
        sum(r.new_posts for r in report.sources),
        report.triage.classified,
        report.triage.cases_opened,
        report.newly_overdue,
    )
    for r in failed:
        log.warning("source %s failed: %s", r.name, r.error)
    for c in report.crawls:
        log.log(
            logging.INFO if c.status == "ok" else logging.WARNING,
            "crawl %s: %s, %d pages, %d new%s",
            c.source,
            c.status,
            c.pages,
            c.stored,
            f": {c.error}" if c.error else "",
        )


def sweep(app: App) -> None:
    n = jobs.run_sweep(app)
    if n:
        log.warning("%d cases newly overdue", n)


def digest(app: App) -> None:
    now = app.clock()
    with app.sessions() as session:
        items = daily_queue(session, now.astimezone(app.tz).date(), app.tz, now)
    log.info("daily queue\n%s", format_table(items, now.astimezone(app.tz).date(), app.tz))


def build_scheduler(app: App, every_minutes: int = 15) -> BlockingScheduler:
    if every_minutes < 1:
        raise ValueError("--every must be at least 1 minute")
    scheduler = BlockingScheduler(timezone=app.tz)
    # coalesce + max_instances=1: a slow cycle is never run twice at once, and missed runs
    # collapse into one instead of a burst after a pause.
    common = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}
    scheduler.add_job(
        cycle,
        IntervalTrigger(minutes=every_minutes),
        args=[app],
        id="cycle",
        next_run_time=app.clock(),
        **common,
    )
    scheduler.add_job(
        sweep,
        IntervalTrigger(seconds=SWEEP_EVERY.total_seconds()),
        args=[app],
        id="sweep",
        **common,
    )
    scheduler.add_job(
        digest, CronTrigger(**DIGEST_AT, timezone=app.tz), args=[app], id="digest", **common
    )
    return scheduler


def run_scheduler(app: App, every_minutes: int = 15) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    scheduler = build_scheduler(app, every_minutes)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)
