"""One settings object, loaded once (environment ``YUQING_*`` over an optional TOML file) and
passed down. Nothing reads the environment at import time.

Environment variables:

- ``YUQING_HOME``: the data directory (default ``./var``): SQLite store, models, caches.
- ``YUQING_DATABASE_URL``: an SQLAlchemy URL; default ``sqlite:///$YUQING_HOME/yuqing.db``.
  PostgreSQL: ``postgresql+psycopg://user@127.0.0.1:5432/dbname``.
- ``YUQING_CONFIG``: a TOML file with the same keys in lower case
  (default ``$YUQING_HOME/yuqing.toml``).
- ``YUQING_SOURCES``: the sources file (default ``$YUQING_HOME/sources.toml``).
- ``YUQING_WEBHOOK_URL``, ``YUQING_WEBHOOK_SECRET``: where alerts are POSTed as JSON, and the
  key of their HMAC-SHA256 signature header; no URL, no webhook alerts.
- ``YUQING_SMTP_URL``: ``smtp://user:password@host:port`` (``smtps://`` for TLS) for alert and
  digest e-mail; ``YUQING_MAIL_FROM``, ``YUQING_MAIL_TO`` (comma-separated): its envelope.
- ``YUQING_CRAWL_TIME_LIMIT``: seconds one crawl (sitemap, site, board) may run before its child
  process is ended and the crawl recorded as failed (default 600).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path


class ConfigError(ValueError):
    """A setting that cannot be used; the message names the setting and where it came from."""


@dataclass(frozen=True)
class HttpLimits:
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    user_agent: str = "yuqing/0.1 (+public-opinion monitoring)"


@dataclass(frozen=True)
class AlertSettings:
    """Where alerts go. Empty values switch a channel off."""

    webhook_url: str = ""
    webhook_secret: str = ""
    smtp_url: str = ""
    mail_from: str = ""
    mail_to: tuple[str, ...] = ()

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels alerts are delivered on: ``webhook`` and/or ``email``."""
        out = []
        if self.webhook_url:
            out.append("webhook")
        if self.smtp_url and self.mail_to:
            out.append("email")
        return tuple(out)


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    sources_file: Path
    http: HttpLimits = field(default_factory=HttpLimits)
    #: the timezone in which days are cut and times are shown (DESIGN: house rules)
    display_tz: str = "Asia/Shanghai"
    alerts: AlertSettings = field(default_factory=AlertSettings)
    #: seconds one crawl may run before it is ended and recorded as failed
    crawl_time_limit_s: float = 600.0

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def with_database(self, url: str) -> Settings:
        return replace(self, database_url=url)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from ``env`` (default: the process environment) and the config file."""
    env = os.environ if env is None else env
    home = Path(env.get("YUQING_HOME", "var")).expanduser()
    config_path = Path(env.get("YUQING_CONFIG", home / "yuqing.toml"))
    file_values: dict[str, object] = {}
    if config_path.is_file():
        try:
            file_values = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {config_path}: {exc}") from exc
    elif "YUQING_CONFIG" in env:
        raise ConfigError(f"YUQING_CONFIG names {config_path}, which is not a file")

    def pick(key: str, default: str) -> str:
        value = env.get(f"YUQING_{key.upper()}") or file_values.get(key) or default
        if not isinstance(value, str):
            raise ConfigError(f"setting {key!r} in {config_path} must be a string")
        return value

    database_url = pick("database_url", f"sqlite:///{home / 'yuqing.db'}")
    sources_file = Path(pick("sources", str(home / "sources.toml")))
    http = _http_limits(file_values.get("http", {}), config_path)
    alerts = AlertSettings(
        webhook_url=pick("webhook_url", ""),
        webhook_secret=pick("webhook_secret", ""),
        smtp_url=pick("smtp_url", ""),
        mail_from=pick("mail_from", "yuqing@localhost"),
        mail_to=tuple(a.strip() for a in pick("mail_to", "").split(",") if a.strip()),
    )
    if alerts.webhook_url and not alerts.webhook_url.startswith(("http://", "https://")):
        raise ConfigError(f"YUQING_WEBHOOK_URL must be an http(s) URL: {alerts.webhook_url!r}")
    if alerts.smtp_url and not alerts.smtp_url.startswith(("smtp://", "smtps://")):
        raise ConfigError("YUQING_SMTP_URL must start with smtp:// or smtps://")
    return Settings(
        home=home,
        database_url=database_url,
        sources_file=sources_file,
        http=http,
        alerts=alerts,
        crawl_time_limit_s=_seconds(
            "crawl_time_limit",
            env.get("YUQING_CRAWL_TIME_LIMIT") or file_values.get("crawl_time_limit"),
            Settings.crawl_time_limit_s,
        ),
    )


def _seconds(key: str, value: object, default: float) -> float:
    """A positive number of seconds, from the environment (text) or the file (a number)."""
    if value is None or value == "":
        return default
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = float("nan")
    if not 0 < seconds < float("inf"):
        raise ConfigError(f"{key} (YUQING_{key.upper()}) must be seconds above 0, not {value!r}")
    return seconds


def _http_limits(values: object, origin: Path) -> HttpLimits:
    if not isinstance(values, dict):
        raise ConfigError(f"[http] in {origin} must be a table")
    known = {f.name: f.type for f in fields(HttpLimits)}
    unknown = set(values) - set(known)
    if unknown:
        raise ConfigError(f"[http] in {origin}: unknown keys {sorted(unknown)}")
    limits = HttpLimits()
    try:
        return replace(limits, **{k: type(getattr(limits, k))(v) for k, v in values.items()})
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"[http] in {origin}: {exc}") from exc
