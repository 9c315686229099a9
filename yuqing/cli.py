"""The ``yuqing`` command: every job by hand.

Library code raises specific exceptions; only this module turns them into one line on stderr and
an exit status (1 for a failed job, 2 for a usage mistake), never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from yuqing.app import App
from yuqing.cli_alerts import add_alert_commands
from yuqing.cli_analyst import add_analyst_commands
from yuqing.cli_cases import add_case_commands
from yuqing.cli_common import (
    EPILOG_HINT,
    UsageError,
    command,
    emit_json,
    missing_action,
    out,
    parse_day,
    parse_duration,
    read_user_file,
)
from yuqing.cli_report import add_report_commands
from yuqing.config import ConfigError, load_settings
from yuqing.crawlers.sources import FEED, KINDS

# --- commands ---------------------------------------------------------------------------------


def cmd_init(app: App, args: argparse.Namespace) -> int:
    from yuqing import jobs

    jobs.init_store(app)
    out(f"store ready: {app.settings.database_url}")
    synced = jobs.sync_sources_file(app)
    if synced is not None:
        out(f"sources file {app.settings.sources_file}: {synced[0]} added, {synced[1]} updated")
    version, trained = jobs.ensure_model(app)
    out(f"model {'trained from the seed corpus' if trained else 'in use'}: {version}")
    return 0


def cmd_db_upgrade(app: App, args: argparse.Namespace) -> int:
    from yuqing.storage.db import current_revision, upgrade

    upgrade(app.engine, args.revision)
    out(f"database at revision {current_revision(app.engine)}")
    return 0


def cmd_ingest(app: App, args: argparse.Namespace) -> int:
    from yuqing import jobs

    app.ready()
    jobs.sync_sources_file(app)
    if args.source:
        from yuqing.storage.db import transaction
        from yuqing.storage.sources import get_source

        with transaction(app.sessions) as session:
            for name in args.source:  # unknown names fail before any fetching
                if (kind := get_source(session, name).kind) != FEED:
                    raise UsageError(f"{name} is a {kind} source: crawl it with `yuqing crawl`")
    reports = jobs.run_ingest(app, args.source, args.force)
    print_ingest(reports)
    return 0


def print_ingest(reports: Sequence[Any]) -> None:
    from yuqing.display import terminal_safe

    new = sum(r.new_posts for r in reports)
    failed = [r for r in reports if r.status == "failed"]
    for r in reports:
        line = f"  {terminal_safe(r.name)}: {r.status}"
        if r.status not in ("failed", "not_modified", "unchanged"):
            line += f", {r.new_posts} new, {r.duplicates} already stored"
            if r.skipped_empty:
                line += f", {r.skipped_empty} empty skipped"
        if r.warning:
            line += f" (warning: {terminal_safe(r.warning)})"
        if r.error:
            line += f": {terminal_safe(r.error)}" + (" [disabled]" if r.disabled else "")
        out(line)
    out(f"ingested {len(reports)} sources: {new} new posts, {len(failed)} failed")


def cmd_crawl(app: App, args: argparse.Namespace) -> int:
    from yuqing import jobs
    from yuqing.display import terminal_safe

    app.ready()
    if args.timeout is not None and args.timeout <= 0:
        raise UsageError(f"--timeout {args.timeout}: give a number of seconds above 0")
    reports = jobs.run_crawls(app, args.source or None, args.timeout)
    for r in reports:
        line = (
            f"  {terminal_safe(r.source)}: {r.status}, {r.pages} pages, {r.stored} new, "
            f"{r.duplicates} already stored"
        )
        if r.updated:
            line += f", {r.updated} updated with a reply"
        if r.error:
            line += f": {terminal_safe(r.error)}"
        elif r.warning:
            line += f" (warning: {terminal_safe(r.warning)})"
        out(line)
    failed = sum(r.status != "ok" for r in reports)
    stored = sum(r.stored for r in reports)
    out(f"crawled {len(reports)} sources: {stored} new posts, {failed} failed")
    return 0


def cmd_triage(app: App, args: argparse.Namespace) -> int:
    from yuqing import jobs

    app.ready()
    since = app.clock() - parse_duration(args.since) if args.since else None
    report = jobs.run_triage(app, since)
    out(f"triaged {report.classified} posts with model {report.model_version}: {report.summary()}")
    return 0


def cmd_sweep(app: App, args: argparse.Namespace) -> int:
    from yuqing import jobs

    app.ready()
    report = jobs.run_sweep(app)
    out(
        f"{report.due_soon} cases newly due soon, {report.overdue} newly overdue "
        f"({report.escalated} escalated to their level's office and propaganda department)"
    )
    return 0


def cmd_queue(app: App, args: argparse.Namespace) -> int:
    from yuqing.triage.queue import as_json, daily_queue, format_table

    app.ready()
    now = app.clock()
    day = parse_day(args.date) if args.date else now.astimezone(app.tz).date()
    with app.sessions() as session:
        items = daily_queue(session, day, app.tz, now)
    if args.json:
        emit_json(
            {"date": day.isoformat(), "timezone": app.tz.key, "cases": as_json(items, app.tz)}
        )
    else:
        out(format_table(items, day, app.tz))
    return 0


def cmd_demo(app: App, args: argparse.Namespace) -> int:
    from yuqing import jobs
    from yuqing.demo.server import DemoServer

    jobs.init_store(app)
    version, trained = jobs.ensure_model(app)
    out(f"model {'trained from the seed corpus' if trained else 'in use'}: {version}")
    with DemoServer() as server:
        out(f"serving the demo feeds on {server.base}")
        added, updated = jobs.add_sources(app, server.sources())
        out(f"demo sources: {added} added, {updated} updated")
        reports, report = jobs.ingest_and_triage(app, [s.name for s in server.sources()])
        print_ingest(reports)
    out(f"triaged {report.classified} posts with model {report.model_version}: {report.summary()}")
    jobs.run_sweep(app)
    out()
    return cmd_queue(app, argparse.Namespace(date=None, json=False))


def cmd_sources_list(app: App, args: argparse.Namespace) -> int:
    from yuqing.display import terminal_safe
    from yuqing.storage.sources import list_sources

    app.ready()
    with app.sessions() as session:
        rows = list_sources(session, app.clock())
    tz = app.tz

    def when(moment: datetime | None) -> str | None:
        return moment.astimezone(tz).isoformat(timespec="seconds") if moment else None

    data = [
        {
            "name": r.source.name,
            "kind": r.source.kind,
            "url": r.source.url,
            "region_code": r.source.region_code,
            "region_name": r.source.region_name,
            "level": r.source.level,
            "department": r.source.department,
            "options": r.source.options,
            "enabled": r.source.enabled,
            "posts": r.posts,
            "posts_last_24h": r.recent,
            "last_success_at": when(r.source.last_success_at),
            "last_error": r.source.last_error,
            "last_warning": r.source.last_warning,
            "consecutive_failures": r.source.consecutive_failures,
            "next_attempt_at": when(r.source.next_attempt_at),
        }
        for r in rows
    ]
    if args.json:
        emit_json(data)
        return 0
    if not data:
        out("no sources yet: add one with `yuqing sources add --name N --url U`")
    for d in data:
        health = "ok" if not d["last_error"] else f"failing ×{d['consecutive_failures']}"
        if not d["enabled"]:
            health = "disabled"
        if d["last_success_at"] is None and not d["last_error"]:
            health = "never fetched"
        out(
            f"{terminal_safe(d['name'])}  {d['kind']}  [{health}]  {d['posts']} posts "
            f"({d['posts_last_24h']} in 24 h)  {terminal_safe(d['url'])}"
        )
        place = " ".join(x for x in (d["region_name"], d["level"], d["department"]) if x)
        if place:
            out(f"    jurisdiction: {terminal_safe(place)} {d['region_code']}")
        if d["last_success_at"]:
            out(f"    last success: {d['last_success_at']}")
        if d["last_error"]:
            out(f"    last error: {terminal_safe(d['last_error'])}")
            out(f"    next attempt: {d['next_attempt_at']}")
        if d["last_warning"]:
            out(f"    warning: {terminal_safe(d['last_warning'])}")
    return 0


def cmd_sources_add(app: App, args: argparse.Namespace) -> int:
    from yuqing.crawlers.sources import SourceSpec, check_spec
    from yuqing.storage.db import transaction
    from yuqing.storage.sources import add_source

    app.ready()
    spec = check_spec(
        SourceSpec(
            name=args.name,
            url=args.url,
            region_code=args.region_code or "",
            region_name=args.region or "",
            level=args.level or "",
            department=args.department or "",
            kind=args.kind,
            options=crawl_options_of(args),
            every=args.every or "",
        ),
        "source",
    )
    with transaction(app.sessions) as session:
        add_source(session, spec, app.clock())
    out(f"added source {spec.name}: {spec.url}")
    return 0


def add_crawl_option_arguments(parser: argparse.ArgumentParser) -> None:
    """One flag per crawl option (``crawlers.crawl_options``), validated when the source is."""
    from yuqing.crawlers.crawl_options import BOARD_SELECTORS, NUMBERS

    words = {
        "links": "links to the posts on a list page (site, board; required there)",
        "next": "the next list page's link",
        "title": "a post's title (default: the page's own title)",
        "body": "a post's text (default: the main text, found by trafilatura)",
        "time": "a post's publication time, e.g. 2026-11-20 09:30 or 2026年11月20日",
        "author": "a post's author",
        "addressed_to": "the department a board message is addressed to (board)",
        "reply_status": "a board message's status words, e.g. 已回复 (board)",
        "reply_text": "the reply's text (board)",
        "reply_time": "the reply's time (board)",
    }
    group = parser.add_argument_group(
        "crawl options", "selectors are CSS, or XPath when written xpath:…"
    )
    for key in BOARD_SELECTORS:
        group.add_argument(
            f"--{key.replace('_', '-')}", dest=f"option_{key}", metavar="SELECTOR", help=words[key]
        )
    for key, number in NUMBERS.items():
        group.add_argument(
            f"--{key.replace('_', '-')}",
            dest=f"option_{key}",
            metavar="N",
            help=f"{number.help} ({number.low:g}–{number.high:g})",
        )


def crawl_options_of(args: argparse.Namespace) -> dict[str, str]:
    """The crawl options given on the command line, as written (checked with the source)."""
    prefix = "option_"
    return {
        key[len(prefix) :]: value
        for key, value in vars(args).items()
        if key.startswith(prefix) and value is not None
    }


def cmd_sources_enable(app: App, args: argparse.Namespace) -> int:
    from yuqing.storage.db import transaction
    from yuqing.storage.sources import set_enabled

    app.ready()
    enabled = args.sources_command == "enable"
    with transaction(app.sessions) as session:
        set_enabled(session, args.name, enabled)
    out(f"source {args.name} {'enabled' if enabled else 'disabled'}")
    return 0


def cmd_sources_import(app: App, args: argparse.Namespace) -> int:
    from yuqing import jobs
    from yuqing.crawlers.sources import parse_opml, parse_sources_toml

    app.ready()
    raw = read_user_file(args.file)
    if args.file.endswith(".toml"):
        specs = parse_sources_toml(raw.decode("utf-8", errors="strict"), args.file)
    else:
        specs = parse_opml(raw, args.file)
    added, updated = jobs.add_sources(app, specs)
    out(f"{args.file}: {len(specs)} sources, {added} added, {updated} updated")
    return 0


def cmd_sources_export(app: App, args: argparse.Namespace) -> int:
    from yuqing.crawlers.sources import to_opml
    from yuqing.storage.sources import list_sources, to_spec

    app.ready()
    with app.sessions() as session:
        data = to_opml([to_spec(r.source) for r in list_sources(session)])
    if args.output in (None, "-"):
        sys.stdout.write(data.decode("utf-8"))
    else:
        Path(args.output).write_bytes(data)
        out(f"wrote {args.output}")
    return 0


def cmd_extract(app: App, args: argparse.Namespace) -> int:
    from yuqing.crawlers.extract import extract_page

    text = extract_page(read_user_file(args.file))
    if not text.strip():
        print(f"yuqing extract: no text found in {args.file}", file=sys.stderr)
        return 1
    sys.stdout.write(text.rstrip("\n") + "\n")
    return 0


def cmd_schedule(app: App, args: argparse.Namespace) -> int:
    from yuqing.scheduler import run_scheduler

    if args.every < 1:
        raise UsageError(f"--every {args.every}: the cycle must be at least 1 minute")
    app.ready()
    run_scheduler(app, every_minutes=args.every)
    return 0


# --- parser -----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="yuqing",
        description="Public-opinion monitoring and response under 国办发〔2016〕61号.",
        epilog="example:\n  yuqing init && yuqing ingest && yuqing triage && yuqing queue\n\n"
        + EPILOG_HINT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    command(
        sub, "init", cmd_init, "create the store and train the default model if none", "yuqing init"
    )

    db = command(
        sub, "db", lambda a, n: missing_action(db), "database schema commands", "yuqing db upgrade"
    )
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION")
    up = command(db_sub, "upgrade", cmd_db_upgrade, "apply schema migrations", "yuqing db upgrade")
    up.add_argument("revision", nargs="?", default="head", help="target revision (default head)")

    p = command(
        sub,
        "ingest",
        cmd_ingest,
        "fetch due sources and store new posts",
        "yuqing ingest --source 湖南省领导留言板",
    )
    p.add_argument(
        "--source",
        action="append",
        metavar="NAME",
        help="only this source, even if it is backing off (repeatable)",
    )
    p.add_argument("--force", action="store_true", help="fetch every enabled source now")

    p = command(
        sub,
        "crawl",
        cmd_crawl,
        "crawl sources that are not feeds (sitemap, site, board), each in a process of its own",
        "yuqing crawl 临江市政府网站 --timeout 300",
    )
    p.add_argument("source", nargs="*", metavar="NAME", help="default: every due non-feed source")
    p.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="end a crawl that runs longer, and record it (default: YUQING_CRAWL_TIME_LIMIT, 600)",
    )

    p = command(
        sub, "triage", cmd_triage, "classify new posts and open cases", "yuqing triage --since 7d"
    )
    p.add_argument(
        "--since",
        metavar="AGE",
        help="re-triage posts fetched within AGE (7d, 12h) with the current model",
    )

    command(
        sub,
        "sweep",
        cmd_sweep,
        "mark waiting cases due soon (75% of the time used) or overdue (escalated), with alerts",
        "yuqing sweep",
    )

    p = command(
        sub,
        "queue",
        cmd_queue,
        "print the daily triage queue",
        "yuqing queue --date 2026-11-27 --json",
    )
    p.add_argument("--date", metavar="YYYY-MM-DD", help="the day (Asia/Shanghai), default today")
    p.add_argument("--json", action="store_true", help="print JSON")

    command(
        sub,
        "demo",
        cmd_demo,
        "serve the bundled demo feeds on 127.0.0.1, ingest, triage and print the queue",
        "YUQING_HOME=/tmp/yq yuqing demo",
    )

    src = command(
        sub,
        "sources",
        cmd_sources_list,
        "list sources with health and post counts",
        "yuqing sources --json",
    )
    src.add_argument("--json", action="store_true", help="print JSON")
    src_sub = src.add_subparsers(dest="sources_command", metavar="ACTION")
    p = command(src_sub, "list", cmd_sources_list, "list sources", "yuqing sources list --json")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = command(
        src_sub,
        "add",
        cmd_sources_add,
        "add one source",
        "yuqing sources add --name 成都发布 --url https://example.cn/rss.xml "
        "--region 成都市 --region-code 510100 --level municipal --department 市委宣传部",
    )
    p.add_argument("--name", required=True)
    p.add_argument("--url", required=True)
    p.add_argument("--region", metavar="NAME", help="region name, e.g. 湖南省")
    p.add_argument("--region-code", metavar="CODE", help="GB/T 2260 code, e.g. 430000")
    p.add_argument("--level", choices=("national", "provincial", "municipal", "county"))
    p.add_argument("--department", help="the department that owns the source")
    p.add_argument(
        "--every",
        metavar="SPAN",
        help="how often the scheduler fetches or crawls it: 30s, 15m, 2h (default: every cycle)",
    )
    p.add_argument(
        "--kind",
        choices=KINDS,
        default=FEED,
        help="feed: RSS/Atom, read by `yuqing ingest`; sitemap, site (list pages → articles), "
        "board (a message board, with replies): crawled by `yuqing crawl`",
    )
    add_crawl_option_arguments(p)
    for action, what in (
        ("enable", "switch a source back on (forgets its failures)"),
        ("disable", "stop fetching a source; its posts stay"),
    ):
        p = command(
            src_sub, action, cmd_sources_enable, what, f"yuqing sources {action} 湖南省领导留言板"
        )
        p.add_argument("name", metavar="NAME")
    p = command(
        src_sub,
        "import",
        cmd_sources_import,
        "import sources from OPML (or TOML)",
        "yuqing sources import feeds.opml",
    )
    p.add_argument("file", metavar="FILE.opml")
    p = command(
        src_sub,
        "export",
        cmd_sources_export,
        "write the sources as OPML",
        "yuqing sources export sources.opml",
    )
    p.add_argument("output", nargs="?", metavar="FILE.opml", help="default: standard output")

    add_analyst_commands(sub)
    add_case_commands(sub)
    add_alert_commands(sub)
    add_report_commands(sub)

    p = command(
        sub,
        "extract",
        cmd_extract,
        "print the cleaned main text of a saved page",
        "yuqing extract saved-page.html",
    )
    p.add_argument("file", metavar="FILE")

    p = command(
        sub,
        "schedule",
        cmd_schedule,
        "run the scheduler: ingest and triage cycles, deadline sweeps, daily digest",
        "yuqing schedule --every 15",
    )
    p.add_argument(
        "--every",
        type=int,
        default=15,
        metavar="MINUTES",
        help="minutes between fetches of a source that sets no `every` of its own (default 15)",
    )
    return parser


def known_errors() -> tuple[type[BaseException], ...]:
    """Every exception that means "a user or data mistake", reported as one line."""
    from yuqing.crawlers.errors import CrawlError
    from yuqing.crawlers.sources import SourceFileError
    from yuqing.models.errors import ModelError
    from yuqing.singleton import AlreadyRunning
    from yuqing.storage.errors import StorageError
    from yuqing.triage.categories import UnknownLabelError
    from yuqing.triage.orgs import OrganisationsError
    from yuqing.triage.regions import RegionError

    return (
        ConfigError,
        StorageError,
        SourceFileError,
        CrawlError,
        ModelError,
        OrganisationsError,
        RegionError,
        AlreadyRunning,
        UnknownLabelError,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    app: App | None = None
    try:
        app = App(load_settings())
        return args.func(app, args)
    except UsageError as exc:
        print(f"yuqing {args.command}: {exc}", file=sys.stderr)
        return 2
    except known_errors() as exc:
        print(f"yuqing {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"yuqing {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`yuqing queue | head`): not an error. Point stdout at devnull
        # so that the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    finally:
        if app is not None:
            app.close()


if __name__ == "__main__":
    sys.exit(main())
