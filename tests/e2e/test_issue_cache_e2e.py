"""The bot keeps stored issues between updates (storage/issue_cache.py): readers must still see every change.

A stored issue changes when the desk replaces it (a corrected document) or when an import from the command line,
another process on the same database, replaces it; /refresh, /correct and /recall act on the pushed messages. After
each of them a reader's /issue, /article and buttons show the issue as stored now.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from support.bot import ChatUser, buttons, labels
from support.desk import (
    ADMIN_A,
    SUBSCRIBER,
    Admin,
    desk_config,
    pushed_sample_issue,
    running_desk,
    sample_bytes,
    subscribe,
)

from bulletin.parser import parse_document
from storage.archive import IssueRepository
from storage.db import open_database, transaction

OLD_TITLE = "市文旅局召开上半年重点项目推进会"
NEW_TITLE = "市文旅局召开上半年重点项目推进会议"


async def test_a_reader_sees_the_corrected_issue_after_replace_refresh_correct_and_recall(
    desk_api: Any, factory: sessionmaker[Session]
) -> None:
    server = desk_api
    subscribe(factory, SUBSCRIBER)
    pushed_sample_issue(factory)
    async with running_desk(server, factory, desk_config(server)):
        admin = Admin(server, ADMIN_A, ADMIN_A)
        reader = ChatUser(server, SUBSCRIBER, SUBSCRIBER)
        assert await server.await_for(lambda: len(reader.messages()) == 1, timeout=15)
        [pushed] = reader.messages()

        # read twice: the second answer comes from the cache
        for _ in range(2):
            [contents] = await reader.send("/issue 58")
            assert f"2. {OLD_TITLE}\n" in contents.text
            [article] = await reader.send("/article 58 2")
            assert article.text.startswith(OLD_TITLE + "\n")

        # the desk replaces the stored issue with the corrected document
        _preview, panel = await admin.upload("b6-fixed.txt", sample_bytes(retitle=NEW_TITLE))
        await admin.press_and_wait(panel, "替换库中该期", lambda: "立即发布" in labels(admin.current(panel)))
        await admin.press_and_wait(panel, "立即发布", lambda: "不会重新推送" in admin.current(panel).text)
        [contents] = await reader.send("/issue 58")
        assert f"2. {NEW_TITLE}\n" in contents.text and OLD_TITLE + "\n" not in contents.text
        [article] = await reader.send("/article 58 2")
        assert article.text.startswith(NEW_TITLE + "\n")
        [latest] = await reader.send("/latest")
        assert f"2. {NEW_TITLE}\n" in latest.text
        # the button under the pushed message opens the corrected article too
        second = next(b["callback_data"] for b in buttons(pushed) if b["text"].startswith("2. "))
        await reader.press_data(pushed, second, expect=1)
        assert reader.messages()[-1].text.startswith(NEW_TITLE + "\n")

        # /refresh edits the pushed message; /correct sends a notice; /recall deletes the pushed message
        [prompt] = await admin.send("/refresh 58")
        await admin.press_and_wait(prompt, "确认", lambda: "完成" in admin.current(prompt).text)
        assert f"2. {NEW_TITLE}" in reader.message(pushed.message_id).text
        [prompt] = await admin.send(f"/correct 58 第2篇标题应为“{NEW_TITLE}”。")
        await admin.press_and_wait(prompt, "确认", lambda: "完成" in admin.current(prompt).text)
        [prompt] = await admin.send("/recall 58")
        await admin.press_and_wait(prompt, "确认", lambda: "完成" in admin.current(prompt).text)
        assert reader.message(pushed.message_id).deleted
        # the archive still holds the corrected issue, and that is what a reader gets
        [contents] = await reader.send("/issue 58")
        assert f"2. {NEW_TITLE}\n" in contents.text and OLD_TITLE + "\n" not in contents.text
        [article] = await reader.send("/article 58 2")
        assert article.text.startswith(NEW_TITLE + "\n")


async def test_a_replace_by_another_process_reaches_the_running_bot(
    desk_api: Any, factory: sessionmaker[Session], db_url: str
) -> None:
    server = desk_api
    subscribe(factory, SUBSCRIBER)
    with transaction(factory) as s:
        IssueRepository(s).add(parse_document(sample_bytes(), "b6.txt"))
    async with running_desk(server, factory, desk_config(server)):
        reader = ChatUser(server, SUBSCRIBER, SUBSCRIBER)
        for _ in range(2):
            [contents] = await reader.send("/issue 2024-6")
            assert f"2. {OLD_TITLE}\n" in contents.text
        # another process (its own engine, its own cache or none) imports the corrected document over it
        engine, other = open_database(db_url)
        try:
            with transaction(other) as s:
                _stored, outcome = IssueRepository(s).add(
                    parse_document(sample_bytes(retitle=NEW_TITLE), "b6-fixed.txt"), replace=True
                )
            assert outcome.value == "replaced"
        finally:
            engine.dispose()
        [contents] = await reader.send("/issue 2024-6")
        assert f"2. {NEW_TITLE}\n" in contents.text
        [article] = await reader.send("/article 2024-6 2")
        assert article.text.startswith(NEW_TITLE + "\n")
