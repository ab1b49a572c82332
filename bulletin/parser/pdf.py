"""PDF bulletins with a text layer: lines -> paragraphs using line geometry, font size and punctuation.

A PDF has no paragraphs, only positioned lines. Lines are joined back into paragraphs unless something
separates them: a change of font size or weight, a vertical gap larger than the line spacing, a first-line
indent, a short previous line (the paragraph ended before the right margin) or a sentence end followed by an
indented line. Page numbers ("— 2 —", "-2-", "第2页") and running headers/footers repeated on most pages
are dropped first, and the spaces extraction puts between Chinese characters and digits are removed.
"""

from __future__ import annotations

import io
import itertools
import logging
import math
import re
import zlib
from collections import Counter
from dataclasses import dataclass
from statistics import median
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFPasswordIncorrect
from pdfminer.pdfinterp import PDFPageInterpreter
from pdfminer.pdfpage import PDFPage
from pdfplumber.page import PDFPageAggregatorWithMarkedContent

from bulletin.errors import BulletinParseError
from bulletin.parser.blocks import Block
from bulletin.parser.limits import (
    DEFAULT_LIMITS,
    ParseLimits,
    check_ratio,
    too_large,
    too_many_objects,
    too_many_pages,
    too_unpacked,
)
from bulletin.parser.textutil import (
    FOOTER_RE,
    collapse_spaces,
    is_rule,
    is_wide,
    join_wrapped_all,
    remove_cjk_digit_spaces,
)

logger = logging.getLogger(__name__)

_PAGE_NUMBER_RE = re.compile(
    r"^[\s\-—–－‒―~～·•_]*(?:第\s*)?\d{1,4}(?:\s*页)?(?:\s*[/／]\s*\d{1,4}|\s*共\s*\d{1,4}\s*页)?[\s\-—–－‒―~～·•_]*$"
    r"|^(?:page\s*)?\d{1,4}\s*(?:/|of)\s*\d{1,4}$",
    re.IGNORECASE,
)
_SENTENCE_END = "。！？!?；;…"
_CLOSERS = "”’」』）)】〕》"
_OPENERS = set("（(【〔《「『“‘[〈")
_NO_START = set("，。、；：？！）)】〕》」』”’…—%·,.;:?!〉]")
# A line opening with a bullet, list number or 【section】 label starts a new paragraph.
_LIST_START = re.compile(
    r"^(?:[☆★●○◆◇■□▲△▶►•▪◎※]|【|〖|[一二三四五六七八九十]{1,3}、|[(（][一二三四五六七八九十\d]{1,3}[)）]|\d{1,2}[、．.](?!\d))"
)
_DAMAGED = "not a valid PDF file (it is damaged or not a PDF)"
_STREAM_START = re.compile(rb"stream\r?\n")
_INFLATE_STEP = 1 << 20
_IMAGE_DICT = re.compile(rb"/Subtype\s*/Image\b")


@dataclass
class _Line:
    page: int
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool
    lead_width: float  # width of the first unbreakable run (what could not fit on the previous line)

    @property
    def height(self) -> float:
        return max(self.bottom - self.top, 1.0)


def pdf_blocks(data: bytes, limits: ParseLimits = DEFAULT_LIMITS) -> list[Block]:
    """Read the text layer of a PDF into paragraph blocks; over-limit documents raise BulletinParseError."""
    _check_streams(data, limits)
    pages = _read_lines(data, limits)
    # Page numbers or a stamped header alone do not make a text layer.
    lines = _drop_page_furniture(pages) if any(pages) else []
    if sum(len(line.text) for line in lines) < 10:
        raise BulletinParseError(
            "the PDF has no text layer: it looks like a scan; send the original document or a PDF with text",
            "scan",
        )
    return _paragraphs(lines)


def _check_streams(data: bytes, limits: ParseLimits) -> None:
    """Refuse a flate bomb before pdfminer inflates it (it inflates a whole stream at once, then keeps it).

    Every `stream` but images is inflated here in 1 MB steps, keeping nothing, and counted against the
    unpacked-size limit and the ratio limit; data that is not zlib (other filters, damage) ends its stream's count.
    """
    total = 0
    position = 0
    while (m := _STREAM_START.search(data, position)) is not None:
        start = m.end()
        end = data.find(b"endstream", start)
        if end < 0:
            end = len(data)
        position = end + len(b"endstream")
        if _is_image(data, m.start()):
            continue  # pdfminer never inflates images to read text (a blank page scan packs 1000:1)
        if data[start : start + 1] not in (b"x", b"\x08", b"\x18", b"\x28", b"\x38", b"\x48", b"\x58", b"\x68"):
            continue  # not a zlib header: not flate data
        inflater = zlib.decompressobj()
        pending = memoryview(data)[start:end]
        unpacked = 0
        try:
            while pending:
                out = inflater.decompress(pending, _INFLATE_STEP)
                unpacked += len(out)
                if total + unpacked > limits.max_unpacked_bytes:
                    raise too_unpacked(limits)
                check_ratio(limits, unpacked, end - start)
                if inflater.eof or not out:
                    break
                pending = memoryview(inflater.unconsumed_tail)
        except zlib.error:
            pass
        total += unpacked


def _is_image(data: bytes, stream_at: int) -> bool:
    """Whether the stream starting at STREAM_AT is an image XObject, from its dictionary just before it."""
    window = data[max(0, stream_at - 4096) : stream_at]
    opened = window.rfind(b" obj")
    return _IMAGE_DICT.search(window[opened if opened >= 0 else 0 :]) is not None


class _Budget:
    """Objects a document may still draw: pdfminer interprets nested forms with no limit of its own."""

    def __init__(self, limits: ParseLimits) -> None:
        self.limits = limits
        self.left = limits.max_objects

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise too_many_objects(self.limits, "drawn objects (characters, lines, images, forms)")


class _CountingAggregator(PDFPageAggregatorWithMarkedContent):
    """pdfplumber's layout device, counting every glyph, path, image and form it is asked to draw."""

    budget: _Budget

    def begin_figure(self, *args: Any, **kwargs: Any) -> None:
        self.budget.spend()
        super().begin_figure(*args, **kwargs)

    def render_char(self, *args: Any, **kwargs: Any) -> float:
        self.budget.spend()
        return super().render_char(*args, **kwargs)

    def paint_path(self, *args: Any, **kwargs: Any) -> None:
        self.budget.spend()
        super().paint_path(*args, **kwargs)

    def render_image(self, *args: Any, **kwargs: Any) -> None:
        self.budget.spend()
        super().render_image(*args, **kwargs)


def _lay_out(pdf: Any, page: Any, budget: _Budget) -> None:
    """Compute PAGE's layout as pdfplumber's Page.layout does, on the counting device, and give it to the page."""
    device = _CountingAggregator(pdf.rsrcmgr, pageno=page.page_number, laparams=pdf.laparams)
    device.budget = budget
    PDFPageInterpreter(pdf.rsrcmgr, device).process_page(page.page_obj)
    page._layout = device.get_result()


def _read_lines(data: bytes, limits: ParseLimits = DEFAULT_LIMITS) -> list[list[_Line]]:
    pages: list[list[_Line]] = []
    budget = _Budget(limits)
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            # Count the pages before pdfplumber builds them all.
            if sum(1 for _ in itertools.islice(PDFPage.create_pages(pdf.doc), limits.max_pages + 1)) > limits.max_pages:
                raise too_many_pages(limits)
            for number, page in enumerate(pdf.pages):
                _lay_out(pdf, page, budget)
                page_lines: list[_Line] = []
                for raw in page.extract_text_lines(return_chars=True, strip=True):
                    line = _make_line(number, raw)
                    if line is not None:
                        page_lines.append(line)
                pages.append(page_lines)
                page.close()  # drop the page's cached layout and objects: only its lines are kept
    except PDFPasswordIncorrect:
        raise BulletinParseError("the PDF is password-protected", "encrypted") from None
    except (BulletinParseError, MemoryError):
        raise
    except Exception as exc:  # pdfminer raises many exception types on damaged files
        # pdfplumber wraps pdfminer's errors: look at the wrapped one too.
        causes = (exc, *exc.args, exc.__cause__, exc.__context__)
        if any(isinstance(c, PDFPasswordIncorrect) for c in causes):
            raise BulletinParseError("the PDF is password-protected", "encrypted") from None
        for cause in causes:
            if isinstance(cause, BulletinParseError):
                raise cause from None
            if isinstance(cause, MemoryError):
                raise too_large(limits) from None
        logger.debug("pdf read failed: %r", exc)
        raise BulletinParseError(_DAMAGED, "damaged") from None
    return pages


def _make_line(page: int, raw: dict[str, Any]) -> _Line | None:
    text = collapse_spaces(str(raw.get("text", "")))
    if not text:
        return None
    chars = [c for c in raw.get("chars", []) if str(c.get("text", "")).strip()]
    sizes = [float(c.get("size", 0.0)) for c in chars]
    size = round(median(sizes), 1) if sizes else round(float(raw["bottom"]) - float(raw["top"]), 1)
    bold_count = sum(1 for c in chars if _is_bold_font(str(c.get("fontname", ""))))
    return _Line(
        page=page,
        text=remove_cjk_digit_spaces(text),
        x0=float(raw["x0"]),
        x1=float(raw["x1"]),
        top=float(raw["top"]),
        bottom=float(raw["bottom"]),
        size=size,
        bold=bool(chars) and bold_count * 2 > len(chars),
        lead_width=_lead_width(chars),
    )


def _lead_width(chars: list[dict[str, Any]]) -> float:
    """Width of the line's leading run up to its first line-break opportunity (CJK line-breaking rules)."""
    if not chars:
        return 0.0
    end = len(chars) - 1
    for i in range(len(chars) - 1):
        a, b = str(chars[i]["text"]), str(chars[i + 1]["text"])
        if a in _OPENERS or b in _NO_START:
            continue
        if (is_wide(a) or is_wide(b)) or not (a.isalnum() and b.isalnum()):
            end = i
            break
    return float(chars[end]["x1"]) - float(chars[0]["x0"])


def _is_bold_font(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in ("bold", "heavy", "black", "demi", "-hei", "heiti"))


def _furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", text.replace(" ", ""))


def _drop_page_furniture(pages: list[list[_Line]]) -> list[_Line]:
    """Drop page numbers and headers/footers that repeat on most pages (only at the top or bottom of a page)."""
    repeated: set[str] = set()
    page_count = sum(1 for p in pages if p)
    if page_count >= 2:
        seen: Counter[str] = Counter()
        for lines in pages:
            edge = {_furniture_key(line.text) for line in lines[:2] + lines[-2:]}
            seen.update(edge)
        needed = max(2, math.ceil(page_count * 0.6))
        repeated = {key for key, count in seen.items() if count >= needed}
    kept: list[_Line] = []
    for lines in pages:
        for index, line in enumerate(lines):
            at_edge = index < 2 or index >= len(lines) - 2
            if at_edge and (_PAGE_NUMBER_RE.match(line.text) or _furniture_key(line.text) in repeated):
                continue
            kept.append(line)
    return kept


def _paragraphs(lines: list[_Line]) -> list[Block]:
    sizes: Counter[float] = Counter()
    for line in lines:
        sizes[line.size] += len(line.text)
    body_size = sizes.most_common(1)[0][0]
    body_lines = [line for line in lines if abs(line.size - body_size) <= 0.5] or lines
    x0s = Counter(round(line.x0) for line in body_lines)
    left = float(x0s.most_common(1)[0][0])
    left = min(left, min(line.x0 for line in body_lines))
    # The right margin from most body lines, not the widest: one overlong line must not make all others "short".
    ends = sorted(line.x1 for line in body_lines)
    right = ends[int(0.85 * (len(ends) - 1))]
    middle = (left + right) / 2

    def about_middle(line: _Line) -> bool:
        return abs((line.x0 + line.x1) / 2 - middle) < 0.3 * line.size

    def centred(group: list[_Line]) -> bool:
        first = group[0]
        first_line_indent = (
            abs(first.size - body_size) <= 0.5 and abs(first.x0 - left - 2 * body_size) < 0.5 * body_size
        )
        return (
            all(about_middle(line) for line in group)
            and any(line.x0 - left > 0.8 * line.size for line in group)
            and not (len(group) == 1 and first_line_indent)
        )

    groups: list[list[_Line]] = []
    for line in lines:
        if groups and _continues(groups[-1][-1], line, left, right, about_middle):
            groups[-1].append(line)
        else:
            groups.append([line])
    blocks: list[Block] = []
    for group in groups:
        text = remove_cjk_digit_spaces(join_wrapped_all([line.text for line in group]))
        first = group[0]
        blocks.append(
            Block(
                text,
                bold=all(line.bold for line in group),
                centred=centred(group),
                large=first.size > body_size * 1.08,
            )
        )
    return blocks


def _continues(prev: _Line, line: _Line, left: float, right: float, about_middle: Any) -> bool:
    """Whether `line` continues the paragraph that `prev` belongs to."""
    char = max(min(prev.size, line.size), 1.0)
    if abs(prev.size - line.size) > 0.5 or prev.bold != line.bold:
        return False
    if is_rule(prev.text) or is_rule(line.text) or FOOTER_RE.match(line.text) or _LIST_START.match(line.text):
        return False  # rules, list items, section labels and footer lines stand alone however wide they are
    if line.page == prev.page:
        gap = line.top - prev.bottom
        if gap < -0.5 * char or gap > 0.7 * min(prev.height, line.height):
            return False
    heading_wrap = about_middle(prev) and about_middle(line) and line.x0 - left > 0.8 * char
    if line.x0 - left > 0.8 * char and not heading_wrap:
        return False  # a first-line indent (or centred text) starts a new paragraph
    if prev.x1 + line.lead_width + char < right:
        return False  # the start of this line would have fitted on the previous one: that paragraph ended
    ends_sentence = prev.text.rstrip(_CLOSERS)[-1:] in _SENTENCE_END
    return not (ends_sentence and prev.x1 < right - 1.5 * char)
