"""Speed and memory of `coder code` against spaCy's bare tokenizer, on a >= 1M-word corpus.

Usage: python benchmarks/bench_code.py [--words 1000000] [--workdir DIR] [--keep]

Builds a varied corpus from the bundled sample (every document a new mix of turns from
different interviews, sentences reordered, informants renamed), then in one run:
  1. times bare `nlp.tokenizer.pipe` over every turn's text of the corpus;
  2. with the model, trains it once in a child process (the one-off work of a first run,
     timed and measured apart);
  3. runs the whole coding job (read, parse, segment, rules, model, store) in a child process,
     timed inside it, then once more through the `coder code` command line, start-up (and
     with the model, first-run training) included;
and prints words per second for each, the ratios, and the children's peak RSS.
Targets: coder within 3x the tokenizer's time with rules only (--rules-only), 4x with rules
and model; peak RSS under 500 MB at any size.
"""

from __future__ import annotations

import argparse
import json
import random
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


_CHILD = """
import glob, json, resource, sys, threading, time
from pathlib import Path
from coder.codebook import load_codebook
from coder.gold import default_gold_dir
from coder.nlp import build_nlp
from coder.pipeline import code_paths, train_models
from coder.store import Store
corpus, db, codebook = map(Path, sys.argv[1:4])
step = sys.argv[4]
book = load_codebook(codebook)
saver_peak, done = [0.0], threading.Event()

def watch_children():
    # The saving process's own high-water mark (Linux /proc). getrusage's RUSAGE_CHILDREN
    # would count the parent's pages the child shared between fork and exec.
    while not done.wait(0.05):
        for children in glob.glob("/proc/self/task/*/children"):
            for pid in open(children).read().split():
                try:
                    # only once it runs the saver: between fork and exec a child still
                    # shows the parent's pages (and command line, which holds this text:
                    # hence the NUL between the arguments)
                    if b"-m\\0coder.saver" not in open(f"/proc/{pid}/cmdline", "rb").read():
                        continue
                    status = open(f"/proc/{pid}/status").read()
                    kb = int(status.split("VmHWM:")[1].split()[0])
                    saver_peak[0] = max(saver_peak[0], kb / 1024)
                except (OSError, IndexError, ValueError):
                    pass

threading.Thread(target=watch_children, daemon=True).start()
with Store(db) as store:
    t0 = time.perf_counter()
    if step == "train":  # the one-off training of a first run, in a process of its own
        train_models(store, book, build_nlp(book), default_gold_dir())
        segments = 0
    else:
        segments = code_paths([corpus], book, store, str(codebook),
                              rules_only=step == "rules").segments
    t1 = time.perf_counter()
print(json.dumps({"seconds": t1 - t0, "segments": segments,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "saver_rss_mb": saver_peak[0]}))
"""


def _child(corpus: Path, db: Path, codebook: Path, step: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(corpus), str(db), str(codebook),
                          step], check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def time_coder(corpus: Path, db: Path, codebook: Path, rules_only: bool) -> dict[str, float]:
    """Run the coding job in a child process: its own timing of the run (parse, segment,
    rules, model, store; interpreter and imports excluded) and its peak RSS; with the
    model, the one-off training runs first in a child of its own (time and peak RSS apart);
    then the wall time of the same job through the `coder code` command line."""
    result: dict[str, float] = {}
    if not rules_only:
        train = _child(corpus, db, codebook, "train")
        result["train_seconds"], result["train_rss_mb"] = train["seconds"], train["rss_mb"]
    result.update(_child(corpus, db, codebook, "rules" if rules_only else "model"))
    db.unlink()  # the command line starts from scratch (with the models shipped with coder
    # for the bundled codebook; for any other codebook its wall time includes training)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "coder", "code", str(corpus), "--db", str(db),
                    "--codebook", str(codebook), *(["--rules-only"] if rules_only else [])],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    result["cli_seconds"] = time.perf_counter() - t0
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--words", type=int, default=1_000_000)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--keep", action="store_true", help="keep the corpus and database")
    ap.add_argument("--codebook", type=Path, default=ROOT / "codebook.yaml")
    ap.add_argument("--rules-only", action="store_true", help="time coding without the model")
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="coder-bench-"))
    corpus, db = work / "corpus", work / "bench.db"
    shutil.rmtree(corpus, ignore_errors=True)
    db.unlink(missing_ok=True)
    words, texts = build_corpus(corpus, args.words)
    files = len(list(corpus.iterdir()))
    tok = time_tokenizer(texts)
    del texts
    run = time_coder(corpus, db, args.codebook, args.rules_only)
    secs, cli = run["seconds"], run["cli_seconds"]
    print(f"corpus: {words:,} words in {files} files, {run['segments']:,} segments ({work})")
    print(f"bare tokenizer:        {tok:8.2f} s  {words / tok:12,.0f} words/s")
    print(f"coder code (the run):  {secs:8.2f} s  {words / secs:12,.0f} words/s")
    print(f"coder code (CLI wall): {cli:8.2f} s  {words / cli:12,.0f} words/s  (start-up"
          f"{'' if args.rules_only else ', and the shipped models or first-run training,'}"
          " included)")
    target = 3 if args.rules_only else 4
    print(f"ratio coder/tokenizer: {secs / tok:.2f}x run, {cli / tok:.2f}x CLI "
          f"(target <= {target}x {'rules only' if args.rules_only else 'rules and model'})")
    print(f"coder peak RSS: {run['rss_mb']:.0f} MB, plus {run['saver_rss_mb']:.0f} MB for its saving "
          f"process: {run['rss_mb'] + run['saver_rss_mb']:.0f} MB together (target < 500 MB)")
    if not args.rules_only:
        print(f"model training (first run with a codebook of your own, or `coder train`): "
              f"{run['train_seconds']:.1f} s, peak RSS {run['train_rss_mb']:.0f} MB")
    if not args.keep and args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
