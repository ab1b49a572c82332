"""Chat rendering: the contents message and article messages as Telegram HTML (pure functions).

Telegram limits a message to 4096 UTF-16 code units of text *after* entity parsing, so lengths here are
counted on the visible text, never on the tags or the escapes. Markup is built from plain text plus bold
ranges, so every part produced by a split carries its own balanced tags.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from bulletin.i18n import EN, month_name, t
from bulletin.model import Issue

MAX_MESSAGE_UTF16 = 4096
MAX_BUTTON_LABEL = 32
# PTB and the server cap inline keyboards at 100 buttons; keep room for the navigation row.
MAX_ARTICLE_BUTTONS = 95

# Sentence ends, in the order of preference used by the splitter, and what may trail them.
_SENTENCE_ENDS = "。！？；"
_CLOSERS = "”’」』）)】〕》"
_PARAGRAPH_SEP = "\n\n"


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button: its label and its callback data (at most 64 bytes), URL, or Mini App URL (WEB_APP: opened
    inside Telegram in a private chat; elsewhere it becomes a plain URL button, see bot/common/keyboards.py)."""

    label: str
    callback_data: str | None = None
    url: str | None = None
    web_app: str | None = None


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True, slots=True)
class Rendered:
    """One chat message: HTML text (Telegram's subset) and its inline keyboard."""

    text: str
    keyboard: Keyboard = ()


# --- callback data: the wire format lives in bot/callbacks.py; render only needs to build it, so the
# builders are duplicated here as plain string formats that bot/callbacks.py parses (and tests cross-check).
CALLBACK_VERSION = "1"


def cb_article(issue_id: int, position: int) -> str:
    """Callback data that opens article POSITION of issue ISSUE_ID."""
    return f"{CALLBACK_VERSION}:a:{issue_id}:{position}"


def cb_contents(issue_id: int) -> str:
    """Callback data that shows the contents message of issue ISSUE_ID."""
    return f"{CALLBACK_VERSION}:c:{issue_id}"


def cb_ack(issue_id: int) -> str:
    """Callback data of the push's "read" acknowledgement button for ISSUE_ID."""
    return f"{CALLBACK_VERSION}:k:{issue_id}"


# --- text measurement and escaping


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts message length."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def esc(text: str) -> str:
    """Escape plain text for Telegram HTML (<, > and &; quotes need no escaping outside attributes)."""
    return html.escape(text, quote=False)


def bold(markup: str) -> str:
    """MARKUP (a catalog string or escaped text) as a bold span: headings are marked here, not in the catalogs."""
    return f"<b>{markup}</b>"


def shorten(text: str, limit: int = MAX_BUTTON_LABEL) -> str:
    """TEXT cut to LIMIT characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- splitting


def _hard_end(text: str, start: int, limit: int) -> int:
    """The largest end such that text[start:end] fits in LIMIT UTF-16 units."""
    units = 0
    i = start
    n = len(text)
    while i < n:
        units += 2 if ord(text[i]) > 0xFFFF else 1
        if units > limit:
            return i
        i += 1
    return n


def _joins_previous(ch: str) -> bool:
    """True for characters that must stay with the one before them (marks, joiners, selectors, skin tones)."""
    cp = ord(ch)
    return (
        unicodedata.category(ch) in ("Mn", "Me", "Mc")
        or cp in (0x200D, 0x20E3)
        or 0xFE00 <= cp <= 0xFE0F
        or 0x1F3FB <= cp <= 0x1F3FF
        or 0xE0020 <= cp <= 0xE007F
    )


def _break_at(text: str, start: int, end: int) -> int:
    """Where to end the part that starts at START, given it may not go past END (< len(text))."""

    def usable(b: int) -> bool:
        return b > start and text[start:b].strip() != ""

    # 1. a paragraph (or line) boundary: the newline run stays at the end of the earlier part
    b = text.rfind("\n", start, end)
    while b >= start:
        if usable(b + 1):
            return b + 1
        b = text.rfind("\n", start, b)
    # 2. the end of a sentence, keeping closing quotes and brackets with it
    best = -1
    for mark in _SENTENCE_ENDS:
        best = max(best, text.rfind(mark, start, end))
    if best >= start:
        b = best + 1
        while b < end and text[b] in _CLOSERS:
            b += 1
        if usable(b):
            return b
    # 3. a space (for Latin text)
    b = text.rfind(" ", start, end)
    if b > start and usable(b + 1):
        return b + 1
    # 4. hard split, but not inside a grapheme that is built from several code points
    b = end
    while b - 1 > start and (_joins_previous(text[b]) or text[b - 1] == "\u200d"):
        b -= 1
    return b if b > start else end


def split_plain(text: str, limit: int = MAX_MESSAGE_UTF16) -> list[str]:
    """Cut TEXT into consecutive pieces of at most LIMIT UTF-16 units that concatenate back to TEXT.

    Cuts fall after a paragraph break if the window has one, else after 。！？； (with trailing quotes),
    else after a space, else anywhere (never inside a surrogate pair or a combined emoji).
    """
    if limit < 2:
        raise ValueError("limit must be at least 2")
    parts: list[str] = []
    start = 0
    n = len(text)
    while start < n:
        end = _hard_end(text, start, limit)
        if end >= n:
            parts.append(text[start:])
            break
        b = _break_at(text, start, end)
        parts.append(text[start:b])
        start = b
    return parts


def _markup(text: str, start: int, end: int, bold: Sequence[tuple[int, int]]) -> str:
    """HTML for text[start:end], with the parts that fall in a BOLD range wrapped in <b>."""
    out: list[str] = []
    pos = start
    for b_start, b_end in sorted(bold):
        lo, hi = max(b_start, pos), min(b_end, end)
        if lo >= hi:
            continue
        out.append(esc(text[pos:lo]))
        out.append("<b>" + esc(text[lo:hi]) + "</b>")
        pos = hi
    out.append(esc(text[pos:end]))
    return "".join(out)


def highlighted(text: str, ranges: Sequence[tuple[int, int]]) -> str:
    """Plain TEXT as HTML with the character RANGES in bold (a search snippet's matched words)."""
    return _markup(text, 0, len(text), ranges)


def split_html(
    text: str, *, bold: Sequence[tuple[int, int]] = (), limit: int = MAX_MESSAGE_UTF16
) -> list[str]:
    """Split plain TEXT (with BOLD character ranges) into HTML messages of at most LIMIT visible UTF-16 units.

    Each part is self-contained HTML: a bold range that crosses a cut is closed before it and reopened after.
    """
    html_parts: list[str] = []
    pos = 0
    for piece in split_plain(text, limit):
        html_parts.append(_markup(text, pos, pos + len(piece), bold))
        pos += len(piece)
    return html_parts


_TAG = re.compile(r"<[^>]*>")


def visible_text(markup: str) -> str:
    """What Telegram shows of HTML MARKUP: tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", markup))


def split_lines(markup: str, limit: int = MAX_MESSAGE_UTF16) -> list[str]:
    """Split HTML MARKUP (tags never cross a line) into messages of at most LIMIT visible UTF-16 units, at line
    boundaries; a single line longer than LIMIT is cut as plain text (its tags dropped). Blank parts are left out.

    For listings built a line per entry (subscribers, statistics, audit entries), whose length has no bound.
    """
    if utf16_len(visible_text(markup)) <= limit:
        return [markup]
    parts: list[str] = []
    current: list[str] = []
    size = 0

    def flush() -> None:
        if current and visible_text("\n".join(current)).strip():
            parts.append("\n".join(current))
        current.clear()

    for line in markup.split("\n"):
        n = utf16_len(visible_text(line))
        if n > limit:
            flush()
            size = 0
            parts.extend(esc(piece) for piece in split_plain(visible_text(line), limit) if piece.strip())
            continue
        if current and size + 1 + n > limit:
            flush()
            size = 0
        size += n + (1 if current else 0)
        current.append(line)
    flush()
    return parts


# --- the contents message


def date_text(date: dt.date, lang: str) -> str:
    """"2022年7月5日" / "5 July 2022"."""
    return t(lang, "date", y=date.year, m=date.month, d=date.day, month=month_name(date.month))


def issue_label(issue: Issue, lang: str) -> str:
    """"2023年第1期（总第1期）" / "2023 No. 1 (No. 1 overall)"; a dated report without a number by its week
    ("2023年第15周") or date ("2022年7月5日")."""
    if issue.number is None:
        year = issue.year if issue.year is not None else (issue.date.year if issue.date is not None else None)
        if issue.week is not None and year is not None:
            label = t(lang, "issue_week", year=year, week=issue.week)
        elif issue.date is not None:
            label = date_text(issue.date, lang)
        else:
            label = t(lang, "issue_unnumbered")
    elif issue.year is not None:
        label = t(lang, "issue_line", year=issue.year, number=issue.number)
    else:
        label = t(lang, "issue_line_no_year", number=issue.number)
    if issue.total_number is not None:
        label += t(lang, "issue_total", total=issue.total_number)
    return label


def _date_line(issue: Issue, lang: str) -> str:
    parts: list[str] = []
    # A dated report's label is its date already.
    if issue.date is not None and not (issue.number is None and issue.week is None):
        parts.append(date_text(issue.date, lang))
    if issue.publisher:
        parts.append(issue.publisher)
    return ("　" if lang != EN else " · ").join(parts)


# Visible room kept free in a contents message for a handling mark line (jobs/marks.py) added after rendering.
MARK_RESERVE_UTF16 = 64


def reader_url(base_url: str, issue_id: int, position: int | None = None) -> str:
    """The web reader's page of issue ISSUE_ID (or of its article POSITION) under BASE_URL ([web] base_url)."""
    path = f"/i/{issue_id}" if position is None else f"/i/{issue_id}/{position}"
    return base_url.rstrip("/") + path


def with_reader_button(rendered: Rendered, lang: str, url: str | None) -> Rendered:
    """RENDERED with a last row holding the 阅读 button that opens URL in the reader as a Mini App (none: as is)."""
    if not url:
        return rendered
    return Rendered(rendered.text, (*rendered.keyboard, (Button(t(lang, "btn_read_web"), web_app=url),)))


# Rendering an issue's messages costs more CPU than finding it (escaping, splitting and measuring the same text on
# every /issue and /article), and the result depends on the arguments alone: a stored issue does not change (a
# replace or correction is read as another Issue, another key). So the latest ones are kept. Each entry holds its
# Issue in its key: at most this many issues stay in memory through each cache, a few MB for usual bulletins.
_KEPT_RENDERINGS = 256


def render_contents(
    stored_issue_id: int,
    issue: Issue,
    *,
    lang: str,
    previous_issue_id: int | None,
    ack_button: bool = False,
    reader: str = "",
) -> Rendered:
    """The contents message: masthead, issue line, date and publisher, numbered 要目; a button per article; with
    READER ([web] base_url) a last button opening the issue in the web reader as a Mini App."""
    return _contents(stored_issue_id, issue, lang, previous_issue_id, ack_button, reader)


@functools.lru_cache(maxsize=_KEPT_RENDERINGS)
def _contents(
    stored_issue_id: int, issue: Issue, lang: str, previous_issue_id: int | None, ack_button: bool, reader: str
) -> Rendered:
    head = [f"<b>{esc(issue.masthead)}</b>", esc(issue_label(issue, lang))]
    date_line = _date_line(issue, lang)
    if date_line:
        head.append(esc(date_line))
    lines = ["\n".join(head), f"<b>{esc(t(lang, 'contents_heading'))}</b>"]

    entries: list[tuple[str, str | None]] = [(e.title, e.section) for e in issue.toc]
    if not entries:
        entries = [(a.title, None) for a in issue.articles]
    body: list[str] = []
    section: str | None = None
    for number, (title, entry_section) in enumerate(entries, start=1):
        if entry_section and entry_section != section:
            body.append(f"【{esc(entry_section)}】")
        section = entry_section
        body.append(f"{number}. {esc(title)}")
    if not body:
        body.append(esc(t(lang, "contents_empty")))

    # A 要目 long enough to pass the limit is cut at an entry, with a count of what was left out; the room a
    # handling mark (内部资料) needs when it is put on the first line is kept free.
    text = "\n\n".join(lines) + "\n" + "\n".join(body)
    while utf16_len(_visible(text)) > MAX_MESSAGE_UTF16 - MARK_RESERVE_UTF16 and len(body) > 1:
        body.pop()
        more = t(lang, "contents_more", count=len(entries) - sum(1 for b in body if not b.startswith("【")))
        text = "\n\n".join(lines) + "\n" + "\n".join([*body, esc(more)])

    rows: list[tuple[Button, ...]] = []
    for position, article in enumerate(issue.articles[:MAX_ARTICLE_BUTTONS], start=1):
        rows.append((Button(shorten(f"{position}. {article.title}"), cb_article(stored_issue_id, position)),))
    nav: list[Button] = []
    if previous_issue_id is not None:
        nav.append(Button(t(lang, "btn_previous_issue"), cb_contents(previous_issue_id)))
    if ack_button:
        nav.append(Button(t(lang, "btn_ack"), cb_ack(stored_issue_id)))
    if nav:
        rows.append(tuple(nav))
    return with_reader_button(Rendered(text, tuple(rows)), lang, reader and reader_url(reader, stored_issue_id))


def _visible(markup: str) -> str:
    """The visible text of markup built in this module (only <b> tags and html.escape escapes)."""
    return html.unescape(markup.replace("<b>", "").replace("</b>", ""))


# --- article messages


# What Telegram (TDLib) does to message text anyway: these are removed, other C0 controls become spaces.
_DROPPED = dict.fromkeys(map(ord, "\r\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u0333\u033f\u030a"))
_AS_SPACE = {c: " " for c in range(0x20) if c != ord("\n")}


def clean_text(text: str) -> str:
    """TEXT as Telegram will keep it: \r, bidi overrides and a few combining marks dropped, controls as spaces."""
    return text.translate(_DROPPED).translate(_AS_SPACE)


def article_plain_text(title: str, paragraphs: Sequence[str]) -> tuple[str, int]:
    """The article as one plain text (title, blank line, paragraphs separated by blank lines) and the title length.

    Text is cleaned as Telegram would (``clean_text``), surrounding whitespace is trimmed and blank paragraphs
    are left out, so what is sent is exactly what arrives.
    """
    head = clean_text(title).strip()
    body = [c for c in (clean_text(p).strip() for p in paragraphs) if c]
    return _PARAGRAPH_SEP.join([head, *body]) if body else head, len(head)


def render_article(issue_id: int, issue: Issue, position: int, *, lang: str, reader: str = "") -> list[Rendered]:
    """Article POSITION (1-based) of ISSUE as one or more messages; navigation buttons on the last one (and with
    READER, [web] base_url, the button opening the article in the web reader as a Mini App).

    Raises IndexError for a position outside the issue.
    """
    if not 1 <= position <= len(issue.articles):
        raise IndexError(f"issue has no article {position}")
    return list(_article_parts(issue_id, issue, position, lang, reader))


@functools.lru_cache(maxsize=_KEPT_RENDERINGS)
def _article_parts(issue_id: int, issue: Issue, position: int, lang: str, reader: str) -> tuple[Rendered, ...]:
    """render_article's messages, kept (see _KEPT_RENDERINGS)."""
    article = issue.articles[position - 1]
    text, title_len = article_plain_text(article.title, article.paragraphs)
    parts = split_html(text, bold=[(0, title_len)]) or [esc("…")]
    nav: list[Button] = []
    if position > 1:
        nav.append(Button(t(lang, "btn_prev_article"), cb_article(issue_id, position - 1)))
    if position < len(issue.articles):
        nav.append(Button(t(lang, "btn_next_article"), cb_article(issue_id, position + 1)))
    keyboard: Keyboard = (tuple(nav), (Button(t(lang, "btn_contents"), cb_contents(issue_id)),))
    if not nav:
        keyboard = keyboard[1:]
    last = with_reader_button(Rendered(parts[-1], keyboard), lang, reader and reader_url(reader, issue_id, position))
    return (*(Rendered(p) for p in parts[:-1]), last)
