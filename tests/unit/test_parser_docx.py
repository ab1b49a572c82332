""".docx bulletins: paragraphs, bold/centred headings, tabs and tables in the byline, damaged files."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from support.bulletin_builders import PIECES, expected_issue, render_docx, with_layout

from bulletin.errors import BulletinParseError
from bulletin.parser import parse_document


def test_office_layout_docx() -> None:
    issue = parse_document(render_docx(), "bulletin.docx")
    assert issue == expected_issue()
    assert issue.warnings == ()


@pytest.mark.parametrize(
    "changes",
    [
        {"issue_form": "chinese-year", "date_form": "cn-numerals"},
        {"issue_form": "brackets", "date_form": "iso", "byline": "lines"},
        {"toc_heading": "≡本期要目≡", "bullet": "（一）", "sections": True},
        {"bullet": "", "wrap_long_entry": True},
        {"heading_variant": "spaces"},
        {"heading_variant": "broken"},
        {"footer": False, "rule": False},
    ],
    ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()),
)
def test_docx_layout_variants(changes: dict[str, object]) -> None:
    layout = with_layout(**changes)
    issue = parse_document(render_docx(layout), "bulletin.docx")
    assert issue == expected_issue(layout)
    assert issue.warnings == ()


def test_publisher_and_date_in_a_table() -> None:
    assert parse_document(render_docx(byline_table=True), "bulletin.docx") == expected_issue()


def test_heading_broken_by_a_soft_line_break() -> None:
    layout = with_layout(heading_variant="broken")
    assert parse_document(render_docx(layout, soft_break_heading=True), "b.docx") == expected_issue(layout)


def test_without_toc_bold_centred_paragraphs_are_the_headings() -> None:
    layout = with_layout(toc_heading=None, sections=True)
    issue = parse_document(render_docx(layout), "bulletin.docx")
    assert issue == expected_issue(layout)
    assert [e.title for e in issue.toc] == [p.title for p in PIECES]


def test_without_toc_a_two_paragraph_heading_is_one_heading() -> None:
    layout = with_layout(toc_heading=None, heading_variant="broken")
    assert parse_document(render_docx(layout), "bulletin.docx") == expected_issue(layout)


def _docx_with_extra_article() -> bytes:
    document = docx.Document(io.BytesIO(render_docx()))
    body = document.paragraphs
    last_heading = next(p for p in body if p.text == PIECES[-1].title)
    new_heading = last_heading.insert_paragraph_before()
    new_heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    new_heading.add_run("某乡开展森林防火宣传").bold = True
    last_heading.insert_paragraph_before("某乡组织干部进村入户宣传森林防火知识。")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_article_missing_from_the_toc_is_kept_with_a_warning() -> None:
    issue = parse_document(_docx_with_extra_article(), "bulletin.docx")
    titles = [a.title for a in issue.articles]
    assert titles == [*(p.title for p in PIECES[:3]), "某乡开展森林防火宣传", PIECES[3].title]
    assert issue.articles[3].paragraphs == ("某乡组织干部进村入户宣传森林防火知识。",)
    assert issue.articles[2].paragraphs == PIECES[2].paragraphs
    assert issue.warnings == ('article "某乡开展森林防火宣传" has no 要目 entry',)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"PK\x03\x04 this is not really a zip", id="truncated-zip"),
        pytest.param(b"just some text pretending", id="plain-text"),
        pytest.param(render_docx()[:2000], id="cut-short"),
    ],
)
def test_damaged_docx_is_a_clean_error(data: bytes) -> None:
    with pytest.raises(BulletinParseError, match=r"not a valid \.docx file") as info:
        parse_document(data, "bulletin.docx")
    assert info.value.code == "damaged"


def test_zip_that_is_not_a_word_document() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "你好")
    with pytest.raises(BulletinParseError, match=r"not a valid \.docx file"):
        parse_document(buffer.getvalue(), "bulletin.docx")


def test_empty_word_document() -> None:
    buffer = io.BytesIO()
    docx.Document().save(buffer)
    with pytest.raises(BulletinParseError, match="contains no text") as info:
        parse_document(buffer.getvalue(), "empty.docx")
    assert info.value.code == "empty"


def test_docx_sent_without_extension_is_sniffed() -> None:
    assert parse_document(render_docx(), "简报") == expected_issue()


def test_masthead_drawn_in_a_text_box() -> None:
    # Offices often draw the red masthead in a text box, which python-docx does not list as a paragraph.
    document = docx.Document(io.BytesIO(render_docx()))
    first = document.paragraphs[0]
    first.text = ""
    first._p.append(
        parse_xml(
            '<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
            ' xmlns:v="urn:schemas-microsoft-com:vml"><w:pict><v:shape><v:textbox><w:txbxContent>'
            "<w:p><w:r><w:rPr><w:b/></w:rPr><w:t>某县应急管理工作简报</w:t></w:r></w:p>"
            "</w:txbxContent></v:textbox></v:shape></w:pict></w:r>"
        )
    )
    out = io.BytesIO()
    document.save(out)
    issue = parse_document(out.getvalue(), "bulletin.docx")
    assert issue.masthead == "某县应急管理工作简报"
    assert issue == expected_issue()
