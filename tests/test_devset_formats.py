"""The development set, rendered in every format a user brings, codes without errors."""

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coder.cli import app
from coder.store import Store

DEVSET = Path(__file__).parent.parent.parent / "shared" / "devset"


@pytest.mark.skipif(not (DEVSET / "render.py").exists(), reason="shared/devset not beside the project")
def test_devset_renders_and_codes_without_errors(tmp_path):
    out = tmp_path / "dev"
    subprocess.run([sys.executable, str(DEVSET / "render.py"), str(out)], check=True)
    suffixes = {p.suffix for p in out.iterdir()}
    assert {".txt", ".vtt", ".srt", ".docx"} <= suffixes
    codebook = Path(__file__).parent.parent / "codebook.yaml"
    result = CliRunner().invoke(app, ["code", str(out), "--db", str(tmp_path / "dev.db"),
                                      "--codebook", str(codebook), "--strict"])
    assert result.exit_code == 0, result.output
    assert "skipped" not in result.stderr
    with Store(tmp_path / "dev.db") as store:
        docs = store.documents()
        assert len(docs) == len(list(out.iterdir()))
        assert {d["format"] for d in docs} >= {"text", "otter", "webvtt", "subrip", "docx"}
        assert store.counts()["segments"] > 0
