from datetime import UTC, datetime

import pytest

from yuqing.crawlers.sources import SourceSpec
from yuqing.storage.errors import DuplicateSource, NotFound
from yuqing.storage.posts import NewPost, store_posts
from yuqing.storage.sources import add_source, get_source, list_sources, sync_sources

NOW = datetime(2026, 11, 27, 8, 30, tzinfo=UTC)
BOARD = SourceSpec(
    "湖南省领导留言板", "http://127.0.0.1/board.rss", "430000", "湖南省", "provincial"
)


def test_add_refuses_a_taken_name_or_url(sessions):
    with sessions.begin() as s:
        add_source(s, BOARD, NOW)
    with pytest.raises(DuplicateSource, match="name"), sessions.begin() as s:
        add_source(s, SourceSpec(BOARD.name, "http://127.0.0.1/other.rss"), NOW)
    with pytest.raises(DuplicateSource, match="URL"), sessions.begin() as s:
        add_source(s, SourceSpec("另一个", BOARD.url), NOW)


def test_sync_adds_updates_and_never_deletes(sessions):
    with sessions.begin() as s:
        assert sync_sources(s, [BOARD, SourceSpec("b", "http://127.0.0.1/b.rss")], NOW) == (2, 0)
    moved = SourceSpec(
        BOARD.name, "http://127.0.0.1:8080/board.rss", "430100", "长沙市", "municipal"
    )
    with sessions.begin() as s:
        assert sync_sources(s, [moved], NOW) == (0, 1)
    with sessions() as s:
        board = get_source(s, BOARD.name)
        assert (board.url, board.region_name, board.level) == (moved.url, "长沙市", "municipal")
        assert len(list_sources(s)) == 2


def test_list_counts_posts_per_source(sessions):
    with sessions.begin() as s:
        src = add_source(s, BOARD, NOW)
        add_source(s, SourceSpec("空", "http://127.0.0.1/empty.rss"), NOW)
        store_posts(
            s,
            src.id,
            [
                NewPost(
                    f"http://127.0.0.1/{i}", None, "t", f"x{i}", f"x{i}", None, None, str(i) * 64
                )
                for i in range(3)
            ],
            NOW,
        )
    with sessions() as s:
        assert {r.source.name: r.posts for r in list_sources(s)} == {BOARD.name: 3, "空": 0}


def test_unknown_source_lists_the_known_ones(sessions):
    with sessions.begin() as s:
        add_source(s, BOARD, NOW)
    with pytest.raises(NotFound, match="湖南省领导留言板"), sessions() as s:
        get_source(s, "nope")


def test_enabling_a_source_forgets_its_failures(sessions):
    from yuqing.storage.sources import set_enabled

    with sessions.begin() as s:
        source = add_source(s, BOARD, NOW)
        source.enabled, source.consecutive_failures, source.next_attempt_at = False, 7, NOW
    with sessions.begin() as s:
        set_enabled(s, BOARD.name, True)
    with sessions() as s:
        source = get_source(s, BOARD.name)
        assert (source.enabled, source.consecutive_failures, source.next_attempt_at) == (
            True,
            0,
            None,
        )
