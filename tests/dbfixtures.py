"""Real databases for tests: SQLite in a temporary directory, and PostgreSQL at 127.0.0.1:5432.

Each PostgreSQL test gets a schema of its own (dropped afterwards), so tests never see each
other's rows and parallel runs do not collide. Where no server answers, the PostgreSQL variants
skip with the reason, unless ``YUQING_REQUIRE_POSTGRES=1`` (set by ``.ci/run``) makes that a
failure: CI must never pass by skipping them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from yuqing.storage.db import make_engine, session_factory, upgrade

POSTGRES_URL = os.environ.get(
    "YUQING_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_schema() -> Iterator[str]:
    try:
        admin = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except OperationalError as exc:
        reason = f"PostgreSQL at {POSTGRES_URL} is not reachable: {exc.orig}"
        if os.environ.get("YUQING_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason + " (YUQING_REQUIRE_POSTGRES=1)")
        pytest.skip(reason)
    schema = f"yq_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A migrated, empty database URL, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'yuqing.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    for schema in _postgres_schema():
        url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url


@pytest.fixture
def engine(db_url: str):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine):
    return session_factory(engine)
