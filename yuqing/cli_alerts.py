"""``yuqing alerts`` (the outbox and where each alert went) and ``yuqing alerts deliver``."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from yuqing.app import App
from yuqing.cli_common import UsageError, command, emit_json, out
from yuqing.display import terminal_safe


def cmd_alerts_list(app: App, args: argparse.Namespace) -> int:
    from yuqing.alerts.outbox import recent_alerts

    if args.limit < 1:
        raise UsageError(f"--limit {args.limit}: must be at least 1")
    app.ready()
    with app.sessions() as session:
        alerts = recent_alerts(session, pending_only=args.pending, limit=args.limit)
    if args.json:
        emit_json([_jsonable(a) for a in alerts])
        return 0
    if not alerts:
        out("no pending alerts" if args.pending else "no alerts")
    for a in alerts:
        out(
            f"{_when(a['created_at'], app.tz)}  {a['kind']:<10}  case {a['case_id']}  "
            f"{terminal_safe(a['id'])}"
        )
        if not a["deliveries"]:
            out("    no channel was configured when it was raised: not delivered")
        for d in a["deliveries"]:
            out(f"    {d['channel']}: {_delivery_state(d, app.tz)}")
    if not app.settings.alerts.channels:
        out(
            "(no alert channel configured: set YUQING_WEBHOOK_URL, or YUQING_SMTP_URL and "
            "YUQING_MAIL_TO)"
        )
    return 0


def cmd_alerts_deliver(app: App, args: argparse.Namespace) -> int:
    from yuqing.alerts.deliver import deliver_due

    if args.limit < 1:
        raise UsageError(f"--limit {args.limit}: must be at least 1")
    app.ready()
    report = deliver_due(
        app.sessions,
        app.settings.alerts,
        app.clock(),
        limit=args.limit,
        user_agent=app.settings.http.user_agent,
        tz=app.tz,
    )
    line = f"alerts: {report.sent} sent, {report.failed} failed, {report.pending} pending"
    if report.unconfigured:
        line += f" ({report.unconfigured} due on a channel that is switched off)"
    out(line)
    # A failed attempt is not a failed command: it is recorded and retried with backoff.
    return 0


def _delivery_state(d: dict[str, Any], tz: ZoneInfo) -> str:
    tries = f"{d['attempts']} attempt{'s' if d['attempts'] != 1 else ''}"
    if d["status"] == "sent":
        text = f"sent {_when(d['sent_at'], tz)} ({tries})"
    else:
        text = f"pending, {tries}, next {_when(d['next_attempt_at'], tz)}"
    if d["last_error"]:
        text += f"; last error: {terminal_safe(d['last_error'])}"
    return text


def _when(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else "—"


def _jsonable(alert: dict[str, Any]) -> dict[str, Any]:
    def iso(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        **alert,
        "created_at": iso(alert["created_at"]),
        "deliveries": [
            {**d, "next_attempt_at": iso(d["next_attempt_at"]), "sent_at": iso(d["sent_at"])}
            for d in alert["deliveries"]
        ],
    }


def add_alert_commands(sub: Any) -> None:
    alerts = command(
        sub,
        "alerts",
        cmd_alerts_list,
        "list alerts (newest first) and where each was delivered",
        "yuqing alerts --pending",
    )
    _list_arguments(alerts)
    alerts_sub = alerts.add_subparsers(dest="alerts_command", metavar="ACTION")
    p = command(
        alerts_sub,
        "deliver",
        cmd_alerts_deliver,
        "send the alerts that are due on the webhook and by e-mail, once, and print the counts",
        "yuqing alerts deliver",
    )
    p.add_argument(
        "--limit", type=int, default=100, metavar="N", help="send at most N (default 100)"
    )


def _list_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "--pending", action="store_true", help="only alerts with a delivery not yet made"
    )
    p.add_argument(
        "--limit", type=int, default=50, metavar="N", help="the newest N alerts (default 50)"
    )
