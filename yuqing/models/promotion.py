"""Candidates, promotion and rollback: which trained version triage uses, and how it got there.

``yuqing train`` saves a *candidate* (``registry.save(..., make_current=False)``); nothing uses it
until ``promote`` makes it current. Every promotion and rollback is appended to
``models_dir/HISTORY``, one JSON object a line::

    {"action": "promote", "version": "20250302-091500", "previous": "20250301-080000",
     "at": "2025-03-02T09:20:00+00:00"}
    {"action": "rollback", "version": "20250301-080000", "previous": "20250302-091500", ...}

``version`` is the version put in use, ``previous`` the one it replaced. Read in order, the
history is a stack: a promotion pushes, a rollback pops, so rolling back twice returns to the
version in use two promotions ago. The file is rewritten whole through a temporary file and a
rename, so a crash leaves the old history or the new one, never half a line.

A rollback is refused when CURRENT names a version the history did not put in use (it was set
some other way): which version came before it is then unknown, and guessing would be worse than
asking for an explicit ``promote``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from yuqing.models import registry
from yuqing.models.errors import ModelError

HISTORY_FILE = "HISTORY"
PROMOTE = "promote"
ROLLBACK = "rollback"


@dataclass(frozen=True)
class Switch:
    """One line of HISTORY: ``version`` was put in use in place of ``previous`` at ``at``."""

    action: str
    version: str
    previous: str | None
    at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "version": self.version,
            "previous": self.previous,
            "at": self.at.isoformat(),
        }


@dataclass(frozen=True)
class ModelRow:
    """One line of ``yuqing model list``."""

    version: str
    created: datetime | None
    in_use: bool
    #: never put in use (a candidate waiting for ``promote``)
    candidate: bool
    corpus_size: int | None
    macro_f1: float | None
    labels: tuple[str, ...]
    #: when it was last put in use (by promote or rollback), if ever
    last_in_use: datetime | None
    #: why its meta.json could not be read, if it could not
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "created": self.created.isoformat() if self.created else None,
            "in_use": self.in_use,
            "candidate": self.candidate,
            "corpus_size": self.corpus_size,
            "macro_f1": self.macro_f1,
            "labels": list(self.labels),
            "last_in_use": self.last_in_use.isoformat() if self.last_in_use else None,
            "error": self.error,
        }


def promote(models_dir: Path | str, version: str, now: datetime) -> Switch:
    """Make ``version`` the model in use and record it. Raises :class:`ModelNotFound` for an
    unknown version and :class:`ModelError` if it is already in use."""
    root = Path(models_dir)
    _check_time(now)
    history = read_history(root)
    current = registry.current_version(root)
    if version == current:
        raise ModelError(f"model {version} is already in use")
    return _switch(root, history, Switch(PROMOTE, version, current, now.astimezone(UTC)))


def rollback(models_dir: Path | str, now: datetime) -> Switch:
    """Put back the version that was in use before the current one, and record it.

    Raises :class:`ModelError` when there is nothing to roll back to (no promotion recorded, or
    the current version was the first one promoted) or when CURRENT was set outside
    :func:`promote`.
    """
    root = Path(models_dir)
    _check_time(now)
    history = read_history(root)
    current = registry.current_version(root)
    path = root / HISTORY_FILE
    if current is None:
        raise ModelError(f"no model in use in {root}: nothing to roll back")
    stack = in_use_stack(history)
    if not stack:
        raise ModelError(f"nothing to roll back to: no promotion is recorded in {path}")
    if stack[-1] != current:
        raise ModelError(
            f"the model in use, {current}, was not put in use by a promotion (the last one "
            f"recorded in {path} is {stack[-1]}): promote the version you want instead"
        )
    if len(stack) < 2:
        raise ModelError(
            f"nothing to roll back to: {current} is the first version recorded in use in {path}"
        )
    return _switch(root, history, Switch(ROLLBACK, stack[-2], current, now.astimezone(UTC)))


def read_history(models_dir: Path | str) -> list[Switch]:
    """Every recorded promotion and rollback, oldest first; ``[]`` when there is no HISTORY.

    A damaged file raises :class:`ModelError` naming the file and the line.
    """
    path = Path(models_dir) / HISTORY_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path}: cannot read the promotion history: {exc}") from None
    return [
        _parse_line(line, path, number)
        for number, line in enumerate(text.splitlines(), 1)
        if line.strip()
    ]


def in_use_stack(history: list[Switch]) -> list[str]:
    """The versions a run of rollbacks would return through, the one in use last.

    A promotion pushes its version (and its ``previous`` first, when that is not already on
    top: the first promotion, or a version made current some other way in between); a rollback
    pops, then makes sure the version it restored is on top.
    """
    stack: list[str] = []
    for switch in history:
        if switch.action == PROMOTE:
            if switch.previous is not None and (not stack or stack[-1] != switch.previous):
                stack.append(switch.previous)
            stack.append(switch.version)
        else:
            if stack:
                stack.pop()
            if not stack or stack[-1] != switch.version:
                stack.append(switch.version)
    return stack


def candidates(models_dir: Path | str) -> list[str]:
    """Versions never put in use and newer than the one in use, oldest first: what ``yuqing
    evaluate`` compares with the model in use, and what ``promote`` is for."""
    root = Path(models_dir)
    return [row.version for row in models_table(root) if row.candidate]


def models_table(models_dir: Path | str) -> list[ModelRow]:
    """Every version, oldest first, with what ``yuqing model list`` shows."""
    root = Path(models_dir)
    history = read_history(root)
    last_in_use: dict[str, datetime] = {}
    for switch in history:
        last_in_use[switch.version] = switch.at
    ever_in_use = set(last_in_use) | {s.previous for s in history if s.previous}
    versions = registry.list_versions(root)
    current = next((meta["version"] for meta in versions if meta["current"]), None)
    rows = []
    for meta in versions:
        version = meta["version"]
        metrics = meta.get("metrics")
        macro_f1 = metrics.get("macro_f1") if isinstance(metrics, dict) else None
        size = meta.get("corpus_size")
        rows.append(
            ModelRow(
                version=version,
                created=_created(meta.get("created_at")),
                in_use=bool(meta["current"]),
                # names start with the creation time, so they sort in time order
                candidate=version not in ever_in_use
                and not meta["current"]
                and (current is None or version > current),
                corpus_size=size if isinstance(size, int) else None,
                macro_f1=float(macro_f1) if isinstance(macro_f1, int | float) else None,
                labels=tuple(meta.get("labels") or ()),
                last_in_use=last_in_use.get(version),
                error=meta.get("error"),
            )
        )
    return rows


def _switch(root: Path, history: list[Switch], switch: Switch) -> Switch:
    """Make ``switch.version`` current, then record it; undo the first if the second fails."""
    registry.set_current(root, switch.version)  # ModelNotFound for an unknown version
    lines = [json.dumps(s.as_dict(), ensure_ascii=False) for s in (*history, switch)]
    try:
        registry.write_durably(root / HISTORY_FILE, "\n".join(lines) + "\n")
    except BaseException:
        # an unrecorded switch would make the next rollback go to the wrong version
        if switch.previous is not None:
            registry.set_current(root, switch.previous)
        else:
            (root / registry.CURRENT_FILE).unlink(missing_ok=True)
        raise
    return switch


def _parse_line(line: str, path: Path, number: int) -> Switch:
    def bad(problem: str) -> ModelError:
        return ModelError(f"{path} line {number}: {problem}")

    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise bad(f"invalid JSON: {exc.msg}") from None
    if not isinstance(raw, dict):
        raise bad("expected a JSON object")
    action = raw.get("action")
    if action not in (PROMOTE, ROLLBACK):
        raise bad(f"'action' is {action!r}; expected 'promote' or 'rollback'")
    version, previous = raw.get("version"), raw.get("previous")
    if not isinstance(version, str) or not version:
        raise bad("'version' must be a model version name")
    if previous is not None and (not isinstance(previous, str) or not previous):
        raise bad("'previous' must be a model version name or null")
    at = _created(raw.get("at"))
    if at is None:
        raise bad(f"'at' is {raw.get('at')!r}; expected an ISO 8601 time with its UTC offset")
    return Switch(action, version, previous, at)


def _created(value: object) -> datetime | None:
    """An ISO 8601 time with an offset, as UTC; None when absent or not such a time."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo is not None else None


def _check_time(now: datetime) -> None:
    if now.tzinfo is None:
        raise ModelError("promotion times must be timezone-aware datetimes")
