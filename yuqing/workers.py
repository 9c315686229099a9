"""Worker processes for CPU-bound stages (parsing feeds, classifying posts).

That work is pure Python and holds the GIL, so threads do not spread it over cores. When the
caller runs a single thread, workers are forked: they start at once and share what the parent
has loaded. Otherwise (the scheduler runs jobs in threads) forking would copy locks that other
threads hold, which can deadlock a child, so workers start from a forkserver that has imported
``preload``. Forked workers end with ``os._exit`` (multiprocessing's way), so they never close or
flush the database handles they inherit.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, wait
from typing import Any


def cpu_workers() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _ready() -> None:
    """A no-op the pool runs once per worker, to start them all before any thread exists."""


def process_pool(
    workers: int,
    preload: Sequence[str],
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
) -> tuple[ProcessPoolExecutor, bool]:
    """A started pool, and whether its workers were forked from this process (and so share its
    state) rather than started fresh (and so run ``initializer``)."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
        # Fork every worker now, while this is still the only thread.
        wait([pool.submit(_ready) for _ in range(workers)])
        return pool, True
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(preload))
    pool = ProcessPoolExecutor(
        workers, mp_context=context, initializer=initializer, initargs=initargs
    )
    return pool, False
