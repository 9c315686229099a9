"""Alerts by e-mail, through the SMTP server of ``YUQING_SMTP_URL``.

``smtp://user:password@host:port`` (port 25 unless given) speaks plain SMTP and upgrades with
STARTTLS when the server offers it; ``smtps://…`` (port 465 unless given) is TLS from the
first byte. The user and password are optional (a local relay needs none), ASCII only (as
smtplib sends them); URL-encode any ``@``, ``:`` or ``/`` in them. A password is only ever sent
encrypted, or to a server on this machine (127.0.0.1, ::1, localhost): a server elsewhere that
offers no STARTTLS is refused rather than handed the password in clear.

Each alert is one plain-text message in Chinese, for a person: the subject says what happened
(``【舆情告警】重大 案件 12 已超期：标题``), the body lists the alert's fields. Its ``Message-ID``
is made from the alert's key, so a resent alert (see :mod:`yuqing.alerts.deliver`) carries the
same id and mail clients and people can tell it is a duplicate; ``X-Yuqing-Alert-Id`` carries the
key as is. The password never appears in an error or a log line.
"""

from __future__ import annotations

import ipaddress
import json
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote, unquote, urlsplit
from zoneinfo import ZoneInfo

from yuqing.alerts import DeliveryError, log
from yuqing.display import terminal_safe

TIMEOUT = 10.0
SUBJECT_PREFIX = "【舆情告警】"
TITLE_CHARS = 40

#: the subject's words for each kind of alert, unless the payload's ``kind_name`` has its own
KIND_WORDS = {
    "major_case": "重大舆情",
    "due_soon": "即将到期",
    "overdue": "已超期",
    "referral": "涉谣言待移送",
}

#: the body's label for each payload field a person reads first, in this order; other fields
#: follow under their own names
LABELS = {
    "id": "告警编号",
    "kind": "告警类型",
    "case_id": "案件编号",
    "severity": "级别",
    "category_name": "类别",
    "category": "类别代码",
    "title": "标题",
    "status": "案件状态",
    "deadline_state": "时限状态",
    "due_at": "回应时限",
    "response_form": "回应方式",
    "first_responsible": "第一责任主体",
    "responsible_party": "第一责任主体",
    "coordinators": "组织协调",
    "coordinator": "组织协调",
    "referral": "移送",
    "url": "链接",
    "urls": "链接",
    "reasons": "理由",
    "surfaced_at": "舆情出现时间",
    "opened_at": "立案时间",
    "created_at": "告警时间",
}

# RFC 5322 atext less "%" (which quotes everything else, "." included): a key made of these
# goes into the Message-ID as it is, anything else is %XX-encoded, so the id stays valid and
# two keys never share one.
_MSGID_SAFE = "!#$&'*+-/=?^_`{|}~"


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to send; ``repr`` never shows the password."""

    host: str
    port: int
    tls: bool  # smtps: TLS from the start
    user: str = ""
    password: str = field(default="", repr=False)

    @property
    def where(self) -> str:
        return f"{'smtps' if self.tls else 'smtp'}://{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpServer:
    """``smtp://user:pass@host:port`` or ``smtps://…`` → :class:`SmtpServer`. Errors name the
    setting, never the password."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError("YUQING_SMTP_URL must start with smtp:// or smtps://")
    if not parts.hostname:
        raise ValueError("YUQING_SMTP_URL names no host (smtp://user:password@host:port)")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"YUQING_SMTP_URL: bad port for host {parts.hostname}") from None
    tls = parts.scheme == "smtps"
    return SmtpServer(
        host=parts.hostname,
        port=port or (465 if tls else 25),
        tls=tls,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


def subject_of(payload: dict[str, Any]) -> str:
    """``【舆情告警】重大 案件 12 已超期：某煤矿透水事故`` from the payload's severity, case, kind
    and title (each where present)."""
    words = [
        str(payload.get("severity") or ""),
        f"案件 {payload.get('case_id', '?')}",
        _kind_words(payload),
    ]
    subject = SUBJECT_PREFIX + " ".join(w for w in words if w)
    title = terminal_safe(str(payload.get("title") or ""))
    if title:
        subject += "：" + (title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1] + "…")
    # one line with no control characters: scraped titles are hostile input
    return terminal_safe(subject)


def _kind_words(payload: dict[str, Any]) -> str:
    kind = str(payload.get("kind", ""))
    return str(payload.get("kind_name") or KIND_WORDS.get(kind, kind))


def body_of(payload: dict[str, Any], tz: ZoneInfo) -> str:
    """The plain-text body: one ``标签：值`` line per field, times in ``tz``."""
    # kind_name is shown on the kind's line, not on one of its own
    rest = sorted(n for n in payload if n not in LABELS and n != "kind_name")
    lines = []
    for name in [n for n in LABELS if n in payload] + rest:
        if name == "kind":
            value = f"{terminal_safe(_kind_words(payload))}（{terminal_safe(str(payload[name]))}）"
        else:
            value = _show(name, payload[name], tz)
        lines.append(f"{LABELS.get(name, name)}：{value}")
    lines += [
        "",
        "此邮件由 yuqing 自动发送。告警编号相同的邮件是同一告警的重发，按一次处理即可。",
    ]
    return "\n".join(lines) + "\n"


def _show(name: str, value: Any, tz: ZoneInfo) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str) and name.endswith("_at"):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") + f"（{tz.key}）"
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return terminal_safe("；".join(str(v) for v in value))
    if isinstance(value, list | dict):
        return terminal_safe(json.dumps(value, ensure_ascii=False))
    return terminal_safe(str(value))


def message_id(key: str, mail_from: str) -> str:
    """``<alert.KEY@DOMAIN>``, the same for every sending of one alert; the domain is the
    sender address's."""
    domain = mail_from.rpartition("@")[2].strip(" <>") or "yuqing.localhost"
    local = quote(key, safe=_MSGID_SAFE).replace(".", "%2E")
    return f"<alert.{local}@{domain}>"


def build_message(
    key: str,
    payload: dict[str, Any],
    mail_from: str,
    mail_to: Sequence[str],
    now: datetime,
    tz: ZoneInfo,
) -> EmailMessage:
    msg = EmailMessage(policy=SMTP_POLICY)
    msg["Subject"] = subject_of(payload)
    msg["From"] = mail_from
    msg["To"] = ", ".join(mail_to)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(key, mail_from)
    msg["X-Yuqing-Alert-Id"] = terminal_safe(key)
    msg.set_content(body_of(payload, tz), charset="utf-8")
    return msg


def send_alert(
    smtp_url: str,
    mail_from: str,
    mail_to: Sequence[str],
    key: str,
    payload: dict[str, Any],
    now: datetime,
    tz: ZoneInfo | None = None,
    timeout: float = TIMEOUT,
) -> None:
    """Send one alert; returns when the server accepted it for at least one recipient, else
    raises :class:`DeliveryError` saying why (without the password)."""
    msg = build_message(key, payload, mail_from, mail_to, now, tz or ZoneInfo("Asia/Shanghai"))
    send_message(smtp_url, msg, mail_from, mail_to, timeout)


def send_message(
    smtp_url: str,
    msg: EmailMessage,
    mail_from: str,
    mail_to: Sequence[str],
    timeout: float = TIMEOUT,
) -> None:
    """Send any message (an alert, the daily digest) through the server of ``smtp_url``, as
    described above; :class:`DeliveryError` when it was not accepted. Recipients refused while
    others were accepted are logged, not raised: a retry would send the others a copy."""
    if not mail_to:
        raise DeliveryError("email: no recipients (YUQING_MAIL_TO is empty)")
    try:
        server = parse_smtp_url(smtp_url)
    except ValueError as exc:
        raise DeliveryError(f"email: {exc}") from None
    try:
        smtp = _connect(server, timeout)
        try:
            refused = smtp.send_message(msg, from_addr=mail_from, to_addrs=list(mail_to))
        finally:
            _close(smtp)
    except (smtplib.SMTPException, OSError) as exc:
        reason = _scrub(_describe(exc), server.password)
        raise DeliveryError(f"email via {server.where}: {reason}") from None
    if refused:
        log.warning(
            "message %s: %s refused %s; the other recipients have it",
            terminal_safe(str(msg["Message-ID"] or msg["Subject"] or "")),
            server.where,
            _scrub(", ".join(sorted(refused)), server.password),
        )


def _connect(server: SmtpServer, timeout: float) -> smtplib.SMTP:
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if server.tls:
        smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(server.host, server.port, timeout=timeout)
    try:
        smtp.ehlo_or_helo_if_needed()
        encrypted = server.tls
        if not encrypted and smtp.has_extn("starttls"):
            smtp.starttls(context=context)
            smtp.ehlo()
            encrypted = True
        if server.user:
            if not (server.user + server.password).isascii():
                # smtplib encodes AUTH credentials as ASCII; say so instead of a codec error
                raise DeliveryError(
                    f"email via {server.where}: the SMTP user name and password in "
                    "YUQING_SMTP_URL must be ASCII"
                )
            if not encrypted and not _is_local(server.host):
                raise DeliveryError(
                    f"email via {server.where}: the server offers no STARTTLS; not sending the "
                    "password in clear (use smtps://, or a server that offers STARTTLS)"
                )
            smtp.login(server.user, server.password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def _close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()  # the message went; a server that hangs up first is no failure


def _is_local(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "every recipient refused: " + "; ".join(
            f"{rcpt} ({code} {_text(text)})" for rcpt, (code, text) in exc.recipients.items()
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{type(exc).__name__}: {exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{type(exc).__name__}: {exc.strerror}"
    return f"{type(exc).__name__}: {exc}"


def _text(value: bytes | str) -> str:
    text = value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value
    return terminal_safe(text)


def _scrub(text: str, password: str) -> str:
    """The text with the password blotted out, in case a server echoed it back."""
    return text.replace(password, "***") if password else text
