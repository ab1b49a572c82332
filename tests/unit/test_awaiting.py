"""The typed-input wait (bot/common/awaiting.py): per chat and user, one kind at a time, expiring, bounded."""

from __future__ import annotations

import datetime as dt

from telegram import Chat, Message, Update, User

from bot.common.awaiting import Awaiting, cancels


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _text(chat_id: int, user_id: int, text: str = "某处") -> Message:
    return Message(
        message_id=1, date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), chat=Chat(chat_id, Chat.PRIVATE),
        from_user=User(user_id, "某人", is_bot=False), text=text,
    )


def test_a_wait_is_per_chat_and_user_and_of_one_kind() -> None:
    waits: Awaiting[int] = Awaiting(60.0, clock=Clock())
    waits.wait(10, 1, "time", 7)
    found = waits.get(10, 1, "time")
    assert found is not None and found.payload == 7
    assert waits.get(10, 2, "time") is None  # another user in the same chat
    assert waits.get(11, 1, "time") is None  # the same user in another chat
    assert waits.get(10, 1, "department") is None  # another kind
    waits.wait(10, 1, "department", 8)  # a newer wait replaces the older one
    assert waits.get(10, 1, "time") is None
    assert waits.get(10, 1, "department") is not None


def test_the_filter_passes_only_the_waiting_sender() -> None:
    waits: Awaiting[None] = Awaiting(60.0, clock=Clock())
    only_department = waits.filter("department")
    waits.wait(10, 1, "department", None)
    assert only_department.check_update(_update(_text(10, 1)))
    assert not only_department.check_update(_update(_text(10, 2)))
    assert not waits.filter("time").check_update(_update(_text(10, 1)))
    waits.done(10, 1, "department")
    assert not only_department.check_update(_update(_text(10, 1)))


def _update(message: Message) -> Update:
    return Update(update_id=1, message=message)


def test_a_wait_expires_after_its_ttl() -> None:
    clock = Clock()
    waits: Awaiting[int] = Awaiting(60.0, clock=clock)
    waits.wait(10, 1, "time", 7)
    clock.now += 59.9
    assert waits.get(10, 1, "time") is not None
    clock.now += 0.1
    assert waits.get(10, 1, "time") is None
    assert not waits.filter("time").check_update(_update(_text(10, 1)))


def test_done_ends_only_the_named_kind_and_done_in_chat_ends_every_wait_there() -> None:
    waits: Awaiting[int] = Awaiting(60.0, clock=Clock())
    waits.wait(10, 1, "time", 7)
    waits.done(10, 1, "department")
    assert waits.get(10, 1, "time") is not None
    waits.wait(10, 2, "time", 8)
    waits.wait(11, 1, "time", 9)
    waits.done_in_chat(10)
    assert waits.get(10, 1, "time") is None and waits.get(10, 2, "time") is None
    assert waits.get(11, 1, "time") is not None


def test_the_store_keeps_only_the_newest_waits() -> None:
    waits: Awaiting[int] = Awaiting(60.0, kept=2, clock=Clock())
    waits.wait(1, 1, "time", 1)
    waits.wait(2, 2, "time", 2)
    waits.wait(1, 1, "time", 3)  # renewed: now the newest
    waits.wait(3, 3, "time", 4)
    assert waits.get(2, 2, "time") is None
    assert [waits.get(c, c, "time") is not None for c in (1, 3)] == [True, True]


def test_cancel_words() -> None:
    assert all(cancels(w) for w in ("取消", " 取消 ", "cancel", "CANCEL", "/cancel"))
    assert not any(cancels(w) for w in ("取消了", "09:00", "", "行政处"))
