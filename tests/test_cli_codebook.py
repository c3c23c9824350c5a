import yaml
from typer.testing import CliRunner

from coder.cli import app

runner = CliRunner()


def test_check_ok(min_codebook_path):
    result = runner.invoke(app, ["codebook", "check", str(min_codebook_path)])
    assert result.exit_code == 0, result.output
    assert "3 codes" in result.stdout and "OK" in result.stdout


def test_check_reports_each_error_with_path_and_exit_2(min_codebook_path, tmp_path):
    data = yaml.safe_load(min_codebook_path.read_text())
    data["categories"][0]["codes"][0]["patterns"][2:] = [{"tokens": [{"LEMMA": {"IN": 3}}]}]
    data["categories"][0]["codes"][1]["polarity"] = 0
    bad = tmp_path / "codebook.yaml"
    bad.write_text(yaml.safe_dump(data))
    result = runner.invoke(app, ["codebook", "check", str(bad)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("error: codebook.yaml: codes -> material.unemployed -> patterns[2]:")
    assert lines[1].startswith("error: codebook.yaml: codes -> material.business -> polarity:")
    assert "Traceback" not in result.output


def test_check_missing_file_exit_2(tmp_path):
    result = runner.invoke(app, ["codebook", "check", str(tmp_path / "none.yaml")])
    assert result.exit_code == 2
    assert "file not found" in result.stderr


def test_show_prints_tree(min_codebook_path):
    result = runner.invoke(app, ["codebook", "show", "--codebook", str(min_codebook_path), "--full"])
    assert result.exit_code == 0, result.output
    for text in ("material.unemployed", "route.china", "Crossed into or hid in China."):
        assert text in result.stdout


def test_match_shows_patterns_and_negation(min_codebook_path):
    result = runner.invoke(app, ["codebook", "match", "--codebook", str(min_codebook_path),
                                 "I was never out of work. We hid in China."])
    assert result.exit_code == 0, result.output
    assert "material.unemployed#0" in result.stdout and "negated" in result.stdout
    assert "route.china#1" in result.stdout
