"""One reminder per issue to each subscriber that received it `[push] remind_after` ago and has not pressed 已阅.

A reminder row is written 'sending' and committed before the request goes out (a unique row per issue and chat),
so however often the check runs, and whichever process runs it, a chat is reminded at most once per issue. A
crash between the commit and the request loses that one reminder rather than sending two.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from bulletin.i18n import t
from bulletin.model import Issue
from bulletin.render import Button, Rendered, cb_ack, cb_contents, esc, issue_label
from jobs.leader import LeaderJobs
from jobs.ports import ChatGone, PushPort, RetryAfter, SendError, TransientError
from storage.archive import IssueRepository
from storage.db import transaction
from storage.receipts_models import ReminderState
from storage.receipts_repo import ReminderRepository, ReminderTarget
from storage.subscribers import SubscriberRepository
from storage.types import utcnow

log = logging.getLogger(__name__)

T = TypeVar("T")
_MAX_ATTEMPTS = 4
_MAX_WAIT = 60.0
REMINDER_JOB = "reminders"


@dataclass(frozen=True)
class ReminderSettings:
    """[push] remind_after (None: no reminders) and how the check runs."""

    remind_after: dt.timedelta | None
    # Deliveries older than this are never reminded (a bot back after a long outage stays quiet about old issues).
    max_age: dt.timedelta = dt.timedelta(days=7)
    poll_interval: float = 60.0
    # Spacing between two reminders: well under Telegram's 30 messages per second.
    send_interval: float = 1 / 25


@dataclass
class ReminderReport:
    """What one check did."""

    sent: int = 0
    failed: int = 0


def reminder_message(issue_id: int, issue: Issue, lang: str) -> Rendered:
    """The reminder: which issue, and the 已阅 and contents buttons."""
    return Rendered(
        t(lang, "receipts_reminder", label=esc(issue_label(issue, lang)), masthead=esc(issue.masthead)),
        ((Button(t(lang, "btn_ack"), cb_ack(issue_id)), Button(t(lang, "btn_contents"), cb_contents(issue_id))),),
    )


def _issue_loader(issue_id: int) -> Callable[[Session], Issue | None]:
    def load(s: Session) -> Issue | None:
        stored = IssueRepository(s).get(issue_id)
        return stored.issue if stored else None

    return load


def _claimer(target: ReminderTarget, now: dt.datetime) -> Callable[[Session], bool]:
    return lambda s: ReminderRepository(s).claim(target.issue_id, target.chat_id, now)


def _sent_recorder(target: ReminderTarget, now: dt.datetime, message_id: int) -> Callable[[Session], None]:
    return lambda s: ReminderRepository(s).finish(
        target.issue_id, target.chat_id, ReminderState.SENT, now, message_id=message_id
    )


class Reminders:
    """Finds the chats due a reminder and sends each its one reminder through a PushPort."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        port: PushPort,
        settings: ReminderSettings,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.factory = factory
        self.port = port
        self.settings = settings
        self.clock = clock
        self.jobs: LeaderJobs | None = None
        self._own_jobs = False

    async def _db(self, work: Callable[[Session], T]) -> T:
        def run() -> T:
            with transaction(self.factory) as session:
                return work(session)

        return await asyncio.to_thread(run)

    async def tick(self) -> ReminderReport:
        """Send every reminder that is due now."""
        report = ReminderReport()
        remind_after = self.settings.remind_after
        if remind_after is None:
            return report
        now = self.clock()
        targets = await self._db(lambda s: ReminderRepository(s).due(now, remind_after, self.settings.max_age))
        issues: dict[int, Issue | None] = {}
        for target in targets:
            if target.issue_id not in issues:
                issues[target.issue_id] = await self._db(_issue_loader(target.issue_id))
            issue = issues[target.issue_id]
            if issue is None or not await self._db(_claimer(target, self.clock())):
                continue
            if await self._send(target, reminder_message(target.issue_id, issue, target.lang)):
                report.sent += 1
            else:
                report.failed += 1
            await asyncio.sleep(self.settings.send_interval)
        if targets:
            log.info("reminders: %s sent, %s failed", report.sent, report.failed)
        return report

    async def _send(self, target: ReminderTarget, rendered: Rendered) -> bool:
        """Send one claimed reminder and record the outcome; True when it arrived."""
        reason = ""
        gone = False
        for attempt in range(1, _MAX_ATTEMPTS + 1):
            try:
                message_id = await self.port.send(target.chat_id, rendered)
            except RetryAfter as exc:
                reason = exc.reason
                if exc.seconds > _MAX_WAIT:
                    break
                await asyncio.sleep(exc.seconds)
                continue
            except TransientError as exc:
                reason = exc.reason
                # It may have arrived: sending it again could remind twice, which the one-reminder rule forbids.
                if exc.ambiguous:
                    break
                await asyncio.sleep(0.5 * 2**attempt)
                continue
            except ChatGone as exc:
                reason, gone = exc.reason, True
                break
            except SendError as exc:
                reason = exc.reason
                break
            await self._db(_sent_recorder(target, self.clock(), message_id))
            return True
        now = self.clock()

        def failed(s: Session) -> None:
            ReminderRepository(s).finish(target.issue_id, target.chat_id, ReminderState.FAILED, now, reason=reason)
            if gone:
                SubscriberRepository(s).deactivate(target.chat_id, reason)

        await self._db(failed)
        log.warning("reminder for issue %s to chat %s failed: %s", target.issue_id, target.chat_id, reason)
        return False

    # -- as a timed job of the leader (bot/features/receipts.py wraps it with the application's Bot)

    async def start(self, jobs: LeaderJobs | None = None) -> None:
        """Check every `poll_interval` seconds as the job "reminders" on JOBS (or on a scheduler of its own)."""
        if self.settings.remind_after is None or self.jobs is not None:
            return
        self._own_jobs = jobs is None
        self.jobs = LeaderJobs() if jobs is None else jobs
        # Not interrupted at stop: a claimed reminder is sent and recorded rather than lost.
        self.jobs.every(REMINDER_JOB, self.settings.poll_interval, self.tick)
        self.jobs.start()

    async def stop(self) -> None:
        """Stop after the check in progress, if any."""
        if self.jobs is not None:
            await self.jobs.remove(REMINDER_JOB)
            if self._own_jobs:
                await self.jobs.stop()
            self.jobs = None
