"""The multi-label post classifier: which of the notice's text categories a post belongs to.

One calibrated linear model per label (one-vs-rest), over :mod:`yuqing.models.features`, so a
post can be both an emergency and a rumour, and a post raising no label needs no response:

* **Model.** A logistic regression per label, calibrated with Platt's sigmoid on
  cross-validated decision values (``CalibratedClassifierCV(method="sigmoid", ensemble=False)``:
  one regression fitted on all the data, one sigmoid fitted on out-of-fold scores), so that a
  score reads as a probability. The folds are as many as the label's rarer class allows, up to
  :data:`CALIBRATION_FOLDS`, so a label with two examples still trains.
* **Thresholds.** One per label, chosen on held-out data (:mod:`yuqing.models.thresholds`): a
  stratified :data:`HOLDOUT_SHARE` of the posts is set aside, a model trained on the rest scores
  them, and each label gets the threshold with the best held-out F1 among those whose held-out
  precision reaches the label's target (:data:`TARGET_PRECISION`). The model is then refitted on
  all posts and keeps those thresholds. What was chosen, and why, is ``threshold_report_``.
* **Rumour.** ``scores["rumour"]`` is the model's rumour probability combined with the cues of
  :mod:`yuqing.models.rumour_cues`; the rumour threshold is chosen on that combined score.
* **Reasons.** For every label raised, the terms that pushed its score up most, preceded for
  rumour by the cues matched.

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
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from yuqing.models import rumour_cues
from yuqing.models.corpus import Example
from yuqing.models.errors import ModelError, TrainingError
from yuqing.models.features import CHARS, build_features, min_df_for
from yuqing.models.thresholds import (
    HOLDOUT_SHARE,
    TARGET_PRECISION,
    choose_threshold,
    default_choice,
    holdout_split,
    override_choice,
)
from yuqing.models.tokenize import normalize
from yuqing.triage.categories import RUMOUR, TEXT_LABELS

#: Threshold of a label whose held-out data cannot choose one: a calibrated probability of one
#: half, "more likely than not".
DEFAULT_THRESHOLD = 0.5
#: Fewer positive examples than this cannot train a label (and fewer negatives neither).
MIN_EXAMPLES = 2
#: Most cross-validation folds the sigmoid calibration uses.
CALIBRATION_FOLDS = 5
#: Terms shown per raised label.
REASONS_PER_LABEL = 5
#: Inverse regularisation strength. TF-IDF rows have unit length and a post has only tens of
#: terms, so the default C=1 keeps every decision value near zero on a corpus of hundreds of
#: posts; a weaker penalty lets clear cues separate the classes (calibration then maps the
#: decision values to probabilities). Measured with calibration and chosen thresholds: seed
#: corpus 4-fold macro-F1 0.865 at C=10 and 0.866 at 20; Weibo21 val 0.900 → 0.905.
C = 20.0

# How many of a post's strongest terms are looked at before merging overlapping ones
# (学区房 the word, 学区 and 区房 its character n-grams) down to REASONS_PER_LABEL.
_CANDIDATES = 4 * REASONS_PER_LABEL


@dataclass(frozen=True)
class Prediction:
    """The classifier's view of one post.

    ``scores``: probability per text label (0.0 for a label the model was not trained on;
    for rumour, the model's probability combined with the rumour cues); ``labels``: the labels
    whose score reached their threshold, in TEXT_LABELS order (empty: no response needed);
    ``reasons``: for each raised label, the rumour cues matched (rumour only) and then up to
    five terms that weighed most.
    """

    scores: dict[str, float]
    labels: list[str]
    reasons: dict[str, list[str]]


class Classifier:
    """Features → a calibrated logistic regression per label, with a threshold per label.

    Build one with :func:`train`; ``__init__`` only stores settings (scikit-learn convention);
    ``min_df=None`` picks it from the corpus size (:func:`~yuqing.models.features.min_df_for`).
    ``thresholds`` fixes the threshold of the labels it names (no choice on held-out data);
    ``target_precision`` is the held-out precision a chosen threshold must reach: one figure
    for every label, or a mapping naming some labels (the others keep
    :data:`~yuqing.models.thresholds.TARGET_PRECISION`).

    Fitted attributes: ``features_`` (the FeatureUnion), ``estimators_`` (one
    CalibratedClassifierCV per trained label), ``labels_`` (the labels trained, in TEXT_LABELS
    order), ``thresholds_`` (every text label), ``threshold_report_`` (per label: threshold,
    how it was chosen, held-out precision and recall at it), ``corpus_size_`` and
    ``corpus_sha256_``.
    """

    def __init__(
        self,
        *,
        thresholds: Mapping[str, float] | None = None,
        target_precision: float | Mapping[str, float] | None = None,
        holdout_share: float = HOLDOUT_SHARE,
        random_state: int = 0,
        min_df: int | None = None,
        C: float = C,
    ) -> None:
        self.thresholds = thresholds
        self.target_precision = target_precision
        self.holdout_share = holdout_share
        self.random_state = random_state
        self.min_df = min_df
        self.C = C

    # -- training -------------------------------------------------------------------------

    def fit(self, texts: Sequence[str], targets: Sequence[Collection[str]]) -> Classifier:
        """Train on ``texts``; ``targets[i]`` holds the text labels of post i (empty: none)."""
        if len(texts) != len(targets):
            raise TrainingError(f"{len(texts)} texts but {len(targets)} label sets")
        overrides = _checked_thresholds(self.thresholds)
        targets_precision = _checked_targets(self.target_precision)
        present = _trainable_labels(targets)
        normalised = [normalize(text) for text in texts]
        report = self._choose_thresholds(normalised, targets, present, overrides, targets_precision)
        self._fit_models(normalised, targets, present)
        self.thresholds_ = {label: report[label]["threshold"] for label in TEXT_LABELS}
        self.threshold_report_ = report
        self.corpus_size_ = len(texts)
        self.corpus_sha256_ = corpus_digest(texts, targets)
        return self

    def _fit_models(
        self, normalised: list[str], targets: Sequence[Collection[str]], present: tuple[str, ...]
    ) -> None:
        min_df = self.min_df if self.min_df is not None else min_df_for(len(normalised))
        features = build_features(min_df=min_df)
        try:
            matrix = features.fit_transform(normalised).tocsr()
        except ValueError as exc:  # the vectorizers: no term occurs in min_df posts
            raise TrainingError(
                f"cannot build features from {len(normalised)} posts: {exc}"
            ) from exc
        estimators = []
        for label in present:
            y = np.array([label in t for t in targets], dtype=np.int8)
            folds = int(min(CALIBRATION_FOLDS, y.sum(), y.size - y.sum()))
            estimator = CalibratedClassifierCV(
                LogisticRegression(
                    C=self.C,
                    class_weight="balanced",
                    solver="liblinear",
                    random_state=self.random_state,
                ),
                method="sigmoid",
                cv=folds,
                ensemble=False,
            )
            estimators.append(estimator.fit(matrix, y))
        self.features_: FeatureUnion = features
        self.estimators_ = estimators
        self.labels_ = present
        self.__dict__.pop("_terms_cache", None)

    def _choose_thresholds(
        self,
        normalised: list[str],
        targets: Sequence[Collection[str]],
        present: tuple[str, ...],
        overrides: dict[str, float],
        targets_precision: dict[str, float],
    ) -> dict[str, dict[str, Any]]:
        """Per text label: the threshold and how it was chosen (see the module docstring)."""
        report: dict[str, dict[str, Any]] = {}
        to_choose = [label for label in present if label not in overrides]
        split = holdout_split(targets, self.holdout_share, self.random_state) if to_choose else None
        if split is not None:
            train_rows, held_rows = split
            held_targets = [targets[i] for i in held_rows]
            try:
                trial_labels = _trainable_labels([targets[i] for i in train_rows])
            except TrainingError:
                trial_labels = ()
            if trial_labels == present:
                self._fit_models(
                    [normalised[i] for i in train_rows], [targets[i] for i in train_rows], present
                )
                held_scores = self._score_normalised([normalised[i] for i in held_rows])[0]
            else:  # the split left a label too few examples to train on: no choice possible
                split = None
        for label in TEXT_LABELS:
            if label in overrides:
                report[label] = override_choice(overrides[label])
            elif label not in present:
                report[label] = default_choice(DEFAULT_THRESHOLD, "label not trained")
            elif split is None:
                report[label] = default_choice(
                    DEFAULT_THRESHOLD, "too few examples to hold some out"
                )
            else:
                column = held_scores[:, TEXT_LABELS.index(label)]
                truth = np.array([label in t for t in held_targets])
                report[label] = choose_threshold(
                    column, truth, targets_precision[label], DEFAULT_THRESHOLD
                )
        return report

    # -- prediction -----------------------------------------------------------------------

    @property
    def absent_labels(self) -> tuple[str, ...]:
        """Text labels this model was not trained on (always scored 0.0)."""
        self._check_fitted()
        return tuple(label for label in TEXT_LABELS if label not in self.labels_)

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Scores, one row per text, one column per label of TEXT_LABELS (rumour: combined)."""
        return self._score_normalised(self._normalised(texts))[0]

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """Classify a batch of posts; vectorised over the batch."""
        normalised = self._normalised(texts)
        scores, features, cues, model_rumour = self._score_normalised(normalised)
        limits = np.array([self.thresholds_[label] for label in TEXT_LABELS])
        raised = scores >= limits
        reasons = self._reasons(features, raised)
        if cues is not None:
            column = TEXT_LABELS.index(RUMOUR)
            for i in np.flatnonzero(raised[:, column]):
                if cues[i].reasons:
                    probability = f"模型判断的造谣传谣概率 {model_rumour[i]:.2f}"
                    terms = reasons[i].get(RUMOUR, [])
                    reasons[i][RUMOUR] = [*cues[i].reasons, probability, *terms]
        return [
            Prediction(
                scores=dict(zip(TEXT_LABELS, map(float, row), strict=True)),
                labels=[label for label, up in zip(TEXT_LABELS, flags, strict=True) if up],
                reasons=reasons[i],
            )
            for i, (row, flags) in enumerate(zip(scores, raised, strict=True))
        ]

    def _normalised(self, texts: Sequence[str]) -> list[str]:
        self._check_fitted()
        if isinstance(texts, str):
            raise TypeError("predict() takes a sequence of texts, not one string")
        texts = list(texts)
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"text {i} is {type(text).__name__}, not str")
        return [normalize(text) for text in texts]

    def _score_normalised(
        self, normalised: list[str]
    ) -> tuple[np.ndarray, Any, list[rumour_cues.CueResult] | None, np.ndarray | None]:
        """Scores (rumour combined with its cues), the feature matrix, and when rumour is
        trained, each post's cues and the model's own rumour probability."""
        features = self.features_.transform(normalised).tocsr()
        scores = np.zeros((features.shape[0], len(TEXT_LABELS)))
        for label, estimator in zip(self.labels_, self.estimators_, strict=True):
            scores[:, TEXT_LABELS.index(label)] = estimator.predict_proba(features)[:, 1]
        if RUMOUR not in self.labels_:
            return scores, features, None, None
        column = TEXT_LABELS.index(RUMOUR)
        cues = rumour_cues.scan_all(normalised)
        model_rumour = scores[:, column].copy()
        strength = np.fromiter((c.strength for c in cues), dtype=float, count=len(cues))
        scores[:, column] = rumour_cues.combine(model_rumour, strength)
        return scores, features, cues, model_rumour

    def _reasons(self, features: Any, raised: np.ndarray) -> list[dict[str, list[str]]]:
        reasons: list[dict[str, list[str]]] = [{} for _ in range(features.shape[0])]
        terms, explainable = self._terms()
        for label, estimator in zip(self.labels_, self.estimators_, strict=True):
            rows = np.flatnonzero(raised[:, TEXT_LABELS.index(label)])
            if rows.size == 0:
                continue
            # contribution of each present term = its TF-IDF value × the label's coefficient
            weighed = features[rows].multiply(_direction(estimator)).tocsr()
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

    def prepare(self) -> None:
        """Build now what explaining a prediction needs (the table of terms, some 25 MB for the
        seed model), instead of when the first flagged post is explained: for a long-running
        process that should reach its working size at start."""
        self._terms()

    def _terms(self) -> tuple[np.ndarray, np.ndarray]:
        """Display string of each feature column, and whether it may be shown as a reason."""
        cached = self.__dict__.get("_terms_cache")
        if cached is None:
            names = self.features_.get_feature_names_out()
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
        if not hasattr(self, "thresholds_"):
            raise ModelError("the classifier has not been trained")


def train(
    examples: Sequence[Example],
    *,
    thresholds: Mapping[str, float] | None = None,
    target_precision: float | Mapping[str, float] | None = None,
    random_state: int = 0,
) -> Classifier:
    """Train a :class:`Classifier` on labelled examples.

    Examples labelled only ``superior_request`` are left out (see ``Example.usable``). A label
    with fewer than two examples raises :class:`TrainingError` naming it; a label with none is
    simply not trained. ``thresholds`` fixes the thresholds of the labels it names; the others
    are chosen on held-out data for ``target_precision`` (default
    :data:`~yuqing.models.thresholds.TARGET_PRECISION`).
    """
    usable = [example for example in examples if example.usable]
    if not usable:
        raise TrainingError("no usable examples (each needs a text label or 'none')")
    # plain dicts and floats: the settings are saved with the model, and skops trusts only
    # known types
    overrides = dict(thresholds) if thresholds else None
    if isinstance(target_precision, Mapping):
        target_precision = dict(target_precision)
    return Classifier(
        thresholds=overrides, target_precision=target_precision, random_state=random_state
    ).fit([example.text for example in usable], [example.targets for example in usable])


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
    """The thresholds fixed by the caller, checked."""
    return {
        label: _checked_fraction(value, f"threshold for {label!r}")
        for label, value in _checked_labels(overrides or {}, "threshold").items()
    }


def _checked_targets(target: float | Mapping[str, float] | None) -> dict[str, float]:
    """Every text label's target precision, checked."""
    if target is None or isinstance(target, Mapping):
        named = _checked_labels(target or {}, "target precision")
        return {
            label: _checked_fraction(named[label], f"target precision for {label!r}")
            if label in named
            else TARGET_PRECISION
            for label in TEXT_LABELS
        }
    return dict.fromkeys(TEXT_LABELS, _checked_fraction(target, "target precision"))


def _checked_labels(values: Mapping[str, Any], what: str) -> Mapping[str, Any]:
    for label in values:
        if label not in TEXT_LABELS:
            raise TrainingError(
                f"{what} for {label!r}: not a text label; one of {', '.join(TEXT_LABELS)}"
            )
    return values


def _checked_fraction(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise TrainingError(f"{what} must be between 0 and 1, got {value!r}")
    return float(value)


def _direction(estimator: CalibratedClassifierCV) -> np.ndarray:
    """The coefficients of a label's regression, signed so that a positive contribution raises
    the calibrated probability (Platt's sigmoid is ``1 / (1 + exp(a·f + b))``, normally with
    ``a < 0``)."""
    (calibrated,) = estimator.calibrated_classifiers_
    (sigmoid,) = calibrated.calibrators
    return calibrated.estimator.coef_[0] * -np.sign(sigmoid.a_)


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
