"""Old Word documents: refused in-process (only the bounded parse converts them), and the .docx LibreOffice writes
(paragraphs aligned "start"/"end") is read."""

from __future__ import annotations

import io

import docx
import pytest
from docx.oxml.ns import qn
from support.website import issue_lines

from bulletin.errors import BulletinParseError
from bulletin.parser import parse_document


def _docx_aligned(value: str) -> bytes:
    document = docx.Document()
    for _kind, text in issue_lines(4):
        paragraph = document.add_paragraph(text)
        ppr = paragraph._p.get_or_add_pPr()
        jc = ppr.makeelement(qn("w:jc"), {qn("w:val"): value})
        ppr.append(jc)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.mark.parametrize("value", ["start", "end", "both"])
def test_a_docx_with_libreoffice_alignments_is_read(value: str) -> None:
    issue = parse_document(_docx_aligned(value), "converted.docx")
    assert (issue.masthead, issue.number) == ("某县文旅工作简报", 4)


def test_an_old_word_document_is_not_converted_outside_the_bounded_parse() -> None:
    with pytest.raises(BulletinParseError, match=r"save the document as \.docx") as info:
        parse_document(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "old.doc")
    assert info.value.code == "unsupported"
