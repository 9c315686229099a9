from __future__ import annotations

import json

from yuqing.models.classifier import Classifier
from yuqing.models.classify_io import classify_lines
from yuqing.triage.categories import EMERGENCY, RUMOUR, TEXT_LABELS


def test_plain_and_json_lines_in_order_with_errors_in_place(classifier: Classifier) -> None:
    lines = [
        "商场突发火灾，消防员正在扑救\n",
        "\n",  # blank: skipped
        json.dumps({"id": "p7", "text": "网传明天封城，紧急扩散，马上删"}, ensure_ascii=False),
        "{not json",
        json.dumps({"title": "no text"}),
        json.dumps({"text": 5}),
        "周末和家人去公园野餐，阳光很好",
    ]
    results = list(classify_lines(classifier, lines, batch_size=2))
    assert len(results) == 6
    fire, rumour, bad_json, no_text, not_str, park = results
    assert fire["labels"] == [EMERGENCY]
    assert list(fire["scores"]) == list(TEXT_LABELS)
    assert set(fire["reasons"]) == {EMERGENCY}
    assert rumour["id"] == "p7"
    assert RUMOUR in rumour["labels"]
    assert rumour["reasons"][RUMOUR][0].startswith("传闻口吻")
    assert bad_json == {"line": 4, "error": bad_json["error"]}
    assert bad_json["error"].startswith("line 4: invalid JSON")
    assert no_text == {"line": 5, "error": "line 5: field 'text' must be a non-empty string"}
    assert not_str == {"line": 6, "error": "line 6: field 'text' must be a non-empty string"}
    assert park == {"labels": [], "scores": park["scores"], "reasons": {}}
    # every result is JSON-ready, and matches predicting the texts directly
    json.dumps(results, ensure_ascii=False)
    direct = classifier.predict(["商场突发火灾，消防员正在扑救", "周末和家人去公园野餐，阳光很好"])
    assert fire["scores"] == direct[0].scores
    assert park["scores"] == direct[1].scores


def test_batches_do_not_change_results(classifier: Classifier) -> None:
    lines = [f"第{i}条：小区停水{i}天没人管" if i % 3 else "{" for i in range(1, 12)]
    one_batch = list(classify_lines(classifier, lines))
    small = list(classify_lines(classifier, lines, batch_size=1))
    assert one_batch == small
    assert [r["line"] for r in one_batch if "error" in r] == [3, 6, 9]


def test_nothing_in_nothing_out(classifier: Classifier) -> None:
    assert list(classify_lines(classifier, ["", "  \n"])) == []
