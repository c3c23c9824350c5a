"""Human-coded interviews (the sample's gold files, the development set's JSON).

Both use one shape: `id`, optional `meta`, `quadrant`, `material`, `mental`, and `turns`, each
with `speaker` ("I" interviewer or "R" informant), `text` and, on informant turns, `codes`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UsageError
from .transcript import Transcript

QUADRANTS = ("integration", "isolation", "acculturation", "marginality")


@dataclass
class GoldInterview:
    id: str
    turns: list[tuple[str, str, list[str]]]        # (speaker I/R, text, codes)
    quadrant: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def transcript(self) -> Transcript:
        """The interview as coder reads it, turn for turn."""
        return Transcript.build(f"gold:{self.id}", "gold", self.id, "", self.meta,
                                [(s, t, s == "I", None, None) for s, t, _ in self.turns])


def _parse(data: Any, where: str) -> GoldInterview:
    if not isinstance(data, dict) or not isinstance(data.get("turns"), list):
        raise UsageError(f"{where}: not a gold interview (needs 'id' and 'turns')")
    turns = []
    for k, turn in enumerate(data["turns"]):
        if not isinstance(turn, dict) or turn.get("speaker") not in ("I", "R") \
                or not isinstance(turn.get("text"), str):
            raise UsageError(f"{where}: turns[{k}] needs speaker I or R and a text")
        turns.append((turn["speaker"], turn["text"], list(turn.get("codes") or [])))
    quadrant = data.get("quadrant")
    if quadrant is not None and quadrant not in QUADRANTS:
        raise UsageError(f"{where}: unknown quadrant {quadrant!r}")
    return GoldInterview(str(data.get("id") or Path(where).stem), turns, quadrant,
                         dict(data.get("meta") or {}))


def load_gold(path: Path) -> list[GoldInterview]:
    """Every gold interview in a folder (its *.json files) or one file, sorted by id."""
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    if not path.exists() or not files:
        raise UsageError(f"{path}: no gold files (*.json) found")
    out = []
    for f in files:
        try:
            data = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, UnicodeError, json.JSONDecodeError) as exc:
            raise UsageError(f"{f}: cannot read gold file ({type(exc).__name__})") from None
        out.append(_parse(data, str(f)))
    return sorted(out, key=lambda g: g.id)


def default_gold_dir() -> Path | None:
    """The bundled sample's gold, when coder runs from a checkout."""
    path = Path(__file__).resolve().parent.parent / "transcripts_sample" / "gold"
    return path if path.is_dir() else None
