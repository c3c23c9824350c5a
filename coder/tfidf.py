"""A faster `TfidfVectorizer.transform` for the two analyzers the segment model uses.

It gives the same matrix as scikit-learn's (a test checks), from the fitted vocabulary and
idf, but builds it in fewer Python steps: word n-grams are looked up straight from the token
list, and a word's character n-grams, which never cross a word boundary with `char_wb`, are
worked out once per word form and reused. Coding a million words calls it on ~100,000 texts,
where scikit-learn's analyzer dominated the run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from itertools import chain
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:  # scikit-learn is slow to import: see model.py
    from sklearn.feature_extraction.text import TfidfVectorizer

MAX_WORD_FORMS = 500_000


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
        self._reset()
        if not self.char and self.ngram_range[1] <= 2:
            self._index_words()

    def _index_words(self) -> None:
        """Number every token of the vocabulary's 1- and 2-grams, so that a text's n-grams
        are found with numpy: unigram feature per token, sorted bigram keys."""
        tokens: dict[str, int] = {}
        for term in self.vocabulary:
            for tok in term.split(" "):
                tokens.setdefault(tok, len(tokens))
        self._tokens = tokens
        self._unigram = np.full(len(tokens), -1, dtype=np.int64)
        keys, features = [], []
        for term, j in self.vocabulary.items():
            parts = term.split(" ")
            if len(parts) == 1:
                self._unigram[tokens[term]] = j
            else:
                keys.append(tokens[parts[0]] * len(tokens) + tokens[parts[1]])
                features.append(j)
        order = np.argsort(np.array(keys, dtype=np.int64))
        self._bigram_keys = np.array(keys, dtype=np.int64)[order]
        self._bigram_features = np.array(features, dtype=np.int64)[order]
        self._pieces = _Memo(self._piece_tokens)

    def _piece_tokens(self, piece: str) -> tuple[int, ...]:
        """Token numbers of one whitespace-free piece of text (-1: not in the vocabulary)."""
        get = self._tokens.get
        return tuple(get(tok, -1) for tok in self.token.findall(piece.lower()))

    def _word_counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Word n-gram counts (n <= 2): tokens never span whitespace, so each piece of text
        is tokenized once and the n-grams are looked up for all texts at once."""
        if len(self._pieces) > MAX_WORD_FORMS:
            self._pieces = _Memo(self._piece_tokens)
        pieces = self._pieces
        per_text = [list(chain.from_iterable(map(pieces.__getitem__, t.split()))) for t in texts]
        seq = np.fromiter(chain.from_iterable(per_text), dtype=np.int64)
        row = np.repeat(np.arange(len(texts)), [len(t) for t in per_text])
        rows, cols = [], []
        if self.ngram_range[0] == 1:
            known = seq >= 0
            uni = self._unigram[seq[known]]
            rows.append(row[known][uni >= 0])
            cols.append(uni[uni >= 0])
        if self.ngram_range[1] == 2 and len(seq) > 1 and len(self._bigram_keys):
            a, b = seq[:-1], seq[1:]
            ok = (row[1:] == row[:-1]) & (a >= 0) & (b >= 0)
            keys = a[ok] * len(self._tokens) + b[ok]
            at = np.minimum(np.searchsorted(self._bigram_keys, keys), len(self._bigram_keys) - 1)
            hit = self._bigram_keys[at] == keys
            rows.append(row[1:][ok][hit])
            cols.append(self._bigram_features[at[hit]])
        r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        c = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
        x = sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(len(texts), len(self.idf)))
        x.sum_duplicates()
        return x

    def _reset(self) -> None:
        # Each word form seen gets a row of a word -> char n-gram counts matrix; a text's
        # counts are then (text -> word counts) @ (that matrix), a product scipy does in C.
        self._rows = _Rows(self._char_features)
        self._w_indices = np.zeros(0, dtype=np.int64)
        self._w_indptr = np.zeros(1, dtype=np.int64)

    def _char_features(self, word: str) -> list[int]:
        """Feature indices of one word's n-grams, as `char_wb` cuts them (" word ")."""
        w, vocab = f" {word} ", self.vocabulary
        grams = []
        for n in range(self.ngram_range[0], self.ngram_range[1] + 1):
            grams += [w[i:i + n] for i in range(max(len(w) - n, 0) + 1)]
            if len(w) <= n:  # a short word counts once
                break
        return [vocab[g] for g in grams if g in vocab]

    def _char_counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        if len(self._rows) > MAX_WORD_FORMS:  # bounded: word forms are finite, typos are not
            self._reset()
        words = [text.lower().split() for text in texts]
        rows = np.fromiter(map(self._rows.__getitem__, chain.from_iterable(words)),
                           dtype=np.int64)
        if self._rows.new:  # word forms seen for the first time: add their rows
            new, self._rows.new = self._rows.new, []
            self._w_indices = np.concatenate(
                [self._w_indices, np.fromiter(chain.from_iterable(new), dtype=np.int64)])
            self._w_indptr = np.concatenate(
                [self._w_indptr, self._w_indptr[-1] + np.cumsum([len(f) for f in new])])
        per_word = sp.csr_matrix((np.ones(len(self._w_indices)), self._w_indices,
                                  self._w_indptr), shape=(len(self._rows), len(self.idf)))
        indptr = np.concatenate(([0], np.cumsum([len(w) for w in words])))
        per_text = sp.csr_matrix((np.ones(len(rows)), rows, indptr),
                                 shape=(len(texts), len(self._rows)))
        return (per_text @ per_word).tocsr()

    def _word_features(self, text: str) -> list[int]:
        tokens, get = self.token.findall(text.lower()), self.vocabulary.get
        lo, hi = self.ngram_range
        grams = tokens if lo == 1 else []
        for n in range(max(lo, 2), hi + 1):
            if n == 2:
                grams = grams + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]
            else:
                grams = grams + [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
        return [j for j in map(get, grams) if j is not None]

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        if self.char:
            x = self._char_counts(texts)
        elif self.ngram_range[1] <= 2:
            x = self._word_counts(texts)
        else:
            indices = []
            indptr = [0]
            for text in texts:
                indices += self._word_features(text)
                indptr.append(len(indices))
            x = sp.csr_matrix((np.ones(len(indices)), np.array(indices, dtype=np.int64),
                               indptr), shape=(len(texts), len(self.idf)))
            x.sum_duplicates()  # counts
        if self.sublinear:
            np.log(x.data, x.data)
            x.data += 1
        x.data *= self.idf[x.indices]
        from sklearn.preprocessing import normalize

        return normalize(x, copy=False) if len(texts) else x


class _Rows(dict[str, int]):
    """Word form -> its row number; a form not seen before gets the next row, and its
    features wait in `new` until they are added to the matrix."""

    def __init__(self, features: Callable[[str], list[int]]) -> None:
        super().__init__()
        self.features = features
        self.new: list[list[int]] = []

    def __missing__(self, word: str) -> int:
        row = self[word] = len(self)
        self.new.append(self.features(word))
        return row


class _Memo(dict[str, tuple[int, ...]]):
    """A dict that computes and keeps the value of a key it does not hold yet."""

    def __init__(self, compute: Callable[[str], tuple[int, ...]]) -> None:
        super().__init__()
        self.compute = compute

    def __missing__(self, key: str) -> tuple[int, ...]:
        value = self[key] = self.compute(key)
        return value
