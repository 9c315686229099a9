"""Scrapy spiders, one per kind of source (``sources.kind``), configured from the source's row
rather than written per site. Each yields ``reader.ReadPage`` objects; ``crawlers.pipeline``
stores them.

``describe_failure`` is where Twisted and Scrapy failures become the crawler's own
``FetchError`` family (``crawlers.errors``), so a failed crawl is recorded in the same words and
with the same failure kinds as a failed feed.
"""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as neterror
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

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
)

# Scrapy wraps most Twisted errors in its own (scrapy.exceptions); some paths still raise
# Twisted's, so both are listed.
_TIMEOUTS = (DownloadTimeoutError, neterror.TimeoutError, neterror.TCPTimedOutError)
_REFUSED = (DownloadConnectionRefusedError, neterror.ConnectionRefusedError, neterror.ConnectError)
_NO_HOST = (CannotResolveHostError, neterror.DNSLookupError)
_LOST = (
    DownloadFailedError,
    ResponseDataLossError,
    ResponseFailed,
    ResponseNeverReceived,
    neterror.ConnectionLost,
    neterror.ConnectionDone,
)


def describe_failure(failure: Failure, url: str, settings: BaseSettings) -> FetchError:
    """The ``FetchError`` for a request to ``url`` that ended in ``failure``."""
    exc = failure.value
    if isinstance(exc, HttpError):
        response = exc.response
        return HttpStatusError(url, response.status, response.url)
    if isinstance(exc, IgnoreRequest):
        if "robots.txt" in str(exc):
            return FetchError(url, f"robots.txt forbids fetching {url}", SOFT)
        return FetchError(url, f"request for {url} dropped: {exc}", SOFT)
    if isinstance(exc, _TIMEOUTS):
        return FetchTimeout(url, settings.getfloat("DOWNLOAD_TIMEOUT"), "fetching")
    if isinstance(exc, _NO_HOST):
        return ConnectFailed(url, "host name not found", HARD)
    if isinstance(exc, _REFUSED):
        return ConnectFailed(url, "connection refused")
    # Scrapy's HTTP handler cancels a download only for the size cap; a body sent without
    # Content-Length is cancelled mid-stream with no message at all.
    if isinstance(exc, DownloadCancelledError) and ("max size" in str(exc) or not str(exc)):
        return BodyTooLarge(url, settings.getint("DOWNLOAD_MAXSIZE"))
    if isinstance(exc, _LOST):
        return ConnectionLost(url, _reason(exc))
    return FetchError(url, f"fetching {url} failed: {_reason(exc)}", TEMPORARY)


def _reason(exc: BaseException) -> str:
    # Twisted's messages repeat the exception class and carry a trailing period; keep one line.
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:300]
