"""The reader in chat, end to end: the real Application polling the local Bot API server with [web] base_url set.

The 阅读 button under contents and article messages (a Mini App button in private chats, a link in groups), /web's
one-time sign-in link, and inline mode (`@bot 景区`): results without internal issues, paged with next_offset,
and a chosen result sent into a group.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from support.bot import BOT_USERNAME, GROUP, OTHER_USER, TOKEN, ZH_USER, ChatUser, bot_config, buttons, started_server
from support.web import OTHER_MASTHEAD, PUBLIC_MASTHEAD, scenic_issue, seed_reader, subscribe

from bot.app import build_application, running_polling
from config import WebConfig
from storage.archive import IssueRepository
from storage.db import transaction

BASE = "https://reader.example.org"


@pytest.fixture
def server() -> Iterator[Any]:
    with started_server() as s:
        s.set_inline(TOKEN, "搜索文章")
        yield s


@pytest.fixture
def ids(factory: sessionmaker[Session]) -> dict[str, int]:
    ids = seed_reader(factory, issues=3)
    with transaction(factory) as session:  # one issue with 25 more 景区 articles, for paging
        stored, _ = IssueRepository(session).add(scenic_issue(50, extra=25))
        ids["many"] = stored.id
    subscribe(factory, ZH_USER)
    return ids


async def _running(server: Any, factory: sessionmaker[Session], base_url: str) -> AsyncIterator[None]:
    config = dataclasses.replace(bot_config(server), web=WebConfig(base_url=base_url))
    app = build_application(config, session_factory=factory)
    async with running_polling(app, poll_interval=0.0, timeout=1):
        yield


@pytest.fixture
async def bot(server: Any, factory: sessionmaker[Session], ids: dict[str, int]) -> AsyncIterator[None]:
    async for _ in _running(server, factory, BASE):
        yield


async def test_contents_and_article_carry_the_mini_app_button_in_private_and_a_link_in_groups(
    bot: None, server: Any, ids: dict[str, int]
) -> None:
    zh = ChatUser(server, ZH_USER, ZH_USER)
    (contents,) = await zh.send(f"/start i{ids['many']}")
    read = [b for b in buttons(contents) if b["text"] == "📖 阅读"]
    assert read == [{"text": "📖 阅读", "web_app": {"url": f"{BASE}/i/{ids['many']}"}}]
    parts = await zh.send(f"/start a{ids['many']}_2")
    assert [b for b in buttons(parts[-1]) if b["text"] == "📖 阅读"] == [
        {"text": "📖 阅读", "web_app": {"url": f"{BASE}/i/{ids['many']}/2"}}
    ]
    group = ChatUser(server, GROUP, ZH_USER)
    (in_group,) = await group.send(f"/start@{BOT_USERNAME} i{ids['many']}")
    # Telegram allows web_app buttons only in private chats: a group gets the reader as a link.
    assert [b for b in buttons(in_group) if b["text"] == "📖 阅读"] == [
        {"text": "📖 阅读", "url": f"{BASE}/i/{ids['many']}"}
    ]


async def test_web_sends_a_sign_in_link_to_subscribers_only(bot: None, server: Any) -> None:
    zh = ChatUser(server, ZH_USER, ZH_USER)
    (reply,) = await zh.send("/web")
    assert "15分钟内有效" in reply.text and f"{BASE}/signin/" in reply.text
    link = buttons(reply)[0]["url"]
    assert link.startswith(f"{BASE}/signin/") and len(link) > len(f"{BASE}/signin/") + 30
    (again,) = await zh.send("/web")
    assert buttons(again)[0]["url"] != link  # a new link each time
    stranger = ChatUser(server, OTHER_USER, OTHER_USER)
    (refused,) = await stranger.send("/web")
    assert refused.text == "只有订阅用户可以使用网页阅读器。请先发送 /subscribe。" and not buttons(refused)
    group = ChatUser(server, GROUP, ZH_USER)
    (private_only,) = await group.send(f"/web@{BOT_USERNAME}")
    assert private_only.text == "请在与我的私聊中发送 /web。"


async def test_without_a_base_url_there_is_no_reader_button_and_web_says_so(
    server: Any, factory: sessionmaker[Session], ids: dict[str, int]
) -> None:
    async for _ in _running(server, factory, ""):
        zh = ChatUser(server, ZH_USER, ZH_USER)
        (contents,) = await zh.send(f"/start i{ids['many']}")
        assert "📖 阅读" not in [b["text"] for b in buttons(contents)]
        (reply,) = await zh.send("/web")
        assert reply.text == "网页阅读器没有开启。"


async def test_a_loopback_http_reader_gets_a_link_button_as_telegram_takes_mini_apps_over_https_only(
    server: Any, factory: sessionmaker[Session], ids: dict[str, int]
) -> None:
    local = "http://127.0.0.1:8080"  # [web] base_url on this machine, for a demo: accepted, but not a Mini App
    async for _ in _running(server, factory, local):
        zh = ChatUser(server, ZH_USER, ZH_USER)
        (contents,) = await zh.send(f"/start i{ids['many']}")
        assert [b for b in buttons(contents) if b["text"] == "📖 阅读"] == [
            {"text": "📖 阅读", "url": f"{local}/i/{ids['many']}"}
        ]


async def _answer(server: Any, query: str, offset: str = "") -> dict[str, Any]:
    query_id = server.inline_query(TOKEN, OTHER_USER, query, offset)
    assert await server.await_for(lambda: server.inline_answer(query_id) is not None), "no answer to the query"
    answer: dict[str, Any] = server.inline_answer(query_id)
    answer["query_id"] = query_id
    return answer


async def test_inline_search_offers_articles_without_internal_issues_paged_with_next_offset(
    bot: None, server: Any, ids: dict[str, int]
) -> None:
    first = await _answer(server, "景区")
    assert first["cache_time"] == 30 and first["is_personal"] is False
    # The first 20 hits of the search, less the internal issue's article (its title has 景区: it ranks on page one).
    assert len(first["results"]) == 19 and first["next_offset"] == "20"
    top = first["results"][0]
    assert top["title"] == "第50期：景区安全检查全面启动"
    assert top["description"].startswith(f"{PUBLIC_MASTHEAD} 2024年第50期\n")
    assert "景区" in top["description"].split("\n", 1)[1]
    seen = [r["id"] for r in first["results"]]
    offset = first["next_offset"]
    while offset:
        page = await _answer(server, "景区", offset)
        seen += [r["id"] for r in page["results"]]
        offset = page["next_offset"]
    titles_everywhere = len(seen)
    assert len(set(seen)) == titles_everywhere  # pages never overlap
    internal = ids["internal"]
    assert not any(r.startswith(f"a{internal}_") for r in seen), "an internal issue was offered inline"
    # Every article about 景区 that is not internal: 27 of the paging issue, 2 in each of the 3+3 others.
    assert titles_everywhere == 27 + 2 * 6
    hidden = await _answer(server, "内部会议纪要")
    assert hidden["results"] == [] and hidden["next_offset"] == ""


async def test_choosing_an_inline_result_sends_title_issue_and_link_and_reports_it(
    bot: None, server: Any, ids: dict[str, int], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.features.webapp")
    answer = await _answer(server, "乡村旅游")
    result = answer["results"][0]
    message = server.choose_inline_result(TOKEN, answer["query_id"], result["id"], GROUP)
    issue_id, position = result["id"][1:].split("_")
    link = f"{BASE}/i/{issue_id}/{position}"
    assert message["via_bot"]["username"] == BOT_USERNAME
    assert message["text"].split("\n") == [result["title"], f"{PUBLIC_MASTHEAD} 2024年第50期", f"阅读全文：{link}"]
    assert message["entities"][0]["type"] == "bold"
    assert message["reply_markup"] == {"inline_keyboard": [[{"text": "📖 阅读", "url": link}]]}
    assert await server.await_for(lambda: any("chosen for query" in r.getMessage() for r in caplog.records))


async def test_inline_mode_must_be_switched_on(server: Any) -> None:
    server.set_inline(TOKEN, enabled=False)
    with pytest.raises(ValueError, match="setinline"):
        server.inline_query(TOKEN, OTHER_USER, "景区")


async def test_latest_in_a_group_carries_the_reader_as_links_never_as_mini_app_buttons(
    bot: None, server: Any, ids: dict[str, int]
) -> None:
    """/latest sends one contents message per publication; in a group each gets the reader as a plain link (the
    local server, as Telegram, refuses a Mini App button there), and so does an article opened from it."""
    group = ChatUser(server, GROUP, ZH_USER)
    latest = await group.send(f"/latest@{BOT_USERNAME}", expect=2)
    # The newest of the first publication is its internal issue (number 99), under its 内部资料 line.
    assert PUBLIC_MASTHEAD in latest[0].text.splitlines()[1] and latest[1].text.startswith(OTHER_MASTHEAD)
    assert [[b for b in buttons(m) if b["text"] == "📖 阅读"] for m in latest] == [
        [{"text": "📖 阅读", "url": f"{BASE}/i/{ids['internal']}"}],
        [{"text": "📖 阅读", "url": f"{BASE}/i/{ids['other3']}"}],
    ]
    await group.press(latest[1], "1. 第3期：景区安全检查全面启动", expect=1)
    article = group.messages()[-1]
    assert article.text.startswith("第3期：景区安全检查全面启动")
    assert [b for b in buttons(article) if b["text"] == "📖 阅读"] == [
        {"text": "📖 阅读", "url": f"{BASE}/i/{ids['other3']}/1"}
    ]
    assert not any("web_app" in b for m in group.messages() for b in buttons(m))
