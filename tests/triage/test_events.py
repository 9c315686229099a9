import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from yuqing.crawlers.sources import SourceSpec
from yuqing.storage.posts import NewPost, store_posts
from yuqing.storage.schema import Event, Post, PostSignature
from yuqing.storage.sources import add_source
from yuqing.triage.events import WINDOW, PostToGroup, group_posts, prune_index
from yuqing.triage.heat import event_heat, platform_of
from yuqing.triage.neardup import band_keys, signature

NOW = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)

STORY = (
    "11月26日凌晨，临江县青石镇发生山体滑坡，已造成3人死亡、十余人失联。县应急管理局已启动"
    "应急响应，消防、武警等救援力量正在现场搜救，附近道路已封闭，请过往车辆绕行。"
)
REPOST = "【转发】" + STORY + "愿平安！"
OTHER = "市教育局发布通知，今年秋季学期中小学入学报名将于8月1日开始，家长可通过网上平台提交材料。"
OTHER_REPOST = "扩散周知：" + OTHER


def _source(session, name, url):
    return add_source(session, SourceSpec(name, url, "130624", "临江县", "county"), NOW).id


def store(sessions, source_id, items, fetched=NOW):
    """items: (url, title, text, published) → stored post ids, in order."""
    with sessions.begin() as s:
        posts = [
            NewPost(
                url,
                None,
                title,
                text,
                text,
                None,
                published,
                hashlib.sha256((url + text).encode()).hexdigest(),
            )
            for url, title, text, published in items
        ]
        store_posts(s, source_id, posts, fetched)
    with sessions() as s:
        return [s.scalar(select(Post.id).where(Post.canonical_url == url)) for url, *_ in items]


def group(sessions, ids, now=NOW):
    with sessions.begin() as s:
        rows = s.execute(
            select(Post.id, Post.title, Post.text, Post.fetched_at).where(Post.id.in_(ids))
        )
        posts = [PostToGroup(i, t, x, f) for i, t, x, f in rows]
        return group_posts(s, posts, now)


def test_reposts_across_sources_make_one_event_and_others_their_own(sessions):
    with sessions.begin() as s:
        a = _source(s, "临江发布", "http://127.0.0.1/a.rss")
        b = _source(s, "临江论坛", "http://127.0.0.1/b.rss")
    first = store(sessions, a, [("http://127.0.0.1/a/1", "青石镇山体滑坡", STORY, None)])
    result = group(sessions, first)
    assert result.created == {result.event_of[first[0]]}
    later = store(
        sessions,
        b,
        [
            ("http://127.0.0.1/b/1", "转发：青石镇山体滑坡", REPOST, None),
            ("http://127.0.0.1/b/2", "入学通知", OTHER, None),
            ("http://127.0.0.1/b/3", "扩散", OTHER_REPOST, None),
        ],
    )
    result2 = group(sessions, later)
    story_event = result.event_of[first[0]]
    assert result2.event_of[later[0]] == story_event
    assert "文字相近" in result2.why[later[0]]
    # the school notice and its repost, in the same batch, are one other event
    assert result2.event_of[later[1]] == result2.event_of[later[2]] != story_event
    with sessions() as s:
        assert s.scalar(select(Post.event_id).where(Post.id == later[0])) == story_event
        heat = event_heat(s, [story_event], NOW)[story_event]
    assert (heat.posts, heat.sources, heat.platforms) == (2, 2, 1)


def test_a_post_quoting_a_stored_posts_url_joins_its_event(sessions):
    with sessions.begin() as s:
        a = _source(s, "临江发布", "http://127.0.0.1/a.rss")
    first = store(sessions, a, [("http://127.0.0.1/a/1", "青石镇山体滑坡", STORY, None)])
    event = group(sessions, first).event_of[first[0]]
    quoting = store(
        sessions,
        a,
        [
            (
                "http://127.0.0.1/a/9",
                "评论",
                "大家看这篇报道 http://127.0.0.1/a/1 ，说得很清楚。",
                None,
            )
        ],
    )
    result = group(sessions, quoting)
    assert result.event_of[quoting[0]] == event
    assert "链接" in result.why[quoting[0]]


# three parts of one report: two partial reports share only the middle one
PART1 = "11月26日凌晨，临江县青石镇发生山体滑坡，多间民房被掩埋，县应急管理局已启动应急响应。"
PART2 = "消防、武警、民兵等救援力量三百余人正在现场搜救，附近道路已封闭，请过往车辆绕行。"
PART3 = "县政府已在镇中学设立临时安置点，转移受威胁群众两百余人，并组织专家排查次生灾害隐患。"


def test_a_post_matching_two_events_merges_them_into_the_older(sessions):
    with sessions.begin() as s:
        a = _source(s, "临江发布", "http://127.0.0.1/a.rss")
    one = store(sessions, a, [("http://127.0.0.1/a/1", "滑坡", PART1 + PART2, None)])
    two = store(sessions, a, [("http://127.0.0.1/a/2", "安置", PART2 + PART3, None)])
    e1 = group(sessions, one).event_of[one[0]]
    e2 = group(sessions, two).event_of[two[0]]
    assert e1 != e2  # a third in common is not enough
    # the full report is near both: they were one story
    full = store(sessions, a, [("http://127.0.0.1/a/3", "滑坡", PART1 + PART2 + PART3, None)])
    result = group(sessions, full)
    assert result.merges == [(e2, e1)]
    assert result.event_of[full[0]] == e1
    with sessions() as s:
        assert s.get(Event, e2).merged_into_id == e1
        owners = s.scalars(select(Post.event_id).where(Post.id.in_(one + two + full))).all()
    assert set(owners) == {e1}


def test_events_merge_within_one_batch_too(sessions):
    with sessions.begin() as s:
        a = _source(s, "临江发布", "http://127.0.0.1/a.rss")
    ids = store(
        sessions,
        a,
        [
            ("http://127.0.0.1/a/1", "滑坡", PART1 + PART2, None),
            ("http://127.0.0.1/a/2", "安置", PART2 + PART3, None),
            ("http://127.0.0.1/a/3", "滑坡", PART1 + PART2 + PART3, None),
        ],
    )
    result = group(sessions, ids)
    assert len(result.created) == 1
    assert len({result.event_of[i] for i in ids}) == 1
    with sessions() as s:
        assert s.scalar(select(func.count(Event.id))) == 1


def test_posts_older_than_the_window_are_not_compared(sessions):
    with sessions.begin() as s:
        a = _source(s, "临江发布", "http://127.0.0.1/a.rss")
    old_time = NOW - WINDOW - timedelta(days=1)
    old = store(sessions, a, [("http://127.0.0.1/a/1", "滑坡", STORY, None)], fetched=old_time)
    first = group(sessions, old, now=old_time).event_of[old[0]]
    new = store(sessions, a, [("http://127.0.0.1/a/2", "滑坡", REPOST, None)])
    assert group(sessions, new).event_of[new[0]] != first


def test_heat_counts_growth_windows_from_surfacing_times(sessions):
    with sessions.begin() as s:
        a = _source(s, "临江发布", "http://www.example.cn/a.rss")
        b = _source(s, "临江论坛", "http://m.example.cn/b.rss")
    ids = store(
        sessions,
        a,
        [
            ("http://127.0.0.1/a/1", "滑坡", STORY, NOW - timedelta(hours=30)),
            ("http://127.0.0.1/a/2", "滑坡", REPOST, NOW - timedelta(hours=5)),
        ],
    )
    ids += store(
        sessions, b, [("http://127.0.0.1/b/1", "滑坡", "转：" + STORY, NOW - timedelta(minutes=20))]
    )
    event = group(sessions, ids).event_of[ids[0]]
    with sessions() as s:
        heat = event_heat(s, [event], NOW)[event]
    assert (heat.posts, heat.sources, heat.platforms) == (3, 2, 1)  # one site: example.cn
    assert (heat.last_1h, heat.last_6h, heat.last_24h) == (1, 2, 2)
    assert heat.score > 0
    assert platform_of("https://WWW.Example.cn/x") == "example.cn"


def test_pruning_forgets_signatures_past_the_window_and_keeps_events(sessions):
    with sessions.begin() as s:
        a = _source(s, "临江发布", "http://127.0.0.1/a.rss")
    old_time = NOW - WINDOW - timedelta(hours=1)
    old = store(sessions, a, [("http://127.0.0.1/a/1", "滑坡", STORY, None)], fetched=old_time)
    event = group(sessions, old, now=old_time).event_of[old[0]]
    new = store(sessions, a, [("http://127.0.0.1/a/2", "通知", OTHER, None)])
    group(sessions, new)
    with sessions.begin() as s:
        removed = prune_index(s, NOW)
    assert removed == len(set(band_keys(signature("滑坡\n" + STORY))))
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(PostSignature)) == 1
        assert s.scalar(select(Post.event_id).where(Post.id == old[0])) == event
