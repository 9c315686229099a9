"""fetch() against a real HTTP server on 127.0.0.1: conditional GET, limits, error mapping."""

from __future__ import annotations

import gzip
import hashlib
import pickle
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.httpserver import LocalHttpServer, closed_port
from yuqing.config import HttpLimits
from yuqing.crawlers.errors import (
    BodyTooLarge,
    ConnectFailed,
    ConnectionLost,
    CrawlError,
    FetchError,
    FetchTimeout,
    HttpStatusError,
    InvalidUrl,
    NotAFeed,
    TooManyRedirects,
    UndecodableBody,
)
from yuqing.crawlers.fetch import (
    FETCHED,
    NOT_MODIFIED,
    UNCHANGED,
    Validators,
    fetch,
    make_client,
    response_deadline,
)

LIMITS = HttpLimits(
    connect_timeout=0.5,
    read_timeout=0.3,
    max_bytes=1000,
    max_redirects=3,
    user_agent="yuqing-test/1",
)
FEED = "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>市政府公告</title></channel></rss>".encode()  # noqa: E501
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
ETAG = '"v1-2024"'
LAST_MODIFIED = "Fri, 12 Jul 2024 01:30:00 GMT"


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with make_client(LIMITS) as client:
        yield client


def test_fetched_body_headers_and_validators(http_server: LocalHttpServer, client):
    http_server.add("/feed.xml", FEED, headers=RSS, etag=ETAG, last_modified=LAST_MODIFIED)
    url = http_server.url("/feed.xml")

    result = fetch(client, url, LIMITS)

    assert result.status == FETCHED
    assert result.url == result.final_url == url
    assert result.body == FEED
    assert result.headers["content-type"] == "application/rss+xml; charset=utf-8"
    assert all(name == name.lower() for name in result.headers)
    assert result.validators == Validators(
        etag=ETAG, last_modified=LAST_MODIFIED, body_hash=hashlib.sha256(FEED).hexdigest()
    )
    sent = http_server.last_headers["/feed.xml"]
    assert sent["user-agent"] == "yuqing-test/1"
    assert "if-none-match" not in sent and "if-modified-since" not in sent


def test_etag_gives_304_in_one_request(http_server: LocalHttpServer, client):
    http_server.add("/feed.xml", FEED, headers=RSS, etag=ETAG)
    url = http_server.url("/feed.xml")
    first = fetch(client, url, LIMITS)

    second = fetch(client, url, LIMITS, previous=first.validators)

    assert second.status == NOT_MODIFIED
    assert second.body is None
    assert second.validators == first.validators  # nothing new to store
    assert http_server.count("/feed.xml") == 2
    assert http_server.last_headers["/feed.xml"]["if-none-match"] == ETAG


def test_last_modified_gives_304(http_server: LocalHttpServer, client):
    http_server.add("/feed.xml", FEED, headers=RSS, last_modified=LAST_MODIFIED)
    url = http_server.url("/feed.xml")
    first = fetch(client, url, LIMITS)

    second = fetch(client, url, LIMITS, previous=first.validators)

    assert second.status == NOT_MODIFIED
    assert http_server.last_headers["/feed.xml"]["if-modified-since"] == LAST_MODIFIED


def test_same_body_without_validators_is_unchanged(http_server: LocalHttpServer, client):
    http_server.add("/feed.xml", FEED, headers=RSS)
    url = http_server.url("/feed.xml")
    first = fetch(client, url, LIMITS)
    assert first.validators.etag is None and first.validators.last_modified is None

    second = fetch(client, url, LIMITS, previous=first.validators)

    assert second.status == UNCHANGED
    assert second.body is None
    assert second.validators.body_hash == first.validators.body_hash


def test_validators_that_cannot_be_sent_back_fall_back_to_the_body_hash(
    http_server: LocalHttpServer, client
):
    # A hostile or broken server sends an ETag with a non-ASCII byte; stored as-is, it must
    # not break the next fetch.
    http_server.add("/feed.xml", FEED, headers=RSS, etag='"v\xe9"')
    url = http_server.url("/feed.xml")
    first = fetch(client, url, LIMITS)
    assert first.validators.etag == '"v\xe9"'

    second = fetch(client, url, LIMITS, previous=first.validators)

    assert second.status == UNCHANGED
    assert "if-none-match" not in http_server.last_headers["/feed.xml"]


def test_changed_body_is_fetched_again(http_server: LocalHttpServer, client):
    http_server.add("/feed.xml", FEED, headers=RSS)
    url = http_server.url("/feed.xml")
    first = fetch(client, url, LIMITS)
    changed = FEED.replace("市政府公告".encode(), "市政府通知".encode())
    http_server.add("/feed.xml", changed, headers=RSS)

    second = fetch(client, url, LIMITS, previous=first.validators)

    assert second.status == FETCHED
    assert second.body == changed
    assert second.validators.body_hash != first.validators.body_hash


def test_304_without_validators_sent_is_an_error(http_server: LocalHttpServer, client):
    http_server.add("/feed.xml", status=304)
    url = http_server.url("/feed.xml")

    with pytest.raises(HttpStatusError) as caught:
        fetch(client, url, LIMITS)

    assert caught.value.status == 304
    assert caught.value.kind == "soft"


def test_redirect_is_followed(http_server: LocalHttpServer, client):
    http_server.redirect("/old.xml", "/feed.xml", status=301)
    http_server.add("/feed.xml", FEED, headers=RSS)

    result = fetch(client, http_server.url("/old.xml"), LIMITS)

    assert result.status == FETCHED
    assert result.url == http_server.url("/old.xml")
    assert result.final_url == http_server.url("/feed.xml")
    assert result.body == FEED


def test_redirect_loop(http_server: LocalHttpServer, client):
    http_server.redirect("/a", "/b")
    http_server.redirect("/b", "/a")
    url = http_server.url("/a")

    with pytest.raises(TooManyRedirects) as caught:
        fetch(client, url, LIMITS)

    assert caught.value.kind == "soft"
    assert caught.value.url == url
    assert str(caught.value) == f"more than 3 redirects from {url}"
    # the original request plus max_redirects redirects, not one more
    assert http_server.count("/a") + http_server.count("/b") == LIMITS.max_redirects + 1


def test_redirect_body_is_never_read(http_server: LocalHttpServer, client):
    # httpx reads a redirect's body in full before following it; a server can make that body
    # as slow (or as large) as it likes. This one takes 4 s to send; fetch() must not wait.
    http_server.add(
        "/old.xml",
        b"moved. " * 40,
        status=302,
        headers={"Location": "/feed.xml"},
        chunk_size=7,
        chunk_delay=0.1,
    )
    http_server.add("/feed.xml", FEED, headers=RSS)

    started = time.monotonic()
    result = fetch(client, http_server.url("/old.xml"), LIMITS)

    assert result.body == FEED
    assert time.monotonic() - started < 1.0


def test_redirect_to_another_scheme_is_invalid(http_server: LocalHttpServer, client):
    http_server.redirect("/old.xml", "ftp://127.0.0.1/feed.xml")
    url = http_server.url("/old.xml")

    with pytest.raises(InvalidUrl) as caught:
        fetch(client, url, LIMITS)

    assert caught.value.kind == "hard"
    assert "ftp://127.0.0.1/feed.xml" in str(caught.value)


def test_slow_server_times_out(http_server: LocalHttpServer, client):
    http_server.add("/slow.xml", FEED, headers=RSS, delay=3.0)
    url = http_server.url("/slow.xml")

    started = time.monotonic()
    with pytest.raises(FetchTimeout) as caught:
        fetch(client, url, LIMITS)

    assert time.monotonic() - started < 1.5
    assert caught.value.kind == "temporary"
    assert str(caught.value) == f"timed out after 0.3 s reading {url}"


def test_dripping_server_hits_the_overall_deadline(http_server: LocalHttpServer, client):
    # One byte every 0.1 s never trips the 0.3 s read timeout: only the deadline stops it.
    # (60 bytes, so that a regression fails after 6 s instead of hanging.)
    drip = b"<" * 60
    http_server.add("/drip.xml", drip, headers=RSS, chunk_size=1, chunk_delay=0.1)
    url = http_server.url("/drip.xml")
    deadline = response_deadline(LIMITS)
    assert deadline < 2.0  # the test stays quick

    started = time.monotonic()
    with pytest.raises(FetchTimeout) as caught:
        fetch(client, url, LIMITS)
    elapsed = time.monotonic() - started

    assert deadline <= elapsed < deadline + LIMITS.read_timeout + 0.5
    assert caught.value.kind == "temporary"
    assert str(caught.value).startswith(f"timed out after {deadline:.1f} s")
    assert url in str(caught.value)


def test_slow_chunks_within_the_deadline_arrive_whole(http_server: LocalHttpServer, client):
    http_server.add("/chunks.xml", FEED, headers=RSS, chunk_size=40, chunk_delay=0.1)

    result = fetch(client, http_server.url("/chunks.xml"), LIMITS)

    assert result.body == FEED


@pytest.mark.parametrize(
    ("status", "kind", "phrase"),
    [
        (500, "temporary", "Internal Server Error"),
        (503, "temporary", "Service Unavailable"),
        (429, "temporary", "Too Many Requests"),
        (404, "hard", "Not Found"),
        (410, "hard", "Gone"),
        (403, "soft", "Forbidden"),
    ],
)
def test_error_status(http_server: LocalHttpServer, client, status, kind, phrase):
    http_server.add("/feed.xml", b"error page", status=status)
    url = http_server.url("/feed.xml")

    with pytest.raises(HttpStatusError) as caught:
        fetch(client, url, LIMITS)

    assert caught.value.status == status
    assert caught.value.kind == kind
    assert caught.value.url == url
    assert str(caught.value) == f"HTTP {status} {phrase} from {url}"


def test_error_status_after_redirect_names_both_urls(http_server: LocalHttpServer, client):
    http_server.redirect("/old.xml", "/gone.xml")
    url = http_server.url("/old.xml")

    with pytest.raises(HttpStatusError) as caught:
        fetch(client, url, LIMITS)  # /gone.xml is no route: the server answers 404

    assert caught.value.kind == "hard"
    assert str(caught.value) == (
        f"HTTP 404 Not Found from {url} (redirected to {http_server.url('/gone.xml')})"
    )


def test_oversized_body_with_content_length_fails_before_reading(
    http_server: LocalHttpServer, client
):
    # Reading this body would take 2 s; the declared length alone must stop us at once.
    body = b"x" * (LIMITS.max_bytes + 1)
    http_server.add("/big.xml", body, chunk_size=100, chunk_delay=0.2)
    url = http_server.url("/big.xml")

    started = time.monotonic()
    with pytest.raises(BodyTooLarge) as caught:
        fetch(client, url, LIMITS)

    assert time.monotonic() - started < 0.5
    assert caught.value.kind == "soft"
    assert str(caught.value) == f"body larger than 1,000 bytes from {url}"


def test_oversized_body_without_content_length(http_server: LocalHttpServer, client):
    http_server.add("/big.xml", b"x" * (LIMITS.max_bytes + 1), content_length=False)

    with pytest.raises(BodyTooLarge):
        fetch(client, http_server.url("/big.xml"), LIMITS)


def test_body_of_exactly_max_bytes_is_accepted(http_server: LocalHttpServer, client):
    body = b"x" * LIMITS.max_bytes
    http_server.add("/full.xml", body, content_length=False)

    assert fetch(client, http_server.url("/full.xml"), LIMITS).body == body


def test_gzip_body_is_decompressed(http_server: LocalHttpServer, client):
    http_server.add("/feed.xml", gzip.compress(FEED), headers={**RSS, "Content-Encoding": "gzip"})

    result = fetch(client, http_server.url("/feed.xml"), LIMITS)

    assert result.body == FEED
    assert result.validators.body_hash == hashlib.sha256(FEED).hexdigest()


def test_decompression_bomb_is_stopped_by_the_size_limit(http_server: LocalHttpServer, client):
    bomb = gzip.compress(b"\0" * (100 * LIMITS.max_bytes))
    assert len(bomb) < LIMITS.max_bytes
    http_server.add("/bomb.xml", bomb, headers={"Content-Encoding": "gzip"})

    with pytest.raises(BodyTooLarge):
        fetch(client, http_server.url("/bomb.xml"), LIMITS)


def test_broken_gzip(http_server: LocalHttpServer, client):
    http_server.add("/feed.xml", b"this is not gzip", headers={"Content-Encoding": "gzip"})
    url = http_server.url("/feed.xml")

    with pytest.raises(UndecodableBody) as caught:
        fetch(client, url, LIMITS)

    assert caught.value.kind == "soft"
    assert url in str(caught.value)


def test_connection_closed_before_the_body_ends(http_server: LocalHttpServer, client):
    # Content-Length promises 500 bytes, the server sends 20 and closes.
    http_server.add(
        "/cut.xml",
        b"<rss><channel><title>",
        content_length=False,
        headers={"Content-Length": "500"},
    )
    url = http_server.url("/cut.xml")

    with pytest.raises(ConnectionLost) as caught:
        fetch(client, url, LIMITS)

    assert caught.value.kind == "temporary"
    assert url in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1/feed.xml",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "feed.xml",
        "http://",
    ],
)
def test_only_http_urls_are_fetched(client, url):
    with pytest.raises(InvalidUrl) as caught:
        fetch(client, url, LIMITS)

    assert caught.value.kind == "hard"
    assert caught.value.url == url
    assert url in str(caught.value)


def test_connection_refused():
    sock = closed_port()
    try:
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/feed.xml"
        with make_client(LIMITS) as client, pytest.raises(ConnectFailed) as caught:
            fetch(client, url, LIMITS)
    finally:
        sock.close()

    assert caught.value.kind == "temporary"
    assert str(caught.value) == f"could not connect to {url}: connection refused"


def _failing_resolver(code: int) -> httpx.Client:
    """A client whose transport fails the way httpcore does when getaddrinfo fails.

    Resolving a real unknown name would query a DNS server; tests talk to 127.0.0.1 only.
    """

    def handler(request: httpx.Request) -> httpx.Response:
        try:
            raise socket.gaierror(code, "name lookup failed")
        except socket.gaierror as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc

    return httpx.Client(transport=httpx.MockTransport(handler))


@pytest.mark.parametrize(
    ("code", "kind", "reason"),
    [
        (socket.EAI_NONAME, "hard", "host name not found"),
        (socket.EAI_AGAIN, "temporary", "name resolution failed (name lookup failed)"),
    ],
)
def test_dns_failures(code, kind, reason):
    url = "http://no-such-host.gov.example/feed.xml"
    with _failing_resolver(code) as client, pytest.raises(ConnectFailed) as caught:
        fetch(client, url, LIMITS)

    assert caught.value.kind == kind
    assert str(caught.value) == f"could not connect to {url}: {reason}"


def test_errors_are_crawl_errors_and_survive_pickling():
    errors = [
        FetchTimeout("http://a.example/", 0.3, "reading"),
        ConnectFailed("http://a.example/", "host name not found", "hard"),
        ConnectionLost("http://a.example/", "peer closed"),
        HttpStatusError("http://a.example/", 410, "http://b.example/"),
        BodyTooLarge("http://a.example/", 5 * 1024 * 1024),
        TooManyRedirects("http://a.example/", 5),
        UndecodableBody("http://a.example/", "bad gzip"),
        InvalidUrl("ftp://a.example/", "only http and https URLs are fetched"),
        NotAFeed("http://a.example/", "an HTML page"),
    ]
    for error in errors:
        copy = pickle.loads(pickle.dumps(error))
        assert isinstance(copy, CrawlError)
        assert type(copy) is type(error)
        assert (str(copy), copy.kind, copy.url) == (str(error), error.kind, error.url)
        assert "\n" not in str(error) and error.url in str(error)
    assert isinstance(errors[0], FetchError) and not isinstance(errors[-1], FetchError)
    assert str(errors[4]) == "body larger than 5,242,880 bytes from http://a.example/"
