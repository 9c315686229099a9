from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from yuqing.crawlers.sources import SourceSpec
from yuqing.storage.posts import NewPost, store_posts, untriaged
from yuqing.storage.schema import Classification, Post
from yuqing.storage.sources import add_source

NOW = datetime(2026, 11, 27, 8, 30, tzinfo=UTC)


def post(n: int, *, url: str | None = None, digest: str | None = None) -> NewPost:
    return NewPost(
        canonical_url=url or f"http://127.0.0.1/p/{n}",
        guid=None,
        title=f"标题{n}",
        text=f"正文{n}",
        original_text=f"正文{n}",
        author=None,
        published_at=NOW - timedelta(hours=n),
        content_hash=digest or f"{n:064d}",
    )


def make_source(session, name="s"):
    return add_source(session, SourceSpec(name=name, url=f"http://127.0.0.1/{name}.rss"), NOW)


def count(sessions) -> int:
    with sessions() as s:
        return s.scalar(select(func.count(Post.id)))


def test_a_post_is_stored_once_by_url_or_by_content(sessions):
    with sessions.begin() as s:
        src = make_source(s)
        first = store_posts(s, src.id, [post(1), post(2)], NOW)
    assert (first.inserted, first.duplicates) == (2, 0)
    with sessions.begin() as s:
        again = store_posts(
            s,
            src.id,
            [
                post(1),  # same everything
                post(3, url="http://127.0.0.1/p/2"),  # same URL, new text
                post(4, digest=f"{1:064d}"),  # new URL, same content
                post(5),  # new
                post(5),  # repeated within the batch
            ],
            NOW,
        )
    assert (again.inserted, again.duplicates) == (1, 4)
    assert count(sessions) == 3


def test_a_large_batch_deduplicates_across_lookup_chunks(sessions):
    batch = [post(n) for n in range(1200)]
    with sessions.begin() as s:
        src = make_source(s)
        assert store_posts(s, src.id, batch[:700], NOW).inserted == 700
    with sessions.begin() as s:
        result = store_posts(s, src.id, batch, NOW)
    assert (result.inserted, result.duplicates) == (500, 700)
    assert count(sessions) == 1200


def test_untriaged_and_retriage_by_model_version(sessions):
    with sessions.begin() as s:
        src = make_source(s)
        store_posts(s, src.id, [post(1), post(2)], NOW)
        store_posts(s, src.id, [post(3)], NOW - timedelta(days=10))
        first = s.scalar(select(Post).where(Post.canonical_url.endswith("/1")))
        s.add(
            Classification(
                post=first,
                label="emergency",
                score=0.9,
                flagged=True,
                model_version="v1",
                reasons=[],
                classified_at=NOW,
            )
        )
    with sessions() as s:
        fresh = [p.title for p in s.scalars(untriaged("v1"))]
        assert fresh == ["标题2", "标题3"]
        # After a new model: everything fetched in the last week that v2 has not seen.
        recent = [p.title for p in s.scalars(untriaged("v2", since=NOW - timedelta(days=7)))]
        assert recent == ["标题1", "标题2"]
        assert [p.title for p in s.scalars(untriaged("v1", since=NOW - timedelta(days=7)))] == [
            "标题2"
        ]
