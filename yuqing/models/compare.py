"""Comparing models on the same held-out posts: per-label figures, a confusion table, and
precision–recall curves drawn to a PNG (``yuqing evaluate``).

A post's true labels are its text labels (none when it has none); a model's predicted labels
are the ones it raises at its own thresholds, so the figures are what triage would do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from yuqing.models.classifier import Classifier
from yuqing.models.corpus import Example
from yuqing.models.evaluate import Report, score
from yuqing.triage.categories import TEXT_LABELS


@dataclass(frozen=True)
class Confusion:
    """One label's confusion counts: true/false positives and negatives."""

    tp: int
    fp: int
    fn: int
    tn: int


@dataclass(frozen=True)
class Assessment:
    version: str
    report: Report
    confusion: dict[str, Confusion]
    #: scores, one row per post, one column per TEXT_LABELS
    scores: np.ndarray
    thresholds: dict[str, float]


def assess(classifier: Classifier, version: str, examples: Sequence[Example]) -> Assessment:
    texts = [e.text for e in examples]
    predictions = classifier.predict(texts)
    truth = [e.targets for e in examples]
    raised = [frozenset(p.labels) for p in predictions]
    confusion = {}
    for label in TEXT_LABELS:
        actual = np.array([label in t for t in truth])
        guessed = np.array([label in r for r in raised])
        if actual.any() or guessed.any():
            confusion[label] = Confusion(
                tp=int((actual & guessed).sum()),
                fp=int((~actual & guessed).sum()),
                fn=int((actual & ~guessed).sum()),
                tn=int((~actual & ~guessed).sum()),
            )
    scores = np.array([[p.scores[label] for label in TEXT_LABELS] for p in predictions])
    return Assessment(
        version, score(truth, raised), confusion, scores, dict(classifier.thresholds_)
    )


def format_comparison(primary: Assessment, baseline: Assessment | None) -> str:
    """Figures side by side, then the confusion counts of each model."""
    models = [primary, *([baseline] if baseline else [])]
    labels = list(primary.report.per_label)
    head = f"{'label':<18}" + "".join(f"{'P':>7}{'R':>7}{'F1':>7}   " for _ in models)
    names = " " * 18 + "".join(f"{m.version[:22]:<24}" for m in models)
    lines = [names, head]
    for label in labels:
        row = f"{label:<18}"
        for m in models:
            s = m.report.per_label.get(label)
            row += f"{s.precision:7.3f}{s.recall:7.3f}{s.f1:7.3f}   " if s else f"{'-':>21}   "
        lines.append(row)
    lines.append(
        f"{'macro-F1':<18}" + "".join(f"{'':14}{m.report.macro_f1:7.3f}   " for m in models)
    )
    lines.append("")
    lines.append("confusion (TP FP FN TN)")
    for label in sorted({k for m in models for k in m.confusion}, key=TEXT_LABELS.index):
        row = f"{label:<18}"
        for m in models:
            c = m.confusion.get(label)
            row += f"{c.tp:6d}{c.fp:6d}{c.fn:6d}{c.tn:6d}  " if c else f"{'-':>24}  "
        lines.append(row)
    return "\n".join(lines)


def plot_pr_curves(models: Sequence[Assessment], examples: Sequence[Example], path: Path) -> Path:
    """One panel per label present in the examples: each model's precision–recall curve, with
    the point where its threshold puts it."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on servers
    import matplotlib.pyplot as plt
    from sklearn.metrics import precision_recall_curve

    truth = [e.targets for e in examples]
    labels = [label for label in TEXT_LABELS if any(label in t for t in truth)]
    if not labels:
        raise ValueError("no text label in the evaluation posts: nothing to draw")
    columns = min(3, len(labels))
    rows = -(-len(labels) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.6 * rows), squeeze=False)
    for ax, label in zip(axes.flat, labels, strict=False):
        actual = np.array([label in t for t in truth])
        column = TEXT_LABELS.index(label)
        for model in models:
            precision, recall, _ = precision_recall_curve(actual, model.scores[:, column])
            (line,) = ax.plot(recall, precision, label=model.version, linewidth=1.4)
            chosen = model.scores[:, column] >= model.thresholds[label]
            if chosen.any():
                p = (actual & chosen).sum() / chosen.sum()
                r = (actual & chosen).sum() / max(actual.sum(), 1)
                ax.plot([r], [p], "o", color=line.get_color())
        ax.set_title(f"{label} ({int(actual.sum())} posts)")
        ax.set_xlabel("recall")
        ax.set_ylabel("precision")
        ax.set_xlim(0, 1.01)
        ax.set_ylim(0, 1.01)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(labels) :]:
        ax.axis("off")
    axes.flat[0].legend(loc="lower left", fontsize=8)
    figure.suptitle("precision–recall on held-out posts (dot: the model's threshold)")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
