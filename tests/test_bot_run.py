"""`bulletin-bot run` as a process: polling and webhook against the local Bot API server, clean stop on SIGTERM."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

TOKEN = "777:run-test-token"
USER = 9001


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def server() -> Iterator[Any]:
    from localbotapi import Limits, LocalBotApi

    with LocalBotApi(limits=Limits(enabled=False)) as s:
        s.add_bot(TOKEN, username="bulletin_run_bot")
        s.add_user(USER, "王五", language_code="zh-hans")
        yield s


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("BULLETIN_BOT_")}


def _start(tmp_path: Path, config: str) -> subprocess.Popen[str]:
    path = tmp_path / "bot.toml"
    path.write_text(config, encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, "-m", "bulletin_bot.cli", "--config", str(path), "run"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path, env=_env(),
    )


def _stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    try:
        out, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
        raise
    return process.returncode, out


def _base_config(server: Any, tmp_path: Path) -> str:
    return (
        "[telegram]\n"
        f'token = "{TOKEN}"\n'
        f'api_base_url = "{server.api_base_url()}"\n'
        "poll_timeout = 1\n"
        "[database]\n"
        f'url = "sqlite:///{tmp_path / "bot.sqlite3"}"\n'
    )


def _chat_round_trip(server: Any, process: subprocess.Popen[str]) -> list[Any]:
    server.wait_for(lambda: process.poll() is not None or bool(server.commands(TOKEN).get("en")), timeout=60)
    if process.poll() is not None:
        out, _ = process.communicate()
        pytest.fail(f"the bot exited with {process.returncode}:\n{out}")
    server.send_text(TOKEN, USER, USER, "/help")
    assert server.wait_for(lambda: len(server.messages(USER)) >= 1, timeout=30)
    server.send_text(TOKEN, USER, USER, "/latest")
    assert server.wait_for(lambda: len(server.messages(USER)) >= 2, timeout=30)
    return list(server.messages(USER))


def test_run_polls_answers_registers_commands_and_stops_on_sigterm(server: Any, tmp_path: Path) -> None:
    process = _start(tmp_path, _base_config(server, tmp_path))
    try:
        help_message, latest = _chat_round_trip(server, process)
    finally:
        code, out = _stop(process)
    assert help_message.text.startswith("命令一览")
    assert latest.text == "简报库里还没有任何一期。"
    assert set(server.commands(TOKEN)) >= {"zh", "en"}
    assert code == 0, out
    assert "Traceback" not in out


def test_run_in_webhook_mode_receives_updates_through_the_webhook(server: Any, tmp_path: Path) -> None:
    port = free_port()
    config = _base_config(server, tmp_path).replace(
        "[database]",
        'mode = "webhook"\n'
        f'webhook_url = "http://127.0.0.1:{port}/hook/bulletin"\n'
        'listen_host = "127.0.0.1"\n'
        f"listen_port = {port}\n"
        'secret_token = "run_test_secret"\n'
        "[database]",
    )
    process = _start(tmp_path, config)
    try:
        help_message, _ = _chat_round_trip(server, process)
        counts = server.method_counts()
        info = server.webhook_info(TOKEN)
    finally:
        code, out = _stop(process)
        # the stopped bot leaves its webhook set (as it should); remove it so the server stops at once
        httpx.post(f"{server.api_base_url()}{TOKEN}/deleteWebhook", timeout=10)
    assert info["url"] == f"http://127.0.0.1:{port}/hook/bulletin"
    assert help_message.text.startswith("命令一览")
    assert counts[("setWebhook", 200)] >= 1
    assert counts[("getUpdates", 200)] == 0
    assert code == 0, out


def test_run_without_a_token_is_a_config_error_naming_the_key(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bulletin_bot.cli", "run"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path, env=_env(), check=False,
    )
    assert result.returncode == 2
    assert "telegram.token" in result.stderr
