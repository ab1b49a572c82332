"""The `bulletin-bot` command line: one subcommand per job, each implemented in its own module."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence

from bulletin_bot.logs import configure_logging
from config import Config, ConfigError, config_file_warning, load_config

log = logging.getLogger("bulletin_bot")

# name -> (module, help). Each module defines `add_arguments(parser)` and `run(args, load) -> int`,
# where `load()` returns the Config; commands that need no config (parse) never call it.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("bulletin_bot.cmd_init", "write a new config file with the defaults and a fresh webhook secret"),
    "parse": ("bulletin_bot.cmd_parse", "parse a bulletin document and print it (no database)"),
    "import": ("bulletin_bot.cmd_archive", "import bulletin documents into the database"),
    "issues": ("bulletin_bot.cmd_archive", "list stored issues, newest first"),
    "show": ("bulletin_bot.cmd_archive", "print a stored issue or one of its articles"),
    "search": ("bulletin_bot.cmd_archive", "search stored articles"),
    "aliases": ("bulletin_bot.cmd_archive", "list or remove the remembered masthead / publisher corrections"),
    "run": ("bulletin_bot.cmd_run", "run the bot (polling or webhook)"),
    "publish": ("bulletin_bot.cmd_push", "schedule an issue's push (--at, --now, or the next working-day slot)"),
    "schedule": ("bulletin_bot.cmd_push", "list pending pushes"),
    "unpublish": ("bulletin_bot.cmd_push", "cancel an issue's push that has not started"),
    "status": ("bulletin_bot.cmd_push", "show a push's progress"),
    "resend": ("bulletin_bot.cmd_push", "resend an issue to the chats whose delivery failed"),
    "push-worker": ("bulletin_bot.cmd_push", "run only the push sender (no polling), under the leadership lock"),
    "admins": ("bulletin_bot.cmd_access", "list, add or remove admins (besides [access] admins)"),
    "subscribers": ("bulletin_bot.cmd_access", "list subscribers, export them as CSV, or remove one"),
    "audit": ("bulletin_bot.cmd_access", "show the audit log of admin actions"),
    "web": ("bulletin_bot.cmd_web", "serve the web reader (also the Telegram Mini App) over HTTP"),
    "sandbox": ("bulletin_bot.sandbox", "offline demo: a local Bot API server, the bot and a terminal chat"),
}


def _chosen_command(argv: Sequence[str]) -> str | None:
    """The subcommand named on the command line, found without importing any command module."""
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--config":
            i += 2
            continue
        if arg.startswith("--config="):
            i += 1
            continue
        return arg if arg in COMMANDS else None
    return None


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    """A command without options of its own."""


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser; only the chosen command's module is imported, so `parse` never loads the database stack."""
    parser = argparse.ArgumentParser(prog="bulletin-bot", description="Distribute a work bulletin over Telegram.")
    parser.add_argument(
        "--config", metavar="PATH", help="TOML config file (default: $BULLETIN_BOT_CONFIG, else built-in defaults)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chosen = _chosen_command(sys.argv[1:] if argv is None else argv)
    for name, (module_name, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if chosen is not None and name != chosen:
            continue
        module = importlib.import_module(module_name)
        add_arguments: Callable[[argparse.ArgumentParser], None] = getattr(
            module, f"add_{name}_arguments", getattr(module, "add_arguments", _no_arguments)
        )
        add_arguments(p)
        p.set_defaults(_handler=getattr(module, f"run_{name}", getattr(module, "run", None)))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(argv)
    args = parser.parse_args(argv)

    def load() -> Config:
        cfg = load_config(args.config)
        configure_logging(cfg)
        warning = config_file_warning(args.config)
        if warning:
            log.warning("%s", warning)
        return cfg

    handler: Callable[[argparse.Namespace, Callable[[], Config]], int] = args._handler
    try:
        return handler(args, load)
    except ConfigError as exc:
        print(f"bulletin-bot: config error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader stopped early (`… | head`): end quietly; point stdout at devnull so the flush at exit is silent.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
