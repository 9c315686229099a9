"""Text features: TF-IDF over jieba words (and word pairs) joined with TF-IDF over characters.

Words carry meaning (学区房, 延迟退休); character n-grams catch what segmentation misses: new
words, names, misspellings, and the different forms of one word across styles of writing.
Both read text already normalised (:func:`yuqing.models.tokenize.normalize`). The word block is
scikit-learn's TfidfVectorizer; the character block is :class:`CharNgrams`, the same TF-IDF
computed with numpy over a whole batch, because building each n-gram as a Python string was
half of the classifier's time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion
from sklearn.preprocessing import normalize as l2_normalize

from yuqing.models.tokenize import punctuation_to_spaces, words

#: Names of the two feature blocks; feature names come out as ``words__学区房``, ``chars__学区``.
WORDS = "words"
CHARS = "chars"


def min_df_for(n_posts: int) -> int:
    """How many training posts a term must occur in to become a feature.

    Small corpora keep every term: in a hundred posts most telling words (朋友圈疯传, 不实信息)
    occur once, and dropping them cost held-out posts. From a few hundred posts on, terms seen
    once or twice are mostly names, numbers and typos that let the model memorise posts: on the
    seed corpus (about 1,100 posts) 5-fold macro-F1 went 0.834 → 0.851 → 0.859 for 1 → 2 → 3
    and stayed flat up to 6.
    """
    return min(3, 1 + n_posts // 400)


def build_features(*, min_df: int = 1) -> FeatureUnion:
    """An unfitted FeatureUnion: word 1–2-grams and character 1–3-grams, both sublinear TF-IDF.

    It reads texts normalised by :func:`yuqing.models.tokenize.normalize`: the classifier does
    that once per post (the rumour cues read the same text) rather than once per block.
    """
    word_tfidf = TfidfVectorizer(
        tokenizer=words,
        lowercase=False,  # normalize() has lower-cased already
        token_pattern=None,  # the tokenizer decides what a token is
        ngram_range=(1, 2),
        sublinear_tf=True,
        min_df=min_df,
    )
    char_tfidf = CharNgrams(ngram_max=3, min_df=min_df)
    return FeatureUnion([(WORDS, word_tfidf), (CHARS, char_tfidf)])


# A character n-gram as one integer: code points take 21 bits, so up to three fit in 63 bits,
# and the lengths never collide (a bigram's first character is never 0, see CharNgrams).
_BITS = 21
_MASK = (1 << _BITS) - 1
_SPACE = ord(" ")


class CharNgrams(TransformerMixin, BaseEstimator):
    """Sublinear TF-IDF over the character 1- to ``ngram_max``-grams inside each phrase.

    What ``TfidfVectorizer(analyzer="char", sublinear_tf=True)`` computes (smoothed idf, rows
    of unit length), restricted to n-grams within a phrase (punctuation and spaces end one, see
    :func:`~yuqing.models.tokenize.punctuation_to_spaces`), and computed on a whole batch at
    once with numpy: each n-gram becomes one integer made of its code points, and the
    vocabulary is a sorted array of those integers. The scikit-learn vectorizer builds every
    n-gram as a Python string and looks it up in a dict, and that was most of the classifier's
    time (about 150 µs of a 150-character post's 300).

    Fitted attributes: ``keys_`` (the n-grams kept, as sorted integers) and ``idf_``.
    """

    def __init__(self, *, ngram_max: int = 3, min_df: int = 1) -> None:
        self.ngram_max = ngram_max
        self.min_df = min_df

    def fit(self, texts: Sequence[str], y: Any = None) -> CharNgrams:
        self.fit_transform(texts)
        return self

    def fit_transform(self, texts: Sequence[str], y: Any = None, **_: Any) -> sp.csr_matrix:
        if not 1 <= self.ngram_max <= 3:
            raise ValueError(f"ngram_max must be 1, 2 or 3, got {self.ngram_max}")
        keys, docs = self._ngrams(texts)
        # document frequency: each (document, n-gram) pair once
        order = np.lexsort((keys, docs))
        keys, docs = keys[order], docs[order]
        first = np.ones(keys.size, dtype=bool)
        first[1:] = (keys[1:] != keys[:-1]) | (docs[1:] != docs[:-1])
        vocabulary, df = np.unique(keys[first], return_counts=True)
        kept = df >= self.min_df
        if not kept.any():
            raise ValueError(f"no character n-gram occurs in {self.min_df} or more texts")
        self.keys_ = vocabulary[kept]
        # smoothed idf, as scikit-learn's TfidfTransformer
        self.idf_ = np.log((1 + len(texts)) / (1 + df[kept])) + 1.0
        return self.transform(texts)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        keys, docs = self._ngrams(texts)
        columns = np.searchsorted(self.keys_, keys)
        columns[columns == self.keys_.size] = 0
        known = self.keys_[columns] == keys
        counts = sp.csr_matrix(
            (np.ones(int(known.sum())), (docs[known], columns[known])),
            shape=(len(texts), self.keys_.size),
        )
        counts.sum_duplicates()
        counts.data = (np.log(counts.data) + 1.0) * self.idf_[counts.indices]
        return l2_normalize(counts, copy=False)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        names = []
        for key in self.keys_.tolist():
            chars = []
            while key:
                chars.append(chr(key & _MASK))
                key >>= _BITS
            names.append("".join(reversed(chars)))
        return np.array(names, dtype=object)

    def _ngrams(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Every n-gram of every text as (integer key, text index) arrays.

        As scikit-learn's ``char_wb``, each phrase is read with a space on either side, so the
        n-grams that start or end a phrase (" 据说", "删 ") are features of their own; a space
        may only stand at an n-gram's edge, so no n-gram spans two phrases or two texts.
        """
        phrases = [punctuation_to_spaces(text) for text in texts]
        joined = "".join(f" {phrase} " for phrase in phrases)
        codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        docs = np.repeat(np.arange(len(phrases)), [len(p) + 2 for p in phrases])
        inside = codes != _SPACE
        keys, owners = [], []
        key = codes
        for n in range(1, self.ngram_max + 1):
            if n > 1:
                key = (key[:-1] << np.uint64(_BITS)) | codes[n - 1 :]
            if n == 1:
                valid = inside
            elif n == 2:
                valid = inside[:-1] | inside[1:]  # not two spaces
            else:
                valid = inside[1:-1]  # the middle character is never a space
            keys.append(key[valid])
            owners.append(docs[: valid.size][valid])
        return np.concatenate(keys), np.concatenate(owners)
