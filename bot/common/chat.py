"""Talking in a chat, shared by every feature: language, replies that wait out flood control, edits, refusals."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from telegram import CallbackQuery, Chat, Message, Update, User
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, RetryAfter, TelegramError

from bot.common.context import Ctx, deps
from bot.common.errors import is_not_modified, retry_seconds
from bot.common.keyboards import markup_json, to_markup
from bulletin.i18n import lang_of, t
from bulletin.render import Keyboard, Rendered, esc, issue_label, split_lines
from jobs.uow import UnitOfWork
from storage.archive import StoredIssue

log = logging.getLogger(__name__)

T = TypeVar("T")
# Telegram's retry_after is waited out whatever it says (waits over a minute happen, on edits as on sends); after
# this many 429s in a row the call gives up, and on_error logs it without writing to the flooded chat again.
_FLOOD_ATTEMPTS = 5
# An issue reference an admin types: a number, or YEAR-NUMBER.
ISSUE_REF = re.compile(r"[0-9]{1,9}|[0-9]{4}-[0-9]{1,9}")


async def unit_of_work(context: Ctx, work: Callable[[UnitOfWork], T]) -> T:
    """Run WORK in one unit of work (one transaction, in a worker thread): the update's only one."""
    return await deps(context).units.run(work)


async def unit_of_reads(context: Ctx, work: Callable[[UnitOfWork], T]) -> T:
    """Run WORK, which only reads, as the update's one unit of work (jobs.uow.UnitsOfWork.read: on PostgreSQL
    without the round trips of a transaction; a write in it is refused)."""
    return await deps(context).units.read(work)


def user_lang(update: Update) -> str:
    """The chat language for the user behind UPDATE."""
    user = update.effective_user
    return lang_of(user.language_code if user else None)


def args_of(context: Ctx) -> list[str]:
    """The command's arguments (whitespace-separated words)."""
    return list(context.args or [])


def display_name(chat: Chat, user: User | None) -> str:
    """How a subscriber's chat is shown to admins: a group's title, a person's full name."""
    if chat.type != ChatType.PRIVATE:
        return chat.title or str(chat.id)
    return user.full_name if user else str(chat.id)


async def flood_safe(
    call: Callable[[], Awaitable[T]], *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
) -> T:
    """Make CALL, waiting out Telegram's flood control (429 retry_after, however long) a few times instead of
    failing; the last RetryAfter is raised (on_error logs it)."""
    for attempt in range(1, _FLOOD_ATTEMPTS + 1):
        try:
            return await call()
        except RetryAfter as exc:
            seconds = retry_seconds(exc)
            if attempt == _FLOOD_ATTEMPTS:
                log.warning("flood control: giving up after %d waits (the last %.0f s)", attempt, seconds)
                raise
            log.info("flood control: waiting %.1f s before retrying", seconds)
            await sleep(seconds + 0.05)
    raise AssertionError("unreachable")  # pragma: no cover


async def send(context: Ctx, chat_id: int, rendered: Rendered, *, protect: bool = False) -> Message:
    """Send one rendered message as HTML (PROTECT: no forwarding or saving, for internal issues)."""
    return await flood_safe(
        lambda: context.bot.send_message(
            chat_id, rendered.text, parse_mode=ParseMode.HTML, reply_markup=to_markup(rendered.keyboard, chat_id),
            protect_content=True if protect else None,
        )
    )


async def send_all(context: Ctx, chat_id: int, parts: Sequence[Rendered], *, protect: bool = False) -> None:
    """Send the parts of a split message in order."""
    for part in parts:
        await _post_message(context, chat_id, part, protect=protect)


async def reply(update: Update, context: Ctx, text: str, keyboard: Keyboard = ()) -> None:
    """Answer in the update's chat with HTML TEXT (already escaped where needed); a text over Telegram's limit
    (listings: /subscribers, /stats, /audit, /coverage, ...) goes as several messages split at line boundaries,
    the KEYBOARD under the last."""
    parts = split_lines(text) or [text]
    for i, part in enumerate(parts):
        await reply_rendered(update, context, Rendered(part, keyboard if i == len(parts) - 1 else ()))


async def reply_rendered(update: Update, context: Ctx, rendered: Rendered, *, protect: bool = False) -> None:
    """Answer in the update's chat with RENDERED."""
    chat = update.effective_chat
    assert chat is not None
    await _post_message(context, chat.id, rendered, protect=protect)


async def _post_message(context: Ctx, chat_id: int, rendered: Rendered, *, protect: bool = False) -> None:
    """Send RENDERED to CHAT_ID as send does, without reading the answer."""
    rendered_data = {
        "chat_id": chat_id, "text": rendered.text, "parse_mode": ParseMode.HTML.value,
        "reply_markup": markup_json(rendered.keyboard, chat_id), "protect_content": True if protect else None,
    }
    # What send_message posts, without parsing the answer into a Message nobody reads: that parsing was a quarter
    # of the bot's CPU for a reply. ExtBot._post applies the rate limiter (the shared send budget) and maps error
    # answers to PTB's exceptions exactly as send_message does (Bot._post is private in PTB 22; the end-to-end
    # tests read every reply).
    await flood_safe(lambda: context.bot._post("sendMessage", rendered_data))


async def edit(query: CallbackQuery, rendered: Rendered) -> None:
    """Replace the pressed message with RENDERED (an unchanged message is not an error)."""
    chat_id = query.message.chat.id if query.message is not None else None
    try:
        await flood_safe(
            lambda: query.edit_message_text(
                rendered.text, parse_mode=ParseMode.HTML, reply_markup=to_markup(rendered.keyboard, chat_id)
            )
        )
    except BadRequest as exc:
        if not is_not_modified(exc):
            raise


async def edit_message(context: Ctx, chat_id: int, message_id: int | None, rendered: Rendered) -> None:
    """Replace message MESSAGE_ID in CHAT_ID with RENDERED; a failed edit is logged, not raised (the message may be
    gone or unchanged), and no MESSAGE_ID does nothing."""
    if message_id is None:
        return
    try:
        await flood_safe(
            lambda: context.bot.edit_message_text(
                rendered.text, chat_id=chat_id, message_id=message_id, parse_mode=ParseMode.HTML,
                reply_markup=to_markup(rendered.keyboard, chat_id),
            )
        )
    except BadRequest as exc:
        if not is_not_modified(exc):
            log.warning("could not edit message %s in %s: %s", message_id, chat_id, exc)


async def say(update: Update, context: Ctx, text: str, keyboard: Keyboard = ()) -> Message:
    """Send TEXT (HTML) with KEYBOARD to the update's chat; the sent message."""
    chat = update.effective_chat
    assert chat is not None
    return await send(context, chat.id, Rendered(text, keyboard))


async def expired(query: CallbackQuery, lang: str) -> None:
    """Tell the presser the button no longer works."""
    await query.answer(t(lang, "button_expired"), show_alert=False)


async def expired_button(update: Update, context: Ctx) -> None:
    """Any button press no feature claimed (unknown, forged or from an older version): "this button has expired"."""
    if update.callback_query is not None:
        await expired(update.callback_query, user_lang(update))


def unknown_issue(lang: str, ref: str, publication: str | None = None) -> str:
    """The answer when REF names no stored issue (of PUBLICATION, as the user named it, when given)."""
    if publication is not None:
        return esc(t(lang, "unknown_issue_of", name=publication, ref=ref))
    return t(lang, "unknown_issue", ref=esc(ref))


def unknown_article(lang: str, stored: StoredIssue, position: int) -> str:
    """The answer when STORED has no article POSITION."""
    return t(
        lang,
        "unknown_article",
        label=esc(issue_label(stored.issue, lang)),
        position=position,
        count=len(stored.issue.articles),
    )


async def on_error(update: object, context: Ctx) -> None:
    """Log the failure and tell the user, politely, once; never show them the traceback."""
    if isinstance(context.error, RetryAfter):
        # flood_safe already waited several times: another message to the flooded chat would only meet a 429 too
        log.warning(
            "update %s not answered: flood control (retry after %.0f s)",
            getattr(update, "update_id", None), retry_seconds(context.error),
        )
        return
    log.error("error while handling update %s", getattr(update, "update_id", None), exc_info=context.error)
    if not isinstance(update, Update):
        return
    lang = user_lang(update)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(t(lang, "error"))
        elif update.effective_chat is not None and update.effective_message is not None:
            chat_id = update.effective_chat.id
            await flood_safe(lambda: context.bot.send_message(chat_id, t(lang, "error")))
    except TelegramError as exc:  # the chat may be gone, or the query too old; nothing more to do
        log.warning("could not report the error to the user: %s", exc)
