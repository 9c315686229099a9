"""Fixtures shared by every test package: a local HTTP server and fixture-file reading.

Package-specific fixtures (databases, ...) live in that package's own conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.httpserver import LocalHttpServer


@pytest.fixture
def http_server() -> Iterator[LocalHttpServer]:
    """A fresh HTTP/1.1 server on 127.0.0.1 with no routes; stopped after the test."""
    with LocalHttpServer() as server:
        yield server


@pytest.fixture
def read_fixture(request: pytest.FixtureRequest) -> Callable[[str], bytes]:
    """``read_fixture(name)``: the bytes of ``fixtures/<name>`` next to the test module."""
    folder = request.path.parent / "fixtures"

    def read(name: str) -> bytes:
        return (folder / name).read_bytes()

    return read


@pytest.fixture(autouse=True)
def _no_shared_frontier(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's YUQING_REDIS_URL must not turn every crawl test into a shared crawl; the
    scale-out tests set it themselves."""
    monkeypatch.delenv("YUQING_REDIS_URL", raising=False)
