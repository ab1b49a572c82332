"""`bulletin-bot run` as a process against the local Bot API server: start, stop, a base config."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from support.api import bot_api

TOKEN = "777:run-test-token"


USER = 9001


@contextlib.contextmanager
def run_server() -> Iterator[Any]:
    """The local Bot API server with the bot and one Chinese-speaking user."""
    with bot_api(TOKEN, username="bulletin_run_bot", users=[(USER, "王五", "zh-hans")], local_mode=True) as s:
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
