"""Bytes to text: BOMs, UTF-8, legacy encodings (via charset-normalizer), newlines, binary check."""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

from coder.errors import TranscriptError

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# When charset-normalizer rates several encodings alike (short texts often), prefer these.
_PREFERRED = ("cp949", "euc_kr", "cp1252", "cp1251", "cp1250")
_CONTROL_OK = {"\t", "\n", "\r", "\f", "\v"}
# Control characters are single bytes in UTF-8, so they are counted in the encoded text.
_CONTROL_BYTES = bytes(c for c in range(32) if chr(c) not in _CONTROL_OK)


def decode(data: bytes, where: str) -> str:
    """Decode a text file's bytes to a str with LF newlines; raise TranscriptError if not text."""
    if not data:
        raise TranscriptError(where, "empty file")
    text = _decode(data, where)
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    if _mostly_control(text):
        raise TranscriptError(where, "binary file (not text)")
    if not text.strip():
        raise TranscriptError(where, "empty file")
    return text


def _decode(data: bytes, where: str) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding)
            except UnicodeDecodeError:
                raise TranscriptError(
                    where, f"cannot decode text (invalid {encoding} after its byte order mark)"
                ) from None
    if b"\x00" in data:
        raise TranscriptError(where, "binary file (not text)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    encoding = guess_legacy_encoding(data)
    if encoding is None:
        raise TranscriptError(where, "cannot decode text (binary data or unknown encoding)")
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise TranscriptError(where, f"cannot decode text as {encoding}") from None


def guess_legacy_encoding(data: bytes) -> str | None:
    """Name the most likely non-UTF encoding of `data`, or None if nothing fits."""
    results = list(from_bytes(data))
    if not results:
        return None
    best = results[0]
    ties = [m for m in results
            if m.chaos <= best.chaos + 0.01 and m.coherence >= best.coherence - 0.05]
    names = [n for m in ties for n in (m.encoding, *m.could_be_from_charset)]
    for name in _PREFERRED:
        if name in names:
            return name
    if best.coherence == 0:  # no language recognised: Windows-1252 if it reads as well
        western = from_bytes(data, cp_isolation=["cp1252"]).best()
        if western is not None and western.chaos <= best.chaos + 0.01:
            return "cp1252"
    return str(best.encoding)


def _mostly_control(text: str) -> bool:
    """True if over 5% of the characters are control characters (a binary file)."""
    sample = text[:20000]
    data = sample.encode("utf-8", "surrogatepass")
    bad = len(data) - len(data.translate(None, _CONTROL_BYTES))
    return bad > max(2, len(sample) // 20)
