"""Wiring: the settings, the database and the clock, built once per process and passed down."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from zoneinfo import ZoneInfo

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

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return session_factory(self.engine)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.display_tz)

    def ready(self) -> App:
        """Check that the schema is current before any job touches the data."""
        check_schema(self.engine)
        return self

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
