"""End to end over real HTTP (localbotapi): « 返回 from the 修改 field question ends the wait for typed input, so
the admin's next text is not taken as a publication time (it was: the panel's wait for a time stayed behind)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from support.desk import ADMIN_A, Admin, labels, sample_bytes

from storage.archive import IssueRepository
from storage.db import transaction


async def test_back_from_a_field_question_leaves_nothing_waiting_for_text(
    desk: Any, factory: sessionmaker[Session]
) -> None:
    admin = Admin(desk, ADMIN_A, ADMIN_A)
    _preview, panel = await admin.upload("b6.txt", sample_bytes())
    await admin.press_and_wait(panel, "修改", lambda: "« 返回" in labels(admin.current(panel)))
    await admin.press(admin.current(panel), "期号：6", expect=1)
    assert admin.messages()[-1].text == "请输入新的期号（当前：6）。输入 - 清空，输入“取消”放弃修改。"
    await admin.press_and_wait(panel, "« 返回", lambda: "立即发布" in labels(admin.current(panel)))

    [answer] = await admin.send("10:00")
    assert answer.text == "我只认识命令。发送 /help 查看全部命令。"
    assert "立即发布" in labels(admin.current(panel))  # the panel still waits for a button
    with transaction(factory) as s:
        assert IssueRepository(s).page(0, 10) == []
