"""Every text encoding the readers accept, and newline styles."""

from __future__ import annotations

import codecs
import hashlib
from pathlib import Path

import pytest

from coder.ingest import read

HANGUL = "I: 언제 한국에 오셨어요?\nR: 저는 1996년 겨울에 왔어요. 처음에는 정말 힘들었어요.\n"
WESTERN = ("I: Where were you born?\n"
           "R: In S\u00e3o Paulo \u2014 \u201cthe city\u201d, near the caf\u00e9. It\u2019s true, na\u00efve me.\n")


@pytest.mark.parametrize("text, data", [
    (WESTERN, WESTERN.encode("utf-8")),
    (WESTERN, codecs.BOM_UTF8 + WESTERN.encode("utf-8")),
    (HANGUL, HANGUL.encode("utf-16")),                      # little-endian with BOM
    (HANGUL, codecs.BOM_UTF16_BE + HANGUL.encode("utf-16-be")),
    (HANGUL, HANGUL.encode("cp949")),
    (HANGUL, HANGUL.encode("euc-kr")),
    (WESTERN, WESTERN.encode("cp1252")),
    (WESTERN, WESTERN.replace("\n", "\r\n").encode("utf-8")),
    (WESTERN, WESTERN.replace("\n", "\r").encode("cp1252")),
], ids=["utf8", "utf8-bom", "utf16le-bom", "utf16be-bom", "cp949", "euc-kr", "cp1252", "crlf", "cr-cp1252"])
def test_encodings_decode_exactly(tmp_path: Path, text: str, data: bytes) -> None:
    path = tmp_path / "enc.txt"
    path.write_bytes(data)
    t = read(path)
    expected = [line.split(": ", 1)[1] for line in text.strip().split("\n")]
    assert [x.text for x in t.turns] == expected
    assert [x.is_interviewer for x in t.turns] == [True, False]
    assert [x.line for x in t.turns] == [1, 2]
    assert t.content_hash == hashlib.sha256(data).hexdigest()


def test_cp949_front_matter_and_speaker_names(tmp_path: Path) -> None:
    body = ("---\ninformant: 김01\npseudonym: 한씨\n---\n면담자: 고향이 어디세요?\n"
            "한씨: 회령이에요. 국경 근처예요.\n")
    path = tmp_path / "k.md"
    path.write_bytes(body.encode("cp949"))
    t = read(path, interviewer="면담자")
    assert t.informant_id == "김01" and t.meta["pseudonym"] == "한씨"
    assert [(x.speaker, x.is_interviewer) for x in t.turns] == [("면담자", True), ("한씨", False)]
    assert t.turns[1].text == "회령이에요. 국경 근처예요."


def test_crlf_webvtt_in_utf16(tmp_path: Path) -> None:
    body = "WEBVTT\r\n\r\n00:00:01.000 --> 00:00:02.000\r\n<v Interviewer>Où?\r\n\r\n" \
           "00:00:02.000 --> 00:00:03.000\r\n<v Mme Han>À Séoul.\r\n"
    path = tmp_path / "c.vtt"
    path.write_bytes(body.encode("utf-16"))
    t = read(path)
    assert [(x.speaker, x.text, x.line) for x in t.turns] == [
        ("Interviewer", "Où?", 3), ("Mme Han", "À Séoul.", 6)]
