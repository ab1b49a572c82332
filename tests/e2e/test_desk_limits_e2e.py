"""End to end over real HTTP (localbotapi): a hostile document sent to the desk gets a refusal naming the limit,
while the bot keeps answering and its own memory stays where it was (the parse runs in a bounded child)."""

from __future__ import annotations

import dataclasses
import resource
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from support import hostile_docs
from support.desk import (
    ADMIN_A,
    SUBSCRIBER,
    Admin,
    desk_config,
    running_desk,
    sample_bytes,
    subscribe,
)

from storage.archive import IssueRepository
from storage.db import transaction

EN_ADMIN = 777


@pytest.fixture
async def desk(desk_api: Any, factory: sessionmaker[Session]) -> AsyncIterator[Any]:
    """The desk of tests/e2e/conftest.py with one more admin, Ann, who writes in English."""
    desk_api.add_user(EN_ADMIN, "Ann", language_code="en")
    subscribe(factory, SUBSCRIBER)
    config = desk_config(desk_api)
    config = dataclasses.replace(
        config, access=dataclasses.replace(config.access, admins=(*config.access.admins, EN_ADMIN))
    )
    async with running_desk(desk_api, factory, config):
        yield desk_api


async def test_bombs_are_refused_with_the_limit_named_and_the_bot_stays_small(
    desk: Any, factory: sessionmaker[Session]
) -> None:
    admin = Admin(desk, ADMIN_A, ADMIN_A)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    # 1 GiB of PDF content stream in 1 MB: before, the bot itself inflated it (2.1 GB) and answered 15 s later.
    [pdf] = await admin.upload("简报.pdf", hostile_docs.flate_bomb_pdf(1 << 30), expect=1)
    assert pdf.text == "无法识别这份简报：文档解压后超过 96 MB 或压缩比异常（疑似压缩炸弹），已拒绝。"
    [docx] = await admin.upload("简报.docx", hostile_docs.docx_bomb(20_000_000), expect=1)
    assert docx.text == pdf.text
    assert time.monotonic() - start < 20
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024 < 100
    # The desk still works: the next upload gets its preview.
    preview, _panel = await admin.upload("b6.txt", sample_bytes())
    assert "2024年第6期" in preview.text
    with transaction(factory) as s:
        assert IssueRepository(s).count() == 0


async def test_a_refusal_in_english_names_the_page_limit(desk: Any) -> None:
    admin = Admin(desk, EN_ADMIN, EN_ADMIN)
    [pages] = await admin.upload("report.pdf", hostile_docs.many_pages_pdf(101), expect=1)
    assert pages.text == (
        "This is not a readable bulletin: the PDF has more than the 100-page limit; please send just this issue."
    )
