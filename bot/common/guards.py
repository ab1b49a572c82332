"""Guards shared by the features: the admin check (`require_admin`) and its decorator (`admin_only`)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, ParamSpec

from telegram import Update
from telegram.error import TelegramError

from bot.callbacks import Routed
from bot.common.chat import reply, user_lang
from bot.common.context import Ctx, deps
from bulletin.i18n import t
from bulletin.render import esc
from jobs.uow import UnitOfWork

log = logging.getLogger(__name__)

P = ParamSpec("P")
Handler = Callable[Concatenate[Update, Ctx, P], Coroutine[Any, Any, None]]


def what(update: Update) -> str:
    """A short description of what the update attempted, for the log (command text or callback data)."""
    if update.callback_query is not None:
        return f"button {update.callback_query.data!r}"
    message = update.effective_message
    if message is not None:
        if message.document is not None:
            return f"document {message.document.file_name!r}"
        if message.text:
            return f"text {message.text[:80]!r}"
    return "update"


async def require_admin(update: Update, context: Ctx, *, action: str = "") -> bool:
    """True when the sender is an admin right now ([access] admins or added); otherwise refuse politely and log.

    The check reads the database on every call (no cache), so a removed admin's next press is refused. A refusal
    answers a callback query with an alert (so a forged or replayed press does nothing) or replies to a message,
    logs a warning with the user id and what was attempted, and records "refused" in the audit log.
    ACTION names the admin function for the log and the audit entry (e.g. "publish", "subscriber_remove").
    """
    d = deps(context)
    user = update.effective_user
    user_id = user.id if user is not None else None
    configured = tuple(d.config.access.admins)

    def check(u: UnitOfWork) -> bool:
        if user_id is not None and u.admins.is_admin(user_id, configured):
            return True
        u.audit.record(actor_id=user_id, action="refused", detail=f"{action or 'admin function'}: {what(update)}")
        return False

    if await d.units.run(check):
        return True
    log.warning("refused non-admin user %s: %s (%s)", user_id, action or "admin function", what(update))
    text = t(user_lang(update), "access_admin_only")
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif update.effective_chat is not None:
            await reply(update, context, esc(text))  # waits out flood control like every other reply
    except TelegramError as exc:  # the query may be forged or too old, or the chat gone; the refusal stands
        log.warning("could not tell user %s about the refusal: %s", user_id, exc)
    return False


def admin_only(action: str) -> Callable[[Handler[P]], Handler[P]]:
    """Decorator: the handler runs only for an admin (require_admin, audited as ACTION); others are refused."""

    def decorate(handler: Handler[P]) -> Handler[P]:
        @functools.wraps(handler)
        async def guarded(update: Update, context: Ctx, /, *args: P.args, **kwargs: P.kwargs) -> None:
            if await require_admin(update, context, action=action):
                await handler(update, context, *args, **kwargs)

        return guarded

    return decorate


async def admin_press(update: Update, context: Ctx, data: object, *, action: str) -> int | None:
    """The one argument of an admin-only button pressed (DATA: a Routed callback with one argument, e.g. the issue
    id), once require_admin has passed; None when the update is not such a press, or the presser is no admin (then
    refused, logged and audited under ACTION as require_admin does)."""
    if update.callback_query is None or update.effective_user is None:
        return None
    if not isinstance(data, Routed) or len(data.args) != 1:
        return None
    if not await require_admin(update, context, action=action):
        return None
    return data.args[0]
