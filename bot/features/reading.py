"""The reading feature: /start, /help, /whoami, /latest, /issues, /issue, /article, /search and their buttons.

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
from bot.common.context import Ctx
from bot.common.feature import Extension, on_button
from bot.common.publications import choose_issue, named_label, publication_filter
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
from jobs.publications import Found, find_issue, publication_example, search_scope, split_publication
from jobs.publications import latest as newest_of_publications
from jobs.publications import names as publication_names
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


def contents_of(view: IssueView, lang: str) -> Rendered:
    """The contents message of a stored issue (with the internal mark when it has one)."""
    rendered = render_contents(view.stored.id, view.stored.issue, lang=lang, previous_issue_id=view.previous_id)
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
    text = bold(t(lang, "help_heading")) + "\n" + t(lang, "help")
    example = await unit_of_work(context, publication_example)
    if example is not None:
        # Several publications: how to name one, with the newest issue of one that has issues (works when typed).
        text += "\n\n" + esc(t(
            lang, "help_publications", names="、".join(example.names), name=example.name, ref=example.ref
        ))
    await reply(update, context, text)


async def whoami(update: Update, context: Ctx) -> None:
    """/whoami: the sender's Telegram user id (an admin needs it for [access] admins), and the group's id in a group."""
    lang = user_lang(update)
    user, chat = update.effective_user, update.effective_chat
    lines = [t(lang, "whoami", user_id=f"<code>{user.id}</code>")] if user is not None else []
    if chat is not None and chat.type != "private":
        lines.append(t(lang, "whoami_group", chat_id=f"<code>{chat.id}</code>"))
    await reply(update, context, "\n".join(lines))


# --- issues and articles


async def latest(update: Update, context: Ctx) -> None:
    """/latest: the newest issue of each publication the chat receives, newest first (at most three, then a button
    for the rest); with one publication, its newest issue."""
    if not await _send_latest(update, context, 0):
        await reply(update, context, t(user_lang(update), "no_issues"))


async def _send_latest(update: Update, context: Ctx, skip: int) -> bool:
    """Send the contents messages of the newest issues of the chat's publications after the first SKIP; False when
    there are none."""
    lang = user_lang(update)
    chat = update.effective_chat
    chat_id = chat.id if chat is not None else None

    def work(u: UnitOfWork) -> tuple[list[IssueView], int]:
        found = newest_of_publications(u, chat_id, skip=skip)
        views = [v for v in (_issue_view(u, s) for s in found.shown) if v is not None]
        return views, len(found.rest)

    views, rest = await unit_of_work(context, work)
    for n, view in enumerate(views, start=1):
        rendered = contents_of(view, lang)
        if n == len(views) and rest:
            more = Button(t(lang, "latest_more", count=rest), cb.cb_more_latest(skip + len(views)))
            rendered = Rendered(rendered.text, (*rendered.keyboard, (more,)))
        await reply_rendered(update, context, rendered, protect=view.internal)
    return bool(views)


async def more_latest_button(update: Update, context: Ctx, data: cb.Callback) -> None:
    """/latest's button for the rest: the newest issues of the next publications."""
    query = update.callback_query
    assert query is not None and isinstance(data, cb.MoreLatest)
    await query.answer()
    if not await _send_latest(update, context, data.skip):
        await expired(query, user_lang(update))


async def issue_command(update: Update, context: Ctx) -> None:
    """/issue N, /issue 2023-1, /issue 2022-07-05 or /issue 专报 3: that issue's contents message (issues of several
    publications, or of one date, are offered on buttons)."""
    lang = user_lang(update)
    publication, args = split_publication(args_of(context))
    if len(args) != 1 or not _ISSUE_REF.fullmatch(args[0]):
        await reply(update, context, esc(t(lang, "usage_issue")))
        return
    ref = args[0]
    lookup = await _find(context, publication, ref)
    if await _not_one(update, context, lookup, ref, None):
        return
    assert lookup.view is not None
    await reply_rendered(update, context, contents_of(lookup.view, lang), protect=lookup.view.internal)


@dataclass(frozen=True)
class _Lookup:
    """An issue reference looked up (jobs.publications.find_issue) with the names of the publications."""

    found: Found
    view: IssueView | None
    names: dict[int, str]
    opened: OpenedArticle | None = None  # /article: the article opened (and counted) in the same unit of work


async def _find(
    context: Ctx, publication: str | None, ref: str, *, chat_id: int | None = None, position: int | None = None
) -> _Lookup:
    """Look REF up (in PUBLICATION); with POSITION, open that article of the issue found for CHAT_ID too."""
    now = utcnow()

    def work(u: UnitOfWork) -> _Lookup:
        found = find_issue(u, publication, ref, limit=ISSUES_PER_PAGE)
        names = publication_names(u)
        if found.stored is None:
            return _Lookup(found, None, names)
        if position is not None and chat_id is not None:
            stored = found.stored
            opened = open_article(u, lambda _issues: stored, chat_id, position, now)
            return _Lookup(found, IssueView(stored, None), names, opened)
        return _Lookup(found, _issue_view(u, found.stored), names)

    return await unit_of_work(context, work)


async def _not_one(update: Update, context: Ctx, lookup: _Lookup, ref: str, position: int | None) -> bool:
    """Answer a reference that names no single issue (an unknown publication, nothing, or several to choose
    from); False when it names one."""
    lang = user_lang(update)
    found = lookup.found
    if found.unknown_publication is not None:
        names = "、".join(lookup.names.values())
        await reply(update, context, esc(t(lang, "unknown_publication", name=found.unknown_publication, names=names)))
        return True
    if lookup.view is not None:
        return False
    if not found.choices:
        await reply(update, context, unknown_issue(lang, ref))
        return True
    day = ref_date(ref)
    if day is not None and position is None:
        await reply_rendered(update, context, issues_of_date(lang, day, list(found.choices)))
        return True
    name = lookup.names.get(found.choices[0].publication_id or 0, "")
    text = (
        t(lang, "issue_choose_publication", ref=ref, name=name) if position is None
        else t(lang, "article_choose_publication", ref=ref, position=position)
    )
    await reply_rendered(update, context, choose_issue(lang, text, found.choices, lookup.names, position=position))
    return True


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
    await reply_rendered(update, context, contents_of(view, lang), protect=view.internal)
    return True


async def article_command(update: Update, context: Ctx) -> None:
    """/article N K or /article 专报 N K: article K of issue N (of that publication)."""
    lang = user_lang(update)
    publication, args = split_publication(args_of(context))
    if len(args) != 2 or not _ISSUE_REF.fullmatch(args[0]) or not _POSITION.fullmatch(args[1]):
        await reply(update, context, esc(t(lang, "usage_article")))
        return
    ref, position = args[0], int(args[1])
    chat = update.effective_chat
    assert chat is not None
    lookup = await _find(context, publication, ref, chat_id=chat.id, position=position)
    if await _not_one(update, context, lookup, ref, position):
        return
    assert lookup.opened is not None
    await send_article(update, context, lookup.opened, position)


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
    parts = render_article(stored.id, stored.issue, position, lang=lang)
    if opened.internal:
        parts = mark_parts(parts, lang)
    await send_all(context, chat.id, parts, protect=opened.internal)
    return True


def _issues_page(lang: str, items: list[IssueHeader], total: int, page: int, listing: _Listing) -> Rendered:
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
        nav.append(Button(t(lang, "btn_prev_page"), cb.cb_issues_page(page - 1, listing.publication_id)))
    if pages > 1:
        nav.append(Button(t(lang, "btn_page", page=page, pages=pages), cb.cb_noop()))
    if page < pages:
        nav.append(Button(t(lang, "btn_next_page"), cb.cb_issues_page(page + 1, listing.publication_id)))
    if nav:
        rows.append(tuple(nav))
    rows.extend(publication_filter(lang, listing.names, listing.publication_id))
    return Rendered("\n".join(lines), tuple(rows))


@dataclass(frozen=True)
class _Listing:
    """Which publication /issues lists (0: every one), and the names of all for its filter buttons."""

    publication_id: int
    names: dict[int, str]


async def _load_issues_page(
    context: Ctx, page: int, publication_id: int = 0
) -> tuple[list[IssueHeader], int, _Listing]:
    def work(u: UnitOfWork) -> tuple[list[IssueHeader], int, _Listing]:
        repo = u.issues
        only = publication_id or None
        return (
            repo.page_headers((page - 1) * ISSUES_PER_PAGE, ISSUES_PER_PAGE, publication_id=only),
            repo.count(publication_id=only),
            _Listing(publication_id, publication_names(u)),
        )

    return await unit_of_work(context, work)


async def issues_command(update: Update, context: Ctx) -> None:
    """/issues [page]: past issues, newest first, 10 per page, with paging buttons."""
    lang = user_lang(update)
    args = args_of(context)
    if len(args) > 1 or (args and not _POSITION.fullmatch(args[0])) or (args and int(args[0]) < 1):
        await reply(update, context, esc(t(lang, "usage_issues")))
        return
    page = int(args[0]) if args else 1
    items, total, listing = await _load_issues_page(context, page)
    if total == 0:
        await reply(update, context, t(lang, "no_issues"))
        return
    pages = -(-total // ISSUES_PER_PAGE)
    if page > pages:
        await reply(update, context, t(lang, "issues_page_out_of_range", page=page, pages=pages))
        return
    await reply_rendered(update, context, _issues_page(lang, items, total, page, listing))


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


def _search_page(
    lang: str, query: str, result: SearchPage, page: int, context: Ctx, names: dict[int, str] | None = None
) -> Rendered:
    if result.total == 0:
        return Rendered(t(lang, "search_none", query=esc(query)))
    pages = -(-result.total // HITS_PER_PAGE)
    title = bold(t(lang, "search_title", query=esc(query)))
    lines = [t(lang, "search_heading", title=title, total=result.total, page=page, pages=pages)]
    rows: list[tuple[Button, ...]] = []
    for n, hit in enumerate(result.hits, start=(page - 1) * HITS_PER_PAGE + 1):
        label = named_label(hit.issue, hit.publication_id, names or {}, lang)
        lines.append(f"\n{n}. <b>{esc(hit.article_title)}</b>\n{esc(label)}\n{esc(hit.snippet)}")
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


async def _run_search(context: Ctx, query: str, page: int) -> tuple[SearchPage, dict[int, str]]:
    """One page of QUERY's hits, and the publications' names; a first word naming a publication ("专报 防汛")
    limits the search to it."""
    offset = (page - 1) * HITS_PER_PAGE

    def work(u: UnitOfWork) -> tuple[SearchPage, dict[int, str]]:
        publication_id, words = search_scope(u, query)
        found = u.issues.search(words, offset=offset, limit=HITS_PER_PAGE, publication_id=publication_id)
        return found, publication_names(u)

    return await unit_of_work(context, work)


async def search_command(update: Update, context: Ctx) -> None:
    """/search words: ranked hits with a snippet, paged, each with a button that opens the article."""
    lang = user_lang(update)
    query = " ".join(args_of(context))
    if not query or len(query) > MAX_QUERY_CHARS:
        await reply(update, context, esc(t(lang, "usage_search")))
        return
    result, names = await _run_search(context, query, 1)
    await reply_rendered(update, context, _search_page(lang, query, result, 1, context, names))


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
    await reply_rendered(update, context, contents_of(view, user_lang(update)), protect=view.internal)


async def issues_page_button(update: Update, context: Ctx, data: cb.Callback) -> None:
    """The issue list's paging buttons: show that page in place."""
    query = update.callback_query
    assert query is not None and isinstance(data, cb.IssuesPage)
    lang = user_lang(update)
    items, total, listing = await _load_issues_page(context, data.page, data.publication_id)
    if (data.publication_id and data.publication_id not in listing.names) or (not items and total > 0):
        await expired(query, lang)
        return
    await query.answer()
    await edit(query, _issues_page(lang, items, total, data.page, listing))


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
    result, names = await _run_search(context, text, data.page)
    if not result.hits:
        await expired(query, lang)
        return
    await query.answer()
    await edit(query, _search_page(lang, text, result, data.page, context, names))


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
        "whoami": whoami,
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
            on_button(more_latest_button, cb.MoreLatest),
        ]
    )
