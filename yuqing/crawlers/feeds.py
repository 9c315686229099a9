"""Parse a fetched RSS 2.0, RSS 1.0 (RDF) or Atom body into typed dataclasses.

feedparser's untyped dictionaries stop here: everything past ``parse_feed`` sees ``ParsedFeed``
and ``FeedEntry``. A feed with XML errors that still yields entries is accepted with a
``warning``; a body that is no feed at all raises ``NotAFeed``.
"""

from __future__ import annotations

import io
import re
import xml.sax
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from time import struct_time
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
from feedparser.exceptions import NonXMLContentType

from yuqing.crawlers.encoding import transcode
from yuqing.crawlers.errors import NotAFeed


@dataclass(frozen=True)
class FeedEntry:
    guid: str | None
    #: absolute http(s) URL, or None (relative links are joined against the feed URL)
    link: str | None
    title: str
    #: content if present, else summary: raw, unsanitised markup from the source, may be ""
    html: str
    #: UTC, timezone-aware; from the published, updated or created date, first found
    published: datetime | None
    author: str | None


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    link: str | None
    entries: list[FeedEntry] = field(repr=False)
    #: what was wrong with a feed that was still usable, in words; None if nothing
    warning: str | None
    #: the encoding the body was read as (e.g. ``gb18030``)
    encoding: str | None


#: how the start of an HTML page looks, to say "an HTML page" rather than "not a feed"
_HTML_START = re.compile(rb"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.I | re.S)
_SNIFF_WINDOW = 1024


def parse_feed(body: bytes, headers: Mapping[str, str], url: str) -> ParsedFeed:
    """Parse ``body`` served from ``url`` with response ``headers`` (lower-case names).

    Raises ``NotAFeed`` when the body holds no entries and no recognisable feed.
    """
    content_type = headers.get("content-type")
    decoded = transcode(body, content_type)
    base = _base_url(url, headers.get("content-location"))
    feedparser_headers = {
        # The body is UTF-8 now, whatever the server said; the media type is kept as sent.
        "content-type": f"{_media_type(content_type)}; charset=utf-8",
    }
    # No content-location: feedparser would then resolve every relative reference in the
    # document (about a third of its parse time); we resolve the one link we keep, in _entry.
    if "content-language" in headers:
        feedparser_headers["content-language"] = headers["content-language"]
    try:
        result = feedparser.parse(
            # A stream, never bytes: given bytes, feedparser first tries them as a file name
            # and would read a local file named by whatever the server sent.
            io.BytesIO(decoded.data),
            response_headers=feedparser_headers,
            # We turn HTML into plain text ourselves and escape at display time, so
            # feedparser's sanitiser and URI rewriting inside content are wasted work.
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as exc:  # a parser crash on hostile bytes is this feed's fault, not ours
        reason = _one_line(f"the feed parser failed ({type(exc).__name__}: {exc})")
        raise NotAFeed(url, reason) from exc

    problem = _bozo_problem(result)
    entries = [_entry(raw, base) for raw in result.entries]
    if not entries and not result.get("version"):
        raise NotAFeed(url, _why_not_a_feed(decoded.data, problem))
    warnings = [problem] if problem else []
    if decoded.lossy:
        warnings.append(f"undecodable bytes replaced (read as {decoded.encoding})")
    feed = result.feed
    return ParsedFeed(
        title=_text(_field(feed, "title")),
        link=_http_link(_field(feed, "link"), base),
        entries=entries,
        warning="; ".join(warnings) or None,
        encoding=decoded.encoding,
    )


def _base_url(url: str, content_location: str | None) -> str:
    """The URL relative links are joined against: Content-Location if it is http(s), else url."""
    if content_location:
        try:
            base = urljoin(url, content_location.strip())
            if urlsplit(base).scheme in ("http", "https"):
                return base
        except ValueError:
            pass
    return url


def _media_type(content_type: str | None) -> str:
    media_type = (content_type or "").partition(";")[0].strip().lower()
    return media_type or "application/xml"


def _bozo_problem(result: Mapping[str, Any]) -> str | None:
    """What feedparser found wrong, in words; None if nothing that matters."""
    if not result.get("bozo"):
        return None
    exc = result.get("bozo_exception")
    if isinstance(exc, NonXMLContentType):
        # Chinese sites routinely serve feeds as text/html or application/octet-stream;
        # the bytes decide what this is, not the label.
        return None
    if isinstance(exc, xml.sax.SAXParseException):
        return f"malformed XML: {exc.getMessage()} at line {exc.getLineNumber()}"
    return _one_line(f"{type(exc).__name__}: {exc}")


def _one_line(message: str) -> str:
    # parser messages may quote the document; keep what we report on one line
    return " ".join(message.split())


def _why_not_a_feed(data: bytes, problem: str | None) -> str:
    if not data.strip():
        return "the body is empty"
    if _HTML_START.match(data, 0, _SNIFF_WINDOW):
        return "an HTML page, no RSS, RDF or Atom element"
    if problem:
        return f"{problem}, and no RSS, RDF or Atom element"
    return "no RSS, RDF or Atom element"


def _entry(raw: dict[str, Any], base: str) -> FeedEntry:
    return FeedEntry(
        guid=_text(_field(raw, "id")) or None,
        link=_http_link(_field(raw, "link"), base),
        title=_text(_field(raw, "title")),
        html=_html(raw),
        published=_first_date(raw),
        author=_text(_field(raw, "author")) or None,
    )


def _field(raw: dict[str, Any], key: str) -> Any:
    # dict.get, not FeedParserDict.get: the latter answers a missing key with a look-alike
    # (updated_parsed -> published_parsed, with a DeprecationWarning); we ask for what we mean.
    return dict.get(raw, key)


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _html(raw: dict[str, Any]) -> str:
    for content in _field(raw, "content") or ():
        value = _text(_field(content, "value"))
        if value:
            return value
    return _text(_field(raw, "summary"))


def _http_link(value: object, base: str) -> str | None:
    """An absolute http(s) URL, or None: a ``javascript:`` or ``data:`` link is hostile."""
    link = _text(value)
    if not link:
        return None
    try:
        link = urljoin(base, link)
        scheme = urlsplit(link).scheme
    except ValueError:  # e.g. an invalid IPv6 literal
        return None
    return link if scheme in ("http", "https") else None


#: The zone of a date that names none. feedparser reads such dates as UTC, but Chinese sources
#: mean Beijing time: taken as UTC they would be 8 hours late, a third of a 24-hour deadline.
NAIVE_DATES_ZONE = timedelta(hours=8)

# A zone at the end of a date string: Z, +08:00, +0800, GMT, UTC, CST, EDT, ...
_HAS_ZONE = re.compile(r"(?:[zZ]|[+-]\d{2}:?\d{2}|\b(?:GMT|UTC|UT|[A-Z]{3,4}))\s*$")


def _first_date(raw: dict[str, Any]) -> datetime | None:
    for key in ("published", "updated", "created"):
        text = _field(raw, key)
        text = text.strip() if isinstance(text, str) else ""
        value = _field(raw, f"{key}_parsed")
        if isinstance(value, struct_time):
            # feedparser's parsed dates are UTC; tm_sec may be 60 or 61 (leap seconds)
            try:
                moment = datetime(*value[:5], min(value.tm_sec, 59), tzinfo=UTC)
            except ValueError:  # a year 0 or similar from a creative source
                continue
            return moment - NAIVE_DATES_ZONE if text and not _HAS_ZONE.search(text) else moment
        if text and (moment := _zoneless_rfc822(text)) is not None:
            return moment
    return None


def _zoneless_rfc822(text: str) -> datetime | None:
    """An RFC 822 date with its zone left out, which feedparser gives up on."""
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    return (moment - NAIVE_DATES_ZONE).replace(tzinfo=UTC)
