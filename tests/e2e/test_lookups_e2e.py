"""Lookups that never confuse, end to end: the real bot polling the local Bot API server, a user who types what
the bot shows them. /issues references, /help's examples, unknown commands, free text as a search, an article past
the end, bold snippets, synonyms and the suggestions of a search without hits."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from support.bot import (
    BOT_USERNAME,
    EN_USER,
    GROUP,
    MASTHEAD,
    OTHER_USER,
    ChatUser,
    bold_texts,
    bot_config,
    labels,
    running_bot,
)
from support.issues import make_issue

from config import SearchConfig
from storage.archive import IssueRepository
from storage.db import transaction

SYNONYMS = (("固废", "固体废物"), ("河长", "河湖长"))


@pytest.fixture
async def bot(server: Any, factory: sessionmaker[Session], ids: dict[int, int]) -> AsyncIterator[None]:
    config = dataclasses.replace(bot_config(server), search=SearchConfig(synonyms=SYNONYMS))
    async with running_bot(server, factory, "polling", config):
        yield


@pytest.fixture
def en(server: Any) -> ChatUser:
    return ChatUser(server, EN_USER, EN_USER)


def store(factory: sessionmaker[Session], *issues: Any) -> list[int]:
    with transaction(factory) as session:
        repo = IssueRepository(session)
        return [repo.add(issue)[0].id for issue in issues]


REF = re.compile(r"/issue (.+)$")


async def test_every_reference_issues_shows_opens_that_very_issue(
    bot: None, zh: ChatUser, factory: sessionmaker[Session]
) -> None:
    # Beside the twelve numbered issues: one numbered without a year or a cumulative number (named by its id) and
    # a dated report (named by its date); all newer, so they are on the first page.
    no_year, _dated = store(
        factory,
        make_issue(5, year=None, masthead="某镇信息", date=dt.date(2024, 5, 2), articles=[("镇里的消息", ["内容。"])]),
        make_issue(None, masthead="某县防汛每日动态", date=dt.date(2024, 5, 1), articles=[("汛情", ["平稳。"])]),
    )
    [page1] = await zh.send("/issues")
    await zh.press(page1, "下一页 ›", edit=True)
    page2 = zh.message(page1.message_id)
    listed = [line for line in page1.text.split("\n")[1:]]
    await zh.press(page2, "‹ 上一页", edit=True)
    assert listed[0] == f"某镇信息 第5期　2024-05-02　/issue #{no_year}"
    assert listed[1] == "某县防汛每日动态 2024年5月1日　/issue 2024-05-01"
    # No line starts with a list position that /issue would read as something else.
    assert not any(re.match(r"\d+\.", line) for line in listed)
    # One button per issue, labelled like its line, opening it.
    assert labels(page1)[:10] == [re.sub(r"　.*", "", line).split(" ", 1)[1] for line in listed]
    for line in listed:
        m = REF.search(line)
        assert m is not None, line
        [contents] = await zh.send(f"/issue {m[1]}")
        masthead, label = line.split("　")[0].split(" ", 1)
        assert contents.text.startswith(f"{masthead}\n{label}"), (line, contents.text[:60])
    before = len(zh.messages())
    await zh.press(page1, labels(page1)[0], expect=1)
    assert zh.new_since(before)[0].text.startswith("某镇信息\n第5期")
    # A reference by id works for /article too.
    [article] = await zh.send(f"/article #{no_year} 1")
    assert article.text == "镇里的消息\n\n内容。"


async def test_helps_examples_work_when_typed(bot: None, zh: ChatUser, en: ChatUser) -> None:
    [help_message] = await zh.send("/help")
    examples = re.findall(r"例如 (/issue \S+?)（|例如 (/article \S+ \d+)|例如 (/search \S+?)；", help_message.text)
    typed = [next(e for e in found if e) for found in examples]
    assert typed == ["/issue 2024-12", "/article 2024-12 2", "/search 启动"]
    [contents] = await zh.send(typed[0])
    assert contents.text.startswith(f"{MASTHEAD}\n2024年第12期（总第112期）")
    [article] = await zh.send(typed[1])
    assert article.text.startswith("景区服务质量提升行动\n\n")
    [results] = await zh.send(typed[2])
    assert results.text.startswith("搜索“启动”：共1条结果（第1/1页）")
    [english] = await en.send("/help")
    assert "e.g. /issue 2024-12 (the newest)" in english.text and "e.g. /article 2024-12 2" in english.text


async def test_help_in_an_empty_archive_says_so(server: Any, factory: sessionmaker[Session], zh: ChatUser) -> None:
    async with running_bot(server, factory, "polling"):
        [help_message] = await zh.send("/help")
    assert help_message.text.startswith("命令一览\n/start")
    assert help_message.text.endswith("简报库里还没有简报：第一期发布后，这里的例子会换成它。")


async def test_unknown_commands_are_named_in_private_and_when_addressed_in_a_group(
    bot: None, zh: ChatUser, server: Any
) -> None:
    [unknown] = await zh.send("/foo")
    assert unknown.text == "未知命令 /foo。发送 /help 查看全部命令。"
    member = ChatUser(server, GROUP, OTHER_USER)
    before = len(member.messages())
    server.send_text("4242:e2e-test-token", GROUP, OTHER_USER, "/foo")  # not addressed to the bot: quiet
    [addressed] = await member.send(f"/foo@{BOT_USERNAME}")
    assert addressed.text == "未知命令 /foo。发送 /help 查看全部命令。"
    assert len(member.messages()) == before + 1


async def test_an_article_past_the_end_says_how_many_and_offers_the_contents(
    bot: None, zh: ChatUser
) -> None:
    [past] = await zh.send("/article 2024-4 9")
    assert past.text == "2024年第4期（总第104期）没有第 9 篇文章（本期共 3 篇）。发送 /issues 查看往期列表。"
    assert labels(past) == ["目录"]
    before = len(zh.messages())
    await zh.press(past, "目录", expect=1)
    assert zh.new_since(before)[0].text.startswith(f"{MASTHEAD}\n2024年第4期（总第104期）")


async def test_free_text_is_a_search_with_bold_words_in_the_snippet(bot: None, zh: ChatUser) -> None:
    [results] = await zh.send("景区  安全")
    lines = results.text.split("\n")
    assert lines[0] == "已把您的消息当作搜索（/search 景区 安全）"
    assert lines[1] == "搜索“景区 安全”：共1条结果（第1/1页）"
    assert lines[3:6] == [
        "1. 全县旅游景区安全检查启动", "2024年第12期（总第112期）", "县文旅局部署<春季>景区安全检查，A&B类项目优先。"
    ]
    # The heading, the title and each matched word of the snippet are bold; the escaped < > & survive.
    assert bold_texts(results) == ["搜索“景区 安全”", "全县旅游景区安全检查启动", "景区安全"]
    [amp] = await zh.send("/search a&b")
    assert "A&B" in bold_texts(amp)


async def test_a_snippet_full_of_hits_stays_within_telegrams_entity_limit(
    bot: None, zh: ChatUser, factory: sessionmaker[Session]
) -> None:
    # Every character a hit, in five articles, some outside the BMP (two UTF-16 units each).
    body = "𠀀景" * 200
    store(factory, make_issue(40, articles=[(f"满篇{i}", [body]) for i in range(5)], date=dt.date(2025, 1, 1)))
    [results] = await zh.send("/search 景")
    assert results.text.startswith("搜索“景”：共8条结果")
    titles = [m[1] for line in results.text.split("\n") if (m := re.fullmatch(r"\d+\. (.+)", line))]
    marks = [b for b in bold_texts(results)[1:] if b not in titles]
    assert set(marks) == {"景"} and 20 <= len(marks) <= 5 * 12  # every hit in bold, up to 12 per snippet
    assert len(results.entities) <= 100
    assert "𠀀景𠀀景" in results.text


async def test_synonyms_widen_a_search_and_a_search_without_hits_suggests_what_to_try(
    bot: None, zh: ChatUser, factory: sessionmaker[Session]
) -> None:
    store(factory, make_issue(41, date=dt.date(2025, 2, 1), articles=[
        ("固体废物专项整治", ["全县开展固体废物排查。"]),
        ("河湖长制工作推进", ["各级河湖长巡河。"]),
    ]))
    [waste] = await zh.send("/search 固废")
    assert waste.text.split("\n")[0] == "搜索“固废”：共1条结果（第1/1页）"
    assert "固体废物" in bold_texts(waste)
    [rivers] = await zh.send("/search 河长制")  # a synonym inside a longer word
    assert "河湖长制工作推进" in rivers.text

    [none] = await zh.send("/search 景区河长巡查")
    lines = none.text.split("\n")
    assert lines[0] == "没有找到包含“景区河长巡查”的文章。"
    assert lines[1] == "可以试试更短的词，或把词拆开："
    assert lines[2] == "同义词：河长 = 河湖长"
    # Only suggestions that find something, each with its count, each a search away.
    assert labels(none) == ["🔍 景区（3）"]
    await zh.press(none, "🔍 景区（3）", edit=True)
    assert zh.message(none.message_id).text.startswith("搜索“景区”：共3条结果（第1/1页）")
    [nothing] = await zh.send("/search 火星")
    assert nothing.text == "没有找到包含“火星”的文章。\n可以试试更短的词，或换一种说法。"
    assert labels(nothing) == []


async def test_english_users_see_english_labels_in_search_results(bot: None, en: ChatUser) -> None:
    [results] = await en.send("景区")
    assert results.text.split("\n")[:2] == [
        "Your message was taken as a search (/search 景区)", "Search “景区”: 3 results (page 1/1)"
    ]
    assert "2024 No. 12 (No. 112 overall)" in results.text and "年第" not in results.text
    [none] = await en.send("/search 火星")
    assert none.text == "No article contains “火星”.\nTry shorter words, or other words."
