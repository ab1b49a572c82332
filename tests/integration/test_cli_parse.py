"""`bulletin-bot parse FILE [--json]` through the real entry point (a subprocess running the CLI module)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import hostile_docs
from support.bulletin_builders import expected_issue, render_docx, render_pdf, render_scanned_pdf, render_text

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "bulletin_bot" / "data" / "sample-bulletin.txt"
SHARED = ROOT.parent / "shared" / "samples"
JSON_KEYS = [
    "masthead", "year", "number", "total_number", "publisher", "date", "toc", "articles", "footer", "warnings",
    "uncertain",
]


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[bytes]:
    # A C locale and no PYTHONIOENCODING: the output must still be UTF-8.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "PYTHONIOENCODING", "BULLETIN_BOT"))}
    env.update(LANG="C", LC_ALL="C")
    return subprocess.run(
        [sys.executable, "-m", "bulletin_bot.cli", "parse", *map(str, args)],
        capture_output=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def test_json_is_exactly_the_documented_object_in_utf8() -> None:
    result = run_cli(SAMPLE, "--json")
    assert result.returncode == 0, result.stderr.decode()
    assert result.stderr == b""
    text = result.stdout.decode("utf-8")
    assert "\\u" not in text  # Chinese is written as is, not ASCII-escaped
    data = json.loads(text)
    assert list(data) == JSON_KEYS
    assert data["masthead"] == "某市文化和旅游工作简报"
    assert (data["year"], data["number"], data["total_number"]) == (2024, 6, 58)
    assert data["date"] == "2024-06-17"
    assert data["publisher"] == "某市文化和旅游局办公室"
    assert len(data["toc"]) == 5 and all(isinstance(t, str) for t in data["toc"])
    assert [a["title"] for a in data["articles"]] == data["toc"]
    assert all(list(a) == ["title", "paragraphs"] and a["paragraphs"] for a in data["articles"])
    assert data["footer"][0] == "报：市委办公室，市政府办公室"
    assert data["warnings"] == []


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("fixture.txt", lambda: render_text().encode("gb18030")),
        ("fixture.docx", render_docx),
        ("fixture.pdf", render_pdf),
    ],
)
def test_json_of_each_format_matches_the_expected_issue(tmp_path: Path, name: str, make) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_bytes(make())
    result = run_cli(path, "--json")
    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(result.stdout.decode("utf-8")) == expected_issue().to_json_dict()


def test_summary_is_readable() -> None:
    result = run_cli(SAMPLE)
    assert result.returncode == 0
    out = result.stdout.decode("utf-8")
    lines = out.splitlines()
    assert lines[0] == "某市文化和旅游工作简报"
    assert lines[1] == "2024年第6期（总第58期）"
    assert lines[2] == "某市文化和旅游局办公室  2024-06-17"
    assert "要目 (5 entries):" in lines
    assert "  【工作动态】" in lines
    assert "  1. 全市启动暑期旅游景区安全隐患排查整治" in lines
    assert "Articles (5):" in lines
    assert "  1. 全市启动暑期旅游景区安全隐患排查整治 — 3 paragraphs, 243 characters" in lines
    assert "Footer:" in lines
    assert "Warnings" not in out


def test_summary_lists_warnings(tmp_path: Path) -> None:
    path = tmp_path / "warn.txt"
    path.write_text(
        "某市工作简报\n2023年第1期\n本期要目\n☆标题甲\n☆标题乙\n标题甲\n正文第一段，内容如下。\n", encoding="utf-8"
    )
    result = run_cli(path)
    assert result.returncode == 0
    out = result.stdout.decode("utf-8")
    assert "Warnings (3):" in out
    assert '  - 要目 entry "标题乙" has no matching article' in out.splitlines()


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("empty.txt", b"", "the file is empty"),
        ("memo.txt", "会议纪要\n今天开会。\n".encode(), "not a bulletin: no issue line such as 2023年第1期 found"),
        ("random.pdf", os.urandom(2048), "not a valid PDF file"),
        ("scan.pdf", None, "the PDF has no text layer: it looks like a scan"),
        ("binary.txt", bytes(range(256)) * 4, "not a text file in a known encoding"),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "unsupported file type"),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "save the document as .docx"),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_the_file(
    tmp_path: Path, name: str, content: bytes | None, problem: str
) -> None:
    path = tmp_path / name
    path.write_bytes(render_scanned_pdf() if content is None else content)
    # --json changes nothing for errors; half the cases use it (each run is a whole process start).
    extra = ["--json"] if len(name) % 2 else []
    result = run_cli(path, *extra)
    assert result.returncode == 2
    assert result.stdout == b""
    err = result.stderr.decode("utf-8")
    assert err.count("\n") == 1 and err.endswith("\n")
    assert err.startswith(f"bulletin-bot: {path}: ")
    assert problem in err


def test_a_damaged_pdf_prints_nothing_on_stderr_and_its_damage_is_a_json_warning(tmp_path: Path) -> None:
    # pdfminer logs "Data-loss while decompressing corrupted data" once per stream: before, on stderr.
    path = tmp_path / "damaged.pdf"
    path.write_bytes(hostile_docs.damaged_bulletin_pdf())
    result = run_cli(path, "--json")
    assert (result.returncode, result.stderr) == (0, b"")
    data = json.loads(result.stdout.decode("utf-8"))
    assert data["warnings"] == ["damaged PDF: data lost while decompressing (4 times)"]
    assert data["articles"] == expected_issue().to_json_dict()["articles"]


@pytest.mark.parametrize(
    ("name", "make", "line"),
    [
        ("notes.pdf", hostile_docs.damaged_memo_pdf, "not a bulletin: no issue line such as 2023年第1期 found"),
        ("bomb.pdf", lambda: hostile_docs.flate_bomb_pdf(1 << 30), "the document unpacks to more than 96 MB"),
        ("bomb.docx", lambda: hostile_docs.docx_bomb(200_000_000), "the document unpacks to more than 96 MB"),
    ],
)
def test_damaged_and_hostile_documents_get_exactly_one_line(tmp_path: Path, name: str, make, line: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_bytes(make())
    result = run_cli(path)
    assert (result.returncode, result.stdout) == (2, b"")
    assert result.stderr.decode("utf-8") == f"bulletin-bot: {path}: {line}\n"


def test_missing_file_and_directory_exit_2(tmp_path: Path) -> None:
    missing = run_cli(tmp_path / "nope.txt")
    assert (missing.returncode, missing.stderr.decode()) == (
        2,
        f"bulletin-bot: {tmp_path / 'nope.txt'}: no such file\n",
    )
    directory = run_cli(tmp_path)
    assert directory.returncode == 2
    assert directory.stderr.decode() == f"bulletin-bot: {tmp_path}: it is a directory, not a file\n"


def test_a_device_or_a_pipe_is_refused_without_being_read(tmp_path: Path) -> None:
    """Issue 9 §3: the command line keeps the bot's limits. /dev/zero has size 0 by stat and never ends, and
    opening a named pipe waits for a writer: before, `parse` read /dev/zero until memory ran out and hung on the
    pipe. Now either gets one line, at once."""
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    for path in (Path("/dev/zero"), fifo):
        result = run_cli(path)
        assert (result.returncode, result.stdout) == (2, b"")
        assert result.stderr.decode("utf-8") == f"bulletin-bot: {path}: not a regular file\n"


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"../shared/samples not present ({SHARED})")
def test_shared_samples_give_identical_json() -> None:
    outputs = {
        name: run_cli(SHARED / name, "--json").stdout
        for name in (
            "bulletin-2023-01.txt",
            "bulletin-2023-01.gb18030.txt",
            "bulletin-2023-01.docx",
            "bulletin-2023-01.pdf",
        )
    }
    assert len(set(outputs.values())) == 1
    data = json.loads(next(iter(outputs.values())).decode("utf-8"))
    assert (data["year"], data["number"], data["total_number"], data["date"]) == (2023, 1, 1, "2023-05-08")
    assert len(data["toc"]) == 5 and len(data["articles"]) == 5


def test_summary_marks_inferred_fields_and_a_dated_report(tmp_path: Path) -> None:
    path = tmp_path / "daily.txt"
    path.write_text(
        "内部资料\n某市河湖长制工作每日动态(2022年7月5日)\n某市河长办\n————————\n"
        "某区开展河道清漂行动\n7月4日，某区组织人员对主要河道开展清漂，清理漂浮物3吨。\n"
        "某县完成河长公示牌更新\n某县对全县河长公示牌信息进行更新，确保信息准确。\n",
        encoding="utf-8",
    )
    result = run_cli(path)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode("utf-8").splitlines()[:7] == [
        "某市河湖长制工作每日动态",
        "(no issue number: a dated report)",
        "某市河长办  2022-07-05",
        "Marks: 内部资料",
        "year: 2022 (inferred)",
        "toc: 2 entries built from the headings (inferred)",
        "",
    ]
    data = json.loads(run_cli(path, "--json").stdout.decode("utf-8"))
    assert (data["number"], data["year"], data["uncertain"]) == (None, 2022, ["year", "toc"])
