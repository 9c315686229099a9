import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from yuqing.crawlers.sources import SourceSpec
from yuqing.models.corpus import load_csv, load_jsonl, parse_label_map
from yuqing.models.errors import CorpusError
from yuqing.storage.errors import InvalidLabels, NotFound
from yuqing.storage.labels import (
    add_labels,
    current_labels,
    export_rows,
    history,
    import_file,
    import_rows,
    read_rows,
    remove_labels,
    set_labels,
    training_examples,
    write_csv,
    write_jsonl,
)
from yuqing.storage.posts import NewPost, store_posts
from yuqing.storage.schema import AnalystLabel, Post
from yuqing.storage.sources import add_source
from yuqing.triage.categories import (
    EMERGENCY,
    NONE,
    PUBLIC_INTEREST,
    RUMOUR,
    SUPERIOR_REQUEST,
    UnknownLabelError,
)

NOW = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)


def new_post(n: int, text: str | None = None, title: str = "") -> NewPost:
    return NewPost(
        canonical_url=f"http://127.0.0.1/p/{n}",
        guid=None,
        title=title,
        text=text or f"正文{n}",
        original_text=text or f"正文{n}",
        author=None,
        published_at=NOW,
        content_hash=f"{n:064d}",
    )


@pytest.fixture
def post_ids(sessions) -> list[int]:
    with sessions.begin() as s:
        src = add_source(s, SourceSpec(name="s", url="http://127.0.0.1/s.rss"), NOW)
        store_posts(
            s,
            src.id,
            [
                new_post(1, "小区停水三天没人管", title="停水"),
                new_post(2, '=HYPERLINK("http://127.0.0.1/x")网传明天封城'),
                new_post(3, "商场起火，多人受伤"),
            ],
            NOW,
        )
        return list(s.scalars(select(Post.id).order_by(Post.id)))


def test_add_and_remove_labels_keep_every_step_in_the_log(sessions, post_ids):
    first = post_ids[0]
    with sessions.begin() as s:
        change = add_labels(s, first, [PUBLIC_INTEREST, RUMOUR], "王分析", NOW, note="核实")
        assert (change.added, change.removed) == ((PUBLIC_INTEREST, RUMOUR), ())
    with sessions.begin() as s:
        change = remove_labels(s, first, [RUMOUR], "李分析", LATER)
        assert (change.added, change.removed, change.labels) == ((), (RUMOUR,), (PUBLIC_INTEREST,))
    with sessions.begin() as s:
        # removing a label the post does not have, adding one it has: nothing to write
        assert not remove_labels(s, first, [EMERGENCY], "李分析", LATER).changed
        assert not add_labels(s, first, [PUBLIC_INTEREST], "李分析", LATER).changed
    with sessions() as s:
        assert current_labels(s) == {first: frozenset({PUBLIC_INTEREST})}
        rows = history(s, first)
        assert [(r.label, r.action, r.analyst, r.note) for r in rows] == [
            (PUBLIC_INTEREST, "add", "王分析", "核实"),
            (RUMOUR, "add", "王分析", "核实"),
            (RUMOUR, "remove", "李分析", None),
        ]
        assert rows[-1].at == LATER and rows[-1].at.tzinfo is not None
        # the labels as they stood before the removal
        assert current_labels(s, as_of=NOW) == {first: frozenset({PUBLIC_INTEREST, RUMOUR})}
        assert current_labels(s, as_of=NOW - timedelta(seconds=1)) == {}


def test_none_and_categories_exclude_each_other(sessions, post_ids):
    post = post_ids[0]
    with sessions.begin() as s:
        add_labels(s, post, [EMERGENCY, RUMOUR], "a", NOW)
        change = add_labels(s, post, [NONE], "b", LATER)
        assert change.removed == (EMERGENCY, RUMOUR)
        assert change.labels == (NONE,)
        change = add_labels(s, post, [EMERGENCY], "c", LATER)
        assert (change.added, change.removed, change.labels) == (
            (EMERGENCY,),
            (NONE,),
            (EMERGENCY,),
        )
        with pytest.raises(InvalidLabels, match=r"'none'.*cannot go with other labels"):
            add_labels(s, post, [NONE, RUMOUR], "c", LATER)
        actions = s.execute(
            select(AnalystLabel.label, AnalystLabel.action)
            .where(AnalystLabel.post_id == post)
            .order_by(AnalystLabel.id)
        ).all()
    # the implied removals are rows of their own, written before the addition
    assert [tuple(a) for a in actions] == [
        (EMERGENCY, "add"),
        (RUMOUR, "add"),
        (EMERGENCY, "remove"),
        (RUMOUR, "remove"),
        (NONE, "add"),
        (NONE, "remove"),
        (EMERGENCY, "add"),
    ]


def test_bad_requests_are_refused_with_the_reason(sessions, post_ids):
    with sessions.begin() as s:
        with pytest.raises(NotFound, match="no post with id 999999"):
            add_labels(s, 999999, [RUMOUR], "a", NOW)
        with pytest.raises(NotFound, match="no post with id 999999"):
            remove_labels(s, 999999, [RUMOUR], "a", NOW)
        with pytest.raises(UnknownLabelError, match="unknown label 'fake'"):
            add_labels(s, post_ids[0], ["fake"], "a", NOW)
        with pytest.raises(InvalidLabels, match="no labels"):
            add_labels(s, post_ids[0], [], "a", NOW)
        with pytest.raises(InvalidLabels, match="no analyst"):
            add_labels(s, post_ids[0], [RUMOUR], " ", NOW)
        with pytest.raises(ValueError, match="naive datetime"):
            add_labels(s, post_ids[0], [RUMOUR], "a", datetime(2026, 12, 4))
    with sessions() as s:
        assert s.scalar(select(func.count(AnalystLabel.id))) == 0


def test_current_labels_for_given_posts_and_in_chunks(sessions, post_ids):
    with sessions.begin() as s:
        add_labels(s, post_ids[1], [RUMOUR], "a", NOW)
    with sessions() as s:
        asked = current_labels(s, [post_ids[0], post_ids[1], post_ids[1]])
        assert asked == {post_ids[0]: frozenset(), post_ids[1]: frozenset({RUMOUR})}
        many = current_labels(s, range(1, 1300))
        assert len(many) == 1299 and many[post_ids[1]] == frozenset({RUMOUR})


def test_set_labels_replaces_the_set(sessions, post_ids):
    with sessions.begin() as s:
        add_labels(s, post_ids[0], [EMERGENCY, RUMOUR], "a", NOW)
        change = set_labels(s, post_ids[0], [PUBLIC_INTEREST, RUMOUR], "b", LATER)
    assert (change.added, change.removed) == ((PUBLIC_INTEREST,), (EMERGENCY,))


def test_the_table_refuses_an_unknown_action(sessions, post_ids):
    with pytest.raises(IntegrityError), sessions.begin() as s:
        s.add(AnalystLabel(post_id=post_ids[0], label=RUMOUR, action="edit", analyst="a", at=NOW))
        s.flush()


def test_labels_go_with_their_post(sessions, post_ids):
    with sessions.begin() as s:
        add_labels(s, post_ids[0], [RUMOUR], "a", NOW)
    with sessions.begin() as s:
        s.execute(delete(Post).where(Post.id == post_ids[0]))
    with sessions() as s:
        assert s.scalar(select(func.count(AnalystLabel.id))) == 0


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_jsonl_skips_bad_rows_by_line_and_keeps_the_rest(sessions, post_ids, tmp_path):
    one, two, three = post_ids
    lines = [
        json.dumps({"post_id": one, "label": "fake"}),
        "",
        json.dumps({"url": "http://127.0.0.1/p/2?", "labels": ["real"]}),
        json.dumps({"post_id": 999999, "labels": ["fake"]}),
        json.dumps({"post_id": three, "labels": ["flood"]}),
        "{not json",
        json.dumps({"url": "http://127.0.0.1/nowhere", "labels": ["fake"]}),
        json.dumps({"post_id": three, "url": "http://127.0.0.1/p/1", "labels": ["fake"]}),
        json.dumps({"post_id": three, "labels": ["fake", "real"]}),
        json.dumps({"post_id": three, "labels": []}),
        json.dumps({"post_id": "三", "labels": ["fake"]}),
        json.dumps([one, "fake"]),
        json.dumps({"post_id": three, "labels": [EMERGENCY, "fake"], "text": "商场起火"}),
    ]
    path = write(tmp_path, "labels.jsonl", "\n".join(lines) + "\n")
    with sessions.begin() as s:
        report = import_file(
            s, path, "导入员", NOW, label_map=parse_label_map("fake=rumour,real=none")
        )
    assert (report.changed, report.unchanged) == (3, 0)
    reasons = {skip.line: skip.reason for skip in report.skipped}
    assert sorted(reasons) == [4, 5, 6, 7, 8, 9, 10, 11, 12]
    assert "no post with id 999999" in reasons[4]
    assert "unknown label 'flood'" in reasons[5] and "flood=<known label>" in reasons[5]
    assert "invalid JSON" in reasons[6]
    assert "no post with URL 'http://127.0.0.1/nowhere'" in reasons[7]
    assert f"post {three} has URL 'http://127.0.0.1/p/3'" in reasons[8]
    assert "'none' cannot go with other labels" in reasons[9]
    assert "no labels" in reasons[10]
    assert "whole number" in reasons[11]
    assert "JSON object" in reasons[12]
    assert report.format_skipped()[0] == f"{path} line 4: {reasons[4]}"
    with sessions() as s:
        assert current_labels(s) == {
            one: frozenset({RUMOUR}),
            two: frozenset({NONE}),  # found by its URL, canonicalized
            three: frozenset({EMERGENCY, RUMOUR}),
        }
        assert {r.analyst for r in history(s, one)} == {"导入员"}
        assert history(s, one)[0].note == f"imported from {path}"
    # the same file again changes nothing and writes nothing
    with sessions.begin() as s:
        before = s.scalar(select(func.count(AnalystLabel.id)))
        again = import_file(s, path, "导入员", LATER, label_map={"fake": RUMOUR, "real": NONE})
        assert (again.changed, again.unchanged) == (0, 3)
        assert s.scalar(select(func.count(AnalystLabel.id))) == before


def test_an_import_row_states_the_whole_label_set(sessions, post_ids):
    with sessions.begin() as s:
        add_labels(s, post_ids[0], [EMERGENCY, PUBLIC_INTEREST], "a", NOW)
        report = import_rows(s, [(1, {"post_id": post_ids[0], "labels": [RUMOUR]})], "b", LATER)
    assert report.changed == 1
    with sessions() as s:
        assert current_labels(s, [post_ids[0]])[post_ids[0]] == frozenset({RUMOUR})


def test_import_csv_with_several_labels_in_a_cell(sessions, post_ids, tmp_path):
    one, two, three = post_ids
    text = (
        "\ufeffpost_id,url,labels,text\n"
        f'{one},,"emergency; rumour",一\n'
        f",http://127.0.0.1/p/2,{SUPERIOR_REQUEST}|public_interest,二\n"
        f"{three},,nonsense,三\n"
        f'{three},,rumour,"多行\n文字",extra\n'
    )
    path = write(tmp_path, "labels.csv", text)
    with sessions.begin() as s:
        report = import_file(s, path, "a", NOW)
    assert report.changed == 2
    assert [(skip.line, skip.reason.split(";")[0]) for skip in report.skipped] == [
        (4, "unknown label 'nonsense'"),
        (6, "more values than columns"),
    ]
    with sessions() as s:
        assert current_labels(s) == {
            one: frozenset({EMERGENCY, RUMOUR}),
            two: frozenset({SUPERIOR_REQUEST, PUBLIC_INTEREST}),
        }


def test_unreadable_label_files_name_the_file(tmp_path):
    with pytest.raises(CorpusError, match="no such file"):
        read_rows(tmp_path / "missing.jsonl")
    with pytest.raises(CorpusError, match=r"expected a \.jsonl or \.csv"):
        read_rows(write(tmp_path, "labels.txt", "x"))
    with pytest.raises(CorpusError, match="not UTF-8"):
        bad = tmp_path / "gbk.jsonl"
        bad.write_bytes("标签".encode("gbk"))
        read_rows(bad)
    with pytest.raises(CorpusError, match=r"nolabel\.csv line 1: missing column 'label'"):
        read_rows(write(tmp_path, "nolabel.csv", "post_id,text\n1,x\n"))
    with pytest.raises(CorpusError, match="missing column 'post_id' \\(or 'url'\\)"):
        read_rows(write(tmp_path, "nopost.csv", "text,label\nx,rumour\n"))


def test_export_reads_back_through_import_and_the_corpus_loaders(sessions, post_ids, tmp_path):
    one, two, _ = post_ids
    with sessions.begin() as s:
        add_labels(s, two, [RUMOUR, EMERGENCY], "a", NOW)
        add_labels(s, one, [NONE], "a", NOW)
    with sessions() as s:
        rows = export_rows(s)
    assert [(r["post_id"], r["labels"]) for r in rows] == [
        (one, [NONE]),
        (two, [EMERGENCY, RUMOUR]),  # in the notice's order
    ]
    assert rows[0]["url"] == "http://127.0.0.1/p/1" and rows[0]["title"] == "停水"

    jsonl, table = io.StringIO(), io.StringIO(newline="")
    write_jsonl(rows, jsonl)
    write_csv(rows, table)
    assert "网传明天封城" in jsonl.getvalue()  # UTF-8 text, not \u escapes
    cells = list(csv.DictReader(io.StringIO(table.getvalue(), newline="")))
    # a cell that a spreadsheet would run as a formula is defused
    assert cells[1]["text"].startswith("'=HYPERLINK")
    assert cells[1]["labels"] == "emergency,rumour"

    for name, body in (("back.jsonl", jsonl.getvalue()), ("back.csv", table.getvalue())):
        path = write(tmp_path, name, body)
        with sessions.begin() as s:
            report = import_file(s, path, "a", LATER)
        assert (report.changed, report.unchanged, report.skipped) == (0, 2, [])
        loader = load_csv if name.endswith(".csv") else load_jsonl
        assert [e.labels for e in loader(path)] == [(NONE,), (EMERGENCY, RUMOUR)]


def test_training_examples_read_like_triage_and_follow_corrections(sessions, post_ids):
    one, _, three = post_ids
    with sessions.begin() as s:
        add_labels(s, one, [PUBLIC_INTEREST], "a", NOW)
        add_labels(s, three, [EMERGENCY, RUMOUR], "a", NOW)
        remove_labels(s, three, [RUMOUR], "a", LATER)
    with sessions() as s:
        examples = training_examples(s)
    assert [(e.id, e.text, e.labels) for e in examples] == [
        (f"post-{one}", "停水\n小区停水三天没人管", (PUBLIC_INTEREST,)),
        (f"post-{three}", "商场起火，多人受伤", (EMERGENCY,)),
    ]
