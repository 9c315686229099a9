"""The SQL schema as SQLAlchemy 2.x typed models.

Every timestamp is stored in UTC. SQLite has no time zone type, so :class:`UTCDateTime` makes the
round trip explicit: aware datetimes in, aware UTC datetimes out, on both SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so that migrations can refer to them on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend; naive values are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store aware UTC times only")
        value = value.astimezone(UTC)
        # SQLite stores text; drop the offset so that text comparisons order correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class JSONText(TypeDecorator[Any]):
    """JSON kept readable (UTF-8, not \\u escapes) on SQLite; native JSON on PostgreSQL."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        return dialect.type_descriptor(Text() if dialect.name == "sqlite" else JSON())

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if dialect.name == "sqlite" and value is not None:
            # Most rows carry an empty list (an unflagged label has no reasons): skip the encoder.
            if not value and isinstance(value, list | dict):
                return "[]" if isinstance(value, list) else "{}"
            return json.dumps(value, ensure_ascii=False)
        return value

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        if dialect.name == "sqlite" and value is not None:
            return json.loads(value)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Source(Base):
    """A feed or site we watch, with the jurisdiction that owns what it publishes."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="feed")
    region_code: Mapped[str] = mapped_column(String(12), default="")
    region_name: Mapped[str] = mapped_column(String(100), default="")
    #: national | provincial | municipal | county
    level: Mapped[str] = mapped_column(String(20), default="")
    department: Mapped[str] = mapped_column(String(200), default="")
    #: selectors and politeness of a crawled source (``yuqing.crawlers.crawl_options``)
    options: Mapped[dict[str, Any]] = mapped_column(
        JSONText, default=dict, server_default=text("'{}'")
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: how often the scheduler fetches or crawls it ("30s", "15m", "2h"); empty: the default
    every: Mapped[str] = mapped_column(String(20), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Conditional GET state: an unchanged feed costs one request and stores nothing.
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    last_body_hash: Mapped[str | None] = mapped_column(String(64))
    # Health.
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_kind: Mapped[str | None] = mapped_column(String(20))
    last_warning: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    posts: Mapped[list[Post]] = relationship(back_populates="source")


class Post(Base):
    """One public post, stored once: exact duplicates collide on URL or content hash."""

    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    canonical_url: Mapped[str] = mapped_column(String(2000), unique=True)
    guid: Mapped[str | None] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(Text, default="")
    #: cleaned, simplified text: what analysis reads
    text: Mapped[str] = mapped_column(Text)
    #: cleaned text in the script it was published in
    original_text: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(300))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # A message-board post: whom it is addressed to, and the government's reply once seen.
    addressed_to: Mapped[str | None] = mapped_column(String(300))
    #: the board's own words for the message's state (已回复, 办理中, …)
    reply_status: Mapped[str | None] = mapped_column(String(100))
    reply_text: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the story this post belongs to; set by triage (near-duplicate grouping)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))

    source: Mapped[Source] = relationship(back_populates="posts")
    classifications: Mapped[list[Classification]] = relationship(back_populates="post")

    __table_args__ = (
        Index("ix_posts_fetched_at", "fetched_at"),
        Index("ix_posts_event", "event_id"),
    )


class Event(Base):
    """One story: reposts, rewrites and follow-ups of the same matter across sources. Two events
    found to be one are merged: the younger points at the older, which takes its posts."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the title of its first post, for people
    title: Mapped[str] = mapped_column(Text, default="")
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PostSignature(Base):
    """A post's MinHash signature over character shingles, kept to compare later posts with."""

    __tablename__ = "post_signatures"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    #: the signature's hash values, little-endian uint32
    minhash: Mapped[bytes] = mapped_column(LargeBinary)
    #: how many distinct shingles the text had (to estimate containment, not only Jaccard)
    shingles: Mapped[int] = mapped_column(Integer)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SignatureBand(Base):
    """LSH: one row per band of a post's signature. Posts sharing a band value are candidates
    for the same story; kept in SQL so that the index survives restarts and is shared by every
    process using the store."""

    __tablename__ = "signature_bands"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    band: Mapped[int] = mapped_column(BigInteger)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_signature_bands_band", "band", "seen_at"),
        Index("ix_signature_bands_seen", "seen_at"),
    )


class PostUpdate(Base):
    """A change seen on a stored post, e.g. a board's reply appearing: what it was, what it is."""

    __tablename__ = "post_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: reply (the only kind so far)
    what: Mapped[str] = mapped_column(String(40))
    #: {"before": {...}, "after": {...}} of the fields that changed
    detail: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)

    __table_args__ = (Index("ix_post_updates_post", "post_id", "id"),)


class Classification(Base):
    """One label's score for one post by one model version; history is kept across models."""

    __tablename__ = "classifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(40))
    score: Mapped[float] = mapped_column(Float)
    #: whether the score passed the label's threshold
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    model_version: Mapped[str] = mapped_column(String(100))
    reasons: Mapped[list[str]] = mapped_column(JSONText, default=list)
    classified_at: Mapped[datetime] = mapped_column(UTCDateTime)

    post: Mapped[Post] = relationship(back_populates="classifications")

    __table_args__ = (
        Index("ix_classifications_post_model", "post_id", "model_version"),
        UniqueConstraint("post_id", "model_version", "label", name="uq_classifications_run"),
    )


class Case(Base):
    """A matter the government must answer, with its deadline (section 三) and owner (section
    一): an event's case, or a higher-level request (category five), which has no post."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the post that opened it (None for a higher-level request)
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), unique=True
    )
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    category: Mapped[str] = mapped_column(String(40))
    #: 特别重大 | 重大 | 较大 | 一般
    severity: Mapped[str] = mapped_column(String(20))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: when the opinion surfaced; the deadline runs from here, not from when we noticed it
    surfaced_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: press_conference (24 h) | response (48 h)
    response_form: Mapped[str] = mapped_column(String(40))
    #: open | acknowledged | responding | responded | following_up | closed | dismissed | merged
    #: (triage/lifecycle.py holds the transitions)
    status: Mapped[str] = mapped_column(String(20), default="open")
    #: on_track | due_soon | overdue: where the deadline stands, as the last sweep saw it
    deadline_state: Mapped[str] = mapped_column(String(20), default="on_track")
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the first response recorded, and whether it met the deadline's form and time
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deadline_met: Mapped[bool | None] = mapped_column(Boolean)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: why it was closed or dismissed, in the words of whoever did it
    close_reason: Mapped[str | None] = mapped_column(Text)
    #: set when an overdue case was escalated to its level's office and propaganda department
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responsible_party: Mapped[str] = mapped_column(String(300))
    coordinator: Mapped[str] = mapped_column(String(300), default="")
    #: who else must be told: e.g. public security and internet regulators for a rumour
    referral: Mapped[str] = mapped_column(String(300), default="")
    routing_reasons: Mapped[list[str]] = mapped_column(JSONText, default=list)
    #: why this grade, in words
    severity_reasons: Mapped[list[str]] = mapped_column(JSONText, default=list)
    #: the first-responsible-party decision as ``yuqing route`` prints it
    routing: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    model_version: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: a case merged into another (its event was found to be the same story)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    #: a higher-level request: who asked, and about what
    requested_by: Mapped[str | None] = mapped_column(String(300))
    about: Mapped[str | None] = mapped_column(Text)

    post: Mapped[Post | None] = relationship()
    event: Mapped[Event | None] = relationship()
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        Index("ix_cases_status_due", "status", "due_at"),
        Index("ix_cases_event", "event_id"),
    )


class CaseResponse(Base):
    """A response a government made on a case (section 三): its form, where, when, who recorded
    it."""

    __tablename__ = "case_responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    #: authoritative_release | press_conference | briefing | media_interview
    form: Mapped[str] = mapped_column(String(40))
    #: weibo | wechat | app | website | press
    channel: Mapped[str] = mapped_column(String(40))
    url: Mapped[str | None] = mapped_column(String(2000))
    #: when the response was made public
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_case_responses_case", "case_id", "at"),)


class Alert(Base):
    """An alert in the transactional outbox: written in the same transaction as the change it
    reports, delivered afterwards. ``key`` makes it once per state change: the same change
    seen again (a re-run sweep, a restart) collides on it and adds nothing."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: stable, public id of the alert (what receivers de-duplicate on)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    #: major_case | due_soon | overdue | referral
    kind: Mapped[str] = mapped_column(String(40))
    #: the JSON sent: id, case_id, kind and what a person needs to act
    payload: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AlertDelivery(Base):
    """One alert on one channel: pending until the receiver took it, retried with backoff."""

    __tablename__ = "alert_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    #: webhook | email
    channel: Mapped[str] = mapped_column(String(20))
    #: pending | sent
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("alert_id", "channel", name="uq_alert_deliveries_alert_channel"),
        Index("ix_alert_deliveries_due", "status", "next_attempt_at"),
    )


class Referral(Base):
    """A rumour handed to the public security organ and the internet regulator (网信) of the
    case's jurisdiction (section 二, last paragraph), with the evidence as captured."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the bodies it goes to, by name
    organs: Mapped[list[str]] = mapped_column(JSONText, default=list)
    reasons: Mapped[list[str]] = mapped_column(JSONText, default=list)
    #: per post: url, source, text as captured, published_at, fetched_at
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSONText, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseEvent(Base):
    """The audit trail of a case: what changed, when, by whom."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)

    case: Mapped[Case] = relationship(back_populates="events")

    __table_args__ = (Index("ix_case_events_case", "case_id"),)


class AnalystLabel(Base):
    """One analyst's decision on one label of one post, in an append-only log.

    Rows are never updated or deleted (except with their post), so the analyst label set of a
    post at any moment can be rebuilt: for each (post, label), the last row wins, in the order
    rows were written (``id``). ``at`` records when; it does not order, because two machines
    writing to one database may disagree about the time. See ``yuqing.storage.labels``.
    """

    __tablename__ = "analyst_labels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    #: a code from ``yuqing.triage.categories`` (``none``: the post needs no response)
    label: Mapped[str] = mapped_column(String(40))
    #: add | remove
    action: Mapped[str] = mapped_column(String(10))
    #: who decided
    analyst: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)

    post: Mapped[Post] = relationship()

    __table_args__ = (
        Index("ix_analyst_labels_post", "post_id", "id"),
        CheckConstraint("action IN ('add', 'remove')", name="action"),
    )
