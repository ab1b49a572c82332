"""Every admin-only button refuses a non-admin and an admin removed since the button was sent (issue 9 §6).

One world per test, over real HTTP against the local Bot API server, with something real waiting behind every
admin route: a finished push with a failed chat (resend), a subscription request, an uploaded draft, an upload
awaiting approval, a /recall prompt and a /correct awaiting approval. OLD, an added admin, holds all of those
buttons; then either OLD is removed and presses them, or NOBODY (never an admin) forges the same presses.
Each press must be answered with the refusal, and change nothing: not the database (the audit log apart from the
refusal record) and not the subscribers' chats. The list of routes is checked against the routes the bot
registers, so a new admin route cannot be left out.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from support.bot import message_with_buttons
from support.desk import (
    ADMIN_A,
    ADMIN_B,
    NOBODY,
    SUBSCRIBER,
    TOKEN,
    Admin,
    ChatUser,
    buttons,
    desk_config,
    desk_server,
    sample_bytes,
    subscribe,
)
from support.website import DOCX, OfficeSite, index_page, issue_document, serve
from telegram.ext import CallbackQueryHandler

from bot.app import build_application, default_extensions, running_polling
from bot.callbacks import Matches
from bot.features import corrections, desk
from bot.features.push import push_extension
from bulletin.parser import parse_document
from config import AccessConfig, WatchConfig, WatchSourceConfig
from jobs.push import PushSettings, publish, utcnow
from jobs.uow import UnitOfWork
from storage.access_repo import AdminRepository
from storage.archive import IssueRepository
from storage.db import transaction

BOSS, OLD = ADMIN_A, ADMIN_B  # BOSS is configured; OLD is added at run time (and removed in the test)
SECOND_SUBSCRIBER = 702
APPLICANT = 704
REFUSAL = "抱歉，此功能仅限管理员使用。"
PUBLIC_KINDS = {"k"}  # the 已阅 button: every subscriber may press it

# (kind, op): every admin route and operation. Ops are None for routes that take none.
ADMIN_ROUTES: list[tuple[str, int | None]] = [
    ("r", None),  # resend to failed chats (push summary)
    ("q", 1), ("q", 0),  # approve / deny a subscription request
    *(("p", op) for op in (desk.OP_CANCEL, desk.OP_NOW, desk.OP_DEFAULT, desk.OP_TOMORROW, desk.OP_TYPED,
                           desk.OP_REPLACE, desk.OP_INTERNAL, desk.OP_EDIT, desk.OP_BACK)),  # the preview's panel
    *(("p", desk.OP_FIELD + i) for i in range(len(desk.EDITABLE))),  # the 修改 flow: type field EDITABLE[i]
    ("v", desk.OP_APPROVE), ("v", desk.OP_REJECT),  # an upload awaiting approval
    *(("x", op) for op in (corrections.OP_CORRECTION_CONFIRM, corrections.OP_CORRECTION_CANCEL,
                           corrections.OP_CORRECTION_APPROVE, corrections.OP_CORRECTION_REJECT)),
    # (above: a correction prompt, a correction awaiting approval)
    ("w", None),  # cancel the push of an issue the website watch published
]
# Tables an admin action can change; time-driven rows (leases, heartbeats) are not admin actions.
TABLES = (
    "issues", "articles", "toc_entries", "subscribers", "pushes", "push_deliveries", "desk_approvals",
    "issue_marks", "desk_corrections", "desk_correction_results", "access_requests", "access_admins",
    "access_invites", "receipt_acks", "receipt_reminders",
)


def test_the_list_names_every_admin_route_the_bot_registers(factory: sessionmaker[Session]) -> None:
    with desk_server() as server:
        config = desk_config(server)
        settings = PushSettings(poll_interval=0.1)
        app = build_application(config, session_factory=factory,
                                extensions=[*default_extensions(config), push_extension(settings)])
        registered = {
            letter
            for handlers in app.handlers.values()
            for handler in handlers
            if isinstance(handler, CallbackQueryHandler) and isinstance(handler.pattern, Matches)
            for letter in handler.pattern.letters
        }
    assert registered - PUBLIC_KINDS == {kind for kind, _ in ADMIN_ROUTES}
    draft_ops = {v for k, v in vars(desk).items() if re.fullmatch(r"OP_(?!REJECT|APPROVE|CORRECTION)[A-Z]+", k)}
    draft_ops |= {desk.OP_FIELD + i for i in range(len(desk.EDITABLE))}
    assert draft_ops == {op for kind, op in ADMIN_ROUTES if kind == "p"}
    correction_ops = {v for k, v in vars(corrections).items() if k.startswith("OP_CORRECTION_")}
    assert correction_ops == {op for kind, op in ADMIN_ROUTES if kind == "x"}


@dataclasses.dataclass
class World:
    server: Any
    factory: sessionmaker[Session]
    # (kind, op) -> (message id in OLD's chat, callback data)
    held: dict[tuple[str, int | None], tuple[int, str]]


def _data_of(message: Any, kind: str) -> list[str]:
    return [b["callback_data"] for b in buttons(message) if b["callback_data"].startswith(f"1:{kind}:")]


def _find(chat: ChatUser, kind: str) -> Any:
    """The newest message in CHAT with a button of KIND."""
    return next(m for m in reversed(chat.messages()) if _data_of(m, kind))


@contextlib.asynccontextmanager
async def world(server: Any, factory: sessionmaker[Session], *, watch: bool = False) -> AsyncIterator[World]:
    """Issue No. 58 pushed (one chat failed), and OLD holding a button of every admin route (the website watch's
    cancel button only with WATCH: it takes a few seconds of polling)."""
    with serve(OfficeSite()) as site:
        async with _world(server, factory, site if watch else None) as w:
            yield w


@contextlib.asynccontextmanager
async def _world(server: Any, factory: sessionmaker[Session], site: OfficeSite | None) -> AsyncIterator[World]:
    subscribe(factory, SUBSCRIBER, SECOND_SUBSCRIBER)
    server.add_user(APPLICANT, "申请人", language_code="zh-hans")
    with transaction(factory) as s:
        AdminRepository(s).add(OLD, added_by=BOSS)
        issue_id = IssueRepository(s).add(parse_document(sample_bytes(), "b6.txt"))[0].id
    config = dataclasses.replace(
        desk_config(server, approval=True),
        access=AccessConfig(admins=(BOSS,), departments=("办公室", "综合科"), mode="approval"),
    )
    if site is not None:  # a website in publish mode: the watch schedules what appears and offers a cancel button
        site.put("/jb/", index_page([]))
        config = dataclasses.replace(config, watch=WatchConfig(
            check_every=dt.timedelta(seconds=1), per_host_interval=dt.timedelta(0),
            sources=(WatchSourceConfig(url=site.url("/jb/"), every=dt.timedelta(seconds=1), mode="publish"),),
        ))
    settings = PushSettings(poll_interval=0.1, progress_interval=60.0, private_interval=0.0, group_interval=0.0,
                            backoff_base=0.01, max_attempts=1, admins=(OLD,))
    app = build_application(config, session_factory=factory,
                            extensions=[*default_extensions(config), push_extension(settings)])
    old, boss = Admin(server, OLD, OLD), Admin(server, BOSS, BOSS)
    async with running_polling(app, poll_interval=0.0, timeout=1):
        # the progress message and one subscriber's contents message fail: the summary offers a resend
        server.inject_faults(rate=1.0, kinds=("502",), methods={"sendmessage"}, count=2)
        with transaction(factory) as s:
            publish(UnitOfWork(s), issue_id, utcnow(), utcnow())
        assert await server.await_for(lambda: any(_data_of(m, "r") for m in old.messages()), timeout=20)
        server.clear_faults()
        held: dict[tuple[str, int | None], tuple[int, str]] = {}
        summary = _find(old, "r")
        held["r", None] = (summary.message_id, _data_of(summary, "r")[0])

        await ChatUser(server, APPLICANT, APPLICANT).send("/subscribe 办公室")
        assert await server.await_for(lambda: any(_data_of(m, "q") for m in old.messages()))
        request = _find(old, "q")
        for data in _data_of(request, "q"):
            held["q", int(data.rsplit(":", 1)[1])] = (request.message_id, data)

        _preview, panel = await old.upload("b7.txt", sample_bytes(number=7, total=59))
        draft_id = _data_of(panel, "p")[0].split(":")[2]
        for _kind, op in (r for r in ADMIN_ROUTES if r[0] == "p"):
            held["p", op] = (panel.message_id, f"1:p:{draft_id}:{op}")

        _preview, boss_panel = await boss.upload("b8.txt", sample_bytes(number=8, total=60))
        await boss.press_and_wait(boss_panel, "立即发布", lambda: "已提交审核" in boss.current(boss_panel).text)
        assert await server.await_for(lambda: any(_data_of(m, "v") for m in old.messages()))
        approval = _find(old, "v")
        for data in _data_of(approval, "v"):
            held["v", int(data.rsplit(":", 1)[1])] = (approval.message_id, data)

        [prompt] = await old.send("/recall 58")
        for data in _data_of(prompt, "x"):
            held["x", int(data.rsplit(":", 1)[1])] = (prompt.message_id, data)

        [boss_prompt] = await boss.send("/correct 58 第2篇标题有误。")
        seen = len(old.messages())
        await boss.press_and_wait(boss_prompt, "确认", lambda: "已提交审核" in boss.current(boss_prompt).text)
        assert await server.await_for(lambda: len(old.messages()) > seen)
        correction = _find(old, "x")
        for data in _data_of(correction, "x"):
            held["x", int(data.rsplit(":", 1)[1])] = (correction.message_id, data)
        if site is not None:
            assert await server.await_for(lambda: site.hits["/jb/"] >= 1, timeout=20)
            await asyncio.sleep(1.5)  # the first poll's baseline is recorded
            site.put("/jb/9.docx", issue_document(9, "docx"), DOCX)
            site.put("/jb/", index_page([("/jb/9.docx", "第9期")]))
            assert await server.await_for(lambda: any(_data_of(m, "w") for m in old.messages()), timeout=30)
            notice = _find(old, "w")
            held["w", None] = (notice.message_id, _data_of(notice, "w")[0])
        assert set(held) == set(ADMIN_ROUTES) - (set() if site is not None else {("w", None)})
        yield World(server, factory, held)


def database(factory: sessionmaker[Session]) -> dict[str, list[Any]]:
    """Every row an admin action could change, and the audit log without refusal records."""
    with transaction(factory) as s:
        rows = {name: sorted(map(tuple, s.execute(text(f"SELECT * FROM {name}")).all()), key=repr)
                for name in TABLES}
        rows["access_audit"] = sorted(
            map(tuple, s.execute(text("SELECT * FROM access_audit WHERE action != 'refused'")).all()), key=repr
        )
        return rows


def chats(server: Any) -> dict[int, list[tuple[Any, ...]]]:
    """What the subscribers and the applicant see: each message's text, buttons, deletion and edits."""
    return {
        chat: [(m.text, m.reply_markup, m.deleted, len(m.edits)) for m in server.messages(chat)]
        for chat in (SUBSCRIBER, SECOND_SUBSCRIBER, APPLICANT)
    }


def refusals(factory: sessionmaker[Session], user: int) -> int:
    with transaction(factory) as s:
        count = s.execute(
            text("SELECT COUNT(*) FROM access_audit WHERE action = 'refused' AND actor_id = :u"), {"u": user}
        ).scalar_one()
        return int(count)


@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=[f"{k}{'' if op is None else op}" for k, op in ADMIN_ROUTES])
@pytest.mark.parametrize("who", ["removed_admin", "non_admin"])
async def test_admin_buttons_refuse_non_admins_and_removed_admins(
    route: tuple[str, int | None], who: str, factory: sessionmaker[Session]
) -> None:
    with desk_server() as server:
        async with world(server, factory, watch=route[0] == "w") as w:
            message_id, data = w.held[route]
            if who == "removed_admin":
                with transaction(factory) as s:
                    assert AdminRepository(s).remove(OLD)
                presser = Admin(server, OLD, OLD)
                if data not in [b["callback_data"] for b in buttons(presser.message(message_id))]:
                    # a panel op its panel does not show (e.g. replace): a modified client can send any data
                    message_id = (await message_with_buttons(presser, [data])).message_id
            else:
                presser = Admin(server, NOBODY, NOBODY)
                await presser.send("/help")  # NOBODY has started the bot
                # NOBODY never got these buttons: forged data on a message in their own chat
                message_id = (await message_with_buttons(presser, [data])).message_id
            before_db, before_chats = database(factory), chats(server)
            before_refusals = refusals(factory, presser.user_id)
            answers = len(server.callback_answers())
            server.press_button(TOKEN, presser.chat_id, message_id, data, presser.user_id)
            assert await server.await_for(lambda: len(server.callback_answers()) > answers)
            answer = server.callback_answers()[answers]
            assert answer.get("text") == REFUSAL and answer.get("show_alert") is True
            # the press's update is handled before the presser's next message
            [help_reply] = await presser.send("/help")
            assert "/subscribe" in help_reply.text
            assert database(factory) == before_db
            assert chats(server) == before_chats
            assert refusals(factory, presser.user_id) == before_refusals + 1
