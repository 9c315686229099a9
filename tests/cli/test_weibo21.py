"""Evidence on real posts through the commands analysts use (issue 3): `yuqing train` on
Weibo21's train split, `yuqing evaluate` on its validation split, fake mapped to rumour. The data
stay in ``shared/`` (never copied into the project); the test skips where the folder is absent.
Deselect with ``-m "not weibo21"``."""

import json

import pytest

from tests.shared import shared_file
from yuqing.cli import main

pytestmark = pytest.mark.weibo21
LABEL_MAP = "fake=rumour,real=none"


def test_train_and_evaluate_on_weibo21(tmp_path, monkeypatch, capsys):
    train_file = shared_file("data", "weibo21", "train.jsonl")
    val_file = shared_file("data", "weibo21", "val.jsonl")
    monkeypatch.setenv("YUQING_HOME", str(tmp_path))
    argv = ["--data", str(train_file), "--label-map", LABEL_MAP, "--no-seed", "--name", "weibo"]
    assert main(["train", *argv]) == 0
    capsys.readouterr()
    argv = ["--data", str(val_file), "--label-map", LABEL_MAP, "--model", "weibo", "--json"]
    assert main(["evaluate", *argv]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["model"].endswith("-weibo") and report["n_examples"] == 1825
    assert set(report) >= {"macro_f1", "rumour", "none"}
    assert report["macro_f1"] >= 0.90, report
    assert (tmp_path / "reports" / f"pr-{report['model']}.png").is_file()
