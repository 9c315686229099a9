from __future__ import annotations

import errno
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from yuqing.models import registry
from yuqing.models.classifier import Classifier
from yuqing.models.errors import ModelError, ModelNotFound
from yuqing.models.promotion import (
    HISTORY_FILE,
    candidates,
    models_table,
    promote,
    read_history,
    rollback,
)

NOW = datetime(2025, 3, 1, 8, 0, 0, tzinfo=UTC)


@pytest.fixture
def versions(classifier: Classifier, tmp_path: Path) -> list[str]:
    """Three candidates an hour apart, none in use; the second carries evaluation metrics."""
    return [
        registry.save(
            classifier,
            tmp_path,
            now=NOW + timedelta(hours=hour),
            make_current=False,
            metrics={"macro_f1": 0.875} if hour == 1 else None,
        )
        for hour in range(3)
    ]


def history_lines(models_dir: Path) -> list[dict]:
    text = (models_dir / HISTORY_FILE).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def test_promote_makes_a_candidate_current_and_records_it(versions, tmp_path):
    first, second, _ = versions
    assert registry.current_version(tmp_path) is None  # saving a candidate changes nothing
    switch = promote(tmp_path, first, NOW + timedelta(days=1))
    assert (switch.version, switch.previous) == (first, None)
    promote(tmp_path, second, NOW + timedelta(days=2))
    assert registry.current_version(tmp_path) == second
    assert registry.load(tmp_path)[1] == second
    assert history_lines(tmp_path) == [
        {
            "action": "promote",
            "version": first,
            "previous": None,
            "at": "2025-03-02T08:00:00+00:00",
        },
        {
            "action": "promote",
            "version": second,
            "previous": first,
            "at": "2025-03-03T08:00:00+00:00",
        },
    ]
    # no temporary file is left beside it
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["CURRENT", HISTORY_FILE]


def test_promote_refuses_unknown_and_current_versions(versions, tmp_path):
    with pytest.raises(ModelNotFound, match="no model version 20990101-000000"):
        promote(tmp_path, "20990101-000000", NOW)
    with pytest.raises(ModelNotFound, match="not a model version name"):
        promote(tmp_path, "../elsewhere", NOW)
    assert not (tmp_path / HISTORY_FILE).exists()
    promote(tmp_path, versions[0], NOW)
    with pytest.raises(ModelError, match=f"{versions[0]} is already in use"):
        promote(tmp_path, versions[0], NOW)
    with pytest.raises(ModelError, match="timezone-aware"):
        promote(tmp_path, versions[1], datetime(2025, 3, 1))
    assert len(history_lines(tmp_path)) == 1


def test_rollback_twice_walks_back_through_promotions(versions, tmp_path):
    first, second, third = versions
    for day, version in enumerate(versions, 1):
        promote(tmp_path, version, NOW + timedelta(days=day))
    back = rollback(tmp_path, NOW + timedelta(days=4))
    assert (back.action, back.version, back.previous) == ("rollback", second, third)
    assert registry.current_version(tmp_path) == second
    rollback(tmp_path, NOW + timedelta(days=5))
    assert registry.current_version(tmp_path) == first
    with pytest.raises(ModelError, match=f"nothing to roll back to: {first} is the first"):
        rollback(tmp_path, NOW + timedelta(days=6))
    assert registry.current_version(tmp_path) == first
    assert [(h["action"], h["version"]) for h in history_lines(tmp_path)] == [
        ("promote", first),
        ("promote", second),
        ("promote", third),
        ("rollback", second),
        ("rollback", first),
    ]
    # a promotion after rollbacks: rolling back returns to the version it replaced
    promote(tmp_path, third, NOW + timedelta(days=7))
    rollback(tmp_path, NOW + timedelta(days=8))
    assert registry.current_version(tmp_path) == first


def test_rollback_returns_to_a_version_made_current_before_any_promotion(versions, tmp_path):
    first, second, _ = versions
    registry.set_current(tmp_path, first)  # e.g. the model `yuqing init` trains
    promote(tmp_path, second, NOW)
    assert rollback(tmp_path, NOW + timedelta(hours=1)).version == first
    assert registry.current_version(tmp_path) == first


def test_rollback_with_nothing_to_go_back_to(versions, tmp_path):
    first, second, third = versions
    with pytest.raises(ModelError, match="no model in use"):
        rollback(tmp_path, NOW)
    registry.set_current(tmp_path, first)
    with pytest.raises(ModelError, match=f"no promotion is recorded in {tmp_path / HISTORY_FILE}"):
        rollback(tmp_path, NOW)
    promote(tmp_path, second, NOW)
    registry.set_current(tmp_path, third)  # set behind the history's back
    with pytest.raises(ModelError, match=f"the model in use, {third}, was not put in use"):
        rollback(tmp_path, NOW)
    assert registry.current_version(tmp_path) == third


def test_a_damaged_history_is_named_by_file_and_line(versions, tmp_path):
    promote(tmp_path, versions[0], NOW)
    promote(tmp_path, versions[1], NOW + timedelta(hours=1))
    path = tmp_path / HISTORY_FILE
    good = path.read_text(encoding="utf-8").splitlines()
    cases = {
        '{"action": "promote", "version": ': "invalid JSON",
        "[1, 2]": "expected a JSON object",
        json.dumps({"action": "undo", "version": versions[0], "at": NOW.isoformat()}): "'action'",
        json.dumps({"action": "promote", "version": 7, "at": NOW.isoformat()}): "'version'",
        json.dumps({"action": "promote", "version": versions[0], "at": "yesterday"}): "'at'",
        json.dumps({"action": "promote", "version": versions[0], "at": "2025-03-01T08:00:00"}): (
            "UTC offset"
        ),
    }
    for damaged, problem in cases.items():
        path.write_text("\n".join([good[0], "", damaged, good[1]]) + "\n", encoding="utf-8")
        for action in (
            lambda: rollback(tmp_path, NOW),
            lambda: promote(tmp_path, versions[2], NOW),
            lambda: models_table(tmp_path),
        ):
            with pytest.raises(ModelError) as caught:
                action()
            assert str(caught.value).startswith(f"{path} line 3: ")
            assert problem in str(caught.value)
    assert registry.current_version(tmp_path) == versions[1]  # nothing was switched


def test_a_missing_history_is_an_empty_one(versions, tmp_path):
    assert read_history(tmp_path) == []
    assert read_history(tmp_path / "not-there") == []
    assert models_table(tmp_path / "not-there") == []


def test_models_table_shows_use_candidates_and_metrics(classifier, versions, tmp_path):
    first, second, third = versions
    promote(tmp_path, second, NOW + timedelta(days=1))
    rows = {row.version: row for row in models_table(tmp_path)}
    assert list(rows) == versions
    assert [rows[v].in_use for v in versions] == [False, True, False]
    # the older version was never used but is older than the one in use: not a candidate
    assert [rows[v].candidate for v in versions] == [False, False, True]
    assert candidates(tmp_path) == [third]
    assert rows[second].macro_f1 == 0.875
    assert rows[first].macro_f1 is None
    assert rows[second].created == NOW + timedelta(hours=1)
    assert rows[second].corpus_size == classifier.corpus_size_
    assert rows[second].labels == classifier.labels_
    assert rows[second].last_in_use == NOW + timedelta(days=1)
    assert rows[third].last_in_use is None
    assert rows[second].as_dict()["created"] == "2025-03-01T09:00:00+00:00"

    promote(tmp_path, third, NOW + timedelta(days=2))
    rollback(tmp_path, NOW + timedelta(days=3))
    rows = {row.version: row for row in models_table(tmp_path)}
    assert [rows[v].in_use for v in versions] == [False, True, False]
    assert rows[third].candidate is False  # it has been in use
    assert rows[second].last_in_use == NOW + timedelta(days=3)
    assert candidates(tmp_path) == []

    (tmp_path / first / "meta.json").write_text("{broken", encoding="utf-8")
    row = models_table(tmp_path)[0]
    assert row.version == first and row.error.startswith("meta.json")
    assert (row.created, row.corpus_size, row.macro_f1) == (None, None, None)


def test_a_failed_history_write_undoes_the_switch(versions, tmp_path, monkeypatch):
    first, second, _ = versions
    promote(tmp_path, first, NOW)
    real_replace = os.replace

    def disk_full_for_history(source, target):
        # the operating system refusing the history file only (CURRENT is still written)
        if Path(target).name == HISTORY_FILE:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_replace(source, target)

    monkeypatch.setattr(os, "replace", disk_full_for_history)
    with pytest.raises(OSError, match="No space left"):
        promote(tmp_path, second, NOW + timedelta(hours=1))
    monkeypatch.undo()
    assert registry.current_version(tmp_path) == first
    assert [h["version"] for h in history_lines(tmp_path)] == [first]
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["CURRENT", HISTORY_FILE]
