"""The `bulletin-bot` command line: one subcommand per job, each implemented in its own module."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence

from bulletin_bot.logs import configure_logging, is_operational, one_line
from config import Config, ConfigError, config_file_warning, config_path, load_config, user_data_dir

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
    "watch": ("bulletin_bot.cmd_watch", "watch the office's website for new issues (add, list, remove, run, status, "
              "backfill)"),
    "web": ("bulletin_bot.cmd_web", "serve the web reader (also the Telegram Mini App) over HTTP"),
    "sandbox": ("bulletin_bot.sandbox", "offline demo: a local Bot API server, the bot and a terminal chat"),
    "doctor": ("bulletin_bot.cmd_doctor", "check the config, token, webhook, database, calendar, font, disk and bot"),
    "backup": ("bulletin_bot.cmd_backup", "copy the SQLite database consistently, even while the bot runs"),
    "restore": ("bulletin_bot.cmd_backup", "put a backup copy back after checking it (the bot must be stopped)"),
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
        if arg.startswith("--config=") or arg == "--debug":
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
    parser.add_argument(
        "--debug", action="store_true", help="log at DEBUG and show the traceback of any error (default: one line)"
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
        configure_logging(cfg, debug=args.debug)
        warning = config_file_warning(args.config)
        if warning:
            log.warning("%s", warning)
        if config_path(args.config) is None and not os.environ.get("BULLETIN_BOT_DATABASE_URL"):
            # Without a config file the database lives in the user's data directory, created here (private).
            user_data_dir().mkdir(mode=0o700, parents=True, exist_ok=True)
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
    except Exception as exc:
        if args.debug:
            raise
        print(f"bulletin-bot {args.command}: {failure_line(exc)}", file=sys.stderr)
        return 1


def failure_line(exc: BaseException) -> str:
    """What the operator reads when a command fails unexpectedly: one line, the traceback only with --debug."""
    if is_database_error(exc):
        return f"cannot use the database: {one_line(getattr(exc, 'orig', None) or exc)} (check [database] url; " \
            "`bulletin-bot doctor` checks it)"
    if is_operational(exc):
        return f"network error: {one_line(exc)}"
    return f"{one_line(exc)} (run with --debug for the traceback)"


def is_database_error(exc: BaseException) -> bool:
    """Whether EXC comes from the database driver or SQLAlchemy (checked by module: nothing is imported)."""
    return any(cls.__module__.split(".")[0] in ("sqlalchemy", "sqlite3", "psycopg") for cls in type(exc).__mro__)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
