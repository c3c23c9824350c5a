"""The models built from the bundled sample, shipped with coder so a first run needs no training.

`coder/models/sample.zip` holds `meta.json` (the codebook hash, a hash of the gold
interviews it learned from, the training summary) and the two skops blobs, exactly as the
project database keeps them. `scripts/build_model.py` rebuilds it; a test fails when the
codebook or the sample's gold has changed since.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BUNDLED_PATH = Path(__file__).resolve().parent / "models" / "sample.zip"


@dataclass
class Bundled:
    codebook_hash: str
    gold_hash: str
    summary: dict[str, Any]
    segment: bytes
    typology: bytes | None


def gold_hash(folder: Path) -> str:
    """A hash of a folder's gold interviews (*.json): names and contents, in name order."""
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.json")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def write_bundled(path: Path, bundled: Bundled) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"codebook_hash": bundled.codebook_hash, "gold_hash": bundled.gold_hash,
            "summary": bundled.summary}
    # Fixed member dates: the same models give the same file.
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, data in (("meta.json", json.dumps(meta, indent=1, sort_keys=True).encode()),
                           ("segment.skops", bundled.segment),
                           ("typology.skops", bundled.typology)):
            if data is not None:
                z.writestr(zipfile.ZipInfo(name, (2000, 1, 1, 0, 0, 0)), data,
                           zipfile.ZIP_DEFLATED)


def read_bundled(path: Path = BUNDLED_PATH) -> Bundled | None:
    """The shipped models, or None when there are none (or the file is unreadable: then
    the models are trained instead, as for any other codebook)."""
    try:
        with zipfile.ZipFile(path) as z:
            meta = json.loads(z.read("meta.json"))
            names = set(z.namelist())
            return Bundled(str(meta["codebook_hash"]), str(meta["gold_hash"]),
                           dict(meta.get("summary") or {}), z.read("segment.skops"),
                           z.read("typology.skops") if "typology.skops" in names else None)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
