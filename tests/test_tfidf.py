"""FastTfidf gives scikit-learn's TfidfVectorizer matrix, number for number."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from coder.tfidf import FastTfidf

TRAIN = [
    "We crossed the Tumen at night, and the water was cold.",
    "I work at a factory now. The pay is low; I can't save.",
    "No job. Not now.",
    "The broker took us to Mongolia, then to the embassy in Ulaanbaatar.",
    "My mother is still in Hoeryong. I worry about her every day.",
    "we crossed the river, the broker's men waited on the other side",
    "A", "",
]
PROBE = [
    "We crossed the Tumen river at night.",
    "I can't find a job — the factory said I'm too old…",
    "Ünïcode wörds, tabs\tand\n\nnewlines   and  double  spaces",
    "", "a", "x y z", "broker broker broker",
]


@pytest.mark.parametrize("params", [
    {"ngram_range": (1, 2), "min_df": 1},
    {"ngram_range": (1, 1), "min_df": 1},
    {"analyzer": "char_wb", "ngram_range": (3, 4), "min_df": 1},
    {"analyzer": "char_wb", "ngram_range": (2, 5), "min_df": 1, "max_features": 200},
    {"analyzer": "char_wb", "ngram_range": (3, 4), "min_df": 1, "sublinear_tf": False},
])
def test_fast_transform_equals_scikit_learn(params: dict) -> None:
    vec = TfidfVectorizer(**{"sublinear_tf": True, **params}).fit(TRAIN)
    expected = vec.transform(PROBE).toarray()
    fast = FastTfidf(vec)
    np.testing.assert_allclose(fast.transform(PROBE).toarray(), expected, atol=1e-12)
    # the per-word cache gives the same answer the second time
    np.testing.assert_allclose(fast.transform(PROBE).toarray(), expected, atol=1e-12)


def test_fast_transform_of_nothing_is_an_empty_matrix() -> None:
    vec = TfidfVectorizer().fit(TRAIN)
    assert FastTfidf(vec).transform([]).shape == (0, len(vec.vocabulary_))


def test_vectorizers_it_cannot_copy_are_refused() -> None:
    with pytest.raises(ValueError):
        FastTfidf(TfidfVectorizer(analyzer="char").fit(TRAIN))
    with pytest.raises(ValueError):
        FastTfidf(TfidfVectorizer(stop_words="english").fit(TRAIN))
