from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from yuqing.models.features import CharNgrams
from yuqing.models.tokenize import normalize, punctuation_to_spaces

TEXTS = [
    "网传明天全市封城，紧急扩散！！",
    "小区停水三天没人管，物业推诿",
    "商场突发火灾，消防员正在扑救",
    "网传封城是谣言，请勿转发",
    "a",
    "",
    "😀😀",
    "ＰＭ２．５超标，小区停水",
    "𠮷野家 停水",  # a character outside the Basic Multilingual Plane
]


def reference_ngrams(text: str) -> list[str]:
    """The same n-grams, the slow way: each phrase padded with a space, 1- to 3-grams that
    hold a space only at an edge."""
    grams = []
    for phrase in punctuation_to_spaces(text).split():
        padded = f" {phrase} "
        for n in (1, 2, 3):
            for i in range(len(padded) - n + 1):
                gram = padded[i : i + n]
                if gram.strip() and " " not in gram[1:-1]:
                    grams.append(gram)
    return grams


@pytest.mark.parametrize("min_df", [1, 2])
def test_char_ngrams_equal_scikit_learn_tfidf(min_df: int) -> None:
    texts = [normalize(t) for t in TEXTS]
    ours = CharNgrams(min_df=min_df)
    fitted = ours.fit_transform(texts)
    reference = TfidfVectorizer(
        analyzer=reference_ngrams, sublinear_tf=True, min_df=min_df, lowercase=False
    )
    expected = reference.fit_transform(texts)
    names = list(ours.get_feature_names_out())
    assert sorted(names) == sorted(reference.get_feature_names_out())
    order = [reference.vocabulary_[name] for name in names]
    np.testing.assert_allclose(fitted.toarray(), expected[:, order].toarray())
    unseen = ["停水停电，网传封城", "完全没见过的字"]
    np.testing.assert_allclose(
        ours.transform(unseen).toarray(), reference.transform(unseen)[:, order].toarray()
    )
    assert "𠮷野" in names if min_df == 1 else "𠮷野" not in names


def test_nothing_frequent_enough_is_an_error() -> None:
    with pytest.raises(ValueError, match="no character n-gram occurs in 3 or more texts"):
        CharNgrams(min_df=3).fit(["甲乙", "丙丁"])
