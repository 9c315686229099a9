"""The driver-level bulk insert stores exactly what a SQLAlchemy insert would."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select, text

from yuqing.crawlers.sources import SourceSpec
from yuqing.storage.bulk import insert_many
from yuqing.storage.schema import Classification, Post
from yuqing.storage.sources import add_source

NOW = datetime(2026, 11, 27, 4, 0, 0, 123456, tzinfo=UTC)
BEIJING = timezone(timedelta(hours=8))


def row(n: int) -> dict:
    return {
        "source_id": 1,
        "canonical_url": f"http://127.0.0.1/{n}",
        "guid": None,
        "title": f"标题'); DROP TABLE posts; --{n}",
        "text": "正文",
        "original_text": "正文",
        "author": None,
        "published_at": (NOW - timedelta(hours=n)).astimezone(BEIJING),
        "fetched_at": NOW,
        "content_hash": f"{n:064d}",
    }


def test_rows_read_back_the_same_as_through_sqlalchemy(sessions):
    with sessions.begin() as s:
        add_source(s, SourceSpec("s", "http://127.0.0.1/s.rss"), NOW)
        assert insert_many(s.connection(), Post.__table__, [row(1), row(2)]) == 2
        s.connection().execute(insert(Post.__table__), [row(3)])
    with sessions() as s:
        posts = s.scalars(select(Post).order_by(Post.id)).all()
        raw = s.execute(text("SELECT published_at, fetched_at FROM posts ORDER BY id")).all()
    assert [p.title for p in posts] == [row(n)["title"] for n in (1, 2, 3)]
    assert [p.published_at for p in posts] == [NOW - timedelta(hours=n) for n in (1, 2, 3)]
    assert all(p.fetched_at == NOW for p in posts)
    # the stored form is the column type's own, whichever path wrote it
    assert raw[0][1] == raw[2][1]


def test_conflicts_are_skipped_and_not_counted(sessions):
    with sessions.begin() as s:
        add_source(s, SourceSpec("s", "http://127.0.0.1/s.rss"), NOW)
        insert_many(s.connection(), Post.__table__, [row(1)])
        same_hash = {**row(2), "content_hash": row(1)["content_hash"]}
        rows = [row(1), same_hash, row(3)]
        assert insert_many(s.connection(), Post.__table__, rows, ignore_conflicts=True) == 1


def test_json_and_unknown_columns(sessions):
    with sessions.begin() as s:
        add_source(s, SourceSpec("s", "http://127.0.0.1/s.rss"), NOW)
        insert_many(s.connection(), Post.__table__, [row(1)])
        base = {
            "post_id": 1,
            "score": 0.5,
            "flagged": True,
            "model_version": "v",
            "classified_at": NOW,
        }
        rows = [
            {**base, "label": "rumour", "reasons": ["网传", "紧急扩散"]},
            {**base, "label": "emergency", "reasons": []},
        ]
        insert_many(s.connection(), Classification.__table__, rows)
        with pytest.raises(KeyError):
            insert_many(s.connection(), Classification.__table__, [{**base, "label; --": "x"}])
    with sessions() as s:
        reasons = dict(s.execute(select(Classification.label, Classification.reasons)).all())
    assert reasons == {"rumour": ["网传", "紧急扩散"], "emergency": []}
