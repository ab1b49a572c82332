"""Messages and edits: sendMessage, copyMessage, the three edit methods, deleting, chat actions and getChat."""

from __future__ import annotations

import copy
from typing import Any

from .content import ContentChecks
from .faults import rate_check
from .model import ApiError, Bot, Chat, SentMessage
from .params import Params

# MessagesManager::can_revoke_message: a bot's DEFAULT_REVOKE_TIME_LIMIT is 2 * 86400 seconds in private chats and
# basic groups; MessagesManager::delete_messages then fails with "Message can't be deleted for everyone".
REVOKE_TIME_LIMIT = 2 * 86400


# MessagesManager::edit_message_text does not check the length (send_message does, in MessageContent.cpp's
# create_input_message_content): the server's MESSAGE_TOO_LONG reaches the bot as is (Client.cpp's
# fail_query_with_error keeps upper-case error codes).
MESSAGE_TOO_LONG = "Bad Request: MESSAGE_TOO_LONG"


NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)


CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
        "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
    }
)  # fmt: skip


class MessagesApi(ContentChecks):
    """The Bot API methods that send, edit and delete text messages, and read chats."""

    def _m_sendMessage(self, bot: Bot, p: Params) -> dict[str, Any]:
        chat = self._chat(p)
        self._check_can_write(chat)
        parse_mode, html, parsed = self._text_param(p)
        markup = self._markup(chat, p)
        lpo = p.get_json("link_preview_options", "link preview options")
        if lpo is not None and not isinstance(lpo, dict):
            raise ApiError(400, "Bad Request: can't parse link preview options JSON object")
        reply_to = self._reply_to(chat, p)
        return self._send(
            bot, chat, p, "sendMessage", reply_to, text=parsed.text, html=html, entities=parsed.entities,
            reply_markup=markup, link_preview_options=lpo, parse_mode=parse_mode,
        )

    def _m_copyMessage(self, bot: Bot, p: Params) -> dict[str, Any]:
        chat = self._chat(p)
        from_chat = self._chat(p, "from_chat_id")
        self._check_can_write(chat)
        src_id = p.get_int("message_id")
        src = from_chat.messages.get(src_id) if src_id is not None else None
        if src is None or src.deleted:
            raise ApiError(400, "Bad Request: message to copy not found")
        markup = self._markup(chat, p)
        rate_check(self.limits, bot, chat, p.get_bool("allow_paid_broadcast"))
        msg = copy.copy(src)
        msg.message_id = self._new_message_id(chat)
        msg.chat_id = chat.id
        msg.edits = []
        msg.edit_date = None
        msg.date = self._now()
        msg.method = "copyMessage"
        msg.reply_markup = markup
        chat.add_message(msg)
        return {"message_id": msg.message_id}

    def _m_editMessageText(self, bot: Bot, p: Params) -> dict[str, Any]:
        chat, msg = self._message_to_edit(p)
        parse_mode, html, parsed = self._text_param(p, length_error=MESSAGE_TOO_LONG)
        if msg.text is None:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        markup = self._markup(chat, p, inline_only=True)
        lpo = p.get_json("link_preview_options", "link preview options")
        if parsed.text == msg.text and parsed.entities == msg.entities and markup == msg.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        msg.text = parsed.text
        msg.html = html
        msg.entities = parsed.entities
        msg.parse_mode = parse_mode
        if lpo is not None:
            msg.link_preview_options = lpo
        return self._edited(bot, chat, msg, markup, parsed.text)

    def _m_editMessageCaption(self, bot: Bot, p: Params) -> dict[str, Any]:
        chat, msg = self._message_to_edit(p)
        if msg.text is not None:
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        parsed = self._caption_param(p)
        markup = self._markup(chat, p, inline_only=True)
        if (parsed.text, parsed.entities, markup) == (msg.caption or "", msg.caption_entities, msg.reply_markup):
            raise ApiError(400, NOT_MODIFIED)
        msg.caption = parsed.text or None
        msg.caption_entities = parsed.entities
        return self._edited(bot, chat, msg, markup, parsed.text)

    def _m_editMessageReplyMarkup(self, bot: Bot, p: Params) -> dict[str, Any]:
        chat, msg = self._message_to_edit(p)
        markup = self._markup(chat, p, inline_only=True)
        if markup == msg.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        return self._edited(bot, chat, msg, markup, None)

    def _message_to_edit(self, p: Params) -> tuple[Chat, SentMessage]:
        """The chat and the bot message an edit method names (the bot sends no inline messages)."""
        if p.raw("inline_message_id") is not None:
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        if p.raw("chat_id") is None and not p.get_int("message_id"):
            # Client::process_edit_message_text_query falls back to inline_message_id, which is missing
            raise ApiError(400, "Bad Request: message identifier is not specified")
        chat = self._chat(p)
        self._check_can_write(chat, send=False)
        return chat, self._bot_message(chat, p, what="edit")

    def _edited(
        self, bot: Bot, chat: Chat, msg: SentMessage, markup: dict[str, Any] | None, text: str | None
    ) -> dict[str, Any]:
        """Finish an edit: the new keyboard (none removes it, as on Telegram), the edit's TEXT (a text or caption
        edit) in msg.edits, the edit date; answers the edited message."""
        msg.reply_markup = markup
        if text is not None:
            msg.edits.append(text)
        msg.edit_date = self._now()
        return self._message_dict(bot, chat, msg)

    def _m_deleteMessage(self, bot: Bot, p: Params) -> bool:
        chat = self._chat(p)
        mid = p.get_int("message_id")
        if mid is None:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        if chat.migrated_to is not None:
            self._check_can_write(chat)
        if chat.type != "private":
            self._check_membership(chat)  # deleteMessage asks for write access (Client::check_message)
        msg = chat.messages.get(mid)
        if msg is not None and not msg.deleted:
            self._check_revocable(chat, msg)
            msg.deleted = True
            return True
        if mid in chat.user_messages:
            if chat.type == "private":
                del chat.user_messages[mid]
                return True
            raise ApiError(400, "Bad Request: message can't be deleted")
        raise ApiError(400, "Bad Request: message to delete not found")

    def _check_revocable(self, chat: Chat, msg: SentMessage) -> None:
        """A bot message older than 48 hours can't be deleted for everyone in a private chat or basic group
        (MessagesManager::can_revoke_message); in supergroups and channels Telegram's server refuses it
        (MESSAGE_DELETE_FORBIDDEN, which Client.cpp's fail_query_with_error turns into "message can't be deleted")."""
        if self._now() - msg.date <= REVOKE_TIME_LIMIT:
            return
        if chat.type in ("private", "group"):
            raise ApiError(400, "Bad Request: message can't be deleted for everyone")
        raise ApiError(400, "Bad Request: message can't be deleted")

    def _m_deleteMessages(self, bot: Bot, p: Params) -> bool:
        chat = self._chat(p)
        ids = p.get_json("message_ids", "message identifiers")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise ApiError(400, "Bad Request: message_ids must be a non-empty list of at most 100 identifiers")
        if chat.type != "private":
            self._check_membership(chat)
        for mid in ids:
            old = chat.messages.get(int(mid))
            if old is not None and not old.deleted:
                self._check_revocable(chat, old)  # MessagesManager::delete_messages checks all before deleting any
        for mid in ids:
            msg = chat.messages.get(int(mid))
            if msg is not None:
                msg.deleted = True
            chat.user_messages.pop(int(mid), None)
        return True

    def _m_sendChatAction(self, bot: Bot, p: Params) -> bool:
        chat = self._chat(p)
        self._check_can_write(chat)
        action = p.get_str("action")
        if action not in CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    def _m_getChat(self, bot: Bot, p: Params) -> dict[str, Any]:
        chat = self._chat(p)
        if chat.migrated_to is not None:
            self._check_can_write(chat)
        if chat.type == "private":
            user = self._users[chat.id]
            if user.deactivated:
                raise ApiError(400, "Bad Request: chat not found")
        elif chat.kicked:
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
        d = dict(chat.as_dict())
        d["accent_color_id"] = 0
        d["max_reaction_count"] = 11
        # ChatFullInfo.accepted_gift_types is required (Client.cpp's JsonChat writes it for every chat)
        d["accepted_gift_types"] = {
            "unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
            "premium_subscription": False, "gifts_from_channels": False,
        }
        return d
