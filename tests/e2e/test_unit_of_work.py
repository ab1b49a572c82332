"""One unit of work: commit on success, roll back on failure, and one transaction for each update."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker
from support.bot import ZH_USER, ChatUser, running_bot, seed_archive, started_server

from jobs.uow import UnitOfWork, UnitsOfWork


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
    # are not the command's. An issue read from the cache still reads its version FROM issues.
    begun: set[int] = set()

    def touched(state: Any) -> None:
        statement = str(state.statement)
        if "article" in statement or "FROM issues" in statement:
            begun.add(id(state.session))

    event.listen(factory, "do_orm_execute", touched)
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
