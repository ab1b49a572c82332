"""The bot end to end: the real Application polling the local Bot API server (or receiving its webhook), a user
who types and presses buttons, an archive of made-up issues."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text as sql
from sqlalchemy.orm import Session, sessionmaker
from support.bot import (
    BOT_USERNAME,
    EN_USER,
    GROUP,
    MASTHEAD,
    OTHER_USER,
    TOKEN,
    ZH_USER,
    ChatUser,
    bold_texts,
    labels,
    message_with_buttons,
    running_bot,
    seed_archive,
    started_server,
)

from storage.db import transaction
from storage.subscribers import SubscriberRepository

# ---------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(params=["polling", "webhook"])
async def bot(request: pytest.FixtureRequest, server: Any, factory: sessionmaker[Session],
              ids: dict[int, int]) -> AsyncIterator[dict[str, Any]]:
    async with running_bot(server, factory, request.param) as facts:
        yield facts


@pytest.fixture
def en(server: Any) -> ChatUser:
    return ChatUser(server, EN_USER, EN_USER)


# ---------------------------------------------------------------------------------------------- tests


async def test_start_welcomes_and_deep_links_open_an_issue_or_an_article(
    bot: dict[str, Any], zh: ChatUser, ids: dict[int, int]
) -> None:
    [welcome] = await zh.send("/start")
    assert "工作简报机器人" in welcome.text and "/subscribe" in welcome.text and "/help" in welcome.text
    [contents] = await zh.send(f"/start i{ids[3]}")
    assert contents.text.startswith(f"{MASTHEAD}\n2024年第3期（总第103期）")
    [article] = await zh.send(f"/start a{ids[3]}_2")
    assert article.text == "第3期：乡镇农业生产调度\n\n各乡镇加快春耕备耕。"
    [unknown] = await zh.send("/start i999999")
    assert "没有找到" in unknown.text and "/issues" in unknown.text
    [garbage] = await zh.send("/start <script>")
    assert "工作简报机器人" in garbage.text


async def test_start_tells_a_subscriber_they_are_subscribed_instead_of_asking_them_to_subscribe(
    bot: dict[str, Any], zh: ChatUser
) -> None:
    await zh.send("/subscribe 县档案馆")
    [welcome] = await zh.send("/start")
    assert "您已订阅工作简报（部门：县档案馆）" in welcome.text
    assert "发送 /subscribe 订阅" not in welcome.text and "/settings" in welcome.text
    await zh.send("/unsubscribe")
    [after] = await zh.send("/start")
    assert "发送 /subscribe 订阅" in after.text


async def test_help_lists_every_command_with_an_example(bot: dict[str, Any], zh: ChatUser) -> None:
    [help_message] = await zh.send("/help")
    for command in ("/start", "/help", "/subscribe", "/unsubscribe", "/settings", "/latest", "/issues",
                    "/issue", "/article", "/search", "/whoami"):
        assert command in help_message.text
    # The examples name this archive's newest issue, its second article and a word of its first title.
    assert "/issue 2024-12" in help_message.text and "/article 2024-12 2" in help_message.text
    assert "/search 启动" in help_message.text


async def test_whoami_tells_anyone_their_user_id_and_in_a_group_the_groups_id(
    bot: dict[str, Any], server: Any, zh: ChatUser, en: ChatUser
) -> None:
    [mine] = await zh.send("/whoami")
    assert mine.text == f"您的 Telegram 用户 ID：{ZH_USER}"
    [english] = await en.send("/whoami")
    assert english.text == f"Your Telegram user id: {EN_USER}"
    member = ChatUser(server, GROUP, OTHER_USER)
    [in_group] = await member.send(f"/whoami@{BOT_USERNAME}")
    assert in_group.text == f"您的 Telegram 用户 ID：{OTHER_USER}\n本群的 ID：{GROUP}"


async def test_latest_sends_the_newest_contents_with_article_and_previous_issue_buttons(
    bot: dict[str, Any], zh: ChatUser, ids: dict[int, int]
) -> None:
    [contents] = await zh.send("/latest")
    assert contents.text == (
        f"{MASTHEAD}\n2024年第12期（总第112期）\n2024年3月25日　某县人民政府办公室\n\n要目\n"
        "【工作动态】\n1. 全县旅游景区安全检查启动\n2. 景区服务质量提升行动\n【基层信息】\n3. 景区发展情况长篇调研报告"
    )
    assert bold_texts(contents) == [MASTHEAD, "要目"]
    assert labels(contents) == ["1. 全县旅游景区安全检查启动", "2. 景区服务质量提升行动", "3. 景区发展情况长篇调研报告",
                                "« 上一期"]

    # the previous-issue button: issue 11's contents
    await zh.press(contents, "« 上一期", expect=1)
    previous = zh.messages()[-1]
    assert previous.text.startswith(f"{MASTHEAD}\n2024年第11期（总第111期）")


async def test_article_buttons_open_articles_navigate_and_go_back_to_contents(
    bot: dict[str, Any], zh: ChatUser
) -> None:
    [contents] = await zh.send("/latest")
    answer = await zh.press(contents, "1. 全县旅游景区安全检查启动", expect=1)
    assert not answer.get("text")
    article = zh.messages()[-1]
    assert article.text == "全县旅游景区安全检查启动\n\n县文旅局部署<春季>景区安全检查，A&B类项目优先。"
    assert bold_texts(article) == ["全县旅游景区安全检查启动"]
    assert labels(article) == ["下一篇 ›", "目录"]

    await zh.press(article, "下一篇 ›", expect=1)
    second = zh.messages()[-1]
    assert second.text.startswith("景区服务质量提升行动")
    assert labels(second) == ["‹ 上一篇", "下一篇 ›", "目录"]
    await zh.press(second, "‹ 上一篇", expect=1)
    assert zh.messages()[-1].text.startswith("全县旅游景区安全检查启动")

    await zh.press(second, "目录", expect=1)
    assert zh.messages()[-1].text.startswith(f"{MASTHEAD}\n2024年第12期")


async def test_a_long_article_arrives_in_parts_in_order_with_buttons_on_the_last(
    bot: dict[str, Any], zh: ChatUser, ids: dict[int, int]
) -> None:
    before = len(zh.messages())
    zh.server.send_text(TOKEN, ZH_USER, ZH_USER, "/article 112 3")
    assert await zh.server.await_for(lambda: any(m.reply_markup for m in zh.new_since(before)))
    parts = zh.new_since(before)
    assert len(parts) >= 2
    assert all(m.reply_markup is None for m in parts[:-1])
    assert labels(parts[-1]) == ["‹ 上一篇", "目录"]
    assert parts[0].text.startswith("景区发展情况长篇调研报告\n\n第1段：")
    assert all(len(m.text.encode("utf-16-le")) // 2 <= 4096 for m in parts)
    joined = "".join(m.text for m in parts)
    for i in range(1, 9):  # every paragraph, in order, nothing dropped
        assert joined.count(f"第{i}段：") == 1
    assert [joined.index(f"第{i}段：") for i in range(1, 9)] == sorted(joined.index(f"第{i}段：") for i in range(1, 9))
    assert joined.replace("\n", "").count("景区游客接待量稳步增长，服务质量持续提升。") == 8 * 60


async def test_issues_lists_ten_per_page_newest_first_with_paging(bot: dict[str, Any], zh: ChatUser) -> None:
    [page1] = await zh.send("/issues")
    lines = page1.text.split("\n")
    assert lines[0] == "往期简报（共12期，第1/2页）"
    assert lines[1] == f"{MASTHEAD} 2024年第12期（总第112期）　2024-03-25　/issue 2024-12"
    assert lines[10] == f"{MASTHEAD} 2024年第3期（总第103期）　2024-01-22　/issue 2024-3"
    assert len(lines) == 11
    assert labels(page1)[-2:] == ["1/2", "下一页 ›"]

    await zh.press(page1, "下一页 ›", edit=True)
    page2 = zh.message(page1.message_id)
    assert page2.text.split("\n")[0] == "往期简报（共12期，第2/2页）"
    assert page2.text.split("\n")[1:] == [
        f"{MASTHEAD} 2024年第2期（总第102期）　2024-01-15　/issue 2024-2",
        f"{MASTHEAD} 2024年第1期（总第101期）　2024-01-08　/issue 2024-1",
    ]
    assert labels(page2) == ["2024年第2期（总第102期）", "2024年第1期（总第101期）", "‹ 上一页", "2/2"]
    await zh.press(page2, "2024年第1期（总第101期）", expect=1)
    assert zh.messages()[-1].text.startswith(f"{MASTHEAD}\n2024年第1期（总第101期）")
    # the page counter does nothing but is answered: no text, no alert, no new message, the page as it was
    shown, count = zh.message(page1.message_id), len(zh.messages())
    answer = await zh.press(page2, "2/2")
    assert (answer["text"], answer["show_alert"]) == (None, False)
    await asyncio.sleep(0.3)  # an edit or a message would have come with the answer
    after = zh.message(page1.message_id)
    assert (after.text, labels(after), len(after.edits)) == (shown.text, labels(shown), len(shown.edits))
    assert len(zh.messages()) == count

    [out_of_range] = await zh.send("/issues 3")
    assert out_of_range.text == "没有第 3 页（共 2 页）。"
    [usage] = await zh.send("/issues abc")
    assert usage.text.startswith("用法：/issues")


async def test_issue_by_cumulative_or_year_number_and_the_error_paths(bot: dict[str, Any], zh: ChatUser) -> None:
    [by_total] = await zh.send("/issue 105")
    assert by_total.text.startswith(f"{MASTHEAD}\n2024年第5期（总第105期）")
    [by_year] = await zh.send("/issue 2024-6")
    assert by_year.text.startswith(f"{MASTHEAD}\n2024年第6期（总第106期）")
    [unknown] = await zh.send("/issue 999")
    assert unknown.text == "没有找到第 999 期简报。发送 /issues 查看往期列表。"
    for wrong in ("/issue", "/issue abc", "/issue 1 2", "/issue 2024-"):
        [usage] = await zh.send(wrong)
        assert usage.text == (
            "用法：/issue N（总第N期，或某年第N期）、/issue 2023-1（年份-期号）或 /issue 2022-07-05（日期）"
        )


async def test_article_command_and_its_error_paths(bot: dict[str, Any], zh: ChatUser) -> None:
    [article] = await zh.send("/article 2024-4 3")
    assert article.text == "第4期基层动态\n\n城关镇开展第4次环境整治。"
    assert labels(article) == ["‹ 上一篇", "目录"]
    [no_article] = await zh.send("/article 104 9")
    assert no_article.text == "2024年第4期（总第104期）没有第 9 篇文章（本期共 3 篇）。发送 /issues 查看往期列表。"
    [no_issue] = await zh.send("/article 999 1")
    assert "没有找到第 999 期" in no_issue.text and "/issues" in no_issue.text
    for wrong in ("/article", "/article 104", "/article 104 x", "/article 104 1 2"):
        [usage] = await zh.send(wrong)
        assert usage.text == "用法：/article N K（第N期的第K篇，N 的写法同 /issue，如 /article 2023-1 2）"


async def test_search_ranks_hits_with_snippets_pages_and_opens_articles(
    bot: dict[str, Any], zh: ChatUser
) -> None:
    [results] = await zh.send("/search 景区")
    lines = results.text.split("\n")
    assert lines[0] == "搜索“景区”：共3条结果（第1/1页）"
    assert "景区" in results.text and "2024年第12期（总第112期）" in results.text
    hit_buttons = labels(results)
    # one numbered button per hit, in the ranking order of the text (the ranking itself is storage's concern)
    titles = [m[1] for line in lines if (m := re.fullmatch(r"\d+\. (.+)", line))]
    assert sorted(titles) == sorted(["景区发展情况长篇调研报告", "全县旅游景区安全检查启动", "景区服务质量提升行动"])
    assert hit_buttons == [f"{i}. {title}" for i, title in enumerate(titles, start=1)]
    long_button = next(b for b in hit_buttons if "长篇调研报告" in b)
    before = len(zh.messages())
    await zh.press(results, long_button, expect=1)
    assert await zh.server.await_for(lambda: any(m.reply_markup for m in zh.new_since(before)))
    assert zh.new_since(before)[0].text.startswith("景区发展情况长篇调研报告\n\n第1段：")
    await zh.press(results, next(b for b in hit_buttons if "安全检查启动" in b), expect=1)
    assert zh.messages()[-1].text.startswith("全县旅游景区安全检查启动\n\n")

    [paged] = await zh.send("/search 会议")  # in the first article of issues 1-11: 11 hits, 5 per page
    assert paged.text.split("\n")[0] == "搜索“会议”：共11条结果（第1/3页）"
    assert labels(paged)[-2:] == ["1/3", "下一页 ›"]
    await zh.press(paged, "下一页 ›", edit=True)
    assert zh.message(paged.message_id).text.split("\n")[0] == "搜索“会议”：共11条结果（第2/3页）"

    [none] = await zh.send("/search 不存在的词语")
    assert none.text.startswith("没有找到包含“不存在的词语”的文章。\n")
    [usage] = await zh.send("/search")
    assert usage.text == "用法：/search 关键词，例如 /search 景区"


async def test_search_paging_works_for_a_query_too_long_for_callback_data(
    bot: dict[str, Any], zh: ChatUser
) -> None:
    # 3 bytes per Chinese character: this query does not fit in 64 bytes of callback data
    long_query = "会议 县政府常务会议召开 要闻 重点工作 各部门抓好落实"
    [paged] = await zh.send(f"/search {long_query}")
    assert "共11条结果（第1/3页）" in paged.text
    await zh.press(paged, "下一页 ›", edit=True)
    assert "（第2/3页）" in zh.message(paged.message_id).text


async def test_subscribe_from_the_keyboard_settings_and_unsubscribe(
    bot: dict[str, Any], zh: ChatUser, factory: sessionmaker[Session]
) -> None:
    [choose] = await zh.send("/subscribe")
    assert choose.text == "请选择您所在的部门："
    assert labels(choose) == ["办公室", "综合科", "其他"]
    await zh.press(choose, "办公室", edit=True)
    assert zh.message(choose.message_id).text.startswith("订阅成功（部门：办公室）")
    with transaction(factory) as session:
        sub = SubscriberRepository(session).get(ZH_USER)
    assert sub is not None and sub.active and sub.department == "办公室" and sub.chat_type == "private"
    assert sub.display_name == "张三" and sub.language_code == "zh-hans"

    [settings] = await zh.send("/settings")
    assert settings.text == "当前部门：办公室。请选择新的部门："
    await zh.press(settings, "综合科", edit=True)
    assert zh.message(settings.message_id).text == "部门已改为：综合科。"

    [bye] = await zh.send("/unsubscribe")
    assert bye.text == "已取消订阅。发送 /subscribe 可随时重新订阅。"
    [again] = await zh.send("/unsubscribe")
    assert again.text == "您目前没有订阅。发送 /subscribe 订阅。"
    [no_settings] = await zh.send("/settings")
    assert no_settings.text == "您目前没有订阅。发送 /subscribe 订阅。"
    with transaction(factory) as session:
        sub = SubscriberRepository(session).get(ZH_USER)
    assert sub is not None and not sub.active


async def test_subscribe_with_other_department_typed_as_the_next_message(
    bot: dict[str, Any], zh: ChatUser, factory: sessionmaker[Session]
) -> None:
    [choose] = await zh.send("/subscribe")
    await zh.press(choose, "其他", edit=True)
    assert zh.message(choose.message_id).text == "请直接发送您所在部门的名称。"
    [done] = await zh.send("  县应急管理局  ")
    assert done.text.startswith("订阅成功（部门：县应急管理局）")
    [typed] = await zh.send("/subscribe 县档案馆")
    assert typed.text == "部门已改为：县档案馆。"
    with transaction(factory) as session:
        sub = SubscriberRepository(session).get(ZH_USER)
    assert sub is not None and sub.department == "县档案馆"
    # after that, text is no longer taken as a department but as a search
    [searched] = await zh.send("县应急管理局")
    assert searched.text.startswith("已把您的消息当作搜索（/search 县应急管理局）\n")
    with transaction(factory) as session:
        sub = SubscriberRepository(session).get(ZH_USER)
    assert sub is not None and sub.department == "县档案馆"


async def test_unknown_commands_are_named_and_text_without_letters_gets_a_pointer_to_help(
    bot: dict[str, Any], zh: ChatUser
) -> None:
    [unknown] = await zh.send("/unknowncommand 1 2")
    assert unknown.text == "未知命令 /unknowncommand。发送 /help 查看全部命令。"
    for text in ("<>&", "。。。"):
        [pointer] = await zh.send(text)
        assert pointer.text == "我只认识命令。发送 /help 查看全部命令。"


async def test_in_a_group_addressed_commands_work_and_everything_else_is_ignored(
    bot: dict[str, Any], server: Any, factory: sessionmaker[Session]
) -> None:
    member = ChatUser(server, GROUP, OTHER_USER)
    before = len(member.messages())
    server.send_text(TOKEN, GROUP, OTHER_USER, "大家好，今天的简报看了吗？")
    server.send_text(TOKEN, GROUP, OTHER_USER, "/latest@some_other_bot")
    server.send_text(TOKEN, GROUP, OTHER_USER, "/unknowncommand")
    [contents] = await member.send(f"/latest@{BOT_USERNAME}")
    assert contents.text.startswith(f"{MASTHEAD}\n2024年第12期")
    assert len(member.messages()) == before + 1  # updates are handled in order: the three before got nothing

    [choose] = await member.send(f"/subscribe@{BOT_USERNAME}")
    await member.press(choose, "其他", edit=True)
    assert member.message(choose.message_id).text.startswith("请发送 /subscribe 部门名称")
    [done] = await member.send(f"/subscribe@{BOT_USERNAME} 县财政局")
    assert done.text.startswith("订阅成功（部门：县财政局）")
    with transaction(factory) as session:
        sub = SubscriberRepository(session).get(GROUP)
    assert sub is not None and sub.chat_type == "group" and sub.display_name == "某县办公室工作群"


async def test_an_english_user_gets_english(bot: dict[str, Any], en: ChatUser) -> None:
    [help_message] = await en.send("/help")
    assert help_message.text.startswith("Commands\n")
    assert bold_texts(help_message) == ["Commands"]  # the renderer marks the heading; the catalog has words only
    [contents] = await en.send("/latest")
    assert contents.text.startswith(f"{MASTHEAD}\n2024 No. 12 (No. 112 overall)\n25 March 2024 · 某县人民政府办公室")
    assert labels(contents)[-1] == "« Previous issue"
    [unknown] = await en.send("/issue 999")
    assert unknown.text == "There is no issue 999. Send /issues to see the list of issues."
    [unknown] = await en.send("/hello")
    assert unknown.text == "Unknown command /hello. Send /help to see every command."
    [searched] = await en.send("景区")
    assert searched.text.split("\n")[:2] == [
        "Your message was taken as a search (/search 景区)", "Search “景区”: 3 results (page 1/1)"
    ]


async def test_an_english_users_search_results_name_issues_in_english(bot: dict[str, Any], en: ChatUser) -> None:
    [results] = await en.send("/search 景区")
    lines = results.text.split("\n")
    assert lines[0] == "Search “景区”: 3 results (page 1/1)"
    assert bold_texts(results)[0] == "Search “景区”"
    assert "2024 No. 12 (No. 112 overall)" in lines
    assert "年第" not in results.text and "总第" not in results.text


async def test_forged_or_stale_buttons_are_answered_as_expired(
    bot: dict[str, Any], server: Any, zh: ChatUser
) -> None:
    # Buttons the bot no longer understands (another version, a deleted issue, garbage) on a real message.
    forged = ["x", "1:a:1", "1:a:0:1", "1:a:999999:1", "2:a:1:1", "1:l:-1", "1:s:1:k:zzz", "1:d:99", "1:a:1:1:1",
              "1:z", "1:c:01", "a" * 64]
    message = await message_with_buttons(zh, forged)
    for data in forged:
        answer = await zh.press_data(message, data)
        assert answer.get("text") == "这个按钮已失效，请重新发送命令。", data
    # and the bot still works
    [contents] = await zh.send("/latest")
    assert contents.text.startswith(MASTHEAD)


async def test_the_command_menu_is_registered_in_chinese_and_english(bot: dict[str, Any], server: Any) -> None:
    menus = server.commands(TOKEN)
    names = ["start", "help", "subscribe", "unsubscribe", "settings", "latest", "issues", "issue", "article",
             "search", "web", "whoami"]
    assert [c["command"] for c in menus["en"]] == names
    assert [c["command"] for c in menus["zh"]] == names
    assert [c["command"] for c in menus[""]] == names  # the default, for every other language: Chinese
    assert menus[""] == menus["zh"]
    assert menus["en"][5]["description"] == "Contents of the newest issue"
    assert menus["zh"][5]["description"] == "最新一期要目"


async def test_a_failure_inside_a_handler_gets_one_polite_message(
    bot: dict[str, Any], zh: ChatUser, factory: sessionmaker[Session]
) -> None:
    with transaction(factory) as session:  # the archive becomes unreadable under the running bot
        session.execute(sql("ALTER TABLE articles RENAME TO articles_gone"))
    [reply] = await zh.send("/latest")
    assert reply.text == "抱歉，处理您的请求时出了点问题，请稍后再试。"
    assert "Traceback" not in reply.text
    [still_works] = await zh.send("/start")
    assert "工作简报机器人" in still_works.text


@pytest.fixture
async def webhook_bot(
    server: Any, factory: sessionmaker[Session], ids: dict[int, int]
) -> AsyncIterator[dict[str, Any]]:
    async with running_bot(server, factory, "webhook") as facts:
        yield facts


async def test_webhook_requests_without_the_secret_are_refused(webhook_bot: dict[str, Any], zh: ChatUser) -> None:
    bot = webhook_bot
    update = {"update_id": 999999, "message": {"message_id": 1, "date": 0, "chat": {"id": ZH_USER, "type": "private"},
                                               "from": {"id": ZH_USER, "is_bot": False, "first_name": "x"},
                                               "text": "/help"}}
    async with httpx.AsyncClient() as client:
        wrong = await client.post(bot["url"], json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"})
        missing = await client.post(bot["url"], json=update)
    assert wrong.status_code == 403 and missing.status_code == 403
    # the local server's own deliveries carry the secret and are accepted
    [reply] = await zh.send("/help")
    assert reply.text.startswith("命令一览")


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_under_flood_control_a_quick_user_gets_every_answer_in_order(
    mode: str, factory: sessionmaker[Session]
) -> None:
    # Telegram's limits switched on (1 message per second per private chat): the bot waits out the 429s.
    seed_archive(factory, count=3)
    with started_server(limits=True) as server:
        user = ChatUser(server, ZH_USER, ZH_USER)
        async with running_bot(server, factory, mode):
            for command in ("/help", "/latest", "/issue 102", "/issues"):
                server.send_text(TOKEN, ZH_USER, ZH_USER, command)
            assert await server.await_for(lambda: len(user.messages()) >= 4, timeout=20)
        texts = [m.text for m in user.messages()]
        assert texts[0].startswith("命令一览")
        assert texts[1].startswith(f"{MASTHEAD}\n2024年第3期")
        assert texts[2].startswith(f"{MASTHEAD}\n2024年第2期")
        assert texts[3].startswith("往期简报（共3期")
        assert server.method_counts()[("sendMessage", 429)] >= 1  # flood control did happen, and was waited out
