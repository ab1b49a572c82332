"""The gaps issue 13 §1 closed in the local Bot API server, each as the real server behaves (localbotapi/README.md
cites the source): message age, held requests, flood control beyond sends, webhook URLs, chat states, exact error
texts and keyboard shapes."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from support.localbotapi import TOKEN, call, error

from localbotapi import Limits, LocalBotApi

USER, GROUP, SUPERGROUP, CHANNEL = 1001, -2001, -1002002, -1002003
HOUR = 3600


@pytest.fixture
def server() -> Iterator[LocalBotApi]:
    with LocalBotApi(limits=Limits(enabled=False)) as s:
        s.add_bot(TOKEN)
        s.add_user(USER, "李雷")
        s.add_user(1002, "韩梅梅")
        s.add_group(GROUP, "办公室")
        s.add_group(SUPERGROUP, "综合科", type="supergroup")
        s.add_group(CHANNEL, "简报", type="channel")
        yield s


def sent(server: LocalBotApi, chat_id: int, text: str = "x", **params: object) -> int:
    return int(call(server, "sendMessage", chat_id=chat_id, text=text, **params).result["message_id"])


# ---------------------------------------------------------------------------- message age


def test_a_bot_message_older_than_48_hours_cannot_be_deleted_for_everyone(server: LocalBotApi) -> None:
    fresh, old = sent(server, USER), sent(server, USER)
    server.advance_clock(47 * HOUR)
    assert call(server, "deleteMessage", chat_id=USER, message_id=fresh).result is True
    server.advance_clock(2 * HOUR)  # `old` is 49 hours old now
    refused = (400, "Bad Request: message can't be deleted for everyone", None)
    assert error(call(server, "deleteMessage", chat_id=USER, message_id=old)) == refused
    assert error(call(server, "deleteMessages", chat_id=USER, message_ids=[old])) == refused
    assert not server.messages(USER)[1].deleted
    group_old = sent(server, GROUP)
    server.advance_clock(49 * HOUR)
    assert error(call(server, "deleteMessage", chat_id=GROUP, message_id=group_old)) == refused
    # supergroups and channels: Telegram's server refuses it (MESSAGE_DELETE_FORBIDDEN)
    super_old = sent(server, SUPERGROUP)
    server.advance_clock(49 * HOUR)
    assert error(call(server, "deleteMessage", chat_id=SUPERGROUP, message_id=super_old)) == (
        400, "Bad Request: message can't be deleted", None
    )
    # the clock shows in message dates; it never runs backwards
    assert sent(server, USER) and server.messages(USER)[-1].date >= int(time.time()) + 147 * HOUR
    with pytest.raises(ValueError):
        server.advance_clock(-1)


# ---------------------------------------------------------------------------- held requests and flood control


def test_a_request_over_a_limit_is_held_up_to_flood_hold_then_succeeds() -> None:
    with LocalBotApi(limits=Limits(private_per_second=0.5, flood_hold=8.0)) as server:
        server.add_bot(TOKEN)
        server.add_user(USER, "李雷")
        sent(server, USER)
        started = time.monotonic()
        second = call(server, "sendMessage", chat_id=USER, text="y")
        assert second.status == 200 and 1.5 <= time.monotonic() - started < 5
        server.set_limits(Limits(private_per_second=0.5, flood_hold=1.0))
        sent(server, USER)
        assert error(call(server, "sendMessage", chat_id=USER, text="z"))[:2] == (
            429, "Too Many Requests: retry after 2"
        )
        assert [m.text for m in server.messages(USER)] == ["x", "y", "x"]


def test_a_slow_fault_answers_late_and_delivers_once(server: LocalBotApi) -> None:
    server.inject_faults(rate=1.0, kinds=("slow",), methods={"sendMessage"}, count=1, hang_seconds=1.5)
    started = time.monotonic()
    assert call(server, "sendMessage", chat_id=USER, text="慢").status == 200
    assert time.monotonic() - started >= 1.5
    assert [m.text for m in server.messages(USER)] == ["慢"]
    assert server.faults() == [{"method": "sendMessage", "kind": "slow", "delivered": True}]


def test_edits_deletes_and_answers_can_be_flood_limited_for_over_a_minute(server: LocalBotApi) -> None:
    mid = sent(server, USER)
    server.inject_faults(
        rate=1.0, kinds=("429",), methods={"editMessageText", "deleteMessage", "answerCallbackQuery"}, retry_after=75
    )
    for method, params in [
        ("editMessageText", {"chat_id": USER, "message_id": mid, "text": "y"}),
        ("deleteMessage", {"chat_id": USER, "message_id": mid}),
        ("answerCallbackQuery", {"callback_query_id": "1"}),
    ]:
        reply = call(server, method, **params)
        assert error(reply) == (429, "Too Many Requests: retry after 75", {"retry_after": 75})
        assert reply.headers["Retry-After"] == "75"


# ---------------------------------------------------------------------------- webhook URLs


@pytest.mark.parametrize(
    ("url", "description"),
    [
        ("http://bot.example.org/hook", "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"),
        (
            "https://bot.example.org:8080/hook",
            "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
        ),
    ],
)
def test_set_webhook_refuses_http_and_other_ports_as_telegram_does(
    server: LocalBotApi, url: str, description: str
) -> None:
    assert error(call(server, "setWebhook", url=url)) == (400, description, None)
    assert server.webhook_info(TOKEN)["url"] == ""


def test_a_local_mode_server_takes_http_webhooks_on_any_port() -> None:
    with LocalBotApi(limits=Limits(enabled=False), local_mode=True) as server:
        server.add_bot(TOKEN)
        assert call(server, "setWebhook", url="http://127.0.0.1:9/hook").result is True
        assert call(server, "deleteWebhook").result is True


# ---------------------------------------------------------------------------- chat states


@pytest.mark.parametrize(
    ("chat_id", "state", "status", "description"),
    [
        (GROUP, "left", 403, "Forbidden: bot is not a member of the group chat"),
        (SUPERGROUP, "left", 403, "Forbidden: bot is not a member of the supergroup chat"),
        (CHANNEL, "left", 403, "Forbidden: bot is not a member of the channel chat"),
        (GROUP, "deleted", 403, "Forbidden: the group chat was deleted"),
        (SUPERGROUP, "deleted", 400, "Bad Request: chat not found"),
        (GROUP, "no_send", 400, "Bad Request: not enough rights to send text messages to the chat"),
        (CHANNEL, "not_admin", 400, "Bad Request: need administrator rights in the channel chat"),
    ],
)
def test_chat_states_answer_as_telegram(
    server: LocalBotApi, chat_id: int, state: str, status: int, description: str
) -> None:
    server.set_chat_state(chat_id, state)
    assert error(call(server, "sendMessage", chat_id=chat_id, text="x")) == (status, description, None)
    server.set_chat_state(chat_id, None)
    assert call(server, "sendMessage", chat_id=chat_id, text="x").status == 200


def test_without_the_right_to_send_the_bot_still_edits_and_a_document_names_its_kind(server: LocalBotApi) -> None:
    mid = sent(server, GROUP)
    server.set_chat_state(GROUP, "no_send")
    assert call(server, "editMessageText", chat_id=GROUP, message_id=mid, text="y").status == 200
    upload = httpx.post(
        f"{server.api_base_url()}{TOKEN}/sendDocument", data={"chat_id": str(GROUP)},
        files={"document": ("简报.txt", "正文".encode(), "text/plain")}, timeout=10,
    )
    assert upload.json()["description"] == "Bad Request: not enough rights to send documents to the chat"
    server.set_chat_state(GROUP, "left")
    assert error(call(server, "deleteMessage", chat_id=GROUP, message_id=mid))[:2] == (
        403, "Forbidden: bot is not a member of the group chat"
    )


# ---------------------------------------------------------------------------- exact texts and shapes


def test_exact_error_texts_of_the_real_server(server: LocalBotApi) -> None:
    mid = sent(server, USER)
    assert error(call(server, "editMessageText", chat_id=USER, text="x" * 4097, message_id=mid))[1] == (
        "Bad Request: MESSAGE_TOO_LONG"
    )
    assert error(call(server, "sendMessage", chat_id=USER, text="x" * 4097))[1] == "Bad Request: message is too long"
    assert error(call(server, "sendMessage", chat_id=USER, text=" \n\t"))[1] == "Bad Request: text must be non-empty"
    assert error(call(server, "editMessageText", chat_id=USER, text="y"))[1] == (
        "Bad Request: message to edit not found"
    )
    assert error(call(server, "editMessageText", text="y"))[1] == "Bad Request: message identifier is not specified"
    assert error(call(server, "getFile"))[1] == "Bad Request: file_id not specified"
    assert error(call(server, "getFile", file_id="nope"))[1] == "Bad Request: invalid file_id"
    assert error(call(server, "sendMessage", chat_id=USER, text="&#xD800;", parse_mode="HTML"))[1] == (
        "Bad Request: can't parse entities: Text contains invalid Unicode characters after decoding HTML entities, "
        "check for unmatched surrogate code units"
    )


def test_attributes_without_a_value_are_accepted(server: LocalBotApi) -> None:
    d = call(server, "sendMessage", chat_id=USER, text="<b foo>粗</b> <a href>example.org</a>", parse_mode="HTML")
    assert d.result["entities"] == [
        {"type": "bold", "offset": 0, "length": 1},
        {"type": "text_link", "offset": 2, "length": 11, "url": "http://example.org/"},
    ]


def test_keyboards_are_cleaned_as_tdlib_does(server: LocalBotApi) -> None:
    kb = {"inline_keyboard": [[{"text": "", "callback_data": "dropped"}, {"text": "留", "callback_data": "k"}],
                              [{"text": "", "callback_data": "gone"}],
                              [{"text": "链接", "url": "HTTPS://Example.ORG"}]]}
    d = call(server, "sendMessage", chat_id=USER, text="x", reply_markup=kb).result
    assert d["reply_markup"] == {"inline_keyboard": [[{"text": "留", "callback_data": "k"}],
                                                     [{"text": "链接", "url": "https://example.org/"}]]}
    # an empty keyboard is no keyboard: sent without one, and an edit with one removes the old keyboard
    bare = call(server, "sendMessage", chat_id=USER, text="x", reply_markup={"inline_keyboard": []}).result
    assert "reply_markup" not in bare
    edited = call(
        server, "editMessageText", chat_id=USER, message_id=d["message_id"], text="y",
        reply_markup={"inline_keyboard": []},
    ).result
    assert "reply_markup" not in edited
    bad = call(server, "sendMessage", chat_id=USER, text="x",
               reply_markup={"inline_keyboard": [[{"text": "坏", "url": "nohost"}]]})
    assert error(bad)[1] == "Bad Request: inline keyboard button URL 'nohost' is invalid: Wrong HTTP URL"


def test_a_mini_app_button_is_refused_outside_a_private_chat_as_telegrams_server_does(server: LocalBotApi) -> None:
    mini_app = {"inline_keyboard": [[{"text": "📖 阅读", "web_app": {"url": "https://reader.example.org/i/1"}}]]}
    link = {"inline_keyboard": [[{"text": "📖 阅读", "url": "https://reader.example.org/i/1"}]]}
    d = call(server, "sendMessage", chat_id=USER, text="x", reply_markup=mini_app).result
    assert d["reply_markup"] == mini_app  # a private chat with the bot takes it (and the check is not cached away)
    for chat_id in (GROUP, SUPERGROUP, CHANNEL):
        group_message = sent(server, chat_id, reply_markup=link)  # a plain link button is fine anywhere
        for method, params in (
            ("sendMessage", {"text": "x"}),
            ("editMessageReplyMarkup", {"message_id": group_message}),
            ("editMessageText", {"message_id": group_message, "text": "y"}),
        ):
            refused = call(server, method, chat_id=chat_id, reply_markup=mini_app, **params)
            assert error(refused) == (400, "Bad Request: BUTTON_TYPE_INVALID", None), (chat_id, method)
    # nothing was stored or changed in the group
    assert [(m.text, m.reply_markup) for m in server.messages(GROUP)] == [("x", link)]


def _mini_app(url: object) -> dict[str, object]:
    return {"inline_keyboard": [[{"text": "📖 阅读", "web_app": {"url": url}}]]}


def test_a_mini_app_url_must_be_https_as_tdlib_checks_it(server: LocalBotApi) -> None:
    """ReplyMarkup.cpp checks a web_app URL with LinkManager::check_link(url, true, !is_test_dc()): https only."""
    ok = call(server, "sendMessage", chat_id=USER, text="x", reply_markup=_mini_app("HTTPS://Reader.Example.ORG"))
    assert ok.result["reply_markup"] == _mini_app("https://reader.example.org/")  # normalised as a URL button
    for url, why in (
        ("http://reader.example.org/i/1", "Only HTTPS links are allowed"),
        ("reader.example.org/i/1", "Only HTTPS links are allowed"),  # no scheme: http
        ("http://127.0.0.1:8080/i/1", "Only HTTPS links are allowed"),
        ("tg://resolve?domain=x", "Only HTTPS links are allowed"),
        ("https://localhost/i/1", "Wrong HTTP URL"),
        ("ftp://reader.example.org", "Unsupported URL protocol"),
        ("https://reader example.org", "Disallowed character in URL host"),
    ):
        refused = call(server, "sendMessage", chat_id=USER, text="x", reply_markup=_mini_app(url))
        assert error(refused) == (
            400, f"Bad Request: inline keyboard button Web App URL '{url}' is invalid: {why}", None
        ), url
    user_link = call(server, "sendMessage", chat_id=USER, text="x", reply_markup=_mini_app("tg://user?id=42"))
    assert error(user_link)[1] == "Bad Request: link to a user can't be used in Web App URL buttons"
    for web_app, why in (("https://reader.example.org", 'Field "web_app" must be of type Object'),
                         ({}, 'Can\'t find field "url"')):
        kb = {"inline_keyboard": [[{"text": "阅读", "web_app": web_app}]]}
        assert error(call(server, "sendMessage", chat_id=USER, text="x", reply_markup=kb))[1] == (
            f"Bad Request: can't parse inline keyboard button: {why}"
        )
    # TDLib checks the URL before Telegram's server sees the chat: a group gets the URL's error first
    assert "Only HTTPS links" in error(
        call(server, "sendMessage", chat_id=GROUP, text="x", reply_markup=_mini_app("http://reader.example.org"))
    )[1]
    # an edit's keyboard is checked the same way; nothing was stored by the refusals
    edit = call(server, "editMessageReplyMarkup", chat_id=USER, message_id=ok.result["message_id"],
                reply_markup=_mini_app("http://reader.example.org"))
    assert error(edit)[0] == 400 and len(server.messages(USER)) == 1


def test_a_reply_keyboard_mini_app_needs_a_private_chat_and_https(server: LocalBotApi) -> None:
    def keyboard(url: str) -> dict[str, object]:
        return {"keyboard": [[{"text": "打开", "web_app": {"url": url}}]], "resize_keyboard": True}

    assert call(server, "sendMessage", chat_id=USER, text="x", reply_markup=keyboard("https://r.example.org")).result
    refused = call(server, "sendMessage", chat_id=USER, text="x", reply_markup=keyboard("http://r.example.org"))
    assert error(refused)[1] == (
        "Bad Request: keyboard button Web App URL 'http://r.example.org' is invalid: Only HTTPS links are allowed"
    )
    in_group = call(server, "sendMessage", chat_id=GROUP, text="x", reply_markup=keyboard("https://r.example.org"))
    assert error(in_group)[1] == "Bad Request: web App buttons can be used in private chats only"


def test_the_menu_button_mini_app_must_be_https(server: LocalBotApi) -> None:
    def menu(url: str, text: str = "阅读") -> dict[str, object]:
        return {"type": "web_app", "text": text, "web_app": {"url": url}}

    assert call(server, "setChatMenuButton", menu_button=menu("https://reader.example.org")).result is True
    assert call(server, "setChatMenuButton", menu_button={"type": "commands"}).result is True
    refused = call(server, "setChatMenuButton", chat_id=USER, menu_button=menu("http://reader.example.org"))
    assert error(refused) == (
        400, "Bad Request: menu button Web App URL 'http://reader.example.org' is invalid: Only HTTPS links are "
             "allowed", None,
    )
    assert error(call(server, "setChatMenuButton", menu_button=menu("https://reader.example.org", "")))[1] == (
        "Bad Request: menu button text must be non-empty"
    )
    assert error(call(server, "setChatMenuButton", menu_button={"type": "app"}))[1] == (
        "Bad Request: can't parse menu button: MenuButton has unsupported type"
    )


def test_more_than_100_entities_are_cut_silently(server: LocalBotApi) -> None:
    text = " ".join(f"<b>{i}</b>" for i in range(150)) + " <code>c</code>"
    d = call(server, "sendMessage", chat_id=USER, text=text, parse_mode="HTML").result
    kinds = [e["type"] for e in d["entities"]]
    # the non-splittable code entity is kept first, then the first 99 bold ones
    assert len(kinds) == 100 and kinds.count("code") == 1 and kinds.count("bold") == 99
    assert d["entities"][98]["offset"] < d["entities"][99]["offset"]


def test_get_chat_has_accepted_gift_types(server: LocalBotApi) -> None:
    for chat_id in (USER, GROUP, CHANNEL):
        gifts = call(server, "getChat", chat_id=chat_id).result["accepted_gift_types"]
        assert set(gifts) == {
            "unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription", "gifts_from_channels"
        }
