"""`bulletin-bot sandbox`: the offline demo. A local Bot API server, the bot on a temporary SQLite database with
the sample bulletin imported, and a terminal chat in which you type as a user and press buttons by number.

The sandbox user is the office's admin and a subscriber, next to simulated subscribers (one of whom has blocked
the bot). Typing `push` publishes the sample issue now: the bot's real push runner, composed as `bulletin-bot run`
composes it, sends it at Telegram's rate while the admin's progress message and summary show in the chat.

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
from typing import TYPE_CHECKING, Any, TextIO

from bulletin.i18n import ZH
from bulletin.render import issue_label
from bulletin_bot.sandbox_archive import NAMES, demo_issues
from config import Config, PublicationConfig

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

SANDBOX_TOKEN = "123456:SANDBOX-offline-demo-token"
BOT_USERNAME = "bulletin_sandbox_bot"
USER_ID = 10001
DEMO_DEPARTMENTS = ("办公室", "综合科", "宣传科")
_PRESS = re.compile(r"#?\s*([0-9]{1,3})")
_FLOOD_WAIT_SECONDS = 1.5  # Telegram's retry_after for the 1 message/s per-chat limit, and a margin
_MAX_WAIT_SECONDS = 60.0
_QUIT = {"quit", "exit", "/quit", "退出"}
# Not slash commands: those go to the bot, as in Telegram.
_PUSH = {"push", "推送"}
SIMULATED_SUBSCRIBERS = 150
_FIRST_SIMULATED_ID = 20001
BLOCKED_USER_ID = _FIRST_SIMULATED_ID + SIMULATED_SUBSCRIBERS
_BLOCKED_NAME = "钱多多"
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
_GIVEN_NAMES = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
                "秀英", "霞", "平", "刚", "桂英", "建华", "晓东", "海燕", "志强", "丽娟")
_PUSH_TIMEOUT_SECONDS = 120.0
_PUSH_POLL_SECONDS = 0.2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--script", metavar="FILE", help="play the lines of FILE as the user's input; print the chat")
    parser.add_argument(
        "--lang", choices=("zh", "en"), default="zh", help="the sandbox user's Telegram language (default zh)"
    )
    parser.add_argument(
        "--guest", action="store_true",
        help="chat as an ordinary subscriber instead of the admin (admin commands are refused; no push progress)",
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
        # An admin's /export and /stats answer with a file or a chart: name it, since a terminal cannot show it.
        if message.document is not None:
            name, data = message.document
            self.line(f"（文件 {name}，{len(data)} 字节）")
        elif message.photo is not None:
            self.line(f"（图片，{len(message.photo)} 字节）")
        if message.text is not None:
            self.line(self.styled(message.text, message.entities or ()))
        elif message.caption:
            self.line(self.styled(message.caption, message.caption_entities or ()))
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
                # An admin's /recall deletes the pushed message: say so, since the terminal cannot unprint it.
                if self.seen.pop(message.message_id, None) is not None:
                    first = (message.text or message.caption or "").split("\n", 1)[0]
                    self.terminal.line(f"（机器人撤回了一条消息：{first}……）\n")
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


def _sandbox_config(config: Config, api_base_url: str, db_url: str, *, admin: bool) -> Config:
    telegram = dataclasses.replace(config.telegram, token=SANDBOX_TOKEN, api_base_url=api_base_url, mode="polling")
    # Only the sandbox user can be an admin here: a configured admin has no chat on the local server.
    access = dataclasses.replace(config.access, admins=(USER_ID,) if admin else ())
    if not access.departments:
        access = dataclasses.replace(access, departments=DEMO_DEPARTMENTS)
    database = dataclasses.replace(config.database, url=db_url)
    publications = config.publications or tuple(PublicationConfig(masthead, name) for masthead, name in NAMES)
    return dataclasses.replace(
        config, telegram=telegram, access=access, database=database, publications=publications
    )


def _quiet_logging() -> None:
    """The terminal is the chat: only errors are logged there (on stderr)."""
    logging.getLogger().setLevel(logging.ERROR)


@dataclasses.dataclass(frozen=True)
class SampleIssue:
    """The imported sample bulletin: its stored id and the title shown to the user."""

    issue_id: int
    title: str


def _import_sample(factory: sessionmaker[Session]) -> SampleIssue:
    from jobs.archive import import_file
    from storage.archive import IssueRepository
    from storage.db import transaction

    # The earlier issues of two publications first, so that the sample stays the newest 简报.
    with transaction(factory) as session:
        repo = IssueRepository(session)
        for issue in demo_issues():
            repo.add(issue)

    sample = importlib.resources.files("bulletin_bot") / "data" / "sample-bulletin.txt"
    with importlib.resources.as_file(sample) as path:
        result = import_file(factory, path)
    if not result.ok or result.stored is None:
        raise RuntimeError(f"the sample bulletin did not import: {result.message}")
    return SampleIssue(result.stored.id, f"{result.stored.issue.masthead} {issue_label(result.stored.issue, ZH)}")


def _simulated_name(n: int) -> str:
    return _SURNAMES[n % len(_SURNAMES)] + _GIVEN_NAMES[(n // len(_SURNAMES) + 3 * n) % len(_GIVEN_NAMES)]


def _add_subscribers(server: Any, factory: sessionmaker[Session], departments: tuple[str, ...], lang: str) -> str:
    """The sandbox user, SIMULATED_SUBSCRIBERS simulated users and one who blocked the bot, all subscribed.

    Returns the sandbox user's department. Subscribed here rather than through /subscribe, so that a `push`
    right at the start already has its audience; the sandbox user is first, so its copy arrives early.
    """
    from storage.db import transaction
    from storage.subscribers import SubscriberRepository

    people = [(USER_ID, "访客", lang)]
    for n in range(SIMULATED_SUBSCRIBERS):
        user_id = _FIRST_SIMULATED_ID + n
        server.add_user(user_id, _simulated_name(n), username=f"sim{user_id}")
        people.append((user_id, _simulated_name(n), "zh-hans"))
    server.add_user(BLOCKED_USER_ID, _BLOCKED_NAME, username=f"sim{BLOCKED_USER_ID}")
    # Blocked after subscribing: the subscription is still active, so the push meets the 403 and deactivates it.
    server.block(BLOCKED_USER_ID)
    people.append((BLOCKED_USER_ID, _BLOCKED_NAME, "zh-hans"))
    with transaction(factory) as session:
        subscribers = SubscriberRepository(session)
        for n, (user_id, name, code) in enumerate(people):
            subscribers.subscribe(
                user_id, chat_type="private", user_id=user_id, display_name=name, language_code=code,
                department=departments[n % len(departments)],
            )
    return departments[0]


@dataclasses.dataclass(frozen=True)
class PushResult:
    """Where a push stands, read from its row and its ledger."""

    push_id: int
    state: str
    counts: dict[str, int]
    seconds: float | None


def _publish_now(factory: sessionmaker[Session], issue_id: int) -> int | str:
    """Publish ISSUE_ID now, as `bulletin-bot publish ISSUE --now` does: the push id, or why not (for the user)."""
    from jobs.push import PublishError, publish, utcnow
    from jobs.uow import UnitOfWork
    from storage.access_repo import AuditLog
    from storage.db import transaction

    now = utcnow()
    with transaction(factory) as session:
        try:
            result = publish(UnitOfWork(session), issue_id, now, now)
        except PublishError as exc:
            return _refusal(session, issue_id, exc)
        AuditLog(session).record(actor_id=USER_ID, action="publish", issue_id=issue_id,
                                 detail=f"sandbox: push #{result.push.id} due now")
        return result.push.id


def _refusal(session: Session, issue_id: int, exc: Exception) -> str:
    """PublishError's message is for an operator, in English: say the same to the sandbox user in Chinese."""
    from storage.push_models import PushKind, PushState
    from storage.push_repo import PushRepository

    for push in reversed(PushRepository(session).for_issue(issue_id)):
        if push.kind != PushKind.PUBLISH.value:
            continue
        if push.state == PushState.DONE.value:
            return f"这一期已经推送过了（推送 #{push.id}）：同一期只推送一次，不会重复发给订阅者。"
        if push.state == PushState.RUNNING.value:
            return f"这一期正在推送（推送 #{push.id}），请等它结束。"
    return f"不能推送：{exc}"


def _push_result(factory: sessionmaker[Session], push_id: int) -> PushResult:
    from storage.db import transaction
    from storage.push_repo import LedgerRepository, PushRepository

    with transaction(factory) as session:
        push = PushRepository(session).get(push_id)
        if push is None:
            raise RuntimeError(f"push #{push_id} vanished")
        counts = LedgerRepository(session).counts(push_id)
    seconds = None
    if push.started_at is not None and push.finished_at is not None:
        seconds = (push.finished_at - push.started_at).total_seconds()
    return PushResult(push_id, push.state, counts, seconds)


def _audience(factory: sessionmaker[Session]) -> int:
    from storage.db import transaction
    from storage.subscribers import SubscriberRepository

    with transaction(factory) as session:
        return SubscriberRepository(session).count_active()


def _outcome_line(result: PushResult) -> str:
    c = result.counts
    total = sum(c.values())
    took = f"，用时 {result.seconds:.1f} 秒" if result.seconds is not None else ""
    return (f"（推送 #{result.push_id} 结束：共 {total} 个会话，已送达 {c['sent']}，失败 {c['failed']}，"
            f"跳过 {c['skipped']}{took}）")


class Pusher:
    """The `push` meta-command: publish the sample issue now and follow the push in the chat until it ends."""

    def __init__(
        self, factory: sessionmaker[Session], issue: SampleIssue, chat: Chat, bot: BotThread, rate: float
    ) -> None:
        self.factory = factory
        self.issue = issue
        self.chat = chat
        self.bot = bot
        self.rate = rate

    def push(self) -> None:
        """Publish now, show the bot's messages until the push has ended, then one line of its ledger counts."""
        terminal = self.chat.terminal
        published = _publish_now(self.factory, self.issue.issue_id)
        if isinstance(published, str):
            terminal.line(f"（{published}）\n")
            return
        audience = _audience(self.factory)
        terminal.line(f"（已发布 {self.issue.title}，推送 #{published}：发给 {audience} 个订阅者，"
                      f"每秒至多 {self.rate:g} 条……）\n")
        result = self._follow(published)
        if result is None:
            now = _push_result(self.factory, published)
            terminal.line(f"（{_PUSH_TIMEOUT_SECONDS:.0f} 秒内推送 #{published} 没有结束，不再等待；目前"
                          f"已送达 {now.counts['sent']}，失败 {now.counts['failed']}，跳过 {now.counts['skipped']}）\n")
            return
        terminal.line(_outcome_line(result) + "\n")

    def _follow(self, push_id: int) -> PushResult | None:
        """Show the bot's messages as they come until the push has ended and its runner is done with it."""
        from storage.push_models import PushState

        deadline = time.monotonic() + _PUSH_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            self.chat.show_new()
            result = _push_result(self.factory, push_id)
            # The admin's final progress edit and summary are sent after the push is marked done: wait for the
            # runner's report, which comes after them, so that they are shown before the outcome line.
            if (result.state == PushState.DONE.value and self.bot.push_reported(push_id)) or result.state in (
                PushState.CANCELLED.value, PushState.MISSED.value
            ):
                self.chat.show_new()
                return result
            if not self.bot.alive():
                raise RuntimeError("the bot stopped during the push")
            time.sleep(_PUSH_POLL_SECONDS)
        self.chat.show_new()
        return None


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

    def alive(self) -> bool:
        return self._thread.is_alive()

    def push_reported(self, push_id: int) -> bool:
        """True once the bot's push runner has finished PUSH_ID, the admin's summary included (a snapshot)."""
        from bot.features.push import PushService

        app = self._app
        if app is None:
            return False
        for service in list(app.bot_data.services):
            if isinstance(service, PushService) and service.runner is not None:
                return any(report.push_id == push_id for report in list(service.runner.reports))
        return False

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
    from bulletin_bot.cmd_push import bot_extensions, hold_leadership, push_settings
    from localbotapi import LocalBotApi
    from storage.db import open_database

    terminal = Terminal(sys.stdout)
    if args.script is not None and not Path(args.script).is_file():
        print(f"bulletin-bot sandbox: no such script file: {args.script}", file=sys.stderr)
        return 2
    language_code = "en" if args.lang == "en" else "zh-hans"
    admin = not args.guest
    with tempfile.TemporaryDirectory(prefix="bulletin-sandbox-") as tmp, LocalBotApi() as server:
        server.add_bot(SANDBOX_TOKEN, username=BOT_USERNAME, first_name="工作简报")
        server.add_user(USER_ID, "访客", language_code=language_code, username="visitor")
        db_url = f"sqlite:///{Path(tmp) / 'sandbox.sqlite3'}"
        engine, factory = open_database(db_url)
        try:
            sample = _import_sample(factory)
            cfg = _sandbox_config(config, server.api_base_url(), db_url, admin=admin)
            department = _add_subscribers(server, factory, cfg.access.departments, language_code)
            # Composed as `bulletin-bot run` composes it: leadership first (the SQLite lock on the temporary
            # database), then the bot with its default extensions and the push runner.
            leadership = hold_leadership(cfg)
            if leadership is None:
                return 1
            try:
                extensions = bot_extensions(cfg, leadership)
                bot = BotThread(lambda: build_application(cfg, session_factory=factory, extensions=extensions))
                bot.start()
                try:
                    rate = push_settings(cfg).effective_rate
                    _banner(terminal, sample, department, admin=admin, rate=rate, interactive=args.script is None)
                    chat = Chat(server, terminal, bot)
                    pusher = Pusher(factory, sample, chat, bot, rate)
                    for line in _inputs(args.script, terminal):
                        if line.lower() in _QUIT:
                            break
                        if line.lower() in _PUSH:
                            pusher.push()
                        else:
                            chat.handle(line)
                finally:
                    bot.stop()
            finally:
                leadership.release()
        finally:
            engine.dispose()
    return 0


def _banner(
    terminal: Terminal, sample: SampleIssue, department: str, *, admin: bool, rate: float, interactive: bool
) -> None:
    role = "管理员" if admin else "普通订阅者"
    progress = "，并显示管理员收到的推送进度和推送总结" if admin else ""
    lines: Iterable[str] = (
        "工作简报机器人 · 离线演示（本地 Bot API 服务器，无需网络）",
        f"示例简报：{sample.title}",
        f"订阅者：你（访客，{role}，部门：{department}）和 {SIMULATED_SUBSCRIBERS + 1} 个模拟用户，"
        f"其中{_BLOCKED_NAME}已屏蔽机器人。",
        f"简报库：{len(demo_issues()) + 1} 期，两种刊物（简报、专报），试试 /issues 翻页和按刊物筛选、/issue 2024-3、"
        "/settings 选择刊物；",
        "像用户一样输入消息，例如 /latest、/search 景区、/help；输入数字（如 2 或 #2）按下最近一条消息的第2个按钮；",
        f"输入 push（或 推送）立即发布示例简报，按 Telegram 的 {rate:g} 条/秒推送给全部订阅者{progress}。"
        + ("输入 quit 或按 Ctrl-D 退出。" if interactive else ""),
        "",
    )
    for line in lines:
        terminal.line(line)
