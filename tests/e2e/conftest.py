"""Fixtures of the end-to-end tests (fixtures only; helpers live in tests/support/).

`server` is the local Bot API server with the bot, its users and its group (support/bot.py: started_server), `ids`
the made-up archive stored in it (seed_archive: issue number -> id), and `zh` the Chinese-speaking user's private
chat; a module that needs another server or archive overrides them.

`desk_api` is the local Bot API server with the desk's admins and subscribers; `desk` and `approval_desk` run the
bot against it ([publish] approval off / on) with one subscriber subscribed, and yield the server. A module that
needs other users overrides `desk_api`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from support.bot import ZH_USER, ChatUser, seed_archive, started_server
from support.desk import SUBSCRIBER, desk_config, desk_server, running_desk, subscribe


@pytest.fixture
def server() -> Iterator[Any]:
    with started_server() as s:
        yield s


@pytest.fixture
def ids(factory: sessionmaker[Session]) -> dict[int, int]:
    return seed_archive(factory)


@pytest.fixture
def zh(server: Any) -> ChatUser:
    return ChatUser(server, ZH_USER, ZH_USER)


@pytest.fixture
def desk_api() -> Iterator[Any]:
    with desk_server() as server:
        yield server


@pytest.fixture
async def desk(desk_api: Any, factory: sessionmaker[Session]) -> AsyncIterator[Any]:
    subscribe(factory, SUBSCRIBER)
    async with running_desk(desk_api, factory, desk_config(desk_api)):
        yield desk_api


@pytest.fixture
async def approval_desk(desk_api: Any, factory: sessionmaker[Session]) -> AsyncIterator[Any]:
    subscribe(factory, SUBSCRIBER)
    async with running_desk(desk_api, factory, desk_config(desk_api, approval=True)):
        yield desk_api
