"""Limits and faults: the per-bot and per-chat rate windows of the sending methods, and injected faults
(502 pages, forced 429s, dropped and hanging connections)."""

from __future__ import annotations

import random
import time
from typing import Any

from .limits import Limits, SlidingWindow, per_second_window, retry_after_seconds
from .model import ApiError, Bot, Chat
from .state import ServerState

BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
    "</center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n"
)


FAULT_KINDS = ("502", "hang", "drop", "429", "slow")


class Fault:
    __slots__ = ("count", "deliver_before_fault", "hang_seconds", "kinds", "methods", "rate", "retry_after", "rng")

    def __init__(
        self,
        rate: float,
        kinds: tuple[str, ...],
        methods: set[str] | None,
        seed: int,
        count: int | None,
        deliver_before_fault: float,
        hang_seconds: float,
        retry_after: int,
    ) -> None:
        for k in kinds:
            if k not in FAULT_KINDS:
                raise ValueError(f"unknown fault kind {k!r}")
        self.rate = rate
        self.kinds = kinds
        self.methods = {m.lower() for m in methods} if methods is not None else None
        self.rng = random.Random(seed)
        self.count = count
        self.deliver_before_fault = deliver_before_fault
        self.hang_seconds = hang_seconds
        self.retry_after = retry_after


def rate_check(limits: Limits, bot: Bot, chat: Chat, paid: bool) -> None:
    """Record one send of BOT to CHAT, or raise 429 with retry_after when a window is full."""
    lim = limits
    if not lim.enabled:
        return
    now = time.monotonic()
    if paid:
        if bot.paid is None:
            bot.paid = SlidingWindow(*per_second_window(lim.paid_per_second))
        global_w = bot.paid
    else:
        if bot.overall is None:
            bot.overall = SlidingWindow(*per_second_window(lim.overall_per_second))
        global_w = bot.overall
    chat_w = bot.chat_windows.get(chat.id)
    if chat_w is None:
        if chat.type == "private":
            chat_w = SlidingWindow(*per_second_window(lim.private_per_second))
        else:
            chat_w = SlidingWindow(lim.group_per_minute, 60.0)
        bot.chat_windows[chat.id] = chat_w
    wait = max(global_w.wait_time(now), chat_w.wait_time(now))
    if wait > 0:
        n = retry_after_seconds(wait)
        raise ApiError(429, f"Too Many Requests: retry after {n}", {"retry_after": n}, wait=wait)
    global_w.record(now)
    chat_w.record(now)
    bot.sends_since_sweep += 1
    if bot.sends_since_sweep >= 4096:
        # forget idle chats' windows so that a 100,000-chat broadcast does not keep 100,000 deques
        bot.sends_since_sweep = 0
        idle = [cid for cid, w in bot.chat_windows.items() if w.idle(now)]
        for cid in idle:
            del bot.chat_windows[cid]


class LimitsAndFaults(ServerState):
    """Injected faults and the live rate limits (control methods, and the picks the transport asks for)."""

    def set_limits(self, limits: Limits) -> None:
        """Replace the limits (windows restart empty)."""
        with self._lock:
            self.limits = limits
            for bot in self._bots.values():
                bot.overall = None
                bot.paid = None
                bot.chat_windows.clear()

    def inject_faults(
        self,
        *,
        rate: float = 0.0,
        kinds: tuple[str, ...] = ("502",),
        methods: set[str] | None = None,
        seed: int = 0,
        count: int | None = None,
        deliver_before_fault: float = 0.5,
        hang_seconds: float = 60.0,
        retry_after: int = 1,
    ) -> None:
        """Fail a fraction ``rate`` of requests (of ``methods``, case-insensitive; None = all) with a fault
        drawn from ``kinds``: "502" (nginx page, nothing delivered), "429" (forced, nothing delivered, with
        ``retry_after``), "drop" (connection aborted), "hang" (no answer for ``hang_seconds``, then aborted) and
        "slow" (the request is held ``hang_seconds`` and then succeeds, as TDLib waits out a short flood wait).
        For drop/hang the request is processed first (message delivered, response lost) with probability
        ``deliver_before_fault``.
        ``count`` caps the number of faults; rate=0 switches faults off."""
        with self._lock:
            self._fault = Fault(
                rate, tuple(kinds), methods, seed, count, deliver_before_fault, hang_seconds, retry_after
            )

    def clear_faults(self) -> None:
        with self._lock:
            self._fault = None

    def faults(self) -> list[dict[str, Any]]:
        """Every injected fault: method, kind, delivered (and chat_id/message_id when a message was sent)."""
        with self._lock:
            return [dict(f) for f in self._fault_log]

    def _pick_fault(self, method_lower: str) -> tuple[str, bool, int] | None:
        with self._lock:
            f = self._fault
            if f is None or f.rate <= 0:
                return None
            if f.methods is not None and method_lower not in f.methods:
                return None
            if f.count is not None and f.count <= 0:
                return None
            if f.rng.random() >= f.rate:
                return None
            kind = f.rng.choice(f.kinds)
            deliver = kind in ("drop", "hang") and f.rng.random() < f.deliver_before_fault
            if f.count is not None:
                f.count -= 1
            return kind, deliver, f.retry_after

    def _log_fault(self, method: str, kind: str, delivered: bool, result: Any) -> None:
        entry: dict[str, Any] = {"method": method, "kind": kind, "delivered": delivered}
        if isinstance(result, dict):
            if "message_id" in result:
                entry["message_id"] = result["message_id"]
                entry["chat_id"] = result["chat"]["id"]
            if "error" in result:
                entry["error"] = result["error"]
        with self._lock:
            self._fault_log.append(entry)

    def _hang_seconds(self) -> float:
        """How long a "hang" fault keeps its request open (cut off earlier by stop())."""
        f = self._fault
        return f.hang_seconds if f is not None else 60.0
