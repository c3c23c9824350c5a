"""Each input format read into turns: labels, names, timestamps, Markdown, Otter/Zoom, VTT, SRT, docx."""

from __future__ import annotations

import hashlib
from pathlib import Path

import docx
import pytest

from coder.ingest import read

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"


def turns_of(path: Path, **kwargs: object) -> list[tuple[str, str, bool, str | None, int | None]]:
    t = read(path, **kwargs)  # type: ignore[arg-type]
    return [(x.speaker, x.text, x.is_interviewer, x.timestamp, x.line) for x in t.turns]


def test_labels_with_front_matter_and_continuations() -> None:
    t = read(FIXTURES / "labels.txt")
    assert t.format == "text"
    assert t.informant_id == "K07"
    assert t.meta["pseudonym"] == "Mrs. Han" and t.meta["age"] == 41
    assert t.meta["interviewed"] == "2003-05-12"  # YAML dates become strings
    assert turns_of(FIXTURES / "labels.txt") == [
        ("I", "When did you come to Seoul?", True, None, 9),
        ("R", "In 1996, in the winter. It was very cold, and I had no coat. We stayed with my aunt.",
         False, None, 10),
        ("I", "And work?", True, None, 14),
        ("R", "He said: go to the factory. So I went.", False, None, 15),
    ]


def test_transcript_fields() -> None:
    path = FIXTURES / "labels.txt"
    t = read(path, display_path="sample/labels.txt")
    assert t.path == "sample/labels.txt"
    assert t.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert [x.index for x in t.turns] == [0, 1, 2, 3]
    assert all(t.text[x.start:x.end] == x.text for x in t.turns)
    assert [x.speaker for x in t.informant_turns] == ["R", "R"]
    assert read(path).path == str(path)


def test_name_labels_timestamps_and_preamble() -> None:
    assert turns_of(FIXTURES / "names.txt") == [
        ("Interviewer", "Please introduce yourselves.", True, "00:00:03", 3),
        ("Kim Young-ho", "I am Young-ho.", False, "00:00:07", 4),
        ("MRS. HAN", "And I am his wife.", False, "00:00:10", 5),
        ("Maria de Souza", "I translate for them.", False, "00:00:15", 6),
        ("Dr. Seo", "This line has no timestamp.", False, None, 7),
    ]
    assert read(FIXTURES / "names.txt").informant_id == "names"  # no front matter: file stem


def test_markdown_bold_labels_headings_and_wrapping() -> None:
    t = read(FIXTURES / "interview.md")
    assert t.format == "markdown" and t.informant_id == "M02"
    assert [(x.speaker, x.is_interviewer, x.line) for x in t.turns] == [
        ("Q", True, 9), ("A", False, 11), ("Q", True, 15), ("A", False, 17)]
    assert t.turns[1].text.startswith("Because of the hunger.")
    assert "river and he sent word" in t.turns[1].text and t.turns[1].text.endswith("in the spring.")
    assert t.turns[3].text == "Very hard."


def test_otter_export() -> None:
    t = read(FIXTURES / "otter.txt")
    assert t.format == "otter" and t.informant_id == "otter"
    assert turns_of(FIXTURES / "otter.txt") == [
        ("Interviewer", "Thanks for joining. Shall we start?", True, "0:03", 1),
        ("Ji-woo Park", "Yes, I am ready.", False, "0:09", 5),
        ("Interviewer", "Last question.", True, "1:02:03", 8),
        ("Ji-woo Park", "Thank you.", False, "1:02:10", 11),  # the otter.ai footer is dropped
    ]


def test_zoom_style_export_needs_interviewer_argument() -> None:
    rows = turns_of(FIXTURES / "zoom.txt", interviewer="speaker one")
    assert rows == [("Speaker One", "Hello there.", True, "00:00:03", 1),
                    ("Speaker Two", "Hi, nice to meet you.", False, "00:00:08", 4)]
    assert read(FIXTURES / "zoom.txt").format == "otter"


def test_webvtt_voice_tags_merge_consecutive_cues() -> None:
    t = read(FIXTURES / "voice.vtt")
    assert t.format == "webvtt"
    assert turns_of(FIXTURES / "voice.vtt") == [
        ("Interviewer", "Where were you born?", True, "00:00:05", 6),
        ("Mrs. Han", "In Hoeryong, near the border. It is a small city & very cold. We left in 1996.",
         False, "00:00:09", 10),
        ("Interviewer", "Why?", True, "00:00:18", 22),
    ]


def test_webvtt_name_prefixes() -> None:
    assert turns_of(FIXTURES / "prefix.vtt") == [
        ("Interviewer", "What did you do first?", True, "00:00:01", 3),
        ("Mr. Choi", "I looked for work. There was none at all.", False, "00:00:04", 6),
        ("Interviewer", "None?", True, "00:00:10", 13),
    ]


def test_webvtt_styles_comments_and_blank_looking_lines(tmp_path: Path) -> None:
    p = tmp_path / "s.vtt"
    p.write_text("WEBVTT - interview\nKind: captions\n\nSTYLE\n::cue { color: red }\n\n   \n\n"
                 "NOTE a comment\n\n00:01.000 --> 00:02.000 line:0 bogus:setting\n- <v Q>Why?\n"
                 "- <v A>Because.\n", encoding="utf-8")
    assert [(x.speaker, x.text, x.line) for x in read(p).turns] == [("Q", "Why?", 11), ("A", "Because.", 11)]


def test_subrip_upper_case_names_and_tags() -> None:
    t = read(FIXTURES / "sample.srt")
    assert t.format == "subrip"
    assert turns_of(FIXTURES / "sample.srt") == [
        ("INTERVIEWER", "How old were you?", True, "00:00:05", 2),
        ("MR. CHOI", "I was nineteen. My mother stayed behind. She was ill.", False, "00:00:09", 6),
        ("INTERVIEWER", "I see.", True, "00:00:17", 19),
    ]


def test_subrip_text_with_blank_line_inside_a_cue(tmp_path: Path) -> None:
    p = tmp_path / "gap.srt"
    p.write_text("1\n00:00:01,000 --> 00:00:02,000\nQ: Where?\n\n2\n00:00:02,000 --> 00:00:04,000\n"
                 "A: Here.\n\nAnd there.\n", encoding="utf-8")
    assert [x.text for x in read(p).turns] == ["Where?", "Here. And there."]


@pytest.mark.parametrize("name, body, fmt", [
    ("cues.txt", "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Q>Why?\n\n00:02.000 --> 00:03.000\n<v A>Because.\n",
     "webvtt"),
    ("cues.txt", "1\n00:00:01,000 --> 00:00:02,000\nQ: Why?\n\n2\n00:00:02,000 --> 00:00:03,000\nA: So.\n",
     "subrip"),
])
def test_txt_holding_captions_is_sniffed(tmp_path: Path, name: str, body: str, fmt: str) -> None:
    p = tmp_path / name
    p.write_text(body, encoding="utf-8")
    t = read(p)
    assert t.format == fmt
    assert [(x.speaker, x.is_interviewer) for x in t.turns] == [("Q", True), ("A", False)]


def test_docx_paragraphs(tmp_path: Path) -> None:
    d = docx.Document()
    d.add_heading("Interview D01", level=1)      # 1: ignored
    d.add_paragraph("")                          # 2: ignored
    d.add_paragraph("Recorded in Seoul.")        # 3: before the first label, ignored
    d.add_paragraph("Interviewer: Where did you go first?")  # 4
    d.add_paragraph("Mrs. Han: To my aunt.")     # 5
    d.add_paragraph("She lived in Incheon.")     # 6: continuation
    d.add_heading("Part two", level=2)           # 7: ignored
    p = d.add_paragraph("Interviewer: And then?")  # 8, with a soft break starting a new label
    p.add_run().add_break()
    p.add_run("Mrs. Han: Then Seoul.")
    path = tmp_path / "D01.docx"
    d.save(str(path))
    t = read(path)
    assert t.format == "docx" and t.informant_id == "D01"
    assert [(x.speaker, x.text, x.is_interviewer, x.line) for x in t.turns] == [
        ("Interviewer", "Where did you go first?", True, 4),
        ("Mrs. Han", "To my aunt. She lived in Incheon.", False, 5),
        ("Interviewer", "And then?", True, 8),
        ("Mrs. Han", "Then Seoul.", False, 8),
    ]


def test_suffix_is_case_insensitive(tmp_path: Path) -> None:
    p = tmp_path / "UPPER.TXT"
    p.write_text("I: Hi?\nR: Hello.\n", encoding="utf-8")
    assert read(p).format == "text"
