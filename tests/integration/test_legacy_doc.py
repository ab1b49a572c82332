"""Old Word (.doc) documents through LibreOffice inside the bounded parse; without LibreOffice, a refusal naming
the Debian package."""

from __future__ import annotations

from pathlib import Path

import pytest

from bulletin.errors import BulletinParseError
from bulletin.parser.bounded import parse_document_bounded
from bulletin.parser.legacy import PACKAGE, to_docx
from bulletin.parser.limits import ParseLimits

DOC = Path(__file__).resolve().parents[1] / "support" / "made-up-bulletin.doc"


def test_a_doc_is_converted_and_parsed_under_the_limits() -> None:
    issue = parse_document_bounded(DOC.read_bytes(), "bulletin.doc")
    assert (issue.masthead, issue.year, issue.number, issue.total_number) == ("某市文化和旅游工作简报", 2024, 9, 61)
    assert len(issue.articles) >= 3


def test_a_damaged_doc_is_refused_with_the_reason() -> None:
    with pytest.raises(BulletinParseError, match="LibreOffice could not convert") as info:
        parse_document_bounded(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "broken.wps")
    assert info.value.code == "damaged"


def test_the_conversion_is_stopped_at_the_time_limit() -> None:
    # Well under what LibreOffice needs to start and convert (about 1.1 s on a fast, idle machine).
    limits = ParseLimits(seconds=0.3, convert_seconds=0)
    with pytest.raises(BulletinParseError) as info:
        parse_document_bounded(DOC.read_bytes(), "bulletin.doc", limits)
    assert info.value.code == "too_slow"


def test_without_libreoffice_the_refusal_names_the_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty PATH: no soffice
    with pytest.raises(BulletinParseError, match=PACKAGE) as info:
        to_docx(DOC.read_bytes(), ".doc")
    assert info.value.code == "no_converter"
