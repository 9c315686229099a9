"""The analyst loop through the `yuqing` command: label, export and import labels, train a
candidate, compare it with the model in use, promote it, re-triage, roll back, classify."""

import io
import json

import pytest

from yuqing.cli import main

FEED = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>县政府网</title>
<item><title>县城南街路口新装了红绿灯</title><link>http://127.0.0.1/n/1</link>
<description>南街与建设路交叉口的红绿灯今天启用，附近居民说过马路方便多了。</description></item>
<item><title>化工园区发生爆炸 已致12人遇难</title><link>http://127.0.0.1/n/2</link>
<description>记者从县应急管理局获悉，园区一企业车间发生爆炸，已致12人遇难、20余人受伤。</description>
</item></channel></rss>""".encode()


@pytest.fixture
def home(tmp_path, monkeypatch, http_server, capsys):
    monkeypatch.setenv("YUQING_HOME", str(tmp_path))
    monkeypatch.delenv("YUQING_DATABASE_URL", raising=False)
    http_server.add("/county.rss", FEED, headers={"Content-Type": "application/rss+xml"})
    assert main(["init"]) == 0
    assert main(["sources", "add", "--name", "县政府网", "--url", http_server.url("/county.rss"),
                 "--region", "阜平县", "--level", "county"]) == 0  # fmt: skip
    assert main(["ingest"]) == 0
    assert main(["triage"]) == 0
    capsys.readouterr()
    return tmp_path


def run_json(capsys, *argv):
    assert main(list(argv)) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def classify(capsys, monkeypatch, *lines, model=None):
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    status = main(["classify", *(["--model", model] if model else [])])
    return status, [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_a_correction_reaches_the_next_model_and_promotion_switches_triage(
    home, capsys, monkeypatch
):
    traffic_light = (
        "县城南街路口新装了红绿灯\n南街与建设路交叉口的红绿灯今天启用，附近居民说过马路方便多了。"
    )
    _, [before] = classify(capsys, monkeypatch, json.dumps({"text": traffic_light}))

    # an analyst says the post is a rumour (say it was staged); the label is recorded and exported
    assert main(["label", "1", "rumour", "--note", "摆拍", "--analyst", "王分析员"]) == 0
    assert "post 1: rumour" in capsys.readouterr().out
    exported = [json.loads(line) for line in _export(capsys).splitlines()]
    assert [(row["post_id"], row["labels"]) for row in exported] == [(1, ["rumour"])]

    # the next model is a candidate, compared with the model in use on held-out posts
    assert main(["train", "--name", "fix"]) == 0
    assert "candidate" in capsys.readouterr().out
    models = run_json(capsys, "model", "list", "--json")
    assert [m["candidate"] for m in models] == [False, True]
    report = run_json(capsys, "evaluate", "--json")
    assert report["model"].endswith("-fix") and "compared_with" in report
    assert 0 < report["macro_f1"] <= 1 and "emergency" in report
    assert (home / "reports").is_dir() and any((home / "reports").glob("pr-*.png"))

    # the correction changed the new model's output on that post
    _, [after] = classify(capsys, monkeypatch, json.dumps({"text": traffic_light}), model="fix")
    assert after["scores"]["rumour"] > before["scores"]["rumour"]

    # promotion switches what triage uses; re-triage keeps the earlier classifications
    assert main(["model", "promote", "fix"]) == 0
    assert main(["triage", "--since", "7d"]) == 0
    assert "triaged 2 posts" in capsys.readouterr().out
    assert main(["model", "rollback"]) == 0
    assert "is in use again" in capsys.readouterr().out
    models = run_json(capsys, "model", "list", "--json")
    assert [m["in_use"] for m in models] == [True, False]


def _export(capsys):
    assert main(["labels", "export"]) == 0
    return capsys.readouterr().out


def test_labels_import_with_a_label_map_and_bad_rows(home, tmp_path, capsys):
    corrections = tmp_path / "corrections.csv"
    corrections.write_text("post_id,label\n1,fake\n2,real\n99,fake\n1,nonsense\n", "utf-8")
    assert main(["labels", "import", str(corrections), "--label-map", "fake=rumour,real=none"]) == 0
    captured = capsys.readouterr()
    assert "2 posts relabelled" in captured.out and "2 rows skipped" in captured.out
    assert "line 4" in captured.err and "line 5" in captured.err
    exported = {
        row["post_id"]: row["labels"] for row in map(json.loads, _export(capsys).splitlines())
    }
    assert exported == {1: ["rumour"], 2: ["none"]}


def test_classify_prints_one_object_a_line_and_names_bad_lines(home, capsys, monkeypatch):
    status, results = classify(
        capsys, monkeypatch, "网传明天起全市停水三天，紧急扩散！不转不是中国人", "{not json"
    )
    assert status == 1
    good, bad = results
    assert set(good) >= {"labels", "scores", "reasons"} and "rumour" in good["scores"]
    assert "rumour" in good["labels"] and good["reasons"]["rumour"]
    assert "line 2" in bad["error"]


def test_mistakes_in_the_loop_are_one_line(home, capsys):
    assert main(["label", "999", "rumour"]) == 1
    assert "999" in capsys.readouterr().err
    assert main(["label", "1", "gossip"]) == 1
    assert "unknown label 'gossip'" in capsys.readouterr().err
    assert main(["model", "promote", "nope"]) == 1
    assert "no model version or name 'nope'" in capsys.readouterr().err
    assert main(["model", "rollback"]) == 1
    assert capsys.readouterr().err.count("\n") == 1


def test_a_sitemap_source_added_and_crawled_from_the_command_line(
    tmp_path, monkeypatch, http_server, capsys
):
    from tests.crawlers.test_crawl import serve_site

    monkeypatch.setenv("YUQING_HOME", str(tmp_path))
    monkeypatch.delenv("YUQING_DATABASE_URL", raising=False)
    sitemap = serve_site(http_server)
    assert main(["db", "upgrade"]) == 0
    assert main(["sources", "add", "--name", "临江市政府网站", "--url", sitemap,
                 "--kind", "sitemap"]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["crawl", "临江市政府网站", "--timeout", "120"]) == 0
    first = capsys.readouterr().out
    assert "临江市政府网站: ok" in first and "8 new" in first
    assert main(["crawl", "--timeout", "120"]) == 0  # every due non-feed source: that one
    assert "0 new, 8 already stored" in capsys.readouterr().out
    assert main(["crawl", "nope"]) == 1
    assert "unknown source 'nope'" in capsys.readouterr().err
