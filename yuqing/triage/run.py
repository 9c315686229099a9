"""Triage: classify the posts not yet classified, store every label's score, open cases.

Reads posts from the database and writes back, so it can be re-run after retraining without
re-crawling. Works in batches, each stored in its own transaction: an interruption loses at most
one batch of work and nothing already stored. With a :class:`Submitter` (a pool of worker
processes), the next batches are being classified while the current one is stored.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, insert
from sqlalchemy.orm import Session, sessionmaker

from yuqing.storage.db import transaction
from yuqing.storage.posts import untriaged
from yuqing.storage.schema import Classification, Post
from yuqing.triage.cases import case_inputs, open_cases, plan_case
from yuqing.triage.routing import Directory

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


def post_text(title: str, text: str) -> str:
    """What the classifier reads: the title and the body."""
    return f"{title}\n{text}" if title else text


def count_pending(
    sessions: sessionmaker[Session], model_version: str, since: datetime | None
) -> int:
    query = untriaged(model_version, since).with_only_columns(func.count(Post.id)).order_by(None)
    with sessions() as session:
        return int(session.scalar(query) or 0)


def triage(
    sessions: sessionmaker[Session],
    classifier: Predictor,
    model_version: str,
    directory: Directory,
    now: Callable[[], datetime],
    since: datetime | None = None,
    batch_size: int = BATCH_SIZE,
    pool: Submitter | None = None,
    depth: int = 2,
) -> TriageReport:
    report = TriageReport(model_version)
    inflight: deque[tuple[list[Any], Future[Any] | Sequence[Predicted]]] = deque()
    last_id = 0
    exhausted = False
    while True:
        while not exhausted and len(inflight) < (depth if pool else 1):
            query = untriaged(model_version, since, after_id=last_id).limit(batch_size)
            with sessions() as session:
                batch = session.execute(
                    query.with_only_columns(Post.id, Post.title, Post.text)
                ).all()
            if not batch:
                exhausted = True
                break
            last_id = batch[-1].id
            texts = [post_text(row.title, row.text) for row in batch]
            inflight.append((batch, pool.submit(texts) if pool else classifier.predict(texts)))
        if not inflight:
            return report
        batch, pending = inflight.popleft()
        predictions = pending.result() if isinstance(pending, Future) else pending
        with transaction(sessions) as session:
            _store(session, batch, predictions, model_version, directory, now(), report)


def _store(
    session: Session,
    batch: Sequence[Any],
    predictions: Sequence[Predicted],
    model_version: str,
    directory: Directory,
    now: datetime,
    report: TriageReport,
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
        session.connection().execute(insert(Classification.__table__), rows)
    report.flagged += len(flagged)
    planned = []
    for post in case_inputs(session, list(flagged)):
        prediction = flagged[post.post_id]
        case = plan_case(post, prediction.labels, prediction.scores, model_version, directory, now)
        if case is not None:
            detail = {
                "labels": list(prediction.labels),
                "scores": {k: round(v, 4) for k, v in prediction.scores.items()},
                "model_version": model_version,
                "due_at": case["due_at"].isoformat(),
                "response_form": case["response_form"],
            }
            planned.append((case, detail))
    report.cases_opened += open_cases(session, planned, now)
