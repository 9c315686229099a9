"""Delivering the outbox: each pending delivery that is due goes out on its channel, and is then
marked sent, or failed and retried later with backoff (30 s, doubling per failed attempt,
capped at 1 h).

Once a delivery is marked sent it is never sent again: an alert goes at most once per channel
after that mark. Between the receiver taking it and the mark being committed there is a window
(a crash, a lost database connection) in which the receiver has the alert but the row still
says pending; the next run sends it again. Delivery is therefore at-least-once, and receivers
de-duplicate on the alert's id: the ``X-Yuqing-Alert-Id`` header and the payload's ``id`` for a
webhook, the ``Message-ID`` (made from the id) and ``X-Yuqing-Alert-Id`` for e-mail.

Two deliverers at once (a scheduler and someone running ``yuqing alerts deliver``) never send
the same delivery at the same time:

- PostgreSQL: each delivery is taken with ``SELECT … FOR UPDATE SKIP LOCKED`` in a transaction
  that sends it and marks it, so another process skips the row while it is being sent and sees
  it marked afterwards. The transaction holds that one row lock for the send (at most the
  channel's timeouts); nothing else waits on it.
- SQLite has one writer at a time, and a transaction held open during a slow send would block
  ingest and triage. Instead a delivery is claimed in a short write transaction that moves its
  ``next_attempt_at`` a lease ahead (only if it is still pending and due: the loser of a race
  updates no row and skips it), sent outside any transaction, then marked. A deliverer that dies
  after claiming leaves the delivery to be retried when the lease runs out.

A channel switched off since an alert was raised (the webhook URL unset, say) is not tried: its
deliveries stay pending, with ``last_error`` saying why, and go out once it is configured again.
Each failed attempt is logged as one line on the ``yuqing.alerts`` logger.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import Row, Select, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from yuqing.alerts import DeliveryError, log, webhook
from yuqing.alerts import email as email_channel
from yuqing.alerts.outbox import CHANNELS
from yuqing.config import AlertSettings, HttpLimits
from yuqing.storage.schema import Alert, AlertDelivery

BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
#: SQLite: how long a claimed delivery is left to the process that claimed it
CLAIM_LEASE = timedelta(minutes=10)


@dataclass(frozen=True)
class DeliveryReport:
    #: deliveries the receiver took in this run
    sent: int = 0
    #: attempts that failed in this run (each retried later)
    failed: int = 0
    #: deliveries still pending after this run, due or not
    pending: int = 0
    #: of those, the due ones left alone because their channel is switched off
    unconfigured: int = 0


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 30 s, 60 s, 120 s, … at most 1 h."""
    return min(BACKOFF_FIRST * 2 ** min(max(attempts - 1, 0), 20), BACKOFF_CAP)


def deliver_due(
    sessions: sessionmaker[Session],
    alerts: AlertSettings,
    now: datetime,
    *,
    limit: int = 100,
    user_agent: str = HttpLimits.user_agent,
    tz: ZoneInfo | None = None,
) -> DeliveryReport:
    """Send up to ``limit`` pending deliveries due at ``now``, oldest first, and mark each sent
    or failed (with the next attempt backed off). ``tz``: the zone of times in e-mails."""
    if now.tzinfo is None:
        raise ValueError(f"naive datetime {now!r}: pass an aware UTC time")
    unconfigured = _leave_switched_off(sessions, alerts, now)
    sent = failed = 0
    channels = alerts.channels
    if channels:
        with sessions() as session:
            locking = session.get_bind().dialect.name == "postgresql"
        take_one = _take_locked if locking else _take_leased
        with _Sender(alerts, now, user_agent, tz or ZoneInfo("Asia/Shanghai")) as sender:
            for _ in range(limit):
                outcome = take_one(sessions, channels, now, sender)
                if outcome is None:
                    break
                sent += outcome == "sent"
                failed += outcome == "failed"
    with sessions() as session:
        pending = session.scalar(
            select(func.count()).select_from(AlertDelivery).where(AlertDelivery.status == "pending")
        )
    return DeliveryReport(sent=sent, failed=failed, pending=pending or 0, unconfigured=unconfigured)


# --- taking one delivery ----------------------------------------------------------------------


def _due(channels: Sequence[str], now: datetime) -> Select[Any]:
    return (
        select(
            AlertDelivery.id,
            AlertDelivery.channel,
            AlertDelivery.attempts,
            Alert.key,
            Alert.payload,
        )
        .join(Alert, Alert.id == AlertDelivery.alert_id)
        .where(
            AlertDelivery.status == "pending",
            AlertDelivery.next_attempt_at <= now,
            AlertDelivery.channel.in_(channels),
        )
        .order_by(AlertDelivery.next_attempt_at, AlertDelivery.id)
        .limit(1)
    )


def _take_locked(
    sessions: sessionmaker[Session], channels: Sequence[str], now: datetime, sender: _Sender
) -> str | None:
    """PostgreSQL: lock one due row (skipping rows others hold), send, mark, commit."""
    with sessions() as session, session.begin():
        row = session.execute(
            _due(channels, now).with_for_update(skip_locked=True, of=AlertDelivery)
        ).first()
        if row is None:
            return None
        error = sender.send(row.channel, row.key, row.payload)
        return _mark(session, row, error, now)


def _take_leased(
    sessions: sessionmaker[Session], channels: Sequence[str], now: datetime, sender: _Sender
) -> str | None:
    """SQLite: find one due row, claim it with a lease, send outside any transaction, mark."""
    with sessions() as session:
        row = session.execute(_due(channels, now)).first()
    if row is None:
        return None
    with sessions() as session, session.begin():
        claimed = session.execute(
            update(AlertDelivery)
            .where(
                AlertDelivery.id == row.id,
                AlertDelivery.status == "pending",
                AlertDelivery.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + CLAIM_LEASE)
            .execution_options(synchronize_session=False)
        ).rowcount
    if not claimed:
        return "taken"  # another deliverer got there first
    error = sender.send(row.channel, row.key, row.payload)
    with sessions() as session, session.begin():
        return _mark(session, row, error, now)


def _mark(session: Session, row: Row[Any], error: str | None, now: datetime) -> str:
    attempts = row.attempts + 1
    mark = (
        update(AlertDelivery)
        .where(AlertDelivery.id == row.id, AlertDelivery.status == "pending")
        .execution_options(synchronize_session=False)
    )
    if error is None:
        # last_error is kept: it says what went wrong before the delivery got through
        session.execute(mark.values(status="sent", sent_at=now, attempts=attempts))
        return "sent"
    next_at = now + backoff(attempts)
    session.execute(mark.values(attempts=attempts, last_error=error, next_attempt_at=next_at))
    log.warning(
        "alert %s on %s: attempt %d failed, next at %s: %s",
        row.key,
        row.channel,
        attempts,
        next_at.isoformat(timespec="seconds"),
        error,
    )
    return "failed"


# --- channels ---------------------------------------------------------------------------------


class _Sender:
    """Sends on the configured channels; one HTTP client for the whole run."""

    def __init__(self, alerts: AlertSettings, now: datetime, user_agent: str, tz: ZoneInfo):
        self.alerts = alerts
        self.now = now
        self.tz = tz
        self.user_agent = user_agent
        self._client: httpx.Client | None = None
        smtp_password = unquote(urlsplit(alerts.smtp_url).password or "")
        #: never written into an error, whatever raised it
        self._secrets = [s for s in (smtp_password, alerts.webhook_secret) if s]

    def __enter__(self) -> _Sender:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._client is not None:
            self._client.close()

    def send(self, channel: str, key: str, payload: dict[str, Any]) -> str | None:
        """None when the channel took the alert, else why not."""
        try:
            if channel == "webhook":
                if self._client is None:
                    self._client = webhook.make_client(self.user_agent)
                webhook.post_alert(
                    self._client, self.alerts.webhook_url, key, payload, self.alerts.webhook_secret
                )
            elif channel == "email":
                email_channel.send_alert(
                    self.alerts.smtp_url,
                    self.alerts.mail_from,
                    self.alerts.mail_to,
                    key,
                    payload,
                    self.now,
                    self.tz,
                )
            else:
                return f"unknown channel {channel!r}"
        except DeliveryError as exc:
            return self._scrub(str(exc))
        except Exception as exc:  # a bad alert is recorded and the run goes on (house rules)
            return self._scrub(f"{channel}: unexpected {type(exc).__name__}: {exc}")
        return None

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def _switched_off_reason(channel: str, alerts: AlertSettings) -> str:
    if channel == "webhook":
        return "webhook switched off (YUQING_WEBHOOK_URL is not set): left pending until it is"
    settings = (("YUQING_SMTP_URL", alerts.smtp_url), ("YUQING_MAIL_TO", alerts.mail_to))
    missing = [name for name, value in settings if not value]
    return f"email switched off ({' and '.join(missing)} not set): left pending until it is"


def _leave_switched_off(
    sessions: sessionmaker[Session], alerts: AlertSettings, now: datetime
) -> int:
    """Note on each due delivery of a switched-off channel why it is not sent; how many."""
    off = [c for c in CHANNELS if c not in alerts.channels]
    if not off:
        return 0
    due = (AlertDelivery.status == "pending", AlertDelivery.next_attempt_at <= now)
    with sessions() as session:
        count = session.scalar(
            select(func.count())
            .select_from(AlertDelivery)
            .where(*due, AlertDelivery.channel.in_(off))
        )
    if not count:
        return 0  # no write transaction (SQLite's single writer) when there is nothing to say
    with sessions() as session, session.begin():
        for channel in off:
            why = _switched_off_reason(channel, alerts)
            changed = session.execute(
                update(AlertDelivery)
                .where(
                    *due,
                    AlertDelivery.channel == channel,
                    or_(AlertDelivery.last_error.is_(None), AlertDelivery.last_error != why),
                )
                .values(last_error=why)
                .execution_options(synchronize_session=False)
            ).rowcount
            if changed:
                log.warning("%s: %d due deliveries not sent: %s", channel, changed, why)
    return count
