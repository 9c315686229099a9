"""``yuqing route`` and ``yuqing case open|show`` from the command line."""

import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from yuqing.cli import main


@pytest.fixture
def store(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("YUQING_HOME", str(tmp_path / "home"))
    for name in ("YUQING_DATABASE_URL", "YUQING_CONFIG", "YUQING_SOURCES"):
        monkeypatch.delenv(name, raising=False)
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    return tmp_path / "home"


def run_json(capsys, *argv):
    assert main(list(argv)) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_route_prints_the_decision_for_a_text(store, capsys):
    decision = run_json(
        capsys,
        "route",
        "--text",
        "人社部发布延迟退休新规，网友误读为明年起所有人都要晚退休五年。",
        "--category",
        "policy_misreading",
    )
    assert decision["first_responsible"] == "人力资源和社会保障部"
    assert decision["rule"] == "national_policy"
    assert decision["category"] == "policy_misreading"
    for key in ("coordinators", "lead", "co_responsible", "regions", "departments", "reasons"):
        assert key in decision


def test_route_without_a_model_still_decides_and_says_why(store, capsys):
    decision = run_json(capsys, "route", "--text", "小区物业乱收费", "--region", "郑州市")
    assert decision["first_responsible"] == "郑州市住房和城乡建设局"
    assert decision["category"] is None
    assert decision["reasons"][0].startswith("未判定类别")


def test_route_reads_stdin_one_text_a_line_and_uses_a_sources_jurisdiction(
    store, capsys, monkeypatch
):
    assert (
        main(
            [
                "sources",
                "add",
                "--name",
                "中牟县长信箱",
                "--url",
                "http://127.0.0.1/zm.rss",
                "--region",
                "中牟县",
                "--region-code",
                "410122",
                "--level",
                "county",
            ]
        )
        == 0
    )
    capsys.readouterr()
    lines = "公司拖欠工资半年不发\n\n某企业偷税漏税，税务局不管\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    assert main(["route", "--source", "中牟县长信箱", "--category", "public_interest"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [d["first_responsible"] for d in out] == [
        "中牟县人力资源和社会保障局",
        "国家税务总局中牟县税务局",
    ]
    assert out[1]["rule"] == "vertical"


def test_a_higher_level_request_opens_a_routed_case_with_its_deadline(store, capsys):
    due = (datetime.now(UTC) + timedelta(hours=30)).replace(microsecond=0)
    assert (
        main(
            [
                "case",
                "open",
                "--requested-by",
                "郑州市人民政府办公室",
                "--due",
                due.isoformat(),
                "--about",
                "就网传中牟县自来水有异味问题主动回应，公布水质检测结果",
                "--region",
                "中牟县",
                "--level",
                "county",
                "--by",
                "值班员",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert out.startswith("case 1 opened")
    view = run_json(capsys, "case", "show", "1", "--json")
    assert view["category"] == "superior_request"
    assert view["requested_by"] == "郑州市人民政府办公室"
    assert datetime.fromisoformat(view["due_at"]) == due
    assert view["routing"]["first_responsible"].startswith("中牟县")
    assert view["post"] is None
    assert view["history"][0]["actor"] == "值班员"
    queue = run_json(capsys, "queue", "--json")["cases"]
    assert [item["case_id"] for item in queue] == [1]
    assert queue[0]["source"].startswith("上级交办")
    assert queue[0]["requested_by"] == "郑州市人民政府办公室"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--requested-by", " ", "--due", "2h", "--about", "x"], "--requested-by is empty"),
        (["--requested-by", "a", "--due", "2h", "--about", " "], "--about is empty"),
        (["--requested-by", "a", "--due", "2020-01-01 10:00", "--about", "x"], "already past"),
        (["--requested-by", "a", "--due", "明天", "--about", "x"], "bad --due '明天'"),
    ],
)
def test_a_bad_request_is_one_line_and_opens_nothing(store, capsys, argv, message):
    assert main(["case", "open", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
    assert main(["case", "show", "1"]) == 2
    assert "no case 1" in capsys.readouterr().err


def test_a_case_is_acknowledged_answered_followed_up_and_closed_from_the_command_line(
    store, capsys
):
    due = (datetime.now(UTC) + timedelta(hours=30)).replace(microsecond=0)
    argv = ["case", "open", "--requested-by", "市政府办公室", "--due", due.isoformat()]
    assert main([*argv, "--about", "就自来水异味主动回应", "--region", "中牟县"]) == 0
    capsys.readouterr()
    assert main(["case", "ack", "1", "--by", "张三"]) == 0
    assert capsys.readouterr().out.strip() == "case 1: acknowledged"
    respond = ["case", "respond", "1", "--form", "authoritative_release", "--channel", "website"]
    assert main([*respond, "--url", "https://www.example.gov.cn/1.html", "--by", "张三"]) == 0
    assert capsys.readouterr().out.strip() == "case 1: responded; deadline met"
    assert main([*respond, "--by", "李四"]) == 0
    assert capsys.readouterr().out.strip() == "case 1: following_up"
    assert main(["case", "close", "1", "--reason", "水质检测合格，已持续发布"]) == 0
    assert capsys.readouterr().out.strip() == "case 1: closed"
    view = run_json(capsys, "case", "show", "1", "--json")
    assert [h["action"] for h in view["history"]] == [
        "opened",
        "acknowledged",
        "responded",
        "responded",
        "closed",
    ]
    assert view["responses"][0]["url"] == "https://www.example.gov.cn/1.html"
    assert view["deadline_met"] is True
    assert main(["case", "dismiss", "1", "--reason", "x"]) == 2
    assert "is closed" in capsys.readouterr().err
