"""End to end: the real bot (default features and the push runner) against the local Bot API server watches a local
test website: the admins get the desk's preview of a new issue, confirm it, and subscribers get the push; publish
mode schedules it with a cancel button; a failing source is reported after three failures and again when it
recovers; a standby `bulletin-bot run` process does not poll."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from support.db import needs_pg, pg_schema_url
from support.desk import (
    ADMIN_A,
    ADMIN_B,
    SUBSCRIBER,
    Admin,
    ChatUser,
    desk_config,
    desk_server,
    labels,
    running_desk,
    subscribe,
)
from support.website import MASTHEAD, OfficeSite, index_page, issue_document, serve

from config import Config, WatchConfig, WatchSourceConfig
from jobs.leader import Leadership
from storage.db import create_db_engine, open_database, transaction
from storage.push_models import PushState
from storage.push_repo import PushRepository

FAST = dt.timedelta(seconds=1)


@pytest.fixture
def site() -> Iterator[OfficeSite]:
    with serve(OfficeSite()) as served:
        yield served


@pytest.fixture
def server() -> Iterator[Any]:
    with desk_server() as s:
        yield s


def watch_config(server: Any, site: OfficeSite, path: str, *, mode: str = "preview") -> Config:
    config = desk_config(server, allow_private=True)
    source = WatchSourceConfig(url=site.url(path), every=FAST, mode=mode)
    watch = WatchConfig(check_every=FAST, per_host_interval=dt.timedelta(0), max_backoff=dt.timedelta(seconds=2),
                        timeout=5.0, sources=(source,))
    return dataclasses.replace(config, watch=watch)


async def primed(site: OfficeSite, path: str) -> None:
    """Wait until the bot has polled PATH once (its baseline is recorded)."""
    deadline = time.monotonic() + 20
    while site.hits[path] < 1 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert site.hits[path] >= 1, "the watch never polled the site"
    await asyncio.sleep(0.5)  # the baseline transaction after the fetch


def pushes(factory: sessionmaker[Session]) -> list[Any]:
    with transaction(factory) as s:
        return PushRepository(s).in_state(*PushState)


async def test_the_admin_gets_the_preview_confirms_and_subscribers_get_the_push(
    server: Any, site: OfficeSite, factory: sessionmaker[Session]
) -> None:
    subscribe(factory, SUBSCRIBER)
    site.put("/jianbao/5.html", issue_document(5, "html"))
    site.put("/jianbao/", index_page([("/jianbao/5.html", "工作简报第5期")]))
    admin, other = Admin(server, ADMIN_A, ADMIN_A), Admin(server, ADMIN_B, ADMIN_B)
    subscriber = ChatUser(server, SUBSCRIBER, SUBSCRIBER)
    async with running_desk(server, factory, watch_config(server, site, "/jianbao/")):
        await primed(site, "/jianbao/")
        assert admin.messages() == [] and site.hits["/jianbao/5.html"] == 0  # history is not offered

        site.put("/jianbao/6.pdf", issue_document(6, "pdf"), "application/pdf")
        site.put("/jianbao/", index_page([("/jianbao/6.pdf", "工作简报第6期"), ("/jianbao/5.html", "工作简报第5期")]))
        assert await server.await_for(lambda: len(admin.messages()) >= 2 and len(other.messages()) >= 2, timeout=30)
        preview, panel = admin.messages()[:2]
        assert MASTHEAD in preview.text and "第6批乡村旅游重点村名单公布" in preview.text
        assert "网站监测发现" in panel.text and site.url("/jianbao/") in panel.text
        assert site.url("/jianbao/6.pdf") in panel.text  # the source of the draft: the document's link
        assert "立即发布" in labels(panel) and "取消" in labels(panel)
        assert pushes(factory) == []  # nothing stored before an admin confirms

        await admin.press(panel, "立即发布", edit=True)
        assert await server.await_for(lambda: any(MASTHEAD in m.text for m in subscriber.messages()), timeout=30)
        [push] = pushes(factory)
        assert push.state in (PushState.RUNNING.value, PushState.DONE.value)
        await asyncio.sleep(2.5)  # more polls: the issue is not offered again
        assert len(admin.messages()) == 2 and site.downloads("/jianbao/6.pdf") == 1

        # A document that cannot be read: the reason and the link, once.
        site.put("/jianbao/7.pdf", b"%PDF-1.4\nnot really a PDF", "application/pdf")
        site.put("/jianbao/", index_page([("/jianbao/7.pdf", "工作简报第7期"), ("/jianbao/6.pdf", "工作简报第6期")]))
        assert await server.await_for(lambda: len(admin.messages()) >= 3, timeout=30)
        unreadable = admin.messages()[2]
        assert "无法读取" in unreadable.text and site.url("/jianbao/7.pdf") in unreadable.text
        await asyncio.sleep(2.5)
        assert len(admin.messages()) == 3


async def test_publish_mode_schedules_the_issue_and_the_admin_can_cancel_it(
    server: Any, site: OfficeSite, factory: sessionmaker[Session]
) -> None:
    subscribe(factory, SUBSCRIBER)
    site.put("/jb/", index_page([]))
    admin = Admin(server, ADMIN_A, ADMIN_A)
    async with running_desk(server, factory, watch_config(server, site, "/jb/", mode="publish")):
        await primed(site, "/jb/")
        site.put("/jb/7.docx", issue_document(7, "docx"),
                 "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        site.put("/jb/", index_page([("/jb/7.docx", "第7期")]))
        assert await server.await_for(lambda: len(admin.messages()) >= 1, timeout=30)
        [notice] = admin.messages()
        assert "已自动安排推送" in notice.text and "2025年第7期" in notice.text
        [push] = pushes(factory)
        assert push.state == PushState.SCHEDULED.value and push.scheduled_at > dt.datetime.now(dt.UTC)
        await admin.press(notice, "取消推送", edit=True)
        assert "已取消推送" in admin.message(notice.message_id).text
        [push] = pushes(factory)
        assert push.state == PushState.CANCELLED.value
        assert ChatUser(server, SUBSCRIBER, SUBSCRIBER).messages() == []


async def test_three_failures_are_reported_once_and_the_recovery_too(
    server: Any, site: OfficeSite, factory: sessionmaker[Session]
) -> None:
    admin = Admin(server, ADMIN_A, ADMIN_A)
    async with running_desk(server, factory, watch_config(server, site, "/moved/")):
        assert await server.await_for(lambda: len(admin.messages()) >= 1, timeout=40)
        [alert] = admin.messages()
        assert "连续 3 次获取失败" in alert.text and "HTTP 404" in alert.text and site.url("/moved/") in alert.text
        assert site.hits["/moved/"] == 3
        site.put("/moved/", index_page([]))
        assert await server.await_for(lambda: len(admin.messages()) >= 2, timeout=30)
        assert "已恢复正常" in admin.messages()[1].text
        await asyncio.sleep(3)
        assert len(admin.messages()) == 2


@needs_pg
def test_a_standby_process_does_not_poll(site: OfficeSite, tmp_path: Path) -> None:
    from support.run import TOKEN, run_server

    site.put("/jianbao/", index_page([]))
    with pg_schema_url() as db_url, run_server() as server:
        engine, _factory = open_database(db_url)
        holder = Leadership(create_db_engine(db_url), retry_interval=0.2)
        asyncio.run(holder.acquire(wait=False))  # this test is the leader: the bot must stand by
        config = tmp_path / "bot.toml"
        config.write_text(
            f'[telegram]\ntoken = "{TOKEN}"\napi_base_url = "{server.api_base_url()}"\npoll_timeout = 1\n'
            f'[database]\nurl = "{db_url}"\n[network]\nallow_private = true\n'
            '[watch]\ncheck_every = "1s"\nper_host_interval = "0"\n'
            f'[[watch.sources]]\nurl = "{site.url("/jianbao/")}"\nevery = "1s"\n',
            encoding="utf-8",
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("BULLETIN_BOT_")}
        process = subprocess.Popen(
            [sys.executable, "-m", "bulletin_bot.cli", "--config", str(config), "run"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path, env=env,
        )
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")), daemon=True)
        reader.start()
        try:
            deadline = time.monotonic() + 60
            while not any("standing by" in line for line in lines) and time.monotonic() < deadline:
                assert process.poll() is None, "".join(lines)
                time.sleep(0.2)
            assert any("standing by" in line for line in lines), "".join(lines)
            time.sleep(4)  # four check intervals of the watch
            assert site.hits["/jianbao/"] == 0, "a standby polled the website"
            holder.release()  # the bot takes over and starts watching
            deadline = time.monotonic() + 30
            while site.hits["/jianbao/"] == 0 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert site.hits["/jianbao/"] >= 1, "the new leader never polled"
        finally:
            process.terminate()
            process.wait(timeout=30)
            reader.join(10)
            engine.dispose()
