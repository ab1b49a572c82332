"""Receipts use cases: the 已阅 press, and the audited look-ups behind /stats and /export and /coverage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from jobs.uow import UnitOfWork
from storage.archive import IssueRepository, StoredIssue
from storage.receipts_repo import LedgerLine


@dataclass(frozen=True)
class IssueReceipts:
    stored: StoredIssue
    lines: list[LedgerLine]


def acknowledge(uow: UnitOfWork, issue_id: int, chat_id: int, user_id: int, now: dt.datetime) -> bool | None:
    """Record a 已阅 press once per person: True when new, False when already recorded, None when the issue was
    never sent to CHAT_ID (a forged or foreign press)."""
    if not uow.receipts.was_sent(issue_id, chat_id):
        return None
    return uow.receipts.acknowledge(issue_id, chat_id, user_id, now)


def issue_receipts(uow: UnitOfWork, ref: str, actor: int | None, action: str) -> IssueReceipts | None:
    """The issue REF names with its delivery ledger (the look-up audited as ACTION); None when REF names none."""
    stored = uow.issues.resolve(ref)
    if stored is None:
        return None
    lines = uow.receipts.ledger(stored.id)
    uow.audit.record(actor_id=actor, action=action, issue_id=stored.id, detail=f"{len(lines)} chats")
    return IssueReceipts(stored, lines)


def recent_receipts(uow: UnitOfWork, count: int, actor: int | None) -> list[IssueReceipts]:
    """The COUNT most recently pushed issues with their ledgers (audited as "stats")."""
    recent: list[IssueReceipts] = []
    for issue_id in uow.receipts.pushed_issue_ids(count):
        stored = uow.issues.get(issue_id)
        if stored is not None:
            recent.append(IssueReceipts(stored, uow.receipts.ledger(issue_id)))
    uow.audit.record(actor_id=actor, action="stats", detail=f"recent {len(recent)} issues")
    return recent


def coverage(
    uow: UnitOfWork, departments: tuple[str, ...], actor: int | None
) -> tuple[list[str], dict[str | None, int]]:
    """The configured departments without an active subscriber, and the active subscribers per department."""
    missing = uow.receipts.departments_without_subscribers(departments)
    uow.audit.record(actor_id=actor, action="coverage", detail=f"{len(missing)} without subscribers")
    return missing, uow.receipts.active_per_department()


@dataclass(frozen=True)
class PublicationCoverage:
    """One publication's coverage: NAME, the departments none of whose subscribers receive it, and the active
    subscribers receiving it per department."""

    name: str
    missing: list[str]
    active: dict[str | None, int]


def coverage_by_publication(
    uow: UnitOfWork, departments: tuple[str, ...], actor: int | None
) -> list[PublicationCoverage]:
    """Coverage per publication when there are several (one entry, named "", with one)."""
    publications = uow.publications.all()
    if len(publications) <= 1:
        missing, active = coverage(uow, departments, actor)
        return [PublicationCoverage("", missing, active)]
    found = [
        PublicationCoverage(
            p.short,
            uow.receipts.departments_without_subscribers(departments, p.id),
            uow.receipts.active_per_department(p.id),
        )
        for p in publications
    ]
    gaps = sum(len(c.missing) for c in found)
    uow.audit.record(actor_id=actor, action="coverage", detail=f"{gaps} gaps over {len(found)} publications")
    return found


@dataclass(frozen=True)
class OpenedArticle:
    stored: StoredIssue | None  # None: no such issue
    found: bool = False  # the issue has the article, and its opening was counted
    internal: bool = False  # handling mark 内部资料: sent protected, with the mark


def open_article(
    uow: UnitOfWork, find: Callable[[IssueRepository], StoredIssue | None], chat_id: int, position: int,
    now: dt.datetime,
) -> OpenedArticle:
    """A reader opens article POSITION of the issue FIND returns: counted for the receipts (subscribers' chats
    only), in the same unit of work as the look-up."""
    stored = find(uow.issues)
    if stored is None or not 1 <= position <= len(stored.issue.articles):
        return OpenedArticle(stored)
    internal = uow.issues.is_internal(stored.id)  # read with the issue when FIND read it through the cache
    uow.receipts.record_open(stored.id, chat_id, position, now)
    return OpenedArticle(stored, True, internal)
