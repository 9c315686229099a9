"""The multi-label post classifier: which of the notice's text categories a post belongs to.

One binary logistic regression per label (one-vs-rest) over :mod:`yuqing.models.features`, so a
post can be both an emergency and a rumour, and a post raising no label needs no response. Each
label has its own threshold on its probability. For every label raised, the prediction names the
terms that pushed its score up most, so an analyst sees why a post was flagged.

A model trained on data that lacks some labels (a user's rumour/none file) learns only the
labels present; the others score 0.0 and are never raised.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline

from yuqing.models.corpus import Example
from yuqing.models.errors import ModelError, TrainingError
from yuqing.models.features import CHARS, build_features, min_df_for
from yuqing.triage.categories import TEXT_LABELS

DEFAULT_THRESHOLD = 0.5
#: Fewer positive examples than this cannot train a label (and fewer negatives neither).
MIN_EXAMPLES = 2
#: Terms shown per raised label.
REASONS_PER_LABEL = 5
#: Inverse regularisation strength. TF-IDF rows have unit length and a post has only tens of
#: terms, so the default C=1 keeps every probability near 0.5 on a corpus of hundreds of
#: posts; a weaker penalty lets clear cues move the score well past the threshold.
C = 10.0

# How many of a post's strongest terms are looked at before merging overlapping ones
# (学区房 the word, 学区 and 区房 its character n-grams) down to REASONS_PER_LABEL.
_CANDIDATES = 4 * REASONS_PER_LABEL


@dataclass(frozen=True)
class Prediction:
    """The classifier's view of one post.

    ``scores``: probability per text label (0.0 for a label the model was not trained on);
    ``labels``: the labels whose score reached their threshold, in TEXT_LABELS order (empty:
    no response needed); ``reasons``: for each raised label, up to five terms that weighed most.
    """

    scores: dict[str, float]
    labels: list[str]
    reasons: dict[str, list[str]]


class Classifier:
    """Features → one-vs-rest logistic regression, with a threshold per label.

    Build one with :func:`train`; ``__init__`` only stores settings (scikit-learn convention);
    ``min_df=None`` picks it from the corpus size (:func:`~yuqing.models.features.min_df_for`).
    Fitted attributes: ``pipeline_``, ``labels_`` (the labels trained, in TEXT_LABELS order),
    ``thresholds_`` (every text label), ``corpus_size_`` and ``corpus_sha256_``.
    """

    def __init__(
        self,
        *,
        thresholds: Mapping[str, float] | None = None,
        random_state: int = 0,
        min_df: int | None = None,
        C: float = C,
    ) -> None:
        self.thresholds = thresholds
        self.random_state = random_state
        self.min_df = min_df
        self.C = C

    # -- training -------------------------------------------------------------------------

    def fit(self, texts: Sequence[str], targets: Sequence[Collection[str]]) -> Classifier:
        """Train on ``texts``; ``targets[i]`` holds the text labels of post i (empty: none)."""
        if len(texts) != len(targets):
            raise TrainingError(f"{len(texts)} texts but {len(targets)} label sets")
        thresholds = _checked_thresholds(self.thresholds)
        present = _trainable_labels(targets)
        min_df = self.min_df if self.min_df is not None else min_df_for(len(texts))
        indicator = np.array([[label in t for label in present] for t in targets], dtype=np.int8)
        pipeline = Pipeline(
            [
                ("features", build_features(min_df=min_df)),
                (
                    "ovr",
                    OneVsRestClassifier(
                        LogisticRegression(
                            C=self.C,
                            class_weight="balanced",
                            solver="liblinear",
                            random_state=self.random_state,
                        )
                    ),
                ),
            ]
        )
        try:
            # A single label column makes OneVsRest fit one binary model, which is what we want.
            pipeline.fit(list(texts), indicator[:, 0] if len(present) == 1 else indicator)
        except ValueError as exc:  # the vectorizers: no term occurs in min_df posts
            raise TrainingError(f"cannot build features from {len(texts)} posts: {exc}") from exc
        self.pipeline_ = pipeline
        self.labels_ = present
        self.thresholds_ = thresholds
        self.corpus_size_ = len(texts)
        self.corpus_sha256_ = corpus_digest(texts, targets)
        return self

    # -- prediction -----------------------------------------------------------------------

    @property
    def absent_labels(self) -> tuple[str, ...]:
        """Text labels this model was not trained on (always scored 0.0)."""
        self._check_fitted()
        return tuple(label for label in TEXT_LABELS if label not in self.labels_)

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities, one row per text, one column per label of TEXT_LABELS."""
        return self._score(self._features(texts))

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """Classify a batch of posts; vectorised over the batch."""
        features = self._features(texts)
        scores = self._score(features)
        limits = np.array([self.thresholds_[label] for label in TEXT_LABELS])
        raised = scores >= limits
        reasons = self._reasons(features, raised)
        return [
            Prediction(
                scores=dict(zip(TEXT_LABELS, map(float, row), strict=True)),
                labels=[label for label, up in zip(TEXT_LABELS, flags, strict=True) if up],
                reasons=reasons[i],
            )
            for i, (row, flags) in enumerate(zip(scores, raised, strict=True))
        ]

    def _features(self, texts: Sequence[str]) -> Any:
        self._check_fitted()
        if isinstance(texts, str):
            raise TypeError("predict() takes a sequence of texts, not one string")
        texts = list(texts)
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"text {i} is {type(text).__name__}, not str")
        return self.pipeline_.named_steps["features"].transform(texts).tocsr()

    def _score(self, features: Any) -> np.ndarray:
        scores = np.zeros((features.shape[0], len(TEXT_LABELS)))
        for label, estimator in self._estimators():
            scores[:, TEXT_LABELS.index(label)] = estimator.predict_proba(features)[:, 1]
        return scores

    def _estimators(self) -> list[tuple[str, LogisticRegression]]:
        return list(zip(self.labels_, self.pipeline_.named_steps["ovr"].estimators_, strict=True))

    def _reasons(self, features: Any, raised: np.ndarray) -> list[dict[str, list[str]]]:
        reasons: list[dict[str, list[str]]] = [{} for _ in range(features.shape[0])]
        terms, explainable = self._terms()
        for label, estimator in self._estimators():
            rows = np.flatnonzero(raised[:, TEXT_LABELS.index(label)])
            if rows.size == 0:
                continue
            # contribution of each present term = its TF-IDF value × the label's coefficient
            weighed = features[rows].multiply(estimator.coef_[0]).tocsr()
            row_of = np.repeat(np.arange(rows.size), np.diff(weighed.indptr))
            keep = (weighed.data > 0) & explainable[weighed.indices]
            values, columns, row_of = weighed.data[keep], weighed.indices[keep], row_of[keep]
            order = np.lexsort((-values, row_of))  # by row, strongest first within a row
            values, columns, row_of = values[order], columns[order], row_of[order]
            rank = np.arange(row_of.size) - np.searchsorted(row_of, row_of)
            top = rank < _CANDIDATES
            values, columns, row_of = values[top], columns[top], row_of[top]
            starts = np.searchsorted(row_of, np.arange(rows.size + 1))
            for k, post in enumerate(rows):
                span = slice(starts[k], starts[k + 1])
                reasons[post][label] = _readable(terms[columns[span]], values[span])
        return reasons

    def _terms(self) -> tuple[np.ndarray, np.ndarray]:
        """Display string of each feature column, and whether it may be shown as a reason."""
        cached = self.__dict__.get("_terms_cache")
        if cached is None:
            names = self.pipeline_.named_steps["features"].get_feature_names_out()
            block, _, raw = np.char.partition(names.astype(str), "__").T
            is_char = block == CHARS
            # character n-grams carry char_wb's padding spaces
            terms = np.where(is_char, np.char.strip(raw), raw)
            # What a reader can use: words of two characters or more (a lone 的, 吗 or 谣 says
            # nothing), word pairs that hold such a word (their weight goes to their words, see
            # _readable), and of the character n-grams only those that are also words (学区房,
            # not 给学 straddling two words), whose weight then adds to the word's.
            # Built once per loaded model, so a Python pass over the vocabulary is fine here.
            vocabulary = set(terms[~is_char].tolist())
            explainable = np.array(
                [
                    term in vocabulary and len(term) >= 2
                    if char
                    else max(map(len, term.split(" "))) >= 2
                    for term, char in zip(terms.tolist(), is_char.tolist(), strict=True)
                ],
                dtype=bool,
            )
            terms = terms.astype(object)
            cached = self._terms_cache = (terms, explainable)
        return cached

    def __getstate__(self) -> dict[str, Any]:
        # The term cache is rebuilt from the vectorizers; keep it out of saved models.
        state = dict(self.__dict__)
        state.pop("_terms_cache", None)
        return state

    def _check_fitted(self) -> None:
        if not hasattr(self, "pipeline_"):
            raise ModelError("the classifier has not been trained")


def train(
    examples: Sequence[Example],
    *,
    thresholds: Mapping[str, float] | None = None,
    random_state: int = 0,
) -> Classifier:
    """Train a :class:`Classifier` on labelled examples.

    Examples labelled only ``superior_request`` are left out (see ``Example.usable``). A label
    with fewer than two examples raises :class:`TrainingError` naming it; a label with none is
    simply not trained. ``thresholds`` overrides the default 0.5 for the labels it names.
    """
    usable = [example for example in examples if example.usable]
    if not usable:
        raise TrainingError("no usable examples (each needs a text label or 'none')")
    # a plain dict: the settings are saved with the model, and skops trusts only known types
    overrides = dict(thresholds) if thresholds else None
    return Classifier(thresholds=overrides, random_state=random_state).fit(
        [example.text for example in usable], [example.targets for example in usable]
    )


def corpus_digest(texts: Sequence[str], targets: Sequence[Collection[str]]) -> str:
    """SHA-256 of a training corpus, independent of the order of its examples."""
    lines = sorted(
        json.dumps([text, sorted(labels)], ensure_ascii=False)
        for text, labels in zip(texts, targets, strict=True)
    )
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode("utf-8") + b"\n")
    return digest.hexdigest()


def _checked_thresholds(overrides: Mapping[str, float] | None) -> dict[str, float]:
    thresholds = dict.fromkeys(TEXT_LABELS, DEFAULT_THRESHOLD)
    for label, value in (overrides or {}).items():
        if label not in TEXT_LABELS:
            raise TrainingError(
                f"threshold for {label!r}: not a text label; one of {', '.join(TEXT_LABELS)}"
            )
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
            raise TrainingError(f"threshold for {label!r} must be between 0 and 1, got {value!r}")
        thresholds[label] = float(value)
    return thresholds


def _trainable_labels(targets: Sequence[Collection[str]]) -> tuple[str, ...]:
    """The text labels to train, in TEXT_LABELS order; raise if any has too few examples."""
    unknown = {label for t in targets for label in t} - set(TEXT_LABELS)
    if unknown:
        raise TrainingError(f"not text labels: {', '.join(sorted(unknown))}")
    total = len(targets)
    counts = {label: sum(label in t for t in targets) for label in TEXT_LABELS}
    present = tuple(label for label in TEXT_LABELS if counts[label])
    if not present:
        raise TrainingError(f"none of the {total} examples carries a text label")
    too_few = [
        f"{label!r} has {counts[label]}" for label in present if counts[label] < MIN_EXAMPLES
    ]
    if too_few:
        raise TrainingError(
            f"too few examples: {', '.join(too_few)}; each label needs at least {MIN_EXAMPLES} "
            "(or none, to leave it out)"
        )
    too_many = [label for label in present if total - counts[label] < MIN_EXAMPLES]
    if too_many:
        raise TrainingError(
            f"label(s) {', '.join(map(repr, too_many))}: fewer than {MIN_EXAMPLES} examples "
            "without it; add examples of other labels or of 'none'"
        )
    return present


def _readable(terms: np.ndarray, values: np.ndarray) -> list[str]:
    """The strongest words for a reader. A word's weight adds up its own feature, the same
    string as a character n-gram, and an equal share of each word pair it is part of (a pair
    like 紧急扩散 网传 reads worse than its two words); a word inside a longer one shown
    (学区 in 学区房) is left out."""
    weight: dict[str, float] = {}
    for term, value in zip(terms, values, strict=True):
        parts = term.split(" ")
        for part in parts:
            if len(part) >= 2:
                weight[part] = weight.get(part, 0.0) + float(value) / len(parts)
    kept: list[str] = []
    for term in sorted(weight, key=weight.__getitem__, reverse=True):
        if any(term in longer for longer in kept):
            continue
        inside = [i for i, shorter in enumerate(kept) if shorter in term]
        if inside:  # the longer term takes the place of the first shorter one
            kept[inside[0]] = term
            kept = [k for i, k in enumerate(kept) if i not in inside[1:]]
        else:
            kept.append(term)
        if len(kept) == REASONS_PER_LABEL:
            break
    return kept
