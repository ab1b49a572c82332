"""jobs.correction.CorrectionPort implemented with python-telegram-bot (edit, delete, reply)."""

from __future__ import annotations

from telegram import Bot, LinkPreviewOptions, ReplyParameters
from telegram import error as tg
from telegram.constants import ParseMode

from bot.common.errors import outcome
from bot.keyboards import to_markup
from bot.sender import TelegramSender
from bulletin.render import Rendered


class TelegramCorrector:
    """Edits, deletes and replies to the contents messages a push sent."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._sender = TelegramSender(bot)

    async def edit(self, chat_id: int, message_id: int, rendered: Rendered) -> None:
        """Replace the message's text and keyboard ('not modified' is success)."""
        await self._sender.edit(chat_id, message_id, rendered)

    async def delete(self, chat_id: int, message_id: int) -> None:
        """Delete the message for everyone."""
        try:
            await self.bot.delete_message(chat_id, message_id)
        except tg.TelegramError as exc:
            raise outcome(exc) from exc

    async def reply(self, chat_id: int, reply_to: int, rendered: Rendered, *, protect: bool) -> int:
        """Send RENDERED as a reply to REPLY_TO (sent even if that message is gone)."""
        try:
            message = await self.bot.send_message(
                chat_id,
                rendered.text,
                parse_mode=ParseMode.HTML,
                reply_markup=to_markup(rendered.keyboard),
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                reply_parameters=ReplyParameters(reply_to, allow_sending_without_reply=True),
                protect_content=protect,
            )
        except tg.TelegramError as exc:
            raise outcome(exc) from exc
        return message.message_id
