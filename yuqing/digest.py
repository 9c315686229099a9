"""The scheduler's documents: the daily queue digest and the weekly supervision report.

Both are written under ``$YUQING_HOME`` (``digests/``, ``reports/``) as Markdown and HTML (and
CSV for the report), so that a team can read them whether or not mail is set up, and e-mailed
to ``YUQING_MAIL_TO`` when ``YUQING_SMTP_URL`` is set. A failed mail is logged; the files stay.
"""

from __future__ import annotations

import html
import logging
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

from yuqing.alerts import DeliveryError
from yuqing.alerts.email import send_message
from yuqing.app import App
from yuqing.config import AlertSettings
from yuqing.display import terminal_safe
from yuqing.reports.render import md_cell
from yuqing.triage.cases import AWAITING
from yuqing.triage.categories import CATEGORIES
from yuqing.triage.deadlines import FORM_NAMES, format_time_left
from yuqing.triage.queue import QueueItem, daily_queue

log = logging.getLogger("yuqing.digest")

COLUMNS = ("级别", "类别", "时限", "状态", "来源", "标题", "第一责任主体", "热度")


def _row(item: QueueItem, tz: ZoneInfo) -> list[str]:
    left = format_time_left(timedelta(seconds=item.seconds_left))
    due = item.due_at.astimezone(tz).strftime("%m-%d %H:%M")
    return [
        item.severity,
        CATEGORIES[item.category].short_zh,
        f"{FORM_NAMES[item.response_form]} {due} {left}",
        item.status,
        item.source,
        item.title,
        item.responsible_party,
        f"{item.heat.posts} 帖 / {item.heat.sources} 源",
    ]


def queue_markdown(items: list[QueueItem], day: date, tz: ZoneInfo) -> str:
    waiting = sum(i.status in AWAITING for i in items)
    lines = [
        f"# 舆情处置日报 {day.isoformat()}",
        "",
        f"共 {len(items)} 件，待回应 {waiting} 件，超期 {sum(i.overdue for i in items)} 件。",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    for item in items:
        lines.append("| " + " | ".join(md_cell(c) for c in _row(item, tz)) + " |")
    return "\n".join(lines) + "\n"


def queue_html(items: list[QueueItem], day: date, tz: ZoneInfo) -> str:
    """The digest as a page; every scraped string is escaped."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in COLUMNS)
    rows = []
    for item in items:
        cells = _row(item, tz)
        cells[5] = (
            f'<a href="{html.escape(item.url, quote=True)}">{html.escape(cells[5])}</a>'
            if item.url.startswith(("http://", "https://"))
            else html.escape(cells[5])
        )
        rows.append(
            "<tr>"
            + "".join(
                f"<td>{c if i == 5 else html.escape(terminal_safe(c))}</td>"
                for i, c in enumerate(cells)
            )
            + "</tr>"
        )
    title = f"舆情处置日报 {day.isoformat()}"
    return (
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>'
        "<style>body{font-family:sans-serif}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 6px;text-align:left}</style></head><body>"
        f"<h1>{title}</h1><table><tr>{head}</tr>{''.join(rows)}</table></body></html>\n"
    )


def write_digest(app: App, day: date) -> list[Path]:
    """Write the day's queue digest and mail it when mail is configured."""
    now = app.clock()
    with app.sessions() as session:
        items = daily_queue(session, day, app.tz, now)
    folder = app.settings.home / "digests"
    md, page = queue_markdown(items, day, app.tz), queue_html(items, day, app.tz)
    paths = _write(folder, f"queue-{day.isoformat()}", {"md": md, "html": page})
    mail(app.settings.alerts, f"【舆情日报】{day.isoformat()} 共{len(items)}件", md, page, now)
    return paths


def write_weekly_report(app: App, start: date, end: date) -> list[Path]:
    """Write the supervision report for [start, end] and mail it when mail is configured."""
    from yuqing.reports.render import to_csv, to_html, to_markdown
    from yuqing.reports.supervision import supervise

    now = app.clock()
    with app.sessions() as session:
        sup = supervise(session, start, end, app.tz, now)
    md, page = to_markdown(sup), to_html(sup)
    name = f"supervision-{start.isoformat()}-{end.isoformat()}"
    paths = _write(
        app.settings.home / "reports", name, {"md": md, "html": page, "csv": to_csv(sup)}
    )
    mail(
        app.settings.alerts,
        f"【舆情回应督查】{start.isoformat()} 至 {end.isoformat()}",
        md,
        page,
        now,
    )
    return paths


def _write(folder: Path, stem: str, texts: dict[str, str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for suffix, text in texts.items():
        path = folder / f"{stem}.{suffix}"
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)  # a reader never sees half a file
        paths.append(path)
    return paths


def mail(settings: AlertSettings, subject: str, text: str, page: str, now: datetime) -> bool:
    """Send a document as text with an HTML alternative; False (and a log line) when mail is
    not configured or the server refused."""
    if "email" not in settings.channels:
        return False
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = settings.mail_from
    msg["To"] = ", ".join(settings.mail_to)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(domain=settings.mail_from.rpartition("@")[2] or None)
    msg.set_content(text, charset="utf-8")
    msg.add_alternative(page, subtype="html", charset="utf-8")
    try:
        send_message(settings.smtp_url, msg, settings.mail_from, settings.mail_to)
    except DeliveryError as exc:
        log.warning("%s not mailed: %s", subject, exc)
        return False
    return True
