"""The push feature: the push runner as a background service on its own Bot, and the summary's resend button."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot, Update
from telegram.ext import Application

from bot.common.context import Ctx
from bot.common.feature import Extension, on_button
from bot.common.guards import admin_press
from bot.common.outbox import TelegramSender, leader_jobs, make_push_bot
from bulletin.i18n import lang_of, t
from jobs.leader import LeaderJobs, LeaderLock, LeadershipLost
from jobs.push import PublishError, PushSettings, resend_failed, utcnow
from jobs.push_messages import RESEND_KIND
from jobs.runner import PushRunner
from jobs.uow import UnitOfWork

log = logging.getLogger(__name__)


class PushService:
    """BackgroundService running the push runner on its own push Bot (and watching leadership)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        settings: PushSettings,
        leadership: LeaderLock | None = None,
        *,
        token: str,
        api_base_url: str,
    ) -> None:
        self.factory = factory
        self.settings = settings
        self.leadership = leadership
        self.token = token
        self.api_base_url = api_base_url
        self.runner: PushRunner | None = None
        self.jobs: LeaderJobs | None = None
        self._bot: Bot | None = None
        self._watch: asyncio.Task[None] | None = None

    async def start(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Start polling the pushes table."""
        # Pushes go through their own plain Bot on aiohttp (make_push_bot), as `push-worker` and the benchmark
        # do: the Application's ExtBot on httpx builds a Message per answer and sent paid broadcasts at a
        # fraction of the rate. Same token, same server; replies in chat keep the Application's bot.
        self._bot = make_push_bot(self.token, self.api_base_url)
        await self._bot.initialize()
        budget = application.bot_data.deps.send_budget
        self.runner = PushRunner(self.factory, TelegramSender(self._bot), self.settings, shared_limiter=budget)
        self.jobs = leader_jobs(application)
        await self.runner.start(jobs=self.jobs)
        if self.leadership is not None:
            self._watch = asyncio.create_task(self._watch_leadership(application))

    async def _watch_leadership(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        assert self.leadership is not None
        try:
            await self.leadership.watch()
        except LeadershipLost:
            # Another process may lead now: stop every timed job (push polling, reminders) at once.
            log.error("lost leadership; stopping the bot so that another process takes over")
            if self.jobs is not None:
                await self.jobs.stop()
            application.stop_running()

    async def stop(self) -> None:
        """Stop; an interrupted push resumes from its ledger on the next start."""
        if self._watch is not None:
            self._watch.cancel()
            await asyncio.gather(self._watch, return_exceptions=True)
        if self.runner is not None:
            await self.runner.stop()
        if self._bot is not None:
            await self._bot.shutdown()
            self._bot = None


async def resend_button(update: Update, context: Ctx, data: object) -> None:
    """The summary's "resend to failed chats" button (admins only, checked at the press, audited)."""
    issue_id = await admin_press(update, context, data, action="resend")
    query, user = update.callback_query, update.effective_user
    if issue_id is None or query is None or user is None:
        return
    lang = lang_of(user.language_code)

    def work(u: UnitOfWork) -> tuple[str, int]:
        try:
            push, count = resend_failed(u, issue_id, utcnow())
        except PublishError as exc:
            return ("push_resend_nothing" if "nothing to resend" in str(exc) else "push_resend_busy"), 0
        u.audit.record(actor_id=user.id, action="resend", issue_id=issue_id,
                       detail=f"push #{push.id} to {count} failed chats")
        return "push_resend_scheduled", count

    key, count = await context.bot_data.deps.units.run(work)
    await query.answer(t(lang, key, count=count), show_alert=key != "push_resend_scheduled")


def push_extension(
    settings: PushSettings, leadership: LeaderLock | None = None
) -> Callable[[Any, sessionmaker[Session]], Extension]:
    """An ExtensionFactory for bot/app.py: the push runner service and the resend button route."""

    def make(config: Any, factory: sessionmaker[Session]) -> Extension:
        service = PushService(
            factory, settings, leadership, token=config.telegram.token, api_base_url=config.telegram.api_base_url
        )
        return Extension(handlers=[on_button(resend_button, RESEND_KIND)], services=[service])

    return make
