from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import StatementError

from yuqing.storage.db import SQLITE_CACHE_KIB, check_schema, downgrade, make_engine, upgrade
from yuqing.storage.errors import DatabaseUnavailable, SchemaOutOfDate
from yuqing.storage.schema import Base, Case, CaseEvent, Source

NOW = datetime(2026, 11, 27, 8, 30, tzinfo=UTC)


def test_migrations_build_exactly_the_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    assert diff == []
    check_schema(engine)


def test_downgrade_to_base_and_back(engine):
    downgrade(engine, "base")
    assert "posts" not in inspect(engine).get_table_names()
    with pytest.raises(SchemaOutOfDate, match="yuqing db upgrade"):
        check_schema(engine)
    upgrade(engine)
    assert {"sources", "posts", "classifications", "cases", "case_events"} <= set(
        inspect(engine).get_table_names()
    )


def test_times_round_trip_as_aware_utc(sessions):
    beijing = timezone(timedelta(hours=8))
    with sessions.begin() as s:
        s.add(
            Source(
                name="n",
                url="http://127.0.0.1/x",
                created_at=datetime(2026, 1, 1, 9, tzinfo=beijing),
            )
        )
    with sessions() as s:
        created = s.scalar(select(Source.created_at))
    assert created == datetime(2026, 1, 1, 1, tzinfo=UTC)
    assert created.tzinfo is not None and created.utcoffset() == timedelta(0)


def test_naive_times_are_refused(sessions):
    with pytest.raises(StatementError, match="naive datetime"), sessions.begin() as s:
        s.add(Source(name="n", url="http://127.0.0.1/x", created_at=datetime(2026, 1, 1)))
        s.flush()


def test_case_events_keep_json_detail_in_chinese(sessions):
    from yuqing.storage.schema import Post

    with sessions.begin() as s:
        src = Source(name="n", url="http://127.0.0.1/x", created_at=NOW)
        post = Post(
            source=src,
            canonical_url="http://127.0.0.1/p",
            title="t",
            text="正文",
            original_text="正文",
            fetched_at=NOW,
            content_hash="h" * 64,
        )
        case = Case(
            post=post,
            category="emergency",
            severity="重大",
            opened_at=NOW,
            surfaced_at=NOW,
            due_at=NOW + timedelta(hours=24),
            response_form="press_conference",
            status="open",
            responsible_party="应急管理局",
            coordinator="",
            referral="",
            routing_reasons=["伤亡达到重大标准"],
            model_version="v1",
            updated_at=NOW,
        )
        s.add(
            CaseEvent(case=case, at=NOW, actor="triage", action="opened", detail={"说明": "首次"})
        )
    with sessions() as s:
        event = s.scalar(select(CaseEvent))
        assert event.detail == {"说明": "首次"}
        assert event.case.routing_reasons == ["伤亡达到重大标准"]


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'deep' / 'dir' / 'y.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA cache_size")).scalar() == -SQLITE_CACHE_KIB
    engine.dispose()


def test_unreachable_database_is_named_without_password():
    engine = make_engine("postgresql+psycopg://u:secret@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(DatabaseUnavailable) as info:
        check_schema(engine)
    assert "127.0.0.1:1" in str(info.value)
    assert "secret" not in str(info.value)
