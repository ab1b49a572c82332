""".docx bulletins: paragraphs in document order (tables and text boxes included), with bold/centred/size hints."""

from __future__ import annotations

import io
import logging
import zipfile
from collections import Counter
from collections.abc import Iterator
from typing import Any

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.table import Table
from docx.text.paragraph import Paragraph

from bulletin.errors import BulletinParseError
from bulletin.parser.blocks import Block
from bulletin.parser.limits import DEFAULT_LIMITS, ParseLimits, check_ratio, too_many_objects, too_unpacked
from bulletin.parser.textutil import strip_all

logger = logging.getLogger(__name__)

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_DAMAGED = "not a valid .docx file (it is not a Word document or it is damaged)"
_CENTRED = {WD_ALIGN_PARAGRAPH.CENTER}


def docx_blocks(data: bytes, limits: ParseLimits = DEFAULT_LIMITS) -> list[Block]:
    """Read a .docx file into blocks; a damaged, non-Word or over-limit file raises BulletinParseError."""
    try:
        _check_package(data, limits)
        document = docx.Document(io.BytesIO(data))
        _check_paragraph_count(document, limits)
        paragraphs = list(_paragraphs(document))
        styles = _Styles(document)
        styled = [(p, _paragraph_info(p, styles)) for p in paragraphs]
    except (BulletinParseError, MemoryError):
        raise
    except zipfile.BadZipFile:
        raise BulletinParseError(_DAMAGED, "damaged") from None
    except Exception as exc:  # python-docx/lxml raise many types on damaged packages
        logger.debug("docx read failed: %r", exc)
        raise BulletinParseError(_DAMAGED, "damaged") from None
    sizes: Counter[float] = Counter()
    for _p, (text, _bold, _centred, size) in styled:
        if size is not None:
            sizes[size] += len(text)
    body_size = sizes.most_common(1)[0][0] if sizes else None
    blocks: list[Block] = []
    for _p, (text, bold, centred, size) in styled:
        large = body_size is not None and size is not None and size > body_size * 1.1
        # A soft line break (Shift+Enter) separates lines such as 报： and 送： inside one paragraph.
        for line in text.split("\n"):
            stripped = strip_all(line)
            if stripped:
                blocks.append(Block(stripped, bold=bold, centred=centred, large=large))
    return blocks


def _check_package(data: bytes, limits: ParseLimits) -> None:
    """Refuse a zip bomb from the sizes its directory declares, before anything is decompressed.

    zipfile never inflates a member beyond its declared size (it stops there and checks the CRC), so the
    declared sizes bound what python-docx can unpack.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        members = package.infolist()
    if len(members) > limits.max_objects:
        raise too_many_objects(limits, "files in the package")
    total = 0
    for member in members:
        total += member.file_size
        if total > limits.max_unpacked_bytes:
            raise too_unpacked(limits)
        check_ratio(limits, member.file_size, member.compress_size)


def _check_paragraph_count(document: Any, limits: ParseLimits) -> None:
    count = sum(1 for _ in document.element.body.iter(f"{{{_W}}}p"))
    if count > limits.max_paragraphs:
        raise too_many_objects(limits, "paragraphs", limits.max_paragraphs)


def _paragraphs(document: Any) -> Iterator[Paragraph]:
    for item in document.iter_inner_content():
        yield from _expand(item)


def _expand(item: Paragraph | Table) -> Iterator[Paragraph]:
    if isinstance(item, Paragraph):
        # Mastheads are often drawn in text boxes, which python-docx does not list as paragraphs.
        yield from _text_box_paragraphs(item)
        yield item
        return
    seen: set[int] = set()
    for row in item.rows:
        for cell in row.cells:
            if id(cell._tc) in seen:  # merged cells repeat the same element
                continue
            seen.add(id(cell._tc))
            for inner in cell.iter_inner_content():
                yield from _expand(inner)


def _text_box_paragraphs(paragraph: Paragraph) -> Iterator[Paragraph]:
    boxes = paragraph._p.findall(f".//{{{_W}}}txbxContent")
    seen_text: set[str] = set()
    for box in boxes:
        # Word writes each text box twice (DrawingML and a VML fallback): keep the first copy.
        text = "".join(box.itertext())
        if text in seen_text:
            continue
        seen_text.add(text)
        for p in box.findall(f"{{{_W}}}p"):
            yield Paragraph(p, paragraph._parent)


class _Styles:
    """Style look-ups by id, cached: python-docx resolves `paragraph.style` by scanning every style each time."""

    def __init__(self, document: Any) -> None:
        self._by_id: dict[str, Any] = {}
        self._default_paragraph: Any = None
        for style in document.styles:
            if style.style_id:
                self._by_id[style.style_id] = style
            if style.type == WD_STYLE_TYPE.PARAGRAPH and getattr(style, "_element", None) is not None:
                if style._element.get(f"{{{_W}}}default") in ("1", "true", "on"):
                    self._default_paragraph = style
        self._cache: dict[tuple[str, str | None], Any] = {}

    def paragraph(self, style_id: str | None) -> tuple[bool | None, Any, Any]:
        key = ("p", style_id)
        if key not in self._cache:
            style = self._by_id.get(style_id) if style_id else None
            style = style or self._default_paragraph
            self._cache[key] = (
                _style_attr(style, lambda s: s.font.bold),
                _style_attr(style, lambda s: _alignment(s.paragraph_format)),
                _style_attr(style, lambda s: s.font.size),
            )
        return self._cache[key]

    def run_bold(self, style_id: str | None) -> bool | None:
        if not style_id:
            return None
        key = ("r", style_id)
        if key not in self._cache:
            self._cache[key] = _style_attr(self._by_id.get(style_id), lambda s: s.font.bold)
        return self._cache[key]


def _paragraph_info(paragraph: Paragraph, styles: _Styles) -> tuple[str, bool, bool, float | None]:
    text = paragraph.text
    runs = [r for item in paragraph.iter_inner_content() for r in (item.runs if hasattr(item, "runs") else [item])]
    visible = [r for r in runs if r.text.strip()]
    style_bold, style_alignment, style_size = styles.paragraph(paragraph._p.style)
    bold = bool(visible) and all(_run_bold(r, style_bold, styles) for r in visible)
    own = _alignment(paragraph)
    alignment = own if own is not None else style_alignment
    centred = alignment in _CENTRED
    sizes = [r.font.size or style_size for r in visible]
    known = [s.pt for s in sizes if s is not None]
    size = max(known) if known else None
    return text, bold, centred, size


def _run_bold(run: Any, style_bold: bool | None, styles: _Styles) -> bool:
    if run.bold is not None:
        return bool(run.bold)
    char_bold = styles.run_bold(run._r.style)
    if char_bold is not None:
        return bool(char_bold)
    return bool(style_bold)


def _alignment(holder: Any) -> Any:
    """HOLDER's alignment; None for values python-docx does not map, such as "start" and "end", which LibreOffice
    writes (left or right: not centred either way)."""
    try:
        return holder.alignment
    except ValueError:
        return None


def _style_attr(style: Any, get: Any) -> Any:
    """An attribute of a style, inherited along its base styles."""
    depth = 0
    while style is not None and depth < 20:
        value = get(style)
        if value is not None:
            return value
        style = style.base_style
        depth += 1
    return None
