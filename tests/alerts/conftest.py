"""Real receivers on 127.0.0.1 for the alert tests: an HTTP webhook receiver that records every
POST, an SMTP server (aiosmtpd) that keeps every message; and a case for alerts to be about."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.dbfixtures import db_url, engine, sessions  # noqa: F401  (fixtures)
from tests.webhook_receiver import Receiver
from yuqing.alerts.outbox import enqueue
from yuqing.storage.schema import Case

NOW = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)  # 12:00 in Beijing


def free_port() -> int:
    """A 127.0.0.1 port nobody listens on (yet): connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def add_case(factory, severity: str = "重大") -> int:
    """A case (one of the sweep's) for alerts to be about; its id."""
    with factory.begin() as s:
        case = Case(
            category="emergency",
            severity=severity,
            opened_at=NOW,
            surfaced_at=NOW - timedelta(hours=1),
            due_at=NOW + timedelta(hours=23),
            response_form="press_conference",
            responsible_party="阜平县人民政府",
            model_version="test",
            updated_at=NOW,
        )
        s.add(case)
        s.flush()
        return case.id


def raise_alert(factory, case_id: int, key: str, channels, kind="overdue", at=NOW, **extra):
    """Enqueue one alert in a transaction of its own, as the sweep would."""
    payload = {"severity": "重大", "title": "某煤矿透水事故", **extra}
    with factory.begin() as s:
        return enqueue(
            s, case_id=case_id, kind=kind, key=key, payload=payload, channels=channels, now=at
        )


# --- webhook receiver -------------------------------------------------------------------------


@pytest.fixture
def receivers() -> Iterator[Callable[..., Receiver]]:
    """``receivers(port=0, status=200, …)`` starts a receiver; all are stopped afterwards."""
    started: list[Receiver] = []

    def start(**options) -> Receiver:
        receiver = Receiver(**options).start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.close()


# --- SMTP server ------------------------------------------------------------------------------


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        msg = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 Message accepted for delivery"


def accept_only(user: str, password: str):
    """An aiosmtpd authenticator that lets in one user with one password."""

    def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data == LoginPassword(
            user.encode(), password.encode()
        )
        return AuthResult(success=ok, handled=False)  # aiosmtpd answers 535 itself

    return authenticator


@pytest.fixture
def smtp_servers() -> Iterator[Callable[..., tuple[Controller, Inbox]]]:
    """``smtp_servers(port, **smtp_options)`` starts an SMTP server on 127.0.0.1:port; all are
    stopped afterwards."""
    started: list[Controller] = []

    def start(port: int, **options) -> tuple[Controller, Inbox]:
        inbox = Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
        controller.start()
        started.append(controller)
        return controller, inbox

    yield start
    for controller in started:
        controller.stop()
