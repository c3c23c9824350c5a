"""Bad inputs: each raises TranscriptError naming the file (and line), never quoting its text."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

import coder.ingest as ingest
from coder.errors import TranscriptError
from coder.ingest import read

SECRET = "Hoeryong smuggler Kwon"  # stands for content that must never reach an error message


def failure(path: Path, **kwargs: object) -> TranscriptError:
    with pytest.raises(TranscriptError) as info:
        read(path, display_path=f"shown/{path.name}", **kwargs)  # type: ignore[arg-type]
    err = info.value
    assert err.path == f"shown/{path.name}"
    assert str(err).startswith(f"shown/{path.name}")
    for word in SECRET.split():
        assert word not in str(err)
    return err


def put(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


@pytest.mark.parametrize("name, data, reason", [
    ("empty.txt", b"", "empty file"),
    ("blank.md", b"\xef\xbb\xbf \n\n\t\n", "empty file"),
    ("empty.vtt", b"", "empty file"),
    ("empty.docx", b"", "empty file"),
    ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + SECRET.encode(), "binary file"),
    ("controls.srt", bytes(range(1, 9)) * 20 + SECRET.encode(), "binary file"),
    ("noise.txt", bytes(range(0x80, 0x100)) * 3, "cannot decode text"),
    ("badbom.txt", b"\xef\xbb\xbfR: " + SECRET.encode() + b"\xff\xfe\xc0", "cannot decode text"),
    ("odd16.txt", b"\xff\xfeR\x00:\x00 \x00\x00\xd8", "cannot decode text"),
])
def test_unreadable_content(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    assert failure(put(tmp_path, name, data)).reason.startswith(reason)


def test_no_informant_speech(tmp_path: Path) -> None:
    err = failure(put(tmp_path, "i.txt", f"I: {SECRET}?\nInterviewer: {SECRET}.\n"))
    assert err.reason == "no informant speech found"


def test_only_named_interviewer_speaks(tmp_path: Path) -> None:
    err = failure(put(tmp_path, "n.txt", f"Dr. Seo: {SECRET}?\n"), interviewer="Dr. Seo")
    assert err.reason == "no informant speech found"


@pytest.mark.parametrize("name", ["prose.txt", "prose.md"])
def test_no_turns(tmp_path: Path, name: str) -> None:
    err = failure(put(tmp_path, name, f"We met {SECRET} at the market.\nhe said: nothing.\n"))
    assert err.reason.startswith("no speaker turns found")


@pytest.mark.parametrize("body, reason, line", [
    (f"---\ninformant: [{SECRET}\n---\nI: a\nR: b\n", "invalid YAML in front matter", 2),
    (f"---\n- {SECRET}\n---\nI: a\nR: b\n", "front matter must be a YAML mapping", 1),
    (f"---\ninformant: {SECRET}\nI: a\nR: b\n", "front matter has no closing '---' line", 1),
])
def test_bad_front_matter(tmp_path: Path, body: str, reason: str, line: int) -> None:
    err = failure(put(tmp_path, "fm.txt", body))
    assert err.reason.startswith(reason) and err.line == line
    assert str(err).startswith(f"shown/fm.txt:{line}: ")


@pytest.mark.parametrize("body, reason, line", [
    (f"1\n00:00:01.000 --> 00:00:02.000\n<v A>{SECRET}\n", "missing WEBVTT header", 1),
    (f"WEBVTT\n\n00:00:01 --> 00:00:02.000\n<v A>{SECRET}\n", "invalid cue timing", 3),
    (f"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v A>ok\n\n00:00:02.000 -> 00:00:03.000\n{SECRET}\n",
     "text outside a cue", 6),
    (f"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v A>{SECRET}\n00:00:02.000 --> 00:00:03.000\nx\n",
     "cue timing without a blank line", 5),
    ("WEBVTT\n\nNOTE nothing here\n", "no cues found", None),
])
def test_malformed_webvtt(tmp_path: Path, body: str, reason: str, line: int | None) -> None:
    err = failure(put(tmp_path, "bad.vtt", body))
    assert err.reason.startswith("malformed WebVTT: " + reason)
    assert err.line == line


def test_webvtt_without_speakers(tmp_path: Path) -> None:
    err = failure(put(tmp_path, "plain.vtt", f"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n{SECRET}\n"))
    assert err.reason.startswith("no speaker turns found")


@pytest.mark.parametrize("body, reason, line", [
    (f"1\n00:00:01,000 --> 00:00:02,000\nA: ok\n\n2\n00:00:02 --> 00:00:03,000\nB: {SECRET}\n",
     "invalid or missing cue timing", 6),
    (f"1\n00:00:01,000 --> 00:00:02,000\nA: ok\n\n2\nB: {SECRET}\n", "invalid or missing cue timing", 6),
    (f"A: {SECRET}\n", "expected a cue number", 1),
    (f"1\n00:00:01,000 --> 00:00:02,000\nA: ok\n\n00:00:02,000 -> 00:00:03,000\nB: {SECRET}\n",
     "invalid cue timing", 5),
])
def test_malformed_subrip(tmp_path: Path, body: str, reason: str, line: int) -> None:
    err = failure(put(tmp_path, "bad.srt", body))
    assert err.reason.startswith("malformed SubRip: " + reason)
    assert err.line == line


def _zip(members: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in members.items():
            z.writestr(name, text)
    return buf.getvalue()


@pytest.mark.parametrize("data", [
    SECRET.encode(),                                        # not a zip at all
    b"PK\x03\x04" + SECRET.encode() * 3,                    # broken zip
    _zip({"notes.txt": SECRET}),                            # a zip, but no Word document inside
    _zip({"[Content_Types].xml": "<Types " + SECRET}),      # broken package XML
])
def test_corrupt_docx(tmp_path: Path, data: bytes) -> None:
    assert failure(put(tmp_path, "bad.docx", data)).reason.startswith("corrupt or unreadable .docx file")


def test_unsupported_extension(tmp_path: Path) -> None:
    assert failure(put(tmp_path, "report.pdf", SECRET)).reason == "unsupported file type '.pdf'"
    assert failure(put(tmp_path, "README", SECRET)).reason == "unsupported file type (no extension)"


def test_missing_file_and_folder(tmp_path: Path) -> None:
    assert failure(tmp_path / "gone.txt").reason == "no such file or folder"
    folder = tmp_path / "dir.txt"
    folder.mkdir()
    assert failure(folder).reason == "is a folder, not a file"


def test_other_exceptions_are_converted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(data: bytes, where: str, suffix: str) -> object:
        raise ValueError(SECRET)

    monkeypatch.setitem(ingest._READERS, ".txt", explode)
    err = failure(put(tmp_path, "x.txt", "I: a\nR: b\n"))
    assert err.reason == "cannot read file (ValueError)"
    assert err.__cause__ is None and err.__suppress_context__
