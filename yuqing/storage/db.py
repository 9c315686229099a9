"""Engines, sessions and migrations.

SQLite is the embedded default: WAL so that a reader (the queue) never blocks the writer (ingest),
a busy timeout so that two processes wait for each other instead of failing, and foreign keys on.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from yuqing.storage.errors import DatabaseUnavailable, SchemaOutOfDate

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported where migrations run, not here: it pulls in Mako and Pygments (a tenth of
# a second), which every crawl child process would pay at start-up without ever migrating.

SQLITE_BUSY_TIMEOUT_MS = 10_000
#: each connection's page cache, in KiB. SQLite's own default is 2,000; a pooled connection
#: holds its cache for as long as the process runs and fills it as the store grows, so the
#: scheduler's resident size crept up by up to 2 MB per pooled connection (bench/soak.py).
#: The file's pages stay in the operating system's cache, so a page this one drops costs a read
#: from memory, not from disk: halving it left bench/ingest.py's rate where it was.
SQLITE_CACHE_KIB = 1024


def safe_url(url: str) -> str:
    """The URL with any password hidden, fit for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; for SQLite, creates the parent directory and sets the pragmas."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUnavailable(f"bad database URL {url!r}: {exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in ("", "psycopg2"):
        # psycopg 3 is the driver this project ships with.
        parsed = parsed.set(drivername="postgresql+psycopg")
    kwargs.setdefault("pool_pre_ping", True)
    try:
        return create_engine(parsed, **kwargs)
    except Exception as exc:  # a missing driver or bad option: say which database
        raise DatabaseUnavailable(f"cannot use database {safe_url(url)}: {exc}") from exc


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL makes NORMAL durable against application crashes; only power loss can drop the tail.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")  # negative: KiB, not pages
    cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with sessions() as session, session.begin():
        yield session


def _alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    location = resources.files("yuqing.storage") / "migrations"
    cfg.set_main_option("script_location", str(location))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (``yuqing db upgrade``)."""
    from alembic import command

    try:
        command.upgrade(_alembic_config(engine), revision)
    except OperationalError as exc:
        raise DatabaseUnavailable(
            f"cannot open database {safe_url(str(engine.url))}: {exc.orig}"
        ) from exc


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    command.downgrade(_alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(
        _alembic_config(create_engine("sqlite://"))
    ).get_current_head()


def check_schema(engine: Engine) -> None:
    """Raise :class:`SchemaOutOfDate` unless the database is at the latest migration."""
    try:
        current = current_revision(engine)
    except OperationalError as exc:
        raise DatabaseUnavailable(
            f"cannot open database {safe_url(str(engine.url))}: {exc.orig}"
        ) from exc
    head = head_revision()
    if current != head:
        raise SchemaOutOfDate(
            f"database {safe_url(str(engine.url))} is at revision {current or 'none'}, "
            f"the code expects {head}: run `yuqing db upgrade` (or `yuqing init`)"
        )
