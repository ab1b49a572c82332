"""The push runner: polls the pushes table, claims due pushes atomically, runs them, reports misfires.

Only the leader (jobs/leader.py) runs one, as the timed job "push-poll" on the leader's APScheduler (LeaderJobs):
every `poll_interval` seconds (3 s by default), so a push requested from another process (`bulletin-bot publish
--now`) starts within 10 s; a poll that is still running a push is never started twice (max_instances=1). Pushes
run one at a time, oldest first, so that they share the one rate budget. A push found 'running' belongs to a
leader that died (only the leader runs pushes): the runner adopts it and finishes it from its ledger.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from bulletin.i18n import ZH
from bulletin.render import issue_label
from jobs.leader import LeaderJobs
from jobs.ports import PushPort, RetryAfter, SendError
from jobs.push import PushEngine, PushReport, PushSettings, UtcClock, utcnow
from jobs.push_limits import RateLimiter
from jobs.push_messages import missed_text
from jobs.schedule import Misfire, misfire_decision
from storage.archive import IssueRepository
from storage.db import transaction
from storage.push_models import PushState
from storage.push_repo import PushInfo, PushRepository

log = logging.getLogger(__name__)

POLL_JOB = "push-poll"


def worker_name() -> str:
    """host:pid, recorded as claimed_by."""
    return f"{socket.gethostname()}:{os.getpid()}"


class PushRunner:
    """Polls for due pushes and runs them; usable as a bot background service (start/stop)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        port: PushPort,
        settings: PushSettings,
        *,
        worker: str | None = None,
        clock: UtcClock = utcnow,
        shared_limiter: RateLimiter | None = None,
    ) -> None:
        self.factory = factory
        self.port = port
        self.settings = settings
        # The bot process's budget (replies and pushes); paid broadcasts have Telegram's separate 1000/s instead.
        self.shared_limiter = shared_limiter
        self.worker = worker or worker_name()
        self.clock = clock
        self.reports: list[PushReport] = []
        self.jobs: LeaderJobs | None = None
        self._own_jobs = False
        self._stop = asyncio.Event()

    def _find_work(self) -> tuple[list[PushInfo], list[PushInfo], list[PushInfo]]:
        """(orphaned running pushes, due pushes to run, pushes too old to run) — decided at one instant."""
        now = self.clock()
        with transaction(self.factory) as session:
            pushes = PushRepository(session)
            orphans = pushes.in_state(PushState.RUNNING)
            to_run: list[PushInfo] = []
            too_old: list[PushInfo] = []
            for push in pushes.due(now):
                decision = misfire_decision(push.scheduled_at, now, self.settings.misfire_grace)
                if decision is Misfire.TOO_OLD:
                    too_old.append(push)
                elif decision in (Misfire.ON_TIME, Misfire.LATE):
                    if decision is Misfire.LATE:
                        log.warning("push #%s is %s late (bot was down); running it now",
                                    push.id, now - push.scheduled_at)
                    to_run.append(push)
        return orphans, to_run, too_old

    def _claim(self, push: PushInfo, adopt: bool) -> bool:
        now = self.clock()
        with transaction(self.factory) as session:
            pushes = PushRepository(session)
            if adopt:
                return pushes.take_over(push.id, self.worker, push.claimed_by, now)
            return pushes.claim(push.id, self.worker, now)

    def _mark_missed(self, push: PushInfo) -> tuple[bool, str, str]:
        now = self.clock()
        local = push.scheduled_at.astimezone(ZoneInfo(self.settings.timezone)).strftime("%Y-%m-%d %H:%M")
        with transaction(self.factory) as session:
            marked = PushRepository(session).mark_missed(
                push.id, now, note=f"missed: scheduled {local}, grace {self.settings.misfire_grace} exceeded"
            )
            stored = IssueRepository(session).get(push.issue_id)
        return marked, issue_label(stored.issue, ZH) if stored else f"#{push.issue_id}", local

    async def _report_missed(self, push: PushInfo) -> None:
        marked, label, local = await asyncio.to_thread(self._mark_missed, push)
        if not marked:
            return
        log.error("push #%s of issue %s scheduled %s was missed; not sent", push.id, push.issue_id, local)
        rendered = missed_text(label, local, str(push.issue_id))
        for admin in self.settings.admins:
            try:
                await self.port.send(admin, rendered)
            except RetryAfter as exc:
                await asyncio.sleep(exc.seconds)
            except SendError as exc:
                log.warning("could not tell admin %s about a missed push: %s", admin, exc.reason)

    async def tick(self) -> int:
        """One poll: adopt orphans, report too-old pushes, run due ones. Returns how many pushes ran."""
        orphans, to_run, too_old = await asyncio.to_thread(self._find_work)
        for push in too_old:
            await self._report_missed(push)
        ran = 0
        for push, adopt in [*((p, True) for p in orphans), *((p, False) for p in to_run)]:
            if self._stop.is_set():
                break
            if not await asyncio.to_thread(self._claim, push, adopt):
                continue
            log.info("%s push #%s of issue %s", "resuming" if adopt else "starting", push.id, push.issue_id)
            limiter = None if self.settings.paid_broadcast else self.shared_limiter
            engine = PushEngine(
                self.factory, self.port, self.settings, worker=self.worker, clock=self.clock, limiter=limiter
            )
            self.reports.append(await engine.run(push.id))
            ran += 1
        return ran

    # BackgroundService (bot/app.py): the application argument is not needed here.
    async def start(self, application: Any = None, *, jobs: LeaderJobs | None = None) -> None:
        """Poll as the job "push-poll" on JOBS (the leader's scheduler), or on a scheduler of its own."""
        self._stop = asyncio.Event()
        self._own_jobs = jobs is None
        self.jobs = LeaderJobs(self.settings.timezone) if jobs is None else jobs
        # interrupt: a push in progress is cancelled at stop and resumed from its ledger by the next leader.
        self.jobs.every(POLL_JOB, self.settings.poll_interval, self.tick, interrupt=True)
        self.jobs.start()

    async def stop(self) -> None:
        """Stop polling; a push in progress is interrupted and resumed from its ledger by the next leader."""
        self._stop.set()
        if self.jobs is not None:
            await self.jobs.remove(POLL_JOB)
            if self._own_jobs:
                await self.jobs.stop()
            self.jobs = None
