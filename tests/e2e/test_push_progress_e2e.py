"""The admin's progress message during a real push over HTTP: the local Bot API server with Telegram's limits on,
the push engine with its default settings, a push of about five seconds."""

from __future__ import annotations

import asyncio
import itertools
import re
import time

from sqlalchemy.orm import Session, sessionmaker
from support.issues import make_issue

from bot.common.outbox import TelegramSender, make_push_bot
from jobs.push import PushSettings, publish
from jobs.runner import PushRunner
from jobs.uow import UnitOfWork
from localbotapi import Limits, LocalBotApi
from storage.archive import IssueRepository
from storage.db import transaction
from storage.subscribers import SubscriberRepository
from storage.types import utcnow

TOKEN = "777:progress-test"
ADMIN = 9001
READERS = list(range(9100, 9250))  # 150 chats: five seconds at Telegram's 30 messages per second


def _percent(text: str) -> int:
    m = re.search(r"（(\d+)%）", text)
    assert m is not None, text
    return int(m[1])


async def test_a_five_second_push_edits_the_progress_message_at_least_every_three_seconds(
    factory: sessionmaker[Session],
) -> None:
    with LocalBotApi(limits=Limits()) as server:  # Telegram's limits: 30/s, 1/s per private chat
        server.add_bot(TOKEN)
        server.add_user(ADMIN, "王主任")
        with transaction(factory) as s:
            subs = SubscriberRepository(s)
            for uid in READERS:
                server.add_user(uid, f"用户{uid}")
                subs.subscribe(uid, chat_type="private", user_id=uid, display_name=f"用户{uid}",
                               language_code="zh-hans", department="办公室")
            stored, _ = IssueRepository(s).add(make_issue(7))
            now = utcnow()
            publish(UnitOfWork(s), stored.id, now, now)
        bot = make_push_bot(TOKEN, server.api_base_url(), read_timeout=5.0, connect_timeout=2.0)
        # What the admin sees, sampled: (seconds since the progress message came, its text).
        seen: list[tuple[float, str]] = []

        async def watch() -> None:
            first: float | None = None
            while True:
                messages = server.messages(ADMIN)
                if messages:
                    progress = messages[0]
                    first = first if first is not None else time.monotonic()
                    text = progress.edits[-1] if progress.edits else progress.text
                    if not seen or seen[-1][1] != text:
                        seen.append((time.monotonic() - first, text))
                    if len(messages) > 1:  # the summary: the push is over
                        return
                await asyncio.sleep(0.02)

        async with bot:
            watcher = asyncio.create_task(watch())
            started = time.monotonic()
            await PushRunner(factory, TelegramSender(bot), PushSettings(admins=(ADMIN,)), worker="test").tick()
            elapsed = time.monotonic() - started
            await asyncio.wait_for(watcher, 5)
    assert elapsed >= 4.5  # the push really took about five seconds
    assert seen[0][1].startswith("📤 正在推送") and _percent(seen[0][1]) == 0
    assert _percent(seen[-1][1]) == 100
    # Progress in between, not 0 % then 100 %: an edit showing a share strictly between (an edit waits for its
    # turn among the push's own sends, so the one due at 4 s may land after the push's last send).
    between = [p for _, text in seen if 0 < (p := _percent(text)) < 100]
    assert between, seen
    # No gap of more than three seconds between what the admin saw change (plus scheduling slack on a busy host).
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(seen)]
    assert max(gaps) <= 3.5, seen
