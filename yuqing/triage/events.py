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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from yuqing.crawlers.urls import canonicalize_url
from yuqing.storage.bulk import insert_many
from yuqing.storage.in_lists import slices
from yuqing.storage.schema import Event, Post, PostSignature, SignatureBand
from yuqing.triage.neardup import Signature, likenesses, signature

#: how far back a new post is compared with stored ones
WINDOW = timedelta(days=14)
#: at most this many stored posts are compared with one new post, those sharing most bands first
#: (the most alike: enough to find its story, and two stories it would merge)
MAX_CANDIDATES = 16
#: posts indexed under one band value: past this, a band is held by many posts of one story
#: (a viral repost) and more of them would only slow every lookup, so later posts are not
#: added under it; they still find the story through the posts already there
BAND_CAP = 8
#: a post this alike to one already indexed (a repost) is not indexed itself: its twin stands
#: for it in every later comparison, and a viral story does not fill the index
REPRESENTED = 0.8

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
    #: event → the title and text of each post it gained in this batch
    texts: dict[int, list[str]] = field(default_factory=dict)
    #: (absorbed event, surviving event), in the order they happened
    merges: list[tuple[int, int]] = field(default_factory=list)
    #: post id → why it joined its event, in words (absent for a post that started one)
    why: dict[int, str] = field(default_factory=dict)
    #: posts that already had an event (re-triaged): not new to it
    known: set[int] = field(default_factory=set)


def group_posts(
    session: Session,
    posts: Sequence[PostToGroup],
    now: datetime,
    signatures: Mapping[int, Signature | None] | None = None,
) -> Grouping:
    """Give every post in ``posts`` an event, creating and merging events as needed, and index
    their signatures for later posts. Posts are taken in id order. ``signatures`` (post id →
    signature of ``title\ntext``) may be computed beforehand, e.g. in a worker process."""
    result = Grouping()
    stored = _Stored(session, now - WINDOW)
    for post in posts:
        if post.event_id is not None:
            result.event_of[post.id] = post.event_id
            result.known.add(post.id)
    posts = sorted((p for p in posts if p.event_id is None), key=lambda p: p.id)
    if signatures is None:
        signatures = post_signatures([(p.id, p.title, p.text) for p in posts])
    batch = _Batch()
    stored.load_candidates([s for p in posts if (s := signatures.get(p.id)) is not None])
    # Which stored posts each new post is compared with, and their signatures in one go.
    best = {p.id: stored.candidates(sig.bands) for p in posts if (sig := signatures.get(p.id))}
    stored.preload({c for found in best.values() for c in found})
    links = _linked_posts(session, posts)
    stored.load_roots(
        [e for e in result.event_of.values()] + [e for ls in links.values() for _, e in ls if e]
    )
    for post in posts:
        sig = signatures.get(post.id)
        matched: dict[int, str] = {}
        for other_id, other_event in links.get(post.id, ()):
            event = other_event if other_event else result.event_of.get(other_id)
            if event:
                matched.setdefault(stored.resolve(event), f"引用了第 {other_id} 号帖子的链接")
        if sig is not None:
            keys = sig.bands
            found = stored.rows(best[post.id])
            mine = [(p, signatures[p], None) for p in _batch_candidates(batch.bands, keys)]
            pairs = [*found, *mine]
            for (other_id, _, other_event), like in zip(
                pairs, likenesses(sig, [other for _, other, _ in pairs]), strict=True
            ):
                if not like.same_story:
                    continue
                if like.jaccard >= REPRESENTED:
                    batch.represented.add(post.id)
                event = other_event if other_id in stored.signatures else result.event_of[other_id]
                if event is not None:
                    event = stored.resolve(event)
                    matched.setdefault(event, _why(other_id, like.jaccard, like.containment))
            if post.id not in batch.represented:
                for key in keys:
                    batch.bands[key].append(post.id)
        result.event_of[post.id] = _place(session, post, matched, stored, batch, result, now)
    # Events made for this batch get their rows now, in one statement; merges late in the
    # batch may have absorbed events that earlier posts joined.
    real = _insert_events(session, [e for e in batch.events if stored.resolve(e) == e], batch, now)
    result.merges = [(a, b) for a, b in result.merges if a > 0 and b > 0]

    def final(event: int) -> int:
        event = stored.resolve(event)
        return real.get(event, event)

    result.event_of = {p: final(e) for p, e in result.event_of.items()}
    result.touched = {result.event_of[p.id] for p in posts}
    for p in posts:
        result.texts.setdefault(result.event_of[p.id], []).append(f"{p.title}\n{p.text}")
    result.created = set(real.values())
    _store(session, posts, signatures, result, now, stored.by_band, batch.represented)
    return result


def post_signatures(items: Sequence[tuple[int, str, str]]) -> dict[int, Signature | None]:
    """Signatures of (post id, title, text): a module-level function, so that a worker
    process can compute them while the main process stores."""
    out = {post_id: signature(f"{title}\n{text}") for post_id, title, text in items}
    for sig in out.values():
        if sig is not None:
            sig.bands  # noqa: B018  (computed here, in the worker, and sent with the signature)
    return out


@dataclass
class _Batch:
    """This batch's own state: its posts' bands (so reposts within a batch group too), and the
    events it starts, under provisional negative ids until their rows are inserted."""

    bands: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    #: posts a near-identical indexed post stands for
    represented: set[int] = field(default_factory=set)
    #: provisional id → (title, first seen, last seen)
    events: dict[int, list[Any]] = field(default_factory=dict)

    def new_event(self, title: str, seen: datetime) -> int:
        provisional = -(len(self.events) + 1)
        self.events[provisional] = [title, seen, seen]
        return provisional


def _age(event: int) -> tuple[int, int]:
    """Older first: stored events by id, then this batch's in the order they were made."""
    return (0, event) if event > 0 else (1, -event)


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
    batch: _Batch,
    result: Grouping,
    now: datetime,
) -> int:
    """The post's event: the one it matched, the oldest of several (the others merged into
    it), or a new one."""
    if not matched:
        return batch.new_event((post.title or post.text)[:200], post.seen_at)
    survivor = min(matched, key=_age)
    result.why[post.id] = matched[survivor]
    for absorbed in sorted(matched, key=_age):
        if absorbed == survivor:
            continue
        if absorbed > 0:  # survivor is stored too: it is older
            _merge_events(session, absorbed, survivor, now)
        else:
            _, first, last = batch.events[absorbed]
            if survivor < 0:
                kept = batch.events[survivor]
                kept[1], kept[2] = min(kept[1], first), max(kept[2], last)
        stored.merged[absorbed] = survivor
        result.merges.append((absorbed, survivor))
    if survivor < 0:
        kept = batch.events[survivor]
        kept[1], kept[2] = min(kept[1], post.seen_at), max(kept[2], post.seen_at)
    return survivor


def _insert_events(
    session: Session, alive: Sequence[int], batch: _Batch, now: datetime
) -> dict[int, int]:
    """Insert the batch's new events not merged away; provisional id → real id."""
    alive = sorted(alive, reverse=True)  # -1, -2, …: the order they were made
    if not alive:
        return {}
    rows = [
        {
            "title": batch.events[e][0],
            "first_seen_at": batch.events[e][1],
            "last_seen_at": batch.events[e][2],
            "created_at": now,
            "updated_at": now,
        }
        for e in alive
    ]
    ids = session.scalars(
        insert(Event).returning(Event.id, sort_by_parameter_order=True), rows
    ).all()
    return dict(zip(alive, ids, strict=True))


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
    signatures: Mapping[int, Signature | None],
    result: Grouping,
    now: datetime,
    indexed: Mapping[int, Sequence[int]],
    represented: set[int],
) -> None:
    if not posts:
        return
    # Posts to their events: one executemany by primary key.
    session.execute(update(Post), [{"id": p.id, "event_id": result.event_of[p.id]} for p in posts])
    seen: dict[int, list[datetime]] = defaultdict(list)
    for p in posts:
        seen[result.event_of[p.id]].append(p.seen_at)
    grown = sorted(set(seen) - result.created)
    rows = []
    for chunk in slices(grown):
        for event, first, last in session.execute(
            select(Event.id, Event.first_seen_at, Event.last_seen_at).where(Event.id.in_(chunk))
        ):
            rows.append(
                {
                    "id": event,
                    "first_seen_at": min(first, *seen[event]),
                    "last_seen_at": max(last, *seen[event]),
                    "updated_at": now,
                }
            )
    if rows:
        session.execute(update(Event), rows)
    conn = session.connection()
    signed = [
        (p.id, sig)
        for p in posts
        if (sig := signatures.get(p.id)) is not None and p.id not in represented
    ]
    when = {p.id: p.seen_at for p in posts}
    insert_many(
        conn,
        PostSignature.__table__,
        [
            {"post_id": p, "minhash": sig.to_bytes(), "shingles": sig.size, "seen_at": when[p]}
            for p, sig in signed
        ],
        ignore_conflicts=True,
    )
    held = {key: len(found) for key, found in indexed.items()}
    bands = []
    for p, sig in signed:
        for key in dict.fromkeys(sig.bands):
            if held.get(key, 0) < BAND_CAP:
                held[key] = held.get(key, 0) + 1
                bands.append({"band": key, "post_id": p, "seen_at": when[p]})
    insert_many(conn, SignatureBand.__table__, bands)


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
        #: events known not to be merged into another
        self.roots: set[int] = set()

    def load_candidates(self, signatures: Sequence[Signature]) -> None:
        keys = sorted({key for sig in signatures for key in sig.bands})
        for chunk in slices(keys):
            rows = self.session.execute(
                select(SignatureBand.band, SignatureBand.post_id).where(
                    SignatureBand.band.in_(chunk),
                    SignatureBand.seen_at >= self.since,
                )
            )
            for band, post_id in rows:
                self.by_band[band].append(post_id)

    def candidates(self, keys: Sequence[int]) -> list[int]:
        """The stored posts sharing most bands with ``keys``, at most ``MAX_CANDIDATES``."""
        hits: dict[int, int] = defaultdict(int)
        for key in keys:
            for post_id in self.by_band.get(key, ()):
                hits[post_id] += 1
        return sorted(hits, key=lambda p: (-hits[p], p))[:MAX_CANDIDATES]

    def preload(self, post_ids: Iterable[int]) -> None:
        missing = sorted(p for p in post_ids if p not in self.signatures)
        if missing:
            self._load(missing)
            self.load_roots(e for p in missing if (e := self.events.get(p)) is not None)

    def rows(self, post_ids: Sequence[int]) -> list[tuple[int, Signature, int | None]]:
        return [
            (p, self.signatures[p], self.events.get(p)) for p in post_ids if p in self.signatures
        ]

    def _load(self, post_ids: Sequence[int]) -> None:
        for chunk in slices(post_ids):
            rows = self.session.execute(
                select(
                    PostSignature.post_id,
                    PostSignature.minhash,
                    PostSignature.shingles,
                    Post.event_id,
                )
                .join(Post, Post.id == PostSignature.post_id)
                .where(PostSignature.post_id.in_(chunk))
            )
            for post_id, data, size, event in rows:
                self.signatures[post_id] = Signature.from_bytes(data, size)
                self.events[post_id] = event

    def load_roots(self, events: Iterable[int]) -> None:
        """Learn in one query which of ``events`` were merged, and into what."""
        wanted = sorted({e for e in events if e > 0} - self.roots - set(self.merged))
        for chunk in slices(wanted):
            rows = self.session.execute(
                select(Event.id, Event.merged_into_id).where(Event.id.in_(chunk))
            )
            for event, into in rows:
                if into is None:
                    self.roots.add(event)
                else:
                    self.merged[event] = into

    def resolve(self, event: int | None) -> int:
        """The event that ``event`` now is, following merges (this batch's and stored ones).
        Provisional (negative) ids are this batch's own events."""
        assert event is not None
        seen = set()
        while True:
            if event in self.merged:
                event = self.merged[event]
            elif event < 0 or event in self.roots:
                return event
            else:
                into = self.session.scalar(select(Event.merged_into_id).where(Event.id == event))
                if into is None:
                    self.roots.add(event)
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
    for chunk in slices(urls):
        rows = session.execute(
            select(Post.canonical_url, Post.id, Post.event_id).where(Post.canonical_url.in_(chunk))
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
