"""Code a batch of transcripts end to end: ingest, segment, rules, store."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from . import ingest
from .codebook import Codebook
from .errors import TranscriptError, UsageError
from .nlp import build_nlp
from .segment import code_transcript
from .store import Store


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


# Called before each file with (index, total, display path); the CLI draws a progress bar.
Progress = Callable[[int, int, str], None]


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
) -> RunSummary:
    """Code every transcript under `paths` into `store`. Unreadable files are skipped and
    listed in the summary; each finished document is committed on its own."""
    try:
        files = list(ingest.iter_files(paths))
    except TranscriptError as exc:  # a path that does not exist is a usage error
        raise UsageError(str(exc)) from None
    summary = RunSummary(files=len(files))
    nlp = None
    book_hash = book.hash  # serialises the whole codebook: compute it once per run
    store.record_codebook(book_hash, codebook_path, book.version)
    summary.run_id = store.start_run(book_hash, {"interviewer": interviewer,
                                                 "spacy_model": spacy_model})
    try:
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
            if store.document_state(shown) == (transcript.content_hash, book_hash):
                summary.unchanged += 1
                continue
            if nlp is None:  # loading spaCy takes a moment; not needed when nothing changed
                nlp = build_nlp(book, spacy_model)
            segments = code_transcript(nlp, book, transcript)
            store.save_document(summary.run_id, transcript, segments, book_hash)
            summary.coded += 1
            summary.segments += len(segments)
            for seg in segments:
                for a in seg.assignments:
                    summary.by_category[a.code.split(".", 1)[0]] += 1
                    summary.by_status[a.status] += 1
        if progress:
            progress(len(files), len(files), "")
    except BaseException:
        store.finish_run(summary.run_id, _as_dict(summary), status="failed")
        raise
    store.finish_run(summary.run_id, _as_dict(summary))
    return summary


def _as_dict(s: RunSummary) -> dict[str, object]:
    return {"files": s.files, "coded": s.coded, "unchanged": s.unchanged,
            "segments": s.segments, "informants": len(s.informants),
            "by_category": dict(s.by_category), "by_status": dict(s.by_status),
            "skipped": [{"path": k.path, "reason": k.reason} for k in s.skipped]}
