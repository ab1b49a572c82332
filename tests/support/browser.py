"""Headless Chromium for the reader's browser tests: Debian's chromium and chromium-driver through Selenium (no
browser is downloaded; .ci/run installs the two packages when they are missing)."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# Where screenshots of the main pages go when set (the README's come from `BULLETIN_BOT_SCREENSHOTS=docs/screenshots`).
SCREENSHOTS = os.environ.get("BULLETIN_BOT_SCREENSHOTS", "")


def have_chromium() -> bool:
    return bool(shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER))


@contextlib.contextmanager
def chromium(width: int = 1024, height: int = 900) -> Iterator[Any]:
    """A headless Chromium driven by Selenium, WIDTH x HEIGHT."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={width},{height}", "--hide-scrollbars"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})  # pages in Chinese
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def screenshot(driver: Any, name: str) -> None:
    """Save the page as SCREENSHOTS/NAME.png when screenshots are asked for."""
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(SCREENSHOTS) / f"{name}.png"))


def set_dark(driver: Any, dark: bool) -> None:
    """Emulate the system's dark (or light) colour scheme, as a phone in dark mode reports it."""
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "media": "", "features": [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}],
    })


def set_phone(driver: Any) -> None:
    """A phone's viewport: 390 x 844 CSS pixels at 3x, touch, mobile."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True,
    })


def record_telegram_events(driver: Any) -> None:
    """Before every page's scripts: a stand-in for the Telegram app's TelegramWebviewProxy that records the Mini App
    events the page posts (window.__events), as the phone clients receive them."""
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": (
        "window.__events = [];"
        "window.TelegramWebviewProxy = {postEvent: function (t, d) { window.__events.push([t, JSON.parse(d)]); }};"
    )})
