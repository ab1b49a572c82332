"""The reader's pages: publications, a publication's issues, an issue with its 要目, an article, search, sign-in.

Every handler: who asks (web/auth.py, no database) → one unit of work (the viewer's subscription and the page's
data) → a template. A forged or stale Mini App initData gets the refusal page, never content; a private reader
(`[web] public = false`) shows anyone else the sign-in page; an internal issue (内部资料) is refused to anyone who
is not an active subscriber.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bulletin.i18n import t
from jobs import reader as uc
from jobs.uow import UnitOfWork
from web.auth import INIT_DATA_COOKIE, SESSION_COOKIE, Identity, identify, sign_session
from web.common import STATIC_CACHE, Reader, cached, reader_of, request_lang, utcnow

T = TypeVar("T")

# Telegram's link preview fetches a sign-in link too: GET only shows a button, the POST it sends uses the link.
_MAX_PARAM = 1_000_000_000


def routes() -> list[BaseRoute]:
    """The reader's routes."""
    return [
        Route("/", home),
        Route("/p/{publication_id:int}", issues),
        Route("/issues", issues_by_masthead),
        Route("/i/{issue_id:int}", issue),
        Route("/i/{issue_id:int}/{position:int}", article),
        Route("/search", search),
        Route("/signin/{token}", signin, methods=["GET", "POST"]),
        Route("/signout", signout, methods=["POST"]),
        Route("/static/{name}", static),
        Route("/healthz", healthz),
    ]


def _identity(request: Request, reader: Reader) -> Identity:
    web = reader.config.web
    return identify(dict(request.cookies), bot_token=reader.config.telegram.token, key=reader.session_key,
                    now=utcnow(), max_age=web.init_data_max_age)


class _Refused(Exception):
    """A page that is not shown: the refusal or sign-in page to answer instead."""

    def __init__(self, response: Response) -> None:
        self.response = response


async def _guarded(
    request: Request, work: Callable[[UnitOfWork, uc.Viewer], T]
) -> tuple[Reader, str, uc.Viewer, T]:
    """Identify the asker, then run WORK with the viewer in one unit of work; raise _Refused for the refusal page
    (bad initData) or the sign-in page (a private reader, a non-subscriber)."""
    reader = reader_of(request)
    ident = _identity(request, reader)
    lang = request_lang(request, ident.language_code)
    if ident.refusal is not None:
        raise _Refused(reader.page(request, "refused.html", lang, status=403, reason=ident.refusal.value,
                                   title=_title(lang, "web_refused_title"), back=False))
    public = reader.config.web.public

    def unit(u: UnitOfWork) -> tuple[uc.Viewer, T | None]:
        viewer = uc.viewer_of(u, ident.chat_id)
        if not uc.may_enter(viewer, public):
            return viewer, None
        return viewer, work(u, viewer)

    viewer, result = await reader.units.run(unit)
    if result is None and not uc.may_enter(viewer, public):
        raise _Refused(_gate(request, reader, lang, ident))
    return reader, lang, viewer, result  # type: ignore[return-value]


def _title(lang: str, key: str) -> str:
    return t(lang, key)


def _gate(request: Request, reader: Reader, lang: str, ident: Identity) -> Response:
    """The sign-in page: subscribers only (and why this user is not one, when known)."""
    known = ident.chat_id is not None
    return reader.page(request, "gate.html", lang, status=403 if known else 401, known=known,
                       title=_title(lang, "web_gate_title"), back=False)


def _internal_refusal(request: Request, reader: Reader, lang: str) -> Response:
    return reader.page(request, "refused.html", lang, status=403, reason="internal",
                       title=_title(lang, "web_internal_title"), back=True)


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < _MAX_PARAM else 1


async def home(request: Request) -> Response:
    """The archive's publications, newest first."""
    try:
        reader, lang, viewer, pubs = await _guarded(request, lambda u, v: uc.publications(u))
    except _Refused as refused:
        return refused.response
    return reader.page(request, "home.html", lang, pubs=pubs, viewer=viewer, title=_title(lang, "web_site_title"),
                       back=False)


async def issues(request: Request) -> Response:
    """One publication's issues, 20 a page, newest first."""
    publication_id = request.path_params["publication_id"]
    page = _page_number(request)
    try:
        reader, lang, viewer, listing = await _guarded(
            request, lambda u, v: uc.issue_listing(u, publication_id, page))
    except _Refused as refused:
        return refused.response
    if listing is None:
        return not_found_page(request, reader, lang)
    public = reader.config.web.public
    shown = {h.id for h in listing.issues if uc.may_read(internal=h.id in listing.internal, viewer=viewer,
                                                           public=public)}
    return reader.page(request, "issues.html", lang, listing=listing, shown=shown, title=listing.publication.short,
                       back=True)


async def issues_by_masthead(request: Request) -> Response:
    """The reader's first addresses of a publication, by masthead (/issues?m=…): moved to /p/ID for good."""
    name = request.query_params.get("m", "")[:200]
    page = _page_number(request)
    try:
        reader, lang, _viewer, found = await _guarded(request, lambda u, v: uc.publication_named(u, name))
    except _Refused as refused:
        return refused.response
    if found is None:
        return not_found_page(request, reader, lang)
    return RedirectResponse(f"/p/{found}" + (f"?page={page}" if page > 1 else ""), status_code=301)


async def issue(request: Request) -> Response:
    """An issue: its head as printed and its 要目, each entry a link to the article."""
    issue_id = request.path_params["issue_id"]
    cache = reader_of(request).issues
    try:
        reader, lang, viewer, read = await _guarded(request, lambda u, v: uc.read_issue(u, issue_id, cache=cache))
    except _Refused as refused:
        return refused.response
    if read is None:
        return not_found_page(request, reader, lang)
    if not uc.may_read(internal=read.internal, viewer=viewer, public=reader.config.web.public):
        return _internal_refusal(request, reader, lang)
    return reader.page(request, "issue.html", lang, read=read, title=read.stored.issue.masthead, back=True)


async def article(request: Request) -> Response:
    """One article: title, paragraphs, previous / next article and the contents."""
    issue_id, position = request.path_params["issue_id"], request.path_params["position"]
    cache = reader_of(request).issues
    try:
        reader, lang, viewer, read = await _guarded(
            request, lambda u, v: uc.read_issue(u, issue_id, previous=False, cache=cache))
    except _Refused as refused:
        return refused.response
    if read is None or not 1 <= position <= len(read.stored.issue.articles):
        return not_found_page(request, reader, lang)
    if not uc.may_read(internal=read.internal, viewer=viewer, public=reader.config.web.public):
        return _internal_refusal(request, reader, lang)
    art = read.stored.issue.articles[position - 1]
    return reader.page(request, "article.html", lang, read=read, article=art, position=position,
                       title=art.title, back=True)


async def search(request: Request) -> Response:
    """The bot's search: every word must match; 10 hits a page; internal issues only for subscribers."""
    query = request.query_params.get("q", "").strip()[: uc.MAX_QUERY_CHARS]
    page = _page_number(request)
    offset = (page - 1) * uc.HITS_PER_PAGE

    def work(u: UnitOfWork, viewer: uc.Viewer) -> uc.HitsPage:
        if not query:
            return uc.HitsPage([], set(), 0, None)
        return uc.search(u, query, offset=offset, limit=uc.HITS_PER_PAGE, include_internal=viewer.subscriber)

    try:
        reader, lang, _viewer, found = await _guarded(request, work)
    except _Refused as refused:
        return refused.response
    pages = max(1, -(-found.total // uc.HITS_PER_PAGE))
    return reader.page(request, "search.html", lang, found=found, q=query, page=page, pages=pages,
                       title=_title(lang, "web_search_title"), back=True)


async def signin(request: Request) -> Response:
    """/signin/TOKEN: GET shows a button (link previews must not use the link up); POST uses it once and opens a
    session for the subscriber it was made for."""
    reader = reader_of(request)
    lang = request_lang(request)
    token = request.path_params["token"]
    if request.method == "GET":
        return reader.page(request, "signin.html", lang, token=token, title=_title(lang, "web_signin_title"),
                           back=False)
    now = utcnow()
    viewer = await reader.units.run(lambda u: uc.consume_signin(u, token, now=now))
    if viewer is None or viewer.chat_id is None:
        return reader.page(request, "refused.html", lang, status=403, reason="signin",
                           title=_title(lang, "web_signin_title"), back=False)
    web = reader.config.web
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE, sign_session(reader.session_key, viewer.chat_id, now + web.session_ttl),
        max_age=int(web.session_ttl.total_seconds()), httponly=True, samesite="lax",
        secure=web.base_url.startswith("https://"),
    )
    response.delete_cookie(INIT_DATA_COOKIE)
    return response


async def signout(request: Request) -> Response:
    """Forget the session (and the Mini App's initData) in this browser."""
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(INIT_DATA_COOKIE)
    return response


async def static(request: Request) -> Response:
    """The reader's CSS and JS, under names carrying their content hash: cached for a year."""
    reader = reader_of(request)
    found = reader.static.get(request.path_params["name"])
    if found is None:
        return not_found_page(request, reader, request_lang(request))
    return cached(request, found.body, found.media_type, STATIC_CACHE, etag=found.etag)


async def healthz(request: Request) -> Response:
    """For the load balancer: the process answers (the database is not touched)."""
    return Response("ok\n", media_type="text/plain")


def not_found_page(request: Request, reader: Reader, lang: str) -> Response:
    return reader.page(request, "refused.html", lang, status=404, reason="not_found",
                       title=_title(lang, "web_not_found_title"), back=True)


async def not_found(request: Request, exc: Any) -> Response:
    """Unknown paths and methods: the reader's own 404 page, no traceback."""
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    reader = reader_of(request)
    if status == 405:
        return Response(status_code=405, headers={"Allow": "GET"})
    return not_found_page(request, reader, request_lang(request))
