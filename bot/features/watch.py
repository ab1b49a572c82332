"""The website watch in the bot: the leader polls the watched sources on its APScheduler (the job "watch") and
tells the admins what it found — the desk's own upload preview (through bot/common/drafts.py's DraftBoard), a
notice with a cancel button in publish mode, unreadable documents, and failing and recovered sources.

Callback kind (routed, see bot/callbacks.py):
    1:w:<issue_id>     cancel the push of an issue the watch published (until the push starts); admins only
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackContext

from bot.callbacks import cb_routed
from bot.common.chat import edit, send, user_lang
from bot.common.context import Ctx
from bot.common.drafts import DraftBoard, DraftOffer
from bot.common.feature import Extension, on_button
from bot.common.guards import admin_press
from bot.common.outbox import leader_jobs
from bulletin.errors import BulletinParseError
from bulletin.i18n import keys, t
from bulletin.model import Issue
from bulletin.parser.limits import DEFAULT_LIMITS, limit_values
from bulletin.render import Button, Rendered, esc, issue_label, shorten
from config import Config
from jobs.desk import Committed
from jobs.leader import LeaderJobs
from jobs.netguard import NetworkPolicy
from jobs.push import PublishError
from jobs.watch import WATCH_JOB, Watcher, WatchSettings, cancel_publication, specs_of
from jobs.watch_fetch import HttpFetcher
from storage.types import utcnow
from storage.watch_repo import Found, SourceInfo

log = logging.getLogger(__name__)

CANCEL_KIND = "w"
ADMIN_LANG = "zh"  # the office works in Chinese; an admin's language is unknown outside an update
_MB = 1024 * 1024


class TelegramWatchPort:
    """The WatchPort (jobs/watch.py) on the Application's bot: every admin gets each message."""

    def __init__(self, application: Application[Any, Any, Any, Any, Any, Any], config: Config,
                 factory: sessionmaker[Session]) -> None:
        self.context: Ctx = CallbackContext(application)
        self.config = config
        self.factory = factory

    async def _admins(self) -> list[int]:
        configured = tuple(self.config.access.admins)
        return list(await self.context.bot_data.deps.units.run(lambda u: u.admins.all(configured)))

    async def _tell(self, rendered: Rendered) -> None:
        for admin in await self._admins():
            try:
                await send(self.context, admin, rendered)
            except TelegramError as exc:
                log.warning("watch: could not tell admin %s: %s", admin, exc)

    async def offer(self, found: Found, issue: Issue, partial: bool) -> None:
        """Preview mode: the desk's upload preview for every admin, marked with the source."""
        board = self.context.bot_data.part(DraftBoard)
        note = t(ADMIN_LANG, "watch_found_on", source=esc(shorten(found.source_url, 120)))
        for admin in await self._admins():
            try:
                await board.offer(self.context, DraftOffer(admin, ADMIN_LANG, issue, found.url, partial, note))
            except TelegramError as exc:
                log.warning("watch: could not offer %s to admin %s: %s", found.url, admin, exc)

    async def published(self, found: Found, committed: Committed) -> None:
        """Publish mode: the issue is stored and scheduled; a cancel button until the push starts."""
        lang = ADMIN_LANG
        issue = committed.stored.issue
        when = "" if committed.at is None else committed.at.astimezone(self.config.push.timezone).strftime(
            "%Y-%m-%d %H:%M")
        text = t(lang, "watch_published", masthead=esc(issue.masthead), label=esc(issue_label(issue, lang)),
                 when=esc(when), url=esc(shorten(found.url, 120)))
        keyboard = ((Button(t(lang, "watch_btn_cancel"), cb_routed(CANCEL_KIND, committed.stored.id)),),)
        await self._tell(Rendered(text, keyboard))

    async def unreadable(self, found: Found, error: BulletinParseError) -> None:
        """A document that cannot be read: the reason and the link."""
        key = f"desk_parse_{error.code}"
        reason = t(ADMIN_LANG, key if key in keys() else "desk_parse_other", **limit_values(DEFAULT_LIMITS))
        await self._tell(Rendered(t(ADMIN_LANG, "watch_unreadable", url=esc(shorten(found.url, 200)), reason=reason)))

    async def alert(self, source: SourceInfo, error: str) -> None:
        """A source failed alert_after times in a row."""
        text = t(ADMIN_LANG, "watch_failing", url=esc(shorten(source.url, 200)), failures=source.failures,
                 error=esc(shorten(error, 300)))
        await self._tell(Rendered(text))

    async def recovered(self, source: SourceInfo) -> None:
        """A reported source works again."""
        await self._tell(Rendered(t(ADMIN_LANG, "watch_recovered", url=esc(shorten(source.url, 200)))))


class WatchService:
    """BackgroundService: the job "watch" on the leader's scheduler (started only once this process leads)."""

    def __init__(self, config: Config, factory: sessionmaker[Session]) -> None:
        self.config = config
        self.factory = factory
        self.jobs: LeaderJobs | None = None
        self.fetcher: HttpFetcher | None = None
        self.watcher: Watcher | None = None

    async def start(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Sync the config's sources and start polling."""
        watch = self.config.watch
        self.fetcher = HttpFetcher(
            NetworkPolicy(allow_private=self.config.network.allow_private), timeout=watch.timeout,
            max_bytes=int(watch.max_mb * _MB), per_host_interval=watch.per_host_interval.total_seconds(),
        )
        port = TelegramWatchPort(application, self.config, self.factory)
        self.watcher = Watcher(self.factory, self.fetcher, port, WatchSettings.from_config(self.config))
        added, removed = await self.watcher.sync(specs_of(self.config))
        if added or removed:
            log.info("watch: %s sources added from the config, %s removed", added, removed)
        self.jobs = leader_jobs(application)
        self.jobs.every(WATCH_JOB, watch.check_every.total_seconds(), self.tick)
        self.jobs.start()

    async def tick(self) -> None:
        """The timed job "watch": poll what is due, offer what was found."""
        assert self.watcher is not None
        await self.watcher.tick()

    async def stop(self) -> None:
        """Stop after the poll in progress (a document found is kept and offered by the next leader)."""
        if self.jobs is not None:
            await self.jobs.remove(WATCH_JOB)
            self.jobs = None
        if self.fetcher is not None:
            await self.fetcher.close()
            self.fetcher = None


async def cancel_button(update: Update, context: Ctx, data: object) -> None:
    """Cancel the push of an issue the watch published (admins only, until the push starts; audited)."""
    issue_id = await admin_press(update, context, data, action="watch_cancel")
    query, user = update.callback_query, update.effective_user
    if issue_id is None or query is None or user is None:
        return
    lang = user_lang(update)
    now = utcnow()
    try:
        issue = await context.bot_data.deps.units.run(
            lambda u: cancel_publication(u, issue_id, actor_id=user.id, now=now)
        )
    except PublishError as exc:
        log.info("watch: cancel of issue %s by %s refused: %s", issue_id, user.id, exc)
        await query.answer(t(lang, "watch_cancel_too_late"), show_alert=True)
        return
    await query.answer()
    await edit(query, Rendered(t(lang, "watch_cancelled", masthead=esc(issue.masthead),
                                 label=esc(issue_label(issue, lang)))))


def watch_extension(config: Config, factory: sessionmaker[Session]) -> Extension:
    """ExtensionFactory (bot/app.py): the watch service (when [watch] enabled) and its cancel button."""
    services = [WatchService(config, factory)] if config.watch.enabled else []
    return Extension(handlers=[on_button(cancel_button, CANCEL_KIND)], services=services)
