"""Update processing: concurrent across chats, in order within a chat."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

# Updates one chat may have waiting for its turn; more are dropped (a flood, already silenced by the rate limit).
MAX_CHAT_BACKLOG = 100


class PerChatOrderedProcessor(BaseUpdateProcessor):
    """Handles up to MAX updates at once, but one chat's updates strictly one after another.

    A user who sends two commands quickly gets the answers in the order asked, even when the first one waits
    on flood control; other chats are not held up. An update takes one of the MAX slots only once its chat's
    turn has come: waiting in line for its own chat costs nobody else anything, so a user who floods the bot
    cannot stall everyone else. At most MAX_BACKLOG updates of one chat wait; the rest are dropped.
    """

    __slots__ = ("_chats", "_dropping", "max_backlog")

    def __init__(self, max_concurrent_updates: int = 256, max_backlog: int = MAX_CHAT_BACKLOG) -> None:
        super().__init__(max_concurrent_updates)
        self.max_backlog = max_backlog
        self._chats: dict[int, tuple[asyncio.Lock, int]] = {}  # chat id -> (its turn, updates holding or awaiting it)
        self._dropping: set[int] = set()  # chats whose backlog overflowed (logged once per overflow)

    # PTB marks process_update final and takes the slot before do_process_update; here the slot must come after
    # the chat's lock, so the order of the two is ours to decide.
    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:  # type: ignore[misc]
        """Wait for the chat's turn (no slot held), then for a slot, then run COROUTINE."""
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            async with self._semaphore:
                await self.do_process_update(update, coroutine)
            return
        chat_id = chat.id
        lock, waiting = self._chats.get(chat_id, (asyncio.Lock(), 0))
        if waiting >= self.max_backlog:
            if chat_id not in self._dropping:
                self._dropping.add(chat_id)
                log.warning("chat %s has %s updates waiting; dropping more until it catches up", chat_id, waiting)
            if inspect.iscoroutine(coroutine):
                coroutine.close()  # never run: close it so it is not reported as never awaited
            return
        self._chats[chat_id] = (lock, waiting + 1)
        try:
            async with lock, self._semaphore:
                await self.do_process_update(update, coroutine)
        finally:
            lock, waiting = self._chats[chat_id]
            if waiting <= 1:
                del self._chats[chat_id]
                self._dropping.discard(chat_id)
            else:
                self._chats[chat_id] = (lock, waiting - 1)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run COROUTINE (process_update has already waited for the chat's turn and a slot)."""
        await coroutine

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""
