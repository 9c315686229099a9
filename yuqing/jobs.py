"""The jobs, each callable by hand (``cli.py``) or on a schedule (``scheduler.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from yuqing.app import App
from yuqing.crawlers.crawl import CrawlReport, crawl_in_subprocess
from yuqing.crawlers.errors import TEMPORARY, CrawlProcessFailed
from yuqing.crawlers.health import is_due
from yuqing.crawlers.ingest import PARSE_POOL_MIN_SOURCES, SourceReport, due_sources, ingest
from yuqing.crawlers.sources import FEED, SourceSpec, load_sources_file
from yuqing.models import registry
from yuqing.models.classifier import train
from yuqing.models.corpus import load_seed, split_held_out
from yuqing.models.evaluate import evaluate
from yuqing.models.pool import PredictorPool
from yuqing.storage.db import transaction, upgrade
from yuqing.storage.schema import Case, Source
from yuqing.storage.sources import sync_sources
from yuqing.triage.cases import AWAITING
from yuqing.triage.events import prune_index
from yuqing.triage.responsibility import default_rules
from yuqing.triage.run import TriageReport, TriageRun, count_pending, triage
from yuqing.triage.sweep import SweepReport, sweep
from yuqing.workers import cpu_workers


def init_store(app: App) -> None:
    app.settings.home.mkdir(parents=True, exist_ok=True)
    upgrade(app.engine)


def ensure_model(app: App) -> tuple[str, bool]:
    """The version in use, training the default model from the seed corpus if there is none.
    Returns (version, trained_now)."""
    current = registry.current_version(app.settings.models_dir)
    if current is not None:
        return current, False
    # Trained without the held-out share, so that `yuqing evaluate` compares every version on
    # posts none of them has seen.
    training, held_out = split_held_out(load_seed())
    classifier = train(training)
    metrics = evaluate(classifier, held_out).as_dict()
    version = registry.save(
        classifier, app.settings.models_dir, now=app.clock(), name="seed", metrics=metrics
    )
    registry.set_current(app.settings.models_dir, version)
    return version, True


def add_sources(app: App, specs: list[SourceSpec]) -> tuple[int, int]:
    with transaction(app.sessions) as session:
        return sync_sources(session, specs, app.clock())


def sync_sources_file(app: App) -> tuple[int, int] | None:
    """Load the sources file when there is one; None when there is none."""
    path = app.settings.sources_file
    if not path.exists():
        return None
    return add_sources(app, load_sources_file(path))


def run_ingest(app: App, names: list[str] | None = None, force: bool = False) -> list[SourceReport]:
    return list(ingest(app.sessions, app.settings.http, app.clock, names, force, client=app.http))


#: below this many posts, starting worker processes costs more than it saves
POOL_MIN_POSTS = 2000


def _pool_worthwhile(pending_posts: int, sources: int = 0) -> bool:
    return cpu_workers() > 1 and (
        pending_posts >= POOL_MIN_POSTS or sources >= PARSE_POOL_MIN_SOURCES
    )


def run_triage(app: App, since: datetime | None = None) -> TriageReport:
    classifier, version = app.model()
    rules = default_rules()
    channels = app.settings.alerts.channels
    if not _pool_worthwhile(count_pending(app.sessions, version, since)):
        return triage(app.sessions, classifier, version, rules, app.clock, since, channels=channels)
    workers = cpu_workers()
    with PredictorPool(classifier, app.settings.models_dir, version, workers) as pool:
        return triage(
            app.sessions,
            classifier,
            version,
            rules,
            app.clock,
            since,
            pool=pool,
            depth=2 * workers,
            channels=channels,
        )


def ingest_and_triage(
    app: App, names: list[str] | None = None, force: bool = False
) -> tuple[list[SourceReport], TriageReport]:
    """Ingest, and triage what is stored while the rest is still being fetched: the two stages
    still talk only through the database, but share one pool of worker processes (parsing
    feeds, classifying posts) so that both cores stay busy."""
    classifier, version = app.model()
    rules = default_rules()
    with app.sessions() as session:
        sources = len(due_sources(session, app.clock(), names, force))
    pending = count_pending(app.sessions, version, None)
    if not _pool_worthwhile(pending, sources):
        reports = run_ingest(app, names, force)
        return reports, triage(
            app.sessions,
            classifier,
            version,
            rules,
            app.clock,
            channels=app.settings.alerts.channels,
        )
    workers = cpu_workers()
    with PredictorPool(
        classifier, app.settings.models_dir, version, workers, preload=["yuqing.crawlers.ingest"]
    ) as pool:
        run = TriageRun(
            app.sessions,
            classifier,
            version,
            rules,
            app.clock,
            pool=pool,
            depth=2 * workers,
            channels=app.settings.alerts.channels,
        )
        reports = []
        waiting = 0  # posts stored since triage last looked: look only once a batch is there
        for report in ingest(
            app.sessions,
            app.settings.http,
            app.clock,
            names,
            force,
            parsers=pool.executor,
            client=app.http,
        ):
            reports.append(report)
            waiting += report.new_posts
            # submit() is True when the workers had no room left: try again after the next source
            if waiting >= run.batch_size and not run.submit(full_batches_only=True):
                waiting = 0
            run.store_ready()
        return reports, run.finish()


def run_crawls(
    app: App, names: list[str] | None = None, timeout_s: float | None = None
) -> list[CrawlReport]:
    """Crawl the named sources, else every due source that is not a feed, one child process
    each (Twisted's reactor cannot restart, so a long-lived process never crawls itself), each
    ended after ``timeout_s`` (default: the ``crawl_time_limit`` setting)."""
    timeout_s = app.settings.crawl_time_limit_s if timeout_s is None else timeout_s
    if names is None:
        with app.sessions() as session:
            now = app.clock()
            names = [
                s.name
                for s in session.scalars(select(Source).where(Source.kind != FEED))
                if is_due(s.next_attempt_at, s.enabled, now)
            ]
    reports = []
    for name in names:
        try:
            report = crawl_in_subprocess(
                app.settings.database_url, name, timeout_s, now=app.clock()
            )
        except CrawlProcessFailed as exc:
            # Recorded on the source already; the other sources of the run still get crawled.
            report = CrawlReport(name, "failed", error=str(exc), error_kind=TEMPORARY)
        reports.append(report)
    return reports


def count_waiting(app: App) -> int:
    """Cases waiting for a response (what the sweep looks at)."""
    with app.sessions() as session:
        return session.scalar(select(func.count(Case.id)).where(Case.status.in_(AWAITING))) or 0


def run_sweep(app: App) -> SweepReport:
    """Bring deadline states up to now (due soon, overdue and escalated, with their alerts),
    and prune the near-duplicate index of posts past its window."""
    now = app.clock()
    with transaction(app.sessions) as session:
        report = sweep(session, now, default_rules(), app.settings.alerts.channels)
    with transaction(app.sessions) as session:
        prune_index(session, now)
    return report


@dataclass(frozen=True)
class CycleReport:
    sources: list[SourceReport]
    crawls: list[CrawlReport]
    triage: TriageReport
    sweep: SweepReport


def main_job(app: App) -> CycleReport:
    """One cycle of the main job: sources file → feeds (triaged as they land) → crawls of the
    other sources → triage of what the crawls stored → deadline sweep."""
    sync_sources_file(app)
    reports, triaged = ingest_and_triage(app)
    crawls = run_crawls(app)
    if crawls:
        more = run_triage(app)
        triaged.add(more)
    return CycleReport(reports, crawls, triaged, run_sweep(app))
