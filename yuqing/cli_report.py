"""``yuqing report``: the supervision report (sections 四 and 五 of the notice) for a period."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from yuqing.app import App
from yuqing.cli_common import UsageError, command, out, parse_day

FORMATS = ("md", "html", "csv")


def cmd_report(app: App, args: argparse.Namespace) -> int:
    from yuqing.reports.render import to_csv, to_html, to_markdown
    from yuqing.reports.supervision import PeriodError, supervise

    start, end = parse_day(args.start), parse_day(args.end)
    app.ready()
    try:
        with app.sessions() as session:
            sup = supervise(session, start, end, app.tz, app.clock())
    except PeriodError as exc:
        raise UsageError(f"--from {start} --to {end}: {exc}") from None
    text = {"md": to_markdown, "html": to_html, "csv": to_csv}[args.format](sup)
    if args.out in (None, "-"):
        sys.stdout.write(text)
        return 0
    try:
        # newline="": the CSV writer already ends its lines; no platform translation.
        Path(args.out).write_text(text, encoding="utf-8", newline="")
    except OSError as exc:
        raise UsageError(f"cannot write {args.out}: {exc.strerror}") from None
    t = sup.total
    out(
        f"wrote {args.out}: {t.cases} cases, {t.on_time} on time, {t.overdue} overdue, "
        f"{len(sup.interviews)} units to interview"
    )
    return 0


def add_report_commands(sub: Any) -> None:
    p = command(
        sub,
        "report",
        cmd_report,
        "the supervision report for cases opened in a period: on-time rates per department "
        "and region, overdue units to interview (约谈), good practice",
        "yuqing report --from 2026-11-01 --to 2026-11-30 --format html --out 2026-11.html",
    )
    p.add_argument(
        "--from",
        dest="start",
        required=True,
        metavar="YYYY-MM-DD",
        help="first day (Asia/Shanghai)",
    )
    p.add_argument(
        "--to", dest="end", required=True, metavar="YYYY-MM-DD", help="last day, included"
    )
    p.add_argument(
        "--format",
        choices=FORMATS,
        default="md",
        help="md (default), html (a self-contained page with charts), or csv (one row per unit)",
    )
    p.add_argument("--out", metavar="FILE", help="write here (default: standard output)")
