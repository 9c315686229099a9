from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
import sklearn
import skops.io
from sklearn.linear_model import Ridge

from yuqing.models import registry
from yuqing.models.classifier import Classifier, train
from yuqing.models.corpus import Example
from yuqing.models.errors import ModelError, ModelNotFound, UntrustedModel
from yuqing.triage.categories import NONE, RUMOUR, TEXT_LABELS

NOW = datetime(2025, 3, 1, 8, 0, 0, tzinfo=UTC)
TEXTS = [
    "网传明天全市封城，紧急扩散",
    "小区停水三天没人管，物业推诿",
    "商场突发火灾，消防员正在扑救",
    "今天天气很好",
]


class Smuggled:
    """A type no model of ours contains."""


def test_save_then_load_gives_identical_predictions(classifier: Classifier, tmp_path: Path) -> None:
    version = registry.save(classifier, tmp_path, now=NOW)
    assert version == "20250301-080000"
    loaded, loaded_version = registry.load(tmp_path)
    assert loaded_version == version
    assert isinstance(loaded, Classifier)
    np.testing.assert_array_equal(loaded.scores(TEXTS), classifier.scores(TEXTS))
    assert loaded.predict(TEXTS) == classifier.predict(TEXTS)
    assert loaded.thresholds_ == classifier.thresholds_
    assert loaded.labels_ == classifier.labels_


def test_meta_json_describes_the_version(classifier: Classifier, tmp_path: Path) -> None:
    shanghai = timezone(timedelta(hours=8))
    metrics = {"macro_f1": 0.9}
    version = registry.save(
        classifier,
        tmp_path,
        now=datetime(2025, 3, 1, 16, 30, 5, tzinfo=shanghai),
        name="seed-v1",
        metrics=metrics,
    )
    assert version == "20250301-083005-seed-v1"  # named in UTC
    meta = json.loads((tmp_path / version / "meta.json").read_text(encoding="utf-8"))
    assert meta["version"] == version
    assert meta["created_at"] == "2025-03-01T08:30:05+00:00"
    assert meta["labels"] == list(TEXT_LABELS)
    assert meta["absent_labels"] == []
    assert meta["thresholds"] == classifier.thresholds_
    assert meta["threshold_selection"] == json.loads(json.dumps(classifier.threshold_report_))
    assert {r["threshold"] for r in meta["threshold_selection"].values()} == set(
        classifier.thresholds_.values()
    )
    assert meta["corpus_size"] == classifier.corpus_size_ == 101
    assert meta["corpus_sha256"] == classifier.corpus_sha256_
    assert meta["sklearn_version"] == sklearn.__version__
    assert meta["metrics"] == metrics
    assert (tmp_path / version / "model.skops").stat().st_size > 0


def test_current_switching(classifier: Classifier, train_examples: list[Example], tmp_path: Path):
    assert registry.current_version(tmp_path) is None
    assert registry.list_versions(tmp_path) == []
    with pytest.raises(ModelNotFound, match="no model in use"):
        registry.load(tmp_path)

    binary = train([e for e in train_examples if e.labels in ((RUMOUR,), (NONE,))])
    first = registry.save(classifier, tmp_path, now=NOW)
    second = registry.save(binary, tmp_path, now=NOW + timedelta(hours=1), name="rumour")
    assert registry.current_version(tmp_path) == second  # a save becomes current
    assert registry.load(tmp_path)[0].labels_ == (RUMOUR,)

    registry.set_current(tmp_path, first)
    assert (tmp_path / "CURRENT").read_text(encoding="utf-8").strip() == first
    model, version = registry.load(tmp_path)
    assert (version, model.labels_) == (first, tuple(TEXT_LABELS))
    # an explicit version loads whatever is current
    assert registry.load(tmp_path, second)[0].labels_ == (RUMOUR,)

    third = registry.save(classifier, tmp_path, now=NOW + timedelta(hours=2), make_current=False)
    assert registry.current_version(tmp_path) == first
    listed = registry.list_versions(tmp_path)
    assert [v["version"] for v in listed] == [first, second, third]
    assert [v["current"] for v in listed] == [True, False, False]
    assert listed[1]["absent_labels"] == [x for x in TEXT_LABELS if x != RUMOUR]


def test_unknown_versions(classifier: Classifier, tmp_path: Path) -> None:
    registry.save(classifier, tmp_path, now=NOW)
    with pytest.raises(ModelNotFound, match="no model version 20990101-000000"):
        registry.set_current(tmp_path, "20990101-000000")
    with pytest.raises(ModelNotFound, match=r"20990101-000000 has no model\.skops"):
        registry.load(tmp_path, "20990101-000000")
    for bad in ("../20250301-080000", "latest", "20250301-080000/../x"):
        with pytest.raises(ModelNotFound, match="not a model version name"):
            registry.load(tmp_path, bad)
    (tmp_path / "CURRENT").write_text("../../etc/passwd\n", encoding="utf-8")
    with pytest.raises(ModelError, match="CURRENT: not a model version"):
        registry.load(tmp_path)


def test_bad_save_arguments(classifier: Classifier, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="timezone-aware"):
        registry.save(classifier, tmp_path, now=datetime(2025, 3, 1, 8, 0))
    for name in ("../up", "has space", "", "-dash-first", "x" * 41):
        with pytest.raises(ModelError, match="model name"):
            registry.save(classifier, tmp_path, now=NOW, name=name)
    registry.save(classifier, tmp_path, now=NOW)
    with pytest.raises(ModelError, match="already exists"):
        registry.save(classifier, tmp_path, now=NOW)
    with pytest.raises(ModelError, match="not been trained"):
        registry.save(Classifier(), tmp_path, now=NOW + timedelta(seconds=1))


def _plant(models_dir: Path, version: str, obj: object) -> Path:
    """Write ``obj`` as if it were a saved version, bypassing registry.save."""
    folder = models_dir / version
    folder.mkdir(parents=True)
    skops.io.dump(obj, folder / "model.skops")
    (folder / "meta.json").write_text(json.dumps({"version": version}), encoding="utf-8")
    return folder / "model.skops"


def test_a_file_with_an_untrusted_type_is_refused(classifier: Classifier, tmp_path: Path) -> None:
    tampered = copy.copy(classifier)
    tampered.extra_ = Smuggled()
    path = _plant(tmp_path, "20250101-000000", tampered)
    registry.set_current(tmp_path, "20250101-000000")
    with pytest.raises(UntrustedModel) as caught:
        registry.load(tmp_path)
    assert caught.value.types == (f"{__name__}.Smuggled",)
    assert str(path) in str(caught.value)


def test_a_default_trusted_sklearn_type_outside_our_list_is_refused(
    classifier: Classifier, tmp_path: Path
) -> None:
    tampered = copy.copy(classifier)
    tampered.extra_ = Ridge()
    path = _plant(tmp_path, "20250101-000000", tampered)
    # skops alone would build this file: it trusts every scikit-learn estimator by default
    assert isinstance(skops.io.load(path, trusted=list(registry.TRUSTED_TYPES)), Classifier)
    with pytest.raises(UntrustedModel) as caught:
        registry.load(tmp_path, "20250101-000000")
    assert caught.value.types == ("sklearn.linear_model._ridge.Ridge",)


def test_a_file_holding_something_else_than_a_classifier(
    classifier: Classifier, tmp_path: Path
) -> None:
    _plant(tmp_path, "20250101-000000", classifier.features_)
    with pytest.raises(ModelError, match="holds a FeatureUnion, not a Classifier"):
        registry.load(tmp_path, "20250101-000000")


def test_a_damaged_file(tmp_path: Path) -> None:
    folder = tmp_path / "20250101-000000"
    folder.mkdir()
    (folder / "model.skops").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ModelError, match="not a readable skops file"):
        registry.load(tmp_path, "20250101-000000")


def test_trusted_types_are_exactly_what_saved_models_hold(
    classifier: Classifier, train_examples: list[Example], tmp_path: Path
) -> None:
    binary = train([e for e in train_examples if e.labels in ((RUMOUR,), (NONE,))])
    seen: set[str] = set()
    for hour, model in enumerate((classifier, binary)):
        version = registry.save(model, tmp_path, now=NOW + timedelta(hours=hour))
        seen |= set(registry._types_in(tmp_path / version / "model.skops"))
    # nothing missing (models load), nothing granted that no model needs
    assert seen == set(registry.TRUSTED_TYPES)


def test_a_failed_save_leaves_nothing_behind(classifier: Classifier, tmp_path: Path) -> None:
    first = registry.save(classifier, tmp_path, now=NOW)
    broken = copy.copy(classifier)
    broken.extra_ = (n for n in range(3))  # skops cannot write a generator
    with pytest.raises(TypeError):
        registry.save(broken, tmp_path, now=NOW + timedelta(hours=1))
    assert sorted(p.name for p in tmp_path.iterdir()) == [first, "CURRENT"]
    assert registry.current_version(tmp_path) == first


def test_list_versions_reports_a_broken_meta_file(classifier: Classifier, tmp_path: Path) -> None:
    version = registry.save(classifier, tmp_path, now=NOW)
    (tmp_path / version / "meta.json").write_text("{not json", encoding="utf-8")
    (tmp_path / ".tmp-leftover").mkdir()  # a crashed save's staging directory is not a version
    (listed,) = registry.list_versions(tmp_path)
    assert listed["version"] == version
    assert listed["current"] is True
    assert listed["error"].startswith("meta.json: ")
