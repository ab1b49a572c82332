"""What the reader's pages share: the Reader (config, units of work, templates, static files), cache headers and
ETags, the page language."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import Response

from bulletin.i18n import EN, lang_of, t
from bulletin.render import date_text, issue_label
from config import Config
from jobs.reader import IssueCache
from jobs.uow import UnitsOfWork

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
TEMPLATE_DIR = HERE / "templates"

# Pages depend on who asks and change when an issue is corrected: the browser keeps them but asks again every time
# (If-None-Match), and gets 304 when nothing changed. Static files carry their content hash in the URL.
PAGE_CACHE = "private, no-cache"
STATIC_CACHE = "public, max-age=31536000, immutable"
# Only the project's own files; Telegram Web shows a Mini App in a frame of web.telegram.org.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'self' https://web.telegram.org https://*.telegram.org"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@dataclass(frozen=True)
class StaticFile:
    body: bytes
    media_type: str
    etag: str


def static_files() -> dict[str, StaticFile]:
    """The reader's CSS and JS, read once, each under a name carrying its content hash."""
    files: dict[str, StaticFile] = {}
    for path in sorted(STATIC_DIR.iterdir()):
        body = path.read_bytes()
        digest = hashlib.sha256(body).hexdigest()[:12]
        media = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}.get(
            path.suffix, "application/octet-stream"
        )
        files[f"{path.stem}.{digest}{path.suffix}"] = StaticFile(body, media, f'"{digest}"')
    return files


@dataclass
class Reader:
    """What the reader's handlers share: the config, the units of work, the templates and static files."""

    config: Config
    units: UnitsOfWork
    env: Environment
    static: dict[str, StaticFile]
    session_key: bytes
    issues: IssueCache

    def static_url(self, stem: str) -> str:
        """The URL of static file STEM ("reader.css") under its hashed name."""
        base, _, suffix = stem.rpartition(".")
        for name in self.static:
            if name.startswith(base + ".") and name.endswith("." + suffix):
                return f"/static/{name}"
        raise KeyError(stem)

    def page(self, request: Request, template: str, lang: str, *, status: int = 200, **context: Any) -> Response:
        """TEMPLATE rendered in LANG, with an ETag; 304 when the browser already has this exact page."""
        body = self.env.get_template(template).render(
            lang=lang, _=lambda key, **kw: t(lang, key, **kw), css=self.static_url("reader.css"),
            js=self.static_url("reader.js"), **context,
        ).encode()
        return cached(request, body, "text/html; charset=utf-8", PAGE_CACHE, status=status,
                      vary="Cookie, Accept-Language")


def cached(request: Request, body: bytes, media_type: str, cache: str, *, status: int = 200,
           etag: str | None = None, vary: str | None = None) -> Response:
    """BODY with Cache-Control CACHE and a strong ETag; 304 without a body when If-None-Match has it."""
    tag = etag or '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    headers = {"Cache-Control": cache, "ETag": tag, **SECURITY_HEADERS}
    if vary:
        headers["Vary"] = vary
    if status == 200 and tag in {v.strip() for v in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(body, status_code=status, media_type=media_type, headers=headers)


def request_lang(request: Request, language_code: str | None = None) -> str:
    """The page language: the Telegram user's, else the browser's first choice; Simplified Chinese by default."""
    if language_code:
        return lang_of(language_code)
    first = request.headers.get("accept-language", "").split(",")[0].split(";")[0]
    return lang_of(first) if first else lang_of(None)


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR), autoescape=select_autoescape(default=True), undefined=StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )
    env.globals["issue_label"] = issue_label
    env.globals["date_text"] = date_text
    env.globals["EN"] = EN
    return env


def reader_of(request: Request) -> Reader:
    """The Reader of the app serving REQUEST."""
    reader: Reader = request.app.state.reader
    return reader


def utcnow() -> dt.datetime:
    """Now, in UTC (the clock of sign-in links, sessions and initData freshness)."""
    return dt.datetime.now(dt.UTC)
