"""Access control in chat: the admin check every admin action makes, and (later in this module) the access modes,
invites, subscription approval, subscriber removal, /audit and the per-user command rate limit."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.orm import Session, sessionmaker
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.settings import BotConfig
from bulletin.i18n import lang_of, t
from storage.access_repo import AdminRepository, AuditLog
from storage.db import transaction

log = logging.getLogger(__name__)

Ctx = ContextTypes.DEFAULT_TYPE


def _what(update: Update) -> str:
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


async def require_admin(
    update: Update,
    context: Ctx,
    session_factory: sessionmaker[Session],
    config: BotConfig,
    *,
    action: str = "",
) -> bool:
    """True when the sender is an admin right now ([access] admins or added); otherwise refuse politely and log.

    The check reads the database on every call (no cache), so a removed admin's next press is refused. A refusal
    answers a callback query with an alert (so a forged or replayed press does nothing visible) or replies to a
    message, logs a warning with the user id and what was attempted, and records "refused" in the audit log.
    ACTION names the admin function for the log and the audit entry (e.g. "publish", "subscriber_remove").
    """
    user = update.effective_user
    user_id = user.id if user is not None else None
    configured = tuple(config.access.admins)

    def check(s: Session) -> bool:
        if user_id is not None and AdminRepository(s).is_admin(user_id, configured):
            return True
        AuditLog(s).record(actor_id=user_id, action="refused", detail=f"{action or 'admin function'}: {_what(update)}")
        return False

    def run() -> bool:
        with transaction(session_factory) as session:
            return check(session)

    if await asyncio.to_thread(run):
        return True
    log.warning("refused non-admin user %s: %s (%s)", user_id, action or "admin function", _what(update))
    lang = lang_of(user.language_code if user is not None else None)
    text = t(lang, "access_admin_only")
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(text)
    except TelegramError as exc:  # the query may be too old or the chat gone; the refusal itself stands
        log.warning("could not tell user %s about the refusal: %s", user_id, exc)
    return False
