"""A user mistake gives one clear line on stderr and a non-zero exit, never a traceback."""

import subprocess
import sys

import pytest

from yuqing.cli import main


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("YUQING_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("YUQING_DATABASE_URL", raising=False)
    monkeypatch.delenv("YUQING_CONFIG", raising=False)
    monkeypatch.delenv("YUQING_SOURCES", raising=False)
    return tmp_path / "home"


@pytest.fixture
def store(home, capsys):
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    return home


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "status", "message"),
    [
        (["extract", "no/such/page.html"], 2, "file not found: no/such/page.html"),
        (["sources", "import", "missing.opml"], 2, "file not found: missing.opml"),
        (
            ["sources", "add", "--name", "x", "--url", "ftp://127.0.0.1/x"],
            1,
            "is not an http(s) URL",
        ),
        (["sources", "add", "--name", " ", "--url", "http://127.0.0.1/x"], 1, "the name is empty"),
        (["ingest", "--source", "没有这个源"], 1, "unknown source '没有这个源'"),
        (["queue", "--date", "27/11/2026"], 2, "bad date '27/11/2026': use YYYY-MM-DD"),
        (["triage", "--since", "a week"], 2, "bad duration 'a week'"),
        (["evaluate", "--data", "nope.jsonl"], 2, "file not found: nope.jsonl"),
    ],
)
def test_mistakes_are_one_line(store, capsys, argv, status, message):
    assert main(argv) == status
    line = one_line_error(capsys)
    assert line.startswith(f"yuqing {argv[0]}: ")
    assert message in line


def test_a_duplicate_source_is_named(store, capsys):
    assert main(["sources", "add", "--name", "a", "--url", "http://127.0.0.1/a.rss"]) == 0
    capsys.readouterr()
    assert main(["sources", "add", "--name", "b", "--url", "http://127.0.0.1/a.rss"]) == 1
    assert "a source with that URL already exists: a" in one_line_error(capsys)


def test_a_broken_opml_file_is_named(store, tmp_path, capsys):
    bad = tmp_path / "bad.opml"
    bad.write_text("<opml><body><outline xmlUrl='http://127.0.0.1/x'", "utf-8")
    assert main(["sources", "import", str(bad)]) == 1
    assert f"{bad}: not a readable OPML file" in one_line_error(capsys)


def test_commands_before_the_store_exists_say_what_to_run(home, capsys):
    assert main(["queue"]) == 1
    assert "run `yuqing db upgrade` (or `yuqing init`)" in one_line_error(capsys)


def test_a_bad_database_url_is_named(home, monkeypatch, capsys):
    monkeypatch.setenv("YUQING_DATABASE_URL", "nosuchdb://x")
    assert main(["queue"]) == 1
    assert "nosuchdb://x" in one_line_error(capsys)


def test_the_installed_command_exits_cleanly_on_a_mistake(home, tmp_path):
    cmd = [sys.executable, "-m", "yuqing.cli", "extract", str(tmp_path / "absent.html")]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr.strip() == f"yuqing extract: file not found: {tmp_path / 'absent.html'}"


def test_extract_prints_the_notice_from_the_scraped_page(home, capsys):
    from tests.shared import notice_file

    assert main(["extract", str(notice_file("gov-page-as-scraped.txt"))]) == 0
    printed = capsys.readouterr().out
    reference = notice_file("notice-zh-simplified.txt").read_text("utf-8")
    assert printed.rstrip() == reference.rstrip()
    assert "国产" not in printed and "索引号" not in printed


def test_a_page_without_text_says_so(home, tmp_path, capsys):
    page = tmp_path / "empty.html"
    page.write_text("<html><body><script>x()</script></body></html>", "utf-8")
    assert main(["extract", str(page)]) == 1
    assert one_line_error(capsys) == f"yuqing extract: no text found in {page}"


def test_schedule_refuses_a_zero_interval(store, capsys):
    assert main(["schedule", "--every", "0"]) == 2
    assert "at least 1 minute" in one_line_error(capsys)


def test_enable_and_disable_a_source(store, capsys):
    import json

    assert main(["sources", "add", "--name", "a", "--url", "http://127.0.0.1:9/a.rss"]) == 0
    assert main(["sources", "disable", "a"]) == 0
    capsys.readouterr()
    assert main(["sources", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["enabled"] is False
    assert main(["sources", "enable", "a"]) == 0
    assert main(["sources", "enable", "nope"]) == 1
    assert "unknown source 'nope'" in one_line_error(capsys)


def test_a_sitemap_source_is_listed_with_its_kind_and_left_to_crawl(store, capsys):
    import json

    argv = ["sources", "add", "--name", "m", "--url", "http://127.0.0.1:9/sitemap.xml"]
    assert main([*argv, "--kind", "sitemap"]) == 0
    capsys.readouterr()
    assert main(["sources", "--json"]) == 0
    [source] = json.loads(capsys.readouterr().out)
    assert (source["kind"], source["posts_last_24h"]) == ("sitemap", 0)
    assert main(["ingest"]) == 0
    assert "ingested 0 sources" in capsys.readouterr().out  # feeds only
    assert main(["ingest", "--source", "m"]) == 2
    assert "is a sitemap source: crawl it with `yuqing crawl`" in one_line_error(capsys)
