"""Publications end to end over real HTTP (localbotapi): three publications, subscribers choosing two of them on
the toggle buttons, a push that reaches only its publication's subscribers, /latest per publication, the publication
filter of /issues, and the lookups that name a publication (`/issue 专报 2024-1`, `/article 专报 2024-1 2`), that are
ambiguous without one (buttons to choose) or name an unknown one; search limited to one publication."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from support.bot import EN_USER, OTHER_USER, ZH_USER, ChatUser, bot_config, labels
from support.issues import make_issue
from support.push import push_now

from bot.app import build_application, running_polling
from config import Config, PublicationConfig
from storage.archive import IssueRepository
from storage.db import transaction

BRIEF = "某县工作简报"
REPORT = "某县工作专报"
DAILY = "某县工作动态"
PUBLICATIONS = (
    PublicationConfig(BRIEF, "简报"),
    PublicationConfig(REPORT, "专报"),
    PublicationConfig(DAILY, "动态", default=False),
)


def _articles(tag: str, n: int) -> list[tuple[str, list[str]]]:
    return [
        (f"{tag}第{n}期要闻", [f"{tag}第{n}期研究部署重点工作。"]),
        (f"{tag}第{n}期防汛工作", [f"{tag}汛期值守安排到位。"]),
    ]


@dataclasses.dataclass
class World:
    server: Any
    factory: sessionmaker[Session]
    app: Any
    config: Config
    ids: dict[str, int]

    async def push(self, issue_id: int) -> None:
        await push_now(self.factory, self.app.bot, self.config, issue_id)


@pytest.fixture
async def world(server: Any, factory: sessionmaker[Session]) -> AsyncIterator[World]:
    ids: dict[str, int] = {}
    with transaction(factory) as session:
        repo = IssueRepository(session)
        # 2024-1 exists in the 简报 and the 专报 (an ambiguous reference); 2024-3 only in the 专报.
        for masthead, tag, numbers in ((BRIEF, "简报", (1, 2)), (REPORT, "专报", (1, 2, 3)), (DAILY, "动态", (5,))):
            for n in numbers:
                stored = repo.add(make_issue(n, masthead=masthead, articles=_articles(tag, n)))[0]
                ids[f"{tag}{n}"] = stored.id
    config = dataclasses.replace(bot_config(server), publications=PUBLICATIONS)
    app = build_application(config, session_factory=factory)
    async with running_polling(app, poll_interval=0.0, timeout=1):
        yield World(server, factory, app, config, ids)


async def test_subscribers_choose_publications_and_a_push_reaches_only_its_own(world: World, server: Any) -> None:
    a = ChatUser(server, ZH_USER, ZH_USER)
    b = ChatUser(server, EN_USER, EN_USER)
    c = ChatUser(server, OTHER_USER, OTHER_USER)
    subscribed, choice = await a.send("/subscribe 办公室", expect=2)
    assert subscribed.text.startswith("订阅成功") and choice.text.startswith("请选择要接收的刊物")
    # 动态 is off by default ([publications] default = false).
    assert labels(choice) == ["✅ 简报", "✅ 专报", "⬜ 动态"]
    await a.press(choice, "✅ 专报", edit=True)
    assert labels(a.message(choice.message_id)) == ["✅ 简报", "⬜ 专报", "⬜ 动态"]
    await a.press(a.message(choice.message_id), "⬜ 动态", edit=True)
    assert labels(a.message(choice.message_id)) == ["✅ 简报", "⬜ 专报", "✅ 动态"]

    _subscribed, english = await b.send("/subscribe 办公室", expect=2)
    assert english.text.startswith("Choose the publications you want to receive")
    _subscribed, other = await c.send("/subscribe 办公室", expect=2)
    await c.press(other, "✅ 简报", edit=True)
    assert labels(c.message(other.message_id)) == ["⬜ 简报", "✅ 专报", "⬜ 动态"]

    # /settings shows the department and the publications as chosen.
    department, toggles = await a.send("/settings", expect=2)
    assert department.text.startswith("当前部门：办公室")
    assert labels(toggles) == ["✅ 简报", "⬜ 专报", "✅ 动态"]

    before = {u.chat_id: len(u.messages()) for u in (a, b, c)}
    await world.push(world.ids["专报3"])
    pushed = {u.chat_id: u.new_since(before[u.chat_id]) for u in (a, b, c)}
    assert pushed[ZH_USER] == []
    assert [m.text.split("\n")[0] for m in pushed[EN_USER]] == [REPORT]
    assert [m.text.split("\n")[0] for m in pushed[OTHER_USER]] == [REPORT]

    before = {u.chat_id: len(u.messages()) for u in (a, b, c)}
    await world.push(world.ids["动态5"])
    assert [m.text.split("\n")[0] for m in a.new_since(before[ZH_USER])] == [DAILY]
    assert b.new_since(before[EN_USER]) == [] and c.new_since(before[OTHER_USER]) == []

    # /latest: the newest issue of each publication the chat receives, newest first.
    newest = await a.send("/latest", expect=2)
    assert [m.text.split("\n")[:2] for m in newest] == [[DAILY, "2024年第5期"], [BRIEF, "2024年第2期"]]


async def test_lookups_name_a_publication_or_offer_the_choice(world: World, server: Any) -> None:
    a = ChatUser(server, ZH_USER, ZH_USER)
    [choice] = await a.send("/issue 2024-1")
    assert choice.text == (
        "2024-1 对应多种刊物的期次，请选择（也可输入如 /issue 专报 2024-1）：\n1. 专报 2024年第1期\n2. 简报 2024年第1期"
    )
    assert labels(choice) == ["1. 专报 2024年第1期", "2. 简报 2024年第1期"]
    await a.press(choice, "1. 专报 2024年第1期", expect=1)
    assert a.messages()[-1].text.startswith(f"{REPORT}\n2024年第1期")

    [named] = await a.send("/issue 专报 2024-1")
    assert named.text.startswith(f"{REPORT}\n2024年第1期")
    [by_masthead] = await a.send(f"/issue {BRIEF} 2024-1")
    assert by_masthead.text.startswith(f"{BRIEF}\n2024年第1期")
    [only_one] = await a.send("/issue 2024-3")
    assert only_one.text.startswith(f"{REPORT}\n2024年第3期")
    [unknown] = await a.send("/issue 周报 2024-1")
    assert unknown.text == "没有名为 周报 的刊物。现有刊物：简报、专报、动态"
    [missing] = await a.send("/issue 动态 2024-1")
    assert missing.text == "动态没有第 2024-1 期。发送 /issues 查看往期列表。"

    [article] = await a.send("/article 专报 2024-1 2")
    assert article.text.startswith("专报第1期防汛工作")
    [articles] = await a.send("/article 2024-1 2")
    assert articles.text.startswith("2024-1 对应多种刊物的期次，请选择要看第 2 篇的那一期")
    await a.press(articles, "2. 简报 2024年第1期", expect=1)
    assert a.messages()[-1].text.startswith("简报第1期防汛工作")

    # Search: everywhere (each hit names its publication), or in one publication named first.
    [everywhere] = await a.send("/search 防汛")
    assert "共6条结果" in everywhere.text and "专报 2024年第3期" in everywhere.text
    [one] = await a.send("/search 专报 防汛")
    assert "共3条结果" in one.text and "简报 2024年" not in one.text and "动态 2024年" not in one.text

    # /issues: filter buttons per publication; pressing one lists only its issues.
    [listing] = await a.send("/issues")
    assert labels(listing)[-4:] == ["· 全部", "简报", "专报", "动态"]
    # Each line's reference names that issue alone: 2024-1 of two publications with the publication, typed as is.
    lines = listing.text.split("\n")
    assert f"{REPORT} 2024年第1期　2024-01-08　/issue 专报 2024-1" in lines
    assert f"{REPORT} 2024年第3期　2024-01-22　/issue 2024-3" in lines
    await a.press(listing, "专报", edit=True)
    edited = a.message(listing.message_id)
    assert edited.text.count(REPORT) == 3 and BRIEF not in edited.text
    assert labels(edited)[-4:] == ["全部", "简报", "· 专报", "动态"]

    # /help names the publications, with an example that works when typed.
    [help_text] = await a.send("/help")
    assert "刊物：简报、专报、动态" in help_text.text and "/issue 简报 2024-2、/article 简报 2024-2 1" in help_text.text
    [example] = await a.send("/issue 简报 2024-2")
    assert example.text.startswith(f"{BRIEF}\n2024年第2期")


async def test_a_bare_number_is_the_issue_lines_number_when_no_cumulative_number_matches(
    server: Any, factory: sessionmaker[Session]
) -> None:
    with transaction(factory) as session:
        repo = IssueRepository(session)
        # The 简报 prints cumulative numbers (总第21-22期); the 专报 prints none, and has a 第7期 in 2023 and 2024.
        for n, total in ((1, 21), (2, 22)):
            repo.add(make_issue(n, total=total, masthead=BRIEF, articles=_articles("简报", n)))
        for year, n in ((2023, 7), (2024, 7), (2024, 8)):
            repo.add(make_issue(n, year=year, masthead=REPORT, articles=_articles("专报", n)))
    config = dataclasses.replace(bot_config(server), publications=PUBLICATIONS)
    app = build_application(config, session_factory=factory)
    async with running_polling(app, poll_interval=0.0, timeout=1):
        a = ChatUser(server, ZH_USER, ZH_USER)
        # What a reader types after seeing "2024年第8期" in the 专报's issue line.
        [named] = await a.send("/issue 专报 8")
        assert named.text.startswith(f"{REPORT}\n2024年第8期")
        [bare] = await a.send("/issue 8")
        assert bare.text.startswith(f"{REPORT}\n2024年第8期")
        # A cumulative number still names its issue first.
        [cumulative] = await a.send("/issue 22")
        assert cumulative.text.startswith(f"{BRIEF}\n2024年第2期")
        # 第7期 of two years: a choice, newest first.
        [choice] = await a.send("/issue 专报 7")
        assert choice.text == "以下各期都是第 7 期，请选择：\n1. 专报 2024年第7期\n2. 专报 2023年第7期"
        await a.press(choice, "2. 专报 2023年第7期", expect=1)
        assert a.messages()[-1].text.startswith(f"{REPORT}\n2023年第7期")
        [article] = await a.send("/article 专报 8 2")
        assert article.text.startswith("专报第8期防汛工作")
        [articles] = await a.send("/article 7 1")
        assert articles.text.startswith("以下各期都是第 7 期，请选择要看第 1 篇的那一期")
        assert labels(articles) == ["1. 专报 2024年第7期", "2. 专报 2023年第7期"]
        # Nothing so numbered: the answer names the publication asked about.
        [missing] = await a.send("/issue 专报 99")
        assert missing.text == "专报没有第 99 期。发送 /issues 查看往期列表。"
        [nowhere] = await a.send("/issue 99")
        assert nowhere.text == "没有找到第 99 期简报。发送 /issues 查看往期列表。"


async def test_latest_offers_a_button_past_three_publications(server: Any, factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        repo = IssueRepository(session)
        for k in range(5):
            repo.add(make_issue(k + 1, masthead=f"某县第{k}类简报"))
    app = build_application(bot_config(server), session_factory=factory)
    async with running_polling(app, poll_interval=0.0, timeout=1):
        a = ChatUser(server, ZH_USER, ZH_USER)
        shown = await a.send("/latest", expect=3)
        # Newest first (issue 5 is the newest); the third message carries the button for the other two.
        assert [m.text.split("\n")[0] for m in shown] == ["某县第4类简报", "某县第3类简报", "某县第2类简报"]
        assert labels(shown[2])[-1] == "其余 2 种刊物的最新一期"
        await a.press(shown[2], "其余 2 种刊物的最新一期", expect=2)
        assert [m.text.split("\n")[0] for m in a.messages()[-2:]] == ["某县第1类简报", "某县第0类简报"]
