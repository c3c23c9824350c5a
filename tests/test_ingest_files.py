"""iter_files: direct files as given, folders walked in sorted order without hidden names."""

from __future__ import annotations

from pathlib import Path

import pytest

from coder.errors import TranscriptError
from coder.ingest import SUPPORTED_SUFFIXES, iter_files


def test_supported_suffixes() -> None:
    assert SUPPORTED_SUFFIXES == frozenset({".txt", ".md", ".vtt", ".srt", ".docx"})


def test_walks_folders_sorted_skipping_hidden(tmp_path: Path) -> None:
    for rel in ["b.txt", "a.pdf", "sub/z.vtt", "sub/deeper/c.md", ".hidden.txt", ".git/x.txt",
                "sub/.cache/y.srt", "c.docx"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    got = [p.relative_to(tmp_path).as_posix() for p in iter_files([tmp_path])]
    assert got == ["a.pdf", "b.txt", "c.docx", "sub/deeper/c.md", "sub/z.vtt"]


def test_direct_files_yielded_as_given(tmp_path: Path) -> None:
    pdf, hidden = tmp_path / "x.pdf", tmp_path / ".h.txt"
    pdf.write_text("x")
    hidden.write_text("x")
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "a.txt").write_text("x")
    assert list(iter_files([pdf, folder, hidden])) == [pdf, folder / "a.txt", hidden]


def test_missing_path_raises_before_yielding(tmp_path: Path) -> None:
    ok = tmp_path / "ok.txt"
    ok.write_text("x")
    gen = iter_files([ok, tmp_path / "missing"])
    with pytest.raises(TranscriptError) as info:
        next(gen)
    assert info.value.reason == "no such file or folder"
    assert info.value.path == str(tmp_path / "missing")
