"""Bulletin parser: a document (.txt, .docx, .pdf or .html) -> Issue.

    parse_document(data, filename) -> Issue        in this process (tests, trusted input)
    parse_path(path) -> Issue
    bulletin.parser.bounded.parse_document_bounded(data, filename) -> Issue   in a child under time/memory limits

Only BulletinParseError escapes; its message is fit for a user and never names the file (callers prefix it).
The content limits of ParseLimits (pages, drawn objects, paragraphs, unpacked size) apply in both.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import stat

from bulletin.errors import BulletinParseError
from bulletin.model import Issue
from bulletin.parser.blocks import Block
from bulletin.parser.diagnostics import as_parse_warnings, captured_library_warnings
from bulletin.parser.limits import DEFAULT_LIMITS, ParseLimits, file_too_large, too_large
from bulletin.parser.structure import build_issue

logger = logging.getLogger(__name__)

__all__ = ["SUPPORTED_EXTENSIONS", "ParseLimits", "detect_format", "parse_document", "parse_path", "read_document"]

_EXTENSIONS = {
    ".txt": "text",
    ".text": "text",
    ".docx": "docx",
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".shtml": "html",
}
SUPPORTED_EXTENSIONS: tuple[str, ...] = tuple(_EXTENSIONS)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OTHER_BINARY = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"Rar!": "a RAR archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"\x1f\x8b": "a gzip archive",
    b"{\\rtf": "an RTF document",
}


def detect_format(data: bytes, filename: str) -> str:
    """'text', 'docx', 'pdf', 'html' or 'legacy' (.doc/.wps): by extension, falling back to the file's magic bytes."""
    extension = os.path.splitext(filename)[1].lower()
    sniffed = _sniff(data)
    by_name = _EXTENSIONS.get(extension)
    if by_name is not None:
        # A binary container under a text-ish name (a .txt that is really a PDF) is read as what it is.
        if by_name in {"text", "html"} and sniffed in {"pdf", "docx"}:
            return sniffed
        return by_name
    if sniffed is not None:
        return sniffed
    if extension in {".doc", ".wps"} or data.startswith(_OLE_MAGIC):
        return "legacy"  # old Word / WPS: converted with LibreOffice (bulletin/parser/legacy.py)
    for magic, what in _OTHER_BINARY.items():
        if data.startswith(magic):
            raise BulletinParseError(
                f"unsupported file type ({what}); send a .txt, .docx, .pdf or .html bulletin", "unsupported"
            )
    if extension and extension not in {".md", ".csv", ".log", ".asc"}:
        if b"\x00" in data[:1024] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise BulletinParseError(
                f"unsupported file type ({extension}); send a .txt, .docx, .pdf or .html bulletin", "unsupported"
            )
    return "text"


def _sniff(data: bytes) -> str | None:
    head = data[:1024]
    if head.lstrip().startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "docx" if b"word/" in data[:65536] or b"[Content_Types].xml" in data[:65536] else None
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<body" in head.lower():
        return "html"
    return None


def parse_document(
    data: bytes, filename: str, *, limits: ParseLimits = DEFAULT_LIMITS, convert: bool = False,
    deadline: float | None = None,
) -> Issue:
    """Parse a bulletin from its bytes; the file name's extension chooses the format.

    CONVERT: old Word / WPS documents are converted with LibreOffice (only the bounded parse does this, so that
    the conversion runs under its limits; DEADLINE, a time.monotonic() value, bounds it); otherwise refused."""
    if not data or not data.strip(b" \t\r\n\x00"):
        raise BulletinParseError("the file is empty", "empty")
    kind = detect_format(data, filename)
    if kind == "legacy":
        if not convert:
            raise BulletinParseError(
                "old Word (.doc/.wps) files are not supported; save the document as .docx", "unsupported"
            )
        from bulletin.parser.legacy import to_docx

        data, kind = to_docx(data, os.path.splitext(filename)[1].lower(), deadline=deadline), "docx"
    try:
        with captured_library_warnings() as reported:
            blocks = _read_blocks(kind, data, limits)
            if not blocks:
                raise BulletinParseError("the document contains no text", "empty")
            issue = build_issue(blocks, styled=kind != "text")
    except BulletinParseError:
        raise
    except MemoryError:
        raise too_large(limits) from None
    except RecursionError:
        raise BulletinParseError("the document is too deeply nested to read", "damaged") from None
    except Exception:  # a bug of ours must still reach the user as one clean message
        logger.exception("internal parser error on %s document", kind)
        raise BulletinParseError("could not read the document (internal parser error)", "internal") from None
    if reported:
        issue = dataclasses.replace(issue, warnings=(*as_parse_warnings(reported), *issue.warnings))
    return issue


def _read_blocks(kind: str, data: bytes, limits: ParseLimits) -> list[Block]:
    # Format readers are imported on demand: pdfplumber and python-docx are slow to import.
    if kind == "docx":
        from bulletin.parser.docx import docx_blocks

        return docx_blocks(data, limits)
    if kind == "pdf":
        from bulletin.parser.pdf import pdf_blocks

        return pdf_blocks(data, limits)
    if kind == "html":
        from bulletin.parser.html import html_blocks

        return html_blocks(data)
    from bulletin.parser.text import text_blocks

    return text_blocks(data)


def read_document(path: str | os.PathLike[str], *, limits: ParseLimits = DEFAULT_LIMITS) -> bytes:
    """The bytes of a bulletin file; unreadable or oversized files raise BulletinParseError."""
    try:
        # Non-blocking, so that opening a named pipe does not wait for a writer; then only a regular file is read
        # (a device such as /dev/zero reports size 0 and never ends), and never more than the limit, even if the
        # file grows after it was measured.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as file:
            info = os.fstat(file.fileno())
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError(path)
            if not stat.S_ISREG(info.st_mode):
                raise BulletinParseError("not a regular file", "unreadable")
            if info.st_size > limits.max_file_bytes:
                raise file_too_large(limits)
            data = file.read(limits.max_file_bytes + 1)
        if len(data) > limits.max_file_bytes:
            raise file_too_large(limits)
        return data
    except IsADirectoryError:
        raise BulletinParseError("it is a directory, not a file", "unreadable") from None
    except FileNotFoundError:
        raise BulletinParseError("no such file", "unreadable") from None
    except PermissionError:
        raise BulletinParseError("permission denied", "unreadable") from None
    except OSError as exc:
        raise BulletinParseError(f"cannot read the file ({exc.strerror or exc})", "unreadable") from None


def parse_path(path: str | os.PathLike[str], *, limits: ParseLimits = DEFAULT_LIMITS) -> Issue:
    """Read and parse a bulletin file in this process; unreadable files raise BulletinParseError."""
    return parse_document(read_document(path, limits=limits), os.fspath(path), limits=limits)
