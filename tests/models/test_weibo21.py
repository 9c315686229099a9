"""Evidence on real posts: trained on Weibo21's train split through the project's own training
path, the model must reach macro-F1 >= 0.90 on its validation split (issue 3). The data stay in
``shared/`` (never copied); the test skips where that folder is absent. About 15 s: deselect it
with ``-m "not weibo21"``."""

from __future__ import annotations

import pytest

from tests.shared import shared_file
from yuqing.models.classifier import train
from yuqing.models.corpus import load_jsonl
from yuqing.models.evaluate import evaluate
from yuqing.triage.categories import NONE, RUMOUR

pytestmark = pytest.mark.weibo21

LABEL_MAP = {"fake": RUMOUR, "real": NONE}


def test_weibo21_macro_f1() -> None:
    train_file = shared_file("data", "weibo21", "train.jsonl")
    val_file = shared_file("data", "weibo21", "val.jsonl")
    model = train(load_jsonl(train_file, LABEL_MAP))
    assert model.labels_ == (RUMOUR,)
    report = evaluate(model, load_jsonl(val_file, LABEL_MAP))
    assert list(report.per_label) == [RUMOUR, NONE]
    assert report.n_examples == 1825
    assert report.macro_f1 >= 0.90, report.format_table()
    # the threshold was chosen on held-out training posts, for the target precision
    chosen = model.threshold_report_[RUMOUR]
    assert chosen["basis"] == "target_precision"
    assert chosen["heldout_precision"] >= chosen["target_precision"]
