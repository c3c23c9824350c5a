"""The bundled sample: what coder reads lines up with the gold, and it covers what it must."""

import json
import re
from pathlib import Path

import pytest

from coder import ingest

ROOT = Path(__file__).parent.parent
GOLD = sorted((ROOT / "transcripts_sample" / "gold").glob("*.json"))
INTERVIEWS = ROOT / "transcripts_sample" / "interviews"


def norm(text: str) -> str:
    return " ".join(text.split())


def test_at_least_twelve_interviews():
    assert len(GOLD) >= 12
    assert len(list(INTERVIEWS.iterdir())) == len(GOLD)


@pytest.mark.parametrize("gold_path", GOLD, ids=lambda p: p.stem)
def test_rendered_interview_matches_its_gold(gold_path):
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    (path,) = INTERVIEWS.glob(gold["id"] + ".*")
    t = ingest.read(path)
    assert t.informant_id == gold["id"]
    assert [norm(x.text) for x in t.informant_turns] == [
        norm(x["text"]) for x in gold["turns"] if x["speaker"] == "R"]
    assert sum(x.is_interviewer for x in t.turns) == sum(x["speaker"] == "I" for x in gold["turns"])


def test_sample_covers_formats_quadrants_and_codes():
    golds = [json.loads(p.read_text(encoding="utf-8")) for p in GOLD]
    formats = {ingest.read(p).format for p in INTERVIEWS.iterdir()}
    assert formats == {"text", "markdown", "otter", "webvtt", "subrip", "docx"}
    assert {g["quadrant"] for g in golds} == {"integration", "isolation", "acculturation",
                                              "marginality"}
    spec = ROOT.parent / "shared" / "codebook-spec.md"
    used = {c for g in golds for x in g["turns"] for c in x.get("codes", [])}
    if spec.exists():
        want = set(re.findall(r"^\| ((?:motive|route|sponsor|discrimination|material|mental)"
                              r"\.[a-z_]+) \|", spec.read_text(), re.M))
        assert want <= used
    assert {c.split(".")[0] for c in used} == {"motive", "route", "sponsor", "discrimination",
                                               "material", "mental"}
