from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="session")
def min_codebook_path() -> Path:
    return FIXTURES / "codebook_min.yaml"


@pytest.fixture(scope="session")
def min_book(min_codebook_path):
    from coder.codebook import load_codebook

    return load_codebook(min_codebook_path)


@pytest.fixture(scope="session")
def min_nlp(min_book):
    from coder.nlp import build_nlp

    return build_nlp(min_book)
