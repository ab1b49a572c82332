"""HTML bulletins (an issue published as a web page): the content block's paragraphs, without site chrome.

The content root is the page's <article> or <main> when there is one, else the element that holds the most
paragraph text; it is widened until it contains the issue line, since mastheads often sit in their own box
above the text. Navigation, scripts, asides and elements whose class or id says header/footer/nav/menu/
breadcrumb/sidebar/share/copyright are removed first, unless they carry the bulletin itself.

Speed and memory: the page is read as a stream of lxml's pull-parser events, in linear time and without ever
holding the whole tree (each element is freed once read). A first pass numbers the elements in document order
and records, for each, its parent, its text's span in the page text (all text nodes joined with a space) and its
count of Chinese characters; the hint patterns are searched once in the page text, so asking whether an element's
text holds an issue line is a lookup, not a scan of its subtree. A second pass walks the content root into
blocks. The elements skipped (scripts, navigation, chrome) are passed over, and a text node after a skipped
element stays a text node of its own, as it would after removing the element from a DOM.
"""

from __future__ import annotations

import io
import itertools
import logging
import re
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from bulletin.errors import BulletinParseError
from bulletin.parser.blocks import Block
from bulletin.parser.decode import decode_text
from bulletin.parser.textutil import WIDE_CHAR, collapse_spaces, strip_all, wide_count

logger = logging.getLogger(__name__)

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_ALWAYS_DROP = frozenset((
    "script", "style", "noscript", "template", "iframe", "svg", "canvas", "form", "button", "select",
    "input", "textarea", "nav", "aside", "head", "object", "embed", "audio", "video", "map",
))  # fmt: skip
_CHROME_TAGS = ("header", "footer")
_CHROME_RE = re.compile(
    r"(?:^|[-_\s])(?:nav|navbar|menu|breadcrumbs?|crumbs?|sidebar|side|footer|foot|header|head|topbar|top-bar|"
    r"banner|share|social|copyright|toolbar|search|login|ads?|advert|related|comments?|pagination|pager|"
    r"links|friendlink|print|skip)(?:$|[-_\s\d])",
    re.IGNORECASE,
)
_BLOCK_TAGS = {
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "table", "tbody", "thead", "tfoot",
    "tr", "td", "th", "section", "article", "main", "header", "footer", "blockquote", "pre", "dd", "dt",
    "dl", "center", "figure", "figcaption", "address", "body", "html", "caption", "hr",
}  # fmt: skip
_HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_BOLD_TAGS = {"b", "strong"}
# Elements whose text scores their parent (and half for the grandparent) in the densest-box search.
_PARAGRAPH_TAGS = frozenset(("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "td", "pre"))
# Boxes scored for the text directly inside them (pages that separate paragraphs with <br>).
_BOX_TAGS = frozenset(("div", "section", "td"))
_INDEXED = _PARAGRAPH_TAGS | _BOX_TAGS | {"body", "article", "main"}
# An issue line, or a dated report's head (XX每日动态(2022年7月5日), XX动态 2023年第15周): the bulletin's own box.
_ISSUE_HINT = re.compile(
    r"第\s*[\d〇零一二三四五六七八九十百两]+\s*期|\d{4}\s*年\s*第\s*\d{1,2}\s*周"
    r"|(?:动态|周报|日报|月报|简报|快报|信息)\s*[（(]\s*\d{4}\s*年"
)
# (?<!\S): at the start of an element's text or after a space, also when searched in the whole page's text.
_BULLETIN_FOOTER_HINT = re.compile(r"(?<!\S)(?:报|送|发|抄送|抄报)\s*[:：]|共印|责任编辑|签发")
# A source line break next to Chinese text is not a word space (CMS editors wrap lines mid-sentence).
_NEWLINE_BY_WIDE = re.compile(rf"(?<={WIDE_CHAR})[ \t\r\f]*\n\s*|[ \t\r\f]*\n\s*(?={WIDE_CHAR})")

_DOCUMENT = -1  # the content root above <html>: <html> itself is then an element like any other
_CHUNK = 1 << 20  # characters of the page fed to the parser at a time
# libxml2 stops reading (silently) past ~1,024 nested elements: a deeper page is refused rather than cut short.
_MAX_DEPTH = 1000


def html_blocks(data: bytes) -> list[Block]:
    """Decode and read an HTML page into blocks."""
    m = _META_CHARSET.search(data[:4096])
    text = decode_text(data, declared=m.group(1).decode("ascii", "replace") if m else None)
    try:
        index = _Index.build(text)
        if not index.parent:
            return []  # no element: nothing but comments or white space
        first = _content_root(index)
        return _Walker(index).run(text, max(first, 0), exempt=first != _DOCUMENT)
    except (BulletinParseError, MemoryError):
        raise
    except Exception as exc:  # lxml on pathological input
        logger.debug("html read failed: %r", exc)
        raise BulletinParseError("not a readable HTML page", "damaged") from None


def _page_events(text: str) -> Iterator[Iterator[tuple[str, Any]]]:
    """lxml's parse of the page as ("start" | "end" | "comment" | "pi", node) events, fed a chunk at a time
    (an iterator of the events of each chunk: a loop over each costs no Python call per event).

    The users read a node's text or tail at the next event (only then is it complete), pass over the
    subtrees of _ALWAYS_DROP elements and the text of comments and processing instructions (their tails stay),
    number the elements left in document order, and call _done at every "end", so that no whole tree is ever
    held. Chunks are re-encoded: the encoding given wins over the page's own meta charset, which decode_text
    has already weighed.
    """
    # etree's parser, not lxml.html's: the same libxml2 parser, without a Python call per element for its class.
    # huge_tree: no depth limit (256) and no text-node limit (10 MB); the reading is iterative and bounded by the
    # parse limits of the child.
    parser = etree.HTMLPullParser(events=("start", "end", "comment", "pi"), encoding="utf-8", huge_tree=True)
    for offset in range(0, len(text), _CHUNK):
        parser.feed(text[offset : offset + _CHUNK].encode("utf-8"))
        yield parser.read_events()
    parser.close()
    yield parser.read_events()


def _done(element: Any) -> None:
    """Free what has been read: ELEMENT's content (its tail is still to come) and its earlier siblings."""
    element.clear(keep_tail=True)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


class _Hits:
    """Where a pattern matches in the page text, to ask whether it matches inside one element's span."""

    def __init__(self, pattern: re.Pattern[str], text: str) -> None:
        self.starts = array("q")
        self.ends = array("q")
        for match in pattern.finditer(text):
            self.starts.append(match.start())
            self.ends.append(match.end())

    def within(self, start: int, end: int) -> bool:
        # Matches do not overlap, so the first one starting in the span is also the first to end.
        k = bisect_left(self.starts, start)
        return k < len(self.starts) and self.ends[k] <= end


@dataclass
class _Index:
    """Every element (numbered as _page_events says, from 0 = <html>) and what the content-root rules ask of it."""

    parent: array[int] = field(default_factory=lambda: array("q"))
    last: array[int] = field(default_factory=lambda: array("q"))  # its last descendant's number
    start: array[int] = field(default_factory=lambda: array("q"))  # its text is text[start:end]
    end: array[int] = field(default_factory=lambda: array("q"))
    wide: array[int] = field(default_factory=lambda: array("q"))  # Chinese characters in its text
    own: dict[int, int] = field(default_factory=dict)  # Chinese characters directly in a _BOX_TAGS element
    body: int = _DOCUMENT
    total: int = 0  # Chinese characters in the page
    mains: list[int] = field(default_factory=list)  # <article> and <main>
    roles: list[int] = field(default_factory=list)  # role="main"
    paragraphs: list[int] = field(default_factory=list)  # _PARAGRAPH_TAGS
    boxes: list[int] = field(default_factory=list)  # _BOX_TAGS
    issue: _Hits | None = None
    footer: _Hits | None = None

    @classmethod
    def build(cls, page: str) -> _Index:
        index = cls()
        parent, last, start, end, wide = index.parent, index.last, index.start, index.end, index.wide
        out = io.StringIO()  # the page text: every text node, joined with " "
        write = out.write
        pos = strings = 0
        # Open elements: [number, strings before it, where its text would start, Chinese chars, directly].
        stack: list[list[int]] = []
        pending: Any = None  # the node whose text (after its start) or tail (after its end) comes next
        tail = False
        dropping = 0  # depth inside an _ALWAYS_DROP element
        for event, element in itertools.chain.from_iterable(_page_events(page)):
            if pending is not None:
                piece = pending.tail if tail else pending.text
                if piece:
                    if strings:
                        write(" ")
                        pos += 1
                    write(piece)
                    pos += len(piece)
                    strings += 1
                    count = wide_count(piece)
                    if count:
                        frame = stack[-1]
                        frame[3] += count
                        frame[4] += count
                pending = None
            if event == "start":
                if dropping or element.tag in _ALWAYS_DROP:
                    dropping += 1
                    continue
                if len(stack) >= _MAX_DEPTH:
                    raise BulletinParseError("the document is too deeply nested to read", "damaged")
                tag = element.tag
                number = len(parent)
                parent.append(stack[-1][0] if stack else _DOCUMENT)
                last.append(number)
                start.append(pos)
                end.append(pos)
                wide.append(0)
                if tag in _INDEXED:
                    if tag == "body" and index.body == _DOCUMENT:
                        index.body = number
                    if tag in ("article", "main"):
                        index.mains.append(number)
                    if tag in _PARAGRAPH_TAGS:
                        index.paragraphs.append(number)
                    if tag in _BOX_TAGS:
                        index.boxes.append(number)
                if element.get("role") == "main":
                    index.roles.append(number)
                stack.append([number, strings, pos + 1 if strings else pos, 0, 0])
                pending, tail = element, False
            elif event == "end":
                if dropping:
                    dropping -= 1
                else:
                    number, before, first, count, direct = stack.pop()
                    last[number] = len(parent) - 1
                    if strings != before:
                        start[number] = first
                        end[number] = pos
                    else:
                        start[number] = end[number] = pos
                    wide[number] = count
                    if direct and element.tag in _BOX_TAGS:
                        index.own[number] = direct
                    if stack:
                        stack[-1][3] += count
                    else:  # the end of <html>; content after it comes as another <html>
                        index.total += count
                if not dropping and stack:
                    pending, tail = element, True
                _done(element)
            elif not dropping and stack:
                pending, tail = element, True
        text = out.getvalue()
        out.close()
        index.issue = _Hits(_ISSUE_HINT, text)
        index.footer = _Hits(_BULLETIN_FOOTER_HINT, text)
        return index

    def inside_body(self, number: int) -> bool:
        return self.body == _DOCUMENT or self.body < number <= self.last[self.body]

    def has_issue_line(self, number: int) -> bool:
        assert self.issue is not None
        return self.issue.within(self.start[number], self.end[number])

    def keeps_chrome(self, number: int) -> bool:
        """A chrome-looking box that holds the bulletin's own masthead or footer lines."""
        assert self.footer is not None
        return self.has_issue_line(number) or self.footer.within(self.start[number], self.end[number])


def _content_root(index: _Index) -> int:
    """The number of the content root, or _DOCUMENT."""
    if not index.parent:
        return _DOCUMENT
    total = index.wide[index.body] if index.body != _DOCUMENT else index.total
    root = _DOCUMENT
    candidates = [n for n in (*index.mains, *index.roles) if index.inside_body(n)]
    for number in candidates:
        if total and index.wide[number] * 2 >= total:
            root = number
            break
    else:
        root = _densest(index)
    while root != _DOCUMENT and not index.has_issue_line(root):
        root = index.parent[root]
    return root


def _densest(index: _Index) -> int:
    """The element whose own paragraphs hold the most Chinese text (readability-style scoring)."""
    scores: dict[int, int] = {}

    def add(number: int, weight: int) -> None:
        if number != _DOCUMENT and weight:
            scores[number] = scores.get(number, 0) + weight

    for number in index.paragraphs:
        if index.inside_body(number):
            weight = index.wide[number]
            parent = index.parent[number]
            add(parent, weight)
            add(index.parent[parent] if parent != _DOCUMENT else _DOCUMENT, weight // 2)
    for number in index.boxes:
        if index.inside_body(number):
            # Pages that separate paragraphs with <br> keep their text directly in the container.
            add(number, index.own.get(number, 0))
    if not scores:
        return index.body
    return max(scores.items(), key=lambda item: item[1])[0]


def _is_chrome(name: str, attributes: Any) -> bool:
    if name in _CHROME_TAGS:
        return True
    if not attributes:
        return False
    classes, ident = attributes.get("class"), attributes.get("id")
    if classes is None and ident is None:
        return False
    names = " ".join([*(classes or "").split(), ident or ""])
    return bool(names and _CHROME_RE.search(names))


class _Walker:
    """Turns a DOM subtree into blocks: block elements and <br> end a block; inline text is joined."""

    def __init__(self, index: _Index) -> None:
        self.index = index
        self.blocks: list[Block] = []
        self.parts: list[tuple[str, bool]] = []  # the text of the block being read, and whether it is bold
        self.centred = self.large = False

    def run(self, page: str, first: int, *, exempt: bool) -> list[Block]:
        """Walk the element numbered FIRST; an EXEMPT one is the content root, its own tag and style ignored."""
        index, parts, flush = self.index, self.parts, self._flush
        # Per open element: bold, centred, large, and whether it is a block (ends the text before and after it).
        contexts: list[tuple[bool, bool, bool, bool]] = []
        outside = (False, False, False, False)

        number = -1
        skipping = 0  # depth inside an element passed over (_ALWAYS_DROP, chrome, <br>, <hr>)
        pending: Any = None  # as in _Index.build
        tail = False
        for event, element in itertools.chain.from_iterable(_page_events(page)):
            if pending is not None:
                piece = pending.tail if tail else pending.text
                if piece:
                    bold, centred, large, _ = contexts[-1]
                    if not parts:
                        self.centred, self.large = centred, large
                    parts.append((piece, bold))
                pending = None
            if event == "start":
                if skipping:
                    skipping += 1
                    continue
                name = element.tag
                if name in _ALWAYS_DROP:
                    skipping = 1
                    continue
                number += 1
                if number < first:
                    continue
                if exempt and number == first:
                    contexts.append(outside)
                else:
                    attributes = element.attrib
                    pass_over = name == "br" or name == "hr"
                    if _is_chrome(name, attributes) and not index.keeps_chrome(number):
                        pass_over = True
                    elif name == "br" or name in _BLOCK_TAGS:
                        flush()
                    if pass_over:
                        skipping = 1
                        number = index.last[number]
                        continue
                    bold, centred, large, _ = contexts[-1] if contexts else outside
                    is_block = name in _BLOCK_TAGS
                    if attributes:
                        bold = bold or _style_bold(attributes)
                        if is_block or name == "span":
                            centred = centred or _is_centred(attributes)
                    if name == "center":
                        centred = True
                    contexts.append(
                        (
                            bold or name in _BOLD_TAGS or name in _HEADING_TAGS,
                            centred,
                            large or name in _HEADING_TAGS,
                            is_block,
                        )
                    )
                pending, tail = element, False
            elif event == "end":
                if skipping:
                    skipping -= 1
                    if not skipping and contexts:
                        pending, tail = element, True
                elif contexts:
                    if contexts.pop()[3]:
                        flush()
                    if contexts:
                        pending, tail = element, True
                    elif exempt:
                        break  # the end of the content root (its tail is not part of it)
                _done(element)
            elif not skipping and contexts:
                pending, tail = element, True
        flush()
        return self.blocks

    def _flush(self) -> None:
        parts = self.parts
        if not parts:
            return
        raw = "".join([text for text, _ in parts])
        if not raw.isspace():  # white space between blocks (most flushes): collapse_spaces would make it ""
            text = collapse_spaces(_NEWLINE_BY_WIDE.sub("", raw) if "\n" in raw else raw)
            if text:
                bold_chars = all_chars = 0
                for part, part_bold in parts:
                    n = len(strip_all(part))
                    all_chars += n
                    if part_bold:
                        bold_chars += n
                bold = all_chars > 0 and bold_chars * 10 >= all_chars * 9
                self.blocks.append(Block(text, bold=bold, centred=self.centred, large=self.large))
        parts.clear()


def _is_centred(attributes: Any) -> bool:
    if attributes.get("align", "").lower() == "center":
        return True
    style = attributes.get("style", "").replace(" ", "").lower()
    return "text-align:center" in style


def _style_bold(attributes: Any) -> bool:
    style = attributes.get("style", "").replace(" ", "").lower()
    return "font-weight:bold" in style or "font-weight:700" in style or "font-weight:600" in style
