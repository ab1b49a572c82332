"""`bulletin-bot run` when the world is not ready: no network, a wrong token, a dead database. One line per
problem, no traceback (unless --debug), the network retried with bounded backoff, a wrong token exits 2."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from support.api import free_port
from support.run import TOKEN, USER

from localbotapi import Limits, LocalBotApi

ROOT = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("BULLETIN_BOT_")}


def _config(
    tmp_path: Path, api_base_url: str, *, token: str = TOKEN, db: str | None = None, level: str = "INFO"
) -> Path:
    path = tmp_path / "bot.toml"
    url = db or f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    path.write_text(
        f'[telegram]\ntoken = "{token}"\napi_base_url = "{api_base_url}"\npoll_timeout = 1\n'
        f'[database]\nurl = "{url}"\n[logging]\nlevel = "{level}"\n',
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path


def _run(config: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bulletin_bot.cli", *extra, "--config", str(config), "run"],
                          capture_output=True, text=True, env=_env(), cwd=ROOT, timeout=120, check=False)


def _read_until(process: subprocess.Popen[str], needle: str, timeout: float) -> str:
    """PROCESS's output until it holds NEEDLE (or the time is up, or the process ends)."""
    assert process.stdout is not None
    fd = process.stdout.fileno()
    seen = b""
    deadline = time.monotonic() + timeout
    while needle.encode() not in seen and (left := deadline - time.monotonic()) > 0:
        if not select.select([fd], [], [], min(left, 0.5))[0]:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        seen += chunk
    return seen.decode("utf-8", "replace")


def test_without_network_run_says_so_once_keeps_retrying_and_serves_once_the_api_is_up(tmp_path: Path) -> None:
    port = free_port()
    config = _config(tmp_path, f"http://127.0.0.1:{port}/bot")
    bot = subprocess.Popen([sys.executable, "-m", "bulletin_bot.cli", "--config", str(config), "run"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=_env(), cwd=ROOT)
    try:
        before = _read_until(bot, "cannot reach the Bot API", 60)
        time.sleep(4)  # several retries (1 s, 2 s, …) happen meanwhile; the process stays up
        assert bot.poll() is None, before
        before += _read_until(bot, "never printed", 0.5)
        with LocalBotApi(port=port, limits=Limits(enabled=False)) as server:
            server.add_bot(TOKEN, username="bulletin_run_bot")
            server.add_user(USER, "王五", language_code="zh-hans")
            after = _read_until(bot, "reached the Bot API", 60)
            assert server.wait_for(lambda: bool(server.commands(TOKEN)), timeout=60)
            server.send_text(TOKEN, USER, USER, "/help")
            assert server.wait_for(lambda: len(server.messages(USER)) >= 1, timeout=30)
            bot.send_signal(signal.SIGTERM)
            rest, _ = bot.communicate(timeout=60)
    finally:
        if bot.poll() is None:
            bot.kill()
            bot.communicate()
    out = before + after + rest
    assert bot.returncode == 0, out
    problem = [line for line in out.splitlines() if "cannot reach the Bot API" in line]
    assert problem == [
        f"bulletin-bot run: cannot reach the Bot API at http://127.0.0.1:{port}/bot (ConnectError: [Errno 111] "
        "Connection refused); retrying, at most every 60 s"
    ]
    assert f"bulletin-bot run: reached the Bot API at http://127.0.0.1:{port}/bot again" in out
    assert "Traceback" not in out
    # library chatter stays out of normal output: alembic's plugin lines, httpx's request lines
    assert "alembic" not in out and "HTTP Request" not in out
    assert server.messages(USER)[0].text.startswith("命令一览")


def test_a_wrong_token_exits_2_with_one_line(tmp_path: Path) -> None:
    with LocalBotApi(limits=Limits(enabled=False)) as server:
        server.add_bot(TOKEN)
        result = _run(_config(tmp_path, server.api_base_url(), token="777:not-the-token", level="WARNING"))
    assert result.returncode == 2
    assert result.stderr == (
        "bulletin-bot: config error: telegram.token: the Bot API rejected this token (Unauthorized); get the right "
        "one from @BotFather\n"
    )
    assert not (tmp_path / "bot.sqlite3").exists()  # nothing was started


def test_a_dead_database_is_one_line_and_debug_shows_the_traceback(tmp_path: Path) -> None:
    dead = f"postgresql+psycopg://bulletin@127.0.0.1:{free_port()}/bulletin"
    with LocalBotApi(limits=Limits(enabled=False)) as server:
        server.add_bot(TOKEN)
        config = _config(tmp_path, server.api_base_url(), db=dead, level="WARNING")
        result = _run(config)
        debug = _run(config, "--debug")
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("bulletin-bot run: cannot use the database: OperationalError: connection failed: ")
    assert line.endswith("(check [database] url; `bulletin-bot doctor` checks it)")
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr and "OperationalError" in debug.stderr
    assert "DEBUG" in debug.stderr  # --debug also logs at DEBUG


def test_logging_level_sets_how_much_is_shown(tmp_path: Path) -> None:
    for level, shown in (("INFO", True), ("WARNING", False)):
        with LocalBotApi(limits=Limits(enabled=False)) as server:
            server.add_bot(TOKEN)
            config = _config(tmp_path, server.api_base_url(), level=level)
            bot = subprocess.Popen([sys.executable, "-m", "bulletin_bot.cli", "--config", str(config), "run"],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=_env(), cwd=ROOT)
            try:
                assert server.wait_for(lambda: server.polling(TOKEN), timeout=60)  # fully started
                time.sleep(2)  # the leader's first timed runs are over (a stop within them is another matter)
            finally:
                bot.send_signal(signal.SIGTERM)
                out, _ = bot.communicate(timeout=60)
        assert bot.returncode == 0, out
        assert ("INFO bulletin_bot.cmd_run: polling mode" in out) is shown, (level, out)
        assert "alembic" not in out and "Traceback" not in out


def test_a_network_drop_while_running_is_logged_once_and_the_bot_carries_on(tmp_path: Path) -> None:
    port = free_port()
    config = _config(tmp_path, f"http://127.0.0.1:{port}/bot")
    server = LocalBotApi(port=port, limits=Limits(enabled=False))
    server.start()
    server.add_bot(TOKEN)
    server.add_user(USER, "王五", language_code="zh-hans")
    bot = subprocess.Popen([sys.executable, "-m", "bulletin_bot.cli", "--config", str(config), "run"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=_env(), cwd=ROOT)
    try:
        assert server.wait_for(lambda: server.polling(TOKEN), timeout=60)  # started: long polling
        server.stop()  # the network goes away under the polling bot for about 15 s (PTB retries 1 s, 1.5 s, 2.25 s …)
        time.sleep(15)
        assert bot.poll() is None, bot.communicate()[0]
        server.start()
        server.send_text(TOKEN, USER, USER, "/help")
        assert server.wait_for(lambda: len(server.messages(USER)) >= 1, timeout=60)
    finally:
        bot.send_signal(signal.SIGTERM)
        out, _ = bot.communicate(timeout=60)
        server.stop()
    assert bot.returncode == 0, out
    assert "Traceback" not in out
    outage = [line for line in out.splitlines() if "NetworkError" in line]
    # one line per kind of failure (the cut long poll, then the refused connections), not one per retry
    assert 1 <= len(outage) <= 2, out
