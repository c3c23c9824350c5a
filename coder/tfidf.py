"""A faster `TfidfVectorizer.transform` for the two analyzers the segment model uses.

It gives the same matrix as scikit-learn's (a test checks), from the fitted vocabulary and
idf, but builds it in fewer Python steps: word n-grams are looked up straight from the token
list, and a word's character n-grams, which never cross a word boundary with `char_wb`, are
worked out once per word form and reused. Coding a million words calls it on ~100,000 texts,
where scikit-learn's analyzer dominated the run.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize


class FastTfidf:
    """Transform-only twin of a fitted word (1-2-gram) or `char_wb` TfidfVectorizer."""

    def __init__(self, vec: TfidfVectorizer) -> None:
        if vec.analyzer not in ("word", "char_wb") or not vec.lowercase or \
                vec.strip_accents or vec.stop_words or vec.preprocessor or vec.tokenizer:
            raise ValueError("only plain word and char_wb vectorizers are supported")
        self.char = vec.analyzer == "char_wb"
        self.ngram_range: tuple[int, int] = tuple(vec.ngram_range)  # type: ignore[assignment]
        self.vocabulary: dict[str, int] = vec.vocabulary_
        self.idf = np.asarray(vec.idf_, dtype=np.float64)
        self.sublinear = vec.sublinear_tf
        self.token = re.compile(vec.token_pattern)
        self._words: dict[str, list[int]] = {}  # word form -> its char n-gram features

    def _char_features(self, word: str) -> list[int]:
        """Feature indices of one word's n-grams, as `char_wb` cuts them (" word ")."""
        found = self._words.get(word)
        if found is None:
            w, vocab = f" {word} ", self.vocabulary
            grams = []
            for n in range(self.ngram_range[0], self.ngram_range[1] + 1):
                grams += [w[i:i + n] for i in range(max(len(w) - n, 0) + 1)]
                if len(w) <= n:  # a short word counts once
                    break
            found = [vocab[g] for g in grams if g in vocab]
            if len(self._words) < 500_000:  # bounded: word forms are finite, typos are not
                self._words[word] = found
        return found

    def _word_features(self, text: str) -> list[int]:
        tokens, vocab = self.token.findall(text.lower()), self.vocabulary
        lo, hi = self.ngram_range
        out = [vocab[t] for t in tokens if t in vocab] if lo == 1 else []
        for n in range(max(lo, 2), hi + 1):
            for i in range(len(tokens) - n + 1):
                j = vocab.get(" ".join(tokens[i:i + n]))
                if j is not None:
                    out.append(j)
        return out

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        indices: list[int] = []
        indptr = [0]
        for text in texts:
            if self.char:
                for word in text.lower().split():
                    indices += self._char_features(word)
            else:
                indices += self._word_features(text)
            indptr.append(len(indices))
        x = sp.csr_matrix((np.ones(len(indices)), np.array(indices, dtype=np.int64), indptr),
                          shape=(len(texts), len(self.idf)))
        x.sum_duplicates()  # counts
        if self.sublinear:
            np.log(x.data, x.data)
            x.data += 1
        x.data *= self.idf[x.indices]
        return normalize(x, copy=False) if len(texts) else x
