"""End to end over real HTTP (localbotapi): the admin corrects an upload in chat with 修改 before anything is stored
(issue 10 §2-§3): a field is typed, an invalid value is refused with the reason, the preview is redrawn, confirm
stores the corrected issue, cancel stores nothing; a corrected masthead is remembered for the series; a document
without an issue line asks for its number."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from support.desk import (
    ADMIN_A,
    SUBSCRIBER,
    Admin,
    ChatUser,
    labels,
    sample_bytes,
    sample_text,
)

from bulletin.errors import BulletinParseError
from bulletin.parser import parse_document
from storage.access_repo import AuditLog
from storage.aliases import SeriesAliasRepository
from storage.archive import IssueRepository
from storage.db import transaction

MASTHEAD = "某市文化和旅游工作简报"


def stored_issues(factory: sessionmaker[Session]) -> list[Any]:
    with transaction(factory) as s:
        return [stored.issue for stored in IssueRepository(s).page(0, 10)]


async def edit_field(admin: Admin, panel: Any, field_label: str) -> Any:
    """Press 修改, then the field's button; return the bot's question."""
    await admin.press_and_wait(panel, "修改", lambda: field_label in labels(admin.current(panel)))
    await admin.press(admin.current(panel), field_label, expect=1)
    return admin.messages()[-1]


async def test_edit_a_field_refuse_an_invalid_value_then_confirm_stores_the_corrected_issue(
    desk: Any, factory: sessionmaker[Session]
) -> None:
    admin = Admin(desk, ADMIN_A, ADMIN_A)
    subscriber = ChatUser(desk, SUBSCRIBER, SUBSCRIBER)
    preview, panel = await admin.upload("简报第6期.txt", sample_bytes())
    assert "修改" in labels(panel)

    await admin.press_and_wait(panel, "修改", lambda: "« 返回" in labels(admin.current(panel)))
    choose = admin.current(panel)
    assert choose.text == "要修改哪一项？点选后输入新值。确认发布前不会入库。"
    assert labels(choose) == [
        f"报头：{MASTHEAD}", "年份：2024", "期号：6", "总期号：58", "日期：2024-06-17",
        "编发单位：某市文化和旅游局办公室", "« 返回",
    ]
    await admin.press(choose, "期号：6", expect=1)
    assert admin.messages()[-1].text == "请输入新的期号（当前：6）。输入 - 清空，输入“取消”放弃修改。"

    [refused] = await admin.send("七")
    assert refused.text == "未修改：期号必须是整数，“七”不是。请重新输入，或输入“取消”。"
    assert admin.current(preview).text.startswith(f"{MASTHEAD}\n2024年第6期（总第58期）")
    [done] = await admin.send("7")
    assert done.text == "已将期号改为：7。预览已更新，确认发布后才会入库。"
    assert await desk.await_for(lambda: admin.current(preview).text.startswith(f"{MASTHEAD}\n2024年第7期（总第58期）"))
    assert await desk.await_for(lambda: "立即发布" in labels(admin.current(panel)))
    assert stored_issues(factory) == []

    question = await edit_field(admin, panel, "日期：2024-06-17")
    assert question.text == "请输入新的日期（当前：2024-06-17）。输入 - 清空，输入“取消”放弃修改。"
    [bad_date] = await admin.send("2024-02-30")
    assert bad_date.text == "未修改：日期“2024-02-30”不是日期，请按 2023-06-01 或 2023年6月1日 输入，或输入“取消”。"
    [_done] = await admin.send("2024年7月1日")
    assert await desk.await_for(lambda: "2024年7月1日" in admin.current(preview).text)
    assert await desk.await_for(lambda: "立即发布" in labels(admin.current(panel)))
    assert stored_issues(factory) == []  # nothing stored before the confirmation

    await admin.press_and_wait(panel, "立即发布", lambda: "已发布" in admin.current(panel).text)
    [issue] = stored_issues(factory)
    assert (issue.masthead, issue.year, issue.number, issue.total_number) == (MASTHEAD, 2024, 7, 58)
    assert issue.date is not None and issue.date.isoformat() == "2024-07-01"
    assert await desk.await_for(lambda: len(subscriber.messages()) == 1, timeout=15)
    assert subscriber.messages()[0].text == admin.current(preview).text
    with transaction(factory) as s:
        [entry] = [e for e in AuditLog(s).recent(20) if e.action == "publish"]
    assert "set number=7, date=2024年7月1日" in entry.detail


async def test_cancel_after_editing_stores_nothing_and_typed_cancel_leaves_the_field(
    desk: Any, factory: sessionmaker[Session]
) -> None:
    admin = Admin(desk, ADMIN_A, ADMIN_A)
    preview, panel = await admin.upload("b6.txt", sample_bytes())
    await edit_field(admin, panel, "总期号：58")
    [left] = await admin.send("取消")
    assert left.text == "已放弃修改。"
    assert await desk.await_for(lambda: "立即发布" in labels(admin.current(panel)))
    await edit_field(admin, panel, "总期号：58")
    [_done] = await admin.send("-")
    assert await desk.await_for(lambda: admin.current(preview).text.split("\n")[1] == "2024年第6期")
    assert await desk.await_for(lambda: "取消" in labels(admin.current(panel)))
    await admin.press_and_wait(panel, "取消", lambda: "已取消" in admin.current(panel).text)
    assert stored_issues(factory) == []
    with transaction(factory) as s:
        assert SeriesAliasRepository(s).all() == []


async def test_a_corrected_masthead_is_remembered_for_the_next_issue_of_the_series(
    desk: Any, factory: sessionmaker[Session]
) -> None:
    admin = Admin(desk, ADMIN_A, ADMIN_A)
    _preview, panel = await admin.upload("b6.txt", sample_bytes())
    await edit_field(admin, panel, f"报头：{MASTHEAD}")
    await admin.send("某市文旅简报")
    assert await desk.await_for(lambda: "立即发布" in labels(admin.current(panel)))
    await admin.press_and_wait(panel, "立即发布", lambda: "已发布" in admin.current(panel).text)

    preview, panel = await admin.upload("b7.txt", sample_bytes(number=7, total=59))
    assert preview.text.startswith("某市文旅简报\n2024年第7期（总第59期）")
    assert "已沿用此前对该简报的更正：报头 → 某市文旅简报" in panel.text
    with transaction(factory) as s:
        [alias] = SeriesAliasRepository(s).all()
    assert (alias.parsed_masthead, alias.field, alias.value) == (MASTHEAD, "masthead", "某市文旅简报")
    assert alias.set_by == ADMIN_A


async def test_a_document_without_issue_line_asks_for_the_number_then_publishes(
    desk: Any, factory: sessionmaker[Session]
) -> None:
    data = sample_text().replace("2024年第6期（总第58期）\n", "").encode("utf-8")
    with pytest.raises(BulletinParseError) as refused:
        parse_document(data, "noline.txt")
    assert refused.value.partial is not None  # the command line still refuses it; the desk asks instead
    admin = Admin(desk, ADMIN_A, ADMIN_A)
    preview, panel = await admin.upload("noline.txt", data)
    assert "没有找到期号" in panel.text
    assert "以下内容是推断的，不是从文件中读出的，请核对：报头、年份" in panel.text  # §2: named above the buttons
    assert "立即发布" not in labels(panel) and "修改" in labels(panel)
    question = await edit_field(admin, panel, "期号：（空）")
    assert question.text == "请输入新的期号（当前：（空））。输入 - 清空，输入“取消”放弃修改。"
    await admin.send("6")
    assert await desk.await_for(lambda: "立即发布" in labels(admin.current(panel)))
    assert "第6期" in admin.current(preview).text
    assert stored_issues(factory) == []
    await admin.press_and_wait(panel, "立即发布", lambda: "已发布" in admin.current(panel).text)
    [issue] = stored_issues(factory)
    assert issue.number == 6 and issue.masthead == MASTHEAD
