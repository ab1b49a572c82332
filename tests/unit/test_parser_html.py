"""HTML bulletins: the issue published as a web page; site chrome stays out of the articles."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from support.bulletin_builders import expected_issue, render_html, with_layout

from bulletin.errors import BulletinParseError
from bulletin.parser import parse_document, parse_path

FIXTURES = Path(__file__).resolve().parents[1] / "support"
CHROME = ("首页", "政务公开", "热点专题", "相关文章", "版权所有", "网站标识码", "某县人民政府网")


def _all_text(issue) -> str:  # type: ignore[no-untyped-def]
    parts = [issue.masthead, issue.publisher or "", *issue.footer]
    parts += [e.title for e in issue.toc]
    parts += [p for a in issue.articles for p in (a.title, *a.paragraphs)]
    return "\n".join(parts)


@pytest.mark.parametrize("use_article_tag", [True, False], ids=["article-tag", "div-content"])
def test_page_inside_site_chrome(use_article_tag: bool) -> None:
    issue = parse_document(render_html(use_article_tag=use_article_tag), "issue.html")
    assert issue == expected_issue()
    assert issue.warnings == ()
    text = _all_text(issue)
    assert not any(word in text for word in CHROME)


@pytest.mark.parametrize(
    "changes",
    [
        {"issue_form": "ascii-paren", "date_form": "iso", "byline": "spaces"},
        {"toc_heading": "目录", "bullet": "1.", "sections": True},
        {"heading_variant": "straight-quotes"},
        {"toc_heading": None},
    ],
    ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()),
)
def test_html_layout_variants(changes: dict[str, object]) -> None:
    layout = with_layout(**changes)
    issue = parse_document(render_html(layout), "issue.htm")
    assert issue == expected_issue(layout)


def test_gbk_page_declared_in_meta() -> None:
    assert parse_document(render_html(charset="gbk"), "issue.html") == expected_issue()


def test_stored_gb2312_cms_page_with_tables_br_lines_and_chrome() -> None:
    issue = parse_path(FIXTURES / "district-page-gb2312.html")
    assert issue.masthead == "某区民政工作简报"
    assert (issue.year, issue.number, issue.date) == (2023, 5, dt.date(2023, 10, 9))
    assert issue.publisher == "某区民政局办公室"
    assert [a.title for a in issue.articles] == ["区民政局开展养老机构安全大检查", "某街道“长者食堂”正式运营"]
    assert issue.footer == ("报：区委办公室，区政府办公室", "送：各街道办事处", "（共印30份）")
    assert "网站标识码" not in _all_text(issue) and "当前位置" not in _all_text(issue)
    assert issue.warnings == ()


def test_html_without_extension_is_sniffed() -> None:
    assert parse_document(render_html(), "download") == expected_issue()


def test_web_page_that_is_not_a_bulletin() -> None:
    page = "<html><body><nav>首页</nav><p>欢迎访问某县人民政府网站。</p></body></html>".encode()
    with pytest.raises(BulletinParseError, match="not a bulletin"):
        parse_document(page, "index.html")


def test_a_page_nested_deeper_than_the_parser_reads_is_refused_not_cut_short() -> None:
    # BeautifulSoup (a parser target, no tree) read it; lxml's pull parser stops past ~1,024 nested elements without
    # an error, so the issue would silently lose everything after that point.
    page = render_html().replace(b"<body>", b"<body>" + b"<div>" * 2000, 1)
    with pytest.raises(BulletinParseError) as info:
        parse_document(page, "page.html")
    assert (info.value.code, str(info.value)) == ("damaged", "the document is too deeply nested to read")


def test_a_page_nested_300_deep_is_read() -> None:
    page = render_html().replace(b"<body>", b"<body>" + b"<div>" * 300, 1)
    assert parse_document(page, "page.html") == expected_issue()


def test_content_after_the_end_of_html_is_read() -> None:
    # libxml2 reports it as a second <html>; a CMS template that closes the page early still shows its text.
    page = render_html().replace(b"</body></html>", b"").replace(b"<body>", b"<body></body></html>", 1)
    assert parse_document(page, "page.html") == expected_issue()
