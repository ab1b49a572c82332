"""One messages-per-second budget for the bot process: replies in chat and a 30/s push share it, so users who
write to the bot during a push make nobody get a 429."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from support.issues import make_issue

from bot.app import build_application, default_extensions, running_polling
from bot.features.push import push_extension
from bot.send_budget import SharedSendBudget, counts_against_budget
from config import AccessConfig, Config, TelegramConfig
from jobs.push import PushSettings, publish, utcnow
from jobs.push_limits import RateLimiter
from jobs.uow import UnitOfWork
from storage.archive import IssueRepository
from storage.db import transaction
from storage.subscribers import SubscriberRepository

TOKEN = "777001:budget"
FIRST_SUBSCRIBER = 30_000
SUBSCRIBERS = 150
FIRST_ASKER = 40_000
ASKERS = 25


@pytest.mark.parametrize(
    ("endpoint", "data", "counted"),
    [
        ("sendMessage", {"chat_id": 1}, True),
        ("sendDocument", {"chat_id": 1}, True),
        ("copyMessage", {"chat_id": 1}, True),
        ("sendMessage", {"chat_id": 1, "allow_paid_broadcast": True}, False),  # Telegram's separate 1000/s
        ("sendChatAction", {"chat_id": 1}, False),
        ("editMessageText", {"chat_id": 1}, False),
        ("answerCallbackQuery", {}, False),
        ("getMe", {}, False),
    ],
)
def test_which_requests_draw_on_the_budget(endpoint: str, data: dict[str, Any], counted: bool) -> None:
    assert counts_against_budget(endpoint, data) is counted


async def test_replies_take_permits_only_while_a_push_runs() -> None:
    limiter = RateLimiter(1)
    budget = SharedSendBudget(limiter)
    sent: list[int] = []

    async def post(n: int) -> bool:
        sent.append(n)
        return True

    def request(n: int) -> Any:
        return budget.process_request(post, (n,), {}, "sendMessage", {"chat_id": n}, None)

    # No push: two replies go out at once although the budget is one per second.
    await asyncio.wait_for(asyncio.gather(request(1), request(2)), 0.5)
    assert sent == [1, 2] and limiter.available == 1
    with limiter.engaged():
        await request(3)
        second = asyncio.ensure_future(request(4))
        await asyncio.sleep(0.3)
        assert sent == [1, 2, 3] and not second.done()  # waits for the permit the push shares
        await asyncio.wait_for(second, 2.0)
    assert sent == [1, 2, 3, 4]


async def test_users_writing_during_a_30_per_second_push_cause_no_429(factory: sessionmaker[Session]) -> None:
    from localbotapi import LocalBotApi

    with LocalBotApi() as server:  # Telegram's limits on: 30/s per bot, 1/s per private chat
        server.add_bot(TOKEN, username="budget_bot", first_name="工作简报")
        for uid in range(FIRST_SUBSCRIBER, FIRST_SUBSCRIBER + SUBSCRIBERS):
            server.add_user(uid, f"订阅者{uid}", language_code="zh-hans")
        for uid in range(FIRST_ASKER, FIRST_ASKER + ASKERS):
            server.add_user(uid, f"读者{uid}", language_code="zh-hans")
        with transaction(factory) as s:
            issue_id = IssueRepository(s).add(make_issue(3))[0].id
            repo = SubscriberRepository(s)
            for uid in range(FIRST_SUBSCRIBER, FIRST_SUBSCRIBER + SUBSCRIBERS):
                repo.subscribe(uid, chat_type="private", user_id=uid, display_name=str(uid),
                               language_code="zh-hans", department="办公室")
        config = Config(
            telegram=TelegramConfig(token=TOKEN, api_base_url=server.api_base_url(), poll_timeout=1),
            access=AccessConfig(departments=("办公室",), rate_limit_per_minute=0),
        )
        settings = PushSettings(poll_interval=0.1, progress_interval=60.0)
        app = build_application(config, session_factory=factory,
                                extensions=[*default_extensions(config), push_extension(settings)])

        def pushed() -> int:
            return sum(1 for uid in range(FIRST_SUBSCRIBER, FIRST_SUBSCRIBER + SUBSCRIBERS)
                       if server.messages(uid))

        def answered() -> int:
            return sum(1 for uid in range(FIRST_ASKER, FIRST_ASKER + ASKERS) if server.messages(uid))

        async with running_polling(app, poll_interval=0.0, timeout=1):
            with transaction(factory) as s:
                publish(UnitOfWork(s), issue_id, utcnow(), utcnow())
            # Once the push runs at full speed, every asker writes at once.
            assert await server.await_for(lambda: pushed() >= 15, timeout=20)
            for uid in range(FIRST_ASKER, FIRST_ASKER + ASKERS):
                server.send_text(TOKEN, uid, uid, "/latest")
            assert await server.await_for(lambda: answered() == ASKERS, timeout=30)
            during = pushed()
            assert await server.await_for(lambda: pushed() == SUBSCRIBERS, timeout=30)

        # Every asker got the contents they asked for, every subscriber got the push, and the replies really
        # came while the push was still going.
        assert all(server.messages(uid)[0].text.startswith("某市")
                   for uid in range(FIRST_ASKER, FIRST_ASKER + ASKERS))
        assert during < SUBSCRIBERS
        counts = server.method_counts()
        assert counts[("sendMessage", 200)] == SUBSCRIBERS + ASKERS
        assert counts[("sendMessage", 429)] == 0
