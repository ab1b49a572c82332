"""The pure keyboard as Telegram's inline markup: a Mini App button only where Telegram takes one (a private chat);
in a group, a channel or a chat the bot cannot see, the reader as a plain link."""

from __future__ import annotations

from bot.common.keyboards import to_markup
from bulletin.render import Button

READ = ((Button("📖 阅读", web_app="https://reader.example.org/i/7"), Button("要目", callback_data="1:c:7")),)


def _json(chat_id: int | None) -> list[list[dict[str, object]]]:
    markup = to_markup(READ, chat_id)
    assert markup is not None
    return [[b.to_dict() for b in row] for row in markup.inline_keyboard]


def test_a_private_chat_gets_the_mini_app_button() -> None:
    assert _json(42) == [[{"text": "📖 阅读", "web_app": {"url": "https://reader.example.org/i/7"}},
                          {"text": "要目", "callback_data": "1:c:7"}]]


def test_groups_channels_and_unknown_chats_get_a_link() -> None:
    link = [[{"text": "📖 阅读", "url": "https://reader.example.org/i/7"}, {"text": "要目", "callback_data": "1:c:7"}]]
    for chat_id in (-2001, -1002002003, None):
        assert _json(chat_id) == link, chat_id


def test_an_empty_keyboard_is_no_markup() -> None:
    assert to_markup((), 42) is None and to_markup(((),), -1) is None


def test_a_plain_http_reader_is_a_link_even_in_a_private_chat() -> None:
    """Telegram takes Mini App URLs over https only; a loopback http [web] base_url (a demo) opens in the browser."""
    local = ((Button("📖 阅读", web_app="http://127.0.0.1:8080/i/7"),),)
    markup = to_markup(local, 42)
    assert markup is not None
    assert [[b.to_dict() for b in row] for row in markup.inline_keyboard] == [
        [{"text": "📖 阅读", "url": "http://127.0.0.1:8080/i/7"}]
    ]
