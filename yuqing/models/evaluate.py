"""How well a classifier does on labelled examples: precision, recall and F1 per label.

``none`` is scored like a label: a post is predicted ``none`` when none of the labels the data
annotates is raised. Only labels that occur in the evaluation data are scored, so a rumour/none
file evaluates exactly rumour and none (a sudden incident raised on a post it calls "none" is
not its business), and macro-F1 is their mean.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from yuqing.models.classifier import Classifier
from yuqing.models.corpus import Example
from yuqing.models.errors import ModelError
from yuqing.triage.categories import ALL_LABELS, NONE


@dataclass(frozen=True)
class LabelScore:
    """One label's figures. A ratio with nothing to divide (no post predicted with the label,
    for precision) counts as 0.0."""

    precision: float
    recall: float
    f1: float
    support: int  # evaluation posts that carry the label


@dataclass(frozen=True)
class Report:
    """Per-label scores (in ALL_LABELS order) for the labels present in the evaluation data."""

    per_label: dict[str, LabelScore]
    macro_f1: float
    #: share of posts whose predicted label set is exactly the true one
    exact_match: float
    n_examples: int

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (``yuqing evaluate --json``, a model version's meta.json): the
        overall figures, then one key per label scored, named by its code, holding
        ``precision``, ``recall``, ``f1`` and ``support``. Label codes never clash with the
        overall keys."""
        return {
            "n_examples": self.n_examples,
            "macro_f1": self.macro_f1,
            "exact_match": self.exact_match,
            **{
                label: {
                    "precision": s.precision,
                    "recall": s.recall,
                    "f1": s.f1,
                    "support": s.support,
                }
                for label, s in self.per_label.items()
            },
        }

    def format_table(self) -> str:
        """A plain-text table for the terminal."""
        width = max(len("label"), *(len(label) for label in self.per_label))
        lines = [f"{'label':<{width}}  precision  recall      f1  support"]
        for label, s in self.per_label.items():
            figures = f"{s.precision:9.3f}  {s.recall:6.3f}  {s.f1:6.3f}  {s.support:7d}"
            lines.append(f"{label:<{width}}  {figures}")
        lines.append(
            f"macro-F1 {self.macro_f1:.3f} over {len(self.per_label)} labels; "
            f"exact match {self.exact_match:.3f}; {self.n_examples} posts"
        )
        return "\n".join(lines)


def evaluate(classifier: Classifier, examples: Sequence[Example]) -> Report:
    """Predict ``examples`` with ``classifier`` and score the predictions against their labels.

    Examples labelled only ``superior_request`` are left out, as in training.
    """
    usable = [example for example in examples if example.usable]
    if not usable:
        raise ModelError("no examples to evaluate (each needs a text label or 'none')")
    predictions = classifier.predict([example.text for example in usable])
    return score(
        [example.targets for example in usable], [prediction.labels for prediction in predictions]
    )


def score(truth: Sequence[Collection[str]], predicted: Sequence[Collection[str]]) -> Report:
    """Score predicted label sets against true ones; an empty set means ``none``."""
    if len(truth) != len(predicted):
        raise ModelError(f"{len(truth)} true label sets but {len(predicted)} predictions")
    if not truth:
        raise ModelError("nothing to score")
    # A file that annotates only some labels (rumour/none, say) says nothing about the others:
    # a post it calls "none" may well be a sudden incident. Predictions are read within the
    # labels the file annotates, so "none" means "none of these".
    annotated = {label for labels in truth for label in labels}
    if annotated:
        predicted = [frozenset(labels) & annotated for labels in predicted]
    true_sets = [_with_none(labels) for labels in truth]
    predicted_sets = [_with_none(labels) for labels in predicted]
    present = {label for labels in true_sets for label in labels}
    per_label = {}
    for label in (label for label in ALL_LABELS if label in present):
        pairs = [(label in t, label in p) for t, p in zip(true_sets, predicted_sets, strict=True)]
        hits = sum(t and p for t, p in pairs)
        support = sum(t for t, _ in pairs)
        raised = sum(p for _, p in pairs)
        precision = hits / raised if raised else 0.0
        recall = hits / support
        f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
        per_label[label] = LabelScore(precision, recall, f1, support)
    exact = sum(t == p for t, p in zip(true_sets, predicted_sets, strict=True)) / len(true_sets)
    return Report(
        per_label=per_label,
        macro_f1=sum(s.f1 for s in per_label.values()) / len(per_label),
        exact_match=exact,
        n_examples=len(true_sets),
    )


def _with_none(labels: Collection[str]) -> frozenset[str]:
    return frozenset(labels) or frozenset((NONE,))
