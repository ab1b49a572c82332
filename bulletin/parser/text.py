"""Plain-text bulletins: every non-empty line is a block (offices write one paragraph per line)."""

from __future__ import annotations

from bulletin.parser.blocks import Block
from bulletin.parser.decode import decode_text
from bulletin.parser.textutil import strip_all


def text_blocks(data: bytes) -> list[Block]:
    """Decode the bytes and return one block per non-empty line."""
    return lines_to_blocks(decode_text(data))


def lines_to_blocks(text: str) -> list[Block]:
    """One block per non-empty line, stripped of indentation (ideographic spaces included)."""
    blocks: list[Block] = []
    for line in text.splitlines():
        stripped = strip_all(line)
        if stripped:
            blocks.append(Block(stripped))
    return blocks
