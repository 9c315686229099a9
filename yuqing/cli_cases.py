"""``yuqing route`` and ``yuqing case …``: who must answer, and cases opened or read by hand."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import datetime
from typing import Any

from yuqing.app import App
from yuqing.cli_common import (
    UsageError,
    command,
    emit_json,
    missing_action,
    out,
    parse_duration,
)
from yuqing.display import terminal_safe


def _place(app: App, args: argparse.Namespace) -> Any:
    """The jurisdiction to decide for: a stored source's, or the one given by flags."""
    from yuqing.storage.sources import get_source
    from yuqing.triage.responsibility import SourcePlace

    if getattr(args, "source", None):
        app.ready()
        with app.sessions() as session:
            src = get_source(session, args.source)
            return SourcePlace(src.region_code, src.region_name, src.level, src.department)
    return SourcePlace(args.region_code or "", args.region or "", args.level or "")


def _classify(app: App, text: str, category: str | None) -> tuple[str | None, list[str]]:
    """The category to route under: the one given, else the current model's choice; without a
    trained model, none (and the decision says so)."""
    if category:
        return category, []
    from yuqing.models.corpus import post_text
    from yuqing.models.errors import ModelError
    from yuqing.triage.cases import choose_category

    try:
        model, version = app.model()
    except ModelError as exc:
        return None, [f"未判定类别（{exc}）"]
    (prediction,) = model.predict([post_text("", text)])
    chosen = choose_category(prediction.labels, prediction.scores)
    return chosen, [f"类别由模型 {version} 判定：{chosen or '无需重点回应'}"]


def cmd_route(app: App, args: argparse.Namespace) -> int:
    from yuqing.triage.categories import check_label
    from yuqing.triage.responsibility import default_rules
    from yuqing.triage.severity import grade

    category = check_label(args.category) if args.category else None
    rules = default_rules()
    place = _place(app, args)
    texts = [args.text] if args.text is not None else (line.rstrip("\n") for line in sys.stdin)
    for text in texts:
        if not text.strip():
            if args.text is not None:
                raise UsageError("--text is empty")
            continue  # a blank line on stdin: nothing to route
        chosen, notes = _classify(app, text, category)
        severity = args.severity or grade(text, chosen or "none").grade
        decision = rules.decide(text, chosen, severity, place).as_dict()
        decision["category"], decision["severity"] = chosen, severity
        decision["reasons"] = [*notes, *decision["reasons"]]
        if args.text is not None:
            emit_json(decision)
        else:
            print(json.dumps(decision, ensure_ascii=False), flush=True)
    return 0


def parse_due(text: str, now: datetime, tz: Any) -> datetime:
    """``2026-11-28 18:00`` (Asia/Shanghai unless an offset is given), ``2026-11-28T10:00Z``,
    or a time from now: ``24h``, ``2d``."""
    text = text.strip()
    if text and text[-1] in "dhm" and text[:-1].strip().isdigit():
        return now + parse_duration(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"bad --due {text!r}: use a time such as '2026-11-28 18:00' (Beijing time) or a "
            "span from now such as 24h or 2d"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment


def cmd_case_open(app: App, args: argparse.Namespace) -> int:
    from yuqing.storage.db import transaction
    from yuqing.triage.cases import RequestError, open_request
    from yuqing.triage.responsibility import default_rules

    app.ready()
    now = app.clock()
    due = parse_due(args.due, now, app.tz)
    place = _place(app, args)
    try:
        with transaction(app.sessions) as session:
            case = open_request(
                session,
                args.requested_by,
                args.about,
                due,
                default_rules(),
                place,
                now,
                args.by or getpass.getuser(),
            )
            case_id, routing = case.id, case.routing
    except RequestError as exc:
        raise UsageError(str(exc)) from None
    out(f"case {case_id} opened: due {due.astimezone(app.tz).strftime('%Y-%m-%d %H:%M %Z')}")
    out(f"第一责任主体：{terminal_safe(routing['first_responsible'])}")
    if routing["coordinators"]:
        out(f"组织协调：{terminal_safe('、'.join(routing['coordinators']))}")
    return 0


def cmd_case_show(app: App, args: argparse.Namespace) -> int:
    from yuqing.triage.case_view import case_view, format_case

    app.ready()
    with app.sessions() as session:
        view = case_view(session, args.case_id, app.clock())
    if view is None:
        raise UsageError(f"no case {args.case_id}")
    if args.json:
        emit_json(view)
    else:
        out(format_case(view, app.tz))
    return 0


def _act(app: App, args: argparse.Namespace, action: Any, *extra: Any, **kw: Any) -> int:
    """Run one lifecycle action in a transaction and say what the case is now."""
    from yuqing.storage.db import transaction
    from yuqing.triage.lifecycle import LifecycleError

    app.ready()
    now = app.clock()
    try:
        with transaction(app.sessions) as session:
            done = action(session, args.case_id, *extra, actor=_actor(args), now=now, **kw)
    except LifecycleError as exc:
        raise UsageError(str(exc)) from None
    line = f"case {done.case_id}: {done.status}"
    if done.deadline_met is not None:
        line += "; deadline met" if done.deadline_met else "; deadline NOT met"
    out(line)
    return 0


def _actor(args: argparse.Namespace) -> str:
    return args.by or getpass.getuser()


def cmd_case_ack(app: App, args: argparse.Namespace) -> int:
    from yuqing.triage.lifecycle import acknowledge, start_responding

    action = start_responding if args.responding else acknowledge
    return _act(app, args, action)


def cmd_case_respond(app: App, args: argparse.Namespace) -> int:
    from yuqing.triage.lifecycle import record_response

    at = parse_due(args.at, app.clock(), app.tz) if args.at else app.clock()
    return _act(
        app,
        args,
        record_response,
        form=args.form,
        channel=args.channel,
        at=at,
        url=args.url,
        note=args.note,
    )


def cmd_case_close(app: App, args: argparse.Namespace) -> int:
    from yuqing.triage.lifecycle import close

    return _act(app, args, close, args.reason)


def cmd_case_dismiss(app: App, args: argparse.Namespace) -> int:
    from yuqing.triage.lifecycle import dismiss

    return _act(app, args, dismiss, args.reason)


def _jurisdiction_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--source", metavar="NAME", help="decide for this stored source's jurisdiction")
    p.add_argument("--region", metavar="NAME", help="or a jurisdiction by name, e.g. 郑州市")
    p.add_argument("--region-code", metavar="CODE", help="or by division code, e.g. 410100")
    p.add_argument(
        "--level",
        choices=("national", "provincial", "municipal", "county"),
        help="the level of government the source belongs to",
    )


def add_case_commands(sub: Any) -> None:
    p = command(
        sub,
        "route",
        cmd_route,
        "print who must answer a text (first responsible party, notice section 一) as JSON",
        'yuqing route --text "金水区某小区电梯坏了三个月没人修" --region 郑州市\n'
        "  yuqing route --source 郑州市长信箱 < messages.txt   # one text a line, JSON lines",
    )
    p.add_argument("--text", help="the post; without it, texts are read from stdin, one a line")
    p.add_argument("--category", help="route under this category instead of the model's choice")
    p.add_argument("--severity", choices=("特别重大", "重大", "较大", "一般"))
    _jurisdiction_arguments(p)

    case = command(
        sub,
        "case",
        lambda a, n: missing_action(case),
        "open or read cases by hand",
        "yuqing case show 12",
    )
    case_sub = case.add_subparsers(dest="case_command", metavar="ACTION")
    p = command(
        case_sub,
        "open",
        cmd_case_open,
        "open a case for a higher-level government's request to respond (category five)",
        'yuqing case open --requested-by "市政府办公室" --due "2026-11-28 18:00" '
        '--about "就网传中牟县自来水异味问题主动回应" --region 中牟县 --level county',
    )
    p.add_argument("--requested-by", required=True, metavar="BODY", help="who asked")
    p.add_argument(
        "--due", required=True, metavar="TIME", help="'2026-11-28 18:00' (Beijing) or 24h, 2d"
    )
    p.add_argument("--about", required=True, metavar="TEXT", help="what must be answered")
    p.add_argument("--by", metavar="NAME", help="who records it (default: your login name)")
    _jurisdiction_arguments(p)

    p = command(
        case_sub,
        "show",
        cmd_case_show,
        "show a case: grade, deadline, owner and why, its event, referral and history",
        "yuqing case show 12 --json",
    )
    p.add_argument("case_id", type=int, metavar="CASE_ID")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command(
        case_sub,
        "ack",
        cmd_case_ack,
        "acknowledge a case (认领); --responding: a response is being prepared",
        "yuqing case ack 12 --by 值班员张三",
    )
    p.add_argument("case_id", type=int, metavar="CASE_ID")
    p.add_argument("--responding", action="store_true", help="mark it as being responded to")
    p.add_argument("--by", metavar="NAME", help="who (default: your login name)")

    from yuqing.triage.lifecycle import CHANNELS, FORMS

    p = command(
        case_sub,
        "respond",
        cmd_case_respond,
        "record a response: its form, channel, URL and time (a first one decides the deadline)",
        "yuqing case respond 12 --form press_conference --channel website "
        "--url https://www.example.gov.cn/xwfb/1.html --at '2026-11-27 20:00'",
    )
    p.add_argument("case_id", type=int, metavar="CASE_ID")
    p.add_argument("--form", required=True, choices=list(FORMS), help="the response's form")
    p.add_argument("--channel", required=True, choices=list(CHANNELS), help="where it appeared")
    p.add_argument("--url", help="where it can be read")
    p.add_argument("--at", metavar="TIME", help="when it was made public (default: now)")
    p.add_argument("--note", help="anything else worth keeping")
    p.add_argument("--by", metavar="NAME", help="who records it (default: your login name)")

    for name, func, what, example in (
        (
            "close",
            cmd_case_close,
            "close an answered case with the reason",
            "事件已平息，持续发布完毕",
        ),
        ("dismiss", cmd_case_dismiss, "set a case aside with the reason", "误报：与本地无关"),
    ):
        p = command(case_sub, name, func, what, f"yuqing case {name} 12 --reason {example}")
        p.add_argument("case_id", type=int, metavar="CASE_ID")
        p.add_argument("--reason", required=True, help="why, in words")
        p.add_argument("--by", metavar="NAME", help="who (default: your login name)")
