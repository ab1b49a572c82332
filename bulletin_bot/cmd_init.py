"""`bulletin-bot init [PATH]`: write a new config file with the built-in defaults and a fresh webhook secret.

The answers a config needs from the office (token, admins, departments) are one `InitAnswers`; today they are the
defaults plus a generated secret, and an interactive init only has to ask for them before `render_config`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from config import SECRET_TOKEN_FORMAT, Config
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
        telegram=replace(defaults.telegram, token=answers.token, secret_token=answers.secret_token),
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


def run(args: argparse.Namespace, load: Callable[[], Config]) -> int:
    """Write the config to PATH (never over an existing file) and say what to do next."""
    path = Path(args.path)
    text = render_config(InitAnswers())
    try:
        with open_private(path, exclusive=True) as out:
            out.write(text)
    except FileExistsError:
        print(f"bulletin-bot init: {path} already exists; not overwriting it (choose another PATH)", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"bulletin-bot init: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(
        f"Wrote {path} (readable by you only) with a fresh webhook secret.\n"
        f"Next: put the bot token from @BotFather into [telegram] token, your Telegram user id into [access] admins "
        f"and the departments into [access] departments, then start the bot:\n"
        f"    bulletin-bot --config {path} run"
    )
    return 0
