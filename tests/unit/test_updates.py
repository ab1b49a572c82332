"""PerChatOrderedProcessor: one chat's updates in order, a slot only once the chat's turn has come (a flood in one
chat does not hold up the others), and a bounded backlog per chat."""

from __future__ import annotations

import asyncio
import datetime as dt
import warnings

from telegram import Chat, Message, Update

from bot.updates import PerChatOrderedProcessor


def update(update_id: int, chat_id: int) -> Update:
    chat = Chat(chat_id, Chat.PRIVATE)
    return Update(update_id, message=Message(update_id, dt.datetime(2024, 1, 1, tzinfo=dt.UTC), chat, text="hi"))


async def test_a_chat_waiting_for_its_turn_holds_no_slot() -> None:
    processor = PerChatOrderedProcessor(max_concurrent_updates=2)
    release = asyncio.Event()
    done: list[tuple[int, int]] = []

    async def handle(chat_id: int, n: int) -> None:
        if (chat_id, n) == (1, 0):
            await release.wait()
        done.append((chat_id, n))

    flood = [asyncio.create_task(processor.process_update(update(n, 1), handle(1, n))) for n in range(50)]
    other = asyncio.create_task(processor.process_update(update(100, 2), handle(2, 0)))
    await asyncio.wait_for(other, 2)
    assert done == [(2, 0)]  # chat 1's first update still blocks; its other 49 wait without taking a slot
    assert processor.current_concurrent_updates == 1
    release.set()
    await asyncio.gather(*flood)
    assert done[1:] == [(1, n) for n in range(50)]
    assert processor.current_concurrent_updates == 0


async def test_a_chat_backlog_is_bounded() -> None:
    processor = PerChatOrderedProcessor(max_concurrent_updates=4, max_backlog=5)
    release = asyncio.Event()
    done: list[int] = []

    async def handle(n: int) -> None:
        if n == 0:
            await release.wait()
        done.append(n)

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a dropped coroutine is closed, not left "never awaited"
        tasks = [asyncio.create_task(processor.process_update(update(n, 7), handle(n))) for n in range(20)]
        await asyncio.sleep(0.05)
        assert sum(t.done() for t in tasks) == 15  # dropped at once, nothing kept for them
        release.set()
        await asyncio.gather(*tasks)
    assert done == [0, 1, 2, 3, 4]
    # Once the chat caught up it is served again.
    await processor.process_update(update(99, 7), handle(99))
    assert done[-1] == 99
