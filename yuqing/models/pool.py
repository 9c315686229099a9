"""Classifying in worker processes, for large triage runs (a re-triage after a new model).

Each worker holds the model: forked workers inherit the one already loaded, others load it from
the registry once (see :mod:`yuqing.workers`).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path
from types import TracebackType
from typing import Any

from yuqing.models import registry
from yuqing.workers import process_pool

_model: Any = None


def _load(models_dir: str, version: str) -> None:
    global _model
    _model, _ = registry.load(Path(models_dir), version)


def _predict(texts: list[str]) -> list[Any]:
    return _model.predict(texts)


class PredictorPool:
    """``submit(texts)`` → a future of the model's predictions, computed in another process."""

    def __init__(self, classifier: Any, models_dir: Path, version: str, workers: int) -> None:
        global _model
        _model = classifier  # what forked workers inherit
        self._pool, _ = process_pool(
            workers,
            preload=["yuqing.models.classifier", "yuqing.models.registry"],
            initializer=_load,
            initargs=(str(models_dir), version),
        )

    def submit(self, texts: Sequence[str]) -> Future[list[Any]]:
        return self._pool.submit(_predict, list(texts))

    def __enter__(self) -> PredictorPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
