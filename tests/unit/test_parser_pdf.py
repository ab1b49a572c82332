"""PDF bulletins: wrapped lines joined, page furniture dropped, digit spacing fixed, scans and damage rejected."""

from __future__ import annotations

import io

import pdfplumber
import pytest
from support.bulletin_builders import PIECES, expected_issue, render_pdf, render_scanned_pdf, with_layout

from bulletin.errors import BulletinParseError
from bulletin.parser import parse_document


def _raw_text(data: bytes) -> str:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def test_fixture_pdf_really_has_the_problems_the_parser_must_undo() -> None:
    raw = _raw_text(render_pdf())
    assert "2023 年第 4 期" in raw  # spaces between digits and Chinese
    assert "— 2 —" in raw  # page numbers
    assert raw.count("某县应急管理局 内部资料") >= 3  # a running header on every page
    first_paragraph = PIECES[0].paragraphs[0]
    assert first_paragraph not in raw.replace(" ", "")  # wrapped over several lines


def test_office_layout_pdf() -> None:
    issue = parse_document(render_pdf(), "bulletin.pdf")
    assert issue == expected_issue()
    assert issue.warnings == ()


@pytest.mark.parametrize(
    "changes",
    [
        {"issue_form": "space-total", "date_form": "dots"},
        {"issue_form": "chinese-number", "date_form": "cn-numerals", "byline": "lines"},
        {"toc_heading": "本期目录", "bullet": "1、", "sections": True},
        {"heading_variant": "spaces"},
        {"toc_heading": None},
        {"footer": False, "rule": False},
    ],
    ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()),
)
def test_pdf_layout_variants(changes: dict[str, object]) -> None:
    layout = with_layout(**changes)
    issue = parse_document(render_pdf(layout), "bulletin.pdf")
    assert issue == expected_issue(layout)
    assert issue.warnings == ()


@pytest.mark.parametrize("style", ["-{}-", "- {} -", "第{}页", "{}", "第 {} 页 共 3 页"])
def test_page_number_styles_are_dropped(style: str) -> None:
    data = render_pdf(page_number=style)
    assert style.format(2).replace(" ", "") in _raw_text(data).replace(" ", "")
    issue = parse_document(data, "bulletin.pdf")
    assert issue == expected_issue()
    assert issue.warnings == ()


@pytest.mark.parametrize(
    "changes",
    [{}, {"sections": True, "wrap_long_entry": True}, {"toc_heading": None}, {"heading_variant": "broken"}],
    ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()) or "default",
)
def test_pdf_without_paragraph_spacing_relies_on_indents_bullets_and_line_ends(changes: dict[str, object]) -> None:
    layout = with_layout(**changes)
    issue = parse_document(render_pdf(layout, paragraph_gap=0.45), "bulletin.pdf")
    assert issue == expected_issue(layout)
    assert issue.warnings == ()


def test_pdf_without_running_header_or_digit_spaces() -> None:
    data = render_pdf(running_header=False, digit_spaces=False)
    assert parse_document(data, "bulletin.pdf") == expected_issue()


def test_same_issue_from_pdf_text_and_docx() -> None:
    from support.bulletin_builders import render_docx, render_text

    layout = with_layout(sections=True)
    from_pdf = parse_document(render_pdf(layout), "a.pdf")
    assert from_pdf == parse_document(render_text(layout).encode(), "a.txt")
    assert from_pdf == parse_document(render_docx(layout), "a.docx")


@pytest.mark.parametrize("page_numbers", [False, True], ids=["bare", "with-page-numbers"])
def test_scan_without_text_layer_says_so(page_numbers: bool) -> None:
    with pytest.raises(BulletinParseError, match="no text layer: it looks like a scan") as info:
        parse_document(render_scanned_pdf(page_numbers=page_numbers), "scan.pdf")
    assert info.value.code == "scan"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"%PDF-1.4\n%garbage that is not a pdf body\n", id="header-only"),
        pytest.param(b"not a pdf at all", id="not-pdf"),
        pytest.param(render_pdf()[:3000], id="cut-short"),
    ],
)
def test_damaged_pdf_is_a_clean_error(data: bytes) -> None:
    with pytest.raises(BulletinParseError) as info:
        parse_document(data, "bulletin.pdf")
    assert info.value.code in {"damaged", "scan"}


def test_password_protected_pdf() -> None:
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, encrypt=StandardEncryption("secret", "owner-secret"))
    pdf.drawString(72, 720, "2023 No. 1")
    pdf.showPage()
    pdf.save()
    with pytest.raises(BulletinParseError, match="password-protected") as info:
        parse_document(buffer.getvalue(), "locked.pdf")
    assert info.value.code == "encrypted"


def test_pdf_named_txt_is_read_as_pdf() -> None:
    assert parse_document(render_pdf(), "bulletin.txt") == expected_issue()
