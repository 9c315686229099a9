"""Fetch one feed URL with conditional GET, hard size and time limits, and typed errors.

``fetch`` never lets an httpx exception escape: every failure becomes one of the
``crawlers.errors`` classes, whose ``kind`` drives the backoff in ``crawlers.health``.
"""

from __future__ import annotations

import errno
import hashlib
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypeGuard

import httpx

from yuqing.config import HttpLimits
from yuqing.crawlers.errors import (
    HARD,
    SOFT,
    TEMPORARY,
    BodyTooLarge,
    ConnectFailed,
    ConnectionLost,
    FetchError,
    FetchTimeout,
    HttpStatusError,
    InvalidUrl,
    TooManyRedirects,
    UndecodableBody,
)

FETCHED = "fetched"
NOT_MODIFIED = "not_modified"
UNCHANGED = "unchanged"

_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)

#: How many read timeouts the whole response may take, redirects and body included.
#: ``read_timeout`` bounds the silence between two reads, never the total: a server that sends
#: one byte every ``read_timeout - ε`` seconds would hold a worker for ever. With the defaults
#: (5 s connect, 15 s read) the deadline is 65 s, which still lets the largest body we accept
#: (5 MiB) arrive at ~80 KiB/s; a feed slower than that is not worth a worker.
DEADLINE_READ_TIMEOUTS = 4


def response_deadline(limits: HttpLimits) -> float:
    """Seconds one ``fetch`` may take from the first connect to the last body byte.

    It is checked after every chunk, so a dripping server is cut off at most one
    ``read_timeout`` after the deadline.
    """
    return limits.connect_timeout + DEADLINE_READ_TIMEOUTS * limits.read_timeout


@dataclass(frozen=True)
class Validators:
    """What to send next time to learn cheaply that nothing changed."""

    etag: str | None = None
    last_modified: str | None = None
    #: sha256 hex of the last body, for servers that send neither ETag nor Last-Modified
    body_hash: str | None = None


@dataclass(frozen=True)
class FetchResult:
    #: ``fetched``; ``not_modified`` (HTTP 304); ``unchanged`` (200, same body hash as before)
    status: str
    url: str
    final_url: str
    #: the body as received (content-encoding undone, charset untouched); None unless fetched
    body: bytes | None
    #: response headers, lower-case names, repeated headers joined by ", "
    headers: dict[str, str] = field(repr=False)
    #: validators to store for the next fetch (on 304: the previous ones)
    validators: Validators


def make_client(limits: HttpLimits) -> httpx.Client:
    """An ``httpx.Client`` set up from ``limits``; close it (or use it as a context manager)."""
    return httpx.Client(
        timeout=httpx.Timeout(
            connect=limits.connect_timeout,
            read=limits.read_timeout,
            write=limits.read_timeout,
            pool=limits.connect_timeout,
        ),
        # fetch() follows redirects itself (see _send); this bounds any other use of the client.
        follow_redirects=True,
        max_redirects=limits.max_redirects,
        headers={"User-Agent": limits.user_agent, "Accept": _ACCEPT},
        # Configuration comes from Settings only: no proxies, .netrc or CA bundles picked up
        # from the environment behind the settings' back.
        trust_env=False,
    )


def fetch(
    client: httpx.Client, url: str, limits: HttpLimits, previous: Validators | None = None
) -> FetchResult:
    """GET ``url`` conditionally on ``previous``; raise a ``FetchError`` subclass on failure."""
    _check_url(url)
    deadline = time.monotonic() + response_deadline(limits)
    try:
        request = client.build_request("GET", url, headers=_conditional_headers(previous))
        response = _send(client, request, url, limits)
        try:
            return _result(response, url, limits, previous, deadline)
        finally:
            response.close()
    except httpx.HTTPError as exc:
        raise _translate(exc, url, limits) from exc
    except httpx.InvalidURL as exc:
        raise InvalidUrl(url, str(exc)) from exc


def _conditional_headers(previous: Validators | None) -> dict[str, str]:
    headers = {}
    if previous is not None:
        for name, value in (
            ("If-None-Match", previous.etag),
            ("If-Modified-Since", previous.last_modified),
        ):
            # The values came from a server; one that sent non-ASCII bytes cannot have them
            # sent back (httpx would raise UnicodeEncodeError), so we fall back to the body hash.
            if _sendable(value):
                headers[name] = value
    return headers


def _sendable(value: str | None) -> TypeGuard[str]:
    return value is not None and value != "" and value.isascii() and value.isprintable()


def _check_url(url: str) -> None:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise InvalidUrl(str(url), str(exc)) from exc
    if parsed.scheme not in ("http", "https"):
        raise InvalidUrl(url, "only http and https URLs are fetched")
    if not parsed.host:
        raise InvalidUrl(url, "no host name")


def _send(
    client: httpx.Client, request: httpx.Request, url: str, limits: HttpLimits
) -> httpx.Response:
    """Send ``request``, following at most ``limits.max_redirects`` redirects.

    We follow redirects here rather than in httpx because httpx reads each redirect response's
    body in full, with no size limit; here a redirect body is never read.
    """
    for _ in range(limits.max_redirects + 1):
        response = client.send(request, stream=True, follow_redirects=False)
        if response.next_request is None:
            return response
        response.close()
        request = response.next_request
        if request.url.scheme not in ("http", "https"):
            raise InvalidUrl(url, f"redirected to a non-http URL {str(request.url)!r}")
    raise TooManyRedirects(url, limits.max_redirects)


def _result(
    response: httpx.Response,
    url: str,
    limits: HttpLimits,
    previous: Validators | None,
    deadline: float,
) -> FetchResult:
    final_url = str(response.url)
    headers = dict(response.headers.items())
    status = response.status_code
    if status == 304 and _conditional_headers(previous):
        return FetchResult(NOT_MODIFIED, url, final_url, None, headers, previous)
    if not 200 <= status < 300:
        # A 304 we did not ask for is an error too: there is no stored copy to fall back on.
        raise HttpStatusError(url, status, final_url)
    body = _read_body(response, url, limits, deadline)
    body_hash = hashlib.sha256(body).hexdigest()
    validators = Validators(
        etag=headers.get("etag"), last_modified=headers.get("last-modified"), body_hash=body_hash
    )
    if previous is not None and previous.body_hash == body_hash:
        return FetchResult(UNCHANGED, url, final_url, None, headers, validators)
    return FetchResult(FETCHED, url, final_url, body, headers, validators)


def _read_body(response: httpx.Response, url: str, limits: HttpLimits, deadline: float) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise BodyTooLarge(url, limits.max_bytes)
    chunks: list[bytes] = []
    size = 0
    # iter_bytes undoes gzip/deflate/br, so the limit also stops a decompression bomb.
    for chunk in _until(response.iter_bytes(), deadline, url, limits):
        size += len(chunk)
        if size > limits.max_bytes:
            raise BodyTooLarge(url, limits.max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def _until(
    chunks: Iterator[bytes], deadline: float, url: str, limits: HttpLimits
) -> Iterator[bytes]:
    for chunk in chunks:
        if time.monotonic() > deadline:
            raise FetchTimeout(
                url, response_deadline(limits), "receiving the response (overall deadline) from"
            )
        yield chunk


def _translate(exc: httpx.HTTPError, url: str, limits: HttpLimits) -> FetchError:
    """The one place where httpx's exceptions become ours."""
    if isinstance(exc, httpx.TimeoutException):
        if isinstance(exc, httpx.ConnectTimeout):
            return FetchTimeout(url, limits.connect_timeout, "connecting to")
        if isinstance(exc, httpx.PoolTimeout):
            return FetchTimeout(url, limits.connect_timeout, "waiting for a free connection for")
        if isinstance(exc, httpx.WriteTimeout):
            return FetchTimeout(url, limits.read_timeout, "sending the request to")
        return FetchTimeout(url, limits.read_timeout, "reading")
    if isinstance(exc, httpx.ConnectError):
        reason, kind = _connect_failure(exc)
        return ConnectFailed(url, reason, kind)
    if isinstance(exc, httpx.TooManyRedirects):
        return TooManyRedirects(url, limits.max_redirects)
    if isinstance(exc, httpx.DecodingError):
        return UndecodableBody(url, str(exc))
    if isinstance(exc, httpx.UnsupportedProtocol):
        return InvalidUrl(url, str(exc))
    if isinstance(exc, httpx.HTTPStatusError):
        return HttpStatusError(url, exc.response.status_code, str(exc.response.url))
    if isinstance(exc, httpx.NetworkError | httpx.ProtocolError):
        return ConnectionLost(url, str(exc) or type(exc).__name__)
    return FetchError(url, f"request to {url} failed: {type(exc).__name__}: {exc}", TEMPORARY)


#: getaddrinfo answers meaning "this name does not exist", as opposed to "the resolver failed"
_NAME_NOT_FOUND = {
    code
    for code in (getattr(socket, "EAI_NONAME", None), getattr(socket, "EAI_NODATA", None))
    if code is not None
}


def _connect_failure(exc: httpx.ConnectError) -> tuple[str, str]:
    """Why the connection failed, and the failure kind, from the OS error under ``exc``."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            # The server answers, but we cannot trust it: a setup problem, not a blip.
            return f"TLS certificate rejected ({cause.verify_message})", SOFT
        if isinstance(cause, socket.gaierror):
            if cause.errno in _NAME_NOT_FOUND:
                return "host name not found", HARD
            return f"name resolution failed ({cause.strerror})", TEMPORARY
        if isinstance(cause, OSError) and cause.errno is not None:
            return (cause.strerror or errno.errorcode.get(cause.errno, str(cause))).lower(), (
                TEMPORARY
            )
        cause = cause.__cause__ or cause.__context__
    return str(exc) or "connection failed", TEMPORARY
