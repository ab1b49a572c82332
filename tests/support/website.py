"""A local test website for the watch (served on 127.0.0.1 in a thread of its own): an office's bulletin index that
the tests change between polls, documents in every format, and the misbehaviours of real sites (404, a hang, a
50 MB answer, a redirect to an internal address). It answers conditional requests with 304 and counts every
request, so a test can say what the watch downloaded. (No tests in this module.)"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.utils
import hashlib
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiohttp import web

from support.bulletin_builders import Line, render_lines

MASTHEAD = "某县文旅工作简报"
HTML = "text/html; charset=utf-8"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOC = "application/msword"
RSS = "application/rss+xml"
HUGE_MB = 50


def issue_lines(n: int) -> tuple[Line, ...]:
    """Issue N of a made-up county bulletin (our own words), two articles."""
    first, second = f"第{n}批乡村旅游重点村名单公布", f"县博物馆第{n}次主题展开幕"
    return (
        ("masthead", MASTHEAD),
        ("head", f"2025年第{n}期（总第{40 + n}期）"),
        ("line", f"某县文化和旅游局\t\t2025年3月{n}日"),
        ("rule", ""),
        ("tocheading", "本期要目"),
        ("line", f"☆{first}"),
        ("line", f"☆{second}"),
        ("heading", first),
        ("paragraph", f"县文旅局公布第{n}批乡村旅游重点村名单，共有六个村入选，将在资金和宣传上给予支持。"),
        ("heading", second),
        ("paragraph", f"县博物馆第{n}次主题展于本月开幕，展出民俗实物两百余件，免费向公众开放。"),
    )


def issue_document(n: int, fmt: str) -> bytes:
    """Issue N as a .txt, .docx, .pdf or .html document."""
    return render_lines(issue_lines(n), fmt)


def index_page(entries: list[tuple[str, str]], *, title: str = "工作简报") -> bytes:
    """An index page listing ENTRIES (href, text) among the site's chrome: navigation, a 更多 link, paging,
    a footer with links, all of which the watch must ignore."""
    items = "\n".join(f'<li><a href="{href}">{text}</a><span>2025-03-01</span></li>' for href, text in entries)
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head><body>
<div class="header"><a href="/">网站首页</a> <a href="/about.html">机构概况</a></div>
<nav><a href="/news.html">新闻动态</a> <a href="/jianbao/">工作简报</a> <a href="/zhoubao.html">工作周报</a></nav>
<div class="main"><h2>{title}</h2><ul class="list">
{items}
</ul><a href="/jianbao/more.html">更多</a>
<div class="page"><a href="?page=2">下一页</a> <a href="?page=9">尾页</a></div></div>
<div class="footer"><a href="/contact.html">联系我们</a> 版权所有 某县文化和旅游局 <a href="http://beian.example.org/">ICP备12345号</a>
<a href="https://other-site.example.com/jianbao/1.pdf">友情链接：外站简报</a></div>
</body></html>""".encode()


def feed(entries: list[tuple[str, str, dt.date]], base: str) -> bytes:
    """An RSS 2.0 feed of ENTRIES (href, title, date)."""
    def date(d: dt.date) -> str:
        return email.utils.format_datetime(dt.datetime(d.year, d.month, d.day, 8, tzinfo=dt.UTC))

    items = "".join(
        f"<item><title>{title}</title><link>{base}{href}</link><pubDate>{date(d)}</pubDate></item>"
        for href, title, d in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>工作简报</title>'
        f"<link>{base}/</link><description>某县</description>{items}</channel></rss>"
    ).encode()


@dataclass
class Page:
    body: bytes
    content_type: str
    etag: str = ""
    modified: str = ""


@dataclass
class OfficeSite:
    """The site's content; change it between polls. Every path answered is counted in `hits`."""

    pages: dict[str, Page] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    failing: dict[str, int] = field(default_factory=dict)  # path -> status answered instead
    hits: Counter[str] = field(default_factory=Counter)
    conditional_hits: Counter[str] = field(default_factory=Counter)  # 304s answered
    base: str = ""
    etags: bool = True

    def put(self, path: str, body: bytes, content_type: str = HTML) -> None:
        """Serve BODY at PATH (with an ETag and a Last-Modified that change with it)."""
        digest = hashlib.sha1(body).hexdigest()[:16]
        modified = email.utils.format_datetime(dt.datetime.now(dt.UTC), usegmt=True)
        self.pages[path] = Page(body, content_type, f'"{digest}"' if self.etags else "", modified)
        self.failing.pop(path, None)

    def url(self, path: str) -> str:
        return self.base + path

    def downloads(self, path: str) -> int:
        """Requests for PATH answered with a body (not 304)."""
        return self.hits[path] - self.conditional_hits[path]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        self.hits[path] += 1
        if path == "/hang":
            await asyncio.sleep(3600)
        if path == "/huge.pdf":
            return await _huge(request)
        if path in self.redirects:
            raise web.HTTPFound(self.redirects[path])
        if path in self.failing:
            return web.Response(status=self.failing[path], text="error")
        page = self.pages.get(path)
        if page is None:
            return web.Response(status=404, text="not found")
        if page.etag and request.headers.get("If-None-Match") == page.etag:
            self.conditional_hits[path] += 1
            return web.Response(status=304, headers={"ETag": page.etag})
        headers = {"Content-Type": page.content_type}
        if page.etag:
            headers["ETag"] = page.etag
            headers["Last-Modified"] = page.modified
        return web.Response(body=page.body, headers=headers)


async def _huge(request: web.Request) -> web.StreamResponse:
    """50 MB of PDF-looking bytes, streamed without a Content-Length."""
    response = web.StreamResponse(headers={"Content-Type": PDF})
    await response.prepare(request)
    chunk = b"%PDF-1.4\n" + b"0" * (1024 * 1024 - 9)
    with contextlib.suppress(ConnectionError):
        for _ in range(HUGE_MB):
            await response.write(chunk)
    return response


@contextlib.contextmanager
def serve(site: OfficeSite) -> Iterator[OfficeSite]:
    """Serve SITE on 127.0.0.1 (a free port) in a thread with its own event loop; SITE.base is set."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, web.AppRunner] = {}
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    site.base = f"http://127.0.0.1:{sock.getsockname()[1]}"

    async def start() -> None:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", site.handle)
        runner = web.AppRunner(app, shutdown_timeout=0.2, handle_signals=False)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        holder["runner"] = runner
        ready.set()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        loop.run_forever()
        # Requests still held open (the hang) end with the site.
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))

    thread = threading.Thread(target=run, name="test-website", daemon=True)
    thread.start()
    assert ready.wait(10), "the test website did not start"
    try:
        yield site
    finally:
        asyncio.run_coroutine_threadsafe(holder["runner"].cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


PUBLIC_NAME = "bulletin-site.example"
PUBLIC_ADDRESS = "93.184.215.14"  # a public address (never connected to: PublicToLoopback reroutes it)


def public_resolver(port: int) -> object:
    """A resolver (our NetworkPolicy port) that answers PUBLIC_NAME with a public-looking address, and the
    ordinary resolver's answer for anything else."""
    from jobs.netguard import system_resolver

    async def resolve(host: str, p: int) -> list[str]:
        return [PUBLIC_ADDRESS] if host == PUBLIC_NAME else await system_resolver(host, p)

    return resolve


class PublicToLoopback(httpx.AsyncBaseTransport):
    """Under the guard: a connection to PUBLIC_ADDRESS reaches the test site on 127.0.0.1 instead (the guard
    itself, with allow_private off, still refuses any hop that resolves to an internal address)."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_keepalive_connections=0))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == PUBLIC_ADDRESS:
            request.url = request.url.copy_with(host="127.0.0.1")
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


class Clock:
    """A clock the test moves (the Watcher's `clock`)."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime(2025, 3, 3, 1, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, delta: dt.timedelta) -> None:
        self.now += delta


@dataclass
class RecordingPort:
    """Our WatchPort, recording what the admins would be told; OFFER_FAILS makes offers raise (the bot dying
    before the preview went out)."""

    offered: list[tuple[str, Any, bool]] = field(default_factory=list)
    publications: list[tuple[str, Any]] = field(default_factory=list)
    unreadables: list[tuple[str, str]] = field(default_factory=list)
    alerts: list[tuple[str, str]] = field(default_factory=list)
    recoveries: list[str] = field(default_factory=list)
    offer_fails: bool = False

    async def offer(self, found: Any, issue: Any, partial: bool) -> None:
        if self.offer_fails:
            raise RuntimeError("the bot died before the preview went out")
        self.offered.append((found.url, issue, partial))

    async def published(self, found: Any, committed: Any) -> None:
        self.publications.append((found.url, committed))

    async def unreadable(self, found: Any, error: Any) -> None:
        self.unreadables.append((found.url, str(error)))

    async def alert(self, source: Any, error: str) -> None:
        self.alerts.append((source.url, error))

    async def recovered(self, source: Any) -> None:
        self.recoveries.append(source.url)
