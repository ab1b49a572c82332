"""The web reader in tests: an archive with a public and an internal issue, subscribers, Mini App initData signed
for the bot, and `bulletin-bot web` processes."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode

import httpx
from sqlalchemy.orm import Session, sessionmaker

from bulletin.model import Issue
from storage.db import transaction
from storage.publications import PublicationRepository
from storage.publishing_repo import MarkRepository
from storage.subscribers import SubscriberRepository
from support.issues import make_issue
from web.initdata import sign

WEB_TOKEN = "5151:web-test-token"
SUBSCRIBER = 7001
STRANGER = 7002
PUBLIC_MASTHEAD = "某市文旅工作简报"
OTHER_MASTHEAD = "某县河湖长制工作动态"
INTERNAL_TITLE = "内部会议纪要：景区安全隐患排查"


def scenic_issue(n: int, masthead: str = PUBLIC_MASTHEAD, *, extra: int = 0) -> Issue:
    """Issue N with two articles about 景区 (and EXTRA more, for paging)."""
    articles = [
        (f"第{n}期：景区安全检查全面启动", [f"第{n}期，市文旅局部署全市景区安全检查。" * 3, "检查覆盖所有A级景区。"]),
        (f"第{n}期：乡村旅游发展调研", ["调研组走访了十个村。", "乡村景区基础设施仍需完善。"]),
    ]
    articles += [(f"第{n}期景区动态之{i}", [f"景区动态第{i}条。"]) for i in range(1, extra + 1)]
    return make_issue(n, masthead=masthead, articles=articles, sections=("工作动态",) * len(articles))


def seed_reader(factory: sessionmaker[Session], *, issues: int = 25) -> dict[str, int]:
    """ISSUES issues of the public masthead (1..ISSUES), three of another, one internal issue; names -> ids (the two
    publications' under "publication" and "other_publication")."""
    ids: dict[str, int] = {}
    with transaction(factory) as session:
        from storage.archive import IssueRepository

        repo = IssueRepository(session)
        for n in range(1, issues + 1):
            stored, _ = repo.add(scenic_issue(n))
            ids[f"pub{n}"] = stored.id
        for n in range(1, 4):
            stored, _ = repo.add(scenic_issue(n, OTHER_MASTHEAD))
            ids[f"other{n}"] = stored.id
        internal = make_issue(
            99, masthead=PUBLIC_MASTHEAD,
            articles=[(INTERNAL_TITLE, ["本文为内部资料，景区隐患清单不得外传。"]), ("内部工作安排", ["略。"])],
        )
        stored, _ = repo.add(internal)
        ids["internal"] = stored.id
        MarkRepository(session).set_internal(stored.id, True, by=None, now=dt.datetime.now(dt.UTC))
        ids["publication"] = PublicationRepository(session).of_issue(ids["pub1"]) or 0
        ids["other_publication"] = PublicationRepository(session).of_issue(ids["other1"]) or 0
    return ids


def subscribe(factory: sessionmaker[Session], chat_id: int, *, active: bool = True) -> None:
    """CHAT_ID as a subscriber (or one who left, ACTIVE false)."""
    with transaction(factory) as session:
        subs = SubscriberRepository(session)
        subs.subscribe(chat_id, chat_type="private", user_id=chat_id, display_name=f"用户{chat_id}",
                       language_code="zh-hans", department="办公室")
        if not active:
            subs.unsubscribe(chat_id)


def init_data(user_id: int, *, token: str = WEB_TOKEN, age: dt.timedelta = dt.timedelta(0)) -> str:
    """Mini App initData for USER_ID signed with TOKEN, AGE old (what Telegram puts in the Mini App's URL)."""
    auth_date = int((dt.datetime.now(dt.UTC) - age).timestamp())
    user = json.dumps({"id": user_id, "first_name": "测试", "language_code": "zh-hans"}, ensure_ascii=False)
    return sign({"query_id": "AAE" + str(user_id), "user": user, "auth_date": str(auth_date)}, token)


def forged(init: str, user_id: int = SUBSCRIBER) -> str:
    """INIT with its user changed to USER_ID and the hash kept: what someone pretending to be a subscriber sends."""
    fields = dict(parse_qsl(init))
    user = json.loads(fields["user"])
    user["id"] = user_id
    fields["user"] = json.dumps(user, ensure_ascii=False)
    return urlencode(fields)


def mini_app_url(base: str, path: str, init: str, theme: dict[str, str] | None = None) -> str:
    """The URL Telegram opens a Mini App at: PATH with initData and theme parameters in the fragment."""
    fragment = "tgWebAppData=" + quote(init, safe="") + "&tgWebAppVersion=8.0&tgWebAppPlatform=android"
    if theme is not None:
        fragment += "&tgWebAppThemeParams=" + quote(json.dumps(theme), safe="")
    return f"{base}{path}#{fragment}"


def write_web_config(tmp_path: Path, db_url: str, *, public: bool = False, base_url: str = "",
                     more: str = "") -> Path:
    """The reader's config file (MORE: further TOML sections)."""
    path = tmp_path / "web.toml"
    path.write_text(
        f'[telegram]\ntoken = "{WEB_TOKEN}"\n[database]\nurl = "{db_url}"\n'
        f'[web]\npublic = {"true" if public else "false"}\nbase_url = "{base_url}"\n{more}',
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path


@contextlib.contextmanager
def web_process(config: Path, port: int) -> Iterator[str]:
    """`bulletin-bot web` on PORT as its own process; yields its base URL once /healthz answers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BULLETIN_BOT_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "bulletin_bot.cli", "--config", str(config), "web", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=config.parent, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                out = process.stdout.read() if process.stdout else ""
                raise AssertionError(f"bulletin-bot web did not start: {out}")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
