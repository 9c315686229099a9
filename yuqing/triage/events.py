"""Grouping posts into events: one event per story across sources.

A post joins the event of a stored post when their texts are near duplicates (``neardup``), or
when it quotes that post's URL. A post that matches posts of two events shows that they are
one story: the younger event is merged into the older, which takes its posts (the caller then
merges their cases, see ``cases.merge_cases``). Only posts seen within ``WINDOW`` are compared,
which bounds the index and keeps a years-old story from swallowing this week's news.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from yuqing.crawlers.urls import canonicalize_url
from yuqing.storage.bulk import insert_many
from yuqing.storage.schema import Event, Post, PostSignature, SignatureBand
from yuqing.triage.neardup import Signature, band_keys, likeness, signature

#: how far back a new post is compared with stored ones
WINDOW = timedelta(days=14)
#: at most this many stored posts are compared with one new post, those sharing most bands first
MAX_CANDIDATES = 50
#: values per SQL ``IN (…)`` list: well under SQLite's and PostgreSQL's parameter limits
CHUNK = 900

_URL = re.compile(r"https?://[^\s\"'<>，。；、）)】]+")


@dataclass(frozen=True)
class PostToGroup:
    id: int
    title: str
    text: str
    seen_at: datetime
    #: set when the post was grouped before (re-triage with a new model): it keeps its event
    event_id: int | None = None


@dataclass
class Grouping:
    """What grouping a batch did."""

    #: post id → its event id
    event_of: dict[int, int] = field(default_factory=dict)
    #: events created for this batch
    created: set[int] = field(default_factory=set)
    #: events that gained posts (created ones included)
    touched: set[int] = field(default_factory=set)
    #: (absorbed event, surviving event), in the order they happened
    merges: list[tuple[int, int]] = field(default_factory=list)
    #: post id → why it joined its event, in words (absent for a post that started one)
    why: dict[int, str] = field(default_factory=dict)
    #: posts that already had an event (re-triaged): not new to it
    known: set[int] = field(default_factory=set)


def group_posts(session: Session, posts: Sequence[PostToGroup], now: datetime) -> Grouping:
    """Give every post in ``posts`` an event, creating and merging events as needed, and index
    their signatures for later posts. Posts are taken in id order."""
    result = Grouping()
    stored = _Stored(session, now - WINDOW)
    for post in posts:
        if post.event_id is not None:
            result.event_of[post.id] = stored.resolve(post.event_id)
            result.known.add(post.id)
    posts = sorted((p for p in posts if p.event_id is None), key=lambda p: p.id)
    if not posts:
        return result
    signatures = {p.id: signature(f"{p.title}\n{p.text}") for p in posts}
    stored.load_candidates([s for s in signatures.values() if s is not None])
    links = _linked_posts(session, posts)
    # This batch's own posts, indexed as they are placed, so reposts within a batch group too.
    batch_bands: dict[int, list[int]] = defaultdict(list)
    for post in posts:
        sig = signatures[post.id]
        matched: dict[int, str] = {}
        for other_id, other_event in links.get(post.id, ()):
            event = stored.resolve(other_event) if other_event else result.event_of.get(other_id)
            if event:
                matched.setdefault(event, f"引用了第 {other_id} 号帖子的链接")
        if sig is not None:
            keys = band_keys(sig)
            for other_id, other_sig, other_event in stored.similar(sig, keys):
                like = likeness(sig, other_sig)
                if like.same_story and other_event is not None:
                    event = stored.resolve(other_event)
                    matched.setdefault(event, _why(other_id, like.jaccard, like.containment))
            for other_id in _batch_candidates(batch_bands, keys):
                other_sig = signatures[other_id]
                assert other_sig is not None
                like = likeness(sig, other_sig)
                if like.same_story:
                    event = stored.resolve(result.event_of[other_id])
                    matched.setdefault(event, _why(other_id, like.jaccard, like.containment))
            for key in keys:
                batch_bands[key].append(post.id)
        event = _place(session, post, matched, stored, result, now)
        result.event_of[post.id] = event
        result.touched.add(event)
    # A merge late in the batch can absorb an event that earlier posts joined.
    result.event_of = {p: stored.resolve(e) for p, e in result.event_of.items()}
    result.touched = {stored.resolve(e) for e in result.touched}
    _store(session, posts, signatures, result, now)
    for post_id in result.known:
        result.event_of[post_id] = stored.resolve(result.event_of[post_id])
    return result


def _why(other_id: int, jaccard: float, containment: float) -> str:
    return f"与第 {other_id} 号帖子文字相近（相似度 {jaccard:.2f}，包含度 {containment:.2f}）"


def _batch_candidates(bands: dict[int, list[int]], keys: Iterable[int]) -> list[int]:
    hits: dict[int, int] = defaultdict(int)
    for key in keys:
        for post_id in bands.get(key, ()):
            hits[post_id] += 1
    return sorted(hits, key=lambda p: (-hits[p], p))[:MAX_CANDIDATES]


def _place(
    session: Session,
    post: PostToGroup,
    matched: dict[int, str],
    stored: _Stored,
    result: Grouping,
    now: datetime,
) -> int:
    """The post's event: the one it matched, the oldest of several (the others merged into
    it), or a new one."""
    if not matched:
        event = Event(
            title=(post.title or post.text)[:200],
            first_seen_at=post.seen_at,
            last_seen_at=post.seen_at,
            created_at=now,
            updated_at=now,
        )
        session.add(event)
        session.flush()
        result.created.add(event.id)
        return event.id
    survivor = min(matched)
    result.why[post.id] = matched[survivor]
    for absorbed in sorted(matched):
        if absorbed != survivor:
            _merge_events(session, absorbed, survivor, now)
            stored.merged[absorbed] = survivor
            result.merges.append((absorbed, survivor))
    return survivor


def _merge_events(session: Session, absorbed: int, survivor: int, now: datetime) -> None:
    session.flush()
    session.execute(update(Post).where(Post.event_id == absorbed).values(event_id=survivor))
    gone = session.get(Event, absorbed)
    kept = session.get(Event, survivor)
    assert gone is not None and kept is not None
    gone.merged_into_id = survivor
    gone.updated_at = now
    kept.first_seen_at = min(kept.first_seen_at, gone.first_seen_at)
    kept.last_seen_at = max(kept.last_seen_at, gone.last_seen_at)
    kept.updated_at = now


def _store(
    session: Session,
    posts: Sequence[PostToGroup],
    signatures: dict[int, Signature | None],
    result: Grouping,
    now: datetime,
) -> None:
    by_event: dict[int, list[int]] = defaultdict(list)
    for post_id, event in result.event_of.items():
        if post_id not in result.known:
            by_event[event].append(post_id)
    for event, ids in by_event.items():
        for start in range(0, len(ids), CHUNK):
            session.execute(
                update(Post).where(Post.id.in_(ids[start : start + CHUNK])).values(event_id=event)
            )
    seen = {p.id: p.seen_at for p in posts}
    for event in result.touched:
        row = session.get(Event, event)
        assert row is not None
        latest = max(seen[p] for p in by_event[event])
        earliest = min(seen[p] for p in by_event[event])
        row.last_seen_at = max(row.last_seen_at, latest)
        row.first_seen_at = min(row.first_seen_at, earliest)
        row.updated_at = now
    session.flush()
    conn = session.connection()
    rows = [(p, sig) for p, sig in signatures.items() if sig is not None]
    insert_many(
        conn,
        PostSignature.__table__,
        [
            {"post_id": p, "minhash": sig.to_bytes(), "shingles": sig.size, "seen_at": seen[p]}
            for p, sig in rows
        ],
        ignore_conflicts=True,
    )
    insert_many(
        conn,
        SignatureBand.__table__,
        [
            {"band": key, "post_id": p, "seen_at": seen[p]}
            for p, sig in rows
            for key in dict.fromkeys(band_keys(sig))
        ],
    )


class _Stored:
    """The stored side: candidate posts by band, their signatures and events, and event merges
    (an event merged earlier resolves to the one it was merged into)."""

    def __init__(self, session: Session, since: datetime) -> None:
        self.session = session
        self.since = since
        self.by_band: dict[int, list[int]] = defaultdict(list)
        self.signatures: dict[int, Signature] = {}
        self.events: dict[int, int | None] = {}
        self.merged: dict[int, int] = {}

    def load_candidates(self, signatures: Sequence[Signature]) -> None:
        keys = sorted({key for sig in signatures for key in band_keys(sig)})
        for start in range(0, len(keys), CHUNK):
            rows = self.session.execute(
                select(SignatureBand.band, SignatureBand.post_id).where(
                    SignatureBand.band.in_(keys[start : start + CHUNK]),
                    SignatureBand.seen_at >= self.since,
                )
            )
            for band, post_id in rows:
                self.by_band[band].append(post_id)

    def similar(
        self, sig: Signature, keys: Sequence[int]
    ) -> list[tuple[int, Signature, int | None]]:
        hits: dict[int, int] = defaultdict(int)
        for key in keys:
            for post_id in self.by_band.get(key, ()):
                hits[post_id] += 1
        best = sorted(hits, key=lambda p: (-hits[p], p))[:MAX_CANDIDATES]
        self._load([p for p in best if p not in self.signatures])
        return [(p, self.signatures[p], self.events.get(p)) for p in best if p in self.signatures]

    def _load(self, post_ids: Sequence[int]) -> None:
        for start in range(0, len(post_ids), CHUNK):
            rows = self.session.execute(
                select(
                    PostSignature.post_id,
                    PostSignature.minhash,
                    PostSignature.shingles,
                    Post.event_id,
                )
                .join(Post, Post.id == PostSignature.post_id)
                .where(PostSignature.post_id.in_(post_ids[start : start + CHUNK]))
            )
            for post_id, data, size, event in rows:
                self.signatures[post_id] = Signature.from_bytes(data, size)
                self.events[post_id] = event

    def resolve(self, event: int | None) -> int:
        """The event that ``event`` now is, following merges (this batch's and stored ones)."""
        assert event is not None
        seen = set()
        while True:
            if event in self.merged:
                event = self.merged[event]
            else:
                into = self.session.scalar(select(Event.merged_into_id).where(Event.id == event))
                if into is None:
                    return event
                self.merged[event] = into
                event = into
            if event in seen:  # a cycle cannot be made here, but never loop on bad data
                return event
            seen.add(event)


def _linked_posts(
    session: Session, posts: Sequence[PostToGroup]
) -> dict[int, list[tuple[int, int | None]]]:
    """For each post quoting stored posts' URLs: (quoted post id, its event id). A quoted post
    in the same batch has no event yet (None); the caller looks it up as the batch goes."""
    wanted: dict[str, list[int]] = defaultdict(list)
    for post in posts:
        for raw in _URL.findall(post.text):
            try:
                wanted[canonicalize_url(raw)].append(post.id)
            except ValueError:
                continue  # not a usable URL: no link
    out: dict[int, list[tuple[int, int | None]]] = defaultdict(list)
    urls = list(wanted)
    for start in range(0, len(urls), CHUNK):
        rows = session.execute(
            select(Post.canonical_url, Post.id, Post.event_id).where(
                Post.canonical_url.in_(urls[start : start + CHUNK])
            )
        )
        for url, quoted, event in rows:
            for post_id in wanted[url]:
                if quoted != post_id:
                    out[post_id].append((quoted, event))
    return out


def prune_index(session: Session, now: datetime) -> int:
    """Forget the signatures and bands of posts seen before the window: no new post is compared
    with them any more, and the bands are most of the index's rows. Events and posts stay."""
    before = now - WINDOW
    removed = session.execute(delete(SignatureBand).where(SignatureBand.seen_at < before))
    session.execute(delete(PostSignature).where(PostSignature.seen_at < before))
    return removed.rowcount or 0
