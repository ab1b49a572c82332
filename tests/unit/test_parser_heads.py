"""Heads of any office's bulletin: every case of tests/support/heads.py, in .txt, .docx, .pdf and .html."""

from __future__ import annotations

import datetime as dt
import pickle

import pytest
from support.bulletin_builders import FORMATS, PIECES, render_lines
from support.heads import CASES, HeadCase

from bulletin.errors import BulletinParseError
from bulletin.model import Issue
from bulletin.parser import parse_document
from bulletin.parser.textutil import remove_cjk_digit_spaces

EXTENSION = {"txt": "bulletin.txt", "docx": "bulletin.docx", "pdf": "bulletin.pdf", "html": "bulletin.html"}


def parse_case(case: HeadCase, fmt: str) -> Issue:
    return parse_document(render_lines(case.lines(), fmt), EXTENSION[fmt])


def test_the_table_holds_at_least_forty_heads() -> None:
    assert len(CASES) >= 40
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_head(case: HeadCase, fmt: str) -> None:
    issue = parse_case(case, fmt)
    got = {
        "masthead": issue.masthead,
        "year": issue.year,
        "number": issue.number,
        "total_number": issue.total_number,
        "publisher": issue.publisher,
        "date": issue.date,
        "week": issue.week,
        "marks": issue.marks,
        "uncertain": issue.uncertain,
        "toc": issue.toc,
    }
    assert got == {
        "masthead": case.masthead,
        "year": case.year,
        "number": case.number,
        "total_number": case.total,
        "publisher": case.publisher,
        "date": case.date,
        "week": case.week,
        "marks": case.marks,
        "uncertain": case.uncertain,
        "toc": case.expected_toc(),
    }
    assert [(a.title, a.paragraphs) for a in issue.articles] == case.expected_articles()
    # PDF text loses the space between a unit's name and a date (as every PDF reader here does).
    assert [remove_cjk_digit_spaces(line) for line in issue.footer] == [
        remove_cjk_digit_spaces(line) for line in case.expected_footer()
    ]
    expected_warnings = [w for w, missing in (("no date found", case.date is None),) if missing]
    assert list(issue.warnings) == expected_warnings


# --- heads that cannot be read ------------------------------------------------------------------------------

NO_ISSUE_LINE = (
    "某县人大工作情况\n某县人大常委会办公室　　2023年5月4日\n"
    "常委会开展食品安全执法检查\n5月上旬，常委会组成人员分三组，对全县食品安全法律法规执行情况开展检查。\n"
    "代表视察重点项目建设\n部分省市县人大代表视察了全县重点项目建设情况，并提出意见建议。\n"
)


@pytest.mark.parametrize("fmt", ["txt", "docx"])
def test_a_head_without_issue_line_is_not_a_bulletin_with_what_was_read_as_partial(fmt: str) -> None:
    lines = tuple(("heading" if i in (2, 4) else "line", text) for i, text in enumerate(NO_ISSUE_LINE.splitlines()))
    with pytest.raises(BulletinParseError) as info:
        parse_document(render_lines(lines, fmt), EXTENSION[fmt])
    error = info.value
    assert (error.code, str(error)) == ("not_bulletin", "not a bulletin: no issue line such as 2023年第1期 found")
    partial = error.partial
    assert partial is not None
    assert (partial.masthead, partial.year, partial.number, partial.publisher, partial.date) == (
        "某县人大工作情况",
        2023,
        None,
        "某县人大常委会办公室",
        dt.date(2023, 5, 4),
    )
    assert [a.title for a in partial.articles] == ["常委会开展食品安全执法检查", "代表视察重点项目建设"]
    assert partial.uncertain == ("masthead", "year", "toc")
    assert partial.warnings == ("no issue line such as 2023年第1期 found",)
    # The partial issue crosses the parsing child process's boundary intact.
    again = pickle.loads(pickle.dumps(error))
    assert again.partial == partial and again.code == "not_bulletin"


@pytest.mark.parametrize(
    "text",
    [
        "会议纪要\n2023年5月8日\n今天开会讨论了三件事。\n",
        "首页 > 新闻中心\n发布时间：2023-05-08　点击：12\n欢迎访问本站。\n上一篇：无\n",
    ],
    ids=["memo", "web-page"],
)
def test_nothing_bulletin_like_has_no_partial(text: str) -> None:
    with pytest.raises(BulletinParseError) as info:
        parse_document(text.encode(), "memo.txt")
    assert info.value.code == "not_bulletin"
    assert info.value.partial is None


# --- web-page text ------------------------------------------------------------------------------------------

PAGE_WORDS = (
    "首页",
    "发布时间",
    "发布日期",
    "发表时间",
    "来源",
    "作者",
    "点击",
    "浏览",
    "分享",
    "标签",
    "上一篇",
    "下一篇",
    "admin",
    "字体",
    "当前位置",
)


@pytest.mark.parametrize(
    "case", [c for c in CASES if any(k == "line" and "：" in t for k, t in c.head)], ids=lambda c: c.name
)
def test_page_text_is_never_publisher_date_or_article(case: HeadCase) -> None:
    issue = parse_case(case, "txt")
    texts = [issue.masthead, issue.publisher or "", *(e.title for e in issue.toc)]
    texts += [p for a in issue.articles for p in (a.title, *a.paragraphs)] + list(issue.footer)
    assert not [w for w in PAGE_WORDS if any(w in t for t in texts)]


def test_the_printed_date_wins_over_the_pages_posting_date() -> None:
    case = next(c for c in CASES if c.name == "breadcrumb-and-posting-metadata-above")
    issue = parse_case(case, "txt")
    assert issue.date == dt.date(2023, 6, 8)  # the page says 2023-06-12
    assert "date" not in issue.uncertain


# --- uncertain fields ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "uncertain"),
    [
        ("publisher-and-date-from-the-sign-off", ["publisher", "date", "toc"]),
        ("sign-off-on-one-line-head-has-the-date", ["year", "publisher", "toc"]),
        ("masthead-over-two-lines-title-then-unit", ["masthead", "year", "toc"]),
        ("numbered-toc-without-heading", []),
    ],
)
def test_parse_json_names_the_inferred_fields_in_key_order(name: str, uncertain: list[str]) -> None:
    issue = parse_case(next(c for c in CASES if c.name == name), "txt")
    data = issue.to_json_dict()
    assert data["uncertain"] == uncertain
    assert list(data)[-1] == "uncertain"
    assert all(field in data for field in uncertain)


def test_a_dated_report_is_an_issue_without_number() -> None:
    issue = parse_case(next(c for c in CASES if c.name == "weekly-report-date-range"), "txt")
    assert (issue.number, issue.year, issue.date, issue.week) == (None, 2023, dt.date(2023, 6, 5), None)
    assert issue.to_json_dict()["number"] is None


def test_an_article_run_onto_the_head_line_keeps_every_word() -> None:
    case = next(c for c in CASES if c.name == "whole-head-run-together-with-the-first-article")
    issue = parse_case(case, "txt")
    assert issue.articles[0].title == "关于做好汛期值守工作的通知"
    assert issue.articles[0].paragraphs[0].startswith("各乡镇、各有关单位：")
    assert [a.title for a in issue.articles[1:]] == [p.title for p in PIECES[:2]]


def test_a_dated_reports_masthead_in_its_own_box_of_a_web_page() -> None:
    page = (
        "<html><body><div class='wrap'><div class='top'><h1>某市河湖长制工作每日动态(2022年7月5日)</h1>"
        "<p>某市河长办</p></div><div class='text'>"
        f"<p><b>{PIECES[0].title}</b></p>" + "".join(f"<p>{p}</p>" for p in PIECES[0].paragraphs) + "</div></div>"
        "<div><p>友情链接：某某网　某某在线</p></div></body></html>"
    )
    issue = parse_document(page.encode(), "daily.html")
    assert (issue.masthead, issue.number, issue.date) == ("某市河湖长制工作每日动态", None, dt.date(2022, 7, 5))
    assert issue.publisher == "某市河长办"
    assert [(a.title, a.paragraphs) for a in issue.articles] == [(PIECES[0].title, PIECES[0].paragraphs)]


def test_two_strong_bullets_in_one_toc_are_both_top_level_entries() -> None:
    # Some offices star their lead story (★) among ☆ entries: a different mark of the same weight is no sub-item.
    a, b, c = PIECES[0], PIECES[1], PIECES[2]
    lines = (
        ("masthead", "某县工作简报"),
        ("head", "2023年第4期"),
        ("line", "某县政府办公室　　2023年9月12日"),
        ("tocheading", "本期要目"),
        ("line", "★" + a.title),
        ("line", "☆" + b.title),
        ("line", "☆" + c.title),
        *(
            ("heading", p.title) if i == 0 else ("paragraph", t)
            for p in (a, b, c)
            for i, t in enumerate(("", *p.paragraphs))
        ),
    )
    issue = parse_document(render_lines(lines, "txt"), "b.txt")
    assert [(e.title, e.section) for e in issue.toc] == [(a.title, None), (b.title, None), (c.title, None)]
    assert issue.warnings == ()
