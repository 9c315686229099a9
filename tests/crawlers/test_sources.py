import pytest

from yuqing.crawlers.sources import (
    SourceFileError,
    SourceSpec,
    parse_opml,
    parse_sources_toml,
    to_opml,
)

TOML = """
[[source]]
name = "湖南省领导留言板"
url = "https://127.0.0.1/board.rss"
region_code = "430000"
region_name = "湖南省"
level = "provincial"
department = "省政府办公厅"

[[source]]
name = "市政府网站地图"
url = "https://127.0.0.1/sitemap.xml"
kind = "sitemap"
"""


def test_a_sources_file():
    board, sitemap = parse_sources_toml(TOML, "sources.toml")
    assert board == SourceSpec(
        "湖南省领导留言板", "https://127.0.0.1/board.rss", "430000", "湖南省", "provincial",
        "省政府办公厅",
    )  # fmt: skip
    assert (board.kind, sitemap.kind) == ("feed", "sitemap")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[source]]\nname = "a"\n', "source #1: missing field 'url'"),
        ('[[source]]\nname = "a"\nurl = "ftp://x/y"\n', "is not an http(s) URL"),
        ('[[source]]\nname = "a"\nurl = "http://x/"\nlevel = "city"\n', "level 'city'"),
        ('[[source]]\nname = "a"\nurl = "http://x/"\nkind = "blog"\n', "kind 'blog'"),
        ('[[source]]\nname = "a"\nurl = "http://x/"\ncolour = "red"\n', "unknown fields"),
        ('[[source]]\nname = "a"\nurl = "http://x/"\n[[source]]\nname = "a"\nurl = "http://y/"\n',
         "share the name 'a'"),
        ("source = 3", "array of tables"),
        ("[[source]\n", "sources.toml"),
    ],
)  # fmt: skip
def test_a_bad_sources_file_names_the_entry(text, message):
    with pytest.raises(SourceFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_sources_toml(text, "sources.toml")


def test_opml_round_trip_keeps_the_jurisdiction_and_kind():
    specs = parse_sources_toml(TOML, "sources.toml")
    assert parse_opml(to_opml(specs), "x.opml") == specs


def test_a_plain_feed_reader_opml_imports_with_folders_flattened():
    opml = b"""<?xml version="1.0"?><opml version="2.0"><head/><body>
      <outline text="news"><outline type="rss" text="A" xmlUrl="http://127.0.0.1/a.rss"/></outline>
      <outline type="rss" title="B" text="b" xmlUrl="http://127.0.0.1/b.rss"/></body></opml>"""
    assert [(s.name, s.kind, s.level) for s in parse_opml(opml, "reader.opml")] == [
        ("A", "feed", ""),
        ("B", "feed", ""),
    ]


def test_hostile_opml_is_refused_not_expanded():
    bomb = b"""<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa">
    <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><opml><body>
    <outline xmlUrl="http://127.0.0.1/&b;"/></body></opml>"""
    with pytest.raises(SourceFileError, match=r"bomb\.opml: not a readable OPML file"):
        parse_opml(bomb, "bomb.opml")
    with pytest.raises(SourceFileError, match="root element is <rss>"):
        parse_opml(b"<rss/>", "feed.xml")
