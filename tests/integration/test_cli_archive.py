"""`bulletin-bot import | issues | show | search` through the real entry point, on SQLite and (when configured)
PostgreSQL. The bulletins are made up here (某县河湖治理工作简报)."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

from support.cli import _bulletin_bot, write_config


def test_import_list_show_search(db_url: str, config: Path, files: dict[str, Path]) -> None:
    result = _bulletin_bot(db_url, config, "import", str(files["issue3.txt"]), str(files["issue4.txt"]))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{files['issue3.txt']}: added 2024年第3期（总第15期） 某县河湖治理工作简报",
        f"{files['issue4.txt']}: added 2024年第4期（总第16期） 某县河湖治理工作简报",
    ]
    assert result.stderr == ""

    listing = _bulletin_bot(db_url, config, "issues")
    assert listing.returncode == 0
    lines = listing.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].split()[:3] == ["2024-4", "2024-04-15", "2024年第4期（总第16期）"]
    assert lines[1].split()[:3] == ["2024-3", "2024-03-18", "2024年第3期（总第15期）"]

    issue = _bulletin_bot(db_url, config, "show", "15")
    assert issue.returncode == 0
    assert "某县河湖治理工作简报\n2024年第3期（总第15期）\n某县水利局办公室  2024-03-18" in issue.stdout
    assert "  1. 全县启动春季河道清淤行动\n  2. 某镇建成生态缓冲带" in issue.stdout

    article = _bulletin_bot(db_url, config, "show", "2024-4", "2")
    assert article.returncode == 0
    assert article.stdout == (
        "湿地公园景区开园\n\n县湿地公园景区于4月12日正式开园，景区内设观鸟栈道两处。\n"
    )

    found = _bulletin_bot(db_url, config, "search", "景区")
    assert found.returncode == 0
    assert found.stdout.splitlines() == [
        "2 articles match '景区':",
        "1. 2024年第4期（总第16期） · article 2 · 湿地公园景区开园",
        "   县湿地公园景区于4月12日正式开园，景区内设观鸟栈道两处。",
        "2. 2024年第3期（总第15期） · article 2 · 某镇建成生态缓冲带",
        "   某镇在主要支流两岸种植水生植物，建成生态缓冲带3公里，景区周边水质明显改善。",
    ]
    both = _bulletin_bot(db_url, config, "search", "水", "景区")
    assert both.stdout.splitlines()[:2] == [
        "1 article matches '水 景区':",
        "1. 2024年第3期（总第15期） · article 2 · 某镇建成生态缓冲带",
    ]
    none = _bulletin_bot(db_url, config, "search", "机场")
    assert (none.returncode, none.stdout) == (0, "No articles match '机场'.\n")


def test_failed_files_store_nothing_and_the_others_import(
    db_url: str, config: Path, files: dict[str, Path]
) -> None:
    files["missing.txt"] = files["issue3.txt"].parent / "missing.txt"
    paths = [files[n] for n in ("notes.txt", "issue3.txt", "binary.txt", "missing.txt", "issue4.txt")]
    result = _bulletin_bot(db_url, config, "import", *map(str, paths))
    assert result.returncode == 1
    assert [line.split(": ")[0] for line in result.stdout.splitlines()] == [
        str(files["issue3.txt"]),
        str(files["issue4.txt"]),
    ]
    errors = result.stderr.splitlines()
    assert len(errors) == 3
    assert errors[0].startswith(f"{files['notes.txt']}: error: ")
    assert errors[1].startswith(f"{files['binary.txt']}: error: ")
    assert errors[2].startswith(f"{files['missing.txt']}: error: ")
    assert "Traceback" not in result.stderr
    assert len(_bulletin_bot(db_url, config, "issues").stdout.splitlines()) == 2


def test_reimport_conflict_and_replace(db_url: str, config: Path, files: dict[str, Path]) -> None:
    assert _bulletin_bot(db_url, config, "import", str(files["issue3.txt"])).returncode == 0

    again = _bulletin_bot(db_url, config, "import", str(files["issue3.txt"]))
    assert again.returncode == 0
    assert again.stdout == (
        f"{files['issue3.txt']}: unchanged (already stored): 2024年第3期（总第15期） 某县河湖治理工作简报\n"
    )

    corrected = str(files["issue3-corrected.txt"])
    conflict = _bulletin_bot(db_url, config, "import", corrected)
    assert conflict.returncode == 1
    assert conflict.stderr == (
        f"{corrected}: error: 2024年第3期（总第15期） 某县河湖治理工作简报 is already stored with different content; "
        "nothing changed (use --replace)\n"
    )
    assert "42公里" in _bulletin_bot(db_url, config, "show", "2024-3", "1").stdout

    replaced = _bulletin_bot(db_url, config, "import", "--replace", corrected)
    assert replaced.returncode == 0
    assert replaced.stdout == f"{corrected}: replaced 2024年第3期（总第15期） 某县河湖治理工作简报\n"
    shown = _bulletin_bot(db_url, config, "show", "2024-3", "1").stdout
    assert "45公里" in shown and "42公里" not in shown
    assert _bulletin_bot(db_url, config, "search", "42公里").stdout == "No articles match '42公里'.\n"
    assert len(_bulletin_bot(db_url, config, "issues").stdout.splitlines()) == 1
    # the audit log has the first import and the replacement; the unchanged and refused imports wrote nothing
    audit = [line for line in _bulletin_bot(db_url, config, "audit").stdout.splitlines() if "command line" in line]
    assert len(audit) == 2, audit
    assert "replace" in audit[0] and "issue3-corrected.txt" in audit[0]
    assert "import" in audit[1] and "issue3.txt" in audit[1]


def test_unknown_issue_or_article_is_a_clear_usage_error(db_url: str, config: Path, files: dict[str, Path]) -> None:
    _bulletin_bot(db_url, config, "import", str(files["issue3.txt"]))
    missing = _bulletin_bot(db_url, config, "show", "2023-9")
    assert missing.returncode == 2
    assert missing.stdout == ""
    assert missing.stderr.startswith("bulletin-bot: no stored issue matches '2023-9'")
    no_article = _bulletin_bot(db_url, config, "show", "15", "3")
    assert no_article.returncode == 2
    assert no_article.stderr == "bulletin-bot: 2024年第3期（总第15期） has 2 articles; there is no article 3\n"
    not_a_number = _bulletin_bot(db_url, config, "show", "15", "two")
    assert not_a_number.returncode == 2
    assert "Traceback" not in not_a_number.stderr


def test_empty_archive(db_url: str, config: Path) -> None:
    listing = _bulletin_bot(db_url, config, "issues")
    assert (listing.returncode, listing.stdout) == (
        0,
        "No issues stored yet (add some with `bulletin-bot import FILE...`).\n",
    )


def test_database_from_the_config_file_is_created_and_migrated(tmp_path: Path, files: dict[str, Path]) -> None:
    db = tmp_path / "from-config.sqlite3"
    config = tmp_path / "bot.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{db}"\n', encoding="utf-8")
    result = _bulletin_bot("", config, "import", str(files["issue4.txt"]), use_env=False)
    assert result.returncode == 0, result.stderr
    assert db.exists()
    assert "Traceback" not in result.stderr


def test_unreachable_database_is_one_clear_line(tmp_path: Path, config: Path) -> None:
    result = _bulletin_bot(f"sqlite:///{tmp_path}/no/such/dir/x.sqlite3", config, "issues")
    assert result.returncode == 1
    assert result.stderr.startswith("bulletin-bot: cannot open the database: ")
    assert len(result.stderr.splitlines()) == 1


def test_progress_bar_only_at_a_terminal(tmp_path: Path, config: Path, files: dict[str, Path]) -> None:
    url = f"sqlite:///{tmp_path}/tty.sqlite3"
    piped = _bulletin_bot(url, config, "import", str(files["issue3.txt"]), str(files["issue4.txt"]))
    assert "%|" not in piped.stderr

    controller, terminal = pty.openpty()
    # A new pty is 0x0; tqdm would draw a zero-width bar.
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    env = {k: v for k, v in os.environ.items() if not k.startswith("BULLETIN_BOT_")}
    env["BULLETIN_BOT_DATABASE_URL"] = f"sqlite:///{tmp_path}/tty2.sqlite3"
    proc = subprocess.run(
        [sys.executable, "-m", "bulletin_bot.cli", "--config", str(config), "import",
         str(files["issue3.txt"]), str(files["issue4.txt"])],
        stdout=subprocess.PIPE, stderr=terminal, env=env, timeout=120,
    )
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    bar = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0
    assert "2/2" in bar and "100%" in bar
    assert len(proc.stdout.decode("utf-8").splitlines()) == 2


def test_search_is_widened_by_the_configured_synonyms(db_url: str, tmp_path: Path, files: dict[str, Path]) -> None:
    config = tmp_path / "synonyms.toml"
    config.write_text('[logging]\nlevel = "WARNING"\n[search]\nsynonyms = [["风景区", "景区"]]\n', encoding="utf-8")
    assert _bulletin_bot(db_url, config, "import", str(files["issue4.txt"])).returncode == 0
    found = _bulletin_bot(db_url, config, "search", "风景区")
    assert found.stdout.splitlines()[:2] == [
        "1 article matches '风景区':",
        "1. 2024年第4期（总第16期） · article 2 · 湿地公园景区开园",
    ]
    (tmp_path / "plain").mkdir()
    plain = _bulletin_bot(db_url, write_config(tmp_path / "plain"), "search", "风景区")
    assert plain.stdout == "No articles match '风景区'.\n"
