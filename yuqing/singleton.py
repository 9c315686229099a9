"""One scheduler per store.

Two schedulers against one store would run every job twice: two crawls of a source, two
deliveries of an alert. ``scheduler_lock`` takes a lock that lives exactly as long as the
process holding it, so a crash or ``kill -9`` frees it without anyone cleaning up:

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a connection kept
  open for the scheduler's life;
- SQLite: an exclusive ``flock`` on a lock file beside the database file.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

#: the advisory lock's key: any fixed 64-bit number, the same for every yuqing scheduler
ADVISORY_KEY = 0x79757169_6E67  # "yuqing"


class AlreadyRunning(RuntimeError):
    """Another scheduler holds the store; the message says which and how to find it."""


def lock_path(database_url: str) -> Path:
    database = make_url(database_url).database or ""
    if not database or database == ":memory:":
        raise AlreadyRunning("an in-memory SQLite store cannot be shared: use a database file")
    return Path(database).with_name(Path(database).name + ".scheduler.lock")


@contextmanager
def scheduler_lock(engine: Engine) -> Iterator[None]:
    """Hold the store's scheduler lock for the ``with`` block; raise :class:`AlreadyRunning`
    when another process holds it."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY})
            if not got.scalar():
                raise AlreadyRunning(
                    "another yuqing scheduler is running against this PostgreSQL database "
                    f"(advisory lock {ADVISORY_KEY} is held; see pg_locks): stop it first"
                )
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
                conn.commit()
        return
    path = lock_path(str(engine.url))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise AlreadyRunning(
                f"another yuqing scheduler (pid {holder}) is running against this store "
                f"(lock file {path}): stop it first"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
