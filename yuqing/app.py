"""Wiring: the settings, the database and the clock, built once per process and passed down."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from yuqing.config import Settings
from yuqing.storage.db import check_schema, make_engine, session_factory


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class App:
    settings: Settings
    clock: Callable[[], datetime] = field(default=utc_now)
    _model: tuple[Any, str] | None = field(default=None, init=False, repr=False)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return session_factory(self.engine)

    @cached_property
    def http(self) -> httpx.Client:
        """The process's HTTP client for feed fetches, kept open so that connections and the
        TLS set-up (the CA bundle read into a new context) are reused: the scheduler fetches
        one source at a time, many times a minute. Closed by :meth:`close`."""
        from yuqing.crawlers.fetch import make_client

        return make_client(self.settings.http)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.display_tz)

    def model(self) -> tuple[Any, str]:
        """The model in use and its version, loaded once and kept until another version is
        made current: a scheduler running a cycle every few minutes should not re-read and
        re-audit the model file each time."""
        from yuqing.models import registry

        version = registry.current_version(self.settings.models_dir)
        if self._model is None or self._model[1] != version:
            self._model = registry.load(self.settings.models_dir, version)
        return self._model

    def ready(self) -> App:
        """Check that the schema is current before any job touches the data."""
        check_schema(self.engine)
        return self

    def close(self) -> None:
        if "http" in self.__dict__:
            self.http.close()
        if "engine" in self.__dict__:
            self.engine.dispose()
