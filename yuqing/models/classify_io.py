"""``yuqing classify``: posts in, one JSON-ready result per post out.

Each input line is a post: plain text, or a JSON object with a ``text`` field (any ``id`` is
passed through); a line that starts with ``{`` is read as JSON. Lines are classified in
batches (the classifier is vectorised), and results come out in input order. A line that
cannot be read yields ``{"line": N, "error": "..."}`` and the run goes on; blank lines are
skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from yuqing.models.classifier import Prediction

#: Lines classified together.
BATCH_SIZE = 512
#: Longest post accepted, in characters; longer input is cut (a pasted book is not a post).
MAX_CHARS = 20_000


class Predictor(Protocol):
    def predict(self, texts: list[str]) -> list[Prediction]: ...


def classify_lines(
    classifier: Predictor, lines: Iterable[str], batch_size: int = BATCH_SIZE
) -> Iterator[dict[str, Any]]:
    """Classify ``lines`` (as read from a file or stdin, newlines allowed) one post a line.

    Yields, per non-blank line in order, ``{"labels": [...], "scores": {label: score, ...},
    "reasons": {label: [...]}}`` (plus ``"id"`` when the JSON input had one), or
    ``{"line": N, "error": "line N: ..."}`` for a line that is not a post.
    """
    pending: list[tuple[int, dict[str, Any] | str]] = []  # (line, parsed post or error)
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line:
            continue
        pending.append((number, _read(line, number)))
        if sum(not isinstance(item, str) for _, item in pending) >= batch_size:
            yield from _flush(classifier, pending)
            pending = []
    yield from _flush(classifier, pending)


def _read(line: str, number: int) -> dict[str, Any] | str:
    """The post on one line, or an error message naming the line."""
    if not line.startswith("{"):
        return {"text": line[:MAX_CHARS]}
    try:
        data = json.loads(line)  # a line starting with "{" parses to an object or fails
    except json.JSONDecodeError as exc:
        return f"line {number}: invalid JSON: {exc.msg} (column {exc.colno})"
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        return f"line {number}: field 'text' must be a non-empty string"
    post: dict[str, Any] = {"text": text[:MAX_CHARS]}
    if isinstance(data.get("id"), str | int) and not isinstance(data.get("id"), bool):
        post["id"] = data["id"]
    return post


def _flush(
    classifier: Predictor, pending: list[tuple[int, dict[str, Any] | str]]
) -> Iterator[dict[str, Any]]:
    posts = [item for _, item in pending if not isinstance(item, str)]
    predictions = iter(classifier.predict([post["text"] for post in posts])) if posts else iter(())
    for number, item in pending:
        if isinstance(item, str):
            yield {"line": number, "error": item}
            continue
        prediction = next(predictions)
        result: dict[str, Any] = {"id": item["id"]} if "id" in item else {}
        result.update(
            labels=list(prediction.labels),
            scores=dict(prediction.scores),
            reasons={label: list(r) for label, r in prediction.reasons.items()},
        )
        yield result
