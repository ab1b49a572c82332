"""Inline mode: users' inline queries, answerInlineQuery with Telegram's limits and errors, and chosen results.

As on Telegram, a bot gets inline queries only once inline mode is switched on for it (BotFather's /setinline;
here the control `set_inline(token, placeholder)`), and getMe then says `supports_inline_queries: true`. A
chosen result is reported as a chosen_inline_result update only with inline feedback on (BotFather's
/setinlinefeedback; here `set_inline(token, feedback=True)`, the default once inline mode is on).

answerInlineQuery follows telegram-bot-api's Client.cpp (process_answer_inline_query_query,
get_inline_query_results, get_inline_query_result): `results` is a JSON array of at most 50 objects, each with
"type" and "id" (and for type "article" "title" and "input_message_content"), cache_time is clamped to
0..86400 (default 300). What Telegram's own servers then refuse is answered with their error names: a duplicate
id RESULT_ID_DUPLICATE, an id of more than 64 bytes RESULT_ID_INVALID, a next_offset of more than 64 bytes
NEXT_OFFSET_INVALID, and an unknown, already answered or expired query the text Client.cpp gives
QUERY_ID_INVALID. Only "article" results are implemented; other types are refused (stricter, never looser).
"""

from __future__ import annotations

import copy
import itertools
import re
import time
from dataclasses import dataclass, field
from typing import Any

from .commands import QUERY_TOO_OLD, CommandsApi
from .content import BUTTON_TYPE_INVALID, ContentChecks, _validate_markup, has_web_app, web_app_url
from .control import ControlApi
from .model import ApiError, Bot
from .params import Params

MAX_RESULTS = 50
MAX_RESULT_ID_BYTES = 64
MAX_NEXT_OFFSET_BYTES = 64
MAX_CACHE_TIME = 24 * 60 * 60
DEFAULT_CACHE_TIME = 300
MAX_QUERY_CHARS = 256
# How long a query may wait for its answer (Telegram's is not documented; its clients give up after about 10 s).
QUERY_TIMEOUT = 10.0

@dataclass
class InlineQuery:
    id: str
    user_id: int
    query: str
    offset: str
    created: float
    answer: dict[str, Any] | None = None


@dataclass
class InlineState:
    """Per server: which bots have inline mode (token -> feedback on), the queries, and the answers."""

    enabled: dict[str, bool] = field(default_factory=dict)
    placeholders: dict[str, str] = field(default_factory=dict)
    queries: dict[str, InlineQuery] = field(default_factory=dict)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))


def _bad(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


_START_PARAMETER = re.compile(r"[A-Za-z0-9_-]+")


def _results_button(value: Any) -> dict[str, Any] | None:
    """answerInlineQuery's button, read as Client::get_inline_query_results_button and checked as
    InlineQueriesManager::answer_inline_query does (a Mini App URL must be https); None when there is none."""
    if value is None:
        return None

    def refuse(detail: str) -> ApiError:
        return _bad(f"can't parse inline query results button: {detail}")

    if not isinstance(value, dict):
        raise refuse("InlineQueryResultsButton must be an Object")
    text = value.get("text")
    if not isinstance(text, str):
        raise refuse('Can\'t find field "text"' if text is None else 'Field "text" must be of type String')
    if "start_parameter" in value:
        start = value["start_parameter"]
        if not isinstance(start, str):
            raise refuse('Field "start_parameter" must be of type String')
        if not start:
            raise _bad("can't use empty start_parameter")
        if len(start) > 64:
            raise _bad("too long start_parameter specified")
        if not _START_PARAMETER.fullmatch(start):
            raise _bad("unallowed characters in start_parameter are used")
        return {"text": text, "start_parameter": start}
    if "web_app" in value:
        web_app_url(value["web_app"], parse_error="can't parse inline query results button",
                    check_error="inline query button Web App",
                    user_link="link to a user can't be used in the Web App button")
        return {"text": text, "web_app": {"url": str(value["web_app"]["url"])}}  # passed on as given
    raise refuse("InlineQueryResultsButton must have exactly one optional field")


class InlineApi(ControlApi, CommandsApi, ContentChecks):
    """answerInlineQuery, getMe's supports_inline_queries, and the controls that act as users typing `@bot …`."""

    def _inline(self) -> InlineState:
        state: InlineState | None = getattr(self, "_inline_state", None)
        if state is None:
            state = InlineState()
            self._inline_state = state
        return state

    # --- the Bot API

    def _m_getMe(self, bot: Bot, p: Params) -> dict[str, Any]:
        d = CommandsApi._m_getMe(self, bot, p)
        d["supports_inline_queries"] = bot.token in self._inline().enabled
        return d

    def _m_answerInlineQuery(self, bot: Bot, p: Params) -> bool:
        query_id = p.get_str("inline_query_id") or ""
        button = _results_button(p.get_json("button", "inline query results button"))
        cache_time = p.get_int("cache_time")
        cache_time = DEFAULT_CACHE_TIME if cache_time is None else min(max(cache_time, 0), MAX_CACHE_TIME)
        next_offset = p.get_str("next_offset") or ""
        results = self._inline_results(p)
        if len(next_offset.encode("utf-8")) > MAX_NEXT_OFFSET_BYTES:
            raise _bad("NEXT_OFFSET_INVALID")
        state = self._inline()
        q = state.queries.get(query_id)
        if q is None or q.answer is not None or time.monotonic() - q.created > QUERY_TIMEOUT:
            raise ApiError(400, QUERY_TOO_OLD)
        q.answer = {
            "results": results, "cache_time": cache_time, "is_personal": p.get_bool("is_personal"),
            "next_offset": next_offset, "button": button,
        }
        return True

    def _inline_results(self, p: Params) -> list[dict[str, Any]]:
        raw = p.raw("results")
        if raw is None:
            return []
        values = p.get_json("results", "inline query results") if isinstance(raw, str) else raw
        if values is None:
            return []
        if not isinstance(values, list):
            raise _bad("Expected an Array of inline query results")
        if len(values) > MAX_RESULTS:
            raise _bad("Too many inline query results specified")
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        for value in values:
            result = self._inline_result(value)
            if result["id"] in seen:
                raise _bad("RESULT_ID_DUPLICATE")
            seen.add(result["id"])
            out.append(result)
        return out

    def _inline_result(self, value: Any) -> dict[str, Any]:
        def refuse(detail: str) -> ApiError:
            return _bad(f"Can't parse inline query result: {detail}")

        if not isinstance(value, dict):
            raise refuse("Inline query result must be an object")
        for name in ("type", "id"):
            if not isinstance(value.get(name), str):
                raise refuse(f'Can\'t find field "{name}"')
        kind = value["type"].lower()
        if kind != "article":
            raise refuse(f"unsupported inline query result type {kind!r} (the local server knows only article)")
        result_id = value["id"]
        if not result_id or len(result_id.encode("utf-8")) > MAX_RESULT_ID_BYTES:
            raise _bad("RESULT_ID_INVALID")
        if not isinstance(value.get("title"), str):
            raise refuse('Can\'t find field "title"')
        content = value.get("input_message_content")
        if not isinstance(content, dict) or not isinstance(content.get("message_text"), str):
            raise refuse('Can\'t find field "message_text"')
        html, parsed = self._parse(content["message_text"], content.get("parse_mode"),
                                   entities=content.get("entities"))
        out: dict[str, Any] = {
            "type": kind, "id": result_id, "title": value["title"], "description": value.get("description"),
            "url": value.get("url"), "message_text": parsed.text, "entities": list(parsed.entities),
            "html": html, "link_preview_options": content.get("link_preview_options"),
        }
        if value.get("reply_markup") is not None:
            markup = _validate_markup(value["reply_markup"], inline_only=True)
            if markup is not None and has_web_app(markup):
                raise ApiError(400, BUTTON_TYPE_INVALID)  # a result may be sent into any chat
            out["reply_markup"] = markup
        return out

    # --- control: BotFather's switches, a user typing `@bot words`, and choosing a result

    def set_inline(self, token: str, placeholder: str = "", *, enabled: bool = True, feedback: bool = True) -> None:
        """BotFather's /setinline (PLACEHOLDER) and /setinlinefeedback for the bot with TOKEN."""
        with self._lock:
            self._bot(token)
            state = self._inline()
            if enabled:
                state.enabled[token] = feedback
                state.placeholders[token] = placeholder
            else:
                state.enabled.pop(token, None)

    def inline_query(self, token: str, user_id: int, query: str, offset: str = "", chat_type: str = "sender") -> str:
        """User USER_ID types `@bot QUERY` (OFFSET: the next page Telegram asks for); returns the query id."""
        with self._lock:
            bot = self._bot(token)
            user = self._user(user_id)
            state = self._inline()
            if token not in state.enabled:
                raise ValueError("inline mode is off for this bot: switch it on with BotFather's /setinline "
                                 "(here: set_inline)")
            query_id = str(next(state.ids) * 1_000_003)
            text = query[:MAX_QUERY_CHARS]
            state.queries[query_id] = InlineQuery(query_id, user_id, text, offset, time.monotonic())
            payload = {"id": query_id, "from": user.as_dict(), "query": text, "offset": offset,
                       "chat_type": chat_type}
            self._enqueue(bot, "inline_query", payload, None)
            return query_id

    def inline_answer(self, query_id: str) -> dict[str, Any] | None:
        """What the bot answered to inline query QUERY_ID (None: not yet)."""
        with self._lock:
            q = self._inline().queries.get(query_id)
            return copy.deepcopy(q.answer) if q is not None and q.answer is not None else None

    def choose_inline_result(self, token: str, query_id: str, result_id: str, chat_id: int) -> dict[str, Any]:
        """The user who sent QUERY_ID picks RESULT_ID and sends it into CHAT_ID: the message appears there as
        theirs, via the bot, and the bot gets chosen_inline_result when inline feedback is on. Returns the
        message."""
        with self._lock:
            bot = self._bot(token)
            state = self._inline()
            q = state.queries.get(query_id)
            if q is None or q.answer is None:
                raise ValueError(f"inline query {query_id} has no answer to choose from")
            result = next((r for r in q.answer["results"] if r["id"] == result_id), None)
            if result is None:
                raise ValueError(f"no result {result_id!r} in the answer to inline query {query_id}")
            user = self._user(q.user_id)
            chat = self._chats.get(chat_id)
            if chat is None:
                raise ValueError(f"unknown chat {chat_id}")
            msg: dict[str, Any] = {
                "message_id": self._new_message_id(chat), "from": user.as_dict(), "chat": chat.as_dict(),
                "date": int(time.time()), "text": result["message_text"], "via_bot": bot.as_user_dict(),
            }
            if result["entities"]:
                msg["entities"] = result["entities"]
            if result.get("reply_markup"):
                msg["reply_markup"] = result["reply_markup"]
            chat.add_user_message(msg)
            if state.enabled.get(token):
                self._enqueue(bot, "chosen_inline_result",
                              {"result_id": result_id, "from": user.as_dict(), "query": q.query}, None)
            return copy.deepcopy(msg)
