"""The one scheduler process (``yuqing schedule``), on APScheduler 3.

Jobs:

- ``source:<id>``, one per enabled source, at the source's own interval (``every``, e.g. 30s;
  else ``--every`` minutes), and once as soon as the scheduler starts. A feed is fetched in this
  process; any other kind is crawled in a child process with a time limit. A source backing off
  after failures waits out its backoff. ``sources`` (every minute) reads the sources file and
  adds, re-times or drops these jobs as sources come and go;
- ``triage`` every minute: classify what was stored, open and update cases;
- ``sweep`` every minute: due soon, overdue, escalation (``triage.sweep``);
- ``alerts`` every 30 seconds: deliver the outbox (``alerts.deliver``);
- ``digest`` at 08:00 Asia/Shanghai: the day's queue as Markdown and HTML, e-mailed when mail is
  configured;
- ``report`` on Mondays at 08:30: last week's supervision report.

Every job coalesces missed runs into one, never runs twice at once (``max_instances=1``), and is
skipped rather than run late when the process was stopped past its grace time: each job reads
its work from the database, so the next run catches up. Deadlines are columns checked by the
sweep, never one timer per case, and the job store is the in-memory one: APScheduler 3 job
stores must not be shared, and ``singleton.scheduler_lock`` keeps a second scheduler off the
store. SIGTERM (or Ctrl-C) lets the running jobs finish, then exits.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from yuqing import jobs
from yuqing.app import App
from yuqing.crawlers.health import is_due
from yuqing.crawlers.sources import FEED, interval_seconds
from yuqing.memory import limit_arenas, release_free_memory
from yuqing.singleton import scheduler_lock
from yuqing.storage.errors import DatabaseUnavailable
from yuqing.storage.schema import Source

log = logging.getLogger("yuqing.scheduler")

TRIAGE_EVERY = timedelta(minutes=1)
SWEEP_EVERY = timedelta(minutes=1)
ALERTS_EVERY = timedelta(seconds=30)
#: deliveries taken per batch of the alerts job
ALERT_BATCH = 100
SOURCES_EVERY = timedelta(minutes=1)
DIGEST_AT = {"hour": 8, "minute": 0}
REPORT_AT = {"day_of_week": "mon", "hour": 8, "minute": 30}
#: how late a missed run may still start; later, it is skipped and the next one catches up
GRACE_S = 120
#: every job's settings (module doc)
COMMON: dict[str, Any] = {"coalesce": True, "max_instances": 1, "misfire_grace_time": GRACE_S}
#: jobs running at once (a crawl waits on its child process; a feed fetch on the network)
THREADS = 4


def cycle(app: App) -> None:
    """The main job of ``make run``: sources file → feeds → crawls → triage → sweep, once."""
    report = jobs.main_job(app)
    failed = [r for r in report.sources if r.status == "failed"]
    log.info(
        "cycle: %d sources (%d failed), %d new posts, %d triaged, %d cases opened, %d overdue",
        len(report.sources),
        len(failed),
        sum(r.new_posts for r in report.sources),
        report.triage.classified,
        report.triage.cases_opened,
        report.sweep.overdue,
    )
    for r in failed:
        log.warning("source %s failed: %s", r.name, r.error)


def fetch_source(app: App, source_id: int) -> None:
    """One source's turn: fetch a feed here, crawl anything else in a child process."""
    with app.sessions() as session:
        source = session.get(Source, source_id)
        if source is None or not is_due(source.next_attempt_at, source.enabled, app.clock()):
            return
        name, kind = source.name, source.kind
    if kind == FEED:
        for r in jobs.run_ingest(app, [name]):
            # a turn that brought nothing is routine: said only at debug level
            quiet = r.status != "failed" and not r.new_posts
            log.log(
                logging.WARNING
                if r.status == "failed"
                else (logging.DEBUG if quiet else logging.INFO),
                "source %s: %s, %d new%s",
                r.name,
                r.status,
                r.new_posts,
                f": {r.error}" if r.error else "",
            )
    else:
        for c in jobs.run_crawls(app, [name]):
            log.log(
                logging.INFO if c.status == "ok" else logging.WARNING,
                "crawl %s: %s, %d pages, %d new%s",
                c.source,
                c.status,
                c.pages,
                c.stored,
                f": {c.error}" if c.error else "",
            )


def triage(app: App) -> None:
    report = jobs.run_triage(app)
    if report.classified:
        log.info("triage: %d posts, %s", report.classified, report.summary())
        # the run's batches are freed now; give their pages back (yuqing.memory says why)
        release_free_memory()


def sweep(app: App) -> None:
    log.info("sweep: %d cases waiting for a response", jobs.count_waiting(app))
    report = jobs.run_sweep(app)
    if report.due_soon or report.overdue:
        log.warning(
            "%d cases newly due soon, %d newly overdue (%d escalated)",
            report.due_soon,
            report.overdue,
            report.escalated,
        )


def deliver(app: App) -> None:
    """Send what the outbox holds, a batch at a time, until a batch finds fewer due than it
    could take or the turn has used its ``ALERTS_EVERY``: a burst (one sweep turning hundreds of
    cases due soon at once) then goes out in this turn instead of one batch per turn, and a stop
    (SIGTERM waits for running jobs) is never held up for longer than that."""
    from yuqing.alerts.deliver import deliver_due

    started = time.monotonic()
    sent = failed = 0
    while True:
        report = deliver_due(
            app.sessions,
            app.settings.alerts,
            app.clock(),
            limit=ALERT_BATCH,
            user_agent=app.settings.http.user_agent,
            tz=app.tz,
        )
        sent, failed = sent + report.sent, failed + report.failed
        # a delivery taken is either sent or backed off, so each batch takes new ones
        taken = report.sent + report.failed
        if taken < ALERT_BATCH or time.monotonic() - started >= ALERTS_EVERY.total_seconds():
            break
    if sent or failed:
        log.info("alerts: %d sent, %d failed, %d pending", sent, failed, report.pending)


def digest(app: App) -> None:
    from yuqing.digest import write_digest

    paths = write_digest(app, app.clock().astimezone(app.tz).date())
    log.info("daily digest: %s", ", ".join(str(p) for p in paths))


def weekly_report(app: App) -> None:
    from yuqing.digest import write_weekly_report

    today = app.clock().astimezone(app.tz).date()
    paths = write_weekly_report(app, today - timedelta(days=7), today - timedelta(days=1))
    log.info("weekly supervision report: %s", ", ".join(str(p) for p in paths))


#: a job that meets a locked or unreachable database tries again after these pauses; every job
#: reads its work from the database and is safe to run again (unique keys, idempotent sweeps)
DB_RETRY_PAUSES_S: tuple[float, ...] = (2.0, 5.0, 10.0)


def _guarded(job: Callable[..., None], name: str) -> Callable[..., None]:
    """A job that retries while the database is locked or unreachable, saying so in one log
    line each time, and logs any other failure instead of dying: the next run tries again."""

    def run(app: App, *args: Any) -> None:
        attempts = len(DB_RETRY_PAUSES_S) + 1
        for attempt in range(1, attempts + 1):
            try:
                job(app, *args)
                return
            except (OperationalError, DatabaseUnavailable) as exc:
                reason = _first_line(exc)
                if attempt == attempts:
                    log.error(
                        "job %s: database still locked or unreachable after %d attempts (%s); "
                        "it runs again at its next time",
                        name,
                        attempts,
                        reason,
                    )
                    return
                pause = DB_RETRY_PAUSES_S[attempt - 1]
                log.warning(
                    "job %s: database locked or unreachable (%s); retrying in %g s "
                    "(attempt %d of %d)",
                    name,
                    reason,
                    pause,
                    attempt,
                    attempts,
                )
                time.sleep(pause)
            except Exception:
                log.exception("job %s failed; it runs again at its next time", name)
                return

    run.__name__ = name
    return run


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0][:200]


def build_scheduler(app: App, every_minutes: int = 15) -> BlockingScheduler:
    if every_minutes < 1:
        raise ValueError("--every must be at least 1 minute")
    scheduler = BlockingScheduler(
        timezone=app.tz,
        executors={"default": ThreadPoolExecutor(THREADS)},
        job_defaults=COMMON,
    )
    now = app.clock()
    default = timedelta(minutes=every_minutes)
    scheduler.add_job(
        _guarded(sync_jobs, "sources"),
        IntervalTrigger(seconds=SOURCES_EVERY.total_seconds()),
        args=[app, scheduler, default],
        id="sources",
        name="sources",
        next_run_time=now,
        **COMMON,
    )
    for job_id, func, every in (
        ("triage", triage, TRIAGE_EVERY),
        ("sweep", sweep, SWEEP_EVERY),
        ("alerts", deliver, ALERTS_EVERY),
    ):
        scheduler.add_job(
            _guarded(func, job_id),
            IntervalTrigger(seconds=every.total_seconds()),
            args=[app],
            id=job_id,
            name=job_id,
            next_run_time=now + timedelta(seconds=5),
            **COMMON,
        )
    scheduler.add_job(
        _guarded(digest, "digest"),
        CronTrigger(**DIGEST_AT, timezone=app.tz),
        args=[app],
        id="digest",
        name="digest",
        **COMMON,
    )
    scheduler.add_job(
        _guarded(weekly_report, "report"),
        CronTrigger(**REPORT_AT, timezone=app.tz),
        args=[app],
        id="report",
        name="report",
        **COMMON,
    )
    sync_jobs(app, scheduler, default)
    return scheduler


def sync_jobs(app: App, scheduler: BlockingScheduler, default: timedelta) -> None:
    """Read the sources file, then give every enabled source its job at its interval: new
    sources start at once, a changed interval is re-timed, a disabled or removed source's job
    goes."""
    jobs.sync_sources_file(app)
    with app.sessions() as session:
        wanted = {
            f"source:{s.id}": (s.id, s.name, _interval(s.every, default))
            for s in session.scalars(select(Source).where(Source.enabled.is_(True)))
        }
    for job in scheduler.get_jobs():
        if job.id.startswith("source:") and job.id not in wanted:
            _remove(scheduler, job.id)
    for job_id, (source_id, name, every) in wanted.items():
        job = scheduler.get_job(job_id)
        if job is not None and job.trigger.interval == every:
            continue
        if job is not None:
            _remove(scheduler, job_id)
        scheduler.add_job(
            _guarded(fetch_source, f"source {name}"),
            IntervalTrigger(seconds=every.total_seconds()),
            args=[app, source_id],
            id=job_id,
            name=f"source {name}",
            next_run_time=app.clock(),
            # a late turn of a source is still worth taking, up to one interval late
            **{**COMMON, "misfire_grace_time": int(max(GRACE_S, every.total_seconds()))},
        )


def _interval(every: str, default: timedelta) -> timedelta:
    try:
        seconds = interval_seconds(every)
    except ValueError:
        seconds = None  # checked when the source was added; never stop the scheduler on it
    return timedelta(seconds=seconds) if seconds else default


def _remove(scheduler: BlockingScheduler, job_id: str) -> None:
    try:
        scheduler.remove_job(job_id)
    except JobLookupError:
        pass


def warm_up(app: App) -> None:
    """Load what the jobs will need before the first of them runs: the model in use with its
    table of terms for explanations, jieba's dictionary and the routing rules (together some
    90 MB, otherwise loaded by the first posts this process classifies, minutes or hours after
    the start). The scheduler is then at its working size from the start, and a model that
    cannot be loaded is reported at once rather than by a job."""
    from yuqing.models import registry
    from yuqing.models.tokenize import words
    from yuqing.triage.responsibility import default_rules

    if registry.current_version(app.settings.models_dir) is None:
        log.warning("no model yet: triage waits until one is trained (yuqing init, yuqing train)")
    else:
        classifier, version = app.model()
        classifier.prepare()
        log.info("model %s loaded", version)
    words("预热分词词典")
    default_rules()  # the organisation directory and the division index, for triage and sweep
    # made here, before the job threads that share it: cached_property takes no lock
    # (Python 3.12 on), and two first turns at once could each make a client
    app.http  # noqa: B018


def run_scheduler(app: App, every_minutes: int = 15) -> None:
    """Run until SIGTERM or Ctrl-C; refuses to start while another scheduler holds the store
    (``singleton.AlreadyRunning``)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    # A line per HTTP request and two per job run (200 sources every 10 s: some sixty lines a
    # second) would bury what an operator looks for; their warnings and errors still show.
    for noisy in ("httpx", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    limit_arenas()  # before any job thread starts (yuqing.memory says why)
    with scheduler_lock(app.engine):
        warm_up(app)
        scheduler = build_scheduler(app, every_minutes)

        def stop(signum: int, frame: Any) -> None:
            log.info("signal %d: finishing the running jobs, then stopping", signum)
            scheduler.shutdown(wait=True)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        log.info("scheduler started: %d jobs", len(scheduler.get_jobs()))
        scheduler.start()
        log.info("scheduler stopped")
