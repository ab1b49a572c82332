"""The push summary's resend button: any admin (configured or added) may press it, the press is audited,
and the chats whose delivery failed get the issue again; a removed admin's press does nothing."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from support.desk import ADMIN_A, ADMIN_B, SUBSCRIBER, Admin, desk_config, desk_server, subscribe
from support.issues import make_issue

from bot.app import build_application, default_extensions, running_polling
from bot.features.push import push_extension
from config import AccessConfig
from jobs.push import PushSettings, publish, utcnow
from jobs.uow import UnitOfWork
from storage.access_repo import AdminRepository, AuditLog
from storage.archive import IssueRepository
from storage.db import transaction

RESEND = "🔁 重发给失败的会话"


@contextlib.asynccontextmanager
async def running_bot(server: Any, factory: sessionmaker[Session]) -> AsyncIterator[None]:
    # Only ADMIN_A is configured; ADMIN_B is added at run time and is the one who gets the push summary.
    config = dataclasses.replace(desk_config(server), access=AccessConfig(admins=(ADMIN_A,), departments=("办公室",)))
    settings = PushSettings(poll_interval=0.1, progress_interval=60.0, private_interval=0.0, group_interval=0.0,
                            backoff_base=0.01, max_attempts=1, admins=(ADMIN_B,))
    app = build_application(config, session_factory=factory,
                            extensions=[*default_extensions(config), push_extension(settings)])
    async with running_polling(app, poll_interval=0.0, timeout=1):
        yield


async def test_resend_button_for_an_added_admin_and_refused_once_removed(factory: sessionmaker[Session]) -> None:
    with desk_server() as server:
        subscribe(factory, SUBSCRIBER)
        with transaction(factory) as s:
            AdminRepository(s).add(ADMIN_B, added_by=ADMIN_A)
            issue_id = IssueRepository(s).add(make_issue(3))[0].id
        # One attempt per chat, and the first two sendMessage calls (the admin's progress message and the
        # subscriber's contents message) get a 502: the subscriber's row ends failed.
        server.inject_faults(rate=1.0, kinds=("502",), methods={"sendmessage"}, count=2)
        admin = Admin(server, ADMIN_B, ADMIN_B)
        subscriber = Admin(server, SUBSCRIBER, SUBSCRIBER)
        async with running_bot(server, factory):
            with transaction(factory) as s:
                publish(UnitOfWork(s), issue_id, utcnow(), utcnow())
            assert await server.await_for(
                lambda: any("推送完成" in (m.text or "") for m in admin.messages()), timeout=20
            )
            summary = next(m for m in admin.messages() if "推送完成" in (m.text or ""))
            assert subscriber.messages() == []

            answer = await admin.press(summary, RESEND)
            assert answer["text"] == "已安排重发给 1 个会话，稍后开始。"
            assert await server.await_for(lambda: len(subscriber.messages()) == 1, timeout=20)
            assert subscriber.messages()[0].text.startswith("某市")

            with transaction(factory) as s:
                AdminRepository(s).remove(ADMIN_B)
            refused = await admin.press(summary, RESEND)
            assert "管理员" in refused["text"]
        with transaction(factory) as s:
            actions = [(e.actor_id, e.action) for e in AuditLog(s).recent()]
        assert (ADMIN_B, "resend") in actions and (ADMIN_B, "refused") in actions
        assert len(subscriber.messages()) == 1  # the refused press sent nothing
