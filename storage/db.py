"""Engine, migrations and transactions: the only place that knows how to open the database."""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from sqlalchemy import URL, Connection, Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

from storage.files import create_private

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Every module that defines ORM models; Alembic's target metadata must see all of them.
MODEL_MODULES = (
    "storage.models",
    "storage.push_models",
    "storage.access_models",
    "storage.publishing_models",
    "storage.receipts_models",
    "storage.publications",
    "storage.watch_models",
    "storage.web_models",
)


def load_models() -> None:
    """Import every model module that exists, so that Base.metadata is complete."""
    for name in MODEL_MODULES:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)


# Units of work run on asyncio's default executor (jobs/uow.py), which has min(32, CPUs + 4) threads; the pool keeps
# a connection for each, plus the leader's lock (jobs/leader.py) and a few more. With SQLAlchemy's default of 5,
# every connection past the fifth was closed when checked in and opened again by the next unit: a new PostgreSQL
# backend (or SQLite connection and its pragmas) many times a second under load.
POOL_SIZE = min(32, (os.cpu_count() or 1) + 4) + 4
# A PostgreSQL connection idle for longer than this is pinged before use (one round trip), so that one the server
# dropped meanwhile (a restart, a failover, an idle timeout) is replaced instead of failing the unit using it. One
# used this recently is not: pinging it, on every unit, was a round trip per update on a busy bot. Should the
# server go away within this window, the next unit on such a connection fails like one already in flight when it
# went (the handler answers with the error message, a job step tries again), and SQLAlchemy then replaces every
# pooled connection.
PING_IDLE_AFTER = 2.0
# The execution option that marks a connection as reading only (see `reading`): any other statement is refused.
READS_ONLY = "bulletin_reads_only"
# What a statement that only reads starts with (the dialects' compilers emit no leading whitespace or comment).
_READ_VERBS = ("SELECT", "WITH", "VALUES", "EXPLAIN", "SHOW")


class WriteInReadingError(RuntimeError):
    """A statement other than a read on a connection that `reading` opened."""


def _refuse_writes_when_reading(engine: Engine) -> None:
    """Refuse, before it is sent, any statement but a read on a connection marked READS_ONLY.

    A guard against a mistake in our own code, not a sandbox: on PostgreSQL such a connection commits each statement
    as it runs, so a write there would reach the database even when the unit failed after it.
    """

    @event.listens_for(engine, "before_cursor_execute")
    def _check(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        if conn.get_execution_options().get(READS_ONLY) and not statement.lstrip()[:7].upper().startswith(
            _READ_VERBS
        ):
            raise WriteInReadingError(f"a unit of reads may not run: {statement[:60]!r}")


def _ping_idle_connections(engine: Engine, after: float) -> None:
    """Ping a pooled connection at checkout when it has been idle for over AFTER seconds."""

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _used(_dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()  # a connection just made needs no ping either

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        checked_in_at = record.info.get("checked_in_at")
        if checked_in_at is not None and time.monotonic() - checked_in_at <= after:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool discards this connection and checks out another (a new one), as pool_pre_ping does.
            raise exc.DisconnectionError() from error
        if not alive:
            raise exc.DisconnectionError()


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL cannot corrupt the database; it only skips an fsync per commit.
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _create_sqlite_file(url: URL) -> None:
    """Create a SQLite database file that does not exist yet with mode 0600 (SQLite itself would use 0644).

    It holds every subscriber's chat id, name and department. SQLite gives its -wal and -shm files the database
    file's own mode, so they are private too.
    """
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        if create_private(database):
            log.debug("created the SQLite database file %s (mode 0600)", database)
    except OSError:
        pass  # a missing directory or no permission: SQLite reports it, naming the file, when it connects


def create_db_engine(url: str, *, ping_idle_after: float = PING_IDLE_AFTER) -> Engine:
    """An engine for URL: SQLite gets WAL, foreign keys and a busy timeout; PostgreSQL pings idle connections."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 10}, pool_size=POOL_SIZE)
        # At the first connection, not here: creating an engine touches nothing.
        event.listen(engine, "do_connect", lambda *_args: _create_sqlite_file(engine.url))
        event.listen(engine, "connect", _sqlite_on_connect)
        _refuse_writes_when_reading(engine)
        return engine
    # LIFO: the connection checked in last is used next, so a quiet bot works on one or two connections whose
    # prepared statements (psycopg prepares a statement on a connection after 5 runs) are warm, and the others
    # rest. FIFO spread even one user's commands over every pooled connection, each preparing its own.
    engine = create_engine(url, pool_size=POOL_SIZE, pool_use_lifo=True)
    _ping_idle_connections(engine, ping_idle_after)
    _refuse_writes_when_reading(engine)
    return engine


def alembic_config(engine: Engine | None = None) -> AlembicConfig:
    """An Alembic config built in code (no alembic.ini), pointing at the packaged migrations."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database to REVISION, the newest by default (idempotent)."""
    cfg = alembic_config()
    alembic_log = logging.getLogger("alembic")
    level = alembic_log.level
    # Alembic chats at INFO on every start; we log one line only when something was upgraded.
    alembic_log.setLevel(max(level, logging.WARNING))
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # A migration SQLite cannot do in place rebuilds the table, and dropping the old one with foreign
                # keys on would cascade to every row referencing it. The switch is ignored inside a transaction.
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                connection.commit()
            try:
                with connection.begin():
                    before = MigrationContext.configure(connection).get_current_revision()
                    cfg.attributes["connection"] = connection
                    command.upgrade(cfg, revision)
                    after = MigrationContext.configure(connection).get_current_revision()
                    if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                        raise RuntimeError("a migration left rows referencing missing rows; nothing was migrated")
            finally:
                if sqlite:
                    connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                    connection.commit()
    finally:
        alembic_log.setLevel(level)
    if before != after:
        log.info("database migrated from %s to %s", before or "empty", after)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """The session factory every repository user opens transactions from."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session in one transaction: committed when the block succeeds, rolled back when it raises."""
    with factory() as session, session.begin():
        yield session


@contextmanager
def reading(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that only reads, without a transaction where one costs round trips and gives nothing more.

    On PostgreSQL the connection is in autocommit: no BEGIN before the first statement and no COMMIT after the last,
    two of the five or so round trips of a lookup. What the reads see is the same: at READ COMMITTED, PostgreSQL's
    level and ours, every statement of a transaction sees what was committed when that statement began, exactly
    as a statement on its own does. SQLite's driver opens no transaction for a SELECT anyway. On both stores any
    statement that is not a read is refused before it is sent (WriteInReadingError), so a unit that writes must
    use `transaction`. Not for a search on PostgreSQL: its planner settings last for a transaction
    (storage/search.py).
    """
    with factory() as session:
        options: dict[str, Any] = {READS_ONLY: True}
        if session.get_bind().dialect.name == "postgresql":
            options["isolation_level"] = "AUTOCOMMIT"
        session.connection(execution_options=options)
        yield session


def open_database(url: str) -> tuple[Engine, sessionmaker[Session]]:
    """Create the engine for URL, migrate it to the newest revision and return it with a session factory."""
    engine = create_db_engine(url)
    migrate(engine)
    return engine, make_session_factory(engine)


@dataclass(frozen=True)
class SchemaState:
    """Where a database stands against this version's migrations."""

    current: str | None  # None: not migrated at all (a new, empty database)
    head: str
    known: bool  # False: a revision this version's migrations do not contain (made by a newer version)

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def known_revisions() -> tuple[set[str], str]:
    """Every revision among the packaged migrations, and the newest (the head)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    assert head is not None
    return {rev.revision for rev in script.walk_revisions()}, head


def schema_state(connection: Connection) -> SchemaState:
    """The revision CONNECTION's database is at, compared with the packaged migrations (reads only)."""
    revisions, head = known_revisions()
    current = MigrationContext.configure(connection).get_current_revision()
    return SchemaState(current, head, current is None or current in revisions)
