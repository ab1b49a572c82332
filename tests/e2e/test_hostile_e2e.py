"""End to end over real HTTP against the local Bot API server: hostile or unusual input gets its proper answer.
Commands whose text holds a URL reach their command, out-of-range numbers in button data are "expired", and only a
group's admins (or the bot's) unsubscribe a group or change its department."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from support.access import ADMIN, access_config, access_server, polling_bot, subscriber
from support.bot import (
    GROUP,
    OTHER_USER,
    ZH_USER,
    ChatUser,
    message_with_buttons,
    running_bot,
    seed_archive,
)
from support.desk import ADMIN_A, NOBODY, desk_config, desk_server, running_desk

EXPIRED = "这个按钮已失效，请重新发送命令。"


async def test_commands_with_a_url_reach_their_command(factory: sessionmaker[Session]) -> None:
    with desk_server() as server:
        async with running_desk(server, factory, desk_config(server)):
            admin, nobody = ChatUser(server, ADMIN_A, ADMIN_A), ChatUser(server, NOBODY, NOBODY)
            [unknown] = await admin.send("/correct 99 详见 https://example.org/notice.html")
            assert unknown.text == "没有找到第 99 期简报。发送 /issues 查看往期列表。"
            [usage] = await admin.send("/recall https://example.org/notice.html")
            assert usage.text == "用法：/recall 期号（从所有会话撤回该期的要目消息）"
            [refused] = await nobody.send("/refresh 58 http://example.org/")
            assert refused.text == "抱歉，此功能仅限管理员使用。"
            [found] = await nobody.send("/search https://example.org")
            assert found.text.startswith("没有找到")


async def test_out_of_range_numbers_in_buttons_are_expired(server: Any, factory: sessionmaker[Session]) -> None:
    seed_archive(factory)
    huge = "999999999999999999"
    forged = [f"1:l:{huge}", f"1:s:{huge}:q:景区", f"1:c:{huge}", f"1:a:{huge}:1", f"1:a:1:{huge}", f"1:d:{huge}",
              "1:l:2147483648", "1:c:2147483648", f"1:k:{huge}", f"1:q:{huge}:1", f"1:r:{huge}", f"1:x:{huge}:1"]
    async with running_bot(server, factory, "polling"):
        zh = ChatUser(server, ZH_USER, ZH_USER)
        message = await message_with_buttons(zh, forged)
        for data in forged:
            answer = await zh.press_data(message, data)
            assert answer.get("text") == EXPIRED, data
        [help_text] = await zh.send("/help")  # in order: every press above has been handled by now
        assert [m.text for m in zh.messages()] == ["old buttons", help_text.text]


GROUP_ADMINS_ONLY = "抱歉，只有本群的管理员可以退订本群或更改本群的部门。"


async def test_only_group_admins_or_bot_admins_change_a_groups_subscription(factory: sessionmaker[Session]) -> None:
    with access_server() as server:
        creator, group_admin, member = 511, 512, OTHER_USER
        server.add_user(creator, "群主", language_code="zh-hans")
        server.add_user(group_admin, "群管理", language_code="zh-hans")
        server.set_chat_member(GROUP, creator, "creator")
        server.set_chat_member(GROUP, group_admin, "administrator")
        async with polling_bot(access_config(server), factory):
            by_member = ChatUser(server, GROUP, member)
            # Anyone in the group may subscribe it (as before); from then on only admins change it.
            [done] = await by_member.send("/subscribe@bulletin_test_bot 办公室")
            assert done.text.startswith("订阅成功（部门：办公室）")
            [refused] = await by_member.send("/unsubscribe@bulletin_test_bot")
            assert refused.text == GROUP_ADMINS_ONLY
            [refused] = await by_member.send("/subscribe@bulletin_test_bot 综合科")
            assert refused.text == GROUP_ADMINS_ONLY
            [settings] = await by_member.send("/settings@bulletin_test_bot")
            await by_member.press(settings, "综合科", edit=True)
            assert by_member.message(settings.message_id).text == GROUP_ADMINS_ONLY
            sub = subscriber(factory, GROUP)
            assert sub is not None and sub.active and sub.department == "办公室"

            [changed] = await ChatUser(server, GROUP, group_admin).send("/subscribe@bulletin_test_bot 综合科")
            assert changed.text == "部门已改为：综合科。"
            [settings] = await ChatUser(server, GROUP, ADMIN).send("/settings@bulletin_test_bot")  # a bot admin
            await ChatUser(server, GROUP, ADMIN).press(settings, "办公室", edit=True)
            assert server.messages(GROUP)[-1].text == "部门已改为：办公室。"
            [gone] = await ChatUser(server, GROUP, creator).send("/unsubscribe@bulletin_test_bot")
            assert gone.text == "已取消订阅。发送 /subscribe 可随时重新订阅。"
            sub = subscriber(factory, GROUP)
            assert sub is not None and not sub.active and sub.department == "办公室"

            # A private chat is its user's own: no one else to ask.
            [own] = await ChatUser(server, member, member).send("/unsubscribe")
            assert own.text == "您目前没有订阅。发送 /subscribe 订阅。"
