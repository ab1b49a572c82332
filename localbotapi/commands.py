"""The bot itself, its commands and callback queries: getMe, the accept-only profile methods,
setMyCommands/getMyCommands/deleteMyCommands (scope + language_code) and answerCallbackQuery."""

from __future__ import annotations

import re
import time
from typing import Any

from .content import checked_web_app_url, read_web_app_url
from .model import ApiError, Bot
from .params import Params
from .state import ServerState

MAX_CALLBACK_TEXT = 200


QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


_BOT_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")


_LANG_RE = re.compile(r"^[a-z]{2}$")


class CommandsApi(ServerState):
    """getMe, profile methods, bot commands and answerCallbackQuery."""

    def _m_getMe(self, bot: Bot, p: Params) -> dict[str, Any]:
        d = dict(bot.as_user_dict())
        d.update(
            can_join_groups=True,
            can_read_all_group_messages=False,
            supports_inline_queries=False,
            can_connect_to_business=False,
            has_main_web_app=False,
        )
        return d

    def _m_logOut(self, bot: Bot, p: Params) -> bool:
        return True

    def _m_close(self, bot: Bot, p: Params) -> bool:
        return True

    def _m_setMyDescription(self, bot: Bot, p: Params) -> bool:
        d = p.get_str("description") or ""
        if len(d) > 512:
            raise ApiError(400, "Bad Request: description is too long")
        return True

    def _m_setMyShortDescription(self, bot: Bot, p: Params) -> bool:
        d = p.get_str("short_description") or ""
        if len(d) > 120:
            raise ApiError(400, "Bad Request: short description is too long")
        return True

    def _m_setMyName(self, bot: Bot, p: Params) -> bool:
        return True

    def _m_setChatMenuButton(self, bot: Bot, p: Params) -> bool:
        """Checked as Client::get_bot_menu_button and TDLib's set_menu_button (BotMenuButton.cpp) do, then
        accepted; the button is kept nowhere (no client shows it here)."""
        button = p.get_json("menu_button", "menu button")
        if button is None:
            return True

        def refuse(detail: str) -> ApiError:
            return ApiError(400, f"Bad Request: can't parse menu button: {detail}")

        if not isinstance(button, dict):
            raise refuse("MenuButton must be an Object")
        kind = button.get("type")
        if not isinstance(kind, str):
            raise refuse('Can\'t find field "type"' if kind is None else 'Field "type" must be of type String')
        if kind in ("default", "commands"):
            return True
        if kind != "web_app":
            raise refuse("MenuButton has unsupported type")
        text = button.get("text")
        if not isinstance(text, str):
            raise refuse('Can\'t find field "text"' if text is None else 'Field "text" must be of type String')
        if "web_app" not in button:
            raise refuse('Can\'t find field "web_app"')
        url = read_web_app_url(button["web_app"], "can't parse menu button")
        if not text and url != "default":
            raise ApiError(400, "Bad Request: menu button text must be non-empty")
        if text:
            checked_web_app_url(url, check_error="menu button Web App", user_link=None)
        return True

    def _scope_key(self, p: Params) -> str:
        scope = p.get_json("scope", "bot command scope")
        if scope is None:
            return "default"
        if not isinstance(scope, dict) or "type" not in scope:
            raise ApiError(400, "Bad Request: can't parse bot command scope JSON object")
        stype = scope["type"]
        if stype in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
            return str(stype)
        if stype in ("chat", "chat_administrators"):
            if "chat_id" not in scope:
                raise ApiError(400, "Bad Request: chat_id is empty")
            chat = self._chat(Params({"chat_id": scope["chat_id"]}))
            return f"{stype}:{chat.id}"
        if stype == "chat_member":
            chat = self._chat(Params({"chat_id": scope.get("chat_id")}))
            return f"chat_member:{chat.id}:{scope.get('user_id')}"
        raise ApiError(400, "Bad Request: unsupported bot command scope type")

    def _lang(self, p: Params) -> str:
        lang = p.get_str("language_code") or ""
        if lang and not _LANG_RE.match(lang):
            raise ApiError(400, "Bad Request: invalid language code specified")
        return lang

    def _m_setMyCommands(self, bot: Bot, p: Params) -> bool:
        commands = p.get_json("commands", "bot commands")
        if commands is None:
            commands = []
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: can't parse bot commands JSON object")
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: BOT_COMMANDS_TOO_MUCH")
        clean: list[dict[str, str]] = []
        for c in commands:
            if not isinstance(c, dict) or not isinstance(c.get("command"), str) or not isinstance(
                c.get("description"), str
            ):
                raise ApiError(400, "Bad Request: can't parse BotCommand")
            # BotCommand.cpp's set_commands: both are trimmed, a leading "/" dropped, lengths in code points
            name = c["command"].strip()
            desc = c["description"].strip()
            if name.startswith("/"):
                name = name[1:]
            if not name:
                raise ApiError(400, "Bad Request: command must be non-empty")
            if len(name) > 32:
                raise ApiError(400, "Bad Request: command length must not exceed 32")
            if not desc:
                raise ApiError(400, "Bad Request: command description must be non-empty")
            if len(desc) > 256:
                raise ApiError(400, "Bad Request: command description length must not exceed 256")
            if not _BOT_COMMAND_NAME.match(name):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")  # Telegram's server checks the characters
            clean.append({"command": name, "description": desc})
        key = (self._scope_key(p), self._lang(p))
        if clean:
            bot.commands[key] = clean
        else:
            bot.commands.pop(key, None)
        return True

    def _m_getMyCommands(self, bot: Bot, p: Params) -> list[dict[str, str]]:
        key = (self._scope_key(p), self._lang(p))
        return list(bot.commands.get(key, []))

    def _m_deleteMyCommands(self, bot: Bot, p: Params) -> bool:
        bot.commands.pop((self._scope_key(p), self._lang(p)), None)
        return True

    def _m_answerCallbackQuery(self, bot: Bot, p: Params) -> bool:
        qid = p.get_str("callback_query_id")
        text = p.get_str("text")
        if text is not None and len(text) > MAX_CALLBACK_TEXT:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        q = bot.callback_queries.get(qid or "")
        now = time.monotonic()
        if q is None or q.answered or now - q.created > self.limits.callback_query_timeout:
            raise ApiError(400, QUERY_TOO_OLD)
        q.answered = True
        self._callback_answers.append(
            {
                "callback_query_id": q.id,
                "text": text,
                "show_alert": p.get_bool("show_alert"),
                "url": p.get_str("url"),
                "cache_time": p.get_int("cache_time") or 0,
                "user_id": q.user_id,
                "chat_id": q.chat_id,
                "message_id": q.message_id,
                "data": q.data,
            }
        )
        return True
