#!/usr/bin/env python3
"""Rebuild the models shipped with coder (coder/models/sample.zip) from the bundled sample.

Run it after changing codebook.yaml or transcripts_sample/gold (a test fails until you do):

    python scripts/build_model.py [--codebook codebook.yaml] [--gold transcripts_sample/gold]

The models are the ones the first `coder code` would otherwise train on its own.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coder.bundled import BUNDLED_PATH, Bundled, gold_hash, write_bundled  # noqa: E402
from coder.codebook import load_codebook  # noqa: E402
from coder.errors import CoderError  # noqa: E402
from coder.evaluate import fit_models  # noqa: E402
from coder.gold import load_gold  # noqa: E402
from coder.nlp import build_nlp  # noqa: E402
from coder.train import parse_gold  # noqa: E402
from coder.typology import typology_to_bytes  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--codebook", type=Path, default=ROOT / "codebook.yaml")
    ap.add_argument("--gold", type=Path, default=ROOT / "transcripts_sample" / "gold")
    ap.add_argument("--out", type=Path, default=BUNDLED_PATH)
    args = ap.parse_args()
    started = time.perf_counter()
    book = load_codebook(args.codebook)
    nlp = build_nlp(book)
    models = fit_models(book, parse_gold(nlp, book, load_gold(args.gold)))
    gold = args.gold.resolve()
    summary = dict(models.segment.summary, gold=gold.relative_to(ROOT).as_posix()
                   if gold.is_relative_to(ROOT) else str(gold))
    write_bundled(args.out, Bundled(book.hash, gold_hash(args.gold), summary,
                                    models.segment.to_bytes(),
                                    typology_to_bytes(models.typology) if models.typology
                                    else None))
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB) for codebook {book.hash} "
          f"from {summary.get('examples', 0)} turns in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    try:
        main()
    except CoderError as exc:  # a bad codebook or gold folder: the message, no traceback
        sys.exit(f"error: {exc}")
