"""Property and fuzz tests: whatever the input, the parser returns an Issue or raises its one clean error."""

from __future__ import annotations

import datetime as dt
import functools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.bulletin_builders import render_docx, render_pdf

from bulletin.errors import BulletinParseError
from bulletin.model import Article, Issue, TocEntry
from bulletin.parser import parse_document

EXTENSIONS = (".txt", ".docx", ".pdf", ".html", "", ".TXT", ".htm", ".doc", ".bin")
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def parse_or_clean_error(data: bytes, filename: str) -> Issue | None:
    """Parse; a BulletinParseError is fine as long as it is one of ours with a message, never an internal one."""
    try:
        return parse_document(data, filename)
    except BulletinParseError as exc:
        assert str(exc) and "\n" not in str(exc)
        assert exc.code != "internal", str(exc)
        return None


@FUZZ
@given(data=st.binary(max_size=3000), extension=st.sampled_from(EXTENSIONS))
def test_random_bytes_never_raise_anything_but_the_clean_error(data: bytes, extension: str) -> None:
    parse_or_clean_error(data, "upload" + extension)


@FUZZ
@given(text=st.text(max_size=2000), encoding=st.sampled_from(["utf-8", "utf-16", "gb18030"]))
def test_random_text_never_raises_anything_but_the_clean_error(text: str, encoding: str) -> None:
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8", errors="replace")
    parse_or_clean_error(data, "bulletin.txt")


# Lines made of the words that steer the parser, so random documents reach the structure code.
TOKENS = (
    "某市工作简报", "2023年第1期", "（总第1期）", "第十二期", "(第5期)", "总第14期", "某市人民政府办公室", "\t",
    "2023年5月8日", "二〇二三年五月八日", "2023-05-08", "2023.5.8", "本期要目", "目录", "≡本期要目≡", "：",
    "☆", "★", "- ", "1.", "一、", "（一）", "【工作动态】", "【", "】", "标题甲", "标题乙", "景区",
    "。", "，", "“", "”", "正文内容", "报：", "送：", "共印50份", "责任编辑：某某", "签发：某某", "————",
    " ", "　", "\n", "\n", "\n", "\n\n", "0", "9", "年", "月", "日", "期", "第",
)  # fmt: skip


@FUZZ
@given(parts=st.lists(st.sampled_from(TOKENS), max_size=120))
def test_bulletin_like_random_text_never_raises_anything_but_the_clean_error(parts: list[str]) -> None:
    parse_or_clean_error("".join(parts).encode("utf-8"), "bulletin.txt")


@FUZZ
@given(parts=st.lists(st.sampled_from(TOKENS), max_size=80))
def test_bulletin_like_random_html_never_raises_anything_but_the_clean_error(parts: list[str]) -> None:
    tags = ("<p>", "</p>", "<br>", "<b>", "</b>", "<div>", "</div>", "<h2>", "</h2>", "<nav>", "</nav>")
    html = "<html><body>" + "".join(p if i % 3 else tags[i % len(tags)] + p for i, p in enumerate(parts))
    parse_or_clean_error(html.encode("utf-8"), "page.html")


@functools.cache
def _valid_container(kind: str) -> bytes:
    return render_docx() if kind == "docx" else render_pdf()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(["docx", "pdf"]),
    flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=8),
    cut=st.one_of(st.none(), st.floats(0.05, 1)),
)
def test_damaged_docx_and_pdf_never_raise_anything_but_the_clean_error(
    kind: str, flips: list[tuple[float, int]], cut: float | None
) -> None:
    data = bytearray(_valid_container(kind))
    for where, value in flips:
        data[int(where * len(data))] = value
    if cut is not None:
        data = data[: max(1, int(cut * len(data)))]
    parse_or_clean_error(bytes(data), "bulletin." + kind)


# --- round trip: a generated bulletin comes back exactly, nothing lost or invented ------------------------

_HANZI = "县市镇村区局委办会议召开开展工作安全检查应急管理防汛消防景区旅游文化教育卫生民生服务推进落实部署调研"
_title = st.text(alphabet=_HANZI, min_size=6, max_size=18)
_sentence = st.text(alphabet=_HANZI + "0123456789", min_size=20, max_size=60).map(
    lambda s: s[:10] + "，" + s[10:] + "。"
)


@st.composite
def bulletins(draw: st.DrawFn) -> tuple[str, Issue]:
    titles = draw(st.lists(_title, min_size=1, max_size=6, unique_by=lambda t: t[:5]))
    articles = tuple(Article(t, tuple(draw(st.lists(_sentence, min_size=1, max_size=4)))) for t in titles)
    with_toc = draw(st.booleans())
    bullet = draw(st.sampled_from(["☆", "★", "●", "1.", ""]))
    number = draw(st.integers(1, 60))
    total = draw(st.one_of(st.none(), st.integers(1, 999)))
    date = draw(st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31)))
    issue_line = f"{date.year}年第{number}期" + (f"（总第{total}期）" if total else "")
    lines = ["某市某某工作简报", issue_line, f"某市某某办公室\t{date.year}年{date.month}月{date.day}日", "——————————"]
    if with_toc:
        lines.append("本期要目")
        lines += [f"{bullet}{a.title}" for a in articles]
    for article in articles:
        lines.append(article.title)
        lines += ["　　" + p for p in article.paragraphs]
    lines += ["——————————", "报：某市委办公室", "共印20份"]
    expected = Issue(
        masthead="某市某某工作简报",
        year=date.year,
        number=number,
        total_number=total,
        publisher="某市某某办公室",
        date=date,
        toc=tuple(TocEntry(a.title) for a in articles),
        articles=articles,
        footer=("报：某市委办公室", "共印20份"),
    )
    return "\n".join(lines) + "\n", expected


@settings(max_examples=120, deadline=None)
@given(case=bulletins(), encoding=st.sampled_from(["utf-8", "gb18030", "utf-16"]))
def test_generated_bulletins_round_trip_exactly(case: tuple[str, Issue], encoding: str) -> None:
    text, expected = case
    issue = parse_document(text.encode(encoding), "generated.txt")
    assert issue == expected
    assert issue.warnings == ()


@pytest.mark.parametrize("extension", [".txt", ".docx", ".pdf", ".html"])
def test_a_single_byte_is_a_clean_error(extension: str) -> None:
    with pytest.raises(BulletinParseError):
        parse_document(b"x", "one" + extension)


_EDITS = st.lists(
    st.tuples(st.sampled_from(["delete", "duplicate", "truncate", "swap", "insert"]), st.integers(0, 10_000)),
    min_size=1,
    max_size=6,
)
_INSERTS = ("【其他】", "☆", "目录", "第5期", "报：", "——————", "一、", "2023年1月1日", "（完）")


@settings(max_examples=100, deadline=None)
@given(edits=_EDITS)
def test_edited_bulletins_never_get_invented_or_reordered_paragraphs(edits: list[tuple[str, int]]) -> None:
    from support.bulletin_builders import render_text, with_layout

    lines = render_text(with_layout(sections=True, wrap_long_entry=True), blank_lines=False).splitlines()
    for op, n in edits:
        k = n % len(lines) if lines else 0
        if op == "delete" and lines:
            del lines[k]
        elif op == "duplicate" and lines:
            lines.insert(k, lines[(n // 7) % len(lines)])
        elif op == "truncate" and lines:
            lines[k] = lines[k][: n % (len(lines[k]) + 1)]
        elif op == "swap" and len(lines) > 1:
            j = (n // 13) % len(lines)
            lines[k], lines[j] = lines[j], lines[k]
        else:
            lines.insert(k, _INSERTS[n % len(_INSERTS)])
    issue = parse_or_clean_error("\n".join(lines).encode("utf-8"), "edited.txt")
    if issue is None:
        return
    source = [line.strip("　 ") for line in lines]
    position = -1
    for article in issue.articles:
        for paragraph in article.paragraphs:
            assert paragraph in source  # nothing invented
            later = [i for i, line in enumerate(source) if line == paragraph and i > position]
            assert later, paragraph  # and in document order
            position = later[0]
