"""Load and validate `codebook.yaml` (pydantic, extra keys forbidden, errors reported by path)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import CodebookError

# Token attributes a blank pipeline fills; POS, DEP, ENT_TYPE etc. would never match.
TOKEN_KEYS = {"LEMMA", "LOWER", "NORM", "ORTH", "TEXT", "IS_PUNCT", "IS_ALPHA", "IS_DIGIT",
              "LIKE_NUM", "IS_SENT_START", "LENGTH", "IS_STOP", "IS_TITLE", "IS_LOWER", "IS_UPPER",
              "OP"}
POLAR_CATEGORIES = {"material", "mental"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Pattern(_Strict):
    """One rule: a phrase list (matched on lemmas or lowercase forms) or a spaCy token pattern."""

    phrases: list[str] | None = None
    tokens: list[dict[str, Any]] | None = None
    attr: Literal["LEMMA", "LOWER"] = "LEMMA"

    @model_validator(mode="after")
    def _one_kind(self) -> "Pattern":
        if (self.phrases is None) == (self.tokens is None):
            raise ValueError("give exactly one of 'phrases' or 'tokens'")
        if self.phrases is not None:
            if not self.phrases or any(not p.strip() for p in self.phrases):
                raise ValueError("'phrases' must be a non-empty list of non-empty strings")
        if self.tokens is not None:
            _check_token_pattern(self.tokens)
        return self


def _check_token_pattern(tokens: list[dict[str, Any]]) -> None:
    from spacy.schemas import validate_token_pattern

    if not tokens:
        raise ValueError("'tokens' must not be empty")
    for i, tok in enumerate(tokens):
        bad = sorted(k for k in tok if k.upper() not in TOKEN_KEYS and k != "_")
        if bad:
            raise ValueError(f"token {i}: unsupported key {bad[0]!r} (the pipeline has no "
                             f"tagger or parser; use LEMMA, LOWER, ...)")
    problems = validate_token_pattern(tokens)
    if problems:
        raise ValueError(f"not a valid spaCy token pattern: {problems[0]}")


class Code(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
    label: str
    definition: str
    include: str
    exclude: str
    examples: list[str] = Field(min_length=1)
    polarity: Literal[1, -1] | None = None
    patterns: list[Pattern] = Field(default_factory=list)

    @property
    def category(self) -> str:
        return self.id.split(".", 1)[0]


class Category(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    description: str
    codes: list[Code] = Field(min_length=1)


class Settings(_Strict):
    """Tunable behaviour, with documented defaults (see README)."""

    # Sentences shorter than this many words join the next sentence of the same turn.
    min_segment_words: int = Field(default=4, ge=1)
    # Confidence of a rule-only code: one pattern fired / two or more patterns fired.
    rule_confidence: float = Field(default=0.75, ge=0, le=1)
    rule_confidence_multi: float = Field(default=0.9, ge=0, le=1)
    # How far back (in tokens, inside the clause) a negation or hypothetical cue reaches.
    negation_window: int = Field(default=6, ge=1)
    hypothetical_window: int = Field(default=8, ge=1)
    negation_cues: list[str] = Field(default_factory=lambda: [
        "not", "n't", "never", "no", "nobody", "none", "nothing", "neither", "nor", "without",
        "nowhere", "hardly", "cannot"])
    # Negations that do not deny what follows ("no longer afraid" says the fear was there).
    pseudo_negations: list[str] = Field(default_factory=lambda: [
        "no longer", "not anymore", "not any more", "not only", "not just", "no doubt",
        "no wonder", "nothing but", "not until", "never again", "not even"])
    hypothetical_cues: list[str] = Field(default_factory=lambda: [
        "if", "unless", "wish", "want to", "hope to", "plan to", "dream of", "would like",
        "someday", "some day", "one day", "suppose", "imagine", "in case", "going to"])
    # Words that end a clause for negation and hypothetical scope.
    clause_breaks: list[str] = Field(default_factory=lambda: [
        ",", ";", ":", "--", "—", "–", "but", "although", "though", "because", "so", "then",
        "and", "when", "while", "until", "after", "before", "which", "who", "that"])


    # Rules plus model (see coder/decide.py): a rule hit the model gives less than
    # model_low is disputed, less than model_drop is not proposed; a code no rule found is
    # proposed (disputed) when the model gives it model_high or more.
    model_low: float = Field(default=0.6, ge=0, le=1)
    model_drop: float = Field(default=0.5, ge=0, le=1)
    model_high: float = Field(default=0.2, ge=0, le=1)
    # Typology: an axis is disputed when P(success) is within this of 0.5, or when it rests
    # on fewer coded segments than typology_min_evidence.
    typology_margin: float = Field(default=0.1, ge=0, le=0.5)
    typology_min_evidence: int = Field(default=3, ge=0)
    # Pairs of codes that cannot both hold for one segment: both are disputed when they meet.
    contradictions: list[tuple[str, str]] = Field(default_factory=list)


class Codebook(_Strict):
    version: str
    name: str
    description: str = ""
    settings: Settings = Field(default_factory=Settings)
    categories: list[Category] = Field(min_length=1)

    @property
    def codes(self) -> list[Code]:
        return [c for cat in self.categories for c in cat.codes]

    def code(self, code_id: str) -> Code:
        for c in self.codes:
            if c.id == code_id:
                return c
        raise KeyError(code_id)

    @property
    def hash(self) -> str:
        """Hash of the validated content: formatting and comments do not change it."""
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _path_of(loc: tuple[Any, ...], data: Any) -> str:
    """Render a pydantic error location as `codes -> motive.economic -> patterns[2]`."""
    parts: list[str] = []
    node = data
    i = 0
    while i < len(loc):
        key = loc[i]
        nxt = loc[i + 1] if i + 1 < len(loc) else None
        child = node.get(key) if isinstance(node, dict) else None
        if key in ("categories", "codes") and isinstance(nxt, int) and isinstance(child, list):
            item = child[nxt] if nxt < len(child) else None
            ident = item.get("id") if isinstance(item, dict) else None
            parts += [str(key), str(ident) if ident else f"[{nxt}]"]
            node, i = item, i + 2
        elif isinstance(nxt, int):
            parts.append(f"{key}[{nxt}]")
            node = child[nxt] if isinstance(child, list) and nxt < len(child) else None
            i += 2
        else:
            parts.append(str(key))
            node, i = child, i + 1
    if parts[:1] == ["categories"] and parts[2:3] == ["codes"]:
        parts = parts[2:]  # a code id is unique on its own: "codes -> motive.economic -> ..."
    return " -> ".join(parts) if parts else "(top level)"


def _message(err: dict[str, Any]) -> str:
    kind, msg = err["type"], err["msg"]
    if kind == "missing":
        return "missing required field"
    if kind == "extra_forbidden":
        return "unknown key"
    return msg.removeprefix("Value error, ")


def _cross_checks(book: Codebook) -> list[str]:
    """Checks across codes that pydantic's per-field validation cannot see."""
    errors: list[str] = []
    seen: set[str] = set()
    cat_ids: set[str] = set()
    for cat in book.categories:
        if cat.id in cat_ids:
            errors.append(f"categories -> {cat.id}: duplicate category id")
        cat_ids.add(cat.id)
        for code in cat.codes:
            where = f"codes -> {code.id}"
            if code.id in seen:
                errors.append(f"{where}: duplicate code id")
            seen.add(code.id)
            if code.category != cat.id:
                errors.append(f"{where}: id must start with its category '{cat.id}.'")
            if cat.id in POLAR_CATEGORIES and code.polarity is None:
                errors.append(f"{where} -> polarity: missing (1 or -1 on {cat.id} codes)")
            if cat.id not in POLAR_CATEGORIES and code.polarity is not None:
                errors.append(f"{where} -> polarity: only material and mental codes carry one")
    for k, pair in enumerate(book.settings.contradictions):
        for code in pair:
            if code not in seen:
                errors.append(f"settings -> contradictions[{k}]: unknown code {code!r}")
    s = book.settings
    if s.model_drop > s.model_low:
        errors.append("settings: model_drop must not be above model_low")
    return errors


def parse_codebook(data: Any, name: str = "codebook.yaml") -> Codebook:
    """Validate already-parsed YAML data; raise CodebookError with one message per problem."""
    if not isinstance(data, dict):
        raise CodebookError(name, ["(top level): expected a mapping with 'categories'"])
    try:
        book = Codebook.model_validate(data)
    except ValidationError as exc:
        msgs = [f"{_path_of(e['loc'], data)}: {_message(e)}" for e in exc.errors()]
        raise CodebookError(name, list(dict.fromkeys(msgs))) from None
    problems = _cross_checks(book)
    if problems:
        raise CodebookError(name, problems)
    return book


def load_codebook(path: Path | str) -> Codebook:
    """Read and validate a codebook file."""
    path = Path(path)
    name = path.name
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CodebookError(str(path), ["file not found"]) from None
    except OSError as exc:
        raise CodebookError(str(path), [f"cannot read ({exc.strerror})"]) from None
    try:
        data = yaml.safe_load(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise CodebookError(name, ["not UTF-8 text"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(top level)"
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise CodebookError(name, [f"{where}: {problem}"]) from None
    return parse_codebook(data, name)
