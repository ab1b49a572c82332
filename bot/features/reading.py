"""The reading feature: /start, /help, /latest, /issues, /issue, /article, /search and their buttons.

Handlers parse the update, read the archive in one transaction (in a worker thread), render, and reply.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot import callbacks as cb
from bot.common.chat import (
    args_of,
    edit,
    expired,
    reply,
    reply_rendered,
    send_all,
    unit_of_work,
    unknown_article,
    unknown_issue,
    user_lang,
)
from bot.common.context import Ctx, deps
from bot.common.feature import Extension, on_button
from bulletin.i18n import t
from bulletin.render import (
    Button,
    Rendered,
    bold,
    date_text,
    esc,
    issue_label,
    render_article,
    render_contents,
    shorten,
)
from config import Config
from jobs.marks import is_internal, mark_parts, with_internal_mark
from jobs.receipts import OpenedArticle, open_article
from jobs.uow import UnitOfWork
from storage.archive import IssueHeader, IssueRepository, SearchPage, StoredIssue, ref_date
from storage.subscribers import Subscriber
from storage.types import utcnow

ISSUES_PER_PAGE = 10
HITS_PER_PAGE = 5
MAX_QUERY_CHARS = 100
_SEARCH_KEYS_KEPT = 50
_ISSUE_REF = re.compile(r"[0-9]{1,9}|[0-9]{4}-[0-9]{1,9}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")
_POSITION = re.compile(r"[0-9]{1,9}")
_DEEP_ISSUE = re.compile(r"i([0-9]{1,12})")
_DEEP_ARTICLE = re.compile(r"a([0-9]{1,12})_([0-9]{1,9})")


# --- what the database calls return (plain data for the event loop)


@dataclass(frozen=True)
class IssueView:
    stored: StoredIssue
    previous_id: int | None
    internal: bool = False  # handling mark 内部资料: shown with the mark and sent protected


def _issue_view(u: UnitOfWork, stored: StoredIssue | None) -> IssueView | None:
    if stored is None:
        return None
    return IssueView(stored, u.issues.previous_id(stored.id), is_internal(u.session, stored.id))


def reader_base(context: Ctx) -> str:
    """[web] base_url: where the 阅读 buttons open the web reader ("" when it has no public address)."""
    return deps(context).config.web.base_url


def contents_of(view: IssueView, lang: str, reader: str = "") -> Rendered:
    """The contents message of a stored issue (with the internal mark when it has one, and with READER the button
    opening it in the web reader)."""
    rendered = render_contents(view.stored.id, view.stored.issue, lang=lang, previous_issue_id=view.previous_id,
                               reader=reader)
    return with_internal_mark(rendered, lang) if view.internal else rendered


# --- /start and /help


async def start(update: Update, context: Ctx) -> None:
    """/start: welcome; a deep-link payload "i<issue_id>" or "a<issue_id>_<pos>" opens that issue or article."""
    lang = user_lang(update)
    args = args_of(context)
    if len(args) == 1:
        if m := _DEEP_ISSUE.fullmatch(args[0]):
            await show_issue_by_id(update, context, int(m[1]))
            return
        if m := _DEEP_ARTICLE.fullmatch(args[0]):
            await show_article(update, context, int(m[1]), int(m[2]))
            return
    user = update.effective_user
    chat = update.effective_chat
    name = esc(user.first_name) if user else ""
    current: Subscriber | None = None
    if chat is not None:
        current = await unit_of_work(context, lambda u: u.subscribers.get(chat.id))
    if current is not None and current.active:
        # A subscriber who opens the bot again is told so, not asked to /subscribe.
        text = t(lang, "welcome_subscribed", name=name, department=esc(current.department or "—"))
    else:
        text = t(lang, "welcome", name=name)
    await reply(update, context, text)


async def help_command(update: Update, context: Ctx) -> None:
    """/help: every command with an example."""
    lang = user_lang(update)
    await reply(update, context, bold(t(lang, "help_heading")) + "\n" + t(lang, "help"))


# --- issues and articles


async def latest(update: Update, context: Ctx) -> None:
    """/latest: the newest issue's contents message."""
    lang = user_lang(update)

    def work(u: UnitOfWork) -> IssueView | None:
        return _issue_view(u, u.issues.latest())

    view = await unit_of_work(context, work)
    if view is None:
        await reply(update, context, t(lang, "no_issues"))
        return
    await reply_rendered(update, context, contents_of(view, lang, reader_base(context)), protect=view.internal)


async def issue_command(update: Update, context: Ctx) -> None:
    """/issue N or /issue 2023-1: that issue's contents message."""
    lang = user_lang(update)
    args = args_of(context)
    if len(args) != 1 or not _ISSUE_REF.fullmatch(args[0]):
        await reply(update, context, esc(t(lang, "usage_issue")))
        return
    ref = args[0]
    day = ref_date(ref)

    def work(u: UnitOfWork) -> IssueView | list[IssueHeader] | None:
        repo = u.issues
        if day is not None:
            # A date names every issue of that day: one is shown, several are offered.
            headers = repo.on_date(day, limit=ISSUES_PER_PAGE)
            if len(headers) != 1:
                return headers or None
            return _issue_view(u, repo.get(headers[0].id))
        return _issue_view(u, repo.resolve(ref))

    view = await unit_of_work(context, work)
    if view is None:
        await reply(update, context, unknown_issue(lang, ref))
        return
    if isinstance(view, list):
        assert day is not None
        await reply_rendered(update, context, issues_of_date(lang, day, view))
        return
    await reply_rendered(update, context, contents_of(view, lang, reader_base(context)), protect=view.internal)


def issues_of_date(lang: str, day: dt.date, headers: list[IssueHeader]) -> Rendered:
    """Several issues share a date: one button each, opening its contents message."""
    lines = [esc(t(lang, "issue_choose_date", date=date_text(day, lang), count=len(headers)))]
    rows: list[tuple[Button, ...]] = []
    for n, header in enumerate(headers, start=1):
        label = f"{header.issue.masthead} {issue_label(header.issue, lang)}"
        lines.append(f"{n}. {esc(label)}")
        rows.append((Button(shorten(f"{n}. {label}"), cb.cb_contents(header.id)),))
    return Rendered("\n".join(lines), tuple(rows))


async def show_issue_by_id(update: Update, context: Ctx, issue_id: int) -> bool:
    """Send the contents message of stored issue ISSUE_ID; False (after saying so) when there is none."""
    lang = user_lang(update)

    def work(u: UnitOfWork) -> IssueView | None:
        return _issue_view(u, u.issues.get(issue_id))

    view = await unit_of_work(context, work)
    if view is None:
        await reply(update, context, unknown_issue(lang, f"#{issue_id}"))
        return False
    await reply_rendered(update, context, contents_of(view, lang, reader_base(context)), protect=view.internal)
    return True


async def article_command(update: Update, context: Ctx) -> None:
    """/article N K: article K of issue N."""
    lang = user_lang(update)
    args = args_of(context)
    if len(args) != 2 or not _ISSUE_REF.fullmatch(args[0]) or not _POSITION.fullmatch(args[1]):
        await reply(update, context, esc(t(lang, "usage_article")))
        return
    ref, position = args[0], int(args[1])
    opened = await _open_article(update, context, lambda issues: issues.resolve(ref), position)
    if opened.stored is None:
        await reply(update, context, unknown_issue(lang, ref))
        return
    await send_article(update, context, opened, position)


async def show_article(update: Update, context: Ctx, issue_id: int, position: int) -> bool:
    """Send article POSITION of stored issue ISSUE_ID; False (after saying so) when either is unknown."""
    opened = await _open_article(update, context, lambda issues: issues.get(issue_id), position)
    if opened.stored is None:
        await reply(update, context, unknown_issue(user_lang(update), f"#{issue_id}"))
        return False
    return await send_article(update, context, opened, position)


async def _open_article(
    update: Update, context: Ctx, find: Callable[[IssueRepository], StoredIssue | None], position: int
) -> OpenedArticle:
    """Look the article up and count its opening, in the update's one unit of work."""
    chat = update.effective_chat
    assert chat is not None
    now = utcnow()
    return await unit_of_work(context, lambda u: open_article(u, find, chat.id, position, now))


async def send_article(update: Update, context: Ctx, opened: OpenedArticle, position: int) -> bool:
    """Send an opened article in its parts (protected, with the mark, when internal); say so when there is none."""
    lang = user_lang(update)
    chat = update.effective_chat
    stored = opened.stored
    assert chat is not None and stored is not None
    if not opened.found:
        await reply(update, context, unknown_article(lang, stored, position))
        return False
    parts = render_article(stored.id, stored.issue, position, lang=lang, reader=reader_base(context))
    if opened.internal:
        parts = mark_parts(parts, lang)
    await send_all(context, chat.id, parts, protect=opened.internal)
    return True


def _issues_page(lang: str, items: list[IssueHeader], total: int, page: int) -> Rendered:
    pages = max(1, -(-total // ISSUES_PER_PAGE))
    lines = [t(lang, "issues_heading", title=bold(t(lang, "issues_title")), total=total, page=page, pages=pages)]
    rows: list[tuple[Button, ...]] = []
    first = (page - 1) * ISSUES_PER_PAGE
    for n, stored in enumerate(items, start=first + 1):
        issue = stored.issue
        # A dated report's label is its date already.
        dated = issue.number is None and issue.week is None
        date = f"　{issue.date.isoformat()}" if issue.date and not dated else ""
        lines.append(f"{n}. {esc(issue.masthead)} {esc(issue_label(issue, lang))}{esc(date)}")
        rows.append((Button(shorten(f"{n}. {issue_label(issue, lang)}"), cb.cb_contents(stored.id)),))
    nav: list[Button] = []
    if page > 1:
        nav.append(Button(t(lang, "btn_prev_page"), cb.cb_issues_page(page - 1)))
    if pages > 1:
        nav.append(Button(t(lang, "btn_page", page=page, pages=pages), cb.cb_noop()))
    if page < pages:
        nav.append(Button(t(lang, "btn_next_page"), cb.cb_issues_page(page + 1)))
    if nav:
        rows.append(tuple(nav))
    return Rendered("\n".join(lines), tuple(rows))


async def _load_issues_page(context: Ctx, page: int) -> tuple[list[IssueHeader], int]:
    def work(u: UnitOfWork) -> tuple[list[IssueHeader], int]:
        repo = u.issues
        return repo.page_headers((page - 1) * ISSUES_PER_PAGE, ISSUES_PER_PAGE), repo.count()

    return await unit_of_work(context, work)


async def issues_command(update: Update, context: Ctx) -> None:
    """/issues [page]: past issues, newest first, 10 per page, with paging buttons."""
    lang = user_lang(update)
    args = args_of(context)
    if len(args) > 1 or (args and not _POSITION.fullmatch(args[0])) or (args and int(args[0]) < 1):
        await reply(update, context, esc(t(lang, "usage_issues")))
        return
    page = int(args[0]) if args else 1
    items, total = await _load_issues_page(context, page)
    if total == 0:
        await reply(update, context, t(lang, "no_issues"))
        return
    pages = -(-total // ISSUES_PER_PAGE)
    if page > pages:
        await reply(update, context, t(lang, "issues_page_out_of_range", page=page, pages=pages))
        return
    await reply_rendered(update, context, _issues_page(lang, items, total, page))


# --- search


def _search_key(context: Ctx, query: str) -> str:
    """A short key under which the chat keeps QUERY, for paging buttons when it is too long to travel."""
    chat_data = context.chat_data if context.chat_data is not None else {}
    stored: dict[str, str] = chat_data.setdefault("search_queries", {})
    for key, value in stored.items():
        if value == query:
            return key
    counter = int(chat_data.get("search_counter", 0)) + 1
    chat_data["search_counter"] = counter
    key = _base36(counter)
    stored[key] = query
    while len(stored) > _SEARCH_KEYS_KEPT:
        del stored[next(iter(stored))]
    return key


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def _search_page(lang: str, query: str, result: SearchPage, page: int, context: Ctx) -> Rendered:
    if result.total == 0:
        return Rendered(t(lang, "search_none", query=esc(query)))
    pages = -(-result.total // HITS_PER_PAGE)
    title = bold(t(lang, "search_title", query=esc(query)))
    lines = [t(lang, "search_heading", title=title, total=result.total, page=page, pages=pages)]
    rows: list[tuple[Button, ...]] = []
    for n, hit in enumerate(result.hits, start=(page - 1) * HITS_PER_PAGE + 1):
        lines.append(f"\n{n}. <b>{esc(hit.article_title)}</b>\n{esc(issue_label(hit.issue, lang))}\n{esc(hit.snippet)}")
        rows.append((Button(shorten(f"{n}. {hit.article_title}"), cb.cb_article(hit.issue_id, hit.article_position)),))

    def page_data(p: int) -> str:
        data = cb.cb_search(p, query=query) or cb.cb_search(p, key=_search_key(context, query))
        assert data is not None  # a key always fits
        return data

    nav: list[Button] = []
    if page > 1:
        nav.append(Button(t(lang, "btn_prev_results"), page_data(page - 1)))
    if pages > 1:
        nav.append(Button(t(lang, "btn_page", page=page, pages=pages), cb.cb_noop()))
    if page < pages:
        nav.append(Button(t(lang, "btn_next_results"), page_data(page + 1)))
    if nav:
        rows.append(tuple(nav))
    return Rendered("\n".join(lines), tuple(rows))


async def _run_search(context: Ctx, query: str, page: int) -> SearchPage:
    offset = (page - 1) * HITS_PER_PAGE
    return await unit_of_work(context, lambda u: u.issues.search(query, offset=offset, limit=HITS_PER_PAGE))


async def search_command(update: Update, context: Ctx) -> None:
    """/search words: ranked hits with a snippet, paged, each with a button that opens the article."""
    lang = user_lang(update)
    query = " ".join(args_of(context))
    if not query or len(query) > MAX_QUERY_CHARS:
        await reply(update, context, esc(t(lang, "usage_search")))
        return
    result = await _run_search(context, query, 1)
    await reply_rendered(update, context, _search_page(lang, query, result, 1, context))


# --- buttons


async def noop_button(update: Update, context: Ctx, data: cb.Callback) -> None:
    """The page counter between paging buttons: does nothing."""
    assert update.callback_query is not None
    await update.callback_query.answer()


async def article_button(update: Update, context: Ctx, data: cb.Callback) -> None:
    """A search hit's button: send that article (expired when the issue or article is gone)."""
    query = update.callback_query
    assert query is not None and isinstance(data, cb.OpenArticle)
    opened = await _open_article(update, context, lambda issues: issues.get(data.issue_id), data.position)
    if not opened.found:
        await expired(query, user_lang(update))
        return
    await query.answer()
    await send_article(update, context, opened, data.position)


async def contents_button(update: Update, context: Ctx, data: cb.Callback) -> None:
    """An issue list's button: send that issue's contents message."""
    query = update.callback_query
    assert query is not None and isinstance(data, cb.ShowContents)

    def work(u: UnitOfWork) -> IssueView | None:
        return _issue_view(u, u.issues.get(data.issue_id))

    view = await unit_of_work(context, work)
    if view is None or update.effective_chat is None:
        await expired(query, user_lang(update))
        return
    await query.answer()
    rendered = contents_of(view, user_lang(update), reader_base(context))
    await reply_rendered(update, context, rendered, protect=view.internal)


async def issues_page_button(update: Update, context: Ctx, data: cb.Callback) -> None:
    """The issue list's paging buttons: show that page in place."""
    query = update.callback_query
    assert query is not None and isinstance(data, cb.IssuesPage)
    lang = user_lang(update)
    items, total = await _load_issues_page(context, data.page)
    if not items:
        await expired(query, lang)
        return
    await query.answer()
    await edit(query, _issues_page(lang, items, total, data.page))


async def search_page_button(update: Update, context: Ctx, data: cb.Callback) -> None:
    """The search results' paging buttons: show that page in place (a long query is kept in the chat's data)."""
    query = update.callback_query
    assert query is not None and isinstance(data, cb.SearchResults)
    lang = user_lang(update)
    text = data.query
    if text is None and context.chat_data is not None:
        text = context.chat_data.get("search_queries", {}).get(data.key)
    if text is None:
        await expired(query, lang)
        return
    result = await _run_search(context, text, data.page)
    if not result.hits:
        await expired(query, lang)
        return
    await query.answer()
    await edit(query, _search_page(lang, text, result, data.page, context))


async def private_text(update: Update, context: Ctx) -> None:
    """Private text no feature claimed: a pointer to /help (groups stay quiet)."""
    await reply(update, context, t(user_lang(update), "pointer_to_help"))


# --- wiring


def extension(config: Config, factory: object) -> Extension:
    """ExtensionFactory: the reading commands and their buttons."""
    message = filters.UpdateType.MESSAGE
    commands = {
        "start": start,
        "help": help_command,
        "latest": latest,
        "issues": issues_command,
        "issue": issue_command,
        "article": article_command,
        "search": search_command,
    }
    return Extension(
        handlers=[
            *(CommandHandler(name, callback, filters=message) for name, callback in commands.items()),
            on_button(noop_button, cb.Noop),
            on_button(article_button, cb.OpenArticle),
            on_button(contents_button, cb.ShowContents),
            on_button(issues_page_button, cb.IssuesPage),
            on_button(search_page_button, cb.SearchResults),
        ]
    )
