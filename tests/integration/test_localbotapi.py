"""The local Bot API server answers like api.telegram.org: shapes, errors, updates, webhooks, commands, files."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from aiohttp import web
from support.api import bot_api
from support.localbotapi import TOKEN, Reply, call, call_form, error

from localbotapi import Limits, LocalBotApi

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)


@pytest.fixture
def server() -> Iterator[LocalBotApi]:
    with bot_api(TOKEN, users=[(1002, "Han", "en")], local_mode=True) as s:
        s.add_user(1001, "李雷", username="lilei")
        yield s


# ---------------------------------------------------------------------------- routing and shapes


def test_get_me_shape_and_unknown_token_and_method(server: LocalBotApi) -> None:
    me = call(server, "getMe").result
    assert me["id"] == 123456789
    assert me["is_bot"] is True
    assert me["username"] == "bulletin_test_bot"
    assert me["first_name"] == "Bulletin"

    assert error(call(server, "getMe", token="999:nope")) == (401, "Unauthorized", None)
    assert error(call(server, "sendMessageNow")) == (404, "Not Found", None)


def test_method_names_are_case_insensitive_and_get_with_query_string_works(server: LocalBotApi) -> None:
    r = httpx.get(f"{server.api_base_url()}{TOKEN}/SENDMESSAGE", params={"chat_id": "1001", "text": "hi"})
    assert r.status_code == 200
    assert r.json()["result"]["text"] == "hi"
    assert server.method_counts()[("sendMessage", 200)] == 1


def test_form_and_multipart_parameters_with_json_encoded_sub_objects(server: LocalBotApi) -> None:
    markup = {"inline_keyboard": [[{"text": "打开", "callback_data": "open:1"}]]}
    r = call_form(server, "sendMessage", chat_id=1001, text="<b>x</b>", parse_mode="HTML", reply_markup=markup)
    assert r.result["reply_markup"] == markup
    assert r.result["entities"] == [{"type": "bold", "offset": 0, "length": 1}]

    files = {"document": ("报告.txt", b"abc", "text/plain")}
    r2 = httpx.post(
        f"{server.api_base_url()}{TOKEN}/sendDocument",
        data={"chat_id": "1001", "caption": "c", "reply_markup": json.dumps(markup)},
        files=files,
    )
    assert r2.status_code == 200, r2.text
    assert r2.json()["result"]["reply_markup"] == markup


def test_send_message_shape_dates_and_increasing_ids(server: LocalBotApi) -> None:
    before = int(time.time())
    first = call(server, "sendMessage", chat_id=1001, text="第一条").result
    second = call(server, "sendMessage", chat_id=1001, text="第二条", protect_content=True).result
    other = call(server, "sendMessage", chat_id=1002, text="hello").result
    assert second["message_id"] == first["message_id"] + 1
    assert other["message_id"] == 1  # ids are per chat
    assert first["from"] == {"id": 123456789, "is_bot": True, "first_name": "Bulletin", "username": "bulletin_test_bot"}
    assert first["chat"] == {"id": 1001, "first_name": "李雷", "username": "lilei", "type": "private"}
    assert isinstance(first["date"], int) and before <= first["date"] <= int(time.time())
    assert "entities" not in first and "edit_date" not in first and "reply_markup" not in first
    assert second["has_protected_content"] is True
    sent = server.messages(1001)
    assert [m.text for m in sent] == ["第一条", "第二条"]
    assert [m.protect_content for m in sent] == [False, True]


def test_user_commands_get_bot_command_entities(server: LocalBotApi) -> None:
    msg = server.send_text(TOKEN, 1001, 1001, "/search@bulletin_test_bot 景区 门票")
    assert msg["entities"] == [{"type": "bot_command", "offset": 0, "length": len("/search@bulletin_test_bot")}]
    assert msg["from"]["language_code"] == "zh-hans"
    assert msg["from"]["is_bot"] is False
    plain = server.send_text(TOKEN, 1001, 1001, "你好 /start")
    assert "entities" not in plain
    assert plain["message_id"] == msg["message_id"] + 1


def test_group_message_and_reply_parameters(server: LocalBotApi) -> None:
    server.add_group(-4001, "办公室")
    user_msg = server.send_text(TOKEN, -4001, 1001, "/latest@bulletin_test_bot")
    assert user_msg["chat"] == {"id": -4001, "title": "办公室", "type": "group"}
    reply = call(
        server, "sendMessage", chat_id=-4001, text="ok", reply_parameters={"message_id": user_msg["message_id"]}
    ).result
    assert reply["reply_to_message"]["text"] == "/latest@bulletin_test_bot"
    missing = call(server, "sendMessage", chat_id=-4001, text="ok", reply_parameters={"message_id": 999})
    assert error(missing) == (400, "Bad Request: message to be replied not found", None)
    allowed = call(
        server,
        "sendMessage",
        chat_id=-4001,
        text="ok",
        reply_parameters={"message_id": 999, "allow_sending_without_reply": True},
    ).result
    assert "reply_to_message" not in allowed


# ---------------------------------------------------------------------------- chat state errors


def test_chat_state_errors(server: LocalBotApi) -> None:
    assert error(call(server, "sendMessage", chat_id=555, text="x")) == (400, "Bad Request: chat not found", None)
    assert error(call(server, "sendMessage", chat_id="@nobody", text="x"))[1] == "Bad Request: chat not found"

    server.block(1001)
    assert error(call(server, "sendMessage", chat_id=1001, text="x")) == (
        403,
        "Forbidden: bot was blocked by the user",
        None,
    )
    server.unblock(1001)
    assert call(server, "sendMessage", chat_id=1001, text="x").status == 200

    server.add_user(1003, "New", started=False)
    assert error(call(server, "sendMessage", chat_id=1003, text="x")) == (
        403,
        "Forbidden: bot can't initiate conversation with a user",
        None,
    )
    server.send_text(TOKEN, 1003, 1003, "/start")
    assert call(server, "sendMessage", chat_id=1003, text="x").status == 200

    server.deactivate_user(1002)
    assert error(call(server, "sendMessage", chat_id=1002, text="x")) == (403, "Forbidden: user is deactivated", None)


@pytest.mark.parametrize("kind", ["group", "supergroup", "channel"])
def test_kicked_from_group_kinds(server: LocalBotApi, kind: str) -> None:
    server.add_group(-1001234567890, "频道", type=kind)
    assert call(server, "sendMessage", chat_id=-1001234567890, text="x").status == 200
    server.kick(-1001234567890)
    assert error(call(server, "sendMessage", chat_id=-1001234567890, text="x")) == (
        403,
        f"Forbidden: bot was kicked from the {kind} chat",
        None,
    )


def test_migrated_group_answers_with_migrate_to_chat_id(server: LocalBotApi) -> None:
    server.add_group(-4002, "科室")
    new_id = server.migrate_group(-4002)
    assert str(new_id).startswith("-100") and len(str(new_id)) == 14
    status, description, params = error(call(server, "sendMessage", chat_id=-4002, text="x"))
    assert (status, description) == (400, "Bad Request: group chat was upgraded to a supergroup chat")
    assert params == {"migrate_to_chat_id": new_id}
    moved = call(server, "sendMessage", chat_id=new_id, text="x").result
    assert moved["chat"]["type"] == "supergroup"
    # the service messages Telegram sends about the migration are queued as updates
    updates = call(server, "getUpdates").result
    kinds = [u["message"].get("migrate_to_chat_id") or u["message"].get("migrate_from_chat_id") for u in updates]
    assert kinds == [new_id, -4002]


# ---------------------------------------------------------------------------- text limits


def test_text_length_limits_in_utf16_after_parsing(server: LocalBotApi) -> None:
    assert call(server, "sendMessage", chat_id=1001, text="a" * 4096).status == 200
    assert error(call(server, "sendMessage", chat_id=1001, text="a" * 4097)) == (
        400,
        "Bad Request: message is too long",
        None,
    )
    # an emoji outside the BMP counts as 2 UTF-16 code units
    assert call(server, "sendMessage", chat_id=1001, text="😀" * 2048).status == 200
    assert error(call(server, "sendMessage", chat_id=1001, text="😀" * 2048 + "a"))[1] == (
        "Bad Request: message is too long"
    )
    # CJK characters are 1 unit each although 3 bytes in UTF-8
    assert call(server, "sendMessage", chat_id=1001, text="简" * 4096).status == 200
    # tags and entities do not count: the length is that of the parsed text
    html = "<b>" + "&lt;" * 4096 + "</b>"
    assert call(server, "sendMessage", chat_id=1001, text=html, parse_mode="HTML").status == 200
    assert error(call(server, "sendMessage", chat_id=1001, text="<i>x</i>" + "y" * 4096, parse_mode="HTML"))[1] == (
        "Bad Request: message is too long"
    )
    # the raw request text has its own byte limit
    assert error(call(server, "sendMessage", chat_id=1001, text="<b></b>" * 4700, parse_mode="HTML")) == (
        400,
        "Bad Request: text is too long",
        None,
    )


def test_empty_text(server: LocalBotApi) -> None:
    # Client::get_input_message_text refuses an empty parameter; TDLib's fix_formatted_text a text that trims to
    # nothing ("Text must be non-empty", MessageEntity.cpp)
    empty = "Bad Request: message text is empty"
    blank = "Bad Request: text must be non-empty"
    assert error(call(server, "sendMessage", chat_id=1001, text="")) == (400, empty, None)
    assert error(call(server, "sendMessage", chat_id=1001)) == (400, empty, None)
    assert error(call(server, "sendMessage", chat_id=1001, text=" \n ")) == (400, blank, None)
    assert error(call(server, "sendMessage", chat_id=1001, text="<b> </b>", parse_mode="HTML")) == (400, blank, None)


def test_html_errors_through_the_api(server: LocalBotApi) -> None:
    r = call(server, "sendMessage", chat_id=1001, text="第一行<br>第二行", parse_mode="HTML")
    assert error(r) == (400, 'Bad Request: can\'t parse entities: Unsupported start tag "br" at byte offset 9', None)
    r = call(server, "sendMessage", chat_id=1001, text="<b>粗体", parse_mode="HTML")
    assert error(r)[1] == 'Bad Request: can\'t parse entities: Can\'t find end tag corresponding to start tag "b"'
    # without parse_mode the same text is sent literally
    ok = call(server, "sendMessage", chat_id=1001, text="第一行<br>第二行").result
    assert ok["text"] == "第一行<br>第二行"
    # Markdown is not implemented locally: refused rather than guessed
    assert call(server, "sendMessage", chat_id=1001, text="*x*", parse_mode="MarkdownV2").status == 400


# ---------------------------------------------------------------------------- inline keyboards


def keyboard(*rows: list[str]) -> dict[str, Any]:
    return {"inline_keyboard": [[{"text": d[:10] or "t", "callback_data": d} for d in row] for row in rows]}


def test_callback_data_limits(server: LocalBotApi) -> None:
    assert call(server, "sendMessage", chat_id=1001, text="x", reply_markup=keyboard(["a" * 64])).status == 200
    assert call(server, "sendMessage", chat_id=1001, text="x", reply_markup=keyboard(["简" * 21])).status == 200
    for data in ("a" * 65, "简" * 22):
        r = call(server, "sendMessage", chat_id=1001, text="x", reply_markup=keyboard([data]))
        assert error(r) == (400, "Bad Request: BUTTON_DATA_INVALID", None), data
    # an empty callback_data counts as no action at all, as on api.telegram.org
    r = call(server, "sendMessage", chat_id=1001, text="x", reply_markup=keyboard([""]))
    assert error(r) == (
        400,
        "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
        None,
    )


def test_keyboard_size_limits_and_malformed_markup(server: LocalBotApi) -> None:
    # ReplyMarkup.cpp's get_reply_markup: a row keeps its first 12 buttons, the keyboard its first 300, silently
    thirteen = [f"b{i}" for i in range(13)]
    sent = call(server, "sendMessage", chat_id=1001, text="x", reply_markup=keyboard(thirteen)).result
    assert [b["text"] for b in sent["reply_markup"]["inline_keyboard"][0]] == thirteen[:12]
    rows = [[f"r{r}c{c}" for c in range(10)] for r in range(31)]
    sent = call(server, "sendMessage", chat_id=1001, text="x", reply_markup=keyboard(*rows)).result
    kept = sent["reply_markup"]["inline_keyboard"]
    assert len(kept) == 30 and sum(len(r) for r in kept) == 300 and kept[-1][-1]["text"] == "r29c9"
    r = call_form(server, "sendMessage", chat_id="1001", text="x", reply_markup="{not json")
    assert error(r) == (400, "Bad Request: can't parse reply keyboard markup JSON object", None)
    text_only = {"inline_keyboard": [[{"text": "no action"}]]}
    assert call(server, "sendMessage", chat_id=1001, text="x", reply_markup=text_only).status == 400


# ---------------------------------------------------------------------------- edits and deletes


def test_edit_message_text_and_not_modified(server: LocalBotApi) -> None:
    kb = keyboard(["next"])
    sent = call(server, "sendMessage", chat_id=1001, text="<b>第1页</b>", parse_mode="HTML", reply_markup=kb).result
    mid = sent["message_id"]
    same = call(
        server, "editMessageText", chat_id=1001, message_id=mid, text="<b>第1页</b>", parse_mode="HTML", reply_markup=kb
    )
    assert error(same) == (400, NOT_MODIFIED, None)
    edited = call(
        server, "editMessageText", chat_id=1001, message_id=mid, text="<b>第2页</b>", parse_mode="HTML", reply_markup=kb
    ).result
    assert edited["text"] == "第2页"
    assert isinstance(edited["edit_date"], int)
    assert edited["message_id"] == mid
    # omitting reply_markup removes the keyboard, which is a modification
    plain = call(server, "editMessageText", chat_id=1001, message_id=mid, text="第2页").result
    assert "reply_markup" not in plain and "entities" not in plain
    [m] = server.messages(1001)
    assert m.text == "第2页" and m.edits == ["第2页", "第2页"] and m.reply_markup is None
    assert m.html == "第2页"

    markup_same = call(server, "editMessageReplyMarkup", chat_id=1001, message_id=mid)
    assert error(markup_same) == (400, NOT_MODIFIED, None)
    with_kb = call(server, "editMessageReplyMarkup", chat_id=1001, message_id=mid, reply_markup=kb).result
    assert with_kb["reply_markup"] == kb
    missing = call(server, "editMessageText", chat_id=1001, message_id=999, text="x")
    assert error(missing) == (400, "Bad Request: message to edit not found", None)
    # MessagesManager::edit_message_text does not check the length: Telegram's server answers MESSAGE_TOO_LONG
    too_long = call(server, "editMessageText", chat_id=1001, message_id=mid, text="x" * 4097)
    assert error(too_long) == (400, "Bad Request: MESSAGE_TOO_LONG", None)
    bad_html = call(server, "editMessageText", chat_id=1001, message_id=mid, text="<p>x</p>", parse_mode="HTML")
    assert error(bad_html)[1].startswith("Bad Request: can't parse entities: Unsupported start tag \"p\"")


def test_delete_message(server: LocalBotApi) -> None:
    mid = call(server, "sendMessage", chat_id=1001, text="bye").result["message_id"]
    assert call(server, "deleteMessage", chat_id=1001, message_id=mid).result is True
    assert error(call(server, "deleteMessage", chat_id=1001, message_id=mid)) == (
        400,
        "Bad Request: message to delete not found",
        None,
    )
    assert error(call(server, "editMessageText", chat_id=1001, message_id=mid, text="x"))[1] == (
        "Bad Request: message to edit not found"
    )
    [m] = server.messages(1001)
    assert m.deleted is True


# ---------------------------------------------------------------------------- callback queries


def test_press_button_and_answer_callback_query(server: LocalBotApi) -> None:
    sent = call(server, "sendMessage", chat_id=1001, text="目录", reply_markup=keyboard(["art:1:2"])).result
    with pytest.raises(ValueError):
        server.press_button(TOKEN, 1001, sent["message_id"], "art:9:9", 1001)
    q = server.press_button(TOKEN, 1001, sent["message_id"], "art:1:2", 1001)
    assert isinstance(q["id"], str) and isinstance(q["chat_instance"], str)
    assert q["message"]["message_id"] == sent["message_id"]
    [update] = call(server, "getUpdates").result
    assert update["callback_query"] == q
    assert error(call(server, "answerCallbackQuery", callback_query_id=q["id"], text="x" * 201))[0] == 400
    assert call(server, "answerCallbackQuery", callback_query_id=q["id"], text="已打开").result is True
    too_old = "Bad Request: query is too old and response timeout expired or query ID is invalid"
    assert error(call(server, "answerCallbackQuery", callback_query_id=q["id"])) == (400, too_old, None)
    assert error(call(server, "answerCallbackQuery", callback_query_id="12345")) == (400, too_old, None)
    [answer] = server.callback_answers()
    assert answer["text"] == "已打开" and answer["data"] == "art:1:2" and answer["user_id"] == 1001


def test_callback_query_goes_stale() -> None:
    with LocalBotApi(limits=Limits(enabled=False, callback_query_timeout=0.05)) as s:
        s.add_bot(TOKEN)
        s.add_user(7, "U")
        mid = call(s, "sendMessage", chat_id=7, text="x", reply_markup=keyboard(["d"])).result["message_id"]
        q = s.press_button(TOKEN, 7, mid, "d", 7)
        time.sleep(0.1)
        assert error(call(s, "answerCallbackQuery", callback_query_id=q["id"]))[1].startswith(
            "Bad Request: query is too old"
        )


def test_send_chat_action(server: LocalBotApi) -> None:
    assert call(server, "sendChatAction", chat_id=1001, action="typing").result is True
    assert call(server, "sendChatAction", chat_id=1001, action="dancing").status == 400
    server.block(1001)
    assert call(server, "sendChatAction", chat_id=1001, action="typing").status == 403


# ---------------------------------------------------------------------------- getUpdates


def test_get_updates_offset_confirmation_and_limit(server: LocalBotApi) -> None:
    for i in range(5):
        server.send_text(TOKEN, 1001, 1001, f"m{i}")
    first = call(server, "getUpdates", limit=2).result
    assert [u["message"]["text"] for u in first] == ["m0", "m1"]
    again = call(server, "getUpdates", limit=2).result  # not confirmed yet: delivered again
    assert again == first
    rest = call(server, "getUpdates", offset=first[-1]["update_id"] + 1).result
    assert [u["message"]["text"] for u in rest] == ["m2", "m3", "m4"]
    ids = [u["update_id"] for u in first + rest]
    assert ids == sorted(ids) and len(set(ids)) == 5
    assert call(server, "getUpdates", offset=ids[-1] + 1).result == []
    assert server.pending_updates(TOKEN) == 0


def test_get_updates_long_poll_wakes_on_new_message(server: LocalBotApi) -> None:
    results: list[Reply] = []
    t = threading.Thread(target=lambda: results.append(call_long(server, 20)))
    t.start()
    assert server.wait_for(lambda: server.polling(TOKEN), 10)
    server.send_text(TOKEN, 1001, 1001, "wake up")
    t.join(15)
    assert not t.is_alive()
    assert [u["message"]["text"] for u in results[0].result] == ["wake up"]


def call_long(server: LocalBotApi, timeout: int, **params: Any) -> Reply:
    r = httpx.post(
        f"{server.api_base_url()}{TOKEN}/getUpdates", json={"timeout": timeout, **params}, timeout=timeout + 10
    )
    return Reply(r.status_code, r.json(), r.headers)


def test_get_updates_times_out_empty(server: LocalBotApi) -> None:
    assert call(server, "getUpdates", timeout=1).result == []


def test_overlapping_get_updates_older_gets_409(server: LocalBotApi) -> None:
    older: list[Reply] = []
    t = threading.Thread(target=lambda: older.append(call_long(server, 20)))
    t.start()
    assert server.wait_for(lambda: server.polling(TOKEN), 10)
    newer = call(server, "getUpdates", timeout=0)
    t.join(15)
    assert newer.status == 200
    assert error(older[0]) == (
        409,
        "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
        None,
    )


def test_allowed_updates_filter(server: LocalBotApi) -> None:
    call(server, "getUpdates", allowed_updates=["callback_query"])
    server.send_text(TOKEN, 1001, 1001, "ignored")
    mid = call(server, "sendMessage", chat_id=1001, text="x", reply_markup=keyboard(["d"])).result["message_id"]
    server.press_button(TOKEN, 1001, mid, "d", 1001)
    updates = call(server, "getUpdates").result
    assert [next(k for k in u if k != "update_id") for u in updates] == ["callback_query"]
    # an empty list means every kind except chat_member and reactions
    call(server, "getUpdates", offset=updates[-1]["update_id"] + 1, allowed_updates=[])
    server.send_text(TOKEN, 1001, 1001, "seen")
    assert [u["message"]["text"] for u in call(server, "getUpdates").result] == ["seen"]


def test_block_sends_my_chat_member_update(server: LocalBotApi) -> None:
    server.block(1002)
    [u] = call(server, "getUpdates").result
    member = u["my_chat_member"]
    assert member["chat"]["id"] == 1002
    assert member["old_chat_member"]["status"] == "member"
    assert member["new_chat_member"]["status"] == "kicked"


# ---------------------------------------------------------------------------- webhooks


class Receiver:
    """A tiny aiohttp webhook receiver in its own thread; fails the first ``fail_first`` requests."""

    def __init__(self, fail_first: int = 0) -> None:
        self.received: list[tuple[dict[str, Any], str | None]] = []
        self.fail_first = fail_first
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        if self.fail_first > 0:
            self.fail_first -= 1
            return web.Response(status=500)
        self.received.append((body, request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
        return web.Response(text="ok")

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def setup() -> None:
            app = web.Application()
            app.router.add_post("/hook", self._handle)
            self._runner = web.AppRunner(app)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            self.port = self._runner.addresses[0][1]

        self._loop.run_until_complete(setup())
        self._ready.set()
        self._loop.run_forever()

    def __enter__(self) -> Receiver:
        self._thread.start()
        self._ready.wait()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._runner is not None
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


def test_webhook_delivery_with_secret_and_retry(server: LocalBotApi) -> None:
    with Receiver(fail_first=1) as rx:
        server.send_text(TOKEN, 1001, 1001, "before webhook")
        r = call(server, "setWebhook", url=rx.url, secret_token="s3cr3t-TOKEN_x")
        assert r.result is True and r.body["description"] == "Webhook was set"
        assert error(call(server, "getUpdates")) == (
            409,
            "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the "
            "webhook first",
            None,
        )
        server.send_text(TOKEN, 1001, 1001, "after webhook")
        assert server.wait_for(lambda: len(rx.received) == 2, 10)
        assert [b["message"]["text"] for b, _ in rx.received] == ["before webhook", "after webhook"]
        assert {secret for _, secret in rx.received} == {"s3cr3t-TOKEN_x"}
        info = call(server, "getWebhookInfo").result
        assert info["url"] == rx.url
        assert info["pending_update_count"] == 0
        assert info["last_error_message"].startswith("Wrong response from the webhook: 500")
        assert call(server, "deleteWebhook").result is True
        assert call(server, "getUpdates").result == []
        assert call(server, "getWebhookInfo").result["url"] == ""


def test_set_webhook_validation_and_drop_pending(server: LocalBotApi) -> None:
    assert call(server, "setWebhook", url="ftp://x").status == 400
    assert call(server, "setWebhook", url="http://127.0.0.1:9/h", secret_token="bad token!").status == 400
    server.send_text(TOKEN, 1001, 1001, "old")
    # a webhook that is never reachable keeps the update pending
    assert call(server, "setWebhook", url="http://127.0.0.1:9/h").result is True
    assert call(server, "getWebhookInfo").result["pending_update_count"] == 1
    assert call(server, "deleteWebhook", drop_pending_updates=True).result is True
    assert call(server, "getUpdates").result == []


# ---------------------------------------------------------------------------- commands


def test_bot_commands_per_scope_and_language(server: LocalBotApi) -> None:
    zh = [{"command": "latest", "description": "最新一期"}, {"command": "search", "description": "搜索"}]
    en = [{"command": "latest", "description": "Latest issue"}]
    assert call(server, "setMyCommands", commands=zh).result is True
    assert call(server, "setMyCommands", commands=en, language_code="en").result is True
    private = [{"command": "start", "description": "开始"}]
    assert call(server, "setMyCommands", commands=private, scope={"type": "all_private_chats"}).result is True
    assert call(server, "getMyCommands").result == zh
    assert call(server, "getMyCommands", language_code="en").result == en
    assert call(server, "getMyCommands", scope={"type": "all_private_chats"}).result == private
    assert server.commands(TOKEN) == {"": zh, "en": en}
    assert call(server, "deleteMyCommands", language_code="en").result is True
    assert call(server, "getMyCommands", language_code="en").result == []
    assert call(server, "getMyCommands", language_code="english").status == 400


@pytest.mark.parametrize(
    ("commands", "description"),
    [
        ([{"command": "Latest", "description": "x"}], "Bad Request: BOT_COMMAND_INVALID"),
        # BotCommand.cpp's set_commands checks lengths (in code points, after trimming) before Telegram's server
        ([{"command": "a" * 33, "description": "x"}], "Bad Request: command length must not exceed 32"),
        ([{"command": "最新", "description": "x"}], "Bad Request: BOT_COMMAND_INVALID"),
        ([{"command": " / ", "description": "x"}], "Bad Request: command must be non-empty"),
        ([{"command": "ok", "description": ""}], "Bad Request: command description must be non-empty"),
        ([{"command": "ok", "description": "  "}], "Bad Request: command description must be non-empty"),
        ([{"command": "ok", "description": "x" * 257}], "Bad Request: command description length must not exceed 256"),
        ([{"command": f"c{i}", "description": "x"} for i in range(101)], "Bad Request: BOT_COMMANDS_TOO_MUCH"),
    ],
)
def test_bot_command_validation(server: LocalBotApi, commands: list[dict[str, str]], description: str) -> None:
    assert error(call(server, "setMyCommands", commands=commands)) == (400, description, None)


def test_valid_command_edges(server: LocalBotApi) -> None:
    edge = [{"command": "a" * 32, "description": "d" * 256}] + [
        {"command": f"c_{i}", "description": "x"} for i in range(99)
    ]
    assert call(server, "setMyCommands", commands=edge).result is True


# ---------------------------------------------------------------------------- files


def test_document_upload_get_file_and_download(server: LocalBotApi) -> None:
    data = "简报正文".encode() * 100
    r = httpx.post(
        f"{server.api_base_url()}{TOKEN}/sendDocument",
        data={"chat_id": "1001", "caption": "<b>第1期</b>", "parse_mode": "HTML"},
        files={"document": ("简报.txt", data, "text/plain")},
    )
    msg = r.json()["result"]
    doc = msg["document"]
    assert doc["file_name"] == "简报.txt" and doc["mime_type"] == "text/plain" and doc["file_size"] == len(data)
    assert set(doc) == {"file_name", "mime_type", "file_id", "file_unique_id", "file_size"}
    assert msg["caption"] == "第1期" and msg["caption_entities"] == [{"type": "bold", "offset": 0, "length": 3}]
    f = call(server, "getFile", file_id=doc["file_id"]).result
    assert f["file_size"] == len(data) and f["file_id"] == doc["file_id"]
    download = httpx.get(f"{server.file_base_url()}{TOKEN}/{f['file_path']}")
    assert download.status_code == 200 and download.content == data
    assert httpx.get(f"{server.file_base_url()}{TOKEN}/documents/nope").status_code == 404
    [m] = server.messages(1001)
    assert m.document == ("简报.txt", data)
    # re-sending by file_id works, an unknown id does not
    assert call(server, "sendDocument", chat_id=1001, document=doc["file_id"]).status == 200
    assert error(call(server, "sendDocument", chat_id=1001, document="nope")) == (
        400,
        "Bad Request: wrong file identifier/HTTP URL specified",
        None,
    )


def test_user_document_and_file_too_big(server: LocalBotApi) -> None:
    small = server.send_document(TOKEN, 1001, 1001, "a.docx", b"PK\x03\x04", caption="/import")
    assert small["caption_entities"] == [{"type": "bot_command", "offset": 0, "length": 7}]
    assert call(server, "getFile", file_id=small["document"]["file_id"]).status == 200
    big = server.send_document(TOKEN, 1001, 1001, "big.pdf", b"%" * ((20 << 20) + 1), mime_type="application/pdf")
    assert error(call(server, "getFile", file_id=big["document"]["file_id"])) == (
        400,
        "Bad Request: file is too big",
        None,
    )
    assert error(call(server, "getFile", file_id="unknown"))[0] == 400


def test_send_photo_png(server: LocalBotApi) -> None:
    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x40\x00\x00\x00\xf0\x08\x02\x00\x00\x00" + b"\x00" * 20
    )
    r = httpx.post(
        f"{server.api_base_url()}{TOKEN}/sendPhoto",
        data={"chat_id": "1001"},
        files={"photo": ("chart.png", png, "image/png")},
    )
    [size] = r.json()["result"]["photo"]
    assert (size["width"], size["height"]) == (320, 240)
    bad = httpx.post(
        f"{server.api_base_url()}{TOKEN}/sendPhoto", data={"chat_id": "1001"}, files={"photo": ("x.png", b"nope")}
    )
    assert bad.status_code == 400


# ---------------------------------------------------------------------------- getChat


def test_get_chat(server: LocalBotApi) -> None:
    chat = call(server, "getChat", chat_id=1001).result
    assert chat["id"] == 1001 and chat["type"] == "private" and chat["first_name"] == "李雷"
    assert error(call(server, "getChat", chat_id=-5)) == (400, "Bad Request: chat not found", None)


# ---------------------------------------------------------------------------- control endpoints and CLI


def control(server: LocalBotApi, name: str, **body: Any) -> httpx.Response:
    return httpx.post(f"{server.url}/_control/{name}", json=body, timeout=15)


def test_http_control_endpoints_mirror_the_methods(server: LocalBotApi) -> None:
    assert control(server, "add_user", user_id=2001, first_name="Zhang").json()["ok"] is True
    sent = control(server, "send_text", token=TOKEN, chat_id=2001, user_id=2001, text="/start").json()["result"]
    assert sent["entities"][0]["type"] == "bot_command"
    mid = call(server, "sendMessage", chat_id=2001, text="<b>hi</b>", parse_mode="HTML", reply_markup=keyboard(["d"]))
    message_id = mid.result["message_id"]
    msgs = control(server, "messages", chat_id=2001).json()["result"]
    assert msgs[0]["text"] == "hi" and msgs[0]["html"] == "<b>hi</b>" and msgs[0]["deleted"] is False
    pressed = control(server, "press_button", token=TOKEN, chat_id=2001, message_id=message_id,
                      callback_data="d", user_id=2001)
    assert pressed.json()["result"]["data"] == "d"
    bad = control(server, "press_button", token=TOKEN, chat_id=2001, message_id=message_id,
                  callback_data="zzz", user_id=2001)
    assert bad.status_code == 400 and bad.json()["ok"] is False
    doc = control(server, "send_document", token=TOKEN, chat_id=2001, user_id=2001, filename="a.txt",
                  data_b64=base64.b64encode(b"abc").decode())
    assert doc.json()["result"]["document"]["file_size"] == 3
    counts = control(server, "method_counts").json()["result"]
    assert {"method": "sendMessage", "status": 200, "count": 1} in counts
    assert control(server, "block", user_id=2001).json()["ok"] is True
    assert call(server, "sendMessage", chat_id=2001, text="x").status == 403
    waited = control(server, "wait_messages", chat_id=2001, count=1, timeout=1).json()["result"]
    assert len(waited) == 1
    assert control(server, "no_such_thing").status_code == 404


def test_command_line_entry_point() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "localbotapi", "--port", "0", "--token", TOKEN, "--no-limits"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = line.split("listening on ")[1].split()[0]
        me = httpx.get(f"{url}/bot{TOKEN}/getMe", timeout=10).json()
        assert me["ok"] is True and me["result"]["username"] == "bulletin_test_bot"
    finally:
        proc.terminate()
        assert proc.wait(10) == 0


# ---------------------------------------------------------------------------- more methods and controls


def test_caption_limit_after_parsing(server: LocalBotApi) -> None:
    def send_doc(caption: str) -> httpx.Response:
        return httpx.post(
            f"{server.api_base_url()}{TOKEN}/sendDocument",
            data={"chat_id": "1001", "caption": caption, "parse_mode": "HTML"},
            files={"document": ("a.txt", b"a")},
        )

    assert send_doc("<b>" + "字" * 1024 + "</b>").status_code == 200
    too_long = send_doc("字" * 1025)
    assert too_long.status_code == 400
    assert too_long.json()["description"] == "Bad Request: message caption is too long"


def test_copy_message_and_delete_messages(server: LocalBotApi) -> None:
    mid = call(server, "sendMessage", chat_id=1001, text="<i>原文</i>", parse_mode="HTML").result["message_id"]
    copied = call(server, "copyMessage", chat_id=1002, from_chat_id=1001, message_id=mid).result
    assert copied == {"message_id": 1}
    [m] = server.messages(1002)
    assert m.text == "原文" and m.method == "copyMessage"
    assert call(server, "copyMessage", chat_id=1002, from_chat_id=1001, message_id=99).status == 400
    assert call(server, "deleteMessages", chat_id=1001, message_ids=[mid]).result is True
    assert server.messages(1001)[0].deleted is True
    assert server.message_counts() == {1001: 1, 1002: 1}
    assert server.message_counts(method="copyMessage") == {1002: 1}


def test_user_edits_produce_edited_message_updates(server: LocalBotApi) -> None:
    sent = server.send_text(TOKEN, 1001, 1001, "/search 景区")
    edited = server.edit_text(TOKEN, 1001, 1001, sent["message_id"], "/search 门票")
    assert edited["edit_date"] >= sent["date"]
    updates = call(server, "getUpdates").result
    assert [next(k for k in u if k != "update_id") for u in updates] == ["message", "edited_message"]
    assert updates[1]["edited_message"]["text"] == "/search 门票"
    with pytest.raises(ValueError):
        server.edit_text(TOKEN, 1001, 1002, sent["message_id"], "not theirs")


def test_webhook_keeps_order_within_a_chat(server: LocalBotApi) -> None:
    server.add_group(-4100, "群")
    with Receiver(fail_first=2) as rx:
        assert call(server, "setWebhook", url=rx.url).result is True
        for i in range(5):
            server.send_text(TOKEN, 1001, 1001, f"p{i}")
            server.send_text(TOKEN, -4100, 1002, f"g{i}")
        assert server.wait_for(lambda: len(rx.received) == 10, 20)
    private = [b["message"]["text"] for b, _ in rx.received if b["message"]["chat"]["id"] == 1001]
    group = [b["message"]["text"] for b, _ in rx.received if b["message"]["chat"]["id"] == -4100]
    assert private == [f"p{i}" for i in range(5)]
    assert group == [f"g{i}" for i in range(5)]
    assert all(secret is None for _, secret in rx.received)


def test_stop_and_start_again_keeps_state() -> None:
    s = LocalBotApi(limits=Limits(enabled=False))
    s.start()
    try:
        s.add_bot(TOKEN)
        s.add_user(1, "U")
        s.send_text(TOKEN, 1, 1, "before restart")
        s.stop()
        s.start()
        s.send_text(TOKEN, 1, 1, "after restart")
        results: list[Reply] = []
        first = call(s, "getUpdates").result
        assert [u["message"]["text"] for u in first] == ["before restart", "after restart"]
        t = threading.Thread(target=lambda: results.append(call_long(s, 20, offset=first[-1]["update_id"] + 1)))
        t.start()
        assert s.wait_for(lambda: s.polling(TOKEN), 10)
        s.send_text(TOKEN, 1, 1, "long poll after restart")
        t.join(15)
        assert [u["message"]["text"] for u in results[0].result] == ["long poll after restart"]
    finally:
        s.stop()


def test_abandoned_long_poll_stops_counting(server: LocalBotApi) -> None:
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{server.api_base_url()}{TOKEN}/getUpdates", json={"timeout": 30}, timeout=1)
    assert server.wait_for(lambda: not server.polling(TOKEN), 10)
    # nothing was confirmed: a message sent now is delivered to the next poller
    server.send_text(TOKEN, 1001, 1001, "still here")
    assert [u["message"]["text"] for u in call(server, "getUpdates").result] == ["still here"]


def test_explicit_entities_instead_of_parse_mode(server: LocalBotApi) -> None:
    text = "😀 标题 正文"
    bold = {"type": "bold", "offset": 3, "length": 2}
    sent = call(server, "sendMessage", chat_id=1001, text=text, entities=[bold]).result
    assert sent["text"] == text and sent["entities"] == [bold]
    beyond = call(server, "sendMessage", chat_id=1001, text=text, entities=[{"type": "bold", "offset": 6, "length": 3}])
    assert error(beyond) == (
        400,
        "Bad Request: entity beginning at UTF-16 offset 6 ends after the end of the text at UTF-16 offset 9",
        None,
    )
    for bad in ({"type": "blink", "offset": 0, "length": 1}, {"type": "text_link", "offset": 0, "length": 2}):
        assert error(call(server, "sendMessage", chat_id=1001, text=text, entities=[bad]))[0] == 400
