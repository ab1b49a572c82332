"""The web reader over HTTP: who may read what, the Mini App's initData on every request, sign-in links and
sessions across two `bulletin-bot web` processes on one database, cache headers and ETags.

Pages are asked through the ASGI app itself (httpx's ASGITransport) except in the multi-process test, which runs
two real `bulletin-bot web` processes against the same database.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker
from support.api import free_port
from support.web import (
    INTERNAL_TITLE,
    OTHER_MASTHEAD,
    PUBLIC_MASTHEAD,
    STRANGER,
    SUBSCRIBER,
    WEB_TOKEN,
    forged,
    init_data,
    seed_reader,
    subscribe,
    web_process,
    write_web_config,
)

from config import Config, DatabaseConfig, TelegramConfig, WebConfig
from jobs.reader import create_signin
from jobs.uow import UnitsOfWork
from storage.db import transaction
from storage.publications import PublicationRepository, PublicationSetting
from storage.types import utcnow
from web.app import build_app
from web.auth import session_key, sign_session


@pytest.fixture
def ids(factory: sessionmaker[Session]) -> dict[str, int]:
    ids = seed_reader(factory)
    subscribe(factory, SUBSCRIBER)
    return ids


def _config(public: bool) -> Config:
    return Config(telegram=TelegramConfig(token=WEB_TOKEN), database=DatabaseConfig(url="sqlite://"),
                  web=WebConfig(public=public, base_url="https://reader.example.org"))


@pytest.fixture
async def private(factory: sessionmaker[Session], ids: dict[str, int]) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(_config(False), factory))
    async with httpx.AsyncClient(transport=transport, base_url="http://reader.test") as client:
        yield client


@pytest.fixture
async def public(factory: sessionmaker[Session], ids: dict[str, int]) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(_config(True), factory))
    async with httpx.AsyncClient(transport=transport, base_url="http://reader.test") as client:
        yield client


def _tma(init: str, session: str = "") -> dict[str, str]:
    """The Cookie header a Mini App sends once reader.js has stored INIT (and SESSION, a session cookie)."""
    return {"Cookie": f"tma={quote(init, safe='')}" + (f"; session={session}" if session else "")}


def _session(value: str) -> dict[str, str]:
    return {"Cookie": f"session={value}"}


def _notice(page: httpx.Response) -> str | None:
    m = re.search(r'data-notice="([a-z_]+)"', page.text)
    return m[1] if m else None


async def test_a_private_reader_shows_nothing_to_anonymous_visitors(private: httpx.AsyncClient,
                                                                    ids: dict[str, int]) -> None:
    for path in ("/", f"/i/{ids['pub3']}", f"/i/{ids['pub3']}/1", "/search?q=景区", f"/p/{ids['publication']}",
                 f"/issues?m={PUBLIC_MASTHEAD}"):
        page = await private.get(path)
        assert (page.status_code, _notice(page)) == (401, "gate"), path
        assert "景区安全检查" not in page.text and "某市文旅工作简报" not in page.text
        assert "/web" in page.text


async def test_the_mini_app_with_valid_init_data_of_a_subscriber_shows_the_article(
    private: httpx.AsyncClient, ids: dict[str, int]
) -> None:
    page = await private.get(f"/i/{ids['pub3']}/1", headers=_tma(init_data(SUBSCRIBER)))
    assert page.status_code == 200
    assert "第3期：景区安全检查全面启动" in page.text and "检查覆盖所有A级景区。" in page.text
    internal = await private.get(f"/i/{ids['internal']}/1", headers=_tma(init_data(SUBSCRIBER)))
    assert internal.status_code == 200 and INTERNAL_TITLE in internal.text and "🔒 内部资料" in internal.text


@pytest.mark.parametrize(
    ("make", "notice"),
    [
        (lambda: forged(init_data(STRANGER)), "bad_hash"),
        (lambda: init_data(SUBSCRIBER, token="9999:another-bot"), "bad_hash"),
        (lambda: init_data(SUBSCRIBER, age=dt.timedelta(hours=25)), "stale"),
        (lambda: re.sub(r"&?hash=[0-9a-f]+", "", init_data(SUBSCRIBER)), "no_hash"),
        (lambda: "", "missing"),
    ],
    ids=["forged-user", "wrong-bot", "stale", "no-hash", "empty"],
)
async def test_bad_init_data_gets_the_refusal_page_never_content(
    private: httpx.AsyncClient, public: httpx.AsyncClient, ids: dict[str, int], make: object, notice: str
) -> None:
    init = make()  # type: ignore[operator]
    # A subscriber's valid session beside it changes nothing: initData, when sent, decides alone.
    session = sign_session(session_key(WEB_TOKEN), SUBSCRIBER, utcnow() + dt.timedelta(days=1))
    for client in (private, public):  # even a public reader: a Mini App never shows content on bad initData
        for headers in (_tma(init), _tma(init, session)):
            page = await client.get(f"/i/{ids['pub3']}/1", headers=headers)
            assert (page.status_code, _notice(page)) == (403, notice)
            assert "检查覆盖所有A级景区" not in page.text
    assert (await private.get(f"/i/{ids['pub3']}/1", headers=_session(session))).status_code == 200


async def test_a_user_who_is_not_a_subscriber_is_told_so(private: httpx.AsyncClient, ids: dict[str, int],
                                                         factory: sessionmaker[Session]) -> None:
    page = await private.get("/", headers=_tma(init_data(STRANGER)))
    assert (page.status_code, _notice(page)) == (403, "gate") and "不是订阅用户" in page.text
    subscribe(factory, STRANGER, active=False)  # subscribed once, left since
    page = await private.get("/", headers=_tma(init_data(STRANGER)))
    assert page.status_code == 403


async def test_a_public_reader_serves_public_issues_to_anyone_and_internal_ones_to_subscribers_only(
    public: httpx.AsyncClient, ids: dict[str, int]
) -> None:
    home = await public.get("/")
    assert home.status_code == 200 and PUBLIC_MASTHEAD in home.text and OTHER_MASTHEAD in home.text
    assert (await public.get(f"/i/{ids['pub3']}/1")).status_code == 200
    for path in (f"/i/{ids['internal']}", f"/i/{ids['internal']}/1"):
        page = await public.get(path)
        assert (page.status_code, _notice(page)) == (403, "internal") and INTERNAL_TITLE not in page.text
    found = await public.get("/search", params={"q": "内部会议纪要"})
    assert found.status_code == 200 and INTERNAL_TITLE not in found.text
    listing = await public.get(f"/p/{ids['publication']}")
    assert f'href="/i/{ids["internal"]}"' not in listing.text and "内部资料" in listing.text
    as_subscriber = await public.get("/search", params={"q": "内部会议纪要"}, headers=_tma(init_data(SUBSCRIBER)))
    assert INTERNAL_TITLE in as_subscriber.text


async def test_issue_list_is_paged_and_search_is_the_bots(public: httpx.AsyncClient, ids: dict[str, int]) -> None:
    first = await public.get(f"/p/{ids['publication']}")
    assert "共26期" in first.text and "第1/2页" in first.text and first.text.count('<li>') == 20
    assert f'href="/p/{ids["publication"]}?page=2"' in first.text
    second = await public.get(f"/p/{ids['publication']}", params={"page": "2"})
    assert "第2/2页" in second.text and second.text.count('<li>') == 6 and "2024年第1期" in second.text
    other = await public.get(f"/p/{ids['other_publication']}")
    assert "共3期" in other.text and "第1/1页" not in other.text and other.text.count('<li>') == 3
    hits = await public.get("/search", params={"q": "乡村 调研"})
    assert "找到28篇文章" in hits.text and "第1/3页" in hits.text
    assert (await public.get("/search", params={"q": "乡村 调研", "page": "3"})).text.count('class="hit-title"') == 8
    nothing = await public.get("/search", params={"q": "不存在的词"})
    assert "没有找到包含“不存在的词”的文章。" in nothing.text


async def test_pages_carry_etags_and_cache_headers_and_static_files_are_immutable(
    public: httpx.AsyncClient, ids: dict[str, int]
) -> None:
    page = await public.get(f"/i/{ids['pub3']}/1")
    assert page.headers["cache-control"] == "private, no-cache" and "default-src 'self'" in page.headers[
        "content-security-policy"]
    again = await public.get(f"/i/{ids['pub3']}/1", headers={"If-None-Match": page.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    css = re.search(r'href="(/static/reader\.[0-9a-f]+\.css)"', page.text)
    assert css is not None
    style = await public.get(css[1])
    assert style.headers["cache-control"] == "public, max-age=31536000, immutable" and b"Noto Serif CJK SC" in (
        style.content)
    assert "http" not in re.sub(r"https?://(web\.)?telegram\.org|https://web\.telegram\.org", "", style.text)
    assert (await public.get("/static/reader.0000.css")).status_code == 404


async def test_unknown_pages_and_methods_get_a_page_not_a_traceback(public: httpx.AsyncClient) -> None:
    assert (await public.get("/i/999999/1")).status_code == 404
    assert (await public.get("/nothing")).status_code == 404
    assert (await public.post("/i/1")).status_code == 405
    assert (await public.get("/issues", params={"m": "x" * 5000, "page": "9" * 40})).status_code == 404
    assert (await public.get("/p/999999")).status_code == 404


async def test_a_publication_shows_its_short_name_and_its_masthead_and_issues_link_back_to_it(
    public: httpx.AsyncClient, ids: dict[str, int], factory: sessionmaker[Session]
) -> None:
    """A publication as the bot names it: its [publications] short name, with the masthead as printed beside it."""
    with transaction(factory) as session:
        PublicationRepository(session).configure([PublicationSetting(PUBLIC_MASTHEAD, "简报", True)])
    home = await public.get("/")
    assert re.search(rf'<a href="/p/{ids["publication"]}">简报</a>\s*<span class="masthead-name">{PUBLIC_MASTHEAD}',
                     home.text)
    # A publication without a short name is named by its masthead, once.
    assert f'<a href="/p/{ids["other_publication"]}">{OTHER_MASTHEAD}</a>' in home.text
    assert home.text.count(OTHER_MASTHEAD) == 1
    listing = await public.get(f"/p/{ids['publication']}")
    assert "<title>简报" in listing.text and ">简报</h1>" in listing.text and PUBLIC_MASTHEAD in listing.text
    issue = await public.get(f"/i/{ids['pub3']}")
    assert f'<a href="/p/{ids["publication"]}">简报</a>' in issue.text


async def test_the_old_addresses_by_masthead_move_to_the_publications_address(
    public: httpx.AsyncClient, ids: dict[str, int], factory: sessionmaker[Session]
) -> None:
    with transaction(factory) as session:
        PublicationRepository(session).configure([PublicationSetting(OTHER_MASTHEAD, "动态", True)])
    moved = await public.get("/issues", params={"m": PUBLIC_MASTHEAD, "page": "2"})
    assert (moved.status_code, moved.headers["location"]) == (301, f"/p/{ids['publication']}?page=2")
    by_name = await public.get("/issues", params={"m": "动态"})
    assert (by_name.status_code, by_name.headers["location"]) == (301, f"/p/{ids['other_publication']}")
    assert (await public.get("/issues", params={"m": "某市不存在的简报"})).status_code == 404


async def test_bulletin_bot_web_names_publications_as_its_config_says(
    db_url: str, tmp_path: Path, ids: dict[str, int]
) -> None:
    """`bulletin-bot web` on its own applies [publications] at start, as `bulletin-bot run` does."""
    config = write_web_config(tmp_path, db_url, public=True,
                              more=f'[publications."{PUBLIC_MASTHEAD}"]\nname = "简报"\n')
    with web_process(config, free_port()) as base:
        home = httpx.get(base + "/")
    assert f'<a href="/p/{ids["publication"]}">简报</a>' in home.text


async def test_sign_in_links_and_sessions_work_across_two_processes(
    db_url: str, tmp_path: Path, factory: sessionmaker[Session], ids: dict[str, int]
) -> None:
    config = write_web_config(tmp_path, db_url, public=False)
    units = UnitsOfWork(factory)
    token = units.run_sync(lambda u: create_signin(u, SUBSCRIBER, now=utcnow(), ttl=dt.timedelta(minutes=15)))
    assert token is not None
    assert units.run_sync(lambda u: create_signin(u, STRANGER, now=utcnow(), ttl=dt.timedelta(minutes=15))) is None
    with web_process(config, free_port()) as a, web_process(config, free_port()) as b:
        preview = httpx.get(f"{a}/signin/{token}")  # a link preview: shows the button, uses nothing up
        assert preview.status_code == 200 and f'action="/signin/{token}"' in preview.text
        signed = httpx.post(f"{b}/signin/{token}")
        assert signed.status_code == 303 and "session" in signed.cookies
        session = signed.cookies["session"]
        for base in (a, b):
            page = httpx.get(f"{base}/i/{ids['pub3']}/1", headers=_session(session))
            assert page.status_code == 200 and "检查覆盖所有A级景区。" in page.text
        used = httpx.post(f"{a}/signin/{token}")
        assert (used.status_code, _notice(used)) == (403, "signin")
        tampered = session.replace(f"{SUBSCRIBER}.", f"{STRANGER}.", 1)
        assert httpx.get(f"{a}/", headers=_session(tampered)).status_code == 401
        subscribe(factory, SUBSCRIBER, active=False)  # unsubscribing ends access at once, on every process
        assert httpx.get(f"{b}/", headers=_session(session)).status_code == 403


async def test_a_replaced_issue_is_shown_anew_although_the_reader_had_read_it(
    public: httpx.AsyncClient, ids: dict[str, int], factory: sessionmaker[Session]
) -> None:
    """The reader keeps recently read issues, but checks each against the database's version on every page: another
    process (or `import --replace`) replacing the issue shows at once."""
    from support.issues import make_issue

    from storage.archive import IssueRepository
    from storage.db import transaction

    before = await public.get(f"/i/{ids['pub3']}/1")
    assert "第3期：景区安全检查全面启动" in before.text
    with transaction(factory) as session:
        corrected = make_issue(3, masthead=PUBLIC_MASTHEAD, articles=[("更正后的标题", ["更正后的正文。"])])
        stored, _ = IssueRepository(session).add(corrected, replace=True)
    assert stored.id == ids["pub3"]
    after = await public.get(f"/i/{ids['pub3']}/1")
    assert "更正后的标题" in after.text and "第3期：景区安全检查全面启动" not in after.text
    assert (await public.get(f"/i/{ids['pub3']}/2")).status_code == 404
