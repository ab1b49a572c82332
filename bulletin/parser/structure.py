"""The format-independent part of the parser: a stream of blocks -> an Issue.

Layout of a work bulletin (工作简报), top to bottom: masthead (刊头), issue line (2023年第1期（总第1期）),
publisher and date (often on one line), a rule, the table of contents (本期要目) with optional section labels
(【工作动态】), the articles (heading + paragraphs), and a footer (报：/送：/发：, 共印…份, 责任编辑, 签发).
Every block after the contents is either an article heading, an article paragraph, a section label, a rule
or a footer line; nothing is dropped silently and nothing is invented. The head (masthead, issue line or
dated report's head, publisher, date, marks) and web-page chrome are read by head.py.
"""

from __future__ import annotations

import bisect
import datetime as dt
import difflib
import re
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bulletin.errors import BulletinParseError
from bulletin.model import Article, Issue, TocEntry
from bulletin.parser.blocks import Block
from bulletin.parser.head import Front, drop_chrome, find_sign_off, is_label, is_toc_heading, parse_front
from bulletin.parser.textutil import (
    FOOTER_RE,
    cn_number,
    collapse_spaces,
    is_rule,
    join_wrapped,
    match_key,
    strip_all,
)

# --- patterns ------------------------------------------------------------------------------------------

_SECTION_RE = re.compile(r"^[【〖\[]\s*(?P<name>[^】〗\]]{1,20}?)\s*[】〗\]]")
_BULLETS = "☆★●○◆◇■□▲△▶►•·▪‣⁃◎√✓✔※→-–—*＊◉◈❖"
_MARK_RE = re.compile(
    rf"^(?:[{re.escape(_BULLETS)}]+\s*"
    r"|(?:\d{1,2}\s*[.、．,，)）](?!\d)"
    r"|[(（]\s*(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*[)）]"
    r"|[一二三四五六七八九十]{1,3}\s*[、.．]"
    r"|[①-⑳⑴-⒇⒈-⒛])\s*)+"
)
_MINOR_BULLETS = "○◦·•▪‣⁃-–—→√✓✔※*＊"
_COLON_LABEL = re.compile(r"^(?P<name>[\u4e00-\u9fff]{2,8})\s*[:：]\s*(?P<rest>.*)$")
_CN_HEADING_NUM = re.compile(r"^(?P<n>[一二三四五六七八九十]{1,3})\s*[、.．]")
_LEADER_RE = re.compile(r"(?:[\s.·…．_-]{2,}|\t+)\d{1,3}$")
_SENTENCE_END = "。！？!?；;…"
_CLOSERS = "”’」』）)】〕》\"'"
_HEADING_END_BAD = _SENTENCE_END + "，,、：:"

MAX_TITLE_CHARS = 80


@dataclass
class _Entry:
    title: str
    section: str | None
    marked: bool
    block: Block


@dataclass
class _Match:
    entry: int
    start: int  # heading occupies body[start:end]
    end: int
    title: str
    section: str | None = None


# --- entry point ---------------------------------------------------------------------------------------


def build_issue(blocks: Sequence[Block], *, styled: bool) -> Issue:
    """Turn a block stream into an Issue; `styled` says whether layout hints (bold/centred/size) are real.

    A document whose head names no issue (no issue line, no dated report's head) raises "not_bulletin"
    with what could be read as the error's `partial` (None when no article was found either).
    """
    blocks, posted = drop_chrome([b for b in blocks if strip_all(b.text)])
    front, blocks = parse_front(blocks)
    try:
        issue = _build(blocks, front, posted, styled=styled)
    except BulletinParseError:
        if front.found:
            raise
        issue = None
    if not front.found:
        raise BulletinParseError(_NO_ISSUE, "not_bulletin", issue)
    assert issue is not None
    return issue


_NO_ISSUE = "not a bulletin: no issue line such as 2023年第1期 found"


def _build(blocks: list[Block], front: Front, posted: dt.date | None, *, styled: bool) -> Issue:
    warnings = front.warnings if front.found else [_NO_ISSUE.removeprefix("not a bulletin: ")]
    footer_start = _find_footer(blocks, front.end)
    sign_off = find_sign_off(blocks, front.end, len(blocks))
    if sign_off is not None:
        if sign_off[0] < footer_start:
            footer_start = sign_off[0]
            while footer_start > front.end and is_rule(blocks[footer_start - 1].text):
                footer_start -= 1
        if front.publisher is None:
            front.publisher = sign_off[1]
            front.inferred.add("publisher")
        if front.date is None and sign_off[2] is not None:
            front.date = sign_off[2]
            front.inferred.add("date")
    if front.date is None and posted is not None:
        front.date = posted  # the page's posting date, only when the bulletin prints none
        front.inferred.add("date")
    footer = tuple(collapse_spaces(b.text) for b in blocks[footer_start:] if not is_rule(b.text))

    toc_at = _find_toc_heading(blocks, front.end, footer_start)
    entries: list[_Entry] = []
    body_start = front.end
    if toc_at is not None:
        for b in blocks[front.end : toc_at]:
            if not is_rule(b.text) and not is_label(b.text):
                warnings.append(f'unrecognised line before the 要目: "{_short(b.text)}"')
        entries, body_start = _parse_toc(blocks, toc_at, footer_start)
    else:
        entries, body_start = _headless_toc(blocks, front.end, footer_start)
    body = [b for b in blocks[body_start:footer_start] if not is_rule(b.text)]
    if entries:
        # The 要目's column labels repeated in the body are structure, not headings or text.
        columns = {e.section for e in entries if e.section}
        body = [b for b in body if not _is_section_label(b.text, columns)]

    matches: list[_Match] = []
    if entries:
        matches = _match_entries(entries, body, warnings)
        if not matches:
            warnings.append("no 要目 entry matched a heading; headings were taken from the document structure")
    if not matches:
        # No 要目 (or none of it matched): the headings come from the layout and become the contents.
        matches = _derive_headings(body, styled=styled)
    if not matches:
        raise BulletinParseError("not a bulletin: no articles found after the issue line", "no_articles")
    if entries and styled:
        matches = _add_unlisted_articles(body, matches, warnings)
    if not entries:
        front.inferred.add("toc")

    sections = {e.section for e in entries if e.section} | {m.section for m in matches if m.section}
    articles, toc = _assemble(body, matches, sections, entries, warnings)
    if front.date is None:
        warnings.append("no date found")
    if front.publisher is None:
        warnings.append("no publisher found")
    if not front.masthead:
        warnings.append("no masthead found")
    year = front.year
    if year is None and front.date is not None:
        year = front.date.year
        front.inferred.add("year")
    return Issue(
        masthead=front.masthead,
        year=year,
        number=front.number,
        total_number=front.total,
        publisher=front.publisher,
        date=front.date,
        toc=tuple(toc),
        articles=tuple(articles),
        footer=footer,
        warnings=tuple(warnings),
        week=front.week,
        marks=tuple(dict.fromkeys(front.marks)),
        uncertain=front.uncertain(),
    )


# --- table of contents ---------------------------------------------------------------------------------


def _find_toc_heading(blocks: list[Block], start: int, stop: int) -> int | None:
    for index in range(start, min(stop, start + 6)):
        if is_toc_heading(blocks[index].text):
            return index
        if _body_like(blocks[index].text):
            return None
    return None


def _strip_marks(text: str) -> tuple[str, bool]:
    """Remove bullets and list numbering from the start; say whether there were any."""
    text = strip_all(text)
    m = _MARK_RE.match(text)
    if m is None or m.end() == len(text):
        return text, False
    return strip_all(text[m.end() :]), True


def _section_of(text: str) -> tuple[str | None, str]:
    m = _SECTION_RE.match(strip_all(text))
    if m is None:
        return None, text
    return collapse_spaces(m.group("name")), strip_all(strip_all(text)[m.end() :])


def _toc_label(text: str) -> tuple[str | None, str]:
    """A column label in the 要目: 【工作动态】 or "本期关注：", with the entry that may follow it."""
    label, remainder = _section_of(text)
    if label is not None:
        return label, remainder
    m = _COLON_LABEL.match(strip_all(text))
    if m is None or (m.group("rest") and not m.group("name").startswith("本期")):
        return None, text
    return m.group("name"), m.group("rest")


def _mark_rank(text: str) -> int:
    """How deep a list mark nests: ☆/★/●/一、 0, 1. 1, （1） 2, ① 3, ○/-/· 4; -1 without a mark."""
    m = _MARK_RE.match(strip_all(text))
    if m is None:
        return -1
    first = m.group(0).strip()[:1]
    if first.isdigit():
        return 1
    if first in "(（":
        return 2
    if "①" <= first <= "⒛":
        return 3
    if first in _MINOR_BULLETS:
        return 4
    return 0


def _headless_toc(blocks: list[Block], start: int, stop: int) -> tuple[list[_Entry], int]:
    """A 要目 with no heading: a marked list (or labelled columns) right after the head whose entries head articles."""
    first_at = start
    while first_at < stop and is_rule(blocks[first_at].text):
        first_at += 1  # a second rule under the head
    if first_at >= stop:
        return [], start
    first = blocks[first_at].text
    if not _strip_marks(first)[1] and _toc_label(first)[0] is None:
        return [], start
    entries, end = _parse_toc(blocks, start - 1, stop)
    if len(entries) < 2 or end >= stop:
        return [], start
    body = [b for b in blocks[end:stop] if not is_rule(b.text)]
    matched = _match_entries([replace(e) for e in entries], body, [])
    if len(matched) * 2 < len(entries) or len(matched) < 2:
        return [], start  # a numbered list that no heading repeats is the text itself
    return entries, end


# A 要目 entry is a title: one wrapped over a few lines stays short. Past this length an unmarked line is not its
# continuation (joining every following line onto one entry re-read the growing title per line: quadratic).
_MAX_WRAPPED_ENTRY = 120


def _parse_toc(blocks: list[Block], heading: int, stop: int) -> tuple[list[_Entry], int]:
    entries: list[_Entry] = []
    section: str | None = None
    top_rank: int | None = None
    parent: _Entry | None = None  # the last top-level entry, which sub-items make a column
    groups: list[_Entry] = []
    marked_count = 0  # how many of ENTRIES are marked, kept as they are appended (a sum per line was quadratic)
    index = heading + 1
    while index < stop:
        block = blocks[index]
        text = collapse_spaces(block.text)
        if is_rule(text):
            index += 1
            if entries:
                break
            continue
        if entries and _ends_toc(block, text, entries):
            if _body_like(text) and index - 1 > heading and not _matches_entry(blocks[index - 1].text, entries):
                # Body text right after a "contents" line: that line was an unlisted article's heading.
                return _parse_toc(blocks, heading, index - 1)
            break
        label, remainder = _toc_label(text)
        if label is not None:
            section, parent = label, None
            if not remainder:
                index += 1
                continue
            text = remainder
        rank = _mark_rank(text)
        title, marked = _strip_marks(text)
        title = collapse_spaces(_LEADER_RE.sub("", title))
        if not title:
            index += 1
            continue
        mostly_marked = entries and marked_count * 2 > len(entries)
        wrapped = len(entries[-1].title) < _MAX_WRAPPED_ENTRY if entries else False
        if not marked and label is None and mostly_marked and wrapped and entries[-1].section == section:
            entries[-1].title = join_wrapped(entries[-1].title, title)  # an entry wrapped onto a second line
        elif marked and top_rank is not None and rank > top_rank and parent is not None:
            # A sub-item under a ☆ item: that item names the column its sub-items belong to.
            if not groups or groups[-1] is not parent:
                groups.append(parent)
            entries.append(_Entry(title, parent.title, marked, block))
            marked_count += 1
        else:
            if marked and top_rank is None:
                top_rank = rank
            entry = _Entry(title, section, marked, block)
            entries.append(entry)
            marked_count += marked
            parent = entry if marked else None
        index += 1
    if groups:
        grouping = {id(g) for g in groups}
        entries = [e for e in entries if id(e) not in grouping]
    return entries, index


class _EntryIndex:
    """What _matches_entry and _ends_toc ask about the 要目 entries read so far, answered without a scan.

    _parse_toc appends entries and may extend the last one's title (a wrapped entry); the index follows both, so
    each question costs a dict look-up and a bisection instead of normalising every entry again (which made a
    1,000-entry 要目 quadratic).
    """

    def __init__(self, entries: list[_Entry]) -> None:
        self.entries = entries
        self.titles: list[str] = []
        self.keys: Counter[str] = Counter()
        self.sorted_keys: list[str] = []  # for "some entry key starts with this"
        self.signatures: Counter[tuple[bool, bool, bool]] = Counter()

    def _add(self, entry: _Entry) -> None:
        key = match_key(entry.title)
        self.titles.append(entry.title)
        self.keys[key] += 1
        bisect.insort(self.sorted_keys, key)
        self.signatures[(entry.block.bold, entry.block.centred, entry.block.large)] += 1

    def _drop_last(self) -> None:
        title = self.titles.pop()
        key = match_key(title)
        self.keys[key] -= 1
        del self.sorted_keys[bisect.bisect_left(self.sorted_keys, key)]
        block = self.entries[len(self.titles)].block
        self.signatures[(block.bold, block.centred, block.large)] -= 1

    def refresh(self) -> _EntryIndex:
        count = len(self.titles)
        if len(self.entries) < count:
            self.__init__(self.entries)  # type: ignore[misc]  # entries were removed: start again
            count = 0
        if count and self.entries[count - 1].title != self.titles[-1]:
            self._drop_last()
        for entry in self.entries[len(self.titles) :]:
            self._add(entry)
        return self

    def has_key(self, key: str) -> bool:
        return self.keys[key] > 0

    def has_prefix(self, prefix: str) -> bool:
        at = bisect.bisect_left(self.sorted_keys, prefix)
        return at < len(self.sorted_keys) and self.sorted_keys[at].startswith(prefix)

    def has_signature(self, block: Block) -> bool:
        return self.signatures[(block.bold, block.centred, block.large)] > 0


_indexes = threading.local()


def _entry_index(entries: list[_Entry]) -> _EntryIndex:
    """The index of ENTRIES: one per thread, for the 要目 being read (a new list gets a new index)."""
    index: _EntryIndex | None = getattr(_indexes, "current", None)
    if index is None or index.entries is not entries:
        index = _EntryIndex(entries)
        _indexes.current = index
    return index.refresh()


def _matches_entry(text: str, entries: list[_Entry]) -> bool:
    key = _heading_key(text)
    if not key:
        return False
    index = _entry_index(entries)
    return index.has_key(key) or (len(key) >= 4 and index.has_prefix(key))


def _ends_toc(block: Block, text: str, entries: list[_Entry]) -> bool:
    if _matches_entry(text, entries):
        return True  # the first article heading repeats an entry: the contents are over
    if _body_like(text):
        return True
    return block.styled and not _entry_index(entries).has_signature(block)


def _body_like(text: str) -> bool:
    stripped = strip_all(text)
    return len(stripped) > 80 or (len(stripped) >= 15 and stripped.rstrip(_CLOSERS)[-1:] in "。！？!?")


# --- matching entries to headings ----------------------------------------------------------------------


def _heading_key(text: str) -> str:
    return match_key(_strip_marks(text)[0])


# Candidate headings the fuzzy pass may compare per document: without a bound, a 要目 none of whose entries
# match would compare every entry with every body line (difflib is quadratic in the line length on top).
_FUZZY_BUDGET = 50_000


def _match_entries(entries: list[_Entry], body: list[Block], warnings: list[str]) -> list[_Match]:
    # Paragraphs far longer than any entry cannot be its heading: skip normalising them.
    longest = max(len(e.title) for e in entries) * 2 + 10
    keys = [_heading_key(b.text) if len(b.text) <= longest else "" for b in body]
    headings = _HeadingIndex(keys)
    matches: list[_Match] = []
    cursor = 0
    index = 0
    unmatched: list[int] = []
    while index < len(entries):
        entry = entries[index]
        span = headings.find(cursor, match_key(entry.title))
        if span is None and index + 1 < len(entries) and not entries[index + 1].marked:
            # Unbulleted contents: an entry may have wrapped onto the next line.
            merged = join_wrapped(entry.title, entries[index + 1].title)
            span = headings.find(cursor, match_key(merged))
            if span is not None:
                entry.title = merged
                del entries[index + 1]
        if span is None:
            unmatched.append(index)
        else:
            matches.append(_Match(index, span[0], span[1], entry.title, entry.section))
            cursor = span[1]
        index += 1
    # Second pass: near-identical headings between the neighbours' positions (a changed word or two).
    # Matches stay in entry order, which is also body order: the neighbours are found by bisection.
    matched_entries = [m.entry for m in matches]
    budget = [_FUZZY_BUDGET]
    for entry_index in unmatched:
        entry = entries[entry_index]
        at = bisect.bisect_left(matched_entries, entry_index)
        low = matches[at - 1].end if at > 0 else 0
        high = matches[at].start if at < len(matches) else len(body)
        found = _fuzzy_heading(body, keys, low, high, match_key(entry.title), budget)
        if found is None:
            warnings.append(f'要目 entry "{_short(entry.title)}" has no matching article')
            continue
        warnings.append(f'heading "{_short(body[found].text)}" differs from its 要目 entry "{_short(entry.title)}"')
        matches.insert(at, _Match(entry_index, found, found + 1, entry.title, entry.section))
        matched_entries.insert(at, entry_index)
    return matches


class _HeadingIndex:
    """Body lines by their match key, so that finding an entry's heading after a cursor is a few look-ups.

    find() answers what a scan from the cursor would: the first line whose key is the target, or whose key begins
    the target and, joined with up to three following lines, makes it (a heading broken over lines).
    """

    def __init__(self, keys: list[str]) -> None:
        self.keys = keys
        self.positions: dict[str, list[int]] = {}
        for position, key in enumerate(keys):
            if key:
                self.positions.setdefault(key, []).append(position)

    def find(self, cursor: int, target: str) -> tuple[int, int] | None:
        if not target:
            return None
        best: tuple[int, int] | None = None
        # Only lines whose whole key is a prefix of the target can start it: look each prefix up.
        for length in range(1, len(target) + 1):
            found = self.positions.get(target[:length])
            if not found:
                continue
            for position in found[bisect.bisect_left(found, cursor) :]:
                if best is not None and position >= best[0]:
                    break
                span = self._span_at(position, target)
                if span is not None:
                    best = span
                    break
        return best

    def _span_at(self, start: int, target: str) -> tuple[int, int] | None:
        keys = self.keys
        key = keys[start]
        if key == target:
            return start, start + 1
        if len(key) >= 2 and target.startswith(key):
            joined, end = key, start + 1
            while end < len(keys) and end - start < 4 and len(joined) < len(target):
                joined += keys[end]
                end += 1
                if joined == target:
                    return start, end
        return None


def _fuzzy_heading(
    body: list[Block], keys: list[str], low: int, high: int, target: str, budget: list[int]
) -> int | None:
    best: tuple[float, int] | None = None
    for index in range(low, high):
        if not keys[index] or not _heading_shaped(body[index].text):
            continue
        if budget[0] <= 0:
            break
        budget[0] -= 1
        matcher = difflib.SequenceMatcher(None, keys[index], target, autojunk=False)
        # The cheap upper bounds first: most lines differ in length or letters far too much to reach 0.75.
        if matcher.real_quick_ratio() < 0.75 or matcher.quick_ratio() < 0.75:
            continue
        ratio = matcher.ratio()
        if ratio >= 0.75 and (best is None or ratio > best[0]):
            best = (ratio, index)
    return best[1] if best else None


def _heading_shaped(text: str) -> bool:
    stripped = strip_all(text)
    return 0 < len(stripped) <= MAX_TITLE_CHARS and stripped.rstrip(_CLOSERS)[-1:] not in _HEADING_END_BAD


def _add_unlisted_articles(body: list[Block], matches: list[_Match], warnings: list[str]) -> list[_Match]:
    """In styled documents, a block styled like the matched headings is an article missing from the 要目."""
    signatures = {(body[m.start].bold, body[m.start].centred, body[m.start].large) for m in matches}
    if len(signatures) != 1:
        return matches
    signature = next(iter(signatures))
    if not any(signature):
        return matches
    taken = {i for m in matches for i in range(m.start, m.end)}
    extra: list[_Match] = []
    index = 0
    while index < len(body):
        block = body[index]
        if index in taken or (block.bold, block.centred, block.large) != signature:
            index += 1
            continue
        if not _heading_shaped(block.text) or _SECTION_RE.fullmatch(strip_all(block.text)):
            index += 1
            continue
        end = index + 1
        while end < len(body) and end not in taken and end - index < 3:
            nxt = body[end]
            if (nxt.bold, nxt.centred, nxt.large) != signature or not _heading_shaped(nxt.text):
                break
            end += 1
        title = _join_titles(body[index:end])
        warnings.append(f'article "{_short(title)}" has no 要目 entry')
        extra.append(_Match(-1, index, end, title))
        index = end
    return sorted(matches + extra, key=lambda m: m.start)


# --- headings from structure (no 要目) ------------------------------------------------------------------


def _derive_headings(body: list[Block], *, styled: bool) -> list[_Match]:
    candidates: list[int] = []
    if styled:
        strong = [i for i, b in enumerate(body) if (b.large or (b.bold and b.centred)) and _heading_shaped(b.text)]
        weak = [i for i, b in enumerate(body) if (b.bold or b.centred) and _heading_shaped(b.text)]
        candidates = strong or weak
    if not candidates:
        numbered = [i for i, b in enumerate(body) if _CN_HEADING_NUM.match(strip_all(b.text)) and _short_line(b.text)]
        values = [cn_number(_CN_HEADING_NUM.match(strip_all(body[i].text)).group("n")) for i in numbered]  # type: ignore[union-attr]
        if numbered and values == list(range(1, len(values) + 1)) and _only_sections_before(body, numbered[0]):
            candidates = numbered
    if not candidates:
        plain = [i for i in range(len(body)) if _short_line(body[i].text) and _leads_text(body, i)]
        unnumbered = [i for i in plain if not _CN_HEADING_NUM.match(strip_all(body[i].text))]
        candidates = unnumbered or plain
    matches: list[_Match] = []
    section: str | None = None
    index = 0
    chosen = set(candidates)
    while index < len(body):
        label, remainder = _section_of(body[index].text)
        if label is not None and not remainder:
            section = label
            index += 1
            continue
        if index not in chosen:
            index += 1
            continue
        end = index + 1
        # A heading broken over two lines: consecutive heading blocks with no text between them.
        while end < len(body) and end - index < 3 and _continues_heading(body, index, end, chosen):
            end += 1
        matches.append(_Match(-1, index, end, _join_titles(body[index:end]), section))
        index = end
    return matches


def _continues_heading(body: list[Block], start: int, index: int, chosen: set[int]) -> bool:
    block = body[index]
    if not _heading_shaped(block.text):
        return False
    if index in chosen:
        first = body[start]
        return (block.bold, block.centred, block.large) == (first.bold, first.centred, first.large) and (
            index + 1 >= len(body) or index + 1 not in chosen
        )
    # Plain text: a short line directly followed by body text continues the heading above it.
    return not any((body[start].bold, body[start].centred, body[start].large)) and _short_line(block.text) and (
        index + 1 < len(body) and not _short_line(body[index + 1].text)
    )


def _short_line(text: str) -> bool:
    stripped = strip_all(text)
    return 0 < len(stripped) <= 40 and stripped.rstrip(_CLOSERS)[-1:] not in _HEADING_END_BAD


def _leads_text(body: list[Block], index: int) -> bool:
    """A short line is a heading when body text follows it (directly or after one more short line)."""
    for offset in (1, 2):
        if index + offset >= len(body):
            return False
        text = body[index + offset].text
        if not _short_line(text):
            return True
        if _SECTION_RE.fullmatch(strip_all(text)):
            return False
    return False


def _only_sections_before(body: list[Block], index: int) -> bool:
    return all(_SECTION_RE.fullmatch(strip_all(b.text)) for b in body[:index])


def _join_titles(blocks: Sequence[Block]) -> str:
    title = ""
    for block in blocks:
        title = join_wrapped(title, collapse_spaces(block.text))
    return _strip_marks(title)[0]


# --- assembly ------------------------------------------------------------------------------------------


def _assemble(
    body: list[Block],
    matches: list[_Match],
    sections: set[str],
    entries: list[_Entry],
    warnings: list[str],
) -> tuple[list[Article], list[TocEntry]]:
    articles: list[Article] = []
    first = matches[0].start
    lead = [b for b in body[:first] if not _is_section_label(b.text, sections)]
    if lead:
        if _heading_shaped(lead[0].text) and len(lead) > 1:
            title = _strip_marks(collapse_spaces(lead[0].text))[0]
            warnings.append(f'article "{_short(title)}" has no 要目 entry')
            articles.append(Article(title, tuple(strip_all(b.text) for b in lead[1:])))
        else:
            warnings.append(f'text before the first article: "{_short(lead[0].text)}"')
            articles.append(Article("", tuple(strip_all(b.text) for b in lead)))
    for position, match in enumerate(matches):
        stop = matches[position + 1].start if position + 1 < len(matches) else len(body)
        paragraphs = tuple(
            strip_all(b.text) for b in body[match.end : stop] if not _is_section_label(b.text, sections)
        )
        if not paragraphs:
            warnings.append(f'article "{_short(match.title)}" has no text')
        articles.append(Article(match.title, paragraphs))
    if entries:
        toc = [TocEntry(e.title, e.section) for e in entries]
    else:
        toc = [TocEntry(m.title, m.section) for m in matches]
    return articles, toc


def _is_section_label(text: str, sections: set[str]) -> bool:
    label, remainder = _toc_label(text)
    if label is not None:
        return not remainder and label in sections
    return bool(sections) and _strip_marks(collapse_spaces(text))[0] in sections  # a ☆ item's column title


def _short(text: str, limit: int = 30) -> str:
    text = collapse_spaces(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- footer --------------------------------------------------------------------------------------------


def _find_footer(blocks: list[Block], start: int) -> int:
    """Index where the footer (报：/送：/共印…份/责任编辑…) begins, or len(blocks) when there is none."""
    end = len(blocks)
    low = max(start, end - 25)
    for index in range(low, end):
        if not FOOTER_RE.search(collapse_spaces(blocks[index].text)):
            continue
        tail = blocks[index + 1 :]
        if all(_footer_tail(b.text) for b in tail):
            # A closing rule just above the footer belongs to it.
            while index > start and is_rule(blocks[index - 1].text):
                index -= 1
            return index
    return end


def _footer_tail(text: str) -> bool:
    stripped = collapse_spaces(text)
    if is_rule(stripped) or FOOTER_RE.search(stripped):
        return True
    return len(stripped) <= 80 and not _body_like(stripped)
