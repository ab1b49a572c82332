"""What a feature contributes to the application, and how the composition root installs it.

A feature module offers an `ExtensionFactory`: given the config and the session factory it returns an
`Extension` with its PTB handlers (commands, its own `CallbackQueryHandler(pattern=…)`s, message handlers) and its
background services (objects with `async start(application)` / `async stop()`, started after the bot is
initialized and its command menu set, stopped on shutdown).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session, sessionmaker
from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.callbacks import Callback, matches, parse_callback
from bot.common.chat import expired, user_lang
from bot.common.context import BackgroundService, Ctx
from bot.common.guards import require_admin
from config import Config
from jobs.uow import UnitsOfWork

S = TypeVar("S")


@dataclass
class Extension:
    """What an extension factory contributes; see the module docstring."""

    handlers: Sequence[BaseHandler[Any, Any, Any]] = ()
    services: Sequence[BackgroundService] = ()
    # Feature state objects kept in bot_data (BotData.put) once, when the feature is installed.
    state: Sequence[object] = ()


ExtensionFactory = Callable[[Config, sessionmaker[Session]], Extension]


@dataclass(frozen=True)
class AdminFeature(Generic[S]):
    """What the handlers of an admin's feature (the desk, the corrections) need: the config, units of work on the
    session factory, and the feature's in-memory STATE."""

    config: Config
    factory: sessionmaker[Session]
    state: S
    # Whether pushed contents messages carry the 已阅 button: previews and /refresh must render them as the push.
    ack_button: bool = True

    @property
    def units(self) -> UnitsOfWork:
        """One unit of work per update step (jobs/uow.py: one transaction, in a worker thread)."""
        return UnitsOfWork(self.factory)

    async def is_admin(self, update: Update, context: Ctx, action: str) -> bool:
        return await require_admin(update, context, action=action)


Route = Callable[[Update, Ctx, Callback], Awaitable[None]]


def on_button(route: Route, *kinds: type | str) -> CallbackQueryHandler[Any, Any]:
    """The CallbackQueryHandler sending presses whose data parses as one of KINDS to ROUTE(update, context, data)."""

    async def handle(update: Update, context: Ctx) -> None:
        query = update.callback_query
        assert query is not None
        data = parse_callback(query.data)
        assert data is not None  # the pattern matched
        if update.effective_chat is None:  # a press without a chat (inline message): nothing to answer in
            await expired(query, user_lang(update))
            return
        await route(update, context, data)

    handle.__doc__ = route.__doc__
    return CallbackQueryHandler(handle, pattern=matches(*kinds))
