"""`bulletin-bot init` against the local Bot API server (token checked, the admin found by their /start) and
`bulletin-bot doctor` (one line per check, exit 1 on a failure), through the real entry point."""

from __future__ import annotations

import asyncio
import contextlib
import os
import pty
import select
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from config import load_config
from jobs.leader import Leadership
from localbotapi import Limits, LocalBotApi
from storage.db import create_db_engine

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "4711:init-token"
ADMIN = 9001


def bulletin_bot(*args: str, stdin: int | None = subprocess.DEVNULL) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BULLETIN_BOT_")}
    return subprocess.Popen([sys.executable, "-m", "bulletin_bot.cli", *args], stdin=stdin, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)


def finished(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


@pytest.fixture
def server() -> Iterator[LocalBotApi]:
    with LocalBotApi(limits=Limits(enabled=False)) as s:
        s.add_bot(TOKEN, username="office_bulletin_bot", first_name="简报")
        s.add_user(ADMIN, "王五", language_code="zh-hans")
        s.add_user(ADMIN + 1, "赵六", language_code="zh-hans")
        yield s


def test_init_checks_the_token_and_takes_the_admin_from_their_start(server: LocalBotApi, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    process = bulletin_bot("init", str(path), "--token", TOKEN, "--api-base-url", server.api_base_url(),
                           "--department", "办公室", "--department", "综合科", "--wait", "60")
    assert server.wait_for(lambda: server.method_counts()[("getUpdates", 200)] >= 1, timeout=60)
    server.send_text(TOKEN, ADMIN, ADMIN, "hello")  # not a /start: ignored
    server.send_text(TOKEN, ADMIN, ADMIN, "/start")
    code, out, err = finished(process)
    assert (code, err) == (0, ""), out
    assert out == (
        "✓ the token belongs to @office_bulletin_bot (简报)\n"
        "Now send /start to @office_bulletin_bot from the Telegram account that will run the office's desk "
        "(waiting up to 60 s) …\n"
        f"✓ admin: 王五 (user id {ADMIN})\n"
        f"Wrote {path} (readable by you only): the token, 1 admin, 2 departments and a fresh webhook secret.\n"
        "Next: check the set-up, then start the bot:\n"
        f"    bulletin-bot --config {path} doctor\n"
        f"    bulletin-bot --config {path} run\n"
    )
    assert path.stat().st_mode & 0o777 == 0o600
    config = load_config(path, env={})
    assert config.telegram.token == TOKEN and config.telegram.api_base_url == server.api_base_url()
    assert config.access.admins == (ADMIN,) and config.access.departments == ("办公室", "综合科")
    assert config.database.url == f"sqlite:///{tmp_path / 'bulletin-bot.sqlite3'}"
    assert server.pending_updates(TOKEN) == 0  # the /start was consumed: the bot will not answer it later


def test_init_refuses_a_wrong_token_and_writes_nothing(server: LocalBotApi, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    code, out, err = finished(bulletin_bot("init", str(path), "--token", "4711:wrong", "--api-base-url",
                                           server.api_base_url(), "--no-input"))
    assert (code, out) == (2, "")
    assert err == ("bulletin-bot init: the Bot API rejected this token (Unauthorized); copy it again from "
                   "@BotFather\n")
    assert not path.exists()


def test_init_without_a_start_in_time_writes_the_config_and_says_what_is_missing(
    server: LocalBotApi, tmp_path: Path
) -> None:
    path = tmp_path / "config.toml"
    code, out, _ = finished(bulletin_bot("init", str(path), "--token", TOKEN, "--api-base-url",
                                         server.api_base_url(), "--wait", "2", "--no-input"))
    assert code == 0
    assert "! no admin yet\n" in out
    assert "Add your Telegram user id to [access] admins (send /whoami to the bot once it runs to learn it).\n" in out
    assert load_config(path, env={}).access.admins == ()


def _doctor_config(tmp_path: Path, server: LocalBotApi, token: str = TOKEN) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[telegram]\ntoken = "{token}"\napi_base_url = "{server.api_base_url()}"\n'
        f'[access]\nadmins = [{ADMIN}]\ndepartments = ["办公室"]\n[logging]\nlevel = "WARNING"\n',
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path


def _doctor(config: Path) -> tuple[int, dict[str, str]]:
    code, out, err = finished(bulletin_bot("--config", str(config), "doctor"))
    assert err == "" and "Traceback" not in out
    lines = out.splitlines()
    assert all(line[:2] in ("✓ ", "! ", "✗ ") for line in lines), out
    by_check = {line[2:].split(":", 1)[0]: line for line in lines}
    assert list(by_check) == ["config", "token", "webhook", "database", "holiday calendar", "font", "disk", "bot"]
    return code, by_check


def test_doctor_on_a_sound_set_up_reports_each_check_and_whether_the_bot_runs(
    server: LocalBotApi, tmp_path: Path
) -> None:
    config = _doctor_config(tmp_path, server)
    db = tmp_path / "bulletin-bot.sqlite3"
    code, lines = _doctor(config)
    assert lines["database"] == f"! database: {db} does not exist yet; `bulletin-bot run` (or import) creates it"
    finished(bulletin_bot("--config", str(config), "issues"))  # creates and migrates the database
    code, lines = _doctor(config)
    assert code == 0, lines
    assert lines["config"] == f"✓ config: {config}, 1 admin, 1 department, polling mode"
    assert lines["token"] == "✓ token: the bot is @office_bulletin_bot (id 4711)"
    assert lines["webhook"] == "✓ webhook: none set (polling mode), 0 updates waiting"
    assert lines["database"].startswith(f"✓ database: sqlite:///{db}, migrated (")
    assert lines["disk"].startswith("✓ disk: ") and f"GB free in {tmp_path}" in lines["disk"]
    assert lines["bot"] == ("! bot: not running: nothing is pushed until `bulletin-bot run` starts "
                            "(systemctl start bulletin-bot)")
    leadership = Leadership(create_db_engine(f"sqlite:///{db}"))
    asyncio.run(leadership.acquire(wait=False))  # this process plays the running bot
    try:
        code, lines = _doctor(config)
    finally:
        leadership.release()
    assert lines["bot"] == f"✓ bot: a bot process is running and sends pushes (pid {os.getpid()})"


def test_doctor_names_each_failure_and_exits_1(server: LocalBotApi, tmp_path: Path) -> None:
    config = _doctor_config(tmp_path, server, token="4711:wrong")
    code, lines = _doctor(config)
    assert code == 1
    assert lines["token"] == ("✗ token: the Bot API rejected it (Unauthorized); get the right one from "
                              "@BotFather")

    config = _doctor_config(tmp_path, server)
    finished(bulletin_bot("--config", str(config), "issues"))
    with sqlite3.connect(tmp_path / "bulletin-bot.sqlite3") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    conn.close()
    # A webhook whose deliveries fail (nothing listens there), with an update waiting for it.
    server.send_text(TOKEN, ADMIN, ADMIN, "/help")
    httpx.post(f"{server.api_base_url()}{TOKEN}/setWebhook", json={"url": "https://127.0.0.1:8443/hook"})
    assert server.wait_for(lambda: "last_error_message" in server.webhook_info(TOKEN), timeout=30)
    code, lines = _doctor(config)
    assert code == 1
    assert lines["webhook"].startswith("✗ webhook: Telegram's last delivery to https://127.0.0.1:8443/hook failed "
                                       "at ")
    assert lines["webhook"].endswith("(1 update waiting); check the reverse proxy and that `bulletin-bot run` "
                                     "is up")
    assert lines["database"] == (
        f"✗ database: sqlite:///{tmp_path / 'bulletin-bot.sqlite3'} is at revision 9999_future, which this version "
        "does not know (made by a newer bulletin-bot?); install that version"
    )


def test_init_at_a_terminal_asks_for_token_admin_and_departments(server: LocalBotApi, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    controller, terminal = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BULLETIN_BOT_")}
    # A session of its own: no controlling terminal but the pty, so the token prompt reads from it.
    process = subprocess.Popen(
        [sys.executable, "-m", "bulletin_bot.cli", "init", str(path), "--api-base-url", server.api_base_url(),
         "--wait", "60"],
        stdin=terminal, stdout=terminal, stderr=terminal, env=env, cwd=ROOT, start_new_session=True,
    )
    os.close(terminal)
    screen = b""
    seen = 0  # what expect() has matched so far: each needle is looked for after the previous one

    def expect(needle: str, timeout: float = 60) -> None:
        nonlocal screen, seen
        deadline = time.monotonic() + timeout
        while (at := screen.find(needle.encode(), seen)) < 0:
            left = deadline - time.monotonic()
            assert left > 0 and process.poll() is None, screen.decode(errors="replace")
            if select.select([controller], [], [], min(left, 0.5))[0]:
                screen += os.read(controller, 4096)
        seen = at + len(needle.encode())

    def answer(text: str) -> None:
        os.write(controller, f"{text}\n".encode())

    try:
        expect("Bot token from @BotFather (empty: fill it in later): ")
        answer("4711:wrong")
        expect("✗ the Bot API rejected this token (Unauthorized); try again.")
        expect("Bot token from @BotFather (empty: fill it in later): ")
        answer(TOKEN)
        expect("Now send /start to @office_bulletin_bot")
        server.send_text(TOKEN, ADMIN + 1, ADMIN + 1, "/start")
        expect(f"/start from 赵六 (user id {ADMIN + 1}): make them the admin? [Y/n] ")
        answer("n")
        server.send_text(TOKEN, ADMIN, ADMIN, "/start")
        expect(f"/start from 王五 (user id {ADMIN}): make them the admin? [Y/n] ")
        answer("")
        expect("Departments subscribers choose from, separated by commas (empty: none yet): ")
        answer("办公室，综合科、宣传科")
        assert process.wait(timeout=60) == 0
        with contextlib.suppress(OSError):
            while select.select([controller], [], [], 0.5)[0] and (chunk := os.read(controller, 4096)):
                screen += chunk
    finally:
        if process.poll() is None:
            process.kill()
        os.close(controller)
    assert TOKEN.encode() not in screen  # the token is not echoed
    assert f"Wrote {path} (readable by you only): the token, 1 admin, 3 departments".encode() in screen
    config = load_config(path, env={})
    assert (config.telegram.token, config.access.admins) == (TOKEN, (ADMIN,))
    assert config.access.departments == ("办公室", "综合科", "宣传科")
