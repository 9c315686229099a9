"""Exceptions the crawler raises on purpose. Library code raises these; only the CLI and the
ingestion report turn them into messages.

::

    CrawlError                      anything the crawler raises on purpose
     ├── FetchError                 .url, .kind: fetching the source failed
     │    ├── FetchTimeout          temporary  connect/read/write timeout, overall deadline
     │    ├── ConnectFailed         temporary  refused, reset, unreachable
     │    │                         hard       the host name does not exist (DNS)
     │    │                         soft       the TLS certificate was rejected
     │    ├── ConnectionLost        temporary  dropped or garbled mid-response
     │    ├── HttpStatusError       .status    temporary 5xx, 429, 408; hard 404, 410;
     │    │                                    soft any other non-2xx
     │    ├── BodyTooLarge          soft       past HttpLimits.max_bytes
     │    ├── TooManyRedirects      soft       past HttpLimits.max_redirects (or a loop)
     │    ├── UndecodableBody       soft       broken gzip/deflate/brotli content encoding
     │    └── InvalidUrl            hard       not http(s), or not a URL at all
     ├── NotAFeed                   .url, .kind (soft): the body is no RSS, RDF or Atom feed
     ├── UnsupportedSourceKind      the source's kind has no spider (a feed is ingested)
     └── CrawlProcessFailed         a crawl's child process ended without a report

``kind`` drives the backoff in ``crawlers.health``:

- ``temporary``: a network blip, 5xx, 429 or timeout; retry with backoff, never disable.
- ``soft``: the source answers, but with something unusable; retry with backoff.
- ``hard``: the source is probably gone (404/410, unknown host, invalid URL).

``str(exc)`` is one line in English naming the URL and what went wrong. Each exception keeps its
constructor arguments in ``args`` so that it survives pickling (a crawl runs in a child process).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import ClassVar

TEMPORARY = "temporary"
SOFT = "soft"
HARD = "hard"
#: every failure kind, mildest first
FAILURE_KINDS: tuple[str, ...] = (TEMPORARY, SOFT, HARD)


class CrawlError(Exception):
    """Base class of every exception the crawler raises on purpose."""


class _Described(CrawlError):
    """Shared plumbing: ``url``, ``kind`` and a one-line message built by the subclass."""

    default_kind: ClassVar[str] = TEMPORARY

    def __init__(self, url: str, message: str, kind: str | None = None) -> None:
        super().__init__(url, message, kind)
        kind = kind or self.default_kind
        if kind not in FAILURE_KINDS:
            raise ValueError(f"unknown failure kind {kind!r}; expected one of {FAILURE_KINDS}")
        self.url = url
        self.kind = kind
        self.message = message

    def __str__(self) -> str:
        return self.message


class FetchError(_Described):
    """Fetching ``url`` failed; ``kind`` is ``temporary``, ``soft`` or ``hard``."""


class FetchTimeout(FetchError):
    """No progress within a timeout, or the whole response took longer than the deadline."""

    def __init__(self, url: str, seconds: float, doing: str) -> None:
        super().__init__(url, f"timed out after {seconds:.1f} s {doing} {url}")
        self.args = (url, seconds, doing)
        self.seconds = seconds


class ConnectFailed(FetchError):
    """No connection could be made (refused, unreachable, unknown host, TLS rejected)."""

    def __init__(self, url: str, reason: str, kind: str = TEMPORARY) -> None:
        super().__init__(url, f"could not connect to {url}: {reason}", kind)
        self.args = (url, reason, kind)


class ConnectionLost(FetchError):
    """The connection broke, or the server spoke broken HTTP, while the response was under way."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(url, f"connection to {url} failed mid-response: {reason}")
        self.args = (url, reason)


class HttpStatusError(FetchError):
    """The server answered with a status other than 2xx or 304."""

    def __init__(self, url: str, status: int, final_url: str | None = None) -> None:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:  # an unregistered code; never echo the server's own reason phrase
            phrase = "(unregistered status)"
        where = url if final_url in (None, url) else f"{url} (redirected to {final_url})"
        super().__init__(url, f"HTTP {status} {phrase} from {where}", _status_kind(status))
        self.args = (url, status, final_url)
        self.status = status
        self.final_url = final_url or url


def _status_kind(status: int) -> str:
    if status in (404, 410):
        return HARD
    # 408 Request Timeout is the server's own timeout, as much a blip as a 503.
    if status >= 500 or status in (408, 429):
        return TEMPORARY
    return SOFT


class BodyTooLarge(FetchError):
    default_kind = SOFT

    def __init__(self, url: str, max_bytes: int) -> None:
        super().__init__(url, f"body larger than {max_bytes:,} bytes from {url}")
        self.args = (url, max_bytes)
        self.max_bytes = max_bytes


class TooManyRedirects(FetchError):
    default_kind = SOFT

    def __init__(self, url: str, max_redirects: int) -> None:
        super().__init__(url, f"more than {max_redirects} redirects from {url}")
        self.args = (url, max_redirects)


class UndecodableBody(FetchError):
    default_kind = SOFT

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(url, f"could not decode the compressed body from {url}: {reason}")
        self.args = (url, reason)


class InvalidUrl(FetchError):
    default_kind = HARD

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(url, f"invalid URL {url!r}: {reason}")
        self.args = (url, reason)


class NotAFeed(_Described):
    """The body was fetched but holds no RSS, RDF or Atom feed (an HTML page, garbage...)."""

    default_kind = SOFT

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(url, f"not a feed: {reason}, from {url}")
        self.args = (url, reason)
        self.reason = reason


class UnsupportedSourceKind(CrawlError):
    """The source's kind has no spider (a ``feed`` is ingested, not crawled)."""


class CrawlProcessFailed(CrawlError):
    """The crawl's child process ended without a report (it crashed or was killed)."""
