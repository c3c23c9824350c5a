"""Speed and memory of `coder code` against spaCy's bare tokenizer, on a >= 1M-word corpus.

Usage: python benchmarks/bench_code.py [--words 1000000] [--workdir DIR] [--keep]

Builds a varied corpus from the bundled sample (every document a new mix of turns from
different interviews, sentences reordered, informants renamed), then in one run:
  1. times bare `nlp.tokenizer.pipe` over every turn's text of the corpus;
  2. runs the whole `coder code` (read, parse, segment, rules, store) as a child process;
and prints words per second for both, their ratio, and the child's peak RSS.
Targets: coder within 3x the tokenizer's time; peak RSS under 500 MB at any corpus size.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import spacy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coder import ingest  # noqa: E402


def sample_turns(sample: Path) -> list[tuple[bool, str]]:
    """(is_interviewer, text) of every turn in the sample, read the way coder reads them."""
    turns = []
    for path in ingest.iter_files([sample]):
        if path.suffix.lower() in ingest.SUPPORTED_SUFFIXES:
            turns += [(t.is_interviewer, t.text) for t in ingest.read(path).turns]
    return turns


def _shuffle_sentences(text: str, rng: random.Random) -> str:
    parts = [p for p in text.replace("? ", "?|").replace(". ", ".|").split("|") if p]
    rng.shuffle(parts)
    return " ".join(parts)


def build_corpus(out: Path, words: int, seed: int = 7) -> tuple[int, list[str]]:
    """Write labelled .txt interviews until `words` words; return (words, all turn texts)."""
    turns = sample_turns(ROOT / "transcripts_sample" / "interviews")
    questions = [t for q, t in turns if q]
    answers = [t for q, t in turns if not q]
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    total, n, texts = 0, 0, []
    while total < words:
        n += 1
        lines = [f"---\ninformant: B{n:05d}\nage: {rng.randint(20, 70)}\n---\n"]
        for _ in range(rng.randint(20, 40)):
            q = rng.choice(questions)
            a = _shuffle_sentences(rng.choice(answers), rng)
            texts += [q, a]
            total += len(q.split()) + len(a.split())
            lines.append(f"I: {q}\n\nR: {a}\n")
        (out / f"B{n:05d}.txt").write_text("\n".join(lines), encoding="utf-8")
    return total, texts


def time_tokenizer(texts: list[str]) -> float:
    nlp = spacy.blank("en")
    t0 = time.perf_counter()
    for _ in nlp.tokenizer.pipe(texts, batch_size=256):
        pass
    return time.perf_counter() - t0


def time_coder(corpus: Path, db: Path, codebook: Path) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of a `coder code` child process."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "coder", "code", str(corpus), "--db", str(db),
                    "--codebook", str(codebook)],
                   check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KB on Linux
    return seconds, peak_kb / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--words", type=int, default=1_000_000)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--keep", action="store_true", help="keep the corpus and database")
    ap.add_argument("--codebook", type=Path, default=ROOT / "codebook.yaml")
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="coder-bench-"))
    corpus, db = work / "corpus", work / "bench.db"
    shutil.rmtree(corpus, ignore_errors=True)
    db.unlink(missing_ok=True)
    words, texts = build_corpus(corpus, args.words)
    files = len(list(corpus.iterdir()))
    tok = time_tokenizer(texts)
    del texts
    secs, rss = time_coder(corpus, db, args.codebook)
    print(f"corpus: {words:,} words in {files} files ({work})")
    print(f"bare tokenizer: {tok:8.2f} s  {words / tok:12,.0f} words/s")
    print(f"coder code:     {secs:8.2f} s  {words / secs:12,.0f} words/s")
    print(f"ratio coder/tokenizer: {secs / tok:.2f}x (target <= 3x)")
    print(f"coder peak RSS: {rss:.0f} MB (target < 500 MB)")
    if not args.keep and args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
