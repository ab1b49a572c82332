"""Chat handlers: parse the update, call the repositories in one transaction, render, reply.

Database work runs in a worker thread (`asyncio.to_thread`) inside one `storage.db.transaction` per update,
and returns plain data, so the event loop never blocks on the database.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker
from telegram import CallbackQuery, Chat, Message, Update, User
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, RetryAfter, TelegramError
from telegram.ext import ContextTypes

from bot import access
from bot import callbacks as cb
from bot.common.errors import is_not_modified, retry_seconds
from bot.keyboards import to_markup
from bot.settings import BotConfig
from bulletin.i18n import lang_of, t
from bulletin.render import (
    Button,
    Keyboard,
    Rendered,
    date_text,
    esc,
    issue_label,
    render_article,
    render_contents,
    shorten,
)
from jobs.marks import is_internal, mark_parts, with_internal_mark
from jobs.push_limits import RateLimiter
from storage.archive import IssueHeader, IssueRepository, SearchPage, StoredIssue, ref_date
from storage.db import transaction
from storage.receipts_repo import ReceiptRepository
from storage.subscribers import Subscriber, SubscriberRepository
from storage.types import utcnow

log = logging.getLogger(__name__)

ISSUES_PER_PAGE = 10
HITS_PER_PAGE = 5
MAX_DEPARTMENT_CHARS = 64
MAX_QUERY_CHARS = 100
_SEARCH_KEYS_KEPT = 50
_FLOOD_ATTEMPTS = 5
_MAX_FLOOD_WAIT = 60.0
_ISSUE_REF = re.compile(r"[0-9]{1,9}|[0-9]{4}-[0-9]{1,9}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")
_POSITION = re.compile(r"[0-9]{1,9}")
_DEEP_ISSUE = re.compile(r"i([0-9]{1,12})")
_DEEP_ARTICLE = re.compile(r"a([0-9]{1,12})_([0-9]{1,9})")

Ctx = ContextTypes.DEFAULT_TYPE
CallbackRoute = Callable[[Update, Ctx, "cb.Callback"], Awaitable[None]]
T = TypeVar("T")


@dataclass
class Deps:
    """What the handlers need, kept in application.bot_data["deps"]."""

    config: BotConfig
    session_factory: sessionmaker[Session]
    # kind letter -> coroutine, for callback kinds owned by other packages (e.g. the push's "read" button "k")
    callback_routes: dict[str, CallbackRoute] = field(default_factory=dict)
    # The permits the Application's bot draws on for every message (bot/send_budget.py); a push at
    # [push] rate_per_second draws on the same ones.
    send_budget: RateLimiter | None = None


def deps(context: Ctx) -> Deps:
    """The application's dependencies."""
    value = context.bot_data["deps"]
    assert isinstance(value, Deps)
    return value


async def in_transaction(context: Ctx, work: Callable[[Session], T]) -> T:
    """Run WORK(session) in a worker thread inside one transaction (the update's only one)."""
    factory = deps(context).session_factory

    def run() -> T:
        with transaction(factory) as session:
            return work(session)

    return await asyncio.to_thread(run)


def user_lang(update: Update) -> str:
    """The chat language for the user behind UPDATE."""
    user = update.effective_user
    return lang_of(user.language_code if user else None)


async def flood_safe(call: Callable[[], Awaitable[T]]) -> T:
    """Make CALL, waiting out Telegram's flood control (429 retry_after) a few times instead of failing."""
    for attempt in range(1, _FLOOD_ATTEMPTS + 1):
        try:
            return await call()
        except RetryAfter as exc:
            seconds = retry_seconds(exc)
            if attempt == _FLOOD_ATTEMPTS or seconds > _MAX_FLOOD_WAIT:
                raise
            log.info("flood control: waiting %.1f s before retrying", seconds)
            await asyncio.sleep(seconds + 0.05)
    raise AssertionError("unreachable")  # pragma: no cover


async def send(context: Ctx, chat_id: int, rendered: Rendered, *, protect: bool = False) -> Message:
    """Send one rendered message as HTML (PROTECT: no forwarding or saving, for internal issues)."""
    return await flood_safe(
        lambda: context.bot.send_message(
            chat_id, rendered.text, parse_mode=ParseMode.HTML, reply_markup=to_markup(rendered.keyboard),
            protect_content=True if protect else None,
        )
    )


async def send_all(context: Ctx, chat_id: int, parts: Sequence[Rendered], *, protect: bool = False) -> None:
    """Send the parts of a split message in order."""
    for part in parts:
        await send(context, chat_id, part, protect=protect)


async def reply(update: Update, context: Ctx, text: str, keyboard: Keyboard = ()) -> None:
    """Answer in the update's chat with HTML TEXT (already escaped where needed)."""
    chat = update.effective_chat
    assert chat is not None
    await send(context, chat.id, Rendered(text, keyboard))


async def edit(query: CallbackQuery, rendered: Rendered) -> None:
    """Replace the pressed message with RENDERED (an unchanged message is not an error)."""
    try:
        await flood_safe(
            lambda: query.edit_message_text(
                rendered.text, parse_mode=ParseMode.HTML, reply_markup=to_markup(rendered.keyboard)
            )
        )
    except BadRequest as exc:
        if not is_not_modified(exc):
            raise


def args_of(context: Ctx) -> list[str]:
    """The command's arguments (whitespace-separated words)."""
    return list(context.args or [])


# --- what the database calls return (plain data for the event loop)


@dataclass(frozen=True)
class IssueView:
    stored: StoredIssue
    previous_id: int | None
    internal: bool = False  # handling mark 内部资料: shown with the mark and sent protected


def _issue_view(repo: IssueRepository, stored: StoredIssue | None, session: Session | None = None) -> IssueView | None:
    if stored is None:
        return None
    internal = session is not None and is_internal(session, stored.id)
    return IssueView(stored, repo.previous_id(stored.id), internal)


def contents_of(view: IssueView, lang: str) -> Rendered:
    """The contents message of a stored issue (with the internal mark when it has one)."""
    rendered = render_contents(view.stored.id, view.stored.issue, lang=lang, previous_issue_id=view.previous_id)
    return with_internal_mark(rendered, lang) if view.internal else rendered


def unknown_issue(lang: str, ref: str) -> str:
    return t(lang, "unknown_issue", ref=esc(ref))


def unknown_article(lang: str, stored: StoredIssue, position: int) -> str:
    return t(
        lang,
        "unknown_article",
        label=esc(issue_label(stored.issue, lang)),
        position=position,
        count=len(stored.issue.articles),
    )


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
        if m := access.INVITE_PAYLOAD.fullmatch(args[0]):
            await access.start_with_invite(update, context, m[1])
            return
    user = update.effective_user
    chat = update.effective_chat
    name = esc(user.first_name) if user else ""
    current: Subscriber | None = None
    if chat is not None:
        current = await in_transaction(context, lambda s: SubscriberRepository(s).get(chat.id))
    if current is not None and current.active:
        # A subscriber who opens the bot again is told so, not asked to /subscribe.
        text = t(lang, "welcome_subscribed", name=name, department=esc(current.department or "—"))
    else:
        text = t(lang, "welcome", name=name)
    await reply(update, context, text)


async def help_command(update: Update, context: Ctx) -> None:
    """/help: every command with an example."""
    await reply(update, context, t(user_lang(update), "help"))


# --- issues and articles


async def latest(update: Update, context: Ctx) -> None:
    """/latest: the newest issue's contents message."""
    lang = user_lang(update)

    def work(s: Session) -> IssueView | None:
        repo = IssueRepository(s)
        return _issue_view(repo, repo.latest(), s)

    view = await in_transaction(context, work)
    if view is None:
        await reply(update, context, t(lang, "no_issues"))
        return
    await reply_rendered(update, context, contents_of(view, lang), protect=view.internal)


async def reply_rendered(update: Update, context: Ctx, rendered: Rendered, *, protect: bool = False) -> None:
    chat = update.effective_chat
    assert chat is not None
    await send(context, chat.id, rendered, protect=protect)


async def issue_command(update: Update, context: Ctx) -> None:
    """/issue N or /issue 2023-1: that issue's contents message."""
    lang = user_lang(update)
    args = args_of(context)
    if len(args) != 1 or not _ISSUE_REF.fullmatch(args[0]):
        await reply(update, context, esc(t(lang, "usage_issue")))
        return
    ref = args[0]
    day = ref_date(ref)

    def work(s: Session) -> IssueView | list[IssueHeader] | None:
        repo = IssueRepository(s)
        if day is not None:
            # A date names every issue of that day: one is shown, several are offered.
            headers = repo.on_date(day, limit=ISSUES_PER_PAGE)
            if len(headers) != 1:
                return headers or None
            return _issue_view(repo, repo.get(headers[0].id), s)
        return _issue_view(repo, repo.resolve(ref), s)

    view = await in_transaction(context, work)
    if view is None:
        await reply(update, context, unknown_issue(lang, ref))
        return
    if isinstance(view, list):
        assert day is not None
        await reply_rendered(update, context, issues_of_date(lang, day, view))
        return
    await reply_rendered(update, context, contents_of(view, lang), protect=view.internal)


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

    def work(s: Session) -> IssueView | None:
        repo = IssueRepository(s)
        return _issue_view(repo, repo.get(issue_id), s)

    view = await in_transaction(context, work)
    if view is None:
        await reply(update, context, unknown_issue(lang, f"#{issue_id}"))
        return False
    await reply_rendered(update, context, contents_of(view, lang), protect=view.internal)
    return True


async def article_command(update: Update, context: Ctx) -> None:
    """/article N K: article K of issue N."""
    lang = user_lang(update)
    args = args_of(context)
    if len(args) != 2 or not _ISSUE_REF.fullmatch(args[0]) or not _POSITION.fullmatch(args[1]):
        await reply(update, context, esc(t(lang, "usage_article")))
        return
    ref, position = args[0], int(args[1])
    stored = await in_transaction(context, lambda s: IssueRepository(s).resolve(ref))
    if stored is None:
        await reply(update, context, unknown_issue(lang, ref))
        return
    await send_article(update, context, stored, position)


async def show_article(update: Update, context: Ctx, issue_id: int, position: int) -> bool:
    """Send article POSITION of stored issue ISSUE_ID; False (after saying so) when either is unknown."""
    lang = user_lang(update)
    stored = await in_transaction(context, lambda s: IssueRepository(s).get(issue_id))
    if stored is None:
        await reply(update, context, unknown_issue(lang, f"#{issue_id}"))
        return False
    return await send_article(update, context, stored, position)


async def send_article(update: Update, context: Ctx, stored: StoredIssue, position: int) -> bool:
    lang = user_lang(update)
    chat = update.effective_chat
    assert chat is not None
    if not 1 <= position <= len(stored.issue.articles):
        await reply(update, context, unknown_article(lang, stored, position))
        return False
    parts = render_article(stored.id, stored.issue, position, lang=lang)
    internal = await in_transaction(context, lambda s: is_internal(s, stored.id))
    if internal:
        parts = mark_parts(parts, lang)
    await send_all(context, chat.id, parts, protect=internal)
    # Receipts: a subscriber's chat opening an article of an issue is counted (only subscribers are recorded).
    await in_transaction(context, lambda s: ReceiptRepository(s).record_open(stored.id, chat.id, position, utcnow()))
    return True


def _issues_page(lang: str, items: list[IssueHeader], total: int, page: int) -> Rendered:
    pages = max(1, -(-total // ISSUES_PER_PAGE))
    lines = [t(lang, "issues_heading", total=total, page=page, pages=pages)]
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
    def work(s: Session) -> tuple[list[IssueHeader], int]:
        repo = IssueRepository(s)
        return repo.page_headers((page - 1) * ISSUES_PER_PAGE, ISSUES_PER_PAGE), repo.count()

    return await in_transaction(context, work)


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
    lines = [t(lang, "search_heading", query=esc(query), total=result.total, page=page, pages=pages)]
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
    return await in_transaction(context, lambda s: IssueRepository(s).search(query, offset=offset, limit=HITS_PER_PAGE))


async def search_command(update: Update, context: Ctx) -> None:
    """/search words: ranked hits with a snippet, paged, each with a button that opens the article."""
    lang = user_lang(update)
    query = " ".join(args_of(context))
    if not query or len(query) > MAX_QUERY_CHARS:
        await reply(update, context, esc(t(lang, "usage_search")))
        return
    result = await _run_search(context, query, 1)
    await reply_rendered(update, context, _search_page(lang, query, result, 1, context))


# --- subscriptions


def _department_keyboard(config: BotConfig, lang: str) -> Keyboard:
    rows = [(Button(shorten(name), cb.cb_department(i)),) for i, name in enumerate(config.access.departments)]
    rows.append((Button(t(lang, "btn_other_department"), cb.cb_department(None)),))
    return tuple(rows)


def _clean_department(text: str) -> str | None:
    name = " ".join(text.split())
    return name if 1 <= len(name) <= MAX_DEPARTMENT_CHARS else None


def _display_name(chat: Chat, user: User | None) -> str:
    if chat.type != ChatType.PRIVATE:
        return chat.title or str(chat.id)
    return user.full_name if user else str(chat.id)


async def _subscribe(update: Update, context: Ctx, department: str) -> str:
    """Subscribe the update's chat with DEPARTMENT (or change the department of an active subscription)."""
    return await access.subscribe(update, context, department)  # [access] mode decides (open/invite/approval)


async def subscribe_command(update: Update, context: Ctx) -> None:
    """/subscribe [department]: subscribe, choosing the department on a keyboard or typing it."""
    lang = user_lang(update)
    args = args_of(context)
    if (refusal := await access.subscription_refusal(update, context)) is not None:
        await reply(update, context, refusal)
        return
    if args:
        department = _clean_department(" ".join(args))
        if department is None:
            await reply(update, context, t(lang, "department_invalid", max=MAX_DEPARTMENT_CHARS))
            return
        await reply(update, context, await _subscribe(update, context, department))
        return
    await reply(update, context, t(lang, "subscribe_choose"), _department_keyboard(deps(context).config, lang))


async def unsubscribe_command(update: Update, context: Ctx) -> None:
    """/unsubscribe: stop the subscription of this chat (a group's: only its admins)."""
    lang = user_lang(update)
    chat = update.effective_chat
    assert chat is not None
    if (refusal := await access.group_change_refusal(update, context)) is not None:
        await reply(update, context, refusal)
        return
    done = await in_transaction(context, lambda s: SubscriberRepository(s).unsubscribe(chat.id))
    if context.chat_data is not None:
        context.chat_data.pop("awaiting_department", None)
    await reply(update, context, t(lang, "unsubscribed" if done else "not_subscribed"))


async def settings_command(update: Update, context: Ctx) -> None:
    """/settings: show the department and offer to change it."""
    lang = user_lang(update)
    chat = update.effective_chat
    assert chat is not None
    current: Subscriber | None = await in_transaction(context, lambda s: SubscriberRepository(s).get(chat.id))
    if current is None or not current.active:
        await reply(update, context, t(lang, "not_subscribed"))
        return
    text = t(lang, "settings_current", department=esc(current.department or "—"))
    await reply(update, context, text, _department_keyboard(deps(context).config, lang))


async def private_text(update: Update, context: Ctx) -> None:
    """Private non-command text: the typed department after "其他", else a pointer to /help."""
    lang = user_lang(update)
    message = update.effective_message
    if context.chat_data is not None and context.chat_data.get("awaiting_department") and message and message.text:
        department = _clean_department(message.text)
        if department is None:
            await reply(update, context, t(lang, "department_invalid", max=MAX_DEPARTMENT_CHARS))
            return
        context.chat_data.pop("awaiting_department", None)
        await reply(update, context, await _subscribe(update, context, department))
        return
    await reply(update, context, t(lang, "pointer_to_help"))


# --- buttons


async def expired(query: CallbackQuery, lang: str) -> None:
    """Tell the presser the button no longer works."""
    await query.answer(t(lang, "button_expired"), show_alert=False)


async def button(update: Update, context: Ctx) -> None:
    """Any inline button press: strictly parsed; unknown, forged or stale data is answered as expired."""
    query = update.callback_query
    assert query is not None
    lang = user_lang(update)
    data = cb.parse_callback(query.data)
    if data is None or update.effective_chat is None:
        await expired(query, lang)
        return
    if isinstance(data, cb.Noop):
        await query.answer()
    elif isinstance(data, cb.OpenArticle):
        stored = await in_transaction(context, lambda s: IssueRepository(s).get(data.issue_id))
        if stored is None or data.position > len(stored.issue.articles):
            await expired(query, lang)
            return
        await query.answer()
        await send_article(update, context, stored, data.position)
    elif isinstance(data, cb.ShowContents):

        def work(s: Session) -> IssueView | None:
            repo = IssueRepository(s)
            return _issue_view(repo, repo.get(data.issue_id), s)

        view = await in_transaction(context, work)
        if view is None:
            await expired(query, lang)
            return
        await query.answer()
        await reply_rendered(update, context, contents_of(view, lang), protect=view.internal)
    elif isinstance(data, cb.IssuesPage):
        items, total = await _load_issues_page(context, data.page)
        if not items:
            await expired(query, lang)
            return
        await query.answer()
        await edit(query, _issues_page(lang, items, total, data.page))
    elif isinstance(data, cb.SearchResults):
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
    elif isinstance(data, cb.ChooseDepartment):
        await _choose_department(update, context, query, data, lang)
    else:
        kind = "k" if isinstance(data, cb.Ack) else data.kind
        route = deps(context).callback_routes.get(kind)
        if route is None:
            await expired(query, lang)
            return
        await route(update, context, data)


async def _choose_department(
    update: Update, context: Ctx, query: CallbackQuery, data: cb.ChooseDepartment, lang: str
) -> None:
    departments = deps(context).config.access.departments
    chat = update.effective_chat
    assert chat is not None
    if data.index is None:
        await query.answer()
        if chat.type == ChatType.PRIVATE:
            if context.chat_data is not None:
                context.chat_data["awaiting_department"] = True
            await edit(query, Rendered(t(lang, "subscribe_type_department")))
        else:
            await edit(query, Rendered(t(lang, "subscribe_type_department_group")))
        return
    if data.index >= len(departments):
        await expired(query, lang)
        return
    await query.answer()
    await edit(query, Rendered(await _subscribe(update, context, departments[data.index])))


# --- errors


async def on_error(update: object, context: Ctx) -> None:
    """Log the failure and tell the user, politely, once; never show them the traceback."""
    log.error("error while handling update %s", getattr(update, "update_id", None), exc_info=context.error)
    if not isinstance(update, Update):
        return
    lang = user_lang(update)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(t(lang, "error"))
        elif update.effective_chat is not None and update.effective_message is not None:
            chat_id = update.effective_chat.id
            await flood_safe(lambda: context.bot.send_message(chat_id, t(lang, "error")))
    except TelegramError as exc:  # the chat may be gone, or the query too old; nothing more to do
        log.warning("could not report the error to the user: %s", exc)
