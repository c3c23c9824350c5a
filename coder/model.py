"""The learned segment model: per-code logistic regressions over text and rule features.

It learns at the level people code at, the informant turn: the turn's words (TF-IDF over
lemma 1-2-grams and character 3-4-grams within words), the question it answers (weighted up
for short answers, which take their meaning from the question), and for every code how many
rule matches fired live, negated or hypothetical. Each code has its own classifier trained
on every example that carries a label for that code, so partial labels (a person accepted or
rejected one code on a turn) are used as they are; its probabilities are Platt-calibrated on
cross-validated scores, so the thresholds in the settings mean what they say.
Saved with skops, never pickle, with the codebook hash and a summary of its training data.
"""

from __future__ import annotations

import ctypes
import gc
import math
import os
import re
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from .errors import CoderError
from .nlp import lemma_lookup
from .tfidf import FastTfidf

# scikit-learn takes over a second to import: only the code that fits or scores a model
# loads it, so coding with rules alone and the other commands start quickly.
if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

SHORT_ANSWER_WORDS = 8
CHAR_NGRAMS = (3, 4)
CALIBRATION_FOLDS = 2
CALIBRATION_MIN = 5  # examples of each class a code needs to be calibrated
_NEG_START = re.compile(r"^\W*(no|not|never|nothing|nobody|none|nope)\b", re.I)
_YES_START = re.compile(r"^\W*(yes|yeah|yep|sure|of course|i do|i am|i did)\b", re.I)


_WORD = re.compile(r"[A-Za-z']+")


def lemmatize(text: str) -> str:
    """Lookup lemmas, so "crossed" and "cross" are one feature."""
    return " ".join(map(lemma_lookup(), _WORD.findall(text)))


FEATURE_CHUNK = 1_000  # training turns whose features are built together

# Above this many stored feature values, codes are fitted one at a time: each fit holds a
# copy of the features (liblinear's own format), and training must stay under 500 MB.
ONE_THREAD_ABOVE = 2_000_000  # the sample alone holds 2.7M (6,000 turns): 438 MB, not 492


def training_threads(nnz: int, cpus: int | None = None) -> int:
    """How many codes to fit side by side, for a feature matrix of `nnz` values."""
    if nnz > ONE_THREAD_ABOVE:
        return 1
    return max(1, min(4, cpus if cpus is not None else os.cpu_count() or 1))


def release_memory() -> None:
    """Hand memory freed by Python back to the operating system where the C library can
    (glibc keeps it otherwise): training's peak is then what the fits need, not that plus
    what the features left behind."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


def _platt(clf: LogisticRegression, x: sp.csr_matrix, y: np.ndarray) -> tuple[float, float]:
    """Platt scaling from cross-validated scores: (a, b) with p = sigmoid(a * score + b).
    Balanced class weights push probabilities of rare codes up; this brings them back."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    folds = StratifiedKFold(CALIBRATION_FOLDS, shuffle=True, random_state=0)
    scores = cross_val_predict(clf, x, y, cv=folds, method="decision_function")
    platt = LogisticRegression(C=100.0, solver="lbfgs").fit(scores.reshape(-1, 1), y)
    return float(platt.coef_[0, 0]), float(platt.intercept_[0])


# The three TF-IDF blocks: lemma 1-2-grams of the turn and of its question, and character
# n-grams within words, which catch what lemmas miss (spelling variants, compounds,
# non-native forms such as "defectors'" or "north-korean").
_VECTORIZERS: dict[str, dict[str, Any]] = {
    "text": {"ngram_range": (1, 2), "min_df": 2, "max_features": 50_000},
    "question": {"ngram_range": (1, 2), "min_df": 2, "max_features": 5_000},
    "char": {"analyzer": "char_wb", "ngram_range": CHAR_NGRAMS, "min_df": 2,
             "max_features": 30_000},
}


def _vectorizer(kind: str) -> TfidfVectorizer:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(sublinear_tf=True, dtype=np.float64, **_VECTORIZERS[kind])


def _vector_state(vec: TfidfVectorizer) -> dict[str, np.ndarray]:
    """A fitted vectorizer as two arrays. Saved as a dict, its vocabulary cost skops one
    object per term: tens of MB and seconds to write and read."""
    terms = sorted(vec.vocabulary_, key=vec.vocabulary_.__getitem__)
    return {"terms": np.array(terms, dtype=np.str_), "idf": np.asarray(vec.idf_)}


def _vector_from_state(kind: str, state: dict[str, np.ndarray]) -> TfidfVectorizer:
    vec = _vectorizer(kind)
    vec.vocabulary_ = {str(t): j for j, t in enumerate(state["terms"].tolist())}
    vec.idf_ = np.asarray(state["idf"], dtype=np.float64)
    return vec


class ModelError(CoderError):
    """A model file that cannot be used (corrupt, or built for another codebook)."""

    exit_code = 2


class CodebookMismatch(ModelError):
    """A readable model built for another codebook than the one in use."""


@dataclass
class Example:
    """What the model sees of one informant turn (or one segment)."""

    text: str
    question: str = ""
    hits: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # live, negated, hyp.


@dataclass
class SegmentModel:
    codebook_hash: str
    codes: list[str]
    text_vec: TfidfVectorizer
    question_vec: TfidfVectorizer
    classifiers: dict[str, LogisticRegression]
    summary: dict[str, Any]
    char_vec: TfidfVectorizer | None = None
    calibration: dict[str, tuple[float, float]] = field(default_factory=dict)
    _stacked: tuple[list[str], np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    _code_index: dict[str, int] | None = field(default=None, repr=False)
    _fast: dict[str, FastTfidf] = field(default_factory=dict, repr=False)

    def _transform(self, kind: str, texts: list[str]) -> sp.csr_matrix:
        vec = {"text": self.text_vec, "question": self.question_vec, "char": self.char_vec}[kind]
        if kind not in self._fast:
            self._fast[kind] = FastTfidf(vec)
        return self._fast[kind].transform(texts)

    # -- features ------------------------------------------------------------------------
    def _rules(self, examples: Sequence[Example]) -> sp.csr_matrix:
        """Rule hits per code (live, negated, hypothetical, log-scaled) and answer shape."""
        if self._code_index is None:
            self._code_index = {c: j for j, c in enumerate(self.codes)}
        index, width = self._code_index, 3 * len(self.codes)
        rows, cols, vals = [], [], []
        for i, ex in enumerate(examples):
            for code, counts in ex.hits.items():
                j = index.get(code)
                if j is None:
                    continue
                for k, n in enumerate(counts):
                    if n:
                        rows.append(i)
                        cols.append(3 * j + k)
                        vals.append(math.log1p(n))
            words = len(ex.text.split())
            for k, v in enumerate((float(words <= SHORT_ANSWER_WORDS),
                                   float(bool(_NEG_START.match(ex.text))),
                                   float(bool(_YES_START.match(ex.text))), math.log1p(words) / 5)):
                if v:
                    rows.append(i)
                    cols.append(width + k)
                    vals.append(v)
        return sp.csr_matrix((vals, (rows, cols)), shape=(len(examples), width + 4))

    def features(self, examples: Sequence[Example]) -> sp.csr_matrix:
        text = self._transform("text", [lemmatize(e.text) for e in examples])
        weight = np.array([1.0 if len(e.text.split()) <= SHORT_ANSWER_WORDS else 0.3
                           for e in examples])
        if any(e.question for e in examples):
            question = sp.diags(weight) @ self._transform(
                "question", [lemmatize(e.question) for e in examples])
        else:
            question = sp.csr_matrix((len(examples), len(self.question_vec.vocabulary_)))
        blocks = [text, question, self._rules(examples)]
        if self.char_vec is not None:
            blocks.append(self._transform("char", [e.text for e in examples]))
        return sp.hstack(blocks, format="csr")

    # -- fit / predict -------------------------------------------------------------------
    @classmethod
    def fit(cls, examples: Sequence[Example], labels: Sequence[dict[str, bool]],
            codes: Sequence[str], codebook_hash: str, c: float = 4.0,
            summary: dict[str, Any] | None = None) -> "SegmentModel":
        """Train one classifier per code on the examples labelled for it (True/False)."""
        from sklearn.linear_model import LogisticRegression

        text_vec, question_vec, char_vec = (_vectorizer(k) for k in ("text", "question", "char"))
        text_vec.fit([lemmatize(e.text) for e in examples])
        questions = [lemmatize(e.question) for e in examples]
        # min_df=2 leaves no vocabulary when hardly any turn answers a question
        question_vec.set_params(min_df=2 if sum(map(bool, questions)) > 20 else 1)
        question_vec.fit([q for q in questions if q] or ["none"])
        char_vec.fit([e.text.lower() for e in examples])
        for vec in (text_vec, question_vec, char_vec):
            if hasattr(vec, "stop_words_"):
                del vec.stop_words_  # only for introspection (scikit-learn's docs say so)
        model = cls(codebook_hash, list(codes), text_vec, question_vec, {}, summary or {},
                    char_vec)
        # a chunk of turns at a time: the transforms' temporaries stay small, so the peak is
        # about twice the matrix, whatever the size of the training data
        x = sp.vstack([model.features(examples[i:i + FEATURE_CHUNK])
                       for i in range(0, len(examples), FEATURE_CHUNK)], format="csr")
        model._fast.clear()  # caches for coding, not needed to train
        release_memory()

        def fit_code(code: str) -> tuple[LogisticRegression, tuple[float, float] | None] | None:
            rows = [i for i, lab in enumerate(labels) if code in lab]
            y = np.array([labels[i][code] for i in rows], dtype=int)
            if len(set(y)) < 2 or y.sum() < 2:
                return None  # too few positives: the rules decide alone
            # dual: far faster with more features than examples; same optimum
            clf = LogisticRegression(C=c, solver="liblinear", dual=True, random_state=0,
                                     max_iter=500, class_weight="balanced")
            xs = x if len(rows) == x.shape[0] else x[rows]  # a copy only when needed
            platt = _platt(clf, xs, y) if min(y.sum(), len(y) - y.sum()) >= \
                CALIBRATION_MIN else None
            return clf.fit(xs, y), platt

        # liblinear lets go of the GIL: codes train side by side on every core
        with ThreadPoolExecutor(max_workers=training_threads(x.nnz)) as pool:
            for code, fitted in zip(model.codes, pool.map(fit_code, model.codes)):
                if fitted is not None:
                    # single precision: half the memory and model size, and ~7 digits
                    # are far more than the probabilities need
                    fitted[0].coef_ = fitted[0].coef_.astype(np.float32)
                    model.classifiers[code] = fitted[0]
                    if fitted[1] is not None:
                        model.calibration[code] = fitted[1]
        release_memory()
        model.summary.setdefault("examples", len(examples))
        model.summary["codes_learned"] = len(model.classifiers)
        return model

    def predict_proba(self, examples: Sequence[Example]) -> dict[str, np.ndarray]:
        """code -> probability per example, for the codes the model has learned."""
        if not examples or not self.classifiers:
            return {}
        if self._stacked is None:  # every classifier at once: one sparse product
            codes = list(self.classifiers)
            # C-ordered: scipy copies a transposed (F-ordered) operand on every product
            weights = np.ascontiguousarray(
                np.vstack([self.classifiers[c].coef_[0] for c in codes]).T, dtype=np.float64)
            bias = np.array([self.classifiers[c].intercept_[0] for c in codes])
            # Platt scaling folds into the linear score: p = sigmoid(a * (w.x + b0) + b)
            a, b = np.array([self.calibration.get(c, (1.0, 0.0)) for c in codes]).T
            self._stacked = (codes, weights * a, bias * a + b)
        codes, weights, bias = self._stacked
        scores = np.asarray(self.features(examples) @ weights) + bias
        probs = expit(scores)
        return {code: probs[:, j] for j, code in enumerate(codes)}

    # -- persistence ---------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        import skops.io as sio

        vectors = {"text": self.text_vec, "question": self.question_vec, "char": self.char_vec}
        payload = {"codebook_hash": self.codebook_hash, "codes": self.codes,
                   "vectorizers": {k: _vector_state(v) for k, v in vectors.items() if v},
                   "calibration": self.calibration,
                   "classifiers": self.classifiers, "summary": self.summary}
        return sio.dumps(payload)

    @classmethod
    def from_bytes(cls, blob: bytes, codebook_hash: str | None = None,
                   where: str = "model") -> "SegmentModel":
        """Load a skops model; refuse one built for another codebook."""
        import skops.io as sio

        try:
            payload = sio.loads(blob, trusted=trusted_types(blob, where))
            vectors = {k: _vector_from_state(k, v) for k, v in payload["vectorizers"].items()}
            model = cls(str(payload["codebook_hash"]), list(payload["codes"]),
                        vectors["text"], vectors["question"],
                        dict(payload["classifiers"]), dict(payload["summary"]),
                        vectors.get("char"),
                        {k: (float(a), float(b))
                         for k, (a, b) in dict(payload.get("calibration", {})).items()})
        except ModelError:
            raise
        except Exception as exc:  # skops raises many kinds on a damaged file
            raise ModelError(f"{where}: not a readable coder model ({type(exc).__name__})") \
                from None
        if codebook_hash is not None and model.codebook_hash != codebook_hash:
            raise CodebookMismatch(f"{where}: built for codebook {model.codebook_hash}, but the "
                             f"codebook in use is {codebook_hash}; run 'coder train'")
        return model


# Types a coder model is made of: scikit-learn's and numpy/scipy's own.
_TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.", "builtins.")


def trusted_types(blob: bytes, where: str) -> list[str]:
    """The types skops asks about, if they are all of the kinds a coder model holds."""
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(data=blob)
    except Exception as exc:  # not a skops file at all
        raise ModelError(f"{where}: not a readable coder model ({type(exc).__name__})") \
            from None
    unknown = [t for t in untrusted if not t.startswith(_TRUSTED_PREFIXES)]
    if unknown:
        raise ModelError(f"{where}: refusing to load unexpected types {unknown[:3]}")
    return untrusted
