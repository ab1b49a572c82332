"""HTML bulletins (an issue published as a web page): the content block's paragraphs, without site chrome.

The content root is the page's <article> or <main> when there is one, else the element that holds the most
paragraph text; it is widened until it contains the issue line, since mastheads often sit in their own box
above the text. Navigation, scripts, asides and elements whose class or id says header/footer/nav/menu/
breadcrumb/sidebar/share/copyright are removed first, unless they carry the bulletin itself.
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, NavigableString, Tag, XMLParsedAsHTMLWarning
from bs4.element import Comment, Declaration, Doctype, ProcessingInstruction

from bulletin.errors import BulletinParseError
from bulletin.parser.blocks import Block
from bulletin.parser.decode import decode_text
from bulletin.parser.textutil import WIDE_CHAR, collapse_spaces, is_wide, strip_all

logger = logging.getLogger(__name__)

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_ALWAYS_DROP = (
    "script", "style", "noscript", "template", "iframe", "svg", "canvas", "form", "button", "select",
    "input", "textarea", "nav", "aside", "head", "object", "embed", "audio", "video", "map",
)  # fmt: skip
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
# An issue line, or a dated report's head (XX每日动态(2022年7月5日), XX动态 2023年第15周): the bulletin's own box.
_ISSUE_HINT = re.compile(
    r"第\s*[\d〇零一二三四五六七八九十百两]+\s*期|\d{4}\s*年\s*第\s*\d{1,2}\s*周"
    r"|(?:动态|周报|日报|月报|简报|快报|信息)\s*[（(]\s*\d{4}\s*年"
)
_BULLETIN_FOOTER_HINT = re.compile(r"(?:^|\s)(?:报|送|发|抄送|抄报)\s*[:：]|共印|责任编辑|签发")
# A source line break next to Chinese text is not a word space (CMS editors wrap lines mid-sentence).
_NEWLINE_BY_WIDE = re.compile(rf"(?<={WIDE_CHAR})[ \t\r\f]*\n\s*|[ \t\r\f]*\n\s*(?={WIDE_CHAR})")


@dataclass
class _Buffer:
    parts: list[tuple[str, bool]]
    centred: bool
    large: bool


def html_blocks(data: bytes) -> list[Block]:
    """Decode and read an HTML page into blocks."""
    m = _META_CHARSET.search(data[:4096])
    text = decode_text(data, declared=m.group(1).decode("ascii", "replace") if m else None)
    try:
        with warnings.catch_warnings():
            # XHTML pages are read as HTML on purpose: bs4's advice to switch to an XML parser does not apply.
            warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
            warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
            soup = BeautifulSoup(text, "lxml")
        root = _content_root(soup)
        return _Walker().run(root)
    except (BulletinParseError, MemoryError):
        raise
    except Exception as exc:  # lxml/bs4 on pathological input
        logger.debug("html read failed: %r", exc)
        raise BulletinParseError("not a readable HTML page", "damaged") from None


def _content_root(soup: BeautifulSoup) -> Tag:
    for tag in soup.find_all(_ALWAYS_DROP):
        tag.decompose()
    for node in soup.find_all(string=lambda s: isinstance(s, Comment | Declaration | Doctype | ProcessingInstruction)):
        node.extract()
    body = soup.body if isinstance(soup.body, Tag) else soup
    candidates = [t for t in body.find_all(["article", "main"]) if isinstance(t, Tag)]
    candidates += [t for t in body.find_all(attrs={"role": "main"}) if isinstance(t, Tag)]
    total = _wide_len(body)
    root: Tag | None = None
    for tag in candidates:
        if total and _wide_len(tag) * 2 >= total:
            root = tag
            break
    if root is None:
        root = _densest(body)
    while not _ISSUE_HINT.search(root.get_text(" ")) and isinstance(root.parent, Tag):
        root = root.parent
    _drop_chrome(root)
    return root


def _drop_chrome(root: Tag) -> None:
    for tag in list(root.find_all(True)):
        # Not tag.decomposed: on a live Tag that property falls through to Tag.__getattr__, which searches the
        # whole subtree for a <_decomposed> element (quadratic in the nesting depth).
        if vars(tag).get("_decomposed") or tag is root:
            continue
        names = " ".join([*tag.get("class", []), str(tag.get("id", ""))]) if tag.attrs else ""
        chrome = tag.name in _CHROME_TAGS or bool(names and _CHROME_RE.search(names))
        if not chrome:
            continue
        text = tag.get_text(" ")
        if _ISSUE_HINT.search(text) or _BULLETIN_FOOTER_HINT.search(text):
            continue  # the bulletin's own masthead box or footer lines
        tag.decompose()


def _wide_len(tag: Tag) -> int:
    return sum(1 for ch in tag.get_text() if is_wide(ch))


def _densest(body: Tag) -> Tag:
    """The element whose own paragraphs hold the most Chinese text (readability-style scoring)."""
    scores: dict[int, tuple[int, Tag]] = {}

    def add(tag: Tag | None, weight: int) -> None:
        if isinstance(tag, Tag) and weight:
            scores[id(tag)] = (scores.get(id(tag), (0, tag))[0] + weight, tag)

    for p in body.find_all(["p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "td", "pre"]):
        weight = _wide_len(p)
        add(p.parent, weight)
        add(p.parent.parent if isinstance(p.parent, Tag) else None, weight // 2)
    for div in body.find_all(["div", "section", "td"]):
        # Pages that separate paragraphs with <br> keep their text directly in the container.
        own = sum(1 for s in div.find_all(string=True, recursive=False) for ch in s if is_wide(ch))
        add(div, own)
    if not scores:
        return body
    return max(scores.values(), key=lambda item: item[0])[1]


class _Walker:
    """Turns a DOM subtree into blocks: block elements and <br> end a block; inline text is joined."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.buffer = _Buffer([], False, False)

    def run(self, root: Tag) -> list[Block]:
        self._walk(root, bold=False, centred=False, large=False)
        self._flush()
        return self.blocks

    def _walk(self, node: Tag, *, bold: bool, centred: bool, large: bool) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if isinstance(child, Comment):
                    continue
                if not self.buffer.parts:
                    self.buffer.centred, self.buffer.large = centred, large
                self.buffer.parts.append((str(child), bold))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name
            if name == "br":
                self._flush()
                continue
            is_block = name in _BLOCK_TAGS
            child_bold = bold or name in _BOLD_TAGS or _style_bold(child) or name in _HEADING_TAGS
            child_centred = (centred or _is_centred(child)) if is_block or name == "span" else centred
            child_large = large or name in _HEADING_TAGS
            if is_block:
                self._flush()
                if name == "hr":
                    continue
            self._walk(child, bold=child_bold, centred=child_centred, large=child_large)
            if is_block:
                self._flush()

    def _flush(self) -> None:
        parts = self.buffer.parts
        if parts:
            raw = "".join(text for text, _ in parts)
            raw = _NEWLINE_BY_WIDE.sub("", raw)
            text = collapse_spaces(raw)
            if text:
                visible = [(strip_all(t), b) for t, b in parts if strip_all(t)]
                bold_chars = sum(len(t) for t, b in visible if b)
                all_chars = sum(len(t) for t, _ in visible)
                self.blocks.append(
                    Block(
                        text,
                        bold=all_chars > 0 and bold_chars * 10 >= all_chars * 9,
                        centred=self.buffer.centred,
                        large=self.buffer.large,
                    )
                )
        self.buffer = _Buffer([], False, False)


def _is_centred(tag: Tag) -> bool:
    if tag.name == "center":
        return True
    if str(tag.get("align", "")).lower() == "center":
        return True
    style = str(tag.get("style", "")).replace(" ", "").lower()
    return "text-align:center" in style


def _style_bold(tag: Tag) -> bool:
    style = str(tag.get("style", "")).replace(" ", "").lower()
    return "font-weight:bold" in style or "font-weight:700" in style or "font-weight:600" in style
