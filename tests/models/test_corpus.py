from __future__ import annotations

import json
from pathlib import Path

import pytest

from yuqing.models.corpus import (
    Example,
    load_csv,
    load_file,
    load_jsonl,
    load_seed,
    parse_label_map,
)
from yuqing.models.errors import CorpusError
from yuqing.triage.categories import EMERGENCY, NONE, RUMOUR, SUPERIOR_REQUEST


def write_lines(path: Path, *rows: object) -> Path:
    lines = [row if isinstance(row, str) else json.dumps(row, ensure_ascii=False) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_load_jsonl_reads_every_field(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "posts.jsonl",
        {
            "id": "a1",
            "text": "山体滑坡，网传死亡百人",
            "labels": ["emergency", "rumour"],
            "style": "weibo",
            "region": "四川省",
            "department": "应急管理",
        },
        "",  # blank lines are skipped
        {"id": 7, "text": "今天天气很好", "labels": ["none"], "department": ""},
    )
    first, second = load_jsonl(path)
    assert first == Example(
        text="山体滑坡，网传死亡百人",
        labels=(EMERGENCY, RUMOUR),
        id="a1",
        style="weibo",
        region="四川省",
        department="应急管理",
    )
    assert second.labels == (NONE,)
    assert second.id == "7"
    assert second.department is None
    assert second.targets == frozenset()
    assert second.usable


def test_single_label_field_and_label_map(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "user.jsonl",
        {"text": "假消息：银行冻结存款", "label": "fake"},
        {"text": "银行正常营业", "label": "real"},
        {"text": "又一条假消息", "label": ["fake", "rumour"]},
    )
    examples = load_jsonl(path, label_map=parse_label_map("fake=rumour, real=none"))
    assert [e.labels for e in examples] == [(RUMOUR,), (NONE,), (RUMOUR,)]


@pytest.mark.parametrize(
    ("row", "line_text", "field", "message"),
    [
        ({"labels": ["none"]}, "line 2", "text", "missing field 'text'"),
        ({"text": "  ", "labels": ["none"]}, "line 2", "text", "non-empty string"),
        ({"text": 3, "labels": ["none"]}, "line 2", "text", "non-empty string"),
        ({"text": "x"}, "line 2", "labels", "missing field 'labels'"),
        ({"text": "x", "labels": []}, "line 2", "labels", "non-empty list"),
        ({"text": "x", "labels": "none"}, None, None, None),  # a string is accepted too
        ({"text": "x", "labels": ["fake"]}, "line 2", "labels", "unknown label 'fake'"),
        ({"text": "x", "labels": [1]}, "line 2", "labels", "not a string"),
        ({"text": "x", "labels": ["none", "rumour"]}, "line 2", "labels", "cannot be combined"),
        ({"text": "x", "label": "none", "labels": ["none"]}, "line 2", "labels", "both"),
        ({"text": "x", "labels": ["none"], "style": "tiktok"}, "line 2", "style", "'tiktok'"),
        ({"text": "x", "labels": ["none"], "region": 51}, "line 2", "region", "must be a string"),
        ({"text": "x", "labels": ["none"], "department": ""}, None, None, None),  # not given
        ({"text": "x", "labels": ["none"], "id": "ok-1"}, "line 2", "id", "duplicate id 'ok-1'"),
        ("[1, 2]", "line 2", None, "expected a JSON object"),
        ('{"text": "x", "labels": ["none"]', "line 2", None, "invalid JSON"),
    ],
)
def test_jsonl_errors_name_file_line_and_field(
    tmp_path: Path, row: object, line_text: str | None, field: str | None, message: str | None
) -> None:
    path = write_lines(
        tmp_path / "seed.jsonl", {"id": "ok-1", "text": "好", "labels": ["none"]}, row
    )
    if message is None:
        assert len(load_jsonl(path)) == 2
        return
    with pytest.raises(CorpusError) as caught:
        load_jsonl(path)
    error = caught.value
    assert str(error).startswith(f"{path} {line_text}: ")
    assert message in str(error)
    assert error.line == 2
    assert error.field == field
    assert error.source == str(path)


def test_the_documented_message_shape(tmp_path: Path) -> None:
    rows = [{"text": f"第{i}条", "labels": ["none"]} for i in range(11)] + [{"labels": ["none"]}]
    path = write_lines(tmp_path / "seed.jsonl", *rows)
    with pytest.raises(CorpusError, match=r"seed\.jsonl line 12: missing field 'text'$"):
        load_jsonl(path)


def test_unknown_label_suggests_a_label_map(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "u.jsonl", {"text": "x", "label": "fake"})
    with pytest.raises(CorpusError, match=r"fake=<known label>"):
        load_jsonl(path)


def test_file_level_errors(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="no such file"):
        load_jsonl(tmp_path / "missing.jsonl")
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes('{"text": "caf\xe9", "labels": ["none"]}\n'.encode("latin-1"))
    with pytest.raises(CorpusError, match="not UTF-8"):
        load_jsonl(latin)


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes('{"text": "好", "labels": ["none"]}\n'.encode("utf-8-sig"))
    assert load_jsonl(path)[0].text == "好"


def test_load_csv_with_several_labels_and_map(tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text(
        "id,text,labels,region\n"
        'c1,"网传水库溃坝，\n下游撤离","emergency, fake",湖北省\n'
        "c2,今天天气很好,real,\n",
        encoding="utf-8",
    )
    first, second = load_csv(path, label_map={"fake": "rumour", "real": "none"})
    assert first.text == "网传水库溃坝，\n下游撤离"
    assert first.labels == (EMERGENCY, RUMOUR)
    assert first.region == "湖北省"
    assert (second.id, second.labels, second.region) == ("c2", (NONE,), None)


def test_load_csv_errors(tmp_path: Path) -> None:
    no_text = tmp_path / "a.csv"
    no_text.write_text("body,label\nx,none\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"a\.csv line 1: missing column 'text'") as caught:
        load_csv(no_text)
    assert caught.value.field == "text"

    no_label = tmp_path / "b.csv"
    no_label.write_text("text\nx\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="missing column 'label'"):
        load_csv(no_label)

    bad = tmp_path / "c.csv"
    bad.write_text("text,label\n好,none\n坏,fake\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"c\.csv line 3: unknown label 'fake'") as caught:
        load_csv(bad)
    assert caught.value.field == "label"

    empty_label = tmp_path / "d.csv"
    empty_label.write_text("text,label\n好,\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"d\.csv line 2: missing field 'label'"):
        load_csv(empty_label)


def test_load_seed_reads_every_jsonl_file_in_name_order(tmp_path: Path) -> None:
    write_lines(tmp_path / "b.jsonl", {"id": "b1", "text": "火灾", "labels": ["emergency"]})
    write_lines(tmp_path / "a.jsonl", {"id": "a1", "text": "天气", "labels": ["none"]})
    (tmp_path / "notes.txt").write_text("not a corpus file", encoding="utf-8")
    assert [e.id for e in load_seed(tmp_path)] == ["a1", "b1"]


def test_load_seed_ids_are_unique_across_files(tmp_path: Path) -> None:
    write_lines(tmp_path / "a.jsonl", {"id": "x1", "text": "天气", "labels": ["none"]})
    write_lines(
        tmp_path / "b.jsonl",
        {"id": "b1", "text": "火灾", "labels": ["emergency"]},
        {"id": "x1", "text": "火灾", "labels": ["emergency"]},
    )
    with pytest.raises(CorpusError, match=r"seed/b\.jsonl line 2: duplicate id 'x1' "):
        load_seed(tmp_path)


def test_load_seed_errors_name_the_seed_file(tmp_path: Path) -> None:
    write_lines(tmp_path / "policy.jsonl", {"id": "p1", "labels": ["none"]})
    with pytest.raises(CorpusError, match=r"^seed/policy\.jsonl line 1: missing field 'text'"):
        load_seed(tmp_path)


def test_load_seed_without_files(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match=r"no \*\.jsonl files"):
        load_seed(tmp_path)


def test_parse_label_map() -> None:
    assert parse_label_map("fake=rumour,real=none") == {"fake": "rumour", "real": "none"}
    assert parse_label_map(" fake = rumour ") == {"fake": "rumour"}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "empty item"),
        ("fake=rumour,", "empty item"),
        ("fake", "'fake' is not old=new"),
        ("=rumour", "is not old=new"),
        ("fake=", "is not old=new"),
        ("fake=gossip", "fake=gossip: unknown label 'gossip'"),
        ("fake=rumour,fake=none", "'fake' is mapped to both 'rumour' and 'none'"),
    ],
)
def test_parse_label_map_errors(spec: str, message: str) -> None:
    with pytest.raises(CorpusError, match=r"^label map: ") as caught:
        parse_label_map(spec)
    assert message in str(caught.value)


def test_label_map_given_as_dict_is_checked(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "u.jsonl", {"text": "x", "label": "fake"})
    with pytest.raises(CorpusError, match="unknown label 'gossip'"):
        load_jsonl(path, label_map={"fake": "gossip"})


def test_superior_request_is_a_label_but_not_a_text_target() -> None:
    only_five = Example(text="上级要求回应", labels=(SUPERIOR_REQUEST,))
    both = Example(text="上级要求回应火灾", labels=(SUPERIOR_REQUEST, EMERGENCY))
    assert only_five.targets == frozenset() and not only_five.usable
    assert both.targets == {EMERGENCY} and both.usable


def test_load_file_picks_the_reader_by_extension(tmp_path: Path) -> None:
    jsonl = write_lines(tmp_path / "a.JSONL", {"text": "网传封城", "label": "fake"})
    csv_file = tmp_path / "b.csv"
    csv_file.write_text("text,label\n网传封城,fake\n", encoding="utf-8")
    for path in (jsonl, csv_file):
        assert load_file(path, {"fake": RUMOUR}) == [Example(text="网传封城", labels=(RUMOUR,))]
    with pytest.raises(CorpusError, match=r"c\.txt: unknown file type"):
        load_file(tmp_path / "c.txt")
