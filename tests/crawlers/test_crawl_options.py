"""Crawl options: which kinds take which, the values they accept, and how they travel through
the sources file, OPML and the database."""

from __future__ import annotations

import pytest

from tests.crawlers.test_crawl import NOW
from yuqing.crawlers.crawl import CrawlLimits, source_limits
from yuqing.crawlers.crawl_options import OptionError, check_options
from yuqing.crawlers.sources import (
    SourceFileError,
    SourceSpec,
    parse_opml,
    parse_sources_toml,
    to_opml,
)
from yuqing.storage.db import transaction
from yuqing.storage.sources import add_source, get_source, sync_sources, to_spec


def test_options_are_typed_and_selectors_kept_as_written():
    options = check_options(
        "board",
        {"links": " ul a ", "reply_text": "xpath://div[@id='r']", "delay": "2.5", "page_cap": 40},
    )
    assert options == {
        "links": "ul a",
        "reply_text": "xpath://div[@id='r']",
        "delay": 2.5,
        "page_cap": 40,
    }


@pytest.mark.parametrize(
    ("kind", "options", "message"),
    [
        ("site", {}, "a site source needs the selector option links"),
        ("feed", {"delay": 1}, "a feed source takes no option delay (it takes: none)"),
        ("sitemap", {"links": "a"}, "a sitemap source takes no option links"),
        ("site", {"links": "a", "reply_text": "p"}, "a site source takes no option reply_text"),
        ("site", {"links": "ul[[a"}, "option links = 'ul[[a' is not a valid css selector"),
        ("site", {"links": "xpath://a["}, "option links = 'xpath://a[' is not a valid xpath"),
        ("site", {"links": "  "}, "option links must be a non-empty selector"),
        ("site", {"links": "a", "delay": "soon"}, "option delay = 'soon' is not a number"),
        ("site", {"links": "a", "page_cap": 2.5}, "option page_cap = 2.5 is not an integer"),
        ("site", {"links": "a", "concurrency": 0}, "option concurrency = 0 is outside 1–32"),
        ("site", {"links": "a", "delay": True}, "option delay = True is not a number"),
    ],
)
def test_bad_options_are_named(kind, options, message):
    with pytest.raises(OptionError) as caught:
        check_options(kind, options)
    assert message in str(caught.value)


def test_a_sources_file_carries_options_as_a_table():
    text = """
[[source]]
name = "临江市长信箱"
kind = "board"
url = "https://example.gov.cn/board/list_1.html"
[source.options]
links = "ul.letters a"
delay = 3
"""
    (spec,) = parse_sources_toml(text, "sources.toml")
    assert (spec.kind, spec.options) == ("board", {"links": "ul.letters a", "delay": 3.0})
    with pytest.raises(SourceFileError, match=r"sources.toml: source #1: option delay = -1"):
        parse_sources_toml(text.replace("delay = 3", "delay = -1"), "sources.toml")
    with pytest.raises(SourceFileError, match="options must be a table"):
        parse_sources_toml(text.split("[source.options]")[0] + 'options = "x"\n', "f.toml")


def test_options_survive_an_opml_round_trip_and_bad_json_is_named():
    spec = SourceSpec(
        "市长信箱", "https://example.gov.cn/b/1.html", kind="board", options={"links": "a.t"}
    )
    (back,) = parse_opml(to_opml([check(spec)]), "x.opml")
    assert (back.kind, back.options) == ("board", {"links": "a.t"})
    broken = to_opml([check(spec)]).replace(b"{&quot;links", b"{links")
    with pytest.raises(SourceFileError, match="yuqingOptions is not JSON"):
        parse_opml(broken, "x.opml")


def check(spec: SourceSpec) -> SourceSpec:
    from yuqing.crawlers.sources import check_spec

    return check_spec(spec)


def test_options_are_stored_and_a_sources_file_updates_them(sessions):
    spec = check(SourceSpec("站", "https://example.gov.cn/l.html", kind="site",
                            options={"links": "a"}))  # fmt: skip
    with transaction(sessions) as session:
        add_source(session, spec, NOW)
    changed = check(SourceSpec("站", spec.url, kind="site", options={"links": "a", "delay": 5}))
    with transaction(sessions) as session:
        assert sync_sources(session, [changed], NOW) == (0, 1)
    with sessions() as session:
        stored = get_source(session, "站")
        assert stored.options == {"links": "a", "delay": 5.0}
        assert to_spec(stored) == changed


def test_a_sources_own_politeness_overrides_the_runs_limits():
    run = CrawlLimits(download_delay=0.0, concurrency_per_domain=8, page_cap=1000)
    limits = source_limits(run, {"links": "a", "delay": 4.0, "concurrency": 1})
    assert (limits.download_delay, limits.concurrency_per_domain, limits.page_cap) == (4.0, 1, 1000)
