import copy

import pytest
import yaml

from coder.codebook import load_codebook, parse_codebook
from coder.errors import CodebookError


@pytest.fixture
def data(min_codebook_path):
    return yaml.safe_load(min_codebook_path.read_text())


def errors_of(data):
    with pytest.raises(CodebookError) as info:
        parse_codebook(data, "codebook.yaml")
    return info.value.errors


def test_min_codebook_loads(min_book):
    assert [c.id for c in min_book.codes] == ["material.unemployed", "material.business",
                                              "route.china"]
    assert min_book.code("material.business").polarity == 1
    assert min_book.settings.min_segment_words == 4


def test_unknown_key_is_reported_by_path(data):
    data["categories"][0]["codes"][0]["colour"] = "red"
    assert errors_of(data) == ["codes -> material.unemployed -> colour: unknown key"]


def test_unknown_top_level_key(data):
    data["authors"] = ["me"]
    assert errors_of(data) == ["authors: unknown key"]


def test_duplicate_id(data):
    data["categories"][0]["codes"].append(copy.deepcopy(data["categories"][0]["codes"][0]))
    assert errors_of(data) == ["codes -> material.unemployed: duplicate code id"]


def test_bad_polarity(data):
    data["categories"][0]["codes"][1]["polarity"] = 2
    (msg,) = errors_of(data)
    assert msg.startswith("codes -> material.business -> polarity: ")


def test_polarity_missing_on_material_code(data):
    del data["categories"][0]["codes"][1]["polarity"]
    assert errors_of(data) == ["codes -> material.business -> polarity: missing (1 or -1 on "
                               "material codes)"]


def test_polarity_on_route_code(data):
    data["categories"][1]["codes"][0]["polarity"] = 1
    assert errors_of(data) == ["codes -> route.china -> polarity: only material and mental "
                               "codes carry one"]


def test_malformed_pattern(data):
    data["categories"][0]["codes"][0]["patterns"][1] = {"tokens": [{"LEMMA": {"IN": "lose"}}]}
    (msg,) = errors_of(data)
    assert msg.startswith("codes -> material.unemployed -> patterns[1]: not a valid spaCy")


def test_pattern_with_attribute_the_pipeline_lacks(data):
    data["categories"][0]["codes"][0]["patterns"][1] = {"tokens": [{"POS": "VERB"}]}
    (msg,) = errors_of(data)
    assert "patterns[1]: token 0: unsupported key 'POS'" in msg


def test_pattern_with_both_kinds(data):
    data["categories"][0]["codes"][0]["patterns"][0]["tokens"] = [{"LOWER": "x"}]
    (msg,) = errors_of(data)
    assert msg == ("codes -> material.unemployed -> patterns[0]: give exactly one of "
                   "'phrases' or 'tokens'")


def test_missing_field(data):
    del data["categories"][0]["codes"][0]["definition"]
    assert errors_of(data) == ["codes -> material.unemployed -> definition: missing required field"]


def test_code_outside_its_category(data):
    data["categories"][1]["codes"][0]["id"] = "motive.china"
    assert errors_of(data) == ["codes -> motive.china: id must start with its category 'route.'"]


def test_yaml_syntax_error_names_line(tmp_path):
    p = tmp_path / "codebook.yaml"
    p.write_text("version: 1\ncategories: [\n  - id: x\n")
    with pytest.raises(CodebookError) as info:
        load_codebook(p)
    assert info.value.path == "codebook.yaml"
    assert info.value.errors[0].startswith("line ")


def test_missing_file(tmp_path):
    with pytest.raises(CodebookError, match="file not found"):
        load_codebook(tmp_path / "nope.yaml")


def test_hash_ignores_formatting(min_codebook_path, tmp_path, min_book):
    p = tmp_path / "cb.yaml"
    p.write_text("# a comment\n" + min_codebook_path.read_text() + "\n\n")
    assert load_codebook(p).hash == min_book.hash
    data = yaml.safe_load(min_codebook_path.read_text())
    data["version"] = "test-2"
    assert parse_codebook(data).hash != min_book.hash


def test_project_codebook_has_every_spec_code():
    """codebook.yaml at the root defines every code id of the shared spec."""
    import re
    from pathlib import Path

    root = Path(__file__).parent.parent
    spec = root.parent / "shared" / "codebook-spec.md"
    if not spec.exists():
        pytest.skip("shared/codebook-spec.md not beside the project")
    want = set(re.findall(r"^\| ((?:motive|route|sponsor|discrimination|material|mental)"
                          r"\.[a-z_]+) \|", spec.read_text(), re.M))
    book = load_codebook(root / "codebook.yaml")
    assert want <= {c.id for c in book.codes}
    assert all(c.patterns for c in book.codes)
