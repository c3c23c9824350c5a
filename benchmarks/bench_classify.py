"""How long `coder classify` takes on a project of many informants (issue 3: seconds, not
minutes, for 1,000).

Usage: python benchmarks/bench_classify.py [--informants 1000] [--workdir DIR]

Builds one interview per informant from the bundled sample (as bench_code.py does), codes
them with rules alone (only to fill the project; not timed), then times placing every
informant through the command line twice: the first run copies the shipped models into the
project, the second finds them there. Prints the times and the count per quadrant.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from bench_code import build_corpus  # noqa: E402

WORDS_PER_INTERVIEW = 2_100  # what build_corpus writes per file, on average


def coder(*args: str) -> float:
    """Run a coder command from the checkout; its wall time in seconds."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "coder", *args], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--informants", type=int, default=1000)
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="coder-bench-classify-"))
    corpus, db = work / "corpus", work / "classify.db"
    shutil.rmtree(corpus, ignore_errors=True)
    db.unlink(missing_ok=True)
    build_corpus(corpus, args.informants * WORDS_PER_INTERVIEW)
    codebook = str(ROOT / "codebook.yaml")
    coded = coder("code", str(corpus), "--db", str(db), "--codebook", codebook, "--rules-only")
    first = coder("classify", "--db", str(db), "--codebook", codebook)
    second = coder("classify", "--db", str(db), "--codebook", codebook)

    from coder.store import Store

    with Store(db) as store:
        placed = Counter(row["quadrant"] for row in store.placements())
    total = sum(placed.values())
    print(f"informants: {total} ({work}); coding them, rules only: {coded:.1f} s")
    print(f"coder classify, first run (shipped models copied in): {first:.1f} s")
    print(f"coder classify, again: {second:.1f} s ({1000 * second / max(total, 1):.1f} ms "
          f"per informant, start-up included)")
    print("placed: " + ", ".join(f"{q} {n}" for q, n in placed.most_common()))
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
