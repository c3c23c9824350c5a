"""Speaker labels and interviewer detection."""

from __future__ import annotations

from pathlib import Path

import pytest

from coder.ingest import read
from coder.ingest.speakers import interviewer_keys, is_usual_interviewer, parse_label


@pytest.mark.parametrize("line, speaker, text, stamp", [
    ("I: hello", "I", "hello", None),
    ("Mr. Park: hi", "Mr. Park", "hi", None),
    ("Kim Young-ho: yes", "Kim Young-ho", "yes", None),
    ("MRS. HAN: no", "MRS. HAN", "no", None),
    ("Interviewer 2: and?", "Interviewer 2", "and?", None),
    ("김영호: 네", "김영호", "네", None),
    ("[00:12:05] Interviewer: q", "Interviewer", "q", "00:12:05"),
    ("[12:05] A: a", "A", "a", "12:05"),
    ("(00:12:05) Mrs. Han: a", "Mrs. Han", "a", "00:12:05"),
    ("00:12:05 Q: x", "Q", "x", "00:12:05"),
    ("Note: accepted as a speaker", "Note", "accepted as a speaker", None),
    ("Interviewer:", "Interviewer", "", None),
])
def test_labels(line: str, speaker: str, text: str, stamp: str | None) -> None:
    label = parse_label(line)
    assert label is not None
    assert (label.speaker, label.text, label.timestamp) == (speaker, text, stamp)


@pytest.mark.parametrize("line", [
    "He said: go", "So I said: no", "I think: maybe", "http://example.org", "12:05",
    "Time 10:30 was late", "One Two Three Four Five: too many words", "A" * 41 + ": too long",
    "just text", "",
])
def test_not_labels(line: str) -> None:
    assert parse_label(line) is None


@pytest.mark.parametrize("name", ["Interviewer", "interviewer", "I", "Q", "Int", "INT.", "Moderator",
                                  "Researcher", "Interviewer 1", "  interviewer  "])
def test_usual_interviewer_labels(name: str) -> None:
    assert is_usual_interviewer(name)


@pytest.mark.parametrize("name", ["R", "A", "Informant", "Resp", "Mrs. Han", "Interviewee"])
def test_not_usual_interviewer_labels(name: str) -> None:
    assert not is_usual_interviewer(name)


def test_interviewer_keys_order() -> None:
    speakers = ["Dr. Seo", "Mrs. Han", "I"]
    assert interviewer_keys(speakers, "dr.  seo", "Mrs. Han") == {"dr. seo"}
    assert interviewer_keys(speakers, None, "MRS. HAN") == {"mrs. han"}
    assert interviewer_keys(speakers, "Nobody", None) == {"i"}  # a name that matches no one falls back
    assert interviewer_keys(speakers, ["Dr. Seo", "I"], None) == {"dr. seo", "i"}


def write(tmp_path: Path, body: str, name: str = "t.txt") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def roles(path: Path, interviewer: str | None = None) -> list[tuple[str, bool]]:
    return [(t.speaker, t.is_interviewer) for t in read(path, interviewer=interviewer).turns]


def test_front_matter_interviewer_wins(tmp_path: Path) -> None:
    p = write(tmp_path, "---\ninterviewer: Dr. Seo\n---\nDr. Seo: How?\nMrs. Han: Like this.\n"
                        "Interviewer: (assistant) Thanks.\n")
    assert roles(p, interviewer="Mrs. Han") == [
        ("Dr. Seo", True), ("Mrs. Han", False), ("Interviewer", False)]


def test_argument_interviewer(tmp_path: Path) -> None:
    p = write(tmp_path, "Mr.  Park: How?\nLee: Like this.\nMr. Park: Thanks.\n")
    assert roles(p, interviewer="mr. park") == [("Mr. Park", True),
                                               ("Lee", False), ("Mr. Park", True)]
    assert roles(p) == [("Mr. Park", False), ("Lee", False), ("Mr. Park", False)]


@pytest.mark.parametrize("label", ["Interviewer", "I", "Q", "Int", "Moderator", "Researcher", "INTERVIEWER"])
def test_usual_labels_detected_in_files(tmp_path: Path, label: str) -> None:
    p = write(tmp_path, f"{label}: How?\nMrs. Han: Like this.\n")
    assert roles(p) == [(label, True), ("Mrs. Han", False)]


def test_informant_id_from_front_matter_number(tmp_path: Path) -> None:
    p = write(tmp_path, "---\ninformant: 7\n---\nI: How?\nR: Fine.\n", "other.txt")
    assert read(p).informant_id == "7"
    q = write(tmp_path, "I: How?\nR: Fine.\n", "S12.txt")
    assert read(q).informant_id == "S12"


def test_unnamed_interviewer_is_the_speaker_who_asks(tmp_path):
    from coder import ingest

    p = tmp_path / "generic.txt"
    p.write_text("Speaker 1: Where were you born?\nSpeaker 2: In Hyesan, near the river.\n"
                 "Speaker 1: And when did you leave?\nSpeaker 2: In 1997. Why do you ask?\n"
                 "Speaker 1: Did you go alone?\nSpeaker 2: With my aunt.\n", encoding="utf-8")
    t = ingest.read(p)
    assert [x.speaker for x in t.turns if x.is_interviewer] == ["Speaker 1"] * 3
    assert [x.speaker for x in t.informant_turns] == ["Speaker 2"] * 3


def test_no_guess_when_nobody_clearly_asks(tmp_path):
    from coder import ingest

    p = tmp_path / "talk.txt"
    p.write_text("Ann: Was it cold?\nBo: Was it? Yes.\nAnn: I think so.\nBo: Really?\n",
                 encoding="utf-8")
    t = ingest.read(p)
    assert not any(x.is_interviewer for x in t.turns)
