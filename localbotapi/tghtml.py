"""Telegram's HTML parse mode, ported from TDLib's ``parse_html`` and ``fix_formatted_text``.

The parser works on a Python ``str`` but reports byte offsets (UTF-8) in its errors, as TDLib does, and
entity offsets/lengths in UTF-16 code units, as the Bot API does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .links import checked_link

__all__ = [
    "EntityParseError",
    "ParsedText",
    "clean_and_trim",
    "parse_html",
    "parse_text",
    "utf16_len",
]

_SPACE = frozenset(" \t\r\n\0\v\f")
_ASCII_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_ASCII_ALPHA = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_HEX = frozenset("0123456789abcdefABCDEF")
_DIGITS = frozenset("0123456789")
_SUPPORTED_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler", "tg-emoji", "tg-time",
        "span", "pre", "code", "blockquote",
    }
)  # fmt: skip
_SPECIAL = re.compile(r"[<&]")
# Characters TDLib removes from message text (clean_input_string_with_entities).
_REMOVED = frozenset("\r\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u0333\u033f\u030a")
_NEEDS_CLEAN = re.compile(r"[\x00-\x09\x0b-\x1f\u2028-\u202e\u0333\u033f\u030a]")
_TYPE_PRIORITY = {
    "blockquote": 0,
    "expandable_blockquote": 0,
    "pre": 11,
    "code": 20,
    "text_link": 49,
    "text_mention": 49,
    "bot_command": 50,
    "url": 50,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "date_time": 95,
    "custom_emoji": 99,
}


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; ``str(exc)`` is TDLib's message (without the Bot API prefix)."""


@dataclass(frozen=True, slots=True)
class ParsedText:
    """Plain text plus Bot API entity dicts (offsets in UTF-16 code units)."""

    text: str
    entities: tuple[dict[str, Any], ...]


def utf16_len(s: str) -> int:
    """Length of ``s`` in UTF-16 code units (astral characters such as most emoji count 2)."""
    if s.isascii():
        return len(s)
    return len(s.encode("utf-16-le")) // 2


def _byte_offset(s: str, pos: int) -> int:
    return len(s[:pos].encode("utf-8", "surrogatepass"))


def _decode_entity(s: str, pos: int) -> tuple[int, int]:
    """TDLib's decode_html_entity: (code point, position after the entity) or (0, pos) when not an entity."""
    n = len(s)
    end = pos + 1
    res = 0
    if end < n and s[end] == "#":
        end += 1
        if end < n and s[end] == "x":
            end += 1
            while end < n and s[end] in _HEX:
                res = res * 16 + int(s[end], 16)
                end += 1
                if res >= 0x10FFFF:
                    return 0, pos
        else:
            while end < n and s[end] in _DIGITS:
                res = res * 10 + ord(s[end]) - 48
                end += 1
                if res >= 0x10FFFF:
                    return 0, pos
        # a surrogate is decoded here and refused after parsing (need_recheck_utf8), as TDLib does
        if res == 0 or res >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while end < n and s[end] in _ASCII_ALPHA:
            end += 1
        name = s[pos + 1 : end]
        if name == "lt":
            res = 0x3C
        elif name == "gt":
            res = 0x3E
        elif name == "amp":
            res = 0x26
        elif name == "quot":
            res = 0x22
        else:
            return 0, pos
    if end < n and s[end] == ";":
        end += 1
    return res, end


def _same_span(entities: list[dict[str, Any]], kind: str, start: int, length: int) -> dict[str, Any] | None:
    """The last entity when it is a KIND over exactly the same span (TDLib merges <pre> and <code> then)."""
    last = entities[-1] if entities else None
    if last is not None and last["type"] == kind and last["offset"] == start and last["length"] == length:
        return last
    return None


def parse_html(s: str) -> ParsedText:
    """Parse Telegram HTML into plain text and entities, raising EntityParseError exactly where TDLib does."""
    if "<" not in s and "&" not in s:
        return clean_and_trim(s, [])
    n = len(s)
    out: list[str] = []
    utf16 = 0
    # stack of (tag_name, argument, utf16 offset, index into out, text length so far)
    stack: list[tuple[str, str, int, int]] = []
    entities: list[dict[str, Any]] = []
    i = 0

    def at(k: int) -> str:
        return s[k] if k < n else "\0"

    while i < n:
        m = _SPECIAL.search(s, i)
        if m is None:
            chunk = s[i:]
            out.append(chunk)
            utf16 += utf16_len(chunk)
            break
        j = m.start()
        if j > i:
            chunk = s[i:j]
            out.append(chunk)
            utf16 += utf16_len(chunk)
        i = j
        c = s[i]
        if c == "&":
            code, end = _decode_entity(s, i)
            if code:
                out.append(chr(code))
                utf16 += 2 if code > 0xFFFF else 1
                i = end
            else:
                out.append("&")
                utf16 += 1
                i += 1
            continue

        begin = i
        i += 1
        if at(i) != "/":
            while at(i) not in _SPACE and at(i) != ">":
                i += 1
            if at(i) == "\0" and i >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(s, begin)}")
            tag = s[begin + 1 : i].lower()
            if tag not in _SUPPORTED_TAGS:
                raise EntityParseError(
                    f'Unsupported start tag "{tag}" at byte offset {_byte_offset(s, begin)}'
                )
            argument = ""
            attrs: dict[str, str] = {}
            while at(i) != ">":
                while i < n and at(i) in _SPACE:
                    i += 1
                if at(i) == ">":
                    break
                if i >= n:
                    raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(s, begin)}")
                attr_begin = i
                while at(i) not in _SPACE and at(i) not in "=>/\"'":
                    i += 1
                attr_name = s[attr_begin:i]
                if not attr_name:
                    raise EntityParseError(
                        f'Empty attribute name in the tag "{tag}" at byte offset {_byte_offset(s, begin)}'
                    )
                while i < n and at(i) in _SPACE:
                    i += 1
                if at(i) != "=":
                    # An attribute without a value (<b foo>, <a href>) is skipped, as TDLib's parse_html does now.
                    if i >= n:
                        raise EntityParseError(
                            f'Unclosed start tag "{tag}" at byte offset {_byte_offset(s, begin)}'
                        )
                    if tag == "blockquote" and attr_name == "expandable":
                        argument = "1"
                    continue
                i += 1
                while i < n and at(i) in _SPACE:
                    i += 1
                if i >= n:
                    raise EntityParseError(
                        f'Unclosed start tag "{tag}" at byte offset {_byte_offset(s, begin)}'
                    )
                if at(i) not in ("'", '"'):
                    token_begin = i
                    while at(i) in _ASCII_ALNUM or at(i) in ".-":
                        i += 1
                    value = s[token_begin:i].lower()
                    if at(i) not in _SPACE and at(i) != ">":
                        raise EntityParseError(
                            f"Unexpected end of name token at byte offset {_byte_offset(s, token_begin)}"
                        )
                else:
                    quote = s[i]
                    i += 1
                    parts: list[str] = []
                    while i < n and s[i] != quote:
                        if s[i] == "&":
                            code, end = _decode_entity(s, i)
                            if code:
                                parts.append(chr(code))
                                i = end
                                continue
                        parts.append(s[i])
                        i += 1
                    if i < n:
                        i += 1
                    value = "".join(parts)
                if i >= n:
                    raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(s, begin)}")
                attrs[attr_name] = value
                if tag == "a" and attr_name == "href":
                    argument = value
                elif tag == "code" and attr_name == "class" and value.startswith("language-"):
                    argument = value[9:]
                elif tag == "span" and attr_name == "class" and value.startswith("tg-"):
                    argument = value[3:]
                elif tag == "tg-emoji" and attr_name == "emoji-id":
                    argument = value
                elif tag == "tg-time" and attr_name == "unix":
                    argument = value
            if tag == "span" and argument != "spoiler":
                raise EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(s, begin)}'
                )
            if tag == "tg-time" and "format" in attrs:
                argument = argument + "|" + attrs["format"]
            stack.append((tag, argument, utf16, len(out)))
            i += 1  # skip '>'
            continue

        # end tag
        if not stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {_byte_offset(s, begin)}")
        while at(i) not in _SPACE and at(i) != ">":
            i += 1
        end_tag = s[begin + 2 : i].lower()
        while i < n and at(i) in _SPACE:
            i += 1
        if at(i) != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {_byte_offset(s, begin)}")
        tag, argument, start, out_index = stack[-1]
        if end_tag and end_tag != tag:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {_byte_offset(s, begin)}, expected "</{tag}>", '
                f'found "</{end_tag}>"'
            )
        i += 1
        stack.pop()
        if utf16 <= start:
            continue
        length = utf16 - start
        if tag in ("b", "strong"):
            entities.append({"type": "bold", "offset": start, "length": length})
        elif tag in ("i", "em"):
            entities.append({"type": "italic", "offset": start, "length": length})
        elif tag in ("u", "ins"):
            entities.append({"type": "underline", "offset": start, "length": length})
        elif tag in ("s", "strike", "del"):
            entities.append({"type": "strikethrough", "offset": start, "length": length})
        elif tag in ("tg-spoiler", "span"):
            entities.append({"type": "spoiler", "offset": start, "length": length})
        elif tag == "tg-emoji":
            if not argument.isdigit() or int(argument) == 0:
                raise EntityParseError("Invalid custom emoji identifier specified")
            entities.append(
                {"type": "custom_emoji", "offset": start, "length": length, "custom_emoji_id": argument}
            )
        elif tag == "tg-time":
            unix, _, fmt = argument.partition("|")
            if not unix.isdigit():
                raise EntityParseError("Invalid Unix time specified")
            ent: dict[str, Any] = {"type": "date_time", "offset": start, "length": length, "unix_time": int(unix)}
            if fmt:
                ent["date_time_format"] = fmt
            entities.append(ent)
        elif tag == "a":
            url = argument or "".join(out[out_index:])
            um = re.match(r"^tg://user\?id=(\d+)$", url)
            if um is not None:
                entities.append(
                    {
                        "type": "text_mention",
                        "offset": start,
                        "length": length,
                        "user": {"id": int(um.group(1)), "is_bot": False, "first_name": ""},
                    }
                )
            else:
                checked = checked_link(url)
                if checked is not None:
                    entities.append({"type": "text_link", "offset": start, "length": length, "url": checked})
        elif tag == "pre":
            # <pre><code class="language-x">…</code></pre>: the inner code (closed first) becomes a pre with a language
            last = _same_span(entities, "code", start, length)
            if last is not None and last.get("language"):
                last["type"] = "pre"
            else:
                entities.append({"type": "pre", "offset": start, "length": length})
        elif tag == "code":
            last = _same_span(entities, "pre", start, length)
            if last is not None and argument:
                last["language"] = argument
            else:
                ent = {"type": "code", "offset": start, "length": length}
                if argument:
                    ent["language"] = argument
                entities.append(ent)
        elif tag == "blockquote":
            kind = "expandable_blockquote" if argument == "1" else "blockquote"
            entities.append({"type": kind, "offset": start, "length": length})
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    for ent in entities:
        if ent["type"] == "code":
            ent.pop("language", None)
    text = "".join(out)
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in text if ord(ch) >= 0xD800):
        raise EntityParseError(
            "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched "
            "surrogate code units"
        )
    return clean_and_trim(text, entities)


def parse_text(s: str) -> ParsedText:
    """Text sent without parse_mode: cleaned and trimmed the same way, no entities."""
    return clean_and_trim(s, [])


def _sort_key(e: dict[str, Any]) -> tuple[int, int, int]:
    return (e["offset"], -e["length"], _TYPE_PRIORITY.get(e["type"], 50))


def clean_and_trim(text: str, entities: list[dict[str, Any]]) -> ParsedText:
    """TDLib's fix_formatted_text, simplified: control characters become spaces, \\r and a few invisible
    characters are removed, entities lose leading whitespace, whitespace-only entities vanish, and the
    text is trimmed of spaces and newlines at both ends (entities clipped and shifted accordingly)."""
    if _NEEDS_CLEAN.search(text) is not None:
        text, entities = _clean(text, entities)
    if not entities:
        stripped = text.strip(" \n")
        return ParsedText(stripped, ())
    # Work in UTF-16 units via a list of per-code-point widths only when needed.
    units = text.encode("utf-16-le")

    def seg(off: int, length: int) -> str:
        return units[2 * off : 2 * (off + length)].decode("utf-16-le", "surrogatepass")

    kept: list[dict[str, Any]] = []
    for e in sorted(entities, key=_sort_key):
        if e["type"] in ("text_mention", "custom_emoji"):
            kept.append(e)
            continue
        body = seg(e["offset"], e["length"])
        stripped = body.lstrip(" \n")
        if not stripped.strip(" \n"):
            continue
        shift = len(body) - len(stripped)  # whitespace is always 1 UTF-16 unit
        if shift:
            e = dict(e, offset=e["offset"] + shift, length=e["length"] - shift)
        kept.append(e)
    full = units.decode("utf-16-le", "surrogatepass")
    rstripped = full.rstrip(" \n")
    total = utf16_len(rstripped)
    if total == 0:
        return ParsedText("", ())
    clipped: list[dict[str, Any]] = []
    for e in kept:
        if e["offset"] >= total:
            continue
        if e["offset"] + e["length"] > total:
            e = dict(e, length=total - e["offset"])
        clipped.append(e)
    first_entity = min((e["offset"] for e in clipped), default=total)
    lead = 0
    while lead < first_entity and rstripped[lead] in " \n":
        lead += 1
    if lead:
        rstripped = rstripped[lead:]
        clipped = [dict(e, offset=e["offset"] - lead) for e in clipped]
    clipped.sort(key=_sort_key)
    return ParsedText(rstripped, tuple(clipped))


def _clean(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    removed_at: list[int] = []  # UTF-16 offsets (in the original) of removed units
    out: list[str] = []
    pos = 0
    for ch in text:
        w = 2 if ord(ch) > 0xFFFF else 1
        if ch in _REMOVED:
            removed_at.append(pos)
        elif ord(ch) < 0x20 and ch != "\n":
            out.append(" ")
        else:
            out.append(ch)
        pos += w
    if not removed_at or not entities:
        return "".join(out), entities

    def shift(off: int) -> int:
        return off - sum(1 for r in removed_at if r < off)

    fixed: list[dict[str, Any]] = []
    for e in entities:
        start = shift(e["offset"])
        end = shift(e["offset"] + e["length"])
        if end > start:
            fixed.append(dict(e, offset=start, length=end - start))
    return "".join(out), fixed


# MessageEntity.cpp's get_input_message_entities: MAX_USER_ENTITY_COUNT = 100 ("server-side limit"); entities
# past it are left out without an error. TDLib counts the non-splittable ones (code, links, blockquotes…) first,
# then the splittable ones (bold, italic, underline, strikethrough, spoiler).
MAX_ENTITIES = 100
_SPLITTABLE = frozenset({"bold", "italic", "underline", "strikethrough", "spoiler"})


def cap_entities(parsed: ParsedText) -> ParsedText:
    """PARSED with at most MAX_ENTITIES entities, chosen as TDLib sends them to Telegram."""
    if len(parsed.entities) <= MAX_ENTITIES:
        return parsed
    fixed = [e for e in parsed.entities if e["type"] not in _SPLITTABLE][:MAX_ENTITIES]
    split = [e for e in parsed.entities if e["type"] in _SPLITTABLE][: MAX_ENTITIES - len(fixed)]
    return ParsedText(parsed.text, tuple(sorted(fixed + split, key=_sort_key)))
