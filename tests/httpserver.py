"""A small threaded HTTP/1.1 server on 127.0.0.1 for tests: real sockets, real bytes.

A test registers routes (path -> what to send) and reads back how often each path was asked::

    server.add("/feed.xml", body, headers={"Content-Type": "application/rss+xml"}, etag='"v1"')
    server.redirect("/old", "/feed.xml")
    server.url("/feed.xml"), server.count("/feed.xml")

Each route can answer conditional GETs (ETag / Last-Modified -> 304), wait before answering,
send its body in chunks with a pause between them, leave out Content-Length (the body then
ends when the connection closes), or drip chunks for ever.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    #: seconds to wait before sending the status line
    delay: float = 0.0
    #: send the body in pieces of this many bytes (None: in one piece)
    chunk_size: int | None = None
    #: seconds to wait between two pieces
    chunk_delay: float = 0.0
    #: False: no Content-Length; the body ends when the server closes the connection
    content_length: bool = True
    #: send ``body`` again and again, every ``chunk_delay`` seconds, until the client leaves
    endless: bool = False


class LocalHttpServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: Counter[str] = Counter()
        #: the request headers of the last request to each path (names lower-case)
        self.last_headers: dict[str, dict[str, str]] = {}
        #: when each request to a path arrived (time.monotonic())
        self.arrivals: dict[str, list[float]] = {}
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> LocalHttpServer:
        self._thread.start()
        return self

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def add(self, path: str, body: bytes = b"", **options: Any) -> Route:
        """Serve ``body`` at ``path``; ``options`` are ``Route`` fields."""
        route = Route(body=body, **options)
        self.routes[path] = route
        return route

    def redirect(self, path: str, to: str, status: int = 302) -> Route:
        return self.add(path, status=status, headers={"Location": to})

    def count(self, path: str) -> int:
        with self._lock:
            return self.requests[path]

    def close(self) -> None:
        """Stop serving, wake every sleeping handler, close open connections, join threads."""
        self.stopping.set()
        self._httpd.shutdown()
        with self._lock:
            for connection in self._connections:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # already closed by the other side
        self._httpd.server_close()  # joins the handler threads (block_on_close)
        self._thread.join(timeout=5)

    def __enter__(self) -> LocalHttpServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _register(self, path: str, headers: dict[str, str]) -> Route | None:
        with self._lock:
            self.requests[path] += 1
            self.last_headers[path] = headers
            self.arrivals.setdefault(path, []).append(time.monotonic())
        return self.routes.get(path)


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # so that server_close() can join them
    block_on_close = True
    owner: LocalHttpServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    #: a forgotten keep-alive connection must not keep a handler thread alive for ever
    timeout = 10

    def setup(self) -> None:
        super().setup()
        with self.server.owner._lock:
            self.server.owner._connections.add(self.connection)

    def handle(self) -> None:
        try:
            super().handle()
        except ConnectionError:
            pass  # the client reset the connection (it closed a response mid-body): expected

    def finish(self) -> None:
        with self.server.owner._lock:
            self.server.owner._connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass  # the client went away mid-response, which some tests do on purpose

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output quiet

    def do_GET(self) -> None:
        owner = self.server.owner
        path = urlsplit(self.path).path
        route = owner._register(path, {k.lower(): v for k, v in self.headers.items()})
        try:
            if route is None:
                self._send_simple(404, b"no such route")
            elif route.delay and owner.stopping.wait(route.delay):
                self.close_connection = True  # shutting down
            elif self._not_modified(route):
                self.send_response(304)
                self._validator_headers(route)
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self._send_route(route)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up, as timeout tests intend

    def _send_route(self, route: Route) -> None:
        owner = self.server.owner
        self.send_response(route.status)
        for name, value in route.headers.items():
            self.send_header(name, value)
        self._validator_headers(route)
        if route.content_length and not route.endless:
            self.send_header("Content-Length", str(len(route.body)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if route.endless:
            while not owner.stopping.wait(route.chunk_delay):
                self.wfile.write(route.body)
                self.wfile.flush()
            return
        size = route.chunk_size or max(len(route.body), 1)
        for start in range(0, len(route.body), size):
            if start and route.chunk_delay and owner.stopping.wait(route.chunk_delay):
                self.close_connection = True  # shutting down mid-body
                return
            self.wfile.write(route.body[start : start + size])
            self.wfile.flush()

    def _not_modified(self, route: Route) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None and route.etag is not None:
            # RFC 9110: If-None-Match wins over If-Modified-Since; weak comparison for GET
            tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
            return "*" in tags or route.etag.removeprefix("W/") in tags
        if_modified_since = self.headers.get("If-Modified-Since")
        if if_modified_since is not None and route.last_modified is not None:
            try:
                since = parsedate_to_datetime(if_modified_since)
            except (TypeError, ValueError):
                return False
            return parsedate_to_datetime(route.last_modified) <= since
        return False

    def _validator_headers(self, route: Route) -> None:
        if route.etag is not None:
            self.send_header("ETag", route.etag)
        if route.last_modified is not None:
            self.send_header("Last-Modified", route.last_modified)

    def _send_simple(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def closed_port() -> socket.socket:
    """A socket bound to a 127.0.0.1 port but not listening: connecting to it is refused.

    Keep it open while the test runs (so no one else takes the port), then close it.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock
