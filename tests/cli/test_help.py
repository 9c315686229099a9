"""Every command is documented: its help shows an example, and the README names it."""

from pathlib import Path

import pytest

from yuqing.cli import build_parser

README = (Path(__file__).parents[2] / "README.md").read_text("utf-8")


def commands(parser=None, prefix=()):
    parser = parser or build_parser()
    for action in parser._subparsers._group_actions if parser._subparsers else ():
        for name, sub in action.choices.items():
            yield (*prefix, name), sub
            yield from commands(sub, (*prefix, name))


ALL = list(commands())


def test_there_are_commands():
    names = {" ".join(path) for path, _ in ALL}
    assert {
        "init",
        "ingest",
        "triage",
        "queue",
        "demo",
        "train",
        "evaluate",
        "extract",
        "sources",
        "sources add",
        "sources import",
        "sources export",
        "db upgrade",
    } <= names


@pytest.mark.parametrize(("path", "parser"), ALL, ids=[" ".join(p) for p, _ in ALL])
def test_help_shows_an_example(path, parser):
    text = parser.format_help()
    assert "example:\n  yuqing " in text or "example:\n  YUQING_HOME=" in text


@pytest.mark.parametrize(("path", "parser"), ALL, ids=[" ".join(p) for p, _ in ALL])
def test_readme_documents_the_command(path, parser):
    assert f"yuqing {' '.join(path)}" in README
