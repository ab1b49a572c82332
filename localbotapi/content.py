"""What a bot sends, checked as Telegram checks it: texts and captions (parse modes, explicit entities,
lengths), inline keyboards and reply parameters. Parsed texts and keyboards are cached: a broadcast sends the
same ones thousands of times."""

from __future__ import annotations

import sys
from typing import Any

from .faults import rate_check
from .links import LinkError, check_link, is_user_link
from .model import ApiError, Bot, Chat, SentMessage
from .params import Params
from .state import ServerState
from .tghtml import EntityParseError, ParsedText, cap_entities, clean_and_trim, parse_html, parse_text, utf16_len

MAX_TEXT_UTF16 = 4096


MAX_RAW_TEXT_BYTES = 32768


MAX_CAPTION_UTF16 = 1024


# ReplyMarkup.cpp's get_reply_markup: rows are cut at 12 buttons and the keyboard at 300, silently
MAX_BUTTONS = 300


MAX_BUTTONS_PER_ROW = 12


MAX_CALLBACK_DATA = 64


class ContentChecks(ServerState):
    """Parsing and checking texts, captions, keyboards and replies of the sending methods."""

    def _parse(
        self, text: str | None, parse_mode: str | None, *, caption: bool = False, entities: Any = None,
        length_error: str = "Bad Request: message is too long",
    ) -> tuple[str, ParsedText]:
        """Check and parse a text or caption; returns (the raw text, interned, and the parsed text). Results are
        cached because a broadcast sends the same text thousands of times. ``entities`` is the raw
        entities/caption_entities parameter, used when there is no parse_mode."""
        key = (text or "", parse_mode, caption)
        cached = self._parse_cache.get(key) if entities is None else None
        if cached is not None:
            return cached
        raw = text or ""
        if not caption and not raw:
            raise ApiError(400, "Bad Request: message text is empty")
        if not caption and len(raw.encode("utf-8")) > MAX_RAW_TEXT_BYTES:
            raise ApiError(400, "Bad Request: text is too long")
        mode = (parse_mode or "").lower()
        if mode == "html":
            try:
                parsed = parse_html(raw)
            except EntityParseError as exc:
                raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
        elif mode == "" and entities is not None:
            parsed = clean_and_trim(raw, _explicit_entities(raw, entities))
        elif mode == "":
            parsed = parse_text(raw)
        else:
            # The local server implements only HTML; refusing is stricter than guessing.
            raise ApiError(400, "Bad Request: unsupported parse_mode")
        parsed = cap_entities(parsed)
        if caption:
            if utf16_len(parsed.text) > MAX_CAPTION_UTF16:
                raise ApiError(400, "Bad Request: message caption is too long")
        else:
            if not parsed.text:
                # the raw text was not empty (Client::get_input_message_text checked): TDLib's fix_formatted_text
                raise ApiError(400, "Bad Request: text must be non-empty")
            if utf16_len(parsed.text) > MAX_TEXT_UTF16:
                raise ApiError(400, length_error)
        if len(self._parse_cache) > 4096:
            self._parse_cache.clear()
        if entities is None:
            self._parse_cache[key] = (raw, parsed)
        return raw, parsed

    def _send(
        self, bot: Bot, chat: Chat, p: Params, method: str, reply_to: int | None, **content: Any
    ) -> dict[str, Any]:
        """Count a checked send against the rate limits, then store the new message (CONTENT: text, caption,
        keyboard, file ...) and answer it as the Bot API does."""
        paid = p.get_bool("allow_paid_broadcast")
        rate_check(self.limits, bot, chat, paid)
        msg = SentMessage(
            message_id=self._new_message_id(chat),
            chat_id=chat.id,
            date=self._now(),
            method=method,
            protect_content=p.get_bool("protect_content"),
            reply_to_message_id=reply_to,
            paid_broadcast=paid,
            **content,
        )
        chat.add_message(msg)
        return self._message_dict(bot, chat, msg)

    def _text_param(
        self, p: Params, length_error: str = "Bad Request: message is too long"
    ) -> tuple[str | None, str, ParsedText]:
        """A message text from text, parse_mode and entities: (the parse mode, interned; the raw text; parsed)."""
        parse_mode = _intern(p.get_str("parse_mode"))
        html, parsed = self._parse(
            p.get_str("text"), parse_mode, entities=p.get_json("entities", "entities"), length_error=length_error
        )
        return parse_mode, html, parsed

    def _caption_param(self, p: Params) -> ParsedText:
        """A caption from caption, parse_mode and caption_entities (empty when there is none)."""
        _, parsed = self._parse(
            p.get_str("caption"),
            p.get_str("parse_mode"),
            caption=True,
            entities=p.get_json("caption_entities", "caption entities"),
        )
        return parsed

    def _markup(self, chat: Chat, p: Params, *, inline_only: bool = False) -> dict[str, Any] | None:
        """The checked reply_markup of a message in CHAT; None when absent or when it holds no buttons
        (Client::get_reply_markup)."""
        raw = p.raw("reply_markup")
        if raw is None:
            return None
        key = raw if isinstance(raw, str) else None
        markup = self._markup_cache.get(key) if key is not None else None
        if markup is None:
            value = p.get_json("reply_markup", "reply keyboard markup")
            markup = _validate_markup(value, inline_only=inline_only)
            if markup is None:
                return None
            if key is not None:
                if len(self._markup_cache) > 4096:
                    self._markup_cache.clear()
                self._markup_cache[key] = markup
        if "keyboard" in markup:
            _check_reply_keyboard(markup, chat.type == "private")
        if chat.type != "private" and has_web_app(markup):
            raise ApiError(400, BUTTON_TYPE_INVALID)
        return markup

    def _reply_to(self, chat: Chat, p: Params) -> int | None:
        rp = p.get_json("reply_parameters", "reply parameters")
        mid: int | None
        allow_without = p.get_bool("allow_sending_without_reply")
        if rp is not None:
            if not isinstance(rp, dict) or "message_id" not in rp:
                raise ApiError(400, "Bad Request: can't parse reply parameters JSON object")
            mid = Params(rp).get_int("message_id")
            allow_without = bool(rp.get("allow_sending_without_reply", False))
            if rp.get("chat_id") not in (None, chat.id):
                raise ApiError(400, "Bad Request: message to be replied not found")
        else:
            mid = p.get_int("reply_to_message_id")
        if mid is None:
            return None
        exists = (mid in chat.messages and not chat.messages[mid].deleted) or mid in chat.user_messages
        if not exists:
            if allow_without:
                return None
            raise ApiError(400, "Bad Request: message to be replied not found")
        return mid


_ENTITY_FIELDS: dict[str, tuple[str, ...]] = {
    "mention": (), "hashtag": (), "cashtag": (), "bot_command": (), "url": (), "email": (), "phone_number": (),
    "bold": (), "italic": (), "underline": (), "strikethrough": (), "spoiler": (), "blockquote": (),
    "expandable_blockquote": (), "code": (), "pre": ("language",), "text_link": ("url",),
    "text_mention": ("user",), "custom_emoji": ("custom_emoji_id",), "date_time": ("unix_time", "date_time_format"),
}  # fmt: skip


_REQUIRED_FIELD = {"text_link": "url", "text_mention": "user", "custom_emoji": "custom_emoji_id"}


def _explicit_entities(text: str, value: Any) -> list[dict[str, Any]]:
    """Validate an entities parameter (instead of parse_mode) against the text, in UTF-16 code units."""
    if not isinstance(value, list):
        raise ApiError(400, "Bad Request: can't parse entities JSON object")
    total = utf16_len(text)
    out: list[dict[str, Any]] = []
    for e in value:
        if not isinstance(e, dict):
            raise ApiError(400, "Bad Request: can't parse MessageEntity: MessageEntity must be an Object")
        kind, offset, length = e.get("type"), e.get("offset"), e.get("length")
        if not isinstance(kind, str) or kind not in _ENTITY_FIELDS:
            raise ApiError(400, f"Bad Request: can't parse MessageEntity: unsupported type \"{kind}\"")
        if not isinstance(offset, int) or not isinstance(length, int) or offset < 0 or length < 0:
            raise ApiError(400, "Bad Request: can't parse MessageEntity: wrong offset or length")
        required = _REQUIRED_FIELD.get(kind)
        if required is not None and not e.get(required):
            raise ApiError(400, f"Bad Request: can't parse MessageEntity: field \"{required}\" must be specified")
        if offset + length > total:
            raise ApiError(
                400,
                f"Bad Request: entity beginning at UTF-16 offset {offset} ends after the end of the text at UTF-16 "
                f"offset {offset + length}",
            )
        if length == 0:
            continue
        ent = {"type": kind, "offset": offset, "length": length}
        for f in _ENTITY_FIELDS[kind]:
            if e.get(f) is not None:
                ent[f] = e[f]
        out.append(ent)
    return out


# In the order Client::get_inline_keyboard_button_type tries them: the first one present makes the button's type.
_BUTTON_ACTIONS = (
    "url", "callback_data", "callback_game", "pay", "switch_inline_query", "switch_inline_query_chosen_chat",
    "switch_inline_query_current_chat", "login_url", "web_app", "copy_text",
)  # fmt: skip


def _validate_markup(value: Any, *, inline_only: bool) -> dict[str, Any] | None:
    """Validate a reply_markup object as Client::get_reply_markup and TDLib's get_reply_markup (ReplyMarkup.cpp) do:
    buttons with an empty text are dropped, a row keeps its first 12 buttons and the keyboard its first 300, and a
    keyboard left without buttons (or an object without any known field) means no markup at all (None)."""
    if not isinstance(value, dict):
        raise ApiError(400, "Bad Request: object expected as reply markup")
    rows = value.get("inline_keyboard")
    if rows is not None:
        if not isinstance(rows, list):
            raise ApiError(400, "Bad Request: field \"inline_keyboard\" must be of type Array")
        parsed: list[list[dict[str, Any]]] = []
        for row in rows:
            if not isinstance(row, list):
                raise ApiError(400, "Bad Request: field \"inline_keyboard\" of the InlineKeyboardMarkup must be "
                                    "an Array of Arrays")
            parsed.append([_validate_button(b) for b in row])  # Client.cpp parses every button first
        out_rows: list[list[dict[str, Any]]] = []
        total = 0
        for parsed_row in parsed:
            out_row: list[dict[str, Any]] = []
            for b in parsed_row:
                if not b["text"]:
                    continue
                out_row.append(b)
                total += 1
                if len(out_row) >= MAX_BUTTONS_PER_ROW or total >= MAX_BUTTONS:
                    break
            if out_row:
                out_rows.append(out_row)
            if total >= MAX_BUTTONS:
                break
        if out_rows:
            return {"inline_keyboard": out_rows}
    if inline_only:
        if rows is None and any(value.get(k) for k in ("keyboard", "remove_keyboard", "force_reply")):
            raise ApiError(400, "Bad Request: inline keyboard expected")
        return None
    if value.get("keyboard") or value.get("remove_keyboard") or value.get("force_reply"):
        return dict(value)
    return None


# Telegram's server refuses a Mini App (web_app) button outside a private chat with the bot, and in any inline
# result (the chat it will be sent to is unknown): TDLib passes such a button on unchecked (get_inline_keyboard_button
# in td/telegram/ReplyMarkup.cpp, case inlineKeyboardButtonTypeWebApp), so the error is the server's, passed through
# by Client::fail_query_with_error with "Bad Request: " in front. localbotapi/README.md cites the lines.
BUTTON_TYPE_INVALID = "Bad Request: BUTTON_TYPE_INVALID"


def has_web_app(markup: dict[str, Any]) -> bool:
    """Whether checked MARKUP holds a Mini App button (an inline keyboard's web_app)."""
    return any("web_app" in b for row in markup.get("inline_keyboard", ()) for b in row)


# TDLib's texts for a Mini App URL that is a link to a user (LinkManager::get_link_user_id): ReplyMarkup.cpp for
# both keyboards, InlineQueriesManager::answer_inline_query for answerInlineQuery's button.
WEB_APP_BUTTON_USER_LINK = "link to a user can't be used in Web App URL buttons"


def web_app_url(info: Any, *, parse_error: str, check_error: str, user_link: str | None) -> str:
    """The URL of a WebAppInfo object INFO, checked as a Mini App's: Client.cpp reads {"url": …} (errors after
    PARSE_ERROR), then TDLib refuses a link to a user (USER_LINK, when that place checks it) and anything
    LinkManager::check_link(url, true, !is_test_dc()) refuses, which is every URL but https on Telegram's production
    servers (errors after CHECK_ERROR). Returns the normalised URL; the messages are as the bot gets them."""
    return checked_web_app_url(
        read_web_app_url(info, parse_error), check_error=check_error, user_link=user_link
    )


def read_web_app_url(info: Any, parse_error: str) -> str:
    """Client.cpp's reading of a WebAppInfo object: extract_required_field("web_app", Object), then
    get_required_string_field("url"); errors after PARSE_ERROR."""
    if not isinstance(info, dict):
        raise ApiError(400, f'Bad Request: {parse_error}: Field "web_app" must be of type Object')
    url = info.get("url")
    if isinstance(url, int) and not isinstance(url, bool):
        url = str(url)  # get_required_string_field takes a JSON number as its text
    if url is None:
        raise ApiError(400, f'Bad Request: {parse_error}: Can\'t find field "url"')
    if not isinstance(url, str):
        raise ApiError(400, f'Bad Request: {parse_error}: Field "url" must be of type String')
    return url


def checked_web_app_url(url: str, *, check_error: str, user_link: str | None) -> str:
    """TDLib's check of a Mini App URL (see web_app_url): the normalised URL."""
    if user_link is not None and is_user_link(url):
        raise ApiError(400, f"Bad Request: {user_link}")
    try:
        return check_link(url, https_only=True)
    except LinkError as exc:
        raise ApiError(400, f"Bad Request: {check_error} {exc}") from None


def _check_reply_keyboard(markup: dict[str, Any], private: bool) -> None:
    """A reply keyboard's Mini App buttons, as Client::get_keyboard_button_type reads them and TDLib's
    get_keyboard_button (ReplyMarkup.cpp) checks them: only in a private chat, then the URL. Other reply buttons are
    taken as they are."""
    rows = markup.get("keyboard")
    urls: list[str] = []  # Client.cpp reads every button before TDLib checks any
    for row in rows if isinstance(rows, list) else ():
        for b in row if isinstance(row, list) else ():
            if not isinstance(b, dict) or b.get("web_app") is None:
                continue
            if b.get("request_contact") or b.get("request_phone_number") or b.get("request_location") or (
                "request_poll" in b
            ):
                continue  # Client.cpp tries these first: the button is of their type
            url = read_web_app_url(b["web_app"], "can't parse keyboard button")
            if b.get("text"):  # TDLib drops a button without text before looking at its type
                urls.append(url)
    for url in urls:
        if not private:
            raise ApiError(400, "Bad Request: web App buttons can be used in private chats only")
        checked_web_app_url(url, check_error="keyboard button Web App", user_link=WEB_APP_BUTTON_USER_LINK)


def _validate_button(b: Any) -> dict[str, Any]:
    if not isinstance(b, dict):
        raise ApiError(400, "Bad Request: can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    text = b.get("text")
    if not isinstance(text, str):
        raise ApiError(400, "Bad Request: can't parse inline keyboard button: Field \"text\" must be of type String")
    if text and not text.strip():
        # an empty text drops the button (ReplyMarkup.cpp); a blank one reaches Telegram's server, which refuses it
        raise ApiError(400, "Bad Request: BUTTON_TEXT_INVALID")
    # An empty string counts as absent, as in the real Bot API (so "" gives "Text buttons are unallowed").
    actions = [k for k in _BUTTON_ACTIONS if b.get(k) is not None and b.get(k) != ""]
    if not actions:
        raise ApiError(
            400,
            "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
        )
    out: dict[str, Any] = {"text": text}
    if "url" in actions:  # Client::get_inline_keyboard_button_type tries url first
        url = b["url"]
        if not isinstance(url, str):
            raise ApiError(400, "Bad Request: can't parse inline keyboard button: Field \"url\" must be of type String")
        try:
            out["url"] = check_link(url)
        except LinkError as exc:
            raise ApiError(400, f"Bad Request: inline keyboard button {exc}") from None
        return out
    if "callback_data" in actions:
        data = b["callback_data"]
        if not isinstance(data, str) or len(data.encode("utf-8")) > MAX_CALLBACK_DATA:
            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        out["callback_data"] = data
        return out
    k = actions[0]
    if k == "web_app":
        url = web_app_url(b[k], parse_error="can't parse inline keyboard button",
                          check_error="inline keyboard button Web App", user_link=WEB_APP_BUTTON_USER_LINK)
        out[k] = {"url": url}  # TDLib keeps the normalised URL (get_inline_keyboard_button), as the answer shows
        return out
    out[k] = b[k]
    return out


def _intern(s: str | None) -> str | None:
    return sys.intern(s) if s is not None else None
