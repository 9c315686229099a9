"""Source definitions: the sources file (TOML), and OPML lists, the feed readers' convention.

A source file entry::

    [[source]]
    name = "湖南省领导留言板"
    url = "https://example.gov.cn/feeds/board.rss"
    region_code = "430000"     # GB/T 2260
    region_name = "湖南省"
    level = "provincial"       # national | provincial | municipal | county
    department = "省政府办公厅"

A crawled source (kind ``sitemap``, ``site`` or ``board``) may carry options
(``crawlers.crawl_options``): selectors and politeness::

    [[source]]
    name = "临江市长信箱"
    kind = "board"
    url = "https://example.gov.cn/board/list_1.html"
    [source.options]
    links = "ul.letters a.title"
    next = "a.next"
    reply_text = "div.reply-body"
    delay = 2.0

OPML carries the same jurisdiction as extra outline attributes (``yuqingRegionCode``,
``yuqingRegionName``, ``yuqingLevel``, ``yuqingDepartment``); readers that do not know them
ignore them, and a plain OPML export from any feed reader imports with an empty jurisdiction.
"""

from __future__ import annotations

import json
import re
import tomllib
import xml.etree.ElementTree as ET  # only ever used to *write* OPML; reading uses defusedxml
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from defusedxml import ElementTree as SafeET

from yuqing.crawlers.crawl_options import OptionError, check_options

LEVELS = ("national", "provincial", "municipal", "county", "")
#: how a source is read: a feed is fetched and parsed; the others are crawled with Scrapy: a
#: sitemap page by page, a site through its list pages, a board message by message with replies
FEED, SITEMAP, SITE, BOARD = "feed", "sitemap", "site", "board"
KINDS = (FEED, SITEMAP, SITE, BOARD)

OPML_ATTRS = {
    "kind": "yuqingKind",
    "region_code": "yuqingRegionCode",
    "region_name": "yuqingRegionName",
    "level": "yuqingLevel",
    "department": "yuqingDepartment",
    "every": "yuqingEvery",
}
#: the options travel in OPML as one JSON attribute
OPML_OPTIONS = "yuqingOptions"


class SourceFileError(ValueError):
    """A sources or OPML file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class SourceSpec:
    name: str
    url: str
    region_code: str = ""
    region_name: str = ""
    level: str = ""
    department: str = ""
    #: feed (RSS/Atom, fetched by `yuqing ingest`) | sitemap | site | board (`yuqing crawl`)
    kind: str = "feed"
    #: selectors and politeness of a crawled source (``crawlers.crawl_options``)
    options: Mapping[str, Any] = field(default_factory=dict)
    #: how often the scheduler fetches or crawls it: "30s", "15m", "2h", "1d"; "" = the default
    every: str = ""


#: the shortest and longest interval a source may ask for: politeness, and at least daily
MIN_EVERY_S, MAX_EVERY_S = 10, 7 * 86400
_EVERY = re.compile(r"(\d+)\s*([smhd])")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def interval_seconds(every: str) -> int | None:
    """``"30s"`` → 30, ``"15m"`` → 900; ``""`` → None (the default). Raises ValueError naming
    the value when it is not a number and s, m, h or d within the allowed range."""
    if not every.strip():
        return None
    match = _EVERY.fullmatch(every.strip().lower())
    if not match:
        raise ValueError(f"every {every!r} is not a number and s, m, h or d (e.g. 30s, 15m, 2h)")
    seconds = int(match.group(1)) * _UNIT_S[match.group(2)]
    if not MIN_EVERY_S <= seconds <= MAX_EVERY_S:
        raise ValueError(f"every {every!r} must be between {MIN_EVERY_S}s and 7d")
    return seconds


def check_spec(spec: SourceSpec, where: str = "source") -> SourceSpec:
    """Validate one source definition; ``where`` says where it came from, for the message."""
    if not spec.name.strip():
        raise SourceFileError(f"{where}: the name is empty")
    parts = urlsplit(spec.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SourceFileError(f"{where}: url {spec.url!r} is not an http(s) URL with a host")
    if spec.level not in LEVELS:
        raise SourceFileError(
            f"{where}: level {spec.level!r} is not one of {', '.join(v for v in LEVELS if v)}"
        )
    try:
        interval_seconds(spec.every)
    except ValueError as exc:
        raise SourceFileError(f"{where}: {exc}") from None
    if spec.kind not in KINDS:
        raise SourceFileError(f"{where}: kind {spec.kind!r} is not one of {', '.join(KINDS)}")
    if spec.region_code and not spec.region_code.isdigit():
        raise SourceFileError(
            f"{where}: region_code {spec.region_code!r} must be digits (GB/T 2260)"
        )
    try:
        options = check_options(spec.kind, spec.options)
    except OptionError as exc:
        raise SourceFileError(f"{where}: {exc}") from None
    texts = {k: v.strip() for k, v in spec.__dict__.items() if isinstance(v, str)}
    return replace(spec, **texts, options=options)


def parse_sources_toml(text: str, origin: str) -> list[SourceSpec]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SourceFileError(f"{origin}: {exc}") from exc
    entries = data.get("source", [])
    if not isinstance(entries, list):
        raise SourceFileError(f"{origin}: 'source' must be an array of tables ([[source]])")
    fields = set(SourceSpec.__dataclass_fields__)
    specs: list[SourceSpec] = []
    for index, entry in enumerate(entries, start=1):
        where = f"{origin}: source #{index}"
        if not isinstance(entry, dict):
            raise SourceFileError(f"{where} is not a table")
        unknown = set(entry) - fields
        if unknown:
            raise SourceFileError(f"{where}: unknown fields {sorted(unknown)}")
        for key in ("name", "url"):
            if not isinstance(entry.get(key), str):
                raise SourceFileError(f"{where}: missing field {key!r}")
        bad = [k for k, v in entry.items() if k != "options" and not isinstance(v, str)]
        if bad:
            raise SourceFileError(f"{where}: fields {bad} must be strings")
        if not isinstance(entry.get("options", {}), dict):
            raise SourceFileError(f"{where}: options must be a table ([source.options])")
        specs.append(check_spec(SourceSpec(**entry), where))
    _check_unique(specs, origin)
    return specs


def load_sources_file(path: Path) -> list[SourceSpec]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise SourceFileError(f"sources file {path} does not exist") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceFileError(f"sources file {path}: {exc}") from exc
    return parse_sources_toml(text, str(path))


def parse_opml(data: bytes, origin: str) -> list[SourceSpec]:
    """Every feed outline (``xmlUrl``) at any depth; folders are flattened."""
    try:
        root = SafeET.fromstring(data)
    except Exception as exc:  # defusedxml raises several types: all mean "not usable OPML"
        raise SourceFileError(f"{origin}: not a readable OPML file: {exc}") from exc
    if root.tag != "opml":
        raise SourceFileError(f"{origin}: the root element is <{root.tag}>, not <opml>")
    specs: list[SourceSpec] = []
    for index, outline in enumerate(root.iter("outline"), start=1):
        url = outline.get("xmlUrl")
        if not url:
            continue  # a folder
        name = outline.get("title") or outline.get("text") or url
        where = f"{origin}: outline #{index} ({name})"
        spec = SourceSpec(
            name=name,
            url=url,
            **{
                key: outline.get(attr, FEED if key == "kind" else "")
                for key, attr in OPML_ATTRS.items()
            },
            options=_opml_options(outline.get(OPML_OPTIONS), where),
        )
        specs.append(check_spec(spec, where))
    _check_unique(specs, origin)
    return specs


def to_opml(specs: list[SourceSpec], title: str = "yuqing sources") -> bytes:
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    for spec in specs:
        # type="rss" is what feed readers follow; a sitemap is not theirs to read
        kind = "rss" if spec.kind == FEED else spec.kind
        attrs = {"type": kind, "text": spec.name, "title": spec.name, "xmlUrl": spec.url}
        attrs.update({attr: getattr(spec, f) for f, attr in OPML_ATTRS.items() if getattr(spec, f)})
        if spec.options:
            attrs[OPML_OPTIONS] = json.dumps(dict(spec.options), ensure_ascii=False)
        ET.SubElement(body, "outline", attrs)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _opml_options(text: str | None, where: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        options = json.loads(text)
    except ValueError as exc:
        raise SourceFileError(f"{where}: {OPML_OPTIONS} is not JSON: {exc}") from None
    if not isinstance(options, dict):
        raise SourceFileError(f"{where}: {OPML_OPTIONS} must be a JSON object")
    return options


def _check_unique(specs: list[SourceSpec], origin: str) -> None:
    for key in ("name", "url"):
        seen: set[str] = set()
        for spec in specs:
            value = getattr(spec, key)
            if value in seen:
                raise SourceFileError(f"{origin}: two sources share the {key} {value!r}")
            seen.add(value)
