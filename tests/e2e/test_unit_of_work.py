"""One unit of work: commit on success, roll back on failure, and one transaction for each update (Telegram asked
outside it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker
from support.access import access_config, access_server, polling_bot, subscriber
from support.bot import GROUP, OTHER_USER, ZH_USER, ChatUser, running_bot, seed_archive, started_server

from jobs.uow import UnitOfWork, UnitsOfWork
from localbotapi import server as api


async def test_a_unit_commits_when_its_work_returns_and_rolls_back_when_it_raises(
    factory: sessionmaker[Session],
) -> None:
    units = UnitsOfWork(factory)

    def subscribe(u: UnitOfWork) -> None:
        u.subscribers.subscribe(11, chat_type="private", user_id=11, display_name="甲", language_code="zh",
                                department="办公室")

    def subscribe_then_fail(u: UnitOfWork) -> None:
        u.subscribers.subscribe(12, chat_type="private", user_id=12, display_name="乙", language_code="zh",
                                department="办公室")
        raise RuntimeError("the update failed half-way")

    await units.run(subscribe)
    with pytest.raises(RuntimeError):
        await units.run(subscribe_then_fail)
    active = await units.run(lambda u: [s.chat_id for s in u.subscribers.active()])
    assert active == [11]


@pytest.fixture
def server() -> Iterator[Any]:
    with started_server() as running:
        yield running


async def test_article_command_runs_in_one_transaction(server: Any, factory: sessionmaker[Session]) -> None:
    seed_archive(factory)
    # Sessions that read issues or read or write articles (or their opens) while the command runs. Counting every
    # transaction of the factory would also count the leader's background jobs (on PostgreSQL they share it), which
    # are not the command's. An issue read from the cache still reads its version FROM issues. Statements are
    # watched at the cursor, each traced to the session whose transaction holds its connection: the archive's reads
    # run as Core on the session's connection, which the ORM's execute events do not see.
    begun: set[int] = set()
    session_of: dict[int, int] = {}  # connection -> the session whose transaction it carries

    def began(session: Any, transaction: Any, connection: Any) -> None:
        session_of[id(connection)] = id(session)

    def touched(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if "article" in statement or "FROM issues" in statement:
            begun.add(session_of.get(id(conn), -id(conn)))  # a connection outside any session counts on its own

    event.listen(factory, "after_begin", began)
    event.listen(factory.kw["bind"], "before_cursor_execute", touched)
    zh = ChatUser(server, ZH_USER, ZH_USER)
    async with running_bot(server, factory, "polling"):
        begun.clear()
        [article] = await zh.send("/article 2024-4 3")
        assert article.text == "第4期基层动态\n\n城关镇开展第4次环境整治。"
        assert len(begun) == 1  # the look-up, the internal mark and the receipts' open count together
        begun.clear()
        [no_article] = await zh.send("/article 104 9")
        assert no_article.text == "2024年第4期（总第104期）没有第 9 篇文章（本期共 3 篇）。发送 /issues 查看往期列表。"
        assert len(begun) == 1


GROUP_ADMINS_ONLY = "抱歉，只有本群的管理员可以退订本群或更改本群的部门。"


async def test_group_subscribe_asks_telegram_first_then_decides_and_writes_in_one_transaction(
    factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Sessions that asked about the group or the sender while a command ran (the leader's background jobs, which
    # may run at the same time on the same factory, ask about no chat or person in particular).
    watched: set[int] = set()
    touched: set[int] = set()
    open_now: set[int] = set()  # sessions inside a transaction right now
    open_at_ask: list[set[int]] = []  # of those, the ones asking when getChatMember was served

    session_of: dict[int, int] = {}  # connection -> the session whose transaction it carries

    def executed(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        values = parameters.values() if isinstance(parameters, dict) else parameters
        if not many and watched & set(values) and id(conn) in session_of:
            touched.add(session_of[id(conn)])

    def begun(session: Any, transaction: Any, connection: Any) -> None:
        open_now.add(id(session))
        session_of[id(connection)] = id(session)

    def ended(session: Any, transaction: Any) -> None:
        if transaction.parent is None:
            open_now.discard(id(session))

    event.listen(factory.kw["bind"], "before_cursor_execute", executed)
    event.listen(factory, "after_begin", begun)
    event.listen(factory, "after_transaction_end", ended)
    served = api.METHODS["getChatMember"]

    def get_chat_member(self: Any, bot: Any, p: Any) -> Any:
        open_at_ask.append(open_now & touched)
        return served(self, bot, p)

    monkeypatch.setitem(api.METHODS, "getChatMember", get_chat_member)
    with access_server() as server:
        group_admin, member = 512, OTHER_USER
        server.add_user(group_admin, "群管理", language_code="zh-hans")
        server.set_chat_member(GROUP, group_admin, "administrator")
        async with polling_bot(access_config(server), factory):
            for sender, command, answer in (
                (member, "/subscribe@bulletin_test_bot 办公室", "订阅成功（部门：办公室）"),
                (group_admin, "/subscribe@bulletin_test_bot 综合科", "部门已改为：综合科。"),
                (member, "/subscribe@bulletin_test_bot 财务科", GROUP_ADMINS_ONLY),
                (member, "/unsubscribe@bulletin_test_bot", GROUP_ADMINS_ONLY),
                (group_admin, "/unsubscribe@bulletin_test_bot", "已取消订阅。"),
            ):
                touched.clear()
                open_at_ask.clear()
                watched.clear()
                watched.update((GROUP, sender))
                [reply] = await ChatUser(server, GROUP, sender).send(command)
                assert reply.text.startswith(answer)
                assert len(touched) == 1, command  # the decision and its write: one transaction
                assert open_at_ask == [set()], command  # Telegram asked once, with no transaction open
    sub = subscriber(factory, GROUP)
    assert sub is not None and not sub.active and sub.department == "综合科"
