"""`bulletin-bot backup` while `bulletin-bot run` is pushing, and `restore` of that copy, through the real CLI."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from bulletin_bot.cli import main
from localbotapi import Limits, LocalBotApi
from storage.db import open_database, transaction
from storage.subscribers import SubscriberRepository

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "bulletin_bot" / "data" / "sample-bulletin.txt"
TOKEN = "777001:backup"
ADMIN = 901
SUBSCRIBERS = range(2000, 2300)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BULLETIN_BOT_")}
    return subprocess.run([sys.executable, "-m", "bulletin_bot.cli", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120, check=False)


def delivered(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM push_deliveries WHERE state = 'sent'").fetchone()[0])


def test_a_backup_taken_mid_push_is_consistent_and_restores(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    copy = tmp_path / "copy.sqlite3"
    # 300 subscribers at 20 messages/s: the push takes about 15 s, long enough to copy in the middle of it.
    with LocalBotApi(limits=Limits(enabled=False)) as server:
        server.add_bot(TOKEN)
        config = tmp_path / "bot.toml"
        config.write_text(
            f'[telegram]\ntoken = "{TOKEN}"\napi_base_url = "{server.api_base_url()}"\npoll_timeout = 1\n'
            f'[database]\nurl = "sqlite:///{db}"\n[access]\nadmins = [{ADMIN}]\n'
            '[push]\nrate_per_second = 20.0\n[logging]\nlevel = "WARNING"\n',
            encoding="utf-8",
        )
        config.chmod(0o600)
        assert main(["--config", str(config), "import", str(SAMPLE)]) == 0
        engine, factory = open_database(f"sqlite:///{db}")
        with transaction(factory) as s:
            for uid in (ADMIN, *SUBSCRIBERS):
                server.add_user(uid, f"u{uid}")
                SubscriberRepository(s).subscribe(uid, chat_type="private", user_id=uid, display_name=f"u{uid}",
                                                  language_code="zh-hans", department="办公室")
        engine.dispose()
        env = {k: v for k, v in os.environ.items() if not k.startswith("BULLETIN_BOT_")}
        bot = subprocess.Popen([sys.executable, "-m", "bulletin_bot.cli", "--config", str(config), "run"],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            assert server.wait_for(lambda: len(server.commands(TOKEN)) > 0, timeout=60)  # the bot is up
            assert cli("--config", str(config), "publish", "58", "--now").returncode == 0
            assert server.wait_for(lambda: delivered(db) >= 40, timeout=60)
            backup = cli("--config", str(config), "backup", str(copy))
            sent_after_backup = delivered(db)
            assert server.wait_for(lambda: any("推送完成" in (m.text or "") for m in server.messages(ADMIN)), 90)
        finally:
            bot.terminate()
            out, _ = bot.communicate(timeout=60)
    assert bot.returncode == 0, out
    assert backup.returncode == 0, backup.stderr
    assert backup.stdout.startswith(f"backed up {db} to {copy} (")
    assert "1 issue, 301 active subscribers" in backup.stdout and "integrity checked" in backup.stdout
    assert copy.stat().st_mode & 0o777 == 0o600
    assert not Path(f"{copy}-wal").exists()  # one self-contained file
    # A snapshot of one moment in the middle of the push: some rows sent, the rest still to send, none lost.
    with sqlite3.connect(copy) as conn:
        states = dict(conn.execute("SELECT state, count(*) FROM push_deliveries GROUP BY state").fetchall())
        [(push_state,)] = conn.execute("SELECT state FROM pushes").fetchall()
    assert push_state == "running"
    assert sum(states.values()) == len(SUBSCRIBERS) + 1
    assert 40 <= states.get("sent", 0) <= sent_after_backup < len(SUBSCRIBERS) + 1
    assert cli("--config", str(config), "backup", str(copy)).stderr == (
        f"bulletin-bot backup: {copy} already exists; not overwriting it (choose another PATH)\n"
    )

    restored = cli("--config", str(config), "restore", str(copy))
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.startswith(f"restored {copy} into {db}: 1 issue, 301 active subscribers")
    saved = sorted(tmp_path.glob("bot.sqlite3.before-restore-*"))
    assert len(saved) == 1 and f"kept as {saved[0]}" in restored.stdout
    with sqlite3.connect(db) as conn:
        assert dict(conn.execute("SELECT state, count(*) FROM push_deliveries GROUP BY state").fetchall()) == states
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # The database it replaced (the finished push) is intact beside it.
    with sqlite3.connect(saved[0]) as conn:
        assert conn.execute("SELECT state FROM pushes").fetchall() == [("done",)]


def test_restore_refuses_a_damaged_or_foreign_file_and_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    config = tmp_path / "bot.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{db}"\n[logging]\nlevel = "WARNING"\n', encoding="utf-8")
    assert cli("--config", str(config), "import", str(SAMPLE)).returncode == 0
    before = db.read_bytes()
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n", encoding="utf-8")
    foreign = tmp_path / "foreign.sqlite3"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    newer = tmp_path / "newer.sqlite3"
    assert cli("--config", str(config), "backup", str(newer)).returncode == 0
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    conn.close()
    damaged = tmp_path / "damaged.sqlite3"
    assert cli("--config", str(config), "backup", str(damaged)).returncode == 0
    data = bytearray(damaged.read_bytes())
    page = 4096
    data[2 * page + 100: 3 * page] = b"\xff" * (page - 100)  # garble a b-tree page
    damaged.write_bytes(bytes(data))

    for path, message in (
        (text, f"{text} is not a SQLite database"),
        (foreign, f"{foreign} is not a bulletin-bot database (no migration revision)"),
        (newer, "the copy is at schema revision 9999_from_the_future, which this version of bulletin-bot does not "
                "know (made by a newer version?); nothing was changed"),
        (damaged, f"{damaged} is damaged ("),
    ):
        result = cli("--config", str(config), "restore", str(path))
        assert result.returncode == 1, (path, result.stdout)
        assert result.stderr.startswith(f"bulletin-bot restore: {message}"), result.stderr
        assert "Traceback" not in result.stderr
    assert db.read_bytes() == before
    assert not list(tmp_path.glob("bot.sqlite3.before-restore-*"))


def test_backup_of_a_postgresql_database_points_at_pg_dump(tmp_path: Path) -> None:
    config = tmp_path / "bot.toml"
    config.write_text('[database]\nurl = "postgresql+psycopg://bulletin@db.internal/bulletin"\n', encoding="utf-8")
    result = cli("--config", str(config), "backup", str(tmp_path / "x"))
    assert result.returncode == 2
    assert result.stderr == (
        "bulletin-bot backup: [database] url is PostgreSQL: use pg_dump / pg_restore (see the README, Running it "
        "for real)\n"
    )
