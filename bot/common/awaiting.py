"""Waiting for typed input: the one small state helper every feature uses when it asked someone to type something.

A feature asks (a button said "type your department" or "type the time"), then calls `wait(chat, user, kind,
payload)`; its MessageHandler carries `filter(kind)`, so only that person's next text in that chat reaches it, and
the handler reads the payload with `get`. A wait ends with `done`, is replaced by a newer wait of the same person
in the same chat, and expires after TTL seconds (its text then goes wherever text goes without a wait). The
store is bounded: beyond KEPT waits the oldest are forgotten. The handler decides what ends the wait (a valid
value, a cancel word: `cancels`); commands never reach it (the features' filters leave commands out).

Not PTB's ConversationHandler: PTB 22 warns that it "heavily relies on incoming updates being processed one by one"
and that `concurrent_updates` should be False, while this bot processes updates concurrently (in order per chat
only, bot/updates.py); its entry points and fallbacks would also have to wrap handlers the features already route
with CallbackQueryHandler patterns. A dict read in a filter is all a wait needs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from telegram import Message
from telegram.ext import filters

P = TypeVar("P")

# What abandons a wait when typed instead of the value (compared stripped and lower-cased).
CANCEL_WORDS = frozenset({"取消", "cancel", "/cancel"})


def cancels(text: str) -> bool:
    """Whether TEXT, typed while waiting, abandons the wait."""
    return text.strip().lower() in CANCEL_WORDS


@dataclass(frozen=True)
class Wait(Generic[P]):
    """One person's wait in one chat: what for (KIND), the feature's PAYLOAD, and when it expires (monotonic)."""

    kind: str
    payload: P
    expires: float


class Awaiting(Generic[P]):
    """The waits of one feature: per chat and user, expiring, bounded (see the module docstring)."""

    def __init__(self, ttl: float, *, kept: int = 10000, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.kept = kept
        self._clock = clock
        self._waits: dict[tuple[int, int], Wait[P]] = {}

    def wait(self, chat_id: int, user_id: int, kind: str, payload: P) -> None:
        """From now on USER_ID's next text in CHAT_ID is for KIND (replacing any earlier wait of theirs there)."""
        key = (chat_id, user_id)
        self._waits.pop(key, None)  # re-inserted last: the newest waits are the ones kept
        self._waits[key] = Wait(kind, payload, self._clock() + self.ttl)
        while len(self._waits) > self.kept:
            del self._waits[next(iter(self._waits))]

    def get(self, chat_id: int, user_id: int, kind: str) -> Wait[P] | None:
        """The live wait of USER_ID in CHAT_ID for KIND, if any (an expired one is forgotten here)."""
        key = (chat_id, user_id)
        found = self._waits.get(key)
        if found is None:
            return None
        if found.expires <= self._clock():
            del self._waits[key]
            return None
        return found if found.kind == kind else None

    def done(self, chat_id: int, user_id: int, kind: str | None = None) -> None:
        """End USER_ID's wait in CHAT_ID (only one for KIND, when given)."""
        key = (chat_id, user_id)
        found = self._waits.get(key)
        if found is not None and (kind is None or found.kind == kind):
            del self._waits[key]

    def done_in_chat(self, chat_id: int) -> None:
        """End every wait in CHAT_ID (the chat left, e.g. unsubscribed)."""
        for key in [k for k in self._waits if k[0] == chat_id]:
            del self._waits[key]

    def filter(self, kind: str) -> filters.MessageFilter:
        """The filter passing a message whose sender has a live wait for KIND in its chat."""
        return _WaitingFor(self, kind)


class _WaitingFor(filters.MessageFilter):
    def __init__(self, waits: Awaiting[Any], kind: str) -> None:
        super().__init__(name=f"awaiting({kind!r})")
        self._waits = waits
        self._kind = kind

    def filter(self, message: Message) -> bool:
        user = message.from_user
        return user is not None and self._waits.get(message.chat.id, user.id, self._kind) is not None
