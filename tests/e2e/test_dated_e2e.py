"""End to end over real HTTP (localbotapi): dated reports without an issue number in chat. /issue DATE finds
them (several that day are offered on buttons, none gets the shared unknown-issue answer), and /issues and /search
name them by date, never 第None期."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from support.bot import EN_USER, ZH_USER, ChatUser, labels, running_bot

from bulletin.model import Article, Issue, TocEntry
from storage.archive import IssueRepository
from storage.db import transaction

DAILY = "某市河湖长制工作每日动态"
WEEKLY = "某市城建工作简报"


def report(masthead: str, day: dt.date, number: int | None, title: str) -> Issue:
    return Issue(
        masthead=masthead, year=day.year if number else None, number=number, total_number=None,
        publisher="某市河长制办公室", date=day, toc=(TocEntry(title),),
        articles=(Article(title, ("各级河长巡河，发现问题及时交办。",)),),
    )


@pytest.fixture
async def bot(server: Any, factory: sessionmaker[Session]) -> AsyncIterator[dict[str, int]]:
    with transaction(factory) as session:
        repo = IssueRepository(session)
        ids = {
            "daily5": repo.add(report(DAILY, dt.date(2022, 7, 5), None, "7月5日巡河情况"))[0].id,
            "numbered5": repo.add(report(WEEKLY, dt.date(2022, 7, 5), 12, "城建项目巡河配合"))[0].id,
            "daily6": repo.add(report(DAILY, dt.date(2022, 7, 6), None, "7月6日巡河情况"))[0].id,
        }
    async with running_bot(server, factory, "polling"):
        yield ids


async def test_issue_by_date_shows_lists_or_says_unknown(bot: dict[str, int], server: Any) -> None:
    zh = ChatUser(server, ZH_USER, ZH_USER)
    [one] = await zh.send("/issue 2022-07-06")
    assert one.text.startswith(f"{DAILY}\n2022年7月6日\n某市河长制办公室\n")
    assert "None" not in one.text

    [choice] = await zh.send("/issue 2022-07-05")
    assert choice.text == f"2022年7月5日共有2期简报，请选择：\n1. {WEEKLY} 2022年第12期\n2. {DAILY} 2022年7月5日"
    assert labels(choice) == [f"1. {WEEKLY} 2022年第12期", f"2. {DAILY} 2022年7月5日"]
    await zh.press(choice, f"2. {DAILY} 2022年7月5日", expect=1)
    assert zh.messages()[-1].text.startswith(f"{DAILY}\n2022年7月5日\n")

    [unknown] = await zh.send("/issue 2022-07-07")
    assert unknown.text == "没有找到第 2022-07-07 期简报。发送 /issues 查看往期列表。"
    [impossible] = await zh.send("/issue 2022-02-30")
    assert impossible.text == "没有找到第 2022-02-30 期简报。发送 /issues 查看往期列表。"

    en = ChatUser(server, EN_USER, EN_USER)
    [english] = await en.send("/issue 2022-07-06")
    assert english.text.startswith(f"{DAILY}\n6 July 2022\n")


async def test_lists_and_search_name_dated_reports_by_date(bot: dict[str, int], server: Any) -> None:
    zh = ChatUser(server, ZH_USER, ZH_USER)
    [listing] = await zh.send("/issues")
    lines = listing.text.split("\n")
    assert lines[1:] == [
        f"{DAILY} 2022年7月6日　/issue 2022-07-06",
        f"{WEEKLY} 2022年第12期　2022-07-05　/issue 2022-12",
        f"{DAILY} 2022年7月5日　/issue {DAILY} 2022-07-05",  # its date names the weekly too: with its publication
    ]
    [typed] = await zh.send(f"/issue {DAILY} 2022-07-05")
    assert typed.text.startswith(f"{DAILY}\n2022年7月5日\n")
    [found] = await zh.send("/search 巡河情况")
    assert "2022年7月6日" in found.text and "2022年7月5日" in found.text and "None" not in found.text
