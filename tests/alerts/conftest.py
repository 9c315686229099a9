"""Real receivers on 127.0.0.1 for the alert tests: an HTTP webhook receiver that records every
POST, an SMTP server (aiosmtpd) that keeps every message; and a case for alerts to be about."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.dbfixtures import db_url, engine, sessions  # noqa: F401  (fixtures)
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


@dataclass
class Received:
    path: str
    headers: dict[str, str]  # names lower-case
    body: bytes


@dataclass
class Receiver:
    """An HTTP/1.1 server on 127.0.0.1 that records every POST and answers ``status`` (or
    ``status_for[alert id]``), after ``delay`` seconds."""

    port: int = 0
    status: int = 200
    status_for: dict[str, int] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)

    def start(self) -> Receiver:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 10

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with owner._lock:
                    owner.requests.append(Received(self.path, headers, body))
                if owner.delay:
                    time.sleep(owner.delay)
                status = owner.status_for.get(headers.get("x-yuqing-alert-id", ""), owner.status)
                answer = f"status {status}".encode()
                self.send_response(status)
                for name, value in owner.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def ids(self) -> list[str]:
        """The alert ids received, in order."""
        return [r.headers.get("x-yuqing-alert-id", "") for r in self.requests]

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


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
