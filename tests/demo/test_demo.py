"""`make run` end to end: serve the bundled feeds on 127.0.0.1, ingest, triage, print the queue."""

import json

from yuqing.cli import main


def test_the_demo_ends_with_a_queue_of_cases_and_a_rerun_adds_nothing(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("YUQING_HOME", str(tmp_path))
    monkeypatch.delenv("YUQING_DATABASE_URL", raising=False)
    assert main(["demo"]) == 0
    first = capsys.readouterr().out
    assert "ingested 5 sources" in first and "0 failed" in first
    assert "1 already stored" in first  # the Hong Kong feed repeats a post from another feed
    assert (tmp_path / "yuqing.db").is_file()

    assert main(["queue", "--json"]) == 0
    cases = json.loads(capsys.readouterr().out)["cases"]
    assert len(cases) >= 10
    assert all(c["due_at"] and c["responsible_party"] for c in cases)
    # the tunnel collapse with 11 dead is 重大: a press conference within 24 hours
    grave = [c for c in cases if c["severity"] == "重大"]
    assert grave and grave[0]["response_form"] == "press_conference"
    assert cases[0]["severity"] == "重大"  # the gravest leads the queue
    # the GBK feed's rumour about the reservoir is caught and referred
    reservoir = [c for c in cases if "水库" in c["title"]]
    assert reservoir and reservoir[0]["referral"].startswith("阜平县公安局")
    assert "网络安全和信息化委员会办公室" in reservoir[0]["referral"]

    assert main(["demo"]) == 0
    again = capsys.readouterr().out
    assert "0 new posts" in again and "0 cases opened" in again

    assert main(["sources", "--json"]) == 0
    sources = json.loads(capsys.readouterr().out)
    assert len(sources) == 5
    assert all(s["last_error"] is None and s["posts"] > 0 for s in sources)
