"""`bulletin-bot import --set` and `bulletin-bot aliases` through the real entry point: corrections validated like the
desk's 修改 button, recorded in the audit log, and remembered per series. SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.cli import ISSUE_3, ISSUE_4, _bulletin_bot

from bulletin.errors import BulletinParseError
from bulletin.parser import parse_path

# ISSUE_3 without its issue line (2024年第3期（总第15期）).
NO_ISSUE_LINE = ISSUE_3.replace("2024年第3期（总第15期）\n\n", "")


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text('[logging]\nlevel = "WARNING"\n', encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, content in {"issue3.txt": ISSUE_3, "issue4.txt": ISSUE_4, "noline.txt": NO_ISSUE_LINE}.items():
        out[name] = tmp_path / name
        out[name].write_text(content, encoding="utf-8")
    return out


def _audit(db_url: str, config: Path) -> list[str]:
    return [line for line in _bulletin_bot(db_url, config, "audit").stdout.splitlines() if "command line" in line]


def test_set_corrects_fields_is_audited_and_remembers_the_masthead(
    db_url: str, config: Path, files: dict[str, Path]
) -> None:
    first = _bulletin_bot(
        db_url, config, "import", str(files["issue3.txt"]),
        "--set", "number=５", "--set", "date=2024年3月20日", "--set", "masthead=某县河湖长制工作简报",
    )
    assert first.returncode == 0, first.stderr
    assert first.stdout == f"{files['issue3.txt']}: added 2024年第5期（总第15期） 某县河湖长制工作简报\n"
    shown = _bulletin_bot(db_url, config, "show", "2024-5")
    assert "某县河湖长制工作简报\n2024年第5期（总第15期）\n某县水利局办公室  2024-03-20" in shown.stdout
    audit = _audit(db_url, config)
    assert len(audit) == 1
    assert "command line: issue3.txt; set number=５, date=2024年3月20日, masthead=某县河湖长制工作简报" in audit[0]

    aliases = _bulletin_bot(db_url, config, "aliases")
    assert aliases.stdout == "某县河湖治理工作简报\tmasthead\t某县河湖长制工作简报\n"

    # The next document of the series (same parsed masthead) gets the corrected masthead, with a note.
    second = _bulletin_bot(db_url, config, "import", str(files["issue4.txt"]))
    assert second.returncode == 0, second.stderr
    assert second.stdout == (
        f"{files['issue4.txt']}: added 2024年第4期（总第16期） 某县河湖长制工作简报"
        " (masthead as corrected before: 某县河湖长制工作简报)\n"
    )

    removed = _bulletin_bot(db_url, config, "aliases", "remove", "某县河湖治理工作简报")
    assert (removed.returncode, removed.stdout) == (0, "removed 1 remembered correction(s) of 某县河湖治理工作简报\n")
    assert _bulletin_bot(db_url, config, "aliases").stdout == "No remembered corrections.\n"
    again = _bulletin_bot(db_url, config, "aliases", "remove", "某县河湖治理工作简报")
    assert again.returncode == 1
    assert "alias_remove" in _bulletin_bot(db_url, config, "audit").stdout


def test_a_corrected_publisher_is_remembered_for_the_next_issue_of_the_series(
    db_url: str, config: Path, files: dict[str, Path]
) -> None:
    first = _bulletin_bot(db_url, config, "import", str(files["issue3.txt"]), "--set", "publisher=某县河长制办公室")
    assert first.returncode == 0, first.stderr
    assert _bulletin_bot(db_url, config, "aliases").stdout == "某县河湖治理工作简报\tpublisher\t某县河长制办公室\n"
    second = _bulletin_bot(db_url, config, "import", str(files["issue4.txt"]))
    assert second.stdout == (
        f"{files['issue4.txt']}: added 2024年第4期（总第16期） 某县河湖治理工作简报"
        " (publisher as corrected before: 某县河长制办公室)\n"
    )
    shown = _bulletin_bot(db_url, config, "show", "2024-4")
    assert "某县河湖治理工作简报\n2024年第4期（总第16期）\n某县河长制办公室  2024-04-15" in shown.stdout


def test_show_into_a_closed_pipe_ends_quietly(db_url: str, config: Path, files: dict[str, Path]) -> None:
    """`bulletin-bot show 2024-03-18 | head -1`: the reader has gone, the command ends without a traceback."""
    assert _bulletin_bot(db_url, config, "import", str(files["issue3.txt"])).returncode == 0
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody reads: every write gets EPIPE, as after `head` has its line
    env = {k: v for k, v in os.environ.items() if not k.startswith("BULLETIN_BOT_")}
    env["BULLETIN_BOT_DATABASE_URL"] = db_url
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bulletin_bot.cli", "--config", str(config), "show", "2024-03-18"],
            stdout=write_end, stderr=subprocess.PIPE, env=env, timeout=120, check=False,
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr.decode("utf-8")) == (1, "")


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("number=五", "bulletin-bot: --set number: '五' is not a whole number"),
        ("date=2024-02-30", "bulletin-bot: --set date: '2024-02-30' is not a date like 2023-06-01"),
        ("year=12", "bulletin-bot: --set year: 12 is not between 1900 and 2999"),
        ("issue=3", "bulletin-bot: --set unknown field 'issue' (one of: masthead, year, number, total_number, date, "
                    "publisher)"),
        ("number", "bulletin-bot: --set --set 'number': expected NAME=VALUE"),
    ],
)
def test_an_invalid_set_value_is_refused_in_one_line_and_nothing_is_stored(
    db_url: str, config: Path, files: dict[str, Path], assignment: str, message: str
) -> None:
    result = _bulletin_bot(db_url, config, "import", str(files["issue3.txt"]), "--set", assignment)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [message]
    assert result.stdout == ""
    listing = _bulletin_bot(db_url, config, "issues")
    assert listing.stdout == "No issues stored yet (add some with `bulletin-bot import FILE...`).\n"


def test_clearing_the_number_stores_a_dated_report_found_by_its_date(
    db_url: str, config: Path, files: dict[str, Path]
) -> None:
    result = _bulletin_bot(db_url, config, "import", str(files["issue3.txt"]), "--set", "number=-")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{files['issue3.txt']}: added 2024年3月18日（总第15期） 某县河湖治理工作简报\n"
    listing = _bulletin_bot(db_url, config, "issues").stdout.splitlines()
    assert listing[0].split()[:3] == ["2024-03-18", "2024-03-18", "2024年3月18日（总第15期）"]
    shown = _bulletin_bot(db_url, config, "show", "2024-03-18")
    assert shown.returncode == 0
    assert shown.stdout.startswith("某县河湖治理工作简报\n2024年3月18日（总第15期）\n")
    assert "None" not in shown.stdout
    # A second issue that day: show lists both.
    assert _bulletin_bot(db_url, config, "import", str(files["issue4.txt"]), "--set", "date=2024-03-18").returncode == 0
    both = _bulletin_bot(db_url, config, "show", "2024-03-18")
    lines = both.stdout.splitlines()
    assert lines[0] == "2 issues are dated 2024-03-18; show one by its reference:"
    assert [line.split()[1] for line in lines[1:]] == ["2024年第4期（总第16期）", "2024年3月18日（总第15期）"]
    missing = _bulletin_bot(db_url, config, "show", "2024-03-19")
    assert missing.returncode == 2
    assert missing.stderr.startswith("bulletin-bot: no stored issue matches '2024-03-19'")


def _parser_gives_partial(path: Path) -> bool:
    try:
        parse_path(path)
    except BulletinParseError as exc:
        return exc.partial is not None
    return False


def test_a_document_without_issue_line_is_stored_with_set_and_parse_still_exits_2(
    db_url: str, config: Path, files: dict[str, Path]
) -> None:
    without = _bulletin_bot(db_url, config, "import", str(files["noline.txt"]))
    assert without.returncode == 1
    assert "no issue line" in without.stderr
    assert _bulletin_bot(db_url, config, "parse", str(files["noline.txt"])).returncode == 2
    assert _parser_gives_partial(files["noline.txt"])  # what --set completes
    result = _bulletin_bot(db_url, config, "import", str(files["noline.txt"]), "--set", "number=3")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{files['noline.txt']}: added ")
    assert "第3期" in result.stdout
    assert "set number=3" in _audit(db_url, config)[0]
