"""Triage: classify the posts not yet classified, store every label's score, open cases.

Reads posts from the database and writes back, so it can be re-run after retraining without
re-crawling. Works in batches, each stored in its own transaction: an interruption loses at most
one batch of work and nothing already stored. With a :class:`Submitter` (a pool of worker
processes), the next batches are being classified while the current one is stored.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func
from sqlalchemy.orm import Session, sessionmaker

from yuqing.models.corpus import post_text
from yuqing.storage.bulk import insert_many
from yuqing.storage.db import transaction
from yuqing.storage.posts import untriaged
from yuqing.storage.schema import Classification, Post
from yuqing.triage.deadlines import surfaced_at
from yuqing.triage.event_cases import update_cases
from yuqing.triage.events import PostToGroup, group_posts, post_signatures
from yuqing.triage.responsibility import Rules

BATCH_SIZE = 500


class Predicted(Protocol):
    scores: dict[str, float]
    labels: list[str]
    reasons: dict[str, list[str]]


class Predictor(Protocol):
    def predict(self, texts: Sequence[str]) -> Sequence[Predicted]: ...


class Submitter(Protocol):
    def submit(self, texts: Sequence[str]) -> Future[Any]: ...


@dataclass
class TriageReport:
    model_version: str
    classified: int = 0
    flagged: int = 0
    cases_opened: int = 0
    events_created: int = 0
    #: flagged posts that joined their event's case instead of opening one
    cases_joined: int = 0
    cases_merged: int = 0
    cases_regraded: int = 0
    referrals: int = 0

    def add(self, other: TriageReport) -> None:
        """Fold a later run's counts into this one."""
        for name in (
            "classified",
            "flagged",
            "cases_opened",
            "events_created",
            "cases_joined",
            "cases_merged",
            "cases_regraded",
            "referrals",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def summary(self) -> str:
        return (
            f"{self.flagged} flagged, {self.cases_opened} cases opened, "
            f"{self.cases_joined} posts joined open cases, {self.cases_merged} cases merged, "
            f"{self.cases_regraded} regraded, {self.referrals} referred; "
            f"{self.events_created} new events"
        )


def count_pending(
    sessions: sessionmaker[Session], model_version: str, since: datetime | None
) -> int:
    query = untriaged(model_version, since).with_only_columns(func.count(Post.id)).order_by(None)
    with sessions() as session:
        return int(session.scalar(query) or 0)


class TriageRun:
    """Triage done in steps, so that it can run alongside ingestion in one thread: ``submit``
    queues the posts stored so far for classification, ``store_ready`` stores what has been
    classified, ``finish`` does the rest. Batches go in post-id order and each is stored in its
    own transaction."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        classifier: Predictor,
        model_version: str,
        rules: Rules,
        now: Callable[[], datetime],
        since: datetime | None = None,
        batch_size: int = BATCH_SIZE,
        pool: Submitter | None = None,
        depth: int = 2,
        channels: Sequence[str] = (),
    ) -> None:
        self.channels = tuple(channels)
        self.sessions = sessions
        self.classifier = classifier
        self.rules = rules
        self.now = now
        self.since = since
        self.batch_size = batch_size
        self.pool = pool
        self.depth = depth if pool else 1
        self.report = TriageReport(model_version)
        self._inflight: deque[
            tuple[list[Any], Future[Any] | Sequence[Predicted], Future[Any] | None]
        ] = deque()
        self._last_id = 0

    def submit(self, full_batches_only: bool = False) -> bool:
        """Queue posts for classification while there is room; with ``full_batches_only``
        (more posts are on their way) a short last batch waits. Returns whether any post was
        left unqueued for want of room."""
        version = self.report.model_version
        while len(self._inflight) < self.depth:
            query = untriaged(version, self.since, after_id=self._last_id).limit(self.batch_size)
            with self.sessions() as session:
                batch = session.execute(
                    query.with_only_columns(
                        Post.id,
                        Post.title,
                        Post.text,
                        Post.published_at,
                        Post.fetched_at,
                        Post.event_id,
                    )
                ).all()
            if not batch or (full_batches_only and len(batch) < self.batch_size):
                return False
            self._last_id = batch[-1].id
            texts = [post_text(row.title, row.text) for row in batch]
            pending = self.pool.submit(texts) if self.pool else self.classifier.predict(texts)
            self._inflight.append((batch, pending, self._signatures(batch)))
        return True

    def _signatures(self, batch: Sequence[Any]) -> Future[Any] | None:
        """Near-duplicate signatures of the posts not yet grouped, computed by the pool's
        workers beside the classification when there is a pool (else while storing)."""
        executor = getattr(self.pool, "executor", None)
        if not isinstance(executor, Executor):
            return None
        items = [(row.id, row.title, row.text) for row in batch if row.event_id is None]
        return executor.submit(post_signatures, items)

    def store_ready(self, wait: bool = False) -> None:
        """Store every classified batch at the head of the queue; with ``wait``, wait for the
        oldest one first."""
        while self._inflight:
            batch, pending, signing = self._inflight[0]
            if isinstance(pending, Future):
                if not (wait or (pending.done() and (signing is None or signing.done()))):
                    return
                predictions = pending.result()
            else:
                predictions = pending
            signatures = signing.result() if signing is not None else None
            self._inflight.popleft()
            wait = False
            with transaction(self.sessions) as session:
                _store(
                    session,
                    batch,
                    predictions,
                    self.report.model_version,
                    self.rules,
                    self.now(),
                    self.report,
                    signatures,
                    self.channels,
                )

    def finish(self) -> TriageReport:
        while True:
            self.submit()
            if not self._inflight:
                return self.report
            self.store_ready(wait=True)


def triage(
    sessions: sessionmaker[Session],
    classifier: Predictor,
    model_version: str,
    rules: Rules,
    now: Callable[[], datetime],
    since: datetime | None = None,
    batch_size: int = BATCH_SIZE,
    pool: Submitter | None = None,
    depth: int = 2,
    channels: Sequence[str] = (),
) -> TriageReport:
    """Classify every post not yet classified by ``model_version`` and open its case; alerts
    go to ``channels`` (webhook, email)."""
    run = TriageRun(
        sessions, classifier, model_version, rules, now, since, batch_size, pool, depth, channels
    )
    return run.finish()


def _store(
    session: Session,
    batch: Sequence[Any],
    predictions: Sequence[Predicted],
    model_version: str,
    rules: Rules,
    now: datetime,
    report: TriageReport,
    signatures: Mapping[int, Any] | None = None,
    channels: Sequence[str] = (),
) -> None:
    rows = []
    flagged: dict[int, Predicted] = {}
    for row, prediction in zip(batch, predictions, strict=True):
        report.classified += 1
        for label, score in prediction.scores.items():
            rows.append(
                {
                    "post_id": row.id,
                    "label": label,
                    "score": float(score),
                    "flagged": label in prediction.labels,
                    "model_version": model_version,
                    "reasons": prediction.reasons.get(label, []),
                    "classified_at": now,
                }
            )
        if prediction.labels:
            flagged[row.id] = prediction
    if rows:
        insert_many(session.connection(), Classification.__table__, rows)
    report.flagged += len(flagged)
    grouping = group_posts(
        session,
        [
            PostToGroup(
                row.id,
                row.title,
                row.text,
                surfaced_at(row.published_at, row.fetched_at),
                row.event_id,
            )
            for row in batch
            # Only posts that need a response form events: most posts need none, and each
            # grouped post costs index rows; a repost of a flagged story is flagged too, since
            # the classifier reads the same words.
            if row.id in flagged
        ],
        now,
        signatures,
    )
    report.events_created += len(grouping.created)
    changes = update_cases(session, grouping, flagged, model_version, rules, now, channels)
    report.cases_opened += changes.opened
    report.cases_joined += changes.joined
    report.cases_merged += changes.merged
    report.cases_regraded += changes.regraded
    report.referrals += changes.referred
