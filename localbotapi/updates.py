"""Updates and webhooks: the update queue of each bot, getUpdates long polling, setWebhook and the
webhook workers that POST updates (in order within a chat, parallel across chats, retried with backoff)."""

from __future__ import annotations

import asyncio
import collections
import json
import re
import time
from typing import Any
from urllib.parse import urlsplit

from aiohttp import ClientSession, ClientTimeout, web

from .model import ApiError, Bot, Poll, Update, Webhook
from .params import Params
from .state import ServerState

CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)


CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)


DEFAULT_ALLOWED = frozenset(
    {
        "message", "edited_message", "channel_post", "edited_channel_post", "business_connection",
        "business_message", "edited_business_message", "deleted_business_messages", "inline_query",
        "chosen_inline_result", "callback_query", "shipping_query", "pre_checkout_query", "purchased_paid_media",
        "poll", "poll_answer", "my_chat_member", "chat_join_request", "chat_boost", "removed_chat_boost",
    }
)  # fmt: skip


WEBHOOK_PORTS = frozenset({80, 88, 443, 8443})


_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class UpdatesApi(ServerState):
    """getUpdates, setWebhook, deleteWebhook, getWebhookInfo; the queue and the webhook delivery."""

    def _enqueue(self, bot: Bot, kind: str, payload: dict[str, Any], chat_id: int | None) -> None:
        allowed = bot.allowed_updates
        if allowed is not None:
            permitted = set(allowed) if allowed else DEFAULT_ALLOWED
            if kind not in permitted:
                return
        elif kind not in DEFAULT_ALLOWED:
            return
        u = Update(update_id=bot.next_update_id, kind=kind, payload=payload, chat_id=chat_id)
        bot.next_update_id += 1
        bot.updates.append(u)
        self._notify(bot.token)

    async def _get_updates(
        self, bot: Bot, p: Params, request: web.Request | None = None
    ) -> list[dict[str, Any]]:
        offset = p.get_int("offset") or 0
        limit = p.get_int("limit")
        limit = 100 if limit is None else min(100, max(1, limit))
        timeout = p.get_int("timeout") or 0
        timeout = min(max(0, timeout), self.limits.max_long_poll)
        allowed = p.get_json("allowed_updates", "allowed updates")
        poll = Poll()
        with self._lock:
            if bot.webhook is not None:
                raise ApiError(409, CONFLICT_WEBHOOK)
            if allowed is not None:
                if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
                    raise ApiError(400, "Bad Request: can't parse allowed updates JSON object")
                bot.allowed_updates = list(allowed)
            self._confirm(bot, offset)
            previous = bot.active_poll
            bot.active_poll = poll
        if previous is not None:
            previous.conflict = True
            self._wake_in_loop(bot.token)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        assert self._stopping is not None
        try:
            while True:
                ev = self._event(bot.token)
                with self._lock:
                    if poll.conflict:
                        raise ApiError(409, CONFLICT_POLL)
                    if bot.webhook is not None:
                        raise ApiError(409, CONFLICT_WEBHOOK)
                    items = [u.as_dict() for u in _take(bot.updates, offset, limit)]
                if items or self._stopping.is_set():
                    return items
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return items
                if request is not None and (request.transport is None or request.transport.is_closing()):
                    return items  # the client gave up (e.g. a stopped poller): stop counting it as polling
                try:
                    await asyncio.wait_for(ev.wait(), timeout=min(remaining, 0.5))
                except TimeoutError:
                    pass
        finally:
            with self._lock:
                if bot.active_poll is poll:
                    bot.active_poll = None

    def _confirm(self, bot: Bot, offset: int) -> None:
        q = bot.updates
        if offset < 0:
            while len(q) > -offset:
                q.popleft()
        elif offset > 0:
            while q and q[0].update_id < offset:
                q.popleft()

    def _m_setWebhook(self, bot: Bot, p: Params) -> bool:
        url = p.get_str("url") or ""
        if not url:
            return self._m_deleteWebhook(bot, p)
        if not re.match(r"^https?://[^\s/]+", url):
            raise ApiError(400, "Bad Request: bad webhook: invalid webhook URL specified")
        if not self.local_mode:
            _check_webhook_url(url)
        secret = p.get_str("secret_token")
        if secret is not None and not _SECRET_RE.match(secret):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        max_conn = p.get_int("max_connections") or 40
        if not 1 <= max_conn <= 100:
            raise ApiError(400, "Bad Request: max_connections must be between 1 and 100")
        allowed = p.get_json("allowed_updates", "allowed updates")
        if allowed is not None:
            if not isinstance(allowed, list):
                raise ApiError(400, "Bad Request: can't parse allowed updates JSON object")
            bot.allowed_updates = [str(a) for a in allowed]
        if p.get_bool("drop_pending_updates"):
            bot.updates.clear()
        bot.webhook = Webhook(
            url=url, secret_token=secret, max_connections=max_conn, ip_address=p.get_str("ip_address")
        )
        self._restart_webhook_worker(bot)
        self._notify(bot.token)
        return True

    def _m_deleteWebhook(self, bot: Bot, p: Params) -> bool:
        if p.get_bool("drop_pending_updates"):
            bot.updates.clear()
        bot.webhook = None
        bot.webhook_inflight_ids.clear()
        bot.webhook_inflight_chats.clear()
        task = self._webhook_tasks.pop(bot.token, None)
        if task is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(task.cancel)
        return True

    def _m_getWebhookInfo(self, bot: Bot, p: Params) -> dict[str, Any]:
        return self._webhook_info(bot)

    def _webhook_info(self, bot: Bot) -> dict[str, Any]:
        wh = bot.webhook
        info: dict[str, Any] = {
            "url": wh.url if wh else "",
            "has_custom_certificate": False,
            "pending_update_count": len(bot.updates),
        }
        if wh is not None:
            info["max_connections"] = wh.max_connections
            if wh.ip_address:
                info["ip_address"] = wh.ip_address
            if wh.last_error_date is not None:
                info["last_error_date"] = wh.last_error_date
                info["last_error_message"] = wh.last_error_message
            if bot.allowed_updates is not None:
                info["allowed_updates"] = bot.allowed_updates
        return info

    def _restart_webhook_worker(self, bot: Bot) -> None:
        bot.webhook_inflight_ids.clear()
        bot.webhook_inflight_chats.clear()
        loop = self._loop
        if loop is None:
            return

        def start() -> None:
            old = self._webhook_tasks.pop(bot.token, None)
            if old is not None:
                old.cancel()
            self._webhook_tasks[bot.token] = loop.create_task(self._webhook_worker(bot))

        loop.call_soon_threadsafe(start)

    async def _webhook_worker(self, bot: Bot) -> None:
        if self._session is None:
            self._session = ClientSession(timeout=ClientTimeout(total=10))
        session = self._session
        tasks: set[asyncio.Task[None]] = set()
        try:
            while True:
                ev = self._event(bot.token)
                now = time.monotonic()
                next_retry: float | None = None
                with self._lock:
                    wh = bot.webhook
                    if wh is None:
                        return
                    for u in bot.updates:
                        if len(tasks) >= wh.max_connections:
                            break
                        if u.update_id in bot.webhook_inflight_ids:
                            continue
                        if u.chat_id is not None and u.chat_id in bot.webhook_inflight_chats:
                            continue
                        if u.retry_at > now:
                            next_retry = u.retry_at if next_retry is None else min(next_retry, u.retry_at)
                            if u.chat_id is not None:
                                # keep per-chat order: later updates of this chat wait for this one
                                bot.webhook_inflight_chats.add(u.chat_id)
                                self._loop_call_later_release(bot, u.chat_id, u.retry_at - now)
                            continue
                        bot.webhook_inflight_ids.add(u.update_id)
                        if u.chat_id is not None:
                            bot.webhook_inflight_chats.add(u.chat_id)
                        t = asyncio.create_task(self._deliver(session, bot, wh, u))
                        tasks.add(t)
                        t.add_done_callback(tasks.discard)
                timeout = 1.0 if next_retry is None else max(0.01, min(1.0, next_retry - now))
                try:
                    await asyncio.wait_for(ev.wait(), timeout=timeout)
                except TimeoutError:
                    pass
        finally:
            for t in tasks:
                t.cancel()

    def _loop_call_later_release(self, bot: Bot, chat_id: int, delay: float) -> None:
        assert self._loop is not None

        def release() -> None:
            with self._lock:
                bot.webhook_inflight_chats.discard(chat_id)
            self._wake_in_loop(bot.token)

        self._loop.call_later(max(0.0, delay), release)

    async def _deliver(self, session: ClientSession, bot: Bot, wh: Webhook, u: Update) -> None:
        headers = {"Content-Type": "application/json"}
        if wh.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = wh.secret_token
        body = json.dumps(u.as_dict(), ensure_ascii=False).encode()
        error: str | None = None
        try:
            async with session.post(wh.url, data=body, headers=headers) as resp:
                await resp.read()
                if not 200 <= resp.status < 300:
                    error = f"Wrong response from the webhook: {resp.status} {resp.reason}"
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any delivery failure is retried, as Telegram does
            error = f"Connection failed: {type(exc).__name__}"
        with self._lock:
            bot.webhook_inflight_ids.discard(u.update_id)
            if error is None:
                try:
                    bot.updates.remove(u)
                except ValueError:
                    pass
                if u.chat_id is not None:
                    bot.webhook_inflight_chats.discard(u.chat_id)
            else:
                u.attempts += 1
                u.retry_at = time.monotonic() + min(5.0, 0.1 * (2 ** min(u.attempts, 6)))
                wh.last_error_date = int(time.time())
                wh.last_error_message = error
                if u.chat_id is not None:
                    bot.webhook_inflight_chats.discard(u.chat_id)
        self._wake_in_loop(bot.token)


def _check_webhook_url(url: str) -> None:
    """api.telegram.org's rule (WebhookActor::start_up without --local): https only, on port 80, 88, 443 or 8443;
    the WebhookActor's error comes back as "bad webhook: …" (Client::on_webhook_closed)."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "https":
        raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
    try:
        port = parts.port or 443
    except ValueError:
        raise ApiError(400, "Bad Request: bad webhook: Wrong port number specified in the URL") from None
    if port not in WEBHOOK_PORTS:
        raise ApiError(400, "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")


def _take(updates: collections.deque[Update], offset: int, limit: int) -> list[Update]:
    out: list[Update] = []
    for u in updates:
        if u.update_id < offset:
            continue
        out.append(u)
        if len(out) >= limit:
            break
    return out
