"""The alert outbox: an alert is written in the caller's transaction, with the change it reports,
and delivered later by :mod:`yuqing.alerts.deliver`.

Writing the alert and its deliveries in the same transaction as the change means neither can
exist without the other: a sweep that marks a case overdue and then crashes before committing
leaves no alert behind, and a committed change always has its alert waiting to go out. The
alert's ``key`` is its stable public id; the same state change seen again (a re-run sweep, a
restart) collides on it and adds nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from yuqing.storage.bulk import insert_many
from yuqing.storage.schema import Alert, AlertDelivery

#: what an alert can be about (``alerts.kind``)
KINDS = ("major_case", "due_soon", "overdue", "referral")
#: where an alert can go (``alert_deliveries.channel``)
CHANNELS = ("webhook", "email")
#: the payload fields :func:`enqueue` sets itself
RESERVED = ("id", "case_id", "kind", "created_at")
KEY_MAX = 200  # alerts.key is String(200)


def enqueue(
    session: Session,
    *,
    case_id: int,
    kind: str,
    key: str,
    payload: dict[str, Any],
    channels: Sequence[str],
    now: datetime,
) -> bool:
    """Record an alert and one pending delivery per channel, in the caller's transaction (this
    does not commit). Returns False, adding nothing, when an alert with ``key`` exists.

    The stored payload is ``payload`` plus ``id`` (= ``key``), ``case_id``, ``kind`` and
    ``created_at`` (ISO 8601, UTC). With no channels the alert is still recorded (``yuqing
    alerts`` lists it) but nothing will deliver it: deliveries are made for the channels
    configured when the alert is raised.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown alert kind {kind!r}: expected one of {', '.join(KINDS)}")
    if not key or len(key) > KEY_MAX:
        raise ValueError(f"alert key {key!r}: must be 1 to {KEY_MAX} characters")
    if not (key.isascii() and key.isprintable()):
        # the key travels in HTTP and mail headers (X-Yuqing-Alert-Id, Message-ID)
        raise ValueError(f"alert key {key!r}: must be printable ASCII")
    unknown = [c for c in channels if c not in CHANNELS]
    if unknown:
        raise ValueError(
            f"unknown alert channel {unknown[0]!r}: expected one of {', '.join(CHANNELS)}"
        )
    if now.tzinfo is None:
        raise ValueError(f"naive datetime {now!r} for alert {key!r}: pass an aware UTC time")
    body = alert_payload(case_id=case_id, kind=kind, key=key, payload=payload, now=now)

    # The bulk insert goes straight to the connection: flush first, so that rows the caller
    # added through the ORM (the case this alert is about) are there before ours.
    session.flush()
    conn = session.connection()
    row = {"key": key, "case_id": case_id, "kind": kind, "payload": body, "created_at": now}
    if not insert_many(conn, Alert.__table__, [row], ignore_conflicts=True):
        return False  # this state change was already recorded
    alert_id = session.scalar(select(Alert.id).where(Alert.key == key))
    deliveries = [
        {
            "alert_id": alert_id,
            "channel": channel,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
        }
        for channel in dict.fromkeys(channels)  # once each, in the order given
    ]
    insert_many(conn, AlertDelivery.__table__, deliveries, ignore_conflicts=True)
    return True


def alert_payload(
    *, case_id: int, kind: str, key: str, payload: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """The JSON an alert carries: the caller's fields plus id, case_id, kind and created_at."""
    own = {
        "id": key,
        "case_id": case_id,
        "kind": kind,
        "created_at": now.astimezone(UTC).isoformat(),
    }
    for name in RESERVED:
        if name in payload and payload[name] != own[name]:
            raise ValueError(
                f"alert {key!r}: payload field {name!r} is {payload[name]!r}, "
                f"but the alert's own {name} is {own[name]!r}"
            )
    for name, value in payload.items():
        try:
            json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"alert {key!r}: payload field {name!r} is not JSON: {exc}") from None
    return {**payload, **own}


def recent_alerts(
    session: Session, *, pending_only: bool = False, limit: int = 50
) -> list[dict[str, Any]]:
    """The newest alerts first, each with its deliveries' state: ``id`` (the key), ``case_id``,
    ``kind``, ``created_at``, ``payload`` and ``deliveries`` (``channel``, ``status``,
    ``attempts``, ``next_attempt_at``, ``last_error``, ``sent_at``). Times are aware UTC
    datetimes. ``pending_only``: only alerts with a delivery still pending."""
    query = select(Alert).order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit)
    if pending_only:
        query = query.where(
            exists().where(AlertDelivery.alert_id == Alert.id, AlertDelivery.status == "pending")
        )
    alerts = session.scalars(query).all()
    by_alert: dict[int, list[AlertDelivery]] = {a.id: [] for a in alerts}
    if by_alert:
        rows = session.scalars(
            select(AlertDelivery)
            .where(AlertDelivery.alert_id.in_(by_alert))
            .order_by(AlertDelivery.alert_id, AlertDelivery.channel)
        )
        for d in rows:
            by_alert[d.alert_id].append(d)
    return [
        {
            "id": a.key,
            "case_id": a.case_id,
            "kind": a.kind,
            "created_at": a.created_at,
            "payload": a.payload,
            "deliveries": [
                {
                    "channel": d.channel,
                    "status": d.status,
                    "attempts": d.attempts,
                    "next_attempt_at": d.next_attempt_at,
                    "last_error": d.last_error,
                    "sent_at": d.sent_at,
                }
                for d in by_alert[a.id]
            ],
        }
        for a in alerts
    ]
