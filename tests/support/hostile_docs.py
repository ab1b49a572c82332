"""Hostile documents, generated (never stored): what an attacker or a broken tool could send the parser.

Each builder returns the bytes of one document that used to cost minutes or gigabytes: PDF form XObjects nested
so that one page draws 2**depth glyphs, a PDF whose content stream is a flate bomb, a .docx zip bomb, a .docx of
empty paragraphs, and a plain-text bulletin with a huge 要目. Sizes are parameters, so tests use small versions
with the real bomb ratios and the benches the sizes first reported.
"""

from __future__ import annotations

import base64
import io
import re
import zipfile
import zlib

_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def pdf_file(objects: list[bytes], *, root: int = 1) -> bytes:
    """A PDF whose object N (from 1) has body OBJECTS[N-1], with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref)
    return bytes(out)


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def nested_forms_pdf(depth: int = 40, fanout: int = 2) -> bytes:
    """One page drawing form X<depth>, each form drawing the one below FANOUT times: FANOUT**DEPTH glyphs (~2 KB)."""
    # Objects: 1 catalog, 2 pages, 3 page, 4 font, 5 page content, 6.. forms X0..X<depth>.
    first_form = 6
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 5 0 R "
        b"/Resources << /Font << /F1 4 0 R >> /XObject << /X %d 0 R >> >> >>" % (first_form + depth),
        _FONT,
        _stream(b"q 1 0 0 1 72 700 cm /X Do Q"),
    ]
    for level in range(depth + 1):
        if level == 0:
            content = b"BT /F1 12 Tf 0 0 Td (ab) Tj ET"
            resources = b"/Resources << /Font << /F1 4 0 R >> >>"
        else:
            content = b" ".join(b"/Y Do" for _ in range(fanout))
            resources = b"/Resources << /XObject << /Y %d 0 R >> >>" % (first_form + level - 1)
        objects.append(_stream(content, b"/Type /XObject /Subtype /Form /BBox [0 0 100 100] " + resources))
    return pdf_file(objects)


def deflate_run(
    size: int, fill: bytes = b" ", *, prefix: bytes = b"", suffix: bytes = b"", zip_raw: bool = False
) -> bytes:
    """PREFIX + SIZE bytes of FILL + SUFFIX, deflated (zlib-wrapped, or raw for zip members) without holding it."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15 if zip_raw else 15)
    parts = [compressor.compress(prefix)]
    chunk = fill * (1 << 20)
    left = size
    while left > 0:
        piece = chunk if left >= len(chunk) else chunk[:left]
        parts.append(compressor.compress(piece))
        left -= len(piece)
    parts.append(compressor.compress(suffix))
    parts.append(compressor.flush())
    return b"".join(parts)


def one_page_pdf(packed_content: bytes) -> bytes:
    """A one-page PDF (Helvetica as F1) whose content stream is PACKED_CONTENT, flate-encoded by the caller."""
    return pdf_file([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 5 0 R "
        b"/Resources << /Font << /F1 4 0 R >> >> >>",
        _FONT,
        _stream(packed_content, b"/Filter /FlateDecode"),
    ])


def flate_bomb_pdf(inflated: int = 1 << 30) -> bytes:
    """A one-page PDF whose content stream inflates to INFLATED bytes (1 GiB: a ~1 MB file)."""
    text = b"BT /F1 12 Tf 72 700 Td (Hello) Tj ET\n"
    packed = deflate_run(inflated, prefix=text)
    return one_page_pdf(packed)


def many_pages_pdf(pages: int) -> bytes:
    """A PDF of PAGES pages, each with one short line of text."""
    first_page = 4
    kids = b" ".join(b"%d 0 R" % (first_page + 2 * n) for n in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
        _FONT,
    ]
    for n in range(pages):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
            b"/Resources << /Font << /F1 3 0 R >> >> >>" % (first_page + 2 * n + 1)
        )
        objects.append(_stream(b"BT /F1 12 Tf 72 700 Td (Page %d of the report) Tj ET" % n))
    return pdf_file(objects)


def damaged_bulletin_pdf() -> bytes:
    """The made-up issue as a PDF (bulletin_builders.render_pdf) with every byte offset kept, but each content
    stream's zlib checksum wrong: pdfminer logs "Data-loss while decompressing corrupted data" for each."""
    from support.bulletin_builders import render_pdf

    data = render_pdf()

    def break_checksum(m: re.Match[bytes]) -> bytes:
        encoded = m.group(2)
        packed = base64.a85decode(encoded, adobe=True)
        broken = packed[:-4] + bytes(b ^ 0x5A or 1 for b in packed[-4:])
        again = base64.a85encode(broken, adobe=True)[2:]
        assert len(again) == len(encoded), "the damage must keep every offset"
        return m.group(1) + again + m.group(3)

    data, streams = re.subn(rb"(stream\r?\n)(.*?~>)(\s*endstream)", break_checksum, data, flags=re.S)
    assert streams >= 2
    return data


def damaged_memo_pdf() -> bytes:
    """A one-page PDF of English notes (no bulletin) whose content stream's zlib checksum is wrong."""
    content = b"BT /F1 12 Tf 72 760 Td 14 TL (Meeting notes) ' (The meeting ended at noon.) ' ET"
    packed = zlib.compress(content)
    broken = packed[:-4] + bytes(b ^ 0x5A or 1 for b in packed[-4:])
    return one_page_pdf(broken)


_DOCX_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/word/document.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    b"</Types>"
)
_DOCX_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    b'Target="word/document.xml"/></Relationships>'
)
_DOC_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
)
_DOC_TAIL = b"</w:body></w:document>"


def _paragraph(text: str) -> bytes:
    return b"<w:p><w:r><w:t>" + text.encode("utf-8") + b"</w:t></w:r></w:p>"


def docx_package(document: bytes | None = None, *, packed_document: tuple[bytes, int, int] | None = None) -> bytes:
    """A minimal .docx around DOCUMENT (word/document.xml), or around an already deflated member
    PACKED_DOCUMENT = (raw deflate bytes, uncompressed size, crc32)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", _DOCX_TYPES)
        package.writestr("_rels/.rels", _DOCX_RELS)
        if document is not None:
            package.writestr("word/document.xml", document)
    if packed_document is None:
        return out.getvalue()
    return _append_member(out.getvalue(), "word/document.xml", *packed_document)


def _append_member(archive: bytes, name: str, packed: bytes, size: int, crc: int) -> bytes:
    """ARCHIVE with one more deflated member whose compressed bytes are given (built without inflating them)."""
    source = zipfile.ZipFile(io.BytesIO(archive))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.file_size, info.compress_size, info.CRC = size, len(packed), crc
        zip64 = size >= zipfile.ZIP64_LIMIT
        info.extract_version = max(info.extract_version, 45 if zip64 else 20)
        header_offset = target.fp.tell()  # type: ignore[union-attr]
        info.header_offset = header_offset
        target.fp.write(info.FileHeader(zip64))  # type: ignore[union-attr]
        target.fp.write(packed)  # type: ignore[union-attr]
        target.filelist.append(info)
        target.NameToInfo[name] = info
        target.start_dir = target.fp.tell()  # type: ignore[union-attr]
    return out.getvalue()


def docx_bomb(inflated: int = 3_700_000_000) -> bytes:
    """A .docx whose word/document.xml inflates to INFLATED bytes of white space between two paragraphs."""
    head = _DOC_HEAD + _paragraph("2024年第1期")
    tail = _paragraph("正文") + _DOC_TAIL
    packed = deflate_run(inflated, prefix=head, suffix=tail, zip_raw=True)
    crc = zlib.crc32(head)
    chunk = b" " * (1 << 20)
    left = inflated
    while left > 0:
        piece = chunk if left >= len(chunk) else chunk[:left]
        crc = zlib.crc32(piece, crc)
        left -= len(piece)
    crc = zlib.crc32(tail, crc)
    return docx_package(packed_document=(packed, len(head) + inflated + len(tail), crc))


def empty_paragraphs_docx(count: int = 1_000_000) -> bytes:
    """A .docx of a short bulletin followed by COUNT empty paragraphs."""
    lines = ["某县工作简报", "2024年第1期", "某县办公室　2024年1月5日", "一、全县开展安全检查", "正文一段。"]
    body = b"".join(_paragraph(line) for line in lines) + b"<w:p/>" * count
    return docx_package(_DOC_HEAD + body + _DOC_TAIL)


def many_paragraphs_docx(count: int) -> bytes:
    """A .docx of a short bulletin followed by COUNT numbered paragraphs of text (an ordinary packing ratio)."""
    lines = ["某县工作简报", "2024年第1期", "某县办公室　2024年1月5日", "一、全县开展安全检查"]
    lines += [f"第{n}段：检查组对第{n * 7 % 1000}号点位进行了复查。" for n in range(count)]
    return docx_package(_DOC_HEAD + b"".join(_paragraph(line) for line in lines) + _DOC_TAIL)


def big_toc_text(entries: int = 1000, paragraphs_per_article: int = 2, *, matching: bool = True) -> bytes:
    """A plain-text bulletin whose 要目 lists ENTRIES articles, each present in the body (or, without MATCHING,
    none of them: every heading is worded differently from its entry)."""
    lines = ["某县工作简报", "", "2024年第3期（总第30期）", "", "某县人民政府办公室　　2024年3月8日", ""]
    lines += ["本期要目", ""]
    titles = [f"第{n}项工作：全县推进重点任务落实情况通报（{n}）" for n in range(1, entries + 1)]
    lines += [f"☆{title}" for title in titles]
    lines.append("")
    for n, title in enumerate(titles, 1):
        lines.append(title if matching else f"关于{n}号事项的情况说明")
        for k in range(paragraphs_per_article):
            lines.append(f"这是第{n}篇文章的第{k + 1}段正文，记述有关工作的进展和下一步安排，内容均为虚构。")
    lines += ["", "报：县委办公室", "送：各乡镇人民政府", "共印50份"]
    return ("\n".join(lines) + "\n").encode("utf-8")


def big_html_page(megabytes: float) -> bytes:
    """A web page of about MEGABYTES MB: site navigation, then a bulletin whose one article has short paragraphs
    with a bold word in each (every paragraph a <p> and a <b>: many elements and text nodes per MB)."""
    paragraph = "<p>检查组对各点位逐一复查，发现的<b>问题</b>已全部整改到位，群众反映良好。</p>\n"
    count = int(megabytes * 1024 * 1024 / len(paragraph.encode("utf-8")))
    html = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>简报</title></head><body>"
        "<div class='nav'><a href='/'>首页</a></div><div id='content'>"
        "<h1>某县工作简报</h1><p>2024年第3期</p><p>某县人民政府办公室　2024年3月8日</p>"
        "<h2>一、全县开展安全检查</h2>" + paragraph * count + "</div></body></html>"
    )
    return html.encode("utf-8")
