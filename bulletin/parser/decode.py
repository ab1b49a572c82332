"""Bytes -> text for plain-text and HTML bulletins.

Order matters: a byte-order mark wins, then strict UTF-8, then strict GB18030, and only then
charset-normalizer. charset-normalizer alone is not trusted for Chinese: on short GBK text such as "第3期"
or "景区" it answers Big5 or CP949 and the result is mojibake, whereas strict GB18030 decoding of GBK bytes
is exact. Whatever comes out must look like text (no control characters), or the file is rejected.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from bulletin.errors import BulletinParseError

_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)
# C0/C1 controls other than tab, newlines, form feed and the DOS end-of-file mark: text files have none.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x19\x1b-\x1f\x7f-\x9f]")
_NOT_TEXT = "not a text file in a known encoding (UTF-8, GB18030/GBK or UTF-16)"


def decode_text(data: bytes, *, declared: str | None = None) -> str:
    """Decode a text document; `declared` is an encoding the document names itself (HTML meta charset)."""
    if not data.strip(b" \t\r\n\x00"):
        raise BulletinParseError("the file is empty", "empty")
    for bom, encoding, name in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(encoding)
            except UnicodeDecodeError:
                raise BulletinParseError(
                    f"the file starts with a {name} byte-order mark but is not valid {name}", "encoding"
                ) from None
            return _checked(text)
    for encoding in _candidates(declared):
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        if _looks_like_text(text) and (encoding != "gb18030" or _plausible_chinese(text)):
            return text
    text16 = _utf16_without_bom(data)
    if text16 is not None:
        return _checked(text16)
    best = from_bytes(data).best()
    if best is None or "\ufffd" in str(best):
        raise BulletinParseError(_NOT_TEXT, "encoding")
    return _checked(str(best))


def _candidates(declared: str | None) -> list[str]:
    encodings: list[str] = []
    if declared:
        try:
            name = codecs.lookup(declared).name
        except LookupError:
            name = ""
        # Pages that declare gb2312 or gbk routinely contain GB18030-only characters: decode with the superset.
        if name in {"gb2312", "gbk", "gb18030", "euc_cn", "hz"}:
            name = "gb18030"
        if name:
            encodings.append(name)
    for default in ("utf-8", "gb18030"):
        if default not in encodings:
            encodings.append(default)
    return encodings


def _checked(text: str) -> str:
    text = text.lstrip("\ufeff")
    if not _looks_like_text(text):
        raise BulletinParseError(_NOT_TEXT, "encoding")
    if not text.strip():
        raise BulletinParseError("the file is empty", "empty")
    return text


def _looks_like_text(text: str) -> bool:
    return _CONTROL_RE.search(text) is None


def _plausible_chinese(text: str) -> bool:
    """GB18030 decodes Big5 or random high bytes without error; real simplified Chinese stays within GB2312."""
    wide = sum(1 for ch in text if ord(ch) > 0x7F)
    if wide == 0:
        return True
    outside = text.encode("gb2312", errors="replace").count(b"?") - text.count("?")
    return outside <= max(2, wide // 10)


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 without a BOM shows as a NUL in every other byte for the ASCII part (digits, newlines)."""
    if len(data) < 4 or len(data) % 2:
        return None
    even_nul = data[0::2].count(0)
    odd_nul = data[1::2].count(0)
    half = len(data) // 2
    if odd_nul >= half // 4 and even_nul == 0:
        encoding = "utf-16-le"
    elif even_nul >= half // 4 and odd_nul == 0:
        encoding = "utf-16-be"
    else:
        return None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    return text if _looks_like_text(text) else None
