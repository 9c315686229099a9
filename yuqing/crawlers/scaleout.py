"""One source's crawl shared by several worker processes, on one machine or several, through
Redis (scrapy-redis): with ``YUQING_REDIS_URL`` set, every crawl's frontier (the requests still
to fetch) and its seen-requests filter live in Redis, so the workers split one site's pages.

A crawl run is a *round*. The first worker of a round clears the last round's queue and filter
and reads the index (the sitemaps, or a site's list pages); a worker started while the round
still has work (a live worker busy, or requests queued) joins it: it reads no index and takes
pages from the shared queue. Joining is
decided atomically by a Lua script. Each worker keeps a key that expires unless its heartbeat
renews it, so a killed worker drops out of its round by itself.

Keys, per source id (the prefix is ``YUQING_REDIS_PREFIX``, default ``yuqing:crawl``)::

    <prefix>:<id>:requests      the queue (scrapy-redis PriorityQueue: a sorted set)
    <prefix>:<id>:dupefilter    fingerprints of every request seen this round (a set)
    <prefix>:<id>:round         the round's number (a counter)
    <prefix>:<id>:workers       ids of the round's workers (a set)
    <prefix>:<id>:worker:<wid>  ``busy`` or ``idle``; expires unless its worker's heartbeat
                                renews it

Index requests (sitemaps, list pages: ``spider.is_index``) stay in the worker that made them,
so that the round's first worker alone reads the index and its report says whether it could;
page requests are shared. Requests travel as tagged JSON,
never pickle: whoever can write to Redis could otherwise run code in every crawler.

``shared_crawl_settings`` is the one entry point: ``crawlers.crawl.run_crawl`` merges what it
returns into the crawl's Scrapy settings.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import secrets
import socket
from collections import deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.utils.asyncio import call_later, create_looping_call
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.request import request_from_dict
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from yuqing.crawlers.errors import CrawlError

logger = logging.getLogger(__name__)

REDIS_URL_ENV = "YUQING_REDIS_URL"
PREFIX_ENV = "YUQING_REDIS_PREFIX"
DEFAULT_PREFIX = "yuqing:crawl"
#: seconds between two heartbeats of a worker (also how soon an idle worker sees new requests)
HEARTBEAT_S = 0.5
#: a worker whose heartbeat stops for this long is taken for dead and leaves its round
WORKER_TTL_S = 15.0

#: crawler stats this module sets (``crawlers.crawl`` reads the first two)
JOINED_STAT = "yuqing/joined_round"
REDIS_ERROR_STAT = "yuqing/redis_error"
ROUND_STAT = "yuqing/round"
WORKER_STAT = "yuqing/worker"

BUSY = "busy"
IDLE = "idle"


class SharedFrontierError(CrawlError):
    """Redis cannot hold the crawl's frontier: a malformed URL or a server that does not answer.
    ``str()`` is one line naming the URL, its password hidden."""


def redact(url: str) -> str:
    """``url`` with its password (``redis://user:secret@host``, ``?password=``) replaced by ***."""
    scheme, sep, rest = url.partition("://")
    if sep:
        userinfo, at, hostpart = rest.rpartition("@")
        if at and ":" in userinfo:
            rest = f"{userinfo.partition(':')[0]}:***@{hostpart}"
        url = f"{scheme}://{rest}"
    return re.sub(r"(?i)(password=)[^&#]*", r"\1***", url)


def connect(url: str) -> redis.Redis:
    """A client for ``url`` that has answered a PING; ``SharedFrontierError`` otherwise."""
    try:
        server = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=10)
        server.ping()
    except ValueError as exc:
        raise SharedFrontierError(
            f"{REDIS_URL_ENV} {redact(url)!r} is not a usable Redis URL: {exc}"
        ) from None
    except redis.RedisError as exc:
        raise SharedFrontierError(f"Redis at {redact(url)} is unreachable: {exc}") from None
    return server


@dataclass(frozen=True)
class RoundKeys:
    """The Redis keys of one source's crawl (module docstring)."""

    prefix: str
    source_id: int

    def __post_init__(self) -> None:
        # scrapy-redis %-formats queue keys with the spider's name; a stray % would break them.
        if not self.prefix or "%" in self.prefix:
            raise SharedFrontierError(
                f"{PREFIX_ENV} {self.prefix!r} is not a usable key prefix (empty, or holds %)"
            )

    def _key(self, name: str) -> str:
        return f"{self.prefix}:{self.source_id}:{name}"

    @property
    def requests(self) -> str:
        return self._key("requests")

    @property
    def dupefilter(self) -> str:
        return self._key("dupefilter")

    @property
    def round(self) -> str:
        return self._key("round")

    @property
    def workers(self) -> str:
        return self._key("workers")

    @property
    def worker_prefix(self) -> str:
        return self._key("worker:")


# Both scripts read the workers' keys by name rather than through KEYS: fine on one Redis
# server, not on Redis Cluster. A worker whose key has expired is dropped from the set.
_JOIN = """
local live, busy = 0, 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local state = redis.call('GET', ARGV[1] .. id)
  if not state then
    redis.call('SREM', KEYS[1], id)
  else
    live = live + 1
    if state == 'busy' then busy = busy + 1 end
  end
end
local joined, round = 0, 0
if busy > 0 or (live > 0 and redis.call('ZCARD', KEYS[2]) > 0) then
  joined = 1
  round = tonumber(redis.call('GET', KEYS[4]) or '0')
else
  redis.call('DEL', KEYS[2], KEYS[3])
  round = redis.call('INCR', KEYS[4])
end
redis.call('SADD', KEYS[1], ARGV[2])
redis.call('SET', ARGV[1] .. ARGV[2], 'busy', 'PX', ARGV[3])
return {joined, round}
"""

_BEAT = """
redis.call('SADD', KEYS[1], ARGV[2])
redis.call('SET', ARGV[1] .. ARGV[2], ARGV[3], 'PX', ARGV[4])
local busy = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if id ~= ARGV[2] then
    local state = redis.call('GET', ARGV[1] .. id)
    if not state then
      redis.call('SREM', KEYS[1], id)
    elseif state == 'busy' then
      busy = busy + 1
    end
  end
end
return busy
"""


class Round:
    """One worker's membership of its source's round."""

    def __init__(
        self, server: redis.Redis, keys: RoundKeys, worker_id: str, ttl_s: float = WORKER_TTL_S
    ) -> None:
        self.server = server
        self.keys = keys
        self.worker_id = worker_id
        self.ttl_ms = int(ttl_s * 1000)
        self._join = server.register_script(_JOIN)
        self._beat = server.register_script(_BEAT)

    def join(self) -> tuple[bool, int]:
        """Join the running round, else start a new one (clearing the last one's queue and
        seen filter); in one atomic step. Returns (joined a running round, round number)."""
        k = self.keys
        joined, number = self._join(
            keys=[k.workers, k.requests, k.dupefilter, k.round],
            args=[k.worker_prefix, self.worker_id, self.ttl_ms],
        )
        return bool(joined), int(number)

    def beat(self, state: str) -> int:
        """Say this worker is alive and ``state`` (busy | idle); returns how many other live
        workers of the round are busy."""
        k = self.keys
        return int(
            self._beat(keys=[k.workers], args=[k.worker_prefix, self.worker_id, state, self.ttl_ms])
        )

    def leave(self) -> None:
        k = self.keys
        with self.server.pipeline() as pipe:
            pipe.srem(k.workers, self.worker_id)
            pipe.delete(k.worker_prefix + self.worker_id)
            pipe.execute()


def shared_crawl_settings(source_id: int, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The Scrapy settings that make this process a worker of ``source_id``'s round, or ``{}``
    when ``YUQING_REDIS_URL`` is not set (the crawl then runs alone, as ever).

    Joins or starts the round at once, so call it just before the crawl starts. The settings
    include ``SCHEDULER``, ``EXTENSIONS`` and, for a worker that joined, ``SPIDER_MIDDLEWARES``.
    Raises ``SharedFrontierError`` when the URL is malformed or Redis does not answer."""
    env = os.environ if env is None else env
    url = env.get(REDIS_URL_ENV, "").strip()
    if not url:
        return {}
    keys = RoundKeys(env.get(PREFIX_ENV) or DEFAULT_PREFIX, source_id)
    worker_id = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
    try:
        joined, number = Round(connect(url), keys, worker_id).join()
    except redis.RedisError as exc:
        raise SharedFrontierError(f"Redis at {redact(url)} failed: {exc}") from None
    settings: dict[str, Any] = {
        "YUQING_REDIS_URL": url,
        "YUQING_REDIS_PREFIX": keys.prefix,
        "YUQING_WORKER_ID": worker_id,
        "YUQING_ROUND": number,
        "YUQING_ROUND_JOINED": joined,
        "SCHEDULER": f"{__name__}.SharedScheduler",
        "EXTENSIONS": {f"{__name__}.RoundWorker": 0},
    }
    if joined:
        settings["SPIDER_MIDDLEWARES"] = {f"{__name__}.NoStartRequests": 0}
    return settings


# --- requests as tagged JSON -----------------------------------------------------------------


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes):
        return {"$b": base64.b64encode(value).decode("ascii")}
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in value):
            return {k: _encode(v) for k, v in value.items()}
        return {"$map": [[_encode(k), _encode(v)] for k, v in value.items()]}
    raise TypeError(f"cannot share a {type(value).__name__} through Redis")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((tag, inner),) = value.items()
        if tag == "$b":
            return base64.b64decode(inner)
        if tag == "$dt":
            return datetime.fromisoformat(inner)
        if tag == "$map":
            return {_decode(k): _decode(v) for k, v in inner}
    return {k: _decode(v) for k, v in value.items()}


class RequestCodec:
    """scrapy-redis's serializer interface (``dumps``/``loads``) over JSON that keeps bytes and
    datetimes (a page's ``cb_kwargs`` hold its listed time, or None)."""

    @staticmethod
    def dumps(obj: Any) -> bytes:
        return json.dumps(_encode(obj), ensure_ascii=False, separators=(",", ":")).encode()

    @staticmethod
    def loads(data: bytes) -> Any:
        return _decode(json.loads(data))


class SharedQueue(PriorityQueue):
    """scrapy-redis's priority queue, refusing what should not cross machines: a request that
    is not a plain ``Request`` or whose callbacks are not the spider's methods (``TypeError``
    or ``ValueError`` on push), and, popped, one naming a class or a private method."""

    def _encode_request(self, request: Request) -> bytes:
        if type(request) is not Request:
            raise TypeError(f"a {type(request).__name__} is not shared")
        return RequestCodec.dumps(request.to_dict(spider=self.spider))

    def _decode_request(self, encoded_request: bytes) -> Request:
        data = RequestCodec.loads(encoded_request)
        if not isinstance(data, dict) or "_class" in data:
            raise ValueError("not a plain request")
        for name in (data.get("callback"), data.get("errback")):
            if name is not None and (
                not isinstance(name, str)
                or name.startswith("_")
                or not callable(getattr(type(self.spider), name, None))
            ):
                raise ValueError(f"{name!r} is not a method of the spider")
        return request_from_dict(data, spider=self.spider)


class SharedScheduler(Scheduler):
    """scrapy-redis's scheduler with the queue and seen filter of this source's round, which
    outlive the worker (the next round's first worker clears them), plus a queue in memory for
    requests kept in this worker (index pages, and any request that cannot be shared).

    Overrides the request methods for Scrapy 2.19: scrapy-redis passes ``spider=`` to the stats,
    which Scrapy now deprecates, and lets a Redis error escape into the engine."""

    crawler: Crawler
    local: deque[Request]
    url: str

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedScheduler:
        settings = crawler.settings
        url = settings["YUQING_REDIS_URL"]
        keys = RoundKeys(settings["YUQING_REDIS_PREFIX"], settings.getint("YUQING_SOURCE_ID"))
        server = connect(url)
        scheduler = cls(
            server,
            persist=True,
            queue_key=keys.requests,
            queue_cls=f"{__name__}.SharedQueue",
            dupefilter=RFPDupeFilter(server, keys.dupefilter),
            dupefilter_key=keys.dupefilter,
            serializer=RequestCodec,
        )
        scheduler.stats = crawler.stats
        scheduler.crawler = crawler
        scheduler.local = deque()
        scheduler.url = url
        return scheduler

    def enqueue_request(self, request: Request) -> bool:
        if self._lost():
            self._keep(request)  # the crawl is closing; the request is not reported as dropped
            return True
        try:
            if not request.dont_filter and self.df.request_seen(request):
                return False
            if self._is_index(request):
                self._keep(request)
                return True
            self.queue.push(request)
        except redis.RedisError as exc:
            lose_redis(self.crawler, self.url, exc)
            self._keep(request)  # the crawl is closing; the request is not reported as dropped
            return True
        except (TypeError, ValueError) as exc:
            logger.debug("kept %s in this worker: %s", request, exc)
            self._keep(request)
            return True
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def _is_index(self, request: Request) -> bool:
        is_index = getattr(self.spider, "is_index", None)
        return bool(is_index(request)) if is_index is not None else False

    def _keep(self, request: Request) -> None:
        self.local.append(request)
        self.stats.inc_value("scheduler/enqueued/memory")

    def next_request(self) -> Request | None:
        if self.local:
            self.stats.inc_value("scheduler/dequeued/memory")
            return self.local.popleft()
        while not self._lost():
            try:
                request = self.queue.pop()
            except redis.RedisError as exc:
                lose_redis(self.crawler, self.url, exc)
                return None
            except (TypeError, ValueError) as exc:  # a malformed entry: gone from the queue
                logger.warning("dropped a request from Redis that cannot be read: %s", exc)
                self.stats.inc_value("yuqing/redis_unreadable")
                continue
            if request is not None:
                self.stats.inc_value("scheduler/dequeued/redis")
            return request
        return None

    def has_pending_requests(self) -> bool:
        return bool(self.local) or self._shared() > 0

    def __len__(self) -> int:
        return len(self.local) + self._shared()

    def _lost(self) -> bool:
        """Redis failed earlier in this crawl: ask it nothing more (each call would wait for
        the client's retries) while the spider closes."""
        return bool(self.stats.get_value(REDIS_ERROR_STAT))

    def _shared(self) -> int:
        if self._lost():
            return 0
        try:
            return len(self.queue)
        except redis.RedisError as exc:
            lose_redis(self.crawler, self.url, exc)
            return 0


def lose_redis(crawler: Crawler, url: str, exc: Exception) -> None:
    """Redis failed mid-crawl: record it (``crawlers.crawl`` reports the crawl as failed) and
    close the spider; committed batches stay stored. Only the first call does anything."""
    stats = crawler.stats
    assert stats is not None
    if stats.get_value(REDIS_ERROR_STAT):
        return
    message = f"lost Redis at {redact(url)} mid-crawl: {exc}"
    stats.set_value(REDIS_ERROR_STAT, message)
    logger.error(message)

    def close() -> None:
        engine = crawler.engine
        if engine is not None and engine.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason="redis_lost")).addErrback(
                lambda failure: logger.error("could not close the spider: %s", failure.value)
            )

    # Not from inside the scheduler call that met the error: the engine is mid-step there.
    call_later(0, close)


class RoundWorker:
    """The extension that keeps this worker in its round: a heartbeat renews its key and says
    whether it is busy; an idle worker stays open while another worker is busy (that one may
    queue more pages), and leaves the round when it closes."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.url = settings.get("YUQING_REDIS_URL")
        if not self.url:
            raise NotConfigured("the crawl is not shared (no YUQING_REDIS_URL)")
        self.crawler = crawler
        keys = RoundKeys(settings["YUQING_REDIS_PREFIX"], settings.getint("YUQING_SOURCE_ID"))
        self.round = Round(connect(self.url), keys, settings["YUQING_WORKER_ID"])
        self.number = settings.getint("YUQING_ROUND")
        self.joined = settings.getbool("YUQING_ROUND_JOINED")
        self.heartbeat = create_looping_call(self.beat)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RoundWorker:
        return cls(crawler)

    def spider_opened(self) -> None:
        stats = self.crawler.stats
        assert stats is not None
        stats.set_value(JOINED_STAT, self.joined)
        stats.set_value(ROUND_STAT, self.number)
        stats.set_value(WORKER_STAT, self.round.worker_id)
        self.heartbeat.start(HEARTBEAT_S, now=True)

    def beat(self) -> None:
        idle = self._engine_idle()
        try:
            self.round.beat(IDLE if idle else BUSY)
        except redis.RedisError as exc:
            self.heartbeat.stop()
            lose_redis(self.crawler, self.url, exc)
            return
        # Scrapy asks its scheduler for more only as its own downloads end, or every 5 s: a
        # worker with nothing in flight would miss requests another worker queued meanwhile.
        # Ask now, so it takes them (or, idle, closes) within a beat.
        slot = getattr(self.crawler.engine, "_slot", None)
        nextcall = getattr(slot, "nextcall", None)
        if nextcall is not None:
            nextcall.schedule()

    def _engine_idle(self) -> bool:
        engine = self.crawler.engine
        try:
            return engine is None or engine.spider_is_idle()
        except RuntimeError:  # no engine slot: closing
            return True

    def spider_idle(self) -> None:
        """Queue empty, nothing in flight here: stay open while another worker is busy."""
        if self.crawler.stats and self.crawler.stats.get_value(REDIS_ERROR_STAT):
            return
        try:
            others_busy = self.round.beat(IDLE)
        except redis.RedisError as exc:
            lose_redis(self.crawler, self.url, exc)
            return
        if others_busy:
            raise DontCloseSpider(f"{others_busy} other workers of the round are busy")

    def spider_closed(self) -> None:
        if self.heartbeat.running:
            self.heartbeat.stop()
        try:
            self.round.leave()
        except redis.RedisError:
            pass  # the key expires by itself


class NoStartRequests:
    """Spider middleware of a worker that joined a running round: the index is the first
    worker's to read, so this one starts with nothing and takes pages from the shared queue."""

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        for item in ():
            yield item
