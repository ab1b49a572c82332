"""The reader in a real browser: headless Chromium (Debian's, through Selenium) against `bulletin-bot web`.

A subscriber signs in with a /web link and reads: the issue list with paging, an issue, an article, search with
paging; the dark theme; a phone-sized viewport. The Mini App path: Telegram's URL with valid initData shows the
article in Telegram's colours with its back button, forged initData shows the refusal and no content.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.support.wait import WebDriverWait
from sqlalchemy.orm import Session, sessionmaker
from support.api import free_port
from support.browser import chromium, have_chromium, record_telegram_events, screenshot, set_dark, set_phone
from support.web import (
    PUBLIC_MASTHEAD,
    STRANGER,
    SUBSCRIBER,
    forged,
    init_data,
    mini_app_url,
    seed_reader,
    subscribe,
    web_process,
    write_web_config,
)

from jobs.reader import create_signin
from jobs.uow import UnitsOfWork
from storage.db import open_database
from storage.types import utcnow

pytestmark = pytest.mark.skipif(not have_chromium(), reason="chromium and chromium-driver are not installed "
                                "(apt-get install -y chromium chromium-driver; .ci/run does it)")

THEME = {"bg_color": "#17212b", "text_color": "#f5f5f5", "hint_color": "#708499", "link_color": "#6ab3f3",
         "button_color": "#5288c1", "button_text_color": "#ffffff", "secondary_bg_color": "#232e3c"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One archive (26 + 3 issues and an internal one), a subscriber, and `bulletin-bot web` serving it."""
    tmp = tmp_path_factory.mktemp("reader")
    url = f"sqlite:///{tmp / 'reader.sqlite3'}"
    engine, factory = open_database(url)
    ids = seed_reader(factory)
    subscribe(factory, SUBSCRIBER)
    config = write_web_config(tmp, url, public=False, base_url="http://127.0.0.1")
    with web_process(config, free_port()) as base:
        yield {"base": base, "ids": ids, "factory": factory}
    engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as driver:
        yield driver


def _sign_in(driver: Any, site: dict[str, Any]) -> None:
    factory: sessionmaker[Session] = site["factory"]
    token = UnitsOfWork(factory).run_sync(
        lambda u: create_signin(u, SUBSCRIBER, now=utcnow(), ttl=dt.timedelta(minutes=15)))
    driver.delete_all_cookies()
    driver.get(f"{site['base']}/signin/{token}")
    driver.find_element("css selector", "main form button").click()
    # The click returns before the POST's answer (and its cookie) arrives: wait for the redirect to the home page.
    WebDriverWait(driver, 10).until(lambda d: d.current_url == f"{site['base']}/")


def _text(driver: Any) -> str:
    return str(driver.find_element("tag name", "main").text)


def _style(driver: Any, selector: str, prop: str) -> str:
    return str(driver.execute_script(
        "return getComputedStyle(document.querySelector(arguments[0]))[arguments[1]];", selector, prop))


def test_a_signed_in_subscriber_browses_issues_with_paging_then_an_issue_and_an_article(
    browser: Any, site: dict[str, Any]
) -> None:
    set_dark(browser, False)
    browser.get(site["base"] + "/")
    assert "请登录" in _text(browser) and PUBLIC_MASTHEAD not in _text(browser)
    _sign_in(browser, site)
    assert browser.current_url == site["base"] + "/"
    assert PUBLIC_MASTHEAD in _text(browser) and "共26期" in _text(browser)
    screenshot(browser, "home")
    browser.find_element("link text", PUBLIC_MASTHEAD).click()
    assert browser.current_url == f"{site['base']}/p/{site['ids']['publication']}"  # the publication's address
    assert "第1/2页" in _text(browser) and "2024年第25期" in _text(browser)
    screenshot(browser, "issues")
    browser.find_element("css selector", "a[rel=next]").click()
    assert "第2/2页" in _text(browser) and "2024年第1期" in _text(browser)
    browser.find_element("link text", "2024年第1期").click()
    assert browser.find_element("css selector", ".masthead").text == PUBLIC_MASTHEAD
    assert "要目" in _text(browser) and "第1期：乡村旅游发展调研" in _text(browser)
    numbers = [li.get_attribute("value") for li in browser.find_elements("css selector", ".toc li:not(.section)")]
    assert numbers == ["1", "2"]  # the 【栏目】 line between does not take a number
    assert _style(browser, ".masthead", "color") == "rgb(196, 22, 28)"  # the red masthead of the printed issue
    screenshot(browser, "issue")
    browser.find_element("link text", "第1期：景区安全检查全面启动").click()
    assert browser.find_element("css selector", "h1.title").text == "第1期：景区安全检查全面启动"
    assert "检查覆盖所有A级景区。" in _text(browser)
    assert _style(browser, ".body p", "textAlign") == "justify" and _style(browser, ".body p", "textIndent") != "0px"
    screenshot(browser, "article")
    browser.find_element("css selector", "a[rel=next]").click()
    assert browser.find_element("css selector", "h1.title").text == "第1期：乡村旅游发展调研"


def test_search_from_the_header_with_paging(browser: Any, site: dict[str, Any]) -> None:
    _sign_in(browser, site)
    box = browser.find_element("css selector", "input[name=q]")
    box.send_keys("乡村 调研")
    box.submit()
    assert "找到28篇文章" in _text(browser) and "第1/3页" in _text(browser)
    first_page = [a.text for a in browser.find_elements("css selector", ".hit-title")]
    assert len(first_page) == 10 and all("乡村旅游发展调研" in t for t in first_page)
    screenshot(browser, "search")
    browser.find_element("css selector", "a[rel=next]").click()
    second_page = [a.text for a in browser.find_elements("css selector", ".hit-title")]
    assert "第2/3页" in _text(browser) and len(second_page) == 10 and not set(first_page) & set(second_page)
    assert "内部会议纪要" not in _text(browser)


def test_dark_theme_follows_the_system(browser: Any, site: dict[str, Any]) -> None:
    _sign_in(browser, site)
    browser.get(f"{site['base']}/i/{site['ids']['pub3']}/1")
    light = _style(browser, "body", "backgroundColor")
    set_dark(browser, True)
    try:
        browser.refresh()
        assert light == "rgb(251, 250, 246)"
        assert _style(browser, "body", "backgroundColor") == "rgb(22, 22, 20)"
        assert _style(browser, "body", "color") == "rgb(232, 229, 220)"
        screenshot(browser, "article-dark")
    finally:
        set_dark(browser, False)


def test_a_phone_sized_viewport_reads_without_sideways_scrolling(site: dict[str, Any]) -> None:
    with chromium(390, 844) as phone:
        set_phone(phone)
        _sign_in(phone, site)
        phone.get(f"{site['base']}/i/{site['ids']['pub3']}/1")
        width = phone.execute_script("return window.innerWidth")
        assert width == 390
        assert phone.execute_script("return document.documentElement.scrollWidth") <= width
        assert float(_style(phone, ".body p", "fontSize").removesuffix("px")) >= 17
        screenshot(phone, "article-phone")
        phone.get(f"{site['base']}/i/{site['ids']['pub3']}")
        assert phone.execute_script("return document.documentElement.scrollWidth") <= width
        screenshot(phone, "issue-phone")


def test_the_mini_app_with_valid_init_data_shows_the_article_in_telegrams_colours_with_its_back_button(
    site: dict[str, Any]
) -> None:
    ids = site["ids"]
    with chromium(390, 844) as app:
        record_telegram_events(app)
        app.get(mini_app_url(site["base"], f"/i/{ids['pub3']}", init_data(SUBSCRIBER), THEME))
        assert app.current_url == f"{site['base']}/i/{ids['pub3']}"  # initData moved into the cookie, URL clean
        assert "第3期：景区安全检查全面启动" in _text(app)
        assert _style(app, "body", "backgroundColor") == "rgb(23, 33, 43)"  # THEME's bg_color
        events = app.execute_script("return window.__events")
        assert ["web_app_setup_back_button", {"is_visible": True}] in events and ["web_app_ready", {}] in events
        app.find_element("link text", "第3期：乡村旅游发展调研").click()
        assert "调研组走访了十个村。" in _text(app)
        screenshot(app, "mini-app")
        app.execute_script("window.Telegram.WebView.receiveEvent('back_button_pressed', {})")
        assert app.current_url == f"{site['base']}/i/{ids['pub3']}"
        internal = mini_app_url(site["base"], f"/i/{ids['internal']}/1", init_data(SUBSCRIBER), THEME)
        app.get(internal)
        assert "内部会议纪要" in _text(app)


def test_the_mini_app_with_forged_init_data_shows_the_refusal_and_no_content(site: dict[str, Any]) -> None:
    ids = site["ids"]
    with chromium(390, 844) as app:
        app.get(mini_app_url(site["base"], f"/i/{ids['internal']}/1", forged(init_data(STRANGER)), THEME))
        assert "登录数据的签名不对" in _text(app)
        assert "内部会议纪要" not in app.page_source and "景区隐患清单" not in app.page_source
        screenshot(app, "mini-app-refused")
        app.get(mini_app_url(site["base"], f"/i/{ids['pub3']}/1",
                             init_data(SUBSCRIBER, age=dt.timedelta(days=2)), THEME))
        assert "登录数据已过期" in _text(app) and "检查覆盖所有A级景区" not in app.page_source


def test_docs_screenshots_exist_for_the_readme() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    assert {p.name for p in docs.glob("*.png")} >= {"home.png", "issue.png", "article.png", "article-dark.png",
                                                    "article-phone.png", "mini-app.png", "search.png"}
