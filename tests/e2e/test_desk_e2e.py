"""End to end over real HTTP (localbotapi): admins publish a bulletin by sending its document or URL, check the
preview, confirm or schedule it, mark it internal, get a second admin's approval, and correct it after the push."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy.orm import Session, sessionmaker
from support.bot import message_with_buttons
from support.desk import (
    ADMIN_A,
    ADMIN_B,
    EN_SUBSCRIBER,
    NOBODY,
    SAMPLE_LABEL,
    SUBSCRIBER,
    TOKEN,
    Admin,
    ChatUser,
    buttons,
    desk_config,
    labels,
    running_desk,
    sample_bytes,
    sample_docx,
    sample_text,
    slow,
    subscribe,
    web_server,
)

from bulletin.parser import parse_document
from jobs.push import publish
from storage.access_repo import AdminRepository, AuditLog
from storage.archive import IssueRepository
from storage.db import transaction
from storage.publishing_repo import ApprovalRepository, CorrectionRepository, MarkRepository
from storage.push_models import PushState
from storage.push_repo import PushRepository

SHANGHAI = ZoneInfo("Asia/Shanghai")


def issue_count(factory: sessionmaker[Session]) -> int:
    with transaction(factory) as s:
        return IssueRepository(s).count()


def pushes(factory: sessionmaker[Session]) -> list[Any]:
    with transaction(factory) as s:
        return PushRepository(s).in_state(*PushState)


def audit(factory: sessionmaker[Session]) -> list[Any]:
    with transaction(factory) as s:
        return AuditLog(s).recent(100)


# ---------------------------------------------------------------------------------------------- section 2


async def test_document_preview_is_the_exact_contents_message_and_publish_now_sends_it(
    desk: Any, factory: sessionmaker[Session]
) -> None:
    admin = Admin(desk, ADMIN_A, ADMIN_A)
    subscriber = ChatUser(desk, SUBSCRIBER, SUBSCRIBER)
    preview, panel = await admin.upload("简报第6期.txt", sample_bytes())
    assert preview.text.startswith("某市文化和旅游工作简报\n" + SAMPLE_LABEL)
    assert "全市启动暑期旅游景区安全隐患排查整治" in preview.text
    assert "待发布" in panel.text and "简报第6期.txt" in panel.text and "解析无警告" in panel.text
    assert labels(panel)[:2] == ["立即发布", labels(panel)[1]] and labels(panel)[1].startswith("定时：")
    assert {"明天 09:00", "输入时间…", "🔒 标为内部资料", "取消"} <= set(labels(panel))
    # nothing is stored before the admin confirms
    assert issue_count(factory) == 0 and pushes(factory) == []

    await admin.press_and_wait(panel, "立即发布", lambda: "已发布" in admin.current(panel).text)
    assert await desk.await_for(lambda: len(subscriber.messages()) == 1, timeout=15)
    [received] = subscriber.messages()
    assert received.text == preview.text  # what the admin saw is what subscribers get
    assert labels(received) == labels(preview) and "✅ 已阅" in labels(received)
    assert received.protect_content is False
    assert issue_count(factory) == 1
    [entry] = [e for e in audit(factory) if e.action == "publish"]
    assert entry.actor_id == ADMIN_A and entry.issue_id is not None


async def test_docx_with_parse_warnings_shows_them_and_schedules_at_the_default_slot(
    desk: Any, factory: sessionmaker[Session]
) -> None:
    admin = Admin(desk, ADMIN_A, ADMIN_A)
    last_entry = "☆某区图书馆推出“夜读空间”延时服务\n"
    # a 要目 entry without an article: the parser warns
    text = sample_text(number=8, total=60).replace(last_entry, last_entry + "☆全市文物安全专项检查情况通报\n")
    preview, panel = await admin.upload("第8期.docx", sample_docx(text))
    assert preview.text.startswith("某市文化和旅游工作简报\n2024年第8期（总第60期）")
    assert "解析提示" in panel.text and "全市文物安全专项检查情况通报" in panel.text
    slot_label = next(label for label in labels(panel) if label.startswith("定时："))
    await admin.press_and_wait(panel, slot_label, lambda: "已安排" in admin.current(panel).text)
    [push] = pushes(factory)
    local = push.scheduled_at.astimezone(SHANGHAI)
    assert slot_label == f"定时：{local:%Y-%m-%d %H:%M}" and local.time() == dt.time(9, 0)
    assert push.scheduled_at > dt.datetime.now(dt.UTC)


async def test_schedule_tomorrow_morning_or_a_typed_time(desk: Any, factory: sessionmaker[Session]) -> None:
    admin = Admin(desk, ADMIN_A, ADMIN_A)
    _preview, panel = await admin.upload("b6.txt", sample_bytes())
    await admin.press_and_wait(panel, "明天 09:00", lambda: "已安排" in admin.current(panel).text)
    tomorrow = dt.datetime.now(SHANGHAI).date() + dt.timedelta(days=1)
    assert f"{tomorrow.isoformat()} 09:00" in admin.current(panel).text
    [push] = pushes(factory)
    assert push.state == "scheduled"
    assert push.scheduled_at.astimezone(SHANGHAI) == dt.datetime.combine(tomorrow, dt.time(9), tzinfo=SHANGHAI)

    _preview, panel = await admin.upload("b7.txt", sample_bytes(number=7, total=59))
    await admin.press(panel, "输入时间…", expect=1)
    assert "请发送发布时间" in admin.messages()[-1].text
    [bad] = await admin.send("下周吧")
    assert "无法识别时间" in bad.text
    [past] = await admin.send("2020-01-01 09:00")
    assert "已经过去" in past.text
    before = len(pushes(factory))
    admin.server.send_text(TOKEN, ADMIN_A, ADMIN_A, "2099-03-02 10:30")
    assert await desk.await_for(lambda: "已安排" in admin.current(panel).text)
    assert "2099-03-02 10:30" in admin.current(panel).text
    assert len(pushes(factory)) == before + 1
    newest = max(pushes(factory), key=lambda p: p.id)
    assert newest.scheduled_at == dt.datetime(2099, 3, 2, 2, 30, tzinfo=dt.UTC)


async def test_cancel_stores_nothing(desk: Any, factory: sessionmaker[Session]) -> None:
    admin = Admin(desk, ADMIN_A, ADMIN_A)
    _preview, panel = await admin.upload("b6.txt", sample_bytes())
    await admin.press_and_wait(panel, "取消", lambda: "已取消" in admin.current(panel).text)
    assert labels(admin.current(panel)) == []
    assert issue_count(factory) == 0 and pushes(factory) == []


async def test_replace_is_offered_when_the_issue_exists_with_other_content(
    desk: Any, factory: sessionmaker[Session]
) -> None:
    with transaction(factory) as s:
        IssueRepository(s).add(parse_document(sample_bytes(), "old.txt"))
    admin = Admin(desk, ADMIN_A, ADMIN_A)
    corrected = sample_bytes(extra="（本段已更正）")
    _preview, panel = await admin.upload("b6-corrected.txt", corrected)
    assert "内容不同" in panel.text
    assert "立即发布" not in labels(panel) and "替换库中该期" in labels(panel)
    await admin.press_and_wait(panel, "替换库中该期", lambda: "立即发布" in labels(admin.current(panel)))
    await admin.press_and_wait(panel, "立即发布", lambda: "已发布" in admin.current(panel).text)
    with transaction(factory) as s:
        repo = IssueRepository(s)
        assert repo.count() == 1
        stored = repo.latest()
        assert stored is not None and "（本段已更正）" in stored.issue.articles[0].paragraphs[-1]


async def test_same_issue_uploaded_again_after_its_push_is_refused(desk: Any, factory: sessionmaker[Session]) -> None:
    admin = Admin(desk, ADMIN_A, ADMIN_A)
    subscriber = ChatUser(desk, SUBSCRIBER, SUBSCRIBER)
    _preview, panel = await admin.upload("b6.txt", sample_bytes())
    await admin.press_and_wait(panel, "立即发布", lambda: "已发布" in admin.current(panel).text)
    assert await desk.await_for(lambda: len(subscriber.messages()) == 1, timeout=15)
    assert await desk.await_for(lambda: pushes(factory)[0].state == "done")
    _preview, panel = await admin.upload("b6.txt", sample_bytes())
    assert "内容相同" in panel.text
    await admin.press_and_wait(panel, "立即发布", lambda: "已经推送过" in admin.current(panel).text)
    assert len(pushes(factory)) == 1 and len(subscriber.messages()) == 1


# ---------------------------------------------------------------------------------------------- refusals


async def test_non_admin_document_is_refused_politely_and_never_downloaded(
    desk: Any, factory: sessionmaker[Session]
) -> None:
    nobody = Admin(desk, NOBODY, NOBODY)
    [refusal] = await nobody.upload("b6.txt", sample_bytes(), expect=1)
    assert "管理员" in refusal.text
    assert not any(method == "getFile" for method, _status in desk.method_counts())
    assert issue_count(factory) == 0
    assert any(e.action == "refused" and e.actor_id == NOBODY for e in audit(factory))


async def test_oversized_and_wrong_type_documents_are_refused_with_a_reason(desk: Any) -> None:
    admin = Admin(desk, ADMIN_A, ADMIN_A)
    [big] = await admin.upload("huge.txt", b"x" * (20 * 1024 * 1024 + 1), expect=1)
    assert "文件过大" in big.text and "20 MB" in big.text
    [sheet] = await admin.upload("统计表.xlsx", b"PK\x03\x04 not a bulletin", expect=1)
    assert "不支持的文件类型" in sheet.text and ".xlsx" in sheet.text
    assert not any(method == "getFile" for method, _status in desk.method_counts())
    [junk] = await admin.upload("notes.txt", "今天天气不错。\n\n明天见。".encode(), expect=1)
    assert junk.text.startswith("无法识别这份简报")


async def test_a_press_after_the_admin_was_removed_is_refused(
    desk_api: Any, factory: sessionmaker[Session]
) -> None:
    with transaction(factory) as s:
        AdminRepository(s).add(NOBODY, added_by=ADMIN_A)
    async with running_desk(desk_api, factory, desk_config(desk_api)):
        former = Admin(desk_api, NOBODY, NOBODY)
        _preview, panel = await former.upload("b6.txt", sample_bytes())
        with transaction(factory) as s:
            AdminRepository(s).remove(NOBODY)
        answer = await former.press(panel, "立即发布")
        assert "管理员" in answer["text"]
    assert issue_count(factory) == 0 and pushes(factory) == []


# ---------------------------------------------------------------------------------------------- section 7


async def test_internal_issue_carries_the_mark_and_is_sent_protected(
    desk: Any, factory: sessionmaker[Session]
) -> None:
    admin = Admin(desk, ADMIN_A, ADMIN_A)
    subscriber = ChatUser(desk, SUBSCRIBER, SUBSCRIBER)
    preview, panel = await admin.upload("b6.txt", sample_bytes())
    await admin.press_and_wait(panel, "🔒 标为内部资料", lambda: "已标为内部资料" in admin.current(panel).text)
    assert admin.current(preview).text.startswith("🔒 内部资料")
    assert "🔓 取消内部资料标记" in labels(admin.current(panel))
    await admin.press_and_wait(panel, "立即发布", lambda: "已发布" in admin.current(panel).text)
    assert await desk.await_for(lambda: len(subscriber.messages()) == 1, timeout=15)
    [received] = subscriber.messages()
    assert received.text.startswith("🔒 内部资料 注意保密 请勿转发\n某市文化和旅游工作简报")
    assert received.protect_content is True
    with transaction(factory) as s:
        stored = IssueRepository(s).latest()
        assert stored is not None and MarkRepository(s).is_internal(stored.id)
    # on demand too: the article opened from the pushed message, and /latest, are marked and protected
    await subscriber.press(received, "1. 全市启动暑期旅游景区安全隐患排查整治", expect=1)
    article = subscriber.messages()[-1]
    assert article.text.startswith("🔒 内部资料 注意保密 请勿转发\n全市启动暑期旅游景区安全隐患排查整治")
    assert article.protect_content is True
    [latest] = await subscriber.send("/latest")
    assert latest.text == received.text and latest.protect_content is True


# ---------------------------------------------------------------------------------------------- approval


async def test_approval_needs_a_second_admin_and_the_uploader_cannot_approve(
    approval_desk: Any, factory: sessionmaker[Session]
) -> None:
    server = approval_desk
    a = Admin(server, ADMIN_A, ADMIN_A)
    b = Admin(server, ADMIN_B, ADMIN_B)
    subscriber = ChatUser(server, SUBSCRIBER, SUBSCRIBER)
    _preview, panel = await a.upload("b6.txt", sample_bytes())
    assert "要求审核" in panel.text
    before_a = len(a.messages())
    await a.press_and_wait(panel, "立即发布", lambda: "已提交审核" in a.current(panel).text)
    assert await server.await_for(lambda: len(b.messages()) == 2 and len(a.messages()) == before_a + 2)
    # still nothing in the archive: the upload waits for approval
    assert issue_count(factory) == 0
    own_request = a.messages()[-1]
    assert "待审核" in own_request.text and labels(own_request) == ["✅ 批准", "❌ 驳回"]
    answer = await a.press(own_request, "✅ 批准")
    assert "不能审核自己上传的简报" in answer["text"]
    assert issue_count(factory) == 0
    assert any(e.action == "refused" and e.actor_id == ADMIN_A and "own upload" in e.detail for e in audit(factory))

    b_preview, b_request = b.messages()
    assert b_preview.text.startswith("某市文化和旅游工作简报")
    await b.press_and_wait(b_request, "✅ 批准", lambda: "已由 赵科长 批准" in b.current(b_request).text)
    assert await server.await_for(lambda: "已由 赵科长 批准" in a.current(own_request).text)
    assert await server.await_for(lambda: len(subscriber.messages()) == 1, timeout=15)
    assert issue_count(factory) == 1
    with transaction(factory) as s:
        [approval] = [ApprovalRepository(s).get(1)]
        assert approval is not None and approval.state == "approved" and approval.decided_by == ADMIN_B
    [entry] = [e for e in audit(factory) if e.action == "publish"]
    assert entry.actor_id == ADMIN_B and "uploaded by 601" in entry.detail
    # decided: the request messages lost their buttons, so nobody can press them again
    assert labels(a.current(own_request)) == [] and labels(b.current(b_request)) == []


async def test_rejected_upload_is_never_stored(approval_desk: Any, factory: sessionmaker[Session]) -> None:
    server = approval_desk
    a = Admin(server, ADMIN_A, ADMIN_A)
    b = Admin(server, ADMIN_B, ADMIN_B)
    _preview, panel = await a.upload("b6.txt", sample_bytes())
    await a.press_and_wait(panel, "明天 09:00", lambda: "已提交审核" in a.current(panel).text)
    assert await server.await_for(lambda: len(b.messages()) == 2)
    request = b.messages()[-1]
    await b.press_and_wait(
        request, "❌ 驳回", lambda: "驳回" in b.current(request).text and not labels(b.current(request))
    )
    assert issue_count(factory) == 0 and pushes(factory) == []


# ---------------------------------------------------------------------------------------------- URLs


async def test_urls_fetched_with_limits(desk_api: Any, factory: sessionmaker[Session]) -> None:
    async def bulletin(request: web.Request) -> web.Response:
        return web.Response(text=sample_text(), content_type="text/plain", charset="utf-8")

    async def not_bulletin(request: web.Request) -> web.Response:
        return web.Response(text="<html><body><h1>欢迎访问</h1><p>网站首页</p></body></html>", content_type="text/html")

    async def image(request: web.Request) -> web.Response:
        return web.Response(body=b"\x89PNG\r\n\x1a\n" + b"0" * 100, content_type="image/png")

    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await response.prepare(request)
        for _ in range(40):
            await response.write(b"a" * 65536)
        return response

    routes = {"/b6.txt": bulletin, "/index.html": not_bulletin, "/logo.png": image, "/slow": slow, "/huge": huge}
    async with web_server(routes) as base:
        config = desk_config(desk_api, url_timeout=1.0, url_max_mb=1.0)
        async with running_desk(desk_api, factory, config):
            admin = Admin(desk_api, ADMIN_A, ADMIN_A)
            preview, panel = await admin.send(f"{base}/b6.txt", expect=2)
            assert preview.text.startswith("某市文化和旅游工作简报\n" + SAMPLE_LABEL)
            assert f"{base}/b6.txt" in panel.text and "立即发布" in labels(panel)
            [timeout] = await admin.send(f"{base}/slow")
            assert "超时" in timeout.text
            [html] = await admin.send(f"{base}/index.html")
            assert html.text.startswith("无法识别这份简报")
            [png] = await admin.send(f"{base}/logo.png")
            assert "image/png" in png.text
            [big] = await admin.send(f"{base}/huge")
            assert "超过 1 MB" in big.text
            nobody = Admin(desk_api, NOBODY, NOBODY)
            [refusal] = await nobody.send(f"{base}/b6.txt")
            assert "管理员" in refusal.text
    assert issue_count(factory) == 0


async def test_urls_to_internal_addresses_are_refused_like_a_closed_port(
    desk_api: Any, factory: sessionmaker[Session]
) -> None:
    """Issue 9 §4: a loopback-only page cannot be fetched and previewed, however its address is spelled or reached,
    and a refused address answers exactly like a closed port."""

    async def internal(request: web.Request) -> web.Response:
        return web.Response(text=sample_text(), content_type="text/plain", charset="utf-8")

    async def hop(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"http://localhost:{request.url.port}/b6.txt")

    refusal = "无法获取该网址：地址不允许访问或无法连接。请检查网址，或直接发送文件。"
    async with web_server({"/b6.txt": internal, "/hop": hop}) as base:
        port = base.rsplit(":", 1)[1]
        async with running_desk(desk_api, factory, desk_config(desk_api, allow_private=False)):
            admin = Admin(desk_api, ADMIN_A, ADMIN_A)
            for url in (f"{base}/b6.txt", f"http://localhost:{port}/b6.txt", f"http://2130706433:{port}/b6.txt",
                        f"{base}/hop", f"http://[::ffff:127.0.0.1]:{port}/b6.txt"):
                [answer] = await admin.send(url)
                assert answer.text == refusal, url
        closed = int(port)
    async with running_desk(desk_api, factory, desk_config(desk_api, allow_private=True)):
        # the desk_api above is gone: its port is closed now, and that reads the same
        [answer] = await Admin(desk_api, ADMIN_A, ADMIN_A).send(f"http://127.0.0.1:{closed}/b6.txt")
        assert answer.text == refusal
    assert issue_count(factory) == 0


# ---------------------------------------------------------------------------------------------- section 3


async def test_refresh_correct_and_recall_reach_every_chat_and_record_each_outcome(
    desk_api: Any, factory: sessionmaker[Session]
) -> None:
    gone_user = 704
    desk_api.add_user(gone_user, "王五", language_code="zh-hans")
    subscribe(factory, SUBSCRIBER, EN_SUBSCRIBER, gone_user)
    async with running_desk(desk_api, factory, desk_config(desk_api)):
        admin = Admin(desk_api, ADMIN_A, ADMIN_A)
        zh = ChatUser(desk_api, SUBSCRIBER, SUBSCRIBER)
        en = ChatUser(desk_api, EN_SUBSCRIBER, EN_SUBSCRIBER)
        _preview, panel = await admin.upload("b6.txt", sample_bytes())
        await admin.press_and_wait(panel, "立即发布", lambda: "已发布" in admin.current(panel).text)
        assert await desk_api.await_for(
            lambda: all(len(ChatUser(desk_api, c, c).messages()) == 1 for c in (SUBSCRIBER, EN_SUBSCRIBER, gone_user)),
            timeout=15,
        )
        assert await desk_api.await_for(lambda: pushes(factory)[0].state == "done")
        desk_api.block(gone_user)
        [zh_contents], [en_contents] = zh.messages(), en.messages()

        # a non-admin cannot touch it
        nobody = ChatUser(desk_api, NOBODY, NOBODY)
        [refusal] = await nobody.send("/recall 58")
        assert "管理员" in refusal.text

        # 1. correction notice, replying to the contents message in each chat
        [prompt] = await admin.send("/correct 58 第2篇标题应为“市文旅局召开上半年重点项目推进会议”。")
        assert "3 个会话" in prompt.text and "发送更正通知" in prompt.text
        await admin.press_and_wait(prompt, "确认", lambda: "完成" in admin.current(prompt).text)
        assert "成功 2 · 失败 0 · 不可达 1" in admin.current(prompt).text
        notice = zh.messages()[-1]
        assert notice.text.startswith("📢 更正（2024年第6期（总第58期））")
        assert notice.reply_to_message_id == zh_contents.message_id
        assert en.messages()[-1].text.startswith("📢 Correction (2024 No. 6 (No. 58 overall))")

        # 2. the corrected document replaces the stored issue (not pushed again), /refresh edits the sent messages
        fixed = sample_bytes(retitle="市文旅局召开上半年重点项目推进会议")
        _preview, panel = await admin.upload("b6-fixed.txt", fixed)
        await admin.press_and_wait(panel, "替换库中该期", lambda: "立即发布" in labels(admin.current(panel)))
        await admin.press_and_wait(panel, "立即发布", lambda: "不会重新推送" in admin.current(panel).text)
        assert len(pushes(factory)) == 1
        [prompt] = await admin.send("/refresh 58")
        await admin.press_and_wait(prompt, "确认", lambda: "完成" in admin.current(prompt).text)
        assert "成功 2" in admin.current(prompt).text
        assert "2. 市文旅局召开上半年重点项目推进会议" in zh.message(zh_contents.message_id).text
        assert "2. 市文旅局召开上半年重点项目推进会议" in en.message(en_contents.message_id).text

        # 3. recall: the contents messages are deleted
        [prompt] = await admin.send("/recall 58")
        await admin.press_and_wait(prompt, "确认", lambda: "完成" in admin.current(prompt).text)
        assert zh.message(zh_contents.message_id).deleted and en.message(en_contents.message_id).deleted
        # recalled messages are no longer "reached": a second recall has nothing to do
        [nothing] = await admin.send("/recall 58")
        assert "还没有送达任何会话" in nothing.text

    with transaction(factory) as s:
        repo = CorrectionRepository(s)
        notice_results = {r.chat_id: r.state for r in repo.results(1)}
        assert notice_results == {SUBSCRIBER: "done", EN_SUBSCRIBER: "done", gone_user: "gone"}
        assert {r.chat_id: r.state for r in repo.results(3)} == {
            SUBSCRIBER: "done", EN_SUBSCRIBER: "done", gone_user: "done"
        }
    actions = [e.action for e in audit(factory)]
    assert {"correct_notice", "correct_edit", "correct_recall"} <= set(actions)


def pushed_issue(server: Any, factory: sessionmaker[Session]) -> int:
    """Store the sample issue (No. 58 overall) and schedule its push now; returns its id."""
    now = dt.datetime.now(dt.UTC)
    with transaction(factory) as s:
        stored, _ = IssueRepository(s).add(parse_document(sample_bytes(), "b6.txt"))
        publish(s, stored.id, now, now)
        return stored.id


async def test_corrections_need_a_second_admin_when_approval_is_on(
    approval_desk: Any, factory: sessionmaker[Session]
) -> None:
    """Issue 9 §5: with [publish] approval, /correct and /recall (and /refresh) wait for another admin's approval;
    the proposer cannot approve their own, and every step is audited."""
    server = approval_desk
    a, b = Admin(server, ADMIN_A, ADMIN_A), Admin(server, ADMIN_B, ADMIN_B)
    subscriber = ChatUser(server, SUBSCRIBER, SUBSCRIBER)
    pushed_issue(server, factory)
    assert await server.await_for(lambda: len(subscriber.messages()) == 1, timeout=15)
    assert await server.await_for(lambda: pushes(factory)[0].state == "done")
    [contents] = subscriber.messages()

    [prompt] = await a.send("/correct 58 第2篇标题有误，以本通知为准。")
    await a.press_and_wait(prompt, "确认", lambda: "已提交审核" in a.current(prompt).text)
    assert a.current(prompt).text == (
        "📨 已提交审核：对 2024年第6期（总第58期） 的“发送更正通知”。需由另一位管理员批准后才会执行。"
    )
    assert labels(a.current(prompt)) == ["撤回申请"]
    assert await server.await_for(lambda: len(b.messages()) == 1)
    [request] = b.messages()
    assert request.text == (
        f"📝 待审核：对收到 2024年第6期（总第58期） 的 1 个会话执行“发送更正通知”\n提交人：{ADMIN_A}\n\n"
        "第2篇标题有误，以本通知为准。"
    )
    assert labels(request) == ["✅ 批准", "❌ 驳回"]
    # nothing sent yet; the proposer's forged approval (B's button pressed from A's chat) is refused and audited
    approve_data = next(btn["callback_data"] for btn in buttons(request) if btn["text"] == "✅ 批准")
    answer = await a.press_data(await message_with_buttons(a, [approve_data]), approve_data)
    assert answer["text"] == "不能批准自己提出的更正，需由另一位管理员批准。"
    assert len(subscriber.messages()) == 1
    assert any(e.action == "refused" and e.actor_id == ADMIN_A and "own correction" in e.detail
               for e in audit(factory))

    await b.press_and_wait(request, "✅ 批准", lambda: "完成" in b.current(request).text)
    assert await server.await_for(lambda: "完成" in a.current(prompt).text)
    assert await server.await_for(lambda: len(subscriber.messages()) == 2)
    assert subscriber.messages()[-1].text.startswith("📢 更正（2024年第6期（总第58期））")
    [done] = [e for e in audit(factory) if e.action == "correct_notice"]
    assert done.actor_id == ADMIN_A and "approved by 602" in done.detail
    assert [e.actor_id for e in audit(factory) if e.action == "correct_notice_propose"] == [ADMIN_A]

    # a recall rejected by the other admin deletes nothing; one withdrawn by its proposer neither
    for decider, outcome in ((b, "❌ 已被 赵科长 驳回，没有对 2024年第6期（总第58期） 执行“撤回要目消息”。"),
                             (a, "已由 王主任 撤回对 2024年第6期（总第58期） 的“撤回要目消息”申请，没有执行。")):
        [prompt] = await a.send("/recall 58")
        seen = len(b.messages())
        await a.press_and_wait(prompt, "确认", lambda p=prompt: "已提交审核" in a.current(p).text)
        assert await server.await_for(lambda n=seen: len(b.messages()) == n + 1)
        request = b.messages()[-1]
        if decider is b:
            await b.press_and_wait(request, "❌ 驳回", lambda r=request: "驳回" in b.current(r).text)
        else:
            await a.press_and_wait(prompt, "撤回申请", lambda p=prompt: "撤回对" in a.current(p).text)
        assert await server.await_for(lambda p=prompt, o=outcome: a.current(p).text == o)
        assert await server.await_for(lambda r=request, o=outcome: b.current(r).text == o)
        assert labels(b.current(request)) == [] and labels(a.current(prompt)) == []
        assert not subscriber.message(contents.message_id).deleted
    actions = [e.action for e in audit(factory)]
    assert "correct_recall_rejected" in actions and "correct_recall_withdrawn" in actions
    assert "correct_recall" not in actions

    # /refresh changes what subscribers see too: it waits as well
    [prompt] = await a.send("/refresh 58")
    await a.press_and_wait(prompt, "确认", lambda: "已提交审核" in a.current(prompt).text)


async def test_panel_buttons_from_before_a_restart_answer_expired(
    desk_api: Any, factory: sessionmaker[Session]
) -> None:
    admin = Admin(desk_api, ADMIN_A, ADMIN_A)
    async with running_desk(desk_api, factory, desk_config(desk_api)):
        _preview, panel = await admin.upload("b6.txt", sample_bytes())
    # the bot restarted: drafts were only in memory, so the old panel's buttons no longer do anything
    async with running_desk(desk_api, factory, desk_config(desk_api)):
        answer = await admin.press(panel, "立即发布")
        assert "预览已失效" in answer["text"]
    assert issue_count(factory) == 0 and pushes(factory) == []


async def test_internal_command_marks_a_stored_issue_for_later_pushes_and_views(
    desk: Any, factory: sessionmaker[Session]
) -> None:
    with transaction(factory) as s:
        IssueRepository(s).add(parse_document(sample_bytes(), "b6.txt"))
    admin = Admin(desk, ADMIN_A, ADMIN_A)
    subscriber = ChatUser(desk, SUBSCRIBER, SUBSCRIBER)
    nobody = ChatUser(desk, NOBODY, NOBODY)
    [refusal] = await nobody.send("/internal 58 on")
    assert "管理员" in refusal.text
    [usage] = await admin.send("/internal 58 maybe")
    assert usage.text.startswith("用法：/internal")
    [done] = await admin.send("/internal 58 on")
    assert "已标为内部资料" in done.text
    [latest] = await subscriber.send("/latest")
    assert latest.text.startswith("🔒 内部资料") and latest.protect_content is True
    [done] = await admin.send("/internal 58 off")
    assert "已取消内部资料标记" in done.text
    [latest] = await subscriber.send("/latest")
    assert latest.text.startswith("某市文化和旅游工作简报") and latest.protect_content is False
    assert [e.action for e in audit(factory) if e.actor_id == ADMIN_A][:2] == ["unmark_internal", "mark_internal"]
