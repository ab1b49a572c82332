"""A reply's keyboard is posted as the JSON PTB would post for it, built without PTB's objects: same buttons, same
fields, in private chats and in groups (where a Mini App button opens as a link)."""

from __future__ import annotations

import json

from bot.common.keyboards import markup_json, to_markup
from bulletin.render import Button, Keyboard

KEYBOARD: Keyboard = (
    (Button("上一期", "c:1"), Button("第 2/3 页", "noop")),
    (),
    (Button("阅读", web_app="https://reader.example/i/1"),),
    (Button("原文", url="https://www.example.gov.cn/a.html"), Button("目录 «已阅» & <b>", "c:2"), Button("—")),
)


def test_the_json_is_what_ptb_posts_for_the_same_keyboard_in_private_chats_and_groups() -> None:
    for chat_id in (None, 42, -100123):
        markup = to_markup(KEYBOARD, chat_id)
        assert markup is not None
        posted = markup_json(KEYBOARD, chat_id)
        assert posted is not None
        assert json.loads(posted) == markup.to_dict()
    assert json.loads(markup_json(KEYBOARD, -100123) or "")["inline_keyboard"][1][0] == {
        "text": "阅读", "url": "https://reader.example/i/1"
    }


def test_no_buttons_posts_no_keyboard() -> None:
    assert markup_json((), 42) is None
    assert markup_json(((), ()), 42) is None
    assert to_markup(((), ()), 42) is None
