"""The local Bot API server's inline mode: answerInlineQuery's limits and errors as telegram-bot-api and Telegram
give them (localbotapi/inline.py cites the sources), getMe, and chosen results."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from localbotapi import Limits, LocalBotApi

TOKEN = "8080:inline-token"
USER = 61
GROUP = -6100
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


@pytest.fixture
def server() -> Iterator[LocalBotApi]:
    with LocalBotApi(limits=Limits(enabled=False)) as s:
        s.add_bot(TOKEN)
        s.add_user(USER, "赵六")
        s.add_group(GROUP, "工作群")
        yield s


def _article(i: int | str, **extra: Any) -> dict[str, Any]:
    return {"type": "article", "id": str(i), "title": f"标题{i}",
            "input_message_content": {"message_text": f"<b>标题{i}</b>", "parse_mode": "HTML"}, **extra}


def _call(server: LocalBotApi, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
    body = {k: json.dumps(v) if isinstance(v, list | dict) else v for k, v in params.items()}
    r = httpx.post(f"{server.api_base_url()}{TOKEN}/{method}", data=body)
    return r.status_code, r.json()


def _answer(server: LocalBotApi, results: Any, **params: Any) -> tuple[int, dict[str, Any]]:
    query_id = server.inline_query(TOKEN, USER, "景区")
    return _call(server, "answerInlineQuery", inline_query_id=query_id, results=results, **params)


def test_inline_mode_is_off_until_switched_on_and_get_me_says_so(server: LocalBotApi) -> None:
    assert _call(server, "getMe")[1]["result"]["supports_inline_queries"] is False
    with pytest.raises(ValueError, match="setinline"):
        server.inline_query(TOKEN, USER, "景区")
    server.set_inline(TOKEN, "搜索")
    assert _call(server, "getMe")[1]["result"]["supports_inline_queries"] is True
    query_id = server.inline_query(TOKEN, USER, "景区", "20")
    update = _call(server, "getUpdates")[1]["result"][-1]["inline_query"]
    assert (update["id"], update["query"], update["offset"], update["from"]["id"]) == (query_id, "景区", "20", USER)


def test_a_valid_answer_is_stored_with_its_cache_time_clamped(server: LocalBotApi) -> None:
    server.set_inline(TOKEN)
    query_id = server.inline_query(TOKEN, USER, "景区")
    status, body = _call(server, "answerInlineQuery", inline_query_id=query_id, results=[_article(1), _article(2)],
                         cache_time=100_000, next_offset="2", is_personal=True)
    assert (status, body) == (200, {"ok": True, "result": True})
    answer = server.inline_answer(query_id)
    assert answer is not None
    assert answer["cache_time"] == 86400 and answer["next_offset"] == "2" and answer["is_personal"] is True
    assert [r["message_text"] for r in answer["results"]] == ["标题1", "标题2"]


@pytest.mark.parametrize(
    ("results", "params", "description"),
    [
        ([_article(i) for i in range(51)], {}, "Bad Request: Too many inline query results specified"),
        ([_article(1), _article(1)], {}, "Bad Request: RESULT_ID_DUPLICATE"),
        ([_article("x" * 65)], {}, "Bad Request: RESULT_ID_INVALID"),
        ([_article(1)], {"next_offset": "9" * 65}, "Bad Request: NEXT_OFFSET_INVALID"),
        ({"type": "article"}, {}, "Bad Request: Expected an Array of inline query results"),
        ([5], {}, "Bad Request: Can't parse inline query result: Inline query result must be an object"),
        ([{"type": "article", "id": "1", "input_message_content": {"message_text": "x"}}], {},
         "Bad Request: Can't parse inline query result: Can't find field \"title\""),
        ([{"type": "article", "id": "1", "title": "t"}], {},
         "Bad Request: Can't parse inline query result: Can't find field \"message_text\""),
        ([_article(1, input_message_content={"message_text": "<b>open", "parse_mode": "HTML"})], {},
         "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\""),
    ],
)
def test_answers_over_telegrams_limits_are_refused(
    server: LocalBotApi, results: Any, params: dict[str, Any], description: str
) -> None:
    server.set_inline(TOKEN)
    status, body = _answer(server, results, **params)
    assert (status, body["description"]) == (400, description)


def test_a_result_with_a_mini_app_button_is_refused(server: LocalBotApi) -> None:
    """A chosen result may land in any chat, and Telegram takes Mini App buttons in private chats only."""
    server.set_inline(TOKEN)
    mini_app = {"inline_keyboard": [[{"text": "阅读", "web_app": {"url": "https://reader.example.org/i/1"}}]]}
    status, body = _answer(server, [_article(1, reply_markup=mini_app)])
    assert (status, body["description"]) == (400, "Bad Request: BUTTON_TYPE_INVALID")
    link = {"inline_keyboard": [[{"text": "阅读", "url": "https://reader.example.org/i/1"}]]}
    assert _answer(server, [_article(1, reply_markup=link)])[0] == 200


def test_a_result_mini_app_url_and_the_results_button_must_be_https(server: LocalBotApi) -> None:
    """TDLib checks a result's keyboard before Telegram's server refuses its Mini App button; answerInlineQuery's
    button is checked by InlineQueriesManager::answer_inline_query with the same https-only check_link."""
    server.set_inline(TOKEN)
    mini_app = {"inline_keyboard": [[{"text": "阅读", "web_app": {"url": "http://reader.example.org/i/1"}}]]}
    status, body = _answer(server, [_article(1, reply_markup=mini_app)])
    assert (status, body["description"]) == (
        400, "Bad Request: inline keyboard button Web App URL 'http://reader.example.org/i/1' is invalid: "
             "Only HTTPS links are allowed")
    button = {"text": "打开阅读器", "web_app": {"url": "http://reader.example.org"}}
    status, body = _answer(server, [_article(1)], button=button)
    assert (status, body["description"]) == (
        400, "Bad Request: inline query button Web App URL 'http://reader.example.org' is invalid: "
             "Only HTTPS links are allowed")
    query_id = server.inline_query(TOKEN, USER, "景区")
    button = {"text": "打开阅读器", "web_app": {"url": "https://reader.example.org"}}
    assert _call(server, "answerInlineQuery", inline_query_id=query_id, results=[_article(1)], button=button)[0] == 200
    answer = server.inline_answer(query_id)
    assert answer is not None and answer["button"] == button


def test_an_unknown_or_already_answered_query_is_too_old(server: LocalBotApi) -> None:
    server.set_inline(TOKEN)
    assert _call(server, "answerInlineQuery", inline_query_id="12345", results=[])[1]["description"] == QUERY_TOO_OLD
    query_id = server.inline_query(TOKEN, USER, "景区")
    assert _call(server, "answerInlineQuery", inline_query_id=query_id, results=[])[0] == 200
    again = _call(server, "answerInlineQuery", inline_query_id=query_id, results=[_article(1)])
    assert again[1]["description"] == QUERY_TOO_OLD


def test_a_chosen_result_is_sent_via_the_bot_and_reported_with_feedback_on(server: LocalBotApi) -> None:
    server.set_inline(TOKEN, feedback=True)
    query_id = server.inline_query(TOKEN, USER, "景区")
    _call(server, "answerInlineQuery", inline_query_id=query_id, results=[_article(7)])
    message = server.choose_inline_result(TOKEN, query_id, "7", GROUP)
    assert message["text"] == "标题7" and message["via_bot"]["is_bot"] is True
    assert message["entities"] == [{"type": "bold", "offset": 0, "length": 3}]
    updates = _call(server, "getUpdates")[1]["result"]
    assert updates[-1]["chosen_inline_result"] == {"result_id": "7", "from": updates[-1]["chosen_inline_result"]
                                                   ["from"], "query": "景区"}
    with pytest.raises(ValueError, match="no result"):
        server.choose_inline_result(TOKEN, query_id, "8", GROUP)


def test_without_inline_feedback_a_chosen_result_is_not_reported(server: LocalBotApi) -> None:
    server.set_inline(TOKEN, feedback=False)
    query_id = server.inline_query(TOKEN, USER, "景区")
    _call(server, "answerInlineQuery", inline_query_id=query_id, results=[_article(7)])
    before = len(_call(server, "getUpdates")[1]["result"])
    server.choose_inline_result(TOKEN, query_id, "7", GROUP)
    assert len(_call(server, "getUpdates")[1]["result"]) == before
