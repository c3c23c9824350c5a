"""Code a batch of transcripts end to end (ingest, segment, rules, model, store), train the
models, and place informants in the typology."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path

from spacy.language import Language

from . import ingest
from .bundled import read_bundled
from .codebook import Codebook, Settings
from .decide import apply_model_many, mark_contradictions
from .errors import TranscriptError, UsageError
from .evaluate import Models, fit_models, human_labels
from .gold import default_gold_dir, load_gold
from .model import CodebookMismatch, ModelError, SegmentModel
from .nlp import build_nlp
from .saver import Saver
from .segment import code_transcripts
from .store import Store
from .transcript import Segment, Transcript
from .train import parse_gold
from .typology import (Placement, items_from_rows, place_many, typology_from_bytes,
                       typology_to_bytes)


@dataclass
class Skipped:
    path: str
    reason: str


@dataclass
class RunSummary:
    run_id: int = 0
    files: int = 0
    coded: int = 0
    unchanged: int = 0
    segments: int = 0
    informants: set[str] = field(default_factory=set)
    by_category: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    skipped: list[Skipped] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


# Called before each file is read with (index, total, display path); the CLI draws a
# progress bar. Reading runs up to a batch of files ahead of saving.
Progress = Callable[[int, int, str], None]

# Documents the model decides together: one call per batch keeps scikit-learn's per-call
# overhead small. A crash loses the documents not yet saved: this batch, and those waiting
# for the saving process (see saver.QUEUE_DOCUMENTS).
MODEL_BATCH = 32

# From this many files on, documents are saved by a process of their own (see saver.py).
BACKGROUND_SAVE_FILES = 16


def display_path(path: Path) -> str:
    """The path as stored and shown: relative to the working directory when it is below it."""
    full = path.resolve()
    try:
        rel = os.path.relpath(full)
    except ValueError:  # another drive on Windows
        return full.as_posix()
    return full.as_posix() if rel.startswith("..") else Path(rel).as_posix()


def code_paths(
    paths: Iterable[Path],
    book: Codebook,
    store: Store,
    codebook_path: str,
    interviewer: str | None = None,
    spacy_model: str | None = None,
    progress: Progress | None = None,
    rules_only: bool = False,
) -> RunSummary:
    """Code every transcript under `paths` into `store`. Unreadable files are skipped and
    listed in the summary; files are read and parsed a batch at a time (see
    `code_transcripts`), and each finished document is committed on its own."""
    try:
        files = list(ingest.iter_files(paths))
    except TranscriptError as exc:  # a path that does not exist is a usage error
        raise UsageError(str(exc)) from None
    summary = RunSummary(files=len(files))
    models: Models | None = None
    book_hash = book.hash  # serialises the whole codebook: compute it once per run
    store.record_codebook(book_hash, codebook_path, book.version)
    summary.run_id = store.start_run(book_hash, {"interviewer": interviewer,
                                                 "spacy_model": spacy_model,
                                                 "rules_only": rules_only})

    def to_code() -> Iterator[Transcript]:
        """Read each file; yield those that changed since they were last coded."""
        coded: dict[str, str] = {}  # path -> content hash of what this run codes
        for n, path in enumerate(files):
            shown = display_path(path)
            if progress:
                progress(n, len(files), shown)
            try:
                transcript = ingest.read(path, interviewer=interviewer, display_path=shown)
            except TranscriptError as exc:
                summary.skipped.append(Skipped(shown, exc.reason if exc.line is None
                                               else f"line {exc.line}: {exc.reason}"))
                continue
            summary.informants.add(transcript.informant_id)
            # A path given twice: its first copy may still wait in the batch being parsed.
            state = ((coded[shown], book_hash) if shown in coded
                     else store.document_state(shown))
            if state == (transcript.content_hash, book_hash):
                summary.unchanged += 1
                continue
            coded[shown] = transcript.content_hash
            yield transcript

    try:
        pending = to_code()
        first = next(pending, None)
        if first is not None:  # loading spaCy takes a moment; not needed when nothing changed
            nlp = build_nlp(book, spacy_model)
            if not rules_only:
                models = project_models(store, book, lambda: nlp, summary.notices)
            coded = code_transcripts(nlp, book, chain([first], pending))
            with Saver(store, background=len(files) >= BACKGROUND_SAVE_FILES) as saver:
                for transcript, segments in _decided(coded, models, book.settings):
                    saver.save(summary.run_id, transcript, segments, book_hash)
                    _count(summary, segments)
        if progress:
            progress(len(files), len(files), "")
    except BaseException:
        store.finish_run(summary.run_id, _as_dict(summary), status="failed")
        raise
    store.finish_run(summary.run_id, _as_dict(summary))
    return summary


def _count(summary: RunSummary, segments: list[Segment]) -> None:
    summary.coded += 1
    summary.segments += len(segments)
    for seg in segments:
        for a in seg.assignments:
            summary.by_category[a.code.split(".", 1)[0]] += 1
            summary.by_status[a.status] += 1


def _decided(coded: Iterable[tuple[Transcript, list[Segment]]], models: Models | None,
             settings: Settings) -> Iterator[tuple[Transcript, list[Segment]]]:
    """Statuses for the rule assignments: with the model, a batch of documents at a time."""
    if models is None:
        for transcript, segments in coded:
            for seg in segments:
                mark_contradictions(seg, settings)
            yield transcript, segments
        return
    stream = iter(coded)
    while batch := list(islice(stream, MODEL_BATCH)):
        apply_model_many(models.segment, batch, settings)
        yield from batch


def _as_dict(s: RunSummary) -> dict[str, object]:
    return {"files": s.files, "coded": s.coded, "unchanged": s.unchanged,
            "segments": s.segments, "informants": len(s.informants),
            "by_category": dict(s.by_category), "by_status": dict(s.by_status),
            "skipped": [{"path": k.path, "reason": k.reason} for k in s.skipped]}


def train_models(store: Store, book: Codebook, nlp: Language, gold: Path | None
                 ) -> Models | None:
    """Fit both models on gold interviews and people's decisions, and keep them in the
    project for this codebook version. None when there is nothing to learn from."""
    golds = load_gold(gold) if gold is not None else []
    human = human_labels(nlp, book, list(store.human_turn_labels()))
    if not golds and not human:
        return None
    models = fit_models(book, parse_gold(nlp, book, golds), human)
    summary = dict(models.segment.summary, gold=str(gold) if gold else None)
    store.save_model(book.hash, summary, models.segment.to_bytes(),
                     typology_to_bytes(models.typology) if models.typology else None)
    return models


def project_models(store: Store, book: Codebook, nlp: Callable[[], Language],
                   notices: list[str]) -> Models | None:
    """The project's models for this codebook. When there are none yet: the models shipped
    with coder if they were built for this codebook and nobody has made a decision in the
    project yet, else trained on the bundled sample (40 to 50 seconds; only then is `nlp`
    called for the pipeline)."""
    stored = store.load_model(book.hash)
    if stored is not None:
        try:
            return _models(stored[0], stored[1], book, str(store.path))
        except CodebookMismatch:
            raise
        except ModelError as exc:  # unreadable, e.g. saved by an older coder: replace it
            notices.append(f"{exc}; it is replaced")
    shipped = read_bundled()
    if shipped is not None and shipped.codebook_hash == book.hash and \
            next(store.human_turn_labels(), None) is None:
        try:
            models = _models(shipped.segment, shipped.typology, book, "bundled model")
        except ModelError:
            pass  # a damaged install: train instead
        else:
            store.save_model(book.hash, dict(shipped.summary, bundled=True), shipped.segment,
                             shipped.typology)
            notices.append(f"using the model shipped with coder for codebook {book.hash} "
                           "(built from the bundled sample; 'coder train' retrains it)")
            return models
    older = store.model_versions()
    if older:
        notices.append(f"the stored model was built for codebook {older[0]}; this codebook "
                       f"is {book.hash}, so a new one is trained")
    models = train_models(store, book, nlp(), default_gold_dir())
    if models is None:
        notices.append("no gold interviews to learn from: rules only (see 'coder train')")
    else:
        notices.append(f"trained the model for codebook {book.hash} from "
                       f"{models.segment.summary.get('examples', 0)} coded turns")
    return models


def _models(segment: bytes, typology: bytes | None, book: Codebook, where: str) -> Models:
    return Models(SegmentModel.from_bytes(segment, book.hash, where=f"{where}: segment model"),
                  typology_from_bytes(typology, f"{where}: typology model") if typology
                  else None)


def classify(store: Store, book: Codebook,
             nlp: Callable[[], Language] | None = None) -> list[Placement]:
    """Place every informant in the typology and store the placements (a person's own
    placement is kept as it is). `nlp` builds the pipeline, needed only when the project has
    no model for this codebook yet and one must be trained."""
    stored = store.load_model(book.hash)
    if stored is None and nlp is not None:
        models = project_models(store, book, nlp, [])
        typology = models.typology if models else None
    else:
        typology = typology_from_bytes(stored[1], f"{store.path}: typology model") \
            if stored and stored[1] else None
    placements = place_many([(inf, items_from_rows(rows), meta)
                             for inf, meta, rows in store.informant_evidence()], book, typology)
    store.save_placements([placement_row(p) for p in placements])
    return placements


def placement_row(p: Placement) -> dict[str, object]:
    return {"informant_id": p.informant, "quadrant": p.quadrant, "material": p.material,
            "mental": p.mental, "material_score": p.material_score,
            "mental_score": p.mental_score, "confidence": p.confidence,
            "disputed": p.disputed, "reasons": p.reasons,
            "evidence": {axis: [{"segment_id": i.segment_id, "code": i.code,
                                 "weight": round(i.weight, 3)} for i in items]
                         for axis, items in p.evidence.items()}}
