"""What every ``yuqing`` command module shares: usage errors, output, reading user files, and
the way a subcommand is declared (with an example in its help)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

EPILOG_HINT = "Data directory: $YUQING_HOME (default ./var); database: $YUQING_DATABASE_URL."


class UsageError(Exception):
    """A mistake in how the command was called (exit status 2)."""


def parse_duration(text: str) -> timedelta:
    """``7d``, ``12h``, ``30m`` → timedelta."""
    match = re.fullmatch(r"(\d+)\s*([dhm])", text.strip())
    if not match:
        raise UsageError(f"bad duration {text!r}: use a number and d, h or m, e.g. 7d, 12h, 30m")
    amount, unit = int(match.group(1)), match.group(2)
    return timedelta(**{{"d": "days", "h": "hours", "m": "minutes"}[unit]: amount})


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"bad date {text!r}: use YYYY-MM-DD, e.g. 2026-11-27") from None


def read_user_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise UsageError(f"file not found: {path}") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a directory, not a file") from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None


def out(text: str = "") -> None:
    print(text)


def emit_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))


def missing_action(parser: argparse.ArgumentParser) -> int:
    """A command group called without its action (``yuqing db``): its help, exit status 2."""
    parser.print_help(sys.stderr)
    return 2


def command(
    sub: Any, name: str, func: Callable[[Any, argparse.Namespace], int], help: str, example: str
) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        name,
        help=help,
        description=help,
        epilog=f"example:\n  {example}\n\n{EPILOG_HINT}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(func=func)
    return parser
