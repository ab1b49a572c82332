"""The production webhook path, `bulletin-bot run` as a process in webhook mode against the local Bot API server:
who gets in (only requests with the secret), how much a request may make the bot hold, and what its logs reveal."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.api import free_port
from support.run import TOKEN, USER, _base_config, _env, _start, _stop, run_server

from bot.webhook import MAX_UPDATE_BYTES


@pytest.fixture
def server() -> Iterator[Any]:
    """The local Bot API server `bulletin-bot run` talks to."""
    with run_server() as s:
        yield s


SECRET = "the_right_secret-42"
HELP_UPDATE = {
    "update_id": 424242,
    "message": {"message_id": 7, "date": 1_700_000_000, "chat": {"id": USER, "type": "private"},
                "from": {"id": USER, "is_bot": False, "first_name": "王五", "language_code": "zh-hans"},
                "text": "/help", "entities": [{"type": "bot_command", "offset": 0, "length": 5}]},
}


def webhook_config(server: Any, tmp_path: Path, port: int, *, secret: str = SECRET, level: str = "INFO",
                   reader: bool = False) -> str:
    """`run` in webhook mode; READER: with the web reader on, the webhook served by the reader's server."""
    secret_line = f'secret_token = "{secret}"\n' if secret else ""
    web = "[web]\nenabled = true\n" if reader else ""
    return web + _base_config(server, tmp_path).replace(
        "[database]",
        'mode = "webhook"\n'
        f'webhook_url = "http://127.0.0.1:{port}/hook/bulletin"\n'
        f"listen_port = {port}\n"
        f"{secret_line}"
        "[database]",
    ) + f'[logging]\nlevel = "{level}"\n'


class RunningBot:
    """The `bulletin-bot run` process behind its webhook at http://127.0.0.1:PORT/hook/bulletin."""

    def __init__(self, process: subprocess.Popen[str], port: int, listener: str = "tornado") -> None:
        self.listener = listener
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}/hook/bulletin"
        self._stopped: tuple[int, str] | None = None

    def stop(self) -> tuple[int, str]:
        """SIGTERM (once): the exit code and everything the process printed."""
        if self._stopped is None:
            self._stopped = _stop(self.process)
        return self._stopped

    def memory_mb(self) -> tuple[float, float]:
        """The process's resident memory now and at its peak (VmRSS, VmHWM), in MB."""
        status = dict(
            line.split(":", 1) for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines()
        )
        return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024


@pytest.fixture(params=["tornado", "reader"])
def start_bot(request: pytest.FixtureRequest, server: Any, tmp_path: Path) -> Iterator[Any]:
    """Starts `run` in webhook mode: with the bot's own listener (bot/webhook.py), or with `[web] enabled` and the
    webhook a route of the reader's server (web/webhook.py) on the same port. Every property holds for both."""
    started: list[RunningBot] = []
    listener = request.param

    def start(**options: Any) -> RunningBot:
        port = free_port()
        process = _start(tmp_path, webhook_config(server, tmp_path, port, reader=listener == "reader", **options))
        bot = RunningBot(process, port, listener)
        started.append(bot)
        # ready: the webhook is set and the command menu registered
        server.wait_for(lambda: process.poll() is not None or (
            bool(server.webhook_info(TOKEN)["url"]) and bool(server.commands(TOKEN).get("en"))
        ), timeout=60)
        if process.poll() is not None:
            out, _ = process.communicate()
            pytest.fail(f"the bot exited with {process.returncode}:\n{out}")
        return bot

    yield start
    for bot in started:
        code, output = bot.stop()
        assert code == 0, output
    # the stopped bot leaves its webhook set (as it should); remove it so the server stops at once
    httpx.post(f"{server.api_base_url()}{TOKEN}/deleteWebhook", timeout=10)


def raw_post(port: int, headers: dict[str, str], body_bytes: int) -> tuple[str, float]:
    """POST BODY_BYTES of JSON-ish bytes announced in Content-Length; the bot's status line and the seconds taken.

    The body is sent in 1 MiB pieces for as long as the bot reads it; a bot that answers from the headers and
    closes the connection ends the sending early, as it should.
    """
    started = time.monotonic()
    chunk = b" " * (1 << 20)
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        sock.sendall(f"POST /hook/bulletin HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}"
                     f"Content-Length: {body_bytes}\r\n\r\n".encode())
        try:
            sent = 0
            while sent < body_bytes:
                piece = chunk[: body_bytes - sent]
                sock.sendall(piece)
                sent += len(piece)
        except OSError:
            pass
        try:
            status = sock.recv(100).split(b"\r\n", 1)[0].decode()
        except OSError as exc:
            status = f"no answer: {exc}"
    return status, time.monotonic() - started


def chunked_post(port: int, headers: dict[str, str], body_bytes: int) -> str:
    """POST BODY_BYTES in 64 KiB chunks (Transfer-Encoding: chunked); the bot's status line."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        sock.sendall(f"POST /hook/bulletin HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}"
                     "Transfer-Encoding: chunked\r\n\r\n".encode())
        piece = b"%x\r\n" % (64 << 10) + b" " * (64 << 10) + b"\r\n"
        try:
            for _ in range(body_bytes // (64 << 10)):
                sock.sendall(piece)
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass
        try:
            return sock.recv(100).split(b"\r\n", 1)[0].decode()
        except OSError as exc:
            return f"no answer: {exc}"


def test_webhook_mode_without_a_secret_refuses_to_start_and_says_how_to_make_one(
    server: Any, tmp_path: Path
) -> None:
    port = free_port()
    (tmp_path / "bot.toml").write_text(webhook_config(server, tmp_path, port, secret=""), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "bulletin_bot.cli", "--config", str(tmp_path / "bot.toml"), "run"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path, env=_env(), check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("bulletin-bot: config error: telegram.secret_token: required in webhook mode")
    assert "`bulletin-bot init` writes a config with one" in result.stderr
    assert server.webhook_info(TOKEN)["url"] == ""


def test_run_with_webhook_override_but_no_secret_refuses_to_start(server: Any, tmp_path: Path) -> None:
    port = free_port()
    config = _base_config(server, tmp_path).replace(
        "[database]", f'webhook_url = "http://127.0.0.1:{port}/hook/bulletin"\n[database]'
    )
    (tmp_path / "bot.toml").write_text(config, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "bulletin_bot.cli", "--config", str(tmp_path / "bot.toml"), "run", "--mode", "webhook"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path, env=_env(), check=False,
    )
    assert result.returncode == 2
    assert "telegram.secret_token: required in webhook mode" in result.stderr


def test_run_refuses_updates_without_the_right_secret_and_answers_those_with_it(
    server: Any, start_bot: Any
) -> None:
    bot = start_bot()
    body = json.dumps(HELP_UPDATE)
    json_type = {"Content-Type": "application/json"}
    missing = httpx.post(bot.url, content=body, headers=json_type, timeout=10)
    wrong = httpx.post(bot.url, content=body, headers={**json_type, "X-Telegram-Bot-Api-Secret-Token": "guess"},
                       timeout=10)
    near = httpx.post(bot.url, content=body, headers={**json_type, "X-Telegram-Bot-Api-Secret-Token": SECRET[:-1]},
                      timeout=10)
    assert (missing.status_code, wrong.status_code, near.status_code) == (403, 403, 403)
    assert missing.content == wrong.content == b""
    # nothing reached the bot: the user got no reply (the right update below is answered within this time)
    time.sleep(2.0)
    assert server.messages(USER) == []

    right = httpx.post(bot.url, content=body, headers={**json_type, "X-Telegram-Bot-Api-Secret-Token": SECRET},
                       timeout=10)
    assert right.status_code == 200
    assert server.wait_for(lambda: len(server.messages(USER)) == 1, timeout=30)
    assert server.messages(USER)[0].text.startswith("命令一览")


def test_other_paths_and_malformed_updates_get_a_clear_status(server: Any, start_bot: Any) -> None:
    bot = start_bot()
    secret = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    other = httpx.post(f"http://127.0.0.1:{bot.port}/elsewhere", content=b"{}", headers=secret, timeout=10)
    not_json = httpx.post(bot.url, content=b"{not json", headers={**secret, "Content-Type": "application/json"},
                          timeout=10)
    wrong_type = httpx.post(bot.url, content=b"{}", headers={**secret, "Content-Type": "text/plain"}, timeout=10)
    get = httpx.get(bot.url, headers=secret, timeout=10)
    assert (other.status_code, not_json.status_code, wrong_type.status_code, get.status_code) == (404, 400, 415, 405)
    assert b"Traceback" not in not_json.content
    if bot.listener == "reader":  # one port: the reader's pages beside the webhook (a private reader: sign in)
        page = httpx.get(f"http://127.0.0.1:{bot.port}/", timeout=10)
        assert page.status_code == 401 and 'data-notice="gate"' in page.text


def test_huge_posts_without_the_secret_are_refused_from_their_headers_without_the_bot_growing(
    server: Any, start_bot: Any
) -> None:
    bot = start_bot()
    _rss, peak_before = bot.memory_mb()
    results: list[tuple[str, float]] = []
    threads = [
        threading.Thread(target=lambda: results.append(
            raw_post(bot.port, {"Content-Type": "application/json"}, 95 << 20)
        ))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    _rss, peak_after = bot.memory_mb()
    assert [status for status, _ in results] == ["HTTP/1.1 403 Forbidden"] * 8
    assert max(seconds for _, seconds in results) < 5.0
    # 8 x 95 MB were offered; the bot's peak memory barely moved (PTB's own server read them all: +1.2 GB)
    assert peak_after - peak_before < 30, (peak_before, peak_after)


def test_a_chunked_post_without_the_secret_is_refused_from_its_headers(server: Any, start_bot: Any) -> None:
    """Without a Content-Length there is no size to check first: the secret alone refuses it, before the body."""
    bot = start_bot()
    _rss, peak_before = bot.memory_mb()
    for headers in ({"Content-Type": "application/json"},
                    {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET[:-1] + "x"}):
        assert chunked_post(bot.port, headers, 64 << 20) == "HTTP/1.1 403 Forbidden"
    _rss, peak_after = bot.memory_mb()
    assert peak_after - peak_before < 30, (peak_before, peak_after)
    assert server.messages(USER) == []


def test_an_oversize_body_with_the_right_secret_is_refused_413(server: Any, start_bot: Any) -> None:
    bot = start_bot()
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
    status, seconds = raw_post(bot.port, headers, MAX_UPDATE_BYTES + 1)
    assert status == "HTTP/1.1 413 Request Entity Too Large"
    assert seconds < 5.0
    # without a Content-Length (chunked), the cap holds as the body arrives: refused, connection closed (tornado's
    # max_body_size answers 400; the reader's route says 413, what the request is)
    expected = "HTTP/1.1 400 Bad Request" if bot.listener == "tornado" else "HTTP/1.1 413 Request Entity Too Large"
    assert chunked_post(bot.port, headers, MAX_UPDATE_BYTES + (64 << 10)) == expected
    # an update within the cap still gets through
    right = httpx.post(bot.url, content=json.dumps(HELP_UPDATE), headers=headers, timeout=10)
    assert right.status_code == 200
    assert server.wait_for(lambda: len(server.messages(USER)) == 1, timeout=30)


def test_debug_logs_never_show_the_token_or_the_secret(server: Any, start_bot: Any) -> None:
    bot = start_bot(level="DEBUG")
    server.send_text(TOKEN, USER, USER, "/help")
    assert server.wait_for(lambda: len(server.messages(USER)) == 1, timeout=30)
    code, output = bot.stop()
    assert code == 0, output
    # DEBUG really logged the requests (the token is masked in their URLs) and setWebhook's parameters
    assert f"{server.api_base_url()}777:***/getMe" in output
    assert "'secret_token': '***'" in output
    assert TOKEN not in output
    assert "run-test-token" not in output
    assert SECRET not in output



def test_stop_running_ends_the_webhook_bot_cleanly(server: Any, tmp_path: Path) -> None:
    """The push runner calls Application.stop_running() when leadership is lost; `run` must then shut down."""
    import asyncio

    from bot.app import build_application
    from bot.common.feature import Extension
    from bulletin_bot.cmd_run import _serve_webhook
    from config import load_config

    class StopSoon:
        stopped = False

        async def start(self, application: Any) -> None:
            asyncio.get_running_loop().call_later(1.0, application.stop_running)

        async def stop(self) -> None:
            self.stopped = True

    port = free_port()
    path = tmp_path / "bot.toml"
    path.write_text(webhook_config(server, tmp_path, port), encoding="utf-8")
    config = load_config(path, env={})
    service = StopSoon()
    application = build_application(config, extensions=[lambda _config, _factory: Extension(services=[service])])
    started = time.monotonic()
    try:
        _serve_webhook(application, config)
        assert server.webhook_info(TOKEN)["url"] == f"http://127.0.0.1:{port}/hook/bulletin"
    finally:
        httpx.post(f"{server.api_base_url()}{TOKEN}/deleteWebhook", timeout=10)
    assert time.monotonic() - started < 30
    assert service.stopped
    assert not application.running
    with pytest.raises(httpx.ConnectError):  # the listener is closed
        httpx.post(f"http://127.0.0.1:{port}/hook/bulletin", content=b"{}", timeout=5)
