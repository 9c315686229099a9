"""A crawled source's options: where its fields are on the page, and how hard to press its site.

Options live with the source (``sources.options``; ``[source.options]`` in the sources file;
flags of ``yuqing sources add``), so a new site is configured, not programmed. This module is the
one place that knows which options exist, which kinds take them, and what values are valid.

Selectors are CSS unless written ``xpath:…`` (``css:…`` is accepted too). A selector for a text
field may end in ``::text`` or ``::attr(name)``; otherwise the text of the elements it matches is
taken. A link selector may match ``<a>`` elements (their ``href`` is followed) or attributes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from parsel import Selector

#: every list-then-detail page field a ``site`` source can name a selector for
SITE_SELECTORS = ("links", "next", "title", "body", "time", "author")
#: a message board adds whom a message is addressed to and the government's reply
BOARD_SELECTORS = (*SITE_SELECTORS, "addressed_to", "reply_status", "reply_text", "reply_time")


@dataclass(frozen=True)
class Number:
    kind: type
    low: float
    high: float
    help: str


#: politeness and bounds of one source's crawl; they override the run's defaults
NUMBERS = {
    "delay": Number(float, 0.0, 3600.0, "seconds between two requests to the site"),
    "concurrency": Number(int, 1, 32, "requests in flight to the site at once"),
    "page_cap": Number(int, 1, 100_000, "responses per crawl, so a trap ends"),
    "list_pages": Number(int, 1, 10_000, "list pages followed per crawl (site, board)"),
    "recheck_days": Number(
        int, 0, 3650, "days a stored unanswered message is re-read for its reply (board)"
    ),
}

#: which options each kind of source accepts; a feed is fetched by ``ingest``, not crawled
ACCEPTED = {
    "feed": (),
    "sitemap": ("delay", "concurrency", "page_cap"),
    "site": (*SITE_SELECTORS, "delay", "concurrency", "page_cap", "list_pages"),
    "board": (*BOARD_SELECTORS, "delay", "concurrency", "page_cap", "list_pages", "recheck_days"),
}
REQUIRED = {"site": ("links",), "board": ("links",)}
SELECTORS = frozenset(BOARD_SELECTORS)


class OptionError(ValueError):
    """An option that cannot be used; the message names it."""


def check_options(kind: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """The options of a ``kind`` source, validated and normalised (numbers typed, selectors
    trimmed and compiled once to prove they parse). Raises ``OptionError`` naming the option."""
    accepted = ACCEPTED.get(kind, ())
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        takes = ", ".join(accepted) if accepted else "none"
        raise OptionError(
            f"a {kind} source takes no option {', '.join(unknown)} (it takes: {takes})"
        )
    missing = [key for key in REQUIRED.get(kind, ()) if not options.get(key)]
    if missing:
        raise OptionError(
            f"a {kind} source needs the selector option {', '.join(missing)} "
            "(where the links to its posts are on a list page)"
        )
    checked: dict[str, Any] = {}
    for key, value in options.items():
        if key in NUMBERS:
            checked[key] = _number(key, value)
        else:
            checked[key] = _selector(key, value)
    return checked


def _number(key: str, value: Any) -> int | float:
    spec = NUMBERS[key]
    try:
        if isinstance(value, bool):
            raise ValueError
        number = spec.kind(value) if not isinstance(value, str) else spec.kind(value.strip())
    except (TypeError, ValueError):
        raise OptionError(
            f"option {key} = {value!r} is not {'an integer' if spec.kind is int else 'a number'}"
        ) from None
    if spec.kind is int and isinstance(value, float) and value != int(value):
        raise OptionError(f"option {key} = {value!r} is not an integer")
    if not spec.low <= number <= spec.high:
        raise OptionError(f"option {key} = {value!r} is outside {spec.low:g}–{spec.high:g}")
    return number


def _selector(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise OptionError(f"option {key} must be a non-empty selector (CSS, or xpath:…)")
    query = value.strip()
    language, body = split_selector(query)
    try:
        probe = Selector(text="<html><body></body></html>")
        if language == "xpath":
            probe.xpath(body)
        else:
            probe.css(body)
    except Exception as exc:  # cssselect and lxml raise several types for one meaning
        raise OptionError(
            f"option {key} = {query!r} is not a valid {language} selector: {exc}"
        ) from None
    return query


def split_selector(query: str) -> tuple[str, str]:
    """("css" | "xpath", the expression) for a selector as written in an option."""
    for language in ("xpath", "css"):
        if query.startswith(f"{language}:"):
            return language, query[len(language) + 1 :].strip()
    return "css", query
