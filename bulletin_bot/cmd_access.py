"""`bulletin-bot admins | subscribers | audit`: access control from the command line.

    admins [list]              the admins: [access] admins from the config, and those added here
    admins add USER_ID         make a Telegram user an admin (recorded in the audit log)
    admins remove USER_ID      remove an added admin (those in [access] admins are removed in the config file)
    subscribers [--all] [--csv PATH]   list subscribers, or export them as CSV (PATH "-" = standard output)
    subscribers remove CHAT_ID end a subscription (recorded in the audit log)
    audit [--limit N] [--issue ID] [--actor USER_ID]   the newest audit entries, newest first
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bulletin_bot.console import utf8_output
from bulletin_bot.wording import unknown_issue
from config import Config
from storage.access_repo import AdminRepository, AuditLog, RosterEntry, roster
from storage.archive import IssueRepository
from storage.db import open_database, transaction
from storage.files import open_private
from storage.subscribers import SubscriberRepository

Load = Callable[[], Config]

CLI_DETAIL = "command line"
CSV_COLUMNS = (
    "chat_id", "chat_type", "user_id", "display_name", "department", "language_code", "active", "subscribed_at",
    "ended_reason",
)
# Spreadsheet programs run a cell that starts with one of these as a formula; names come from Telegram users.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Failure(Exception):
    """A failure with a message for the user and an exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


@contextmanager
def _database(config: Config) -> Iterator[sessionmaker[Session]]:
    try:
        engine, factory = open_database(config.database.url)
    except SQLAlchemyError as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise _Failure(f"cannot open the database: {first_line}", 1) from None
    try:
        yield factory
    finally:
        engine.dispose()


def _guarded(load: Load, body: Callable[[Config, sessionmaker[Session]], int]) -> int:
    utf8_output()
    try:
        config = load()
        with _database(config) as factory:
            return body(config, factory)
    except _Failure as exc:
        print(f"bulletin-bot: {exc}", file=sys.stderr)
        return exc.code
    except SQLAlchemyError as exc:
        print(f"bulletin-bot: database error: {type(exc).__name__}", file=sys.stderr)
        return 1


def _local(config: Config, at: dt.datetime) -> str:
    return at.astimezone(config.push.timezone).strftime("%Y-%m-%d %H:%M")


def _user_id(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a Telegram id (a whole number)") from None
    if abs(value) >= 1 << 62:
        raise argparse.ArgumentTypeError(f"{text!r} is out of range for a Telegram id")
    return value


def _positive_user_id(text: str) -> int:
    value = _user_id(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a user id (user ids are positive)")
    return value


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 10000:
        raise argparse.ArgumentTypeError("must be from 1 to 10000")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Not used: every command here has its own add_<name>_arguments (cli.py needs the name to exist)."""


# -- admins ---------------------------------------------------------------------------------------------------


def add_admins_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    sub.add_parser("list", help="list the admins (default)")
    add = sub.add_parser("add", help="make a Telegram user an admin")
    add.add_argument("user_id", type=_positive_user_id, metavar="USER_ID", help="the Telegram user id")
    remove = sub.add_parser("remove", help="remove an admin added with 'admins add'")
    remove.add_argument("user_id", type=_positive_user_id, metavar="USER_ID", help="the Telegram user id")


def run_admins(args: argparse.Namespace, load: Load) -> int:
    """List, add or remove admins; additions and removals go to the audit log in the same transaction."""
    action = args.action or "list"

    def body(config: Config, factory: sessionmaker[Session]) -> int:
        configured = config.access.admins
        with transaction(factory) as s:
            admins = AdminRepository(s)
            if action == "list":
                return _print_admins(config, admins)
            user_id: int = args.user_id
            if action == "add":
                if user_id in configured:
                    print(f"{user_id} is already an admin ([access] admins in the config file)")
                    return 0
                if not admins.add(user_id, added_by=None):
                    print(f"{user_id} is already an admin")
                    return 0
                AuditLog(s).record(actor_id=None, action="admin_add", detail=f"{CLI_DETAIL}: user {user_id}")
                print(f"{user_id} is now an admin")
                return 0
            if admins.remove(user_id):
                AuditLog(s).record(actor_id=None, action="admin_remove", detail=f"{CLI_DETAIL}: user {user_id}")
                still = " (still an admin through [access] admins in the config file)" if user_id in configured else ""
                print(f"{user_id} is no longer an added admin{still}")
                return 0
            if user_id in configured:
                raise _Failure(f"{user_id} is an admin through [access] admins: remove it from the config file", 2)
            raise _Failure(f"{user_id} is not an admin", 2)

    return _guarded(load, body)


def _print_admins(config: Config, admins: AdminRepository) -> int:
    configured = config.access.admins
    added = admins.added()
    if not configured and not added:
        print("no admins: set [access] admins in the config file or use 'bulletin-bot admins add USER_ID'")
        return 0
    for user_id in configured:
        print(f"{user_id}\t[access] admins (config file)")
    for admin in added:
        if admin.user_id in configured:
            continue
        by = f" by {admin.added_by}" if admin.added_by is not None else ""
        print(f"{admin.user_id}\tadded {_local(config, admin.added_at)}{by}")
    return 0


# -- subscribers ----------------------------------------------------------------------------------------------


def add_subscribers_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--all", action="store_true", help="include ended subscriptions")
    parser.add_argument("--csv", metavar="PATH", help='export as CSV to PATH ("-" for standard output)')
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    sub.add_parser("list", help="list the subscribers (default)")
    remove = sub.add_parser("remove", help="end a chat's subscription")
    remove.add_argument("chat_id", type=_user_id, metavar="CHAT_ID", help="the chat id (see the list)")


def run_subscribers(args: argparse.Namespace, load: Load) -> int:
    """List or export subscribers, or remove one (recorded in the audit log)."""
    if args.action == "remove":
        return _guarded(load, lambda config, factory: _remove_subscriber(factory, args.chat_id))

    def body(config: Config, factory: sessionmaker[Session]) -> int:
        with transaction(factory) as s:
            entries = roster(s, include_inactive=args.all)
        if args.csv is not None:
            return _export_csv(config, entries, args.csv)
        _print_roster(config, entries, include_inactive=args.all)
        return 0

    return _guarded(load, body)


def _remove_subscriber(factory: sessionmaker[Session], chat_id: int) -> int:
    with transaction(factory) as s:
        subscribers = SubscriberRepository(s)
        current = subscribers.get(chat_id)
        if current is None or not current.active:
            raise _Failure(f"chat {chat_id} has no active subscription", 2)
        subscribers.deactivate(chat_id, "removed by an admin (command line)")
        AuditLog(s).record(
            actor_id=None, action="subscriber_remove", subscriber_chat_id=chat_id,
            detail=f"{CLI_DETAIL}: {current.display_name}",
        )
    print(f"removed the subscription of {current.display_name} ({chat_id})")
    return 0


def _print_roster(config: Config, entries: list[RosterEntry], *, include_inactive: bool) -> None:
    active = sum(1 for e in entries if e.active)
    if not entries:
        print("no subscribers")
        return
    for e in entries:
        state = "" if e.active else f"\tended: {e.deactivated_reason or '-'}"
        print(
            f"{e.chat_id}\t{e.chat_type}\t{e.department or '-'}\t{e.display_name}\t"
            f"since {_local(config, e.subscribed_at)}{state}"
        )
    ended = f", {len(entries) - active} ended" if include_inactive else ""
    print(f"{active} active{ended}")


def _cell(value: str | None) -> str:
    text = value or ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _write_csv(config: Config, entries: list[RosterEntry], out: TextIO) -> None:
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        writer.writerow([
            e.chat_id, e.chat_type, "" if e.user_id is None else e.user_id, _cell(e.display_name),
            _cell(e.department), e.language_code or "", "yes" if e.active else "no", _local(config, e.subscribed_at),
            _cell(e.deactivated_reason),
        ])


def _export_csv(config: Config, entries: list[RosterEntry], path: str) -> int:
    if path == "-":
        _write_csv(config, entries, sys.stdout)
        return 0
    try:
        # utf-8-sig: spreadsheet programs then read the Chinese names correctly. Mode 0600: it lists people.
        with open_private(path, encoding="utf-8-sig", newline="") as out:
            _write_csv(config, entries, out)
    except OSError as exc:
        raise _Failure(f"cannot write {path}: {exc.strerror or exc}", 1) from None
    print(f"exported {len(entries)} subscribers to {path}", file=sys.stderr)
    return 0


# -- audit ----------------------------------------------------------------------------------------------------


def add_audit_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--limit", type=_limit, default=50, metavar="N", help="how many entries (default 50)")
    parser.add_argument("--issue", metavar="ISSUE",
                        help='only entries about this issue ("15", "2023-1", "2022-07-05" or "#id")')
    parser.add_argument("--actor", type=_user_id, metavar="USER_ID", help="only entries by this Telegram user")


def run_audit(args: argparse.Namespace, load: Load) -> int:
    """Print the newest audit entries, newest first (time, actor, action, issue/chat, detail)."""

    def body(config: Config, factory: sessionmaker[Session]) -> int:
        with transaction(factory) as s:
            issues = IssueRepository(s)
            issue_id: int | None = None
            if args.issue is not None:
                stored = issues.resolve(args.issue)
                if stored is None:
                    raise _Failure(unknown_issue(args.issue), 2)
                issue_id = stored.id
            entries = AuditLog(s).recent(args.limit, actor_id=args.actor, issue_id=issue_id)
            refs = issues.refs(e.issue_id for e in entries if e.issue_id is not None)
        if not entries:
            print("the audit log is empty" if args.issue is None and args.actor is None else "no matching entries")
            return 0
        for entry in entries:
            print(entry.line(_local(config, entry.at), refs))
        return 0

    return _guarded(load, body)
