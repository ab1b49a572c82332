"""The unit of work: one transaction with the repositories as attributes, run in a worker thread.

Every update a handler serves, and every step of a job, does its database work in one unit: `UnitsOfWork.run`
opens a session, gives WORK a `UnitOfWork` over it, commits when WORK returns and rolls back when it raises, all in
a worker thread so that the event loop never waits for the database. Repositories never commit themselves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import cached_property
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from storage.access_repo import AdminRepository, AuditLog, InviteRepository, RequestRepository
from storage.aliases import SeriesAliasRepository
from storage.archive import IssueRepository
from storage.db import reading, transaction
from storage.issue_cache import IssueCache
from storage.publications import PublicationRepository
from storage.publishing_repo import ApprovalRepository, CorrectionRepository, MarkRepository
from storage.push_repo import LedgerRepository, PushRepository
from storage.reader_repo import ReaderRepository, SignInRepository
from storage.receipts_repo import ReceiptRepository
from storage.subscribers import SubscriberRepository
from storage.watch_repo import WatchRepository

T = TypeVar("T")


class UnitOfWork:
    """The repositories of one transaction (made on first use); `session` for functions that take one."""

    def __init__(self, session: Session, issue_cache: IssueCache | None = None) -> None:
        self.session = session
        self.issue_cache = issue_cache

    @cached_property
    def issues(self) -> IssueRepository:
        return IssueRepository(self.session, self.issue_cache)

    @cached_property
    def subscribers(self) -> SubscriberRepository:
        return SubscriberRepository(self.session)

    @cached_property
    def receipts(self) -> ReceiptRepository:
        return ReceiptRepository(self.session)

    @cached_property
    def admins(self) -> AdminRepository:
        return AdminRepository(self.session)

    @cached_property
    def audit(self) -> AuditLog:
        return AuditLog(self.session)

    @cached_property
    def invites(self) -> InviteRepository:
        return InviteRepository(self.session)

    @cached_property
    def requests(self) -> RequestRepository:
        return RequestRepository(self.session)

    @cached_property
    def marks(self) -> MarkRepository:
        return MarkRepository(self.session)

    @cached_property
    def reader(self) -> ReaderRepository:
        return ReaderRepository(self.session)

    @cached_property
    def signins(self) -> SignInRepository:
        return SignInRepository(self.session)

    @cached_property
    def approvals(self) -> ApprovalRepository:
        return ApprovalRepository(self.session)

    @cached_property
    def corrections(self) -> CorrectionRepository:
        return CorrectionRepository(self.session)

    @cached_property
    def pushes(self) -> PushRepository:
        return PushRepository(self.session)

    @cached_property
    def ledger(self) -> LedgerRepository:
        return LedgerRepository(self.session)

    @cached_property
    def watch(self) -> WatchRepository:
        return WatchRepository(self.session)

    @cached_property
    def aliases(self) -> SeriesAliasRepository:
        return SeriesAliasRepository(self.session)

    @cached_property
    def publications(self) -> PublicationRepository:
        return PublicationRepository(self.session)


class UnitsOfWork:
    """Runs work in units of work on one session factory (and the process's issue cache, when it has one)."""

    def __init__(self, factory: sessionmaker[Session], issue_cache: IssueCache | None = None) -> None:
        self.factory = factory
        self.issue_cache = issue_cache

    def run_sync(self, work: Callable[[UnitOfWork], T]) -> T:
        """WORK in one transaction, in the calling thread: committed when it returns, rolled back when it raises."""
        with transaction(self.factory) as session:
            return work(UnitOfWork(session, self.issue_cache))

    async def run(self, work: Callable[[UnitOfWork], T]) -> T:
        """WORK in one transaction in a worker thread (see run_sync)."""
        return await asyncio.to_thread(self.run_sync, work)

    def read_sync(self, work: Callable[[UnitOfWork], T]) -> T:
        """WORK, which only reads, in the calling thread, on a session of storage.db.reading: no transaction on
        PostgreSQL (the same reads, two round trips fewer), and any write refused (WriteInReadingError)."""
        with reading(self.factory) as session:
            return work(UnitOfWork(session, self.issue_cache))

    async def read(self, work: Callable[[UnitOfWork], T]) -> T:
        """WORK, which only reads, in a worker thread (see read_sync)."""
        return await asyncio.to_thread(self.read_sync, work)
