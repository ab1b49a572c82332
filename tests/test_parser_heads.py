"""Heads of any office's bulletin: every case of tests/fixtures/heads.py, in .txt, .docx, .pdf and .html."""

from __future__ import annotations

import datetime as dt

import pytest
from fixtures.bulletin_builders import FORMATS, PIECES, render_lines
from fixtures.heads import CASES, HeadCase

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
