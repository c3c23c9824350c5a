"""coder: code interview transcripts against a YAML codebook and place informants in a typology."""

__version__ = "0.1.0"
