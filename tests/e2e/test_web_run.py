"""`bulletin-bot run` with `[web] enabled = true` in polling mode: the reader is served beside the bot, on
[web] listen_port, and stops with it."""

from __future__ import annotations

from pathlib import Path

import httpx
from support.api import free_port
from support.run import TOKEN, USER, _base_config, _start, _stop, run_server


def test_run_serves_the_reader_beside_the_polling_bot(tmp_path: Path) -> None:
    port = free_port()
    with run_server() as server:
        config = f"[web]\nenabled = true\npublic = true\nlisten_port = {port}\n" + _base_config(server, tmp_path)
        process = _start(tmp_path, config)
        try:
            assert server.wait_for(lambda: process.poll() is not None or server.polling(TOKEN), timeout=60)
            assert process.poll() is None
            home = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
            assert home.status_code == 200 and "还没有期刊。" in home.text
            server.send_text(TOKEN, USER, USER, "/help")  # the bot answers as usual
            assert server.wait_for(lambda: len(server.messages(USER)) == 1, timeout=30)
            assert server.messages(USER)[0].text.startswith("命令一览")
        finally:
            code, output = _stop(process)
        assert code == 0, output
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            stopped = False
        except httpx.HTTPError:
            stopped = True
        assert stopped, "the reader still answers after the bot stopped"
