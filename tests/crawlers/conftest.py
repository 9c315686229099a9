"""Database fixtures for the ingest tests (the HTTP server comes from tests/conftest.py)."""

from tests.dbfixtures import db_url, engine, sessions  # noqa: F401  (fixtures)
