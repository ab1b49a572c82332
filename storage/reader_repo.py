"""What the web reader reads besides IssueRepository and PublicationRepository: issue counts per publication,
internal marks of a page of issues, and the one-time sign-in links of /web. Never commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from storage.models import IssueRow, SubscriberRow
from storage.publishing_models import IssueMark
from storage.web_models import WebSignIn


@dataclass(frozen=True)
class PublicationIssues:
    """How many issues one publication (storage/publications.py) has, and the date of its newest."""

    publication_id: int
    issues: int
    newest_date: dt.date | None


class ReaderRepository:
    """The reader's listings; the caller owns the transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def publication_issues(self) -> list[PublicationIssues]:
        """Every publication that has issues, with their count, the one with the newest issue first.

        Read off ix_issues_publication_newest_first alone (publication, date_key, ...): the newest date comes from
        date_key, the date's ordinal, so no issue row is read (max(date) read all 10,000 and doubled the page's
        time)."""
        newest = func.max(IssueRow.date_key)
        stmt = (
            select(IssueRow.publication_id, func.count(), newest)
            .group_by(IssueRow.publication_id)
            .order_by(newest.desc(), IssueRow.publication_id)
        )
        return [
            PublicationIssues(pid, n, dt.date.fromordinal(key) if key else None)
            for pid, n, key in self._session.execute(stmt)
        ]

    def version(self, issue_id: int) -> tuple[dt.datetime, bool] | None:
        """When issue ISSUE_ID was last stored and whether it is internal (one indexed read), None when there is no
        such issue: what a cached copy of the issue is checked against."""
        stmt = (
            select(IssueRow.updated_at, IssueMark.internal)
            .outerjoin(IssueMark, IssueMark.issue_id == IssueRow.id)
            .where(IssueRow.id == issue_id)
        )
        row = self._session.execute(stmt).first()
        return None if row is None else (row[0], bool(row[1]))

    def is_active_subscriber(self, chat_id: int) -> bool:
        """Whether CHAT_ID is subscribed now (one indexed read)."""
        stmt = select(SubscriberRow.active).where(SubscriberRow.chat_id == chat_id)
        return bool(self._session.scalar(stmt))

    def internal_ids(self, issue_ids: Iterable[int]) -> set[int]:
        """Those of ISSUE_IDS that are marked internal (内部资料)."""
        ids = sorted(set(issue_ids))
        if not ids:
            return set()
        stmt = select(IssueMark.issue_id).where(IssueMark.issue_id.in_(ids), IssueMark.internal.is_(True))
        return set(self._session.scalars(stmt))


class SignInRepository:
    """One-time sign-in links (by the SHA-256 of their token); the caller owns the transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def create(self, token_hash: str, chat_id: int, *, now: dt.datetime, ttl: dt.timedelta) -> None:
        """Store a new link for CHAT_ID, valid for TTL; links that expired before NOW are deleted on the way."""
        self._session.execute(delete(WebSignIn).where(WebSignIn.expires_at < now))
        self._session.add(WebSignIn(token_hash=token_hash, chat_id=chat_id, created_at=now, expires_at=now + ttl))
        self._session.flush()

    def consume(self, token_hash: str, *, now: dt.datetime) -> int | None:
        """The chat id of an unused, unexpired link, marking it used; None otherwise.

        One conditional UPDATE: of two processes consuming the same link at once, exactly one gets the chat id.
        """
        stmt = (
            update(WebSignIn)
            .where(WebSignIn.token_hash == token_hash, WebSignIn.used_at.is_(None), WebSignIn.expires_at > now)
            .values(used_at=now)
            .returning(WebSignIn.chat_id)
        )
        return self._session.scalar(stmt)
