"""Analyst labels: corrections that analysts make to posts, kept as an append-only log.

Every change is a row of ``analyst_labels`` (who, when, add or remove, an optional note); a
post's current analyst labels are the labels whose last row, in the order the rows were written,
is an ``add``. Nothing is overwritten, so the label set of a post at any earlier time can be
rebuilt (``current_labels(..., as_of=...)``).

``none`` means "this post needs no response" and cannot stand beside a category: adding ``none``
removes the post's other analyst labels, and adding any other label removes ``none``. Both
removals are written to the log as rows of their own, so the log alone explains every state.

Import files (JSON Lines or CSV, by extension) hold one row per post::

    {"post_id": 12, "labels": ["emergency", "rumour"]}
    {"url": "https://example.gov.cn/a/1.html", "label": "fake"}

A row names its post by ``post_id`` or ``url`` (both, as in an export, must agree), and states
the post's whole analyst label set: labels the post has and the row lacks are removed. Labels go
through the label map (``fake=rumour``). A ``text`` or ``title`` field is allowed and ignored: an
export carries them for the reader. A row that cannot be used (an unknown post or label, bad
JSON) is reported with its line number and skipped; the other rows are imported.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuqing.crawlers.urls import canonicalize_url
from yuqing.models.corpus import Example, post_text
from yuqing.models.errors import CorpusError
from yuqing.storage.errors import InvalidLabels, NotFound
from yuqing.storage.in_lists import slices
from yuqing.storage.schema import AnalystLabel, Post
from yuqing.triage.categories import (
    CATEGORIES,
    NONE,
    UnknownLabelError,
    check_label,
)

ADD = "add"
REMOVE = "remove"

#: Labels in the order they are shown and exported: the notice's categories, then ``none``.
_ORDER = {code: i for i, code in enumerate(dict.fromkeys((*CATEGORIES, NONE)))}
_CSV_SEPARATORS = (",", ";", "|")
# Spreadsheet programs run a cell that starts with one of these as a formula; scraped text is
# hostile, so exported CSV cells get a leading apostrophe instead.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class LabelChange:
    """What one call did to one post: labels added and removed, and the set now in force."""

    post_id: int
    added: tuple[str, ...]
    removed: tuple[str, ...]
    labels: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


@dataclass(frozen=True)
class Skipped:
    line: int
    reason: str


@dataclass
class ImportReport:
    """The outcome of an import: ``changed`` posts whose labels changed, ``unchanged`` rows that
    stated what was already recorded, and every skipped row with its line number and why."""

    source: str
    changed: int = 0
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)

    def format_skipped(self) -> list[str]:
        return [f"{self.source} line {s.line}: {s.reason}" for s in self.skipped]


def ordered(labels: Iterable[str]) -> tuple[str, ...]:
    """Labels in display order (categories in the notice's order, then ``none``)."""
    return tuple(sorted(set(labels), key=lambda code: (_ORDER.get(code, len(_ORDER)), code)))


def add_labels(
    session: Session,
    post_id: int,
    labels: Sequence[str],
    analyst: str,
    now: datetime,
    note: str | None = None,
) -> LabelChange:
    """Give post ``post_id`` the analyst labels ``labels`` (others it has stay, except as the
    ``none`` rule says). Raises :class:`NotFound`, ``UnknownLabelError`` or
    :class:`InvalidLabels`; labels it already has are left as they are."""
    wanted = _checked_labels(labels, analyst)
    _require_post(session, post_id)
    current = current_labels(session, [post_id])[post_id]
    if NONE in wanted:
        target = frozenset({NONE})
    else:
        target = (current - {NONE}) | wanted
    return _apply(session, post_id, current, target, analyst, now, note)


def remove_labels(
    session: Session,
    post_id: int,
    labels: Sequence[str],
    analyst: str,
    now: datetime,
    note: str | None = None,
) -> LabelChange:
    """Take ``labels`` off post ``post_id``; labels it does not have are ignored. A post left
    with no analyst label is not used for training: add ``none`` to say it needs no response."""
    unwanted = _checked_labels(labels, analyst, allow_none_with_others=True)
    _require_post(session, post_id)
    current = current_labels(session, [post_id])[post_id]
    return _apply(session, post_id, current, current - unwanted, analyst, now, note)


def set_labels(
    session: Session,
    post_id: int,
    labels: Sequence[str],
    analyst: str,
    now: datetime,
    note: str | None = None,
) -> LabelChange:
    """Make post ``post_id``'s analyst labels exactly ``labels`` (what an import row says)."""
    wanted = _checked_labels(labels, analyst)
    _require_post(session, post_id)
    current = current_labels(session, [post_id])[post_id]
    return _apply(session, post_id, current, wanted, analyst, now, note)


def current_labels(
    session: Session, post_ids: Iterable[int] | None = None, *, as_of: datetime | None = None
) -> dict[int, frozenset[str]]:
    """Each post's analyst labels: the labels whose last log row is an ``add``.

    With ``post_ids``, every id asked for is a key (an empty set when the post has none);
    without, only posts that have at least one label appear. ``as_of`` reads the log as it
    stood then (rows written with ``at`` up to that time).
    """
    query = select(AnalystLabel.post_id, AnalystLabel.label, AnalystLabel.action)
    if as_of is not None:
        query = query.where(AnalystLabel.at <= as_of)
    query = query.order_by(AnalystLabel.id)
    if post_ids is None:
        return _fold(session.execute(query))
    ids = list(dict.fromkeys(post_ids))
    result: dict[int, frozenset[str]] = {post_id: frozenset() for post_id in ids}
    for chunk in slices(ids):
        result.update(_fold(session.execute(query.where(AnalystLabel.post_id.in_(chunk)))))
    return result


def history(session: Session, post_id: int) -> list[AnalystLabel]:
    """Every log row of one post, oldest first (what ``yuqing label POST_ID`` can show)."""
    return list(
        session.scalars(
            select(AnalystLabel).where(AnalystLabel.post_id == post_id).order_by(AnalystLabel.id)
        )
    )


def export_rows(session: Session) -> list[dict[str, Any]]:
    """One row per post with analyst labels, by post id: ``post_id``, ``url``, ``title``,
    ``text`` and ``labels`` (a list). The rows read back through :func:`import_rows`."""
    labelled = current_labels(session)
    rows = []
    for post in _posts(session, sorted(labelled)):
        rows.append(
            {
                "post_id": post.id,
                "url": post.canonical_url,
                "title": post.title,
                "text": post.text,
                "labels": list(ordered(labelled[post.id])),
            }
        )
    return rows


def write_jsonl(rows: Iterable[Mapping[str, Any]], out: TextIO) -> None:
    """Exported rows as JSON Lines (UTF-8 text, not ``\\u`` escapes)."""
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")


def write_csv(rows: Iterable[Mapping[str, Any]], out: TextIO) -> None:
    """Exported rows as CSV with a header; labels joined by ``,`` in one cell. ``out`` should be
    opened with ``newline=""`` (csv module documentation)."""
    writer = csv.writer(out)
    writer.writerow(["post_id", "url", "labels", "title", "text"])
    for row in rows:
        writer.writerow(
            [
                row["post_id"],
                row["url"],
                ",".join(row["labels"]),
                _cell(row["title"]),
                _cell(row["text"]),
            ]
        )


def read_rows(path: Path | str) -> tuple[list[tuple[int, dict[str, Any]]], list[Skipped]]:
    """A label file's rows as ``(line, fields)``, and the lines that are not rows at all.

    JSON Lines (``.jsonl``) or CSV (``.csv``, with a header). A file that cannot be read at all
    (missing, not UTF-8, another type, a CSV without the needed columns) raises
    :class:`CorpusError` naming it.
    """
    path = Path(path)
    source = str(path)
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".csv"):
        raise CorpusError(source, "unknown file type; expected a .jsonl or .csv file")
    try:
        # utf-8-sig: spreadsheet programs often put a byte-order mark in front of exports.
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise CorpusError(source, "no such file") from None
    except UnicodeDecodeError as exc:
        raise CorpusError(source, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise CorpusError(source, f"cannot read: {exc.strerror or exc}") from None
    return _csv_rows(text, source) if suffix == ".csv" else _jsonl_rows(text)


def import_rows(
    session: Session,
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    analyst: str,
    now: datetime,
    *,
    label_map: Mapping[str, str] | None = None,
    source: str = "rows",
    note: str | None = None,
) -> ImportReport:
    """Apply ``(line, fields)`` rows (see the module docstring); skip and report bad ones.

    ``label_map`` (from ``yuqing.models.corpus.parse_label_map``) renames labels first. The
    caller owns the transaction: commit it to keep the import.
    """
    _check_analyst(analyst)
    mapping = dict(label_map or {})
    report = ImportReport(source=source)
    if note is None:
        note = f"imported from {source}"
    for line, fields in rows:
        try:
            post_id = _row_post(session, fields)
            labels = _row_labels(fields, mapping)
        except _BadRow as exc:
            report.skipped.append(Skipped(line, str(exc)))
            continue
        current = current_labels(session, [post_id])[post_id]
        change = _apply(session, post_id, current, labels, analyst, now, note)
        if change.changed:
            report.changed += 1
        else:
            report.unchanged += 1
    return report


def import_file(
    session: Session,
    path: Path | str,
    analyst: str,
    now: datetime,
    *,
    label_map: Mapping[str, str] | None = None,
) -> ImportReport:
    """:func:`read_rows` then :func:`import_rows`; unreadable lines are among the skipped."""
    rows, unreadable = read_rows(path)
    report = import_rows(session, rows, analyst, now, label_map=label_map, source=str(path))
    report.skipped = sorted([*unreadable, *report.skipped], key=lambda s: s.line)
    return report


def training_examples(session: Session) -> list[Example]:
    """Every post with analyst labels as a training example: title and text as the classifier
    reads them in triage, and the current labels. Ids are ``post-<id>``."""
    labelled = current_labels(session)
    return [
        Example(
            text=post_text(post.title, post.text),
            labels=ordered(labelled[post.id]),
            id=f"post-{post.id}",
        )
        for post in _posts(session, sorted(labelled))
    ]


# -- internals ---------------------------------------------------------------------------------


class _BadRow(Exception):
    """Why one import row is skipped."""


def _fold(rows: Iterable[Any]) -> dict[int, frozenset[str]]:
    state: dict[int, set[str]] = {}
    for post_id, label, action in rows:
        labels = state.setdefault(post_id, set())
        if action == ADD:
            labels.add(label)
        else:
            labels.discard(label)
    return {post_id: frozenset(labels) for post_id, labels in state.items() if labels}


def _apply(
    session: Session,
    post_id: int,
    current: frozenset[str],
    target: frozenset[str],
    analyst: str,
    now: datetime,
    note: str | None,
) -> LabelChange:
    if now.tzinfo is None:
        raise ValueError(f"naive datetime {now!r}: label times must be aware UTC times")
    added = ordered(target - current)
    removed = ordered(current - target)
    # Removals first: reading the log row by row never shows ``none`` beside a category.
    for label in removed:
        session.add(_row(post_id, label, REMOVE, analyst, now, note))
    for label in added:
        session.add(_row(post_id, label, ADD, analyst, now, note))
    session.flush()
    return LabelChange(post_id, added, removed, ordered(target))


def _row(
    post_id: int, label: str, action: str, analyst: str, now: datetime, note: str | None
) -> AnalystLabel:
    return AnalystLabel(
        post_id=post_id, label=label, action=action, analyst=analyst, at=now, note=note
    )


def _checked_labels(
    labels: Sequence[str], analyst: str, *, allow_none_with_others: bool = False
) -> frozenset[str]:
    _check_analyst(analyst)
    if isinstance(labels, str):  # a lone string would be read letter by letter
        labels = [labels]
    if not labels:
        raise InvalidLabels("no labels given")
    codes = frozenset(check_label(label) for label in labels)
    if not allow_none_with_others and NONE in codes and len(codes) > 1:
        raise InvalidLabels(
            f"'none' (needs no response) cannot go with other labels: {', '.join(ordered(codes))}"
        )
    return codes


def _check_analyst(analyst: str) -> None:
    if not analyst or not analyst.strip():
        raise InvalidLabels("no analyst named: say who made the change")
    if len(analyst) > 200:
        raise InvalidLabels(f"analyst name longer than 200 characters: {analyst[:40]!r}...")


def _require_post(session: Session, post_id: int) -> None:
    if session.get(Post, post_id) is None:
        raise NotFound(f"no post with id {post_id}")


def _posts(session: Session, ids: Sequence[int]) -> Iterator[Post]:
    for chunk in slices(ids):
        yield from session.scalars(select(Post).where(Post.id.in_(chunk)).order_by(Post.id))


def _row_post(session: Session, fields: Mapping[str, Any]) -> int:
    """The id of the post a row names, checking ``post_id`` and ``url`` against each other."""
    raw_id, raw_url = fields.get("post_id"), fields.get("url")
    if raw_id in (None, "") and raw_url in (None, ""):
        raise _BadRow("no 'post_id' or 'url'")
    url = None
    if raw_url not in (None, ""):
        if not isinstance(raw_url, str):
            raise _BadRow(f"'url' must be a string, not {raw_url!r}")
        try:
            url = canonicalize_url(raw_url)
        except ValueError as exc:
            raise _BadRow(f"'url': {exc}") from None
    if raw_id in (None, ""):
        post_id = session.scalar(select(Post.id).where(Post.canonical_url == url))
        if post_id is None:
            raise _BadRow(f"no post with URL {raw_url!r}")
        return post_id
    post_id = _as_id(raw_id)
    post = session.get(Post, post_id)
    if post is None:
        raise _BadRow(f"no post with id {post_id}")
    if url is not None and url != post.canonical_url:
        # e.g. an export from another database, whose ids name other posts
        raise _BadRow(f"post {post_id} has URL {post.canonical_url!r}, the row says {raw_url!r}")
    return post_id


def _as_id(raw: object) -> int:
    if isinstance(raw, bool):
        raise _BadRow(f"'post_id' must be a whole number, not {raw!r}")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().isdigit():
        return int(raw.strip())
    raise _BadRow(f"'post_id' must be a whole number, not {raw!r}")


def _row_labels(fields: Mapping[str, Any], mapping: Mapping[str, str]) -> frozenset[str]:
    if "label" in fields and "labels" in fields:
        raise _BadRow("has both 'label' and 'labels'")
    name = "label" if "label" in fields else "labels"
    raw = fields.get(name)
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(label, str) for label in raw):
        raise _BadRow(f"{name!r} must be a label or a list of labels")
    names = [label.strip() for label in raw if label.strip()]
    if not names:
        raise _BadRow("no labels (write 'none' for a post that needs no response)")
    codes = []
    for label in names:
        code = mapping.get(label, label)
        try:
            codes.append(check_label(code))
        except UnknownLabelError as exc:
            raise _BadRow(f"{exc} (a label map can translate it: {label}=<known label>)") from None
    if NONE in codes and len(set(codes)) > 1:
        raise _BadRow(f"'none' cannot go with other labels: {', '.join(ordered(codes))}")
    return frozenset(codes)


def _jsonl_rows(text: str) -> tuple[list[tuple[int, dict[str, Any]]], list[Skipped]]:
    rows, skipped = [], []
    for line, raw_line in enumerate(text.splitlines(), 1):
        if not raw_line.strip():
            continue
        try:
            value = json.loads(raw_line)
        except json.JSONDecodeError as exc:
            skipped.append(Skipped(line, f"invalid JSON: {exc.msg}"))
            continue
        if not isinstance(value, dict):
            skipped.append(Skipped(line, "expected a JSON object"))
            continue
        rows.append((line, value))
    return rows, skipped


def _csv_rows(text: str, source: str) -> tuple[list[tuple[int, dict[str, Any]]], list[Skipped]]:
    # newline="": quoted fields may hold line breaks (csv module documentation).
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = reader.fieldnames or []
    if "post_id" not in columns and "url" not in columns:
        raise CorpusError(source, "missing column 'post_id' (or 'url')", line=1, field="post_id")
    label_column = next((c for c in ("labels", "label") if c in columns), None)
    if label_column is None:
        raise CorpusError(source, "missing column 'label' (or 'labels')", line=1, field="label")
    rows, skipped = [], []
    for record in reader:
        # the line the record ends on (where it starts, unless a quoted field spans lines)
        line = reader.line_num
        if None in record:
            skipped.append(Skipped(line, "more values than columns"))
            continue
        fields: dict[str, Any] = {k: v for k, v in record.items() if v not in (None, "")}
        cell = str(fields.pop(label_column, ""))
        for separator in _CSV_SEPARATORS[1:]:
            cell = cell.replace(separator, _CSV_SEPARATORS[0])
        fields[label_column] = [label for label in cell.split(_CSV_SEPARATORS[0])]
        rows.append((line, fields))
    return rows, skipped


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value
