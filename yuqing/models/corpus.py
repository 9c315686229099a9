"""Labelled examples: reading the project's seed corpus and users' JSON Lines or CSV files.

JSON Lines, UTF-8, one object a line::

    {"id": "...", "text": "...", "labels": ["emergency", "rumour"], "style": "weibo",
     "region": "四川省", "department": "应急管理"}

``["none"]`` marks a post that needs no response and never appears with another label. User
files may carry ``"label": "x"`` (one string) instead of ``labels``, and their own label names,
translated by a label map (``fake=rumour,real=none``) while loading. CSV files have a ``text``
column and a ``label`` or ``labels`` column (several labels separated by ``,``, ``;`` or ``|``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from yuqing.models.errors import CorpusError
from yuqing.triage.categories import NONE, TEXT_LABELS, UnknownLabelError, check_label

#: Writing styles of the seed corpus; a file may leave ``style`` out.
STYLES: tuple[str, ...] = ("weibo", "news", "board", "wechat", "forum")

_OPTIONAL_FIELDS = ("style", "region", "department")
_CSV_LABEL_SEPARATORS = re.compile(r"[,;|]")


@dataclass(frozen=True)
class Example:
    """One labelled post. ``labels`` is ``("none",)`` or one or more label codes."""

    text: str
    labels: tuple[str, ...]
    id: str | None = None
    style: str | None = None
    region: str | None = None
    department: str | None = None

    @property
    def targets(self) -> frozenset[str]:
        """The labels a text classifier can learn from this example (empty for ``none``).

        Category five (``superior_request``: a higher government asks for a response) is a
        valid label but cannot be seen in a post's text, so it is never a target.
        """
        return frozenset(self.labels).intersection(TEXT_LABELS)

    @property
    def usable(self) -> bool:
        """Whether the example can train or evaluate a text classifier: it is ``none`` or has
        a target. An example labelled only ``superior_request`` says nothing about its text."""
        return bool(self.targets) or self.labels == (NONE,)


def parse_label_map(spec: str) -> dict[str, str]:
    """``"fake=rumour,real=none"`` → ``{"fake": "rumour", "real": "none"}``.

    Targets must be known labels; a name mapped twice to different labels is an error.
    """
    mapping: dict[str, str] = {}
    for item in spec.split(","):
        item = item.strip()
        if not item:
            raise CorpusError("label map", f"empty item in {spec!r}; write old=new,old2=new2")
        old, sep, new = (part.strip() for part in item.partition("="))
        if not sep or not old or not new:
            raise CorpusError(
                "label map", f"item {item!r} is not old=new (for example fake=rumour)"
            )
        if mapping.get(old, new) != new:
            raise CorpusError(
                "label map", f"{old!r} is mapped to both {mapping[old]!r} and {new!r}"
            )
        mapping[old] = new
    return check_label_map(mapping)


def check_label_map(mapping: Mapping[str, str]) -> dict[str, str]:
    """Return ``mapping`` as a dict if every target is a known label, else raise CorpusError."""
    for old, new in mapping.items():
        try:
            check_label(new)
        except UnknownLabelError as exc:
            raise CorpusError("label map", f"{old}={new}: {exc}") from None
    return dict(mapping)


def load_file(path: Path | str, label_map: Mapping[str, str] | None = None) -> list[Example]:
    """Read a user's corpus file, JSON Lines (``.jsonl``) or CSV (``.csv``) by its extension."""
    suffix = Path(path).suffix.lower()
    if suffix == ".jsonl":
        return load_jsonl(path, label_map)
    if suffix == ".csv":
        return load_csv(path, label_map)
    raise CorpusError(str(path), "unknown file type; expected a .jsonl or .csv file")


def load_jsonl(path: Path | str, label_map: Mapping[str, str] | None = None) -> list[Example]:
    """Read a JSON Lines corpus; raise :class:`CorpusError` naming file, line and field."""
    path = Path(path)
    return _parse_jsonl(_read_text(path, str(path)), str(path), _checked(label_map), {})


def load_csv(path: Path | str, label_map: Mapping[str, str] | None = None) -> list[Example]:
    """Read a CSV corpus with a header row: ``text`` and ``label`` or ``labels`` columns, and
    optionally ``id``, ``style``, ``region``, ``department``."""
    path = Path(path)
    source = str(path)
    mapping = _checked(label_map)
    # newline="": quoted fields may hold line breaks (csv module documentation).
    reader = csv.DictReader(io.StringIO(_read_text(path, source), newline=""))
    columns = reader.fieldnames or []
    if "text" not in columns:
        raise CorpusError(source, "missing column 'text'", line=1, field="text")
    label_column = next((c for c in ("labels", "label") if c in columns), None)
    if label_column is None:
        raise CorpusError(source, "missing column 'label' (or 'labels')", line=1, field="label")
    numbered = []
    for row in reader:
        line = reader.line_num
        if None in row:
            raise CorpusError(source, "more values than columns", line=line)
        raw: dict[str, object] = {k: v for k, v in row.items() if v not in (None, "")}
        labels = _CSV_LABEL_SEPARATORS.split(str(raw.get(label_column, "")))
        raw[label_column] = [label for label in labels if label.strip()] or None
        numbered.append((line, _example(raw, source, line, mapping, label_column)))
    return _unique_ids(numbered, source, {})


def load_seed(root: Traversable | Path | None = None) -> list[Example]:
    """Every ``*.jsonl`` file of the project's seed corpus (``yuqing/models/seed/``), in file
    name order. ``root`` replaces the seed directory (tests, or a corpus kept elsewhere)."""
    folder = root if root is not None else resources.files("yuqing.models").joinpath("seed")
    files = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".jsonl") and entry.is_file()),
        key=lambda entry: entry.name,
    )
    if not files:
        raise CorpusError("seed", f"no *.jsonl files in {folder}")
    examples: list[Example] = []
    first_seen: dict[str, str] = {}  # ids are unique across the whole seed corpus
    for entry in files:
        source = f"seed/{entry.name}"
        examples.extend(_parse_jsonl(_read_text(entry, source), source, {}, first_seen))
    return examples


def _checked(label_map: Mapping[str, str] | None) -> dict[str, str]:
    return check_label_map(label_map) if label_map else {}


def _read_text(entry: Traversable | Path, source: str) -> str:
    try:
        # utf-8-sig: spreadsheet programs often put a byte-order mark in front of exports.
        return entry.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise CorpusError(source, "no such file") from None
    except UnicodeDecodeError as exc:
        raise CorpusError(source, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise CorpusError(source, f"cannot read: {exc.strerror or exc}") from None


def _parse_jsonl(
    text: str, source: str, label_map: Mapping[str, str], first_seen: dict[str, str]
) -> list[Example]:
    numbered = []
    for line, raw_line in _numbered_lines(text):
        try:
            raw = json.loads(raw_line)
        except json.JSONDecodeError as exc:
            raise CorpusError(source, f"invalid JSON: {exc.msg}", line=line) from None
        if not isinstance(raw, dict):
            raise CorpusError(source, "expected a JSON object", line=line)
        if "label" in raw and "labels" in raw:
            raise CorpusError(source, "has both 'label' and 'labels'", line=line, field="labels")
        label_field = "label" if "label" in raw else "labels"
        if isinstance(raw.get(label_field), str):
            raw = {**raw, label_field: [raw[label_field]]}
        numbered.append((line, _example(raw, source, line, label_map, label_field)))
    return _unique_ids(numbered, source, first_seen)


def _numbered_lines(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            yield number, line


def _example(
    raw: Mapping[str, object],
    source: str,
    line: int,
    label_map: Mapping[str, str],
    label_field: str,
) -> Example:
    def fail(field: str, problem: str) -> CorpusError:
        return CorpusError(source, problem, line=line, field=field)

    text = raw.get("text")
    if text is None:
        raise fail("text", "missing field 'text'")
    if not isinstance(text, str) or not text.strip():
        raise fail("text", "field 'text' must be a non-empty string")

    labels = raw.get(label_field)
    if labels is None:
        alternative = " (or 'label')" if label_field == "labels" else ""
        raise fail(label_field, f"missing field {label_field!r}{alternative}")
    if not isinstance(labels, list) or not labels:
        raise fail(label_field, f"field {label_field!r} must be a non-empty list of label strings")
    codes = _mapped_labels(labels, label_map, source, label_field, line)

    extra: dict[str, str | None] = {}
    for field in ("id", *_OPTIONAL_FIELDS):
        value = raw.get(field)
        if value is None:
            extra[field] = None
        elif field == "id" and isinstance(value, int) and not isinstance(value, bool):
            extra[field] = str(value)
        elif isinstance(value, str):
            extra[field] = value.strip() or None  # "" is how a file says "not given"
        else:
            raise fail(field, f"field {field!r} must be a string")
    if extra["style"] is not None and extra["style"] not in STYLES:
        raise fail("style", f"field 'style' is {extra['style']!r}; one of {', '.join(STYLES)}")
    return Example(text=text, labels=codes, **extra)


def _mapped_labels(
    labels: Iterable[object], label_map: Mapping[str, str], source: str, field: str, line: int
) -> tuple[str, ...]:
    codes: list[str] = []
    for label in labels:
        if not isinstance(label, str):
            raise CorpusError(source, f"label {label!r} is not a string", line=line, field=field)
        code = label_map.get(label.strip(), label.strip())
        try:
            check_label(code)
        except UnknownLabelError as exc:
            hint = f" (a label map can translate it: {label.strip()}=<known label>)"
            raise CorpusError(source, f"{exc}{hint}", line=line, field=field) from None
        if code not in codes:
            codes.append(code)
    if NONE in codes and len(codes) > 1:
        raise CorpusError(
            source, "'none' cannot be combined with other labels", line=line, field=field
        )
    return tuple(codes)


def _unique_ids(
    numbered: list[tuple[int, Example]], source: str, first_seen: dict[str, str]
) -> list[Example]:
    """The examples, after checking that no id repeats one in ``first_seen`` (id → where)."""
    for line, example in numbered:
        if example.id is None:
            continue
        if example.id in first_seen:
            raise CorpusError(
                source,
                f"duplicate id {example.id!r} (first at {first_seen[example.id]})",
                line=line,
                field="id",
            )
        first_seen[example.id] = f"{source} line {line}"
    return [example for _, example in numbered]


def post_text(title: str, text: str) -> str:
    """What the classifier reads of a stored post: the title and the body. Triage and training
    on analysts' labels both read posts through this, so they see the same text."""
    return f"{title}\n{text}" if title else text


#: share of the project's own examples (seed corpus, analyst labels) kept out of training, so
#: that every model version is compared on the same posts none of them has seen
HELD_OUT_SHARE = 0.2


def split_held_out(
    examples: Sequence[Example], share: float = HELD_OUT_SHARE
) -> tuple[list[Example], list[Example]]:
    """(training, held out): an example is held out by a hash of its text, so the split is the
    same for every run, every version and every machine, and a post added later does not move
    others across."""
    training, held_out = [], []
    for example in examples:
        digest = hashlib.sha256(example.text.encode("utf-8")).digest()
        (held_out if int.from_bytes(digest[:4], "big") < share * 2**32 else training).append(
            example
        )
    return training, held_out
