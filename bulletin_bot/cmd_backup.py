"""`bulletin-bot backup PATH` and `restore PATH`: a consistent copy of the SQLite database, and putting one back.

The copy is made with SQLite's online backup API (sqlite3.Connection.backup) in one step: a read transaction on
the live database, which in WAL mode blocks no writer, so a running bot (even mid-push) goes on while the copy is
a snapshot of one moment. Copying the file with cp could catch a page half-written or miss the WAL's pages.
PostgreSQL has its own tools (pg_dump / pg_restore; see the README).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bulletin_bot.wording import count
from config import Config
from storage.files import create_private

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_HINT = "[database] url is PostgreSQL: use pg_dump / pg_restore (see the README, Running it for real)"


def add_backup_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH", help="where to write the copy (must not exist)")


def add_restore_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH", help="a copy made by `bulletin-bot backup`")


@dataclass(frozen=True)
class Snapshot:
    """What a database file holds, as far as the operator needs to know."""

    revision: str | None
    issues: int
    subscribers: int

    def describe(self) -> str:
        return (f"{count(self.issues, 'issue')}, {count(self.subscribers, 'active subscriber')}, "
                f"schema {self.revision or 'not migrated'}")


class BackupError(Exception):
    """The line to print; CODE the exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def _fail(command: str, message: str, code: int = 1) -> int:
    print(f"bulletin-bot {command}: {message}", file=sys.stderr)
    return code


def sqlite_path(config: Config) -> Path:
    """The SQLite database file of [database] url; BackupError for PostgreSQL or an in-memory database."""
    from sqlalchemy import make_url

    url = make_url(config.database.url)
    if url.get_backend_name() != "sqlite":
        raise BackupError(PG_HINT, 2)
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError(f"{config.database.url} is not a database file", 2)
    return Path(url.database)


def copy_database(source: Path, target: Path) -> None:
    """Copy SOURCE to TARGET (a new file, mode 0600) with the online backup API; TARGET in rollback-journal mode.

    Written to a temporary name first and renamed, so TARGET is either absent or a complete copy.
    """
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    create_private(partial)
    try:
        with _connect(source, readonly=True) as src, _connect(partial) as dst:
            src.backup(dst)  # pages=-1: one step, one read transaction: a snapshot of one moment
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _connect(path: Path, *, readonly: bool = False) -> contextlib.closing[sqlite3.Connection]:
    """A connection closed at the end of the with block (sqlite3's own context manager only commits)."""
    if readonly:
        # mode=ro: a backup must never create or change the file it reads (a wrong PATH stays a wrong PATH).
        return contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10))
    # isolation_level=None: PRAGMA journal_mode cannot run inside the transaction Python would open.
    return contextlib.closing(sqlite3.connect(path, timeout=10, isolation_level=None))


def inspect(path: Path) -> Snapshot:
    """Check PATH is a sound SQLite database (integrity_check) and say what it holds; BackupError otherwise."""
    try:
        with open(path, "rb") as handle:
            magic = handle.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror or exc}") from None
    if magic != SQLITE_MAGIC:
        raise BackupError(f"{path} is not a SQLite database")
    try:
        with _connect(path, readonly=True) as db:
            problems = [row[0] for row in db.execute("PRAGMA integrity_check(5)")]
            if problems != ["ok"]:
                raise BackupError(f"{path} is damaged (integrity_check: {'; '.join(problems)})")
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "alembic_version" not in tables:
                raise BackupError(f"{path} is not a bulletin-bot database (no migration revision)")
            row = db.execute("SELECT version_num FROM alembic_version").fetchone()
            issues = db.execute("SELECT count(*) FROM issues").fetchone()[0] if "issues" in tables else 0
            subscribers = (db.execute("SELECT count(*) FROM subscribers WHERE active").fetchone()[0]
                           if "subscribers" in tables else 0)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is damaged ({exc})") from None
    return Snapshot(row[0] if row else None, int(issues), int(subscribers))


def run_backup(args: argparse.Namespace, load: Callable[[], Config]) -> int:
    """Copy the running database to PATH consistently, check the copy, say what it holds."""
    config = load()
    target = Path(args.path)
    try:
        source = sqlite_path(config)
        if not source.exists():
            raise BackupError(f"{source} does not exist (nothing to back up)")
        if target.exists():
            raise BackupError(f"{target} already exists; not overwriting it (choose another PATH)")
        try:
            copy_database(source, target)
        except (OSError, sqlite3.Error) as exc:
            raise BackupError(f"cannot copy {source} to {target}: {exc}") from None
        snapshot = inspect(target)
    except BackupError as exc:
        return _fail("backup", str(exc), exc.code)
    size = target.stat().st_size / (1 << 20)
    print(f"backed up {source} to {target} ({size:.1f} MB): {snapshot.describe()}; integrity checked")
    return 0


def run_restore(args: argparse.Namespace, load: Callable[[], Config]) -> int:
    """Check the copy at PATH, keep the current database aside, put the copy in its place and migrate it."""
    config = load()
    backup = Path(args.path)
    try:
        target = sqlite_path(config)
        snapshot = inspect(backup)
        _check_revision(snapshot.revision)
        saved = _restore(config, backup, target)
    except BackupError as exc:
        return _fail("restore", str(exc), exc.code)
    from storage.db import open_database

    engine, _ = open_database(config.database.url)  # an older copy is migrated to this version's schema
    engine.dispose()
    kept = f"; the database it replaced is kept as {saved}" if saved else ""
    print(f"restored {backup} into {target}: {snapshot.describe()}{kept}")
    return 0


def _check_revision(revision: str | None) -> None:
    from storage.db import known_revisions

    known, _head = known_revisions()
    if revision is None or revision not in known:
        raise BackupError(f"the copy is at schema revision {revision}, which this version of bulletin-bot does "
                          "not know (made by a newer version?); nothing was changed")


def _restore(config: Config, backup: Path, target: Path) -> Path | None:
    """Put BACKUP's pages into TARGET while holding the bot's lock; the replaced database is saved first."""
    from jobs.leader import Leadership, LeadershipError
    from storage.db import create_db_engine

    engine = create_db_engine(config.database.url)
    leadership = Leadership(engine)
    try:
        # Held for the whole restore: a bot started meanwhile refuses to start instead of reading half a copy.
        asyncio.run(leadership.acquire(wait=False))
    except LeadershipError:
        engine.dispose()
        raise BackupError("a bot process is running on this database; stop it first (systemctl stop "
                          "bulletin-bot), then restore") from None
    try:
        saved: Path | None = None
        if target.exists() and target.stat().st_size > 0:
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            saved = target.with_name(f"{target.name}.before-restore-{stamp}")
            copy_database(target, saved)
        else:
            create_private(target)
        with _connect(backup, readonly=True) as src, _connect(target) as dst:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")
        return saved
    except (OSError, sqlite3.Error) as exc:
        raise BackupError(f"cannot restore into {target}: {exc}") from None
    finally:
        leadership.release()
        engine.dispose()
