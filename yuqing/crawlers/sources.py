"""Source definitions: the sources file (TOML), and OPML lists, the feed readers' convention.

A source file entry::

    [[source]]
    name = "湖南省领导留言板"
    url = "https://example.gov.cn/feeds/board.rss"
    region_code = "430000"     # GB/T 2260
    region_name = "湖南省"
    level = "provincial"       # national | provincial | municipal | county
    department = "省政府办公厅"

OPML carries the same jurisdiction as extra outline attributes (``yuqingRegionCode``,
``yuqingRegionName``, ``yuqingLevel``, ``yuqingDepartment``); readers that do not know them
ignore them, and a plain OPML export from any feed reader imports with an empty jurisdiction.
"""

from __future__ import annotations

import tomllib
import xml.etree.ElementTree as ET  # only ever used to *write* OPML; reading uses defusedxml
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from defusedxml import ElementTree as SafeET

LEVELS = ("national", "provincial", "municipal", "county", "")
#: how a source is read: a feed is fetched and parsed; a sitemap is crawled page by page
FEED, SITEMAP = "feed", "sitemap"
KINDS = (FEED, SITEMAP)

OPML_ATTRS = {
    "kind": "yuqingKind",
    "region_code": "yuqingRegionCode",
    "region_name": "yuqingRegionName",
    "level": "yuqingLevel",
    "department": "yuqingDepartment",
}


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
    #: feed (RSS/Atom, fetched by `yuqing ingest`) | sitemap (crawled by `yuqing crawl`)
    kind: str = "feed"


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
    if spec.kind not in KINDS:
        raise SourceFileError(f"{where}: kind {spec.kind!r} is not one of {', '.join(KINDS)}")
    if spec.region_code and not spec.region_code.isdigit():
        raise SourceFileError(
            f"{where}: region_code {spec.region_code!r} must be digits (GB/T 2260)"
        )
    return SourceSpec(**{k: v.strip() for k, v in spec.__dict__.items()})


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
        bad = [k for k, v in entry.items() if not isinstance(v, str)]
        if bad:
            raise SourceFileError(f"{where}: fields {bad} must be strings")
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
        spec = SourceSpec(
            name=name,
            url=url,
            **{
                field: outline.get(attr, FEED if field == "kind" else "")
                for field, attr in OPML_ATTRS.items()
            },
        )
        specs.append(check_spec(spec, f"{origin}: outline #{index} ({name})"))
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
        ET.SubElement(body, "outline", attrs)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _check_unique(specs: list[SourceSpec], origin: str) -> None:
    for field in ("name", "url"):
        seen: set[str] = set()
        for spec in specs:
            value = getattr(spec, field)
            if value in seen:
                raise SourceFileError(f"{origin}: two sources share the {field} {value!r}")
            seen.add(value)
