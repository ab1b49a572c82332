"""`bulletin-bot sandbox`: the offline demo. A local Bot API server, the bot on a temporary SQLite database with
the sample bulletin imported, and a terminal chat in which you type as a user and press buttons by number.

Needs no config file and no network. `--script FILE` plays FILE's lines instead of reading the terminal and
prints the transcript.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import importlib.resources
import logging
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from bulletin_bot.config import Config

log = logging.getLogger(__name__)

SANDBOX_TOKEN = "123456:SANDBOX-offline-demo-token"
BOT_USERNAME = "bulletin_sandbox_bot"
USER_ID = 10001
DEMO_DEPARTMENTS = ("办公室", "综合科", "宣传科")
_PRESS = re.compile(r"#?\s*([0-9]{1,3})")
_FLOOD_WAIT_SECONDS = 1.5  # Telegram's retry_after for the 1 message/s per-chat limit, and a margin
_MAX_WAIT_SECONDS = 60.0
_QUIT = {"quit", "exit", "/quit", "退出"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--script", metavar="FILE", help="play the lines of FILE as the user's input; print the chat")
    parser.add_argument(
        "--lang", choices=("zh", "en"), default="zh", help="the sandbox user's Telegram language (default zh)"
    )


class Terminal:
    """Writes the chat readably: plain text, bold as ANSI only on a terminal, buttons numbered."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.ansi = out.isatty()

    def styled(self, text: str, entities: Iterable[dict[str, Any]]) -> str:
        """TEXT with its bold entities (UTF-16 offsets) in ANSI bold when writing to a terminal."""
        if not self.ansi:
            return text
        units = text.encode("utf-16-le")
        marks: list[tuple[int, str]] = []
        for e in entities:
            if e.get("type") == "bold":
                marks.append((2 * e["offset"], "\x1b[1m"))
                marks.append((2 * (e["offset"] + e["length"]), "\x1b[0m"))
        out: list[str] = []
        pos = 0
        for at, code in sorted(marks, key=lambda m: m[0]):
            out.append(units[pos:at].decode("utf-16-le"))
            out.append(code)
            pos = at
        out.append(units[pos:].decode("utf-16-le"))
        return "".join(out)

    def line(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def bot_message(self, message: Any, *, edited: bool = False) -> None:
        tag = "机器人（已编辑）" if edited else "机器人"
        self.line(f"── {tag} ─────────")
        self.line(self.styled(message.text or "", message.entities or ()))
        for n, label in enumerate(button_labels(message.reply_markup), start=1):
            self.line(f"   [{n}] {label}")
        self.line()


def buttons_of(markup: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The inline buttons of a reply_markup dict, in reading order."""
    if not markup:
        return []
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def button_labels(markup: dict[str, Any] | None) -> list[str]:
    return [str(b.get("text", "")) for b in buttons_of(markup)]


class Chat:
    """The user's side of the conversation, driven through the local server's control interface."""

    def __init__(self, server: Any, terminal: Terminal, bot: BotThread) -> None:
        self.server = server
        self.bot = bot
        self.terminal = terminal
        self.seen: dict[int, str] = {}  # message_id -> last text shown
        self.answers_seen = 0

    def _settle(self) -> None:
        """Wait until the bot has taken the update and finished with it (replies sent, flood waits included)."""
        deadline = time.monotonic() + _MAX_WAIT_SECONDS
        stable = 0
        floods = self._flood_count()
        last_flood = 0.0
        while time.monotonic() < deadline and stable < 3:
            time.sleep(0.05)
            now_floods = self._flood_count()
            if now_floods != floods:
                # A reply hit the per-chat limit and is waiting out retry_after: it is not done yet.
                floods, last_flood = now_floods, time.monotonic()
            waiting = time.monotonic() - last_flood < _FLOOD_WAIT_SECONDS
            busy = waiting or not self.bot.idle() or self.server.pending_updates(SANDBOX_TOKEN) != 0
            stable = 0 if busy else stable + 1

    def _flood_count(self) -> int:
        return sum(n for (_method, status), n in self.server.method_counts().items() if status == 429)

    def show_new(self) -> None:
        for message in self.server.messages(USER_ID):
            if message.deleted:
                continue
            shown = self.seen.get(message.message_id)
            current = message.text or ""
            if shown is None:
                self.terminal.bot_message(message)
            elif shown != current + repr(message.reply_markup):
                self.terminal.bot_message(message, edited=True)
            self.seen[message.message_id] = current + repr(message.reply_markup)
        answers = self.server.callback_answers()
        for answer in answers[self.answers_seen :]:
            if answer.get("text"):
                self.terminal.line(f"（提示）{answer['text']}\n")
        self.answers_seen = len(answers)

    def last_with_buttons(self) -> Any | None:
        for message in reversed(self.server.messages(USER_ID)):
            if not message.deleted and buttons_of(message.reply_markup):
                return message
        return None

    def handle(self, line: str) -> None:
        """Send LINE as the user's message, or press button N of the last message for "N" / "#N"."""
        if m := _PRESS.fullmatch(line):
            message = self.last_with_buttons()
            buttons = buttons_of(message.reply_markup) if message is not None else []
            n = int(m[1])
            if message is None or not 1 <= n <= len(buttons):
                self.terminal.line(f"（没有第 {n} 个按钮可按）\n")
                return
            button = buttons[n - 1]
            self.terminal.line(f"（按下按钮 [{n}] {button.get('text', '')}）\n")
            self.server.press_button(SANDBOX_TOKEN, USER_ID, message.message_id, button["callback_data"], USER_ID)
        else:
            self.server.send_text(SANDBOX_TOKEN, USER_ID, USER_ID, line)
        self._settle()
        self.show_new()


def _inputs(script: str | None, terminal: Terminal) -> Iterator[str]:
    if script is not None:
        for raw in Path(script).read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if line:
                terminal.line(f"你 > {line}")
                yield line
        return
    while True:
        try:
            line = input("你 > ").strip()
        except EOFError:
            terminal.line()
            return
        if line:
            yield line


def _sandbox_config(config: Config, api_base_url: str, db_url: str) -> Config:
    telegram = dataclasses.replace(config.telegram, token=SANDBOX_TOKEN, api_base_url=api_base_url, mode="polling")
    access = config.access
    if not access.departments:
        access = dataclasses.replace(access, departments=DEMO_DEPARTMENTS)
    database = dataclasses.replace(config.database, url=db_url)
    return dataclasses.replace(config, telegram=telegram, access=access, database=database)


def _quiet_logging() -> None:
    """The terminal is the chat: only errors are logged there (on stderr)."""
    logging.getLogger().setLevel(logging.ERROR)


def _import_sample(factory: Any) -> str:
    from jobs.archive import import_file

    sample = importlib.resources.files("bulletin_bot") / "data" / "sample-bulletin.txt"
    with importlib.resources.as_file(sample) as path:
        result = import_file(factory, path)
    if not result.ok or result.stored is None:
        raise RuntimeError(f"the sample bulletin did not import: {result.message}")
    return f"{result.stored.issue.masthead} {result.stored.label}"


class BotThread:
    """The bot Application polling the local server, on its own asyncio loop in a daemon thread."""

    def __init__(self, make_app: Callable[[], Any]) -> None:
        self._make_app = make_app
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._app: Any = None
        self._thread = threading.Thread(target=self._run, name="sandbox-bot", daemon=True)

    def _run(self) -> None:
        from bot.app import running_polling

        async def main() -> None:
            app = self._app = self._make_app()
            async with running_polling(app, poll_interval=0.0, timeout=1):
                self._ready.set()
                while not self._stop.is_set():
                    await asyncio.sleep(0.05)

        try:
            asyncio.run(main())
        except BaseException as exc:  # reported to the main thread, which owns the terminal
            self._error = exc
            self._ready.set()

    def idle(self) -> bool:
        """True when no update is queued or being handled (read from another thread: a snapshot is enough)."""
        app = self._app
        if app is None:
            return False
        return bool(app.update_queue.empty() and app.update_processor.current_concurrent_updates == 0)

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(timeout=30)
        if self._error is not None:
            raise RuntimeError(f"the bot did not start: {self._error}") from self._error

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=15)


def run(args: argparse.Namespace, load: Callable[[], Config]) -> int:
    """Start the server and the bot, then chat until EOF or "quit"."""
    config = load()
    _quiet_logging()
    from bot.app import build_application
    from localbotapi import LocalBotApi
    from storage.db import open_database

    terminal = Terminal(sys.stdout)
    if args.script is not None and not Path(args.script).is_file():
        print(f"bulletin-bot sandbox: no such script file: {args.script}", file=sys.stderr)
        return 2
    language_code = "en" if args.lang == "en" else "zh-hans"
    with tempfile.TemporaryDirectory(prefix="bulletin-sandbox-") as tmp, LocalBotApi() as server:
        server.add_bot(SANDBOX_TOKEN, username=BOT_USERNAME, first_name="工作简报")
        server.add_user(USER_ID, "访客", language_code=language_code, username="visitor")
        db_url = f"sqlite:///{Path(tmp) / 'sandbox.sqlite3'}"
        engine, factory = open_database(db_url)
        try:
            imported = _import_sample(factory)
            cfg = _sandbox_config(config, server.api_base_url(), db_url)
            bot = BotThread(lambda: build_application(cfg, session_factory=factory))
            bot.start()
            try:
                _banner(terminal, imported, interactive=args.script is None)
                chat = Chat(server, terminal, bot)
                for line in _inputs(args.script, terminal):
                    if line.lower() in _QUIT:
                        break
                    chat.handle(line)
            finally:
                bot.stop()
        finally:
            engine.dispose()
    return 0


def _banner(terminal: Terminal, imported: str, *, interactive: bool) -> None:
    lines: Iterable[str] = (
        "工作简报机器人 · 离线演示（本地 Bot API 服务器，无需网络）",
        f"示例简报：{imported}",
        "像用户一样输入消息，例如 /latest、/search 景区、/help；输入数字（如 2 或 #2）按下最近一条消息的第2个按钮；"
        + ("输入 quit 或按 Ctrl-D 退出。" if interactive else ""),
        "",
    )
    for line in lines:
        terminal.line(line)
