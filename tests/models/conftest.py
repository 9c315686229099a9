"""Fixtures for the classifier tests: the small hand-written corpus in ``data/`` and a model
trained on it once per session (training takes well under a second, segmentation dominates)."""

from __future__ import annotations

from pathlib import Path

import pytest

from yuqing.models.classifier import Classifier, train
from yuqing.models.corpus import Example, load_jsonl

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def train_examples() -> list[Example]:
    return load_jsonl(DATA / "train.jsonl")


@pytest.fixture(scope="session")
def heldout_examples() -> list[Example]:
    return load_jsonl(DATA / "heldout.jsonl")


@pytest.fixture(scope="session")
def classifier(train_examples: list[Example]) -> Classifier:
    return train(train_examples)
