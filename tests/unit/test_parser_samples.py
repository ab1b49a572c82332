"""The shared real sample (../shared/samples): all four renderings parse to the same issue."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bulletin.parser import parse_path

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"
FILES = ("bulletin-2023-01.txt", "bulletin-2023-01.gb18030.txt", "bulletin-2023-01.docx", "bulletin-2023-01.pdf")

pytestmark = pytest.mark.skipif(
    not all((SAMPLES / name).is_file() for name in FILES),
    reason=f"../shared/samples not present: the real sample bulletin is not in this checkout ({SAMPLES})",
)


@pytest.mark.parametrize("name", FILES)
def test_each_sample_is_2023_issue_1_with_five_articles_and_no_warnings(name: str) -> None:
    issue = parse_path(SAMPLES / name)
    assert (issue.year, issue.number, issue.total_number) == (2023, 1, 1)
    assert issue.date == dt.date(2023, 5, 8)
    assert issue.masthead.endswith("工作简报")
    assert issue.publisher is not None and issue.publisher.endswith("办公室")
    assert len(issue.toc) == 5
    assert len(issue.articles) == 5
    assert [a.title for a in issue.articles] == [e.title for e in issue.toc]
    assert all(a.paragraphs for a in issue.articles)
    assert issue.warnings == ()


def test_all_four_samples_parse_to_the_same_issue() -> None:
    issues = [parse_path(SAMPLES / name) for name in FILES]
    reference = issues[0].to_json_dict()
    for name, issue in zip(FILES[1:], issues[1:], strict=True):
        assert issue == issues[0], name
        assert issue.to_json_dict() == reference, name


def test_pdf_sample_has_no_spaces_between_digits_and_chinese_and_no_wrapped_fragments() -> None:
    text_issue = parse_path(SAMPLES / "bulletin-2023-01.txt")
    pdf_issue = parse_path(SAMPLES / "bulletin-2023-01.pdf")
    for text_article, pdf_article in zip(text_issue.articles, pdf_issue.articles, strict=True):
        assert len(pdf_article.paragraphs) == len(text_article.paragraphs)
        assert pdf_article.paragraphs == text_article.paragraphs


def test_gb18030_sample_is_not_mojibake() -> None:
    issue = parse_path(SAMPLES / "bulletin-2023-01.gb18030.txt")
    utf8 = (SAMPLES / "bulletin-2023-01.txt").read_text(encoding="utf-8")
    assert issue.masthead in utf8
    assert all(p in utf8 for a in issue.articles for p in a.paragraphs)
