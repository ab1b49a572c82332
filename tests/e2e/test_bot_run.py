"""`bulletin-bot run` as a process: polling and webhook against the local Bot API server, clean stop on SIGTERM."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.api import free_port
from support.run import (
    TOKEN,
    USER,
    _base_config,
    _env,
    _start,
    _stop,
    run_server,
)


@pytest.fixture
def server() -> Iterator[Any]:
    """The local Bot API server `bulletin-bot run` talks to."""
    with run_server() as s:
        yield s



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
