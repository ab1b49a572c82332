"""`bulletin-bot init [PATH]`: set up a new config file: the token (checked), the admin, the departments.

The answers a config needs from the office (token, admins, departments) are one `InitAnswers`. At a terminal init
asks for each; --token, --admin, --department and --no-input give them for scripts. The token is checked with
getMe; the admin is whoever sends /start to the bot while init waits (getUpdates), after a confirmation. Every
other key keeps its built-in default, and the webhook secret is generated.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bulletin_bot.botapi import BotApi, BotApiError, BotApiUnreachable
from bulletin_bot.wording import count
from config import DEFAULT_API_BASE_URL, SECRET_TOKEN_FORMAT, Config
from config.values import format_duration
from storage.files import open_private

DEFAULT_PATH = "config.toml"


def new_secret_token() -> str:
    """A webhook secret: 256 random bits in 43 characters of A-Z a-z 0-9 _ - (what Telegram allows)."""
    token = secrets.token_urlsafe(32)
    assert SECRET_TOKEN_FORMAT.fullmatch(token)
    return token


@dataclass(frozen=True)
class InitAnswers:
    """What the office decides in a new config; everything else keeps its built-in default."""

    token: str = ""
    admins: tuple[int, ...] = ()
    departments: tuple[str, ...] = ()
    secret_token: str = field(default_factory=new_secret_token)
    api_base_url: str = DEFAULT_API_BASE_URL


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    # The config holds typed values; write each in the form the loader reads back.
    if isinstance(value, dt.timedelta):
        return _toml_value(format_duration(value))
    if isinstance(value, ZoneInfo):
        return _toml_value(value.key)
    if isinstance(value, dt.time):
        return _toml_value(value.isoformat("minutes" if not value.second and not value.microsecond else "auto"))
    if isinstance(value, frozenset):
        return _toml_value(tuple(day.isoformat() for day in sorted(value)))
    raise TypeError(f"no TOML form for {value!r}")  # pragma: no cover - every config field is one of the above


def render_config(answers: InitAnswers) -> str:
    """The config file's text: every section and key at its built-in default, with ANSWERS filled in."""
    defaults = Config()
    config = replace(
        defaults,
        telegram=replace(defaults.telegram, token=answers.token, secret_token=answers.secret_token,
                         api_base_url=answers.api_base_url),
        access=replace(defaults.access, admins=answers.admins, departments=answers.departments),
    )
    lines = [
        "# bulletin-bot configuration, written by `bulletin-bot init`. config.example.toml documents every key.",
        "# It holds the bot token and the webhook secret: keep it readable by its owner only (mode 0600).",
    ]
    for section in fields(config):
        lines += ["", f"[{section.name}]"]
        values = getattr(config, section.name)
        if section.name == "publications":
            # A table per masthead, none by default (see config.example.toml).
            lines.append('# "某市工作专报" = { name = "专报", default = false }')
            continue
        lines += [f"{key.name} = {_toml_value(getattr(values, key.name))}" for key in fields(values)]
    return "\n".join(lines) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path", nargs="?", default=DEFAULT_PATH, metavar="PATH", help=f"where to write it (default {DEFAULT_PATH})"
    )
    parser.add_argument("--token", help="the bot token from @BotFather (checked with getMe); asked for at a terminal")
    parser.add_argument("--admin", type=int, action="append", default=[], metavar="USER_ID",
                        help="an admin's Telegram user id (repeatable); without it, init waits for /start")
    parser.add_argument("--department", action="append", default=[], metavar="NAME",
                        help="a department subscribers choose from (repeatable); asked for at a terminal")
    parser.add_argument("--api-base-url", default=DEFAULT_API_BASE_URL, metavar="URL",
                        help="the Bot API server (default: Telegram's)")
    parser.add_argument("--wait", type=float, default=300.0, metavar="SECONDS",
                        help="how long to wait for the admin's /start (default 300)")
    parser.add_argument("--no-input", action="store_true", help="never ask (scripts); also when stdin is no terminal")


def run(args: argparse.Namespace, load: Callable[[], Config]) -> int:
    """Ask for (or take from the options) token, admin and departments; write the config; say what to do next."""
    path = Path(args.path)
    if path.exists():
        return _fail(f"{path} already exists; not overwriting it (choose another PATH)")
    ask = _Asker(interactive=not args.no_input and sys.stdin.isatty())
    try:
        answers = gather(args, ask)
    except InitError as exc:
        return _fail(str(exc), exc.code)
    text = render_config(answers)
    try:
        with open_private(path, exclusive=True) as out:
            out.write(text)
    except FileExistsError:
        return _fail(f"{path} already exists; not overwriting it (choose another PATH)")
    except OSError as exc:
        return _fail(f"cannot write {path}: {exc.strerror or exc}")
    if not answers.token:
        print(
            f"Wrote {path} (readable by you only) with a fresh webhook secret.\n"
            f"Next: put the bot token from @BotFather into [telegram] token, your Telegram user id into [access] "
            f"admins and the departments into [access] departments, then start the bot:\n"
            f"    bulletin-bot --config {path} run"
        )
        return 0
    todo = "" if answers.admins else (
        "Add your Telegram user id to [access] admins (send /whoami to the bot once it runs to learn it).\n"
    )
    print(
        f"Wrote {path} (readable by you only): the token, {count(len(answers.admins), 'admin')}, "
        f"{count(len(answers.departments), 'department')} and a fresh webhook secret.\n{todo}"
        f"Next: check the set-up, then start the bot:\n"
        f"    bulletin-bot --config {path} doctor\n"
        f"    bulletin-bot --config {path} run"
    )
    return 0


class InitError(Exception):
    """init cannot go on: the message is the line to print, CODE the exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


class _Asker:
    """Questions at a terminal; when not INTERACTIVE every question gets its default without being asked."""

    def __init__(self, *, interactive: bool) -> None:
        self.interactive = interactive

    def text(self, question: str, default: str = "", *, secret: bool = False) -> str:
        if not self.interactive:
            return default
        import getpass

        try:
            answer = getpass.getpass(question) if secret else input(question)
        except EOFError:
            return default
        return answer.strip() or default

    def yes(self, question: str) -> bool:
        return self.text(f"{question} [Y/n] ", "y").lower() in ("y", "yes")


def _fail(message: str, code: int = 1) -> int:
    print(f"bulletin-bot init: {message}", file=sys.stderr)
    return code


def _say(line: str) -> None:
    print(line, flush=True)


def gather(args: argparse.Namespace, ask: _Asker) -> InitAnswers:
    """The answers: from the options, else asked at the terminal; the token checked, the admin found by /start."""
    base_url: str = args.api_base_url
    token = args.token or ask.text("Bot token from @BotFather (empty: fill it in later): ", secret=True)
    me: dict[str, Any] | None = None
    while token:
        try:
            me = BotApi(base_url, token).call("getMe")
            break
        except BotApiError as exc:
            if not exc.token_rejected or not ask.interactive:
                raise InitError(f"the Bot API rejected this token ({exc.description}); copy it again from "
                                "@BotFather", 2) from None
            _say(f"✗ the Bot API rejected this token ({exc.description}); try again.")
            token = ask.text("Bot token from @BotFather (empty: fill it in later): ", secret=True)
        except BotApiUnreachable as exc:
            raise InitError(f"cannot reach the Bot API at {base_url} to check the token ({exc}); "
                            "check the network (or --api-base-url) and run init again") from None
    admins = tuple(args.admin)
    if me is not None:
        _say(f"✓ the token belongs to @{me.get('username')} ({me.get('first_name', '')})")
        if not admins:
            admins = _find_admin(BotApi(base_url, token), me, args.wait, ask)
    departments = tuple(args.department) or _split_departments(
        ask.text("Departments subscribers choose from, separated by commas (empty: none yet): ")
    )
    return InitAnswers(token=token, admins=admins, departments=departments, api_base_url=base_url)


_DEPARTMENT_SEPARATORS = re.compile(r"[,，、;；\n]")


def _split_departments(text: str) -> tuple[str, ...]:
    """'办公室，综合科、宣传科' -> ('办公室', '综合科', '宣传科'): any comma, 顿号 or semicolon, blanks dropped."""
    seen: dict[str, None] = {}
    for part in _DEPARTMENT_SEPARATORS.split(text):
        if part.strip():
            seen.setdefault(part.strip(), None)
    return tuple(seen)


def _find_admin(api: BotApi, me: dict[str, Any], wait: float, ask: _Asker) -> tuple[int, ...]:
    """Wait up to WAIT seconds for someone to send /start to the bot in private; that user (confirmed) is the admin.

    The /start is consumed (getUpdates confirms it), so the bot does not answer it later. A webhook set for the
    bot makes getUpdates impossible (409); then, as when nobody writes in time, the id is typed or left for later.
    """
    _say(f"Now send /start to @{me.get('username')} from the Telegram account that will run the office's desk "
         f"(waiting up to {wait:.0f} s) …")
    deadline = time.monotonic() + wait
    offset: int | None = None
    while (left := deadline - time.monotonic()) > 0:
        try:
            poll = int(min(left, 20))
            more = {} if offset is None else {"offset": offset}
            updates = api.call("getUpdates", http_timeout=poll + 15, timeout=poll, allowed_updates=["message"], **more)
        except BotApiError as exc:
            _say(f"✗ cannot read the bot's messages ({exc.description}); is a webhook set? Give --admin USER_ID.")
            break
        except BotApiUnreachable as exc:
            _say(f"✗ cannot reach the Bot API ({exc}); give --admin USER_ID.")
            break
        for update in updates:
            offset = int(update["update_id"]) + 1
            user = _start_sender(update)
            if user is None:
                continue
            name = " ".join(filter(None, (user.get("first_name"), user.get("last_name"))))
            if ask.yes(f"/start from {name} (user id {user['id']}): make them the admin?"):
                api.call("getUpdates", offset=offset, timeout=0)  # consumed: the bot will not answer it
                _say(f"✓ admin: {name} (user id {user['id']})")
                return (int(user["id"]),)
    typed = ask.text("No /start arrived. Your Telegram user id (empty: add it to [access] admins later): ")
    if typed.isdigit():
        return (int(typed),)
    _say("! no admin yet")
    return ()


def _start_sender(update: dict[str, Any]) -> dict[str, Any] | None:
    """The sender of a private /start message in UPDATE, else None."""
    message = update.get("message") or {}
    text = str(message.get("text") or "")
    if (message.get("chat") or {}).get("type") != "private" or text.split(" ", 1)[0].split("@")[0] != "/start":
        return None
    user = message.get("from")
    return user if isinstance(user, dict) and not user.get("is_bot") else None
