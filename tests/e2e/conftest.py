"""Fixtures of the desk's end-to-end tests (fixtures only; helpers live in tests/support/desk.py).

`desk_api` is the local Bot API server with the desk's admins and subscribers; `desk` and `approval_desk` run the
bot against it ([publish] approval off / on) with one subscriber subscribed, and yield the server. A module that
needs other users overrides `desk_api`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from support.desk import SUBSCRIBER, desk_config, desk_server, running_desk, subscribe


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
