"""Serves the bundled demo feeds on 127.0.0.1, as the web would.

Feed files carry placeholders so that the demo always looks fresh: ``@@BASE@@`` becomes the
server's address, ``@@HOURS_AGO:N@@`` an RFC 822 date N hours before the server started and
``@@HOURS_AGO_ISO:N@@`` the same as ISO 8601. They are replaced in the raw bytes (the
placeholders are ASCII), so the GBK feed stays GBK. ETag/If-None-Match works as on a real server.
"""

from __future__ import annotations

import hashlib
import re
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from types import TracebackType

from yuqing.crawlers.sources import SourceSpec, parse_sources_toml

_HOURS = re.compile(rb"@@HOURS_AGO(_ISO)?:(\d+)@@")

CONTENT_TYPES = {
    ".rss": "application/rss+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".rdf": "application/rdf+xml; charset=utf-8",
}
# The GBK feed is served the way many county portals do: no charset in the header at all.
UNDECLARED = "application/xml"


def render(raw: bytes, base: str, started: datetime) -> bytes:
    def when(match: re.Match[bytes]) -> bytes:
        moment = started - timedelta(hours=int(match.group(2)))
        text = moment.isoformat() if match.group(1) else format_datetime(moment)
        return text.encode("ascii")

    return _HOURS.sub(when, raw.replace(b"@@BASE@@", base.encode("ascii")))


class DemoServer:
    """``with DemoServer() as server: server.base`` → ``http://127.0.0.1:PORT``."""

    def __init__(self, started: datetime | None = None) -> None:
        self.started = started or datetime.now(UTC)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def feed_files(self) -> dict[str, bytes]:
        folder = resources.files("yuqing.demo") / "feeds"
        return {f.name: f.read_bytes() for f in folder.iterdir() if f.is_file()}

    def sources(self) -> list[SourceSpec]:
        raw = (resources.files("yuqing.demo") / "sources.toml").read_text("utf-8")
        return parse_sources_toml(raw.replace("@@BASE@@", self.base), "demo sources.toml")

    def __enter__(self) -> DemoServer:
        files = self.feed_files()
        pages: dict[str, tuple[bytes, str]] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                page = pages.get(self.path.split("?", 1)[0])
                if page is None:
                    self.send_error(404, "no such demo feed")
                    return
                body, content_type = page
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # the demo prints its own summary

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        for name, raw in files.items():
            suffix = name[name.rfind(".") :]
            ctype = UNDECLARED if "gbk" in name else CONTENT_TYPES.get(suffix, UNDECLARED)
            pages[f"/feeds/{name}"] = (render(raw, server.base, self.started), ctype)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
