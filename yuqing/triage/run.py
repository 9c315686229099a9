"""Triage: classify the posts not yet classified, store every label's score, open cases.

Reads posts from the database and writes back, so it can be re-run after retraining without
re-crawling. Works in batches, each in its own transaction: an interruption loses at most one
batch of work and nothing already stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import insert
from sqlalchemy.orm import Session, selectinload, sessionmaker

from yuqing.storage.db import transaction
from yuqing.storage.posts import untriaged
from yuqing.storage.schema import Classification, Post
from yuqing.triage.cases import open_case
from yuqing.triage.routing import Directory

BATCH_SIZE = 500


class Predicted(Protocol):
    scores: dict[str, float]
    labels: list[str]
    reasons: dict[str, list[str]]


class Predictor(Protocol):
    def predict(self, texts: Sequence[str]) -> Sequence[Predicted]: ...


@dataclass
class TriageReport:
    model_version: str
    classified: int = 0
    flagged: int = 0
    cases_opened: int = 0


def post_text(post: Post) -> str:
    """What the classifier reads: the title and the body."""
    return f"{post.title}\n{post.text}" if post.title else post.text


def triage(
    sessions: sessionmaker[Session],
    classifier: Predictor,
    model_version: str,
    directory: Directory,
    now: Callable[[], datetime],
    since: datetime | None = None,
    batch_size: int = BATCH_SIZE,
) -> TriageReport:
    report = TriageReport(model_version)
    last_id = 0
    while True:
        with transaction(sessions) as session:
            posts = session.scalars(
                untriaged(model_version, since, after_id=last_id)
                .options(selectinload(Post.source))
                .limit(batch_size)
            ).all()
            if not posts:
                return report
            last_id = posts[-1].id
            _triage_batch(session, posts, classifier, model_version, directory, now(), report)


def _triage_batch(
    session: Session,
    posts: Sequence[Post],
    classifier: Predictor,
    model_version: str,
    directory: Directory,
    now: datetime,
    report: TriageReport,
) -> None:
    predictions = classifier.predict([post_text(p) for p in posts])
    rows = []
    for post, prediction in zip(posts, predictions, strict=True):
        for label, score in prediction.scores.items():
            rows.append(
                {
                    "post_id": post.id,
                    "label": label,
                    "score": float(score),
                    "flagged": label in prediction.labels,
                    "model_version": model_version,
                    "reasons": prediction.reasons.get(label, []),
                    "classified_at": now,
                }
            )
        report.classified += 1
        if prediction.labels:
            report.flagged += 1
            case = open_case(
                session, post, prediction.labels, prediction.scores, model_version, directory, now
            )
            report.cases_opened += case is not None
    if rows:
        session.execute(insert(Classification), rows)
