"""Small text helpers shared by the format readers and the structure parser."""

from __future__ import annotations

import re
import unicodedata

# Wide characters: CJK ideographs, CJK punctuation, full-width forms and the curly quotes Chinese text uses.
_WIDE = r"\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef“”‘’"
WIDE_CHAR = f"[{_WIDE}]"
_WIDE_RE = re.compile(WIDE_CHAR)
_NOT_WIDE_RUN = re.compile(f"[^{_WIDE}]+")
_SPACE_BEFORE_DIGIT = re.compile(rf"(?<={WIDE_CHAR})[ \t\u00a0]+(?=[0-9])")
_SPACE_AFTER_DIGIT = re.compile(rf"(?<=[0-9])[ \t\u00a0]+(?={WIDE_CHAR})")
_WS_RUN = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[\W_]+")
_CN_DIGITS = {
    "〇": 0, "○": 0, "零": 0, "Ｏ": 0, "O": 0,
    "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}

# Footer lines: distribution (报：/送：/发：), print run (共印…份), editor and signer.
FOOTER_RE = re.compile(
    r"^[\s(（]*(?:抄\s*报|抄\s*送|报\s*送|分\s*送|主\s*送|发\s*送|印\s*发|报|送|发)\s*[:：]"
    r"|共印\s*[\d一二三四五六七八九十百]+\s*份"
    r"|责任编辑|签\s*发\s*[:：]|签发人"
    r"|^(?:编\s*辑|校\s*对|审\s*核|审\s*签|主\s*编|核\s*稿|编\s*审|联\s*系\s*人|联系电话|电\s*话|投稿邮箱)\s*[:：]"
)

# Closing quotes and brackets that may follow a sentence's final punctuation.
CLOSERS = "”’」』）)】〕》\"'"

# Decoration that surrounds headings and rules: never content on its own.
RULE_CHARS = set("-—–―‒─━═=_~～·•.*＊※ \t\u3000─┄┅┈┉")


def is_wide(ch: str) -> bool:
    """True for a CJK character or CJK/full-width punctuation."""
    return bool(_WIDE_RE.match(ch))


def wide_count(text: str) -> int:
    """How many characters of TEXT is_wide (counted in C: the other runs are cut out)."""
    return len(_NOT_WIDE_RUN.sub("", text))


def strip_all(text: str) -> str:
    """Strip ordinary and ideographic white space (and a stray BOM) from both ends."""
    return text.strip(" \t\r\n\f\v\u3000\u00a0\ufeff\u200b\u2002\u2003")


def collapse_spaces(text: str) -> str:
    """Collapse runs of white space to one space and strip the ends."""
    return strip_all(_WS_RUN.sub(" ", text))


def remove_cjk_digit_spaces(text: str) -> str:
    """Drop the spaces PDF extraction puts between Chinese characters and digits ("2023 年" -> "2023年")."""
    if " " not in text and "\t" not in text and "\u00a0" not in text:
        return text
    return _SPACE_AFTER_DIGIT.sub("", _SPACE_BEFORE_DIGIT.sub("", text))


def join_wrapped(left: str, right: str) -> str:
    """Join two pieces of one line that layout wrapped: no space in Chinese text, one space between words."""
    if not left:
        return right
    if not right:
        return left
    a, b = left[-1], right[0]
    if a.isascii() and b.isascii() and a.isalpha() and b.isalpha():
        return f"{left} {right}"
    return left + right


def body_like(text: str) -> bool:
    """Reads like a paragraph of body text: long, or a sentence that ends with a full stop."""
    stripped = strip_all(text)
    return len(stripped) > 80 or (len(stripped) >= 15 and stripped.rstrip(CLOSERS)[-1:] in "。！？!?")


def join_wrapped_all(pieces: list[str]) -> str:
    """join_wrapped over many pieces in linear time (joining one by one copies the growing text every time)."""
    out: list[str] = []
    last = ""  # the last character written so far
    for piece in pieces:
        if not piece:
            continue
        if last and last.isascii() and last.isalpha() and piece[0].isascii() and piece[0].isalpha():
            out.append(" ")
        out.append(piece)
        last = piece[-1]
    return "".join(out)


def is_rule(text: str) -> bool:
    """A line made only of rule/decoration characters (a horizontal rule such as ———— or ====)."""
    stripped = strip_all(text)
    return len(stripped) >= 3 and all(ch in RULE_CHARS for ch in stripped)


def match_key(text: str) -> str:
    """A comparison key that ignores white space, punctuation, quote styles and full/half width."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).casefold())


def cn_number(text: str) -> int | None:
    """Parse an Arabic or Chinese numeral ("12", "十二", "一百零五", "二〇二三") into an int."""
    text = unicodedata.normalize("NFKC", text).strip()
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if all(ch in _CN_DIGITS for ch in text):
        # Digit-by-digit form, as years are written: 二〇二三.
        value = 0
        for ch in text:
            value = value * 10 + _CN_DIGITS[ch]
        return value
    total, current = 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            unit = _CN_UNITS[ch]
            total += (current or 1) * unit
            current = 0
        else:
            return None
    return total + current
