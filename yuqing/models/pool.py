"""Classifying in worker processes, for large runs.

Each worker holds the model: forked workers inherit the one already loaded, others load it from
the registry once (see :mod:`yuqing.workers`). The same workers can take other CPU-bound tasks
(the ingest job hands them feeds to parse), so one pool serves a whole cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
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
    """``submit(texts)`` → a future of the model's predictions, computed in another process;
    ``executor`` is the pool itself, for other tasks."""

    def __init__(
        self,
        classifier: Any,
        models_dir: Path,
        version: str,
        workers: int,
        preload: Sequence[str] = (),
    ) -> None:
        global _model
        _model = classifier  # what forked workers inherit
        self.executor: ProcessPoolExecutor
        self.executor, _ = process_pool(
            workers,
            preload=["yuqing.models.classifier", "yuqing.models.registry", *preload],
            initializer=_load,
            initargs=(str(models_dir), version),
        )

    def submit(self, texts: Sequence[str]) -> Future[list[Any]]:
        return self.executor.submit(_predict, list(texts))

    def __enter__(self) -> PredictorPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
