"""The reading feature: /start, /help, /whoami, /latest, /issues, /issue, /article, /search and their buttons.

Handlers parse the update, read the archive in one transaction (in a worker thread), render, and reply.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Mapping
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
    unit_of_reads,
    unit_of_work,
    unknown_article,
    unknown_issue,
    user_lang,
)
from bot.common.context import Ctx, deps
from bot.common.feature import Extension, on_button
from bot.common.publications import choose_issue, named_label, publication_filter
from bulletin.i18n import t
from bulletin.render import (
    Button,
    Rendered,
    bold,
    date_text,
    esc,
    highlighted,
    issue_label,
    render_article,
    render_contents,
    shorten,
)
from config import Config
from jobs.marks import mark_parts, with_internal_mark
from jobs.publications import Found, find_issue, publication_example, search_scope, split_publication
from jobs.publications import latest as newest_of_publications
from jobs.publications import names as publication_names
from jobs.receipts import OpenedArticle, open_article
from jobs.uow import UnitOfWork
from storage import textindex
from storage.archive import IssueHeader, IssueRepository, SearchHit, SearchPage, StoredIssue, ref_date
from storage.subscribers import Subscriber
from storage.types import utcnow

ISSUES_PER_PAGE = 10
HITS_PER_PAGE = 5
MAX_QUERY_CHARS = 100
_SEARCH_KEYS_KEPT = 50
# An issue as /issues names it (storage.archive.issue_ref): cumulative number, year-number, date, or #id.
_ISSUE_REF = re.compile(r"[0-9]{1,9}|[0-9]{4}-[0-9]{1,9}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}|#[0-9]{1,12}")
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
    # The previous issue and the mark come with the read that found the issue (one statement, see context).
    previous_id, internal = u.issues.context(stored.id)
    return IssueView(stored, previous_id, internal)


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


@dataclass(frozen=True)
class HelpExamples:
    """What /help's examples name: the newest issue's reference, one of its articles, a word of its first title."""

    issue: str
    position: int
    word: str


def help_examples(stored: StoredIssue | None) -> HelpExamples | None:
    """Examples that work in this archive: the newest issue, its second article (its first when it has one only),
    and a word of two letters from its first article's title, else its masthead (None when nothing is stored)."""
    if stored is None:
        return None
    articles = stored.issue.articles
    position = 2 if len(articles) >= 2 else 1
    # The last two letters of the longest stretch without digits in the first title: "第3期全县景区工作" -> "工作".
    stretches = [p for a in articles[:1] for run in textindex.runs(a.title) for p in re.split(r"\d+", run)]
    longest = max(stretches, key=len, default="")
    word = longest[-2:] if len(longest) >= 2 else ""
    return HelpExamples(stored.ref, position, word or stored.issue.masthead[:2])


def help_text(lang: str, examples: HelpExamples | None) -> str:
    """The /help message: every command, with examples from the archive (see help_examples)."""
    if examples is None:
        return bold(t(lang, "help_heading")) + "\n" + esc(t(lang, "help_empty"))
    body = t(lang, "help", issue=examples.issue, position=examples.position, word=examples.word)
    return bold(t(lang, "help_heading")) + "\n" + esc(body)


async def help_command(update: Update, context: Ctx) -> None:
    """/help: every command with an example that works in this archive."""
    lang = user_lang(update)
    examples, example = await unit_of_reads(
        context, lambda u: (help_examples(u.issues.latest()), publication_example(u))
    )
    text = help_text(lang, examples)
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

    views, rest = await unit_of_reads(context, work)
    for n, view in enumerate(views, start=1):
        rendered = contents_of(view, lang, reader_base(context))
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
    if await _not_one(update, context, lookup, publication, ref, None):
        return
    assert lookup.view is not None
    view = lookup.view
    await reply_rendered(update, context, contents_of(view, lang, reader_base(context)), protect=view.internal)


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
        if found.stored is None:
            # The names are shown only when the reference names no single issue (see _not_one).
            return _Lookup(found, None, publication_names(u))
        if position is not None and chat_id is not None:
            stored = found.stored
            opened = open_article(u, lambda _issues: stored, chat_id, position, now)
            return _Lookup(found, IssueView(stored, None), {}, opened)
        return _Lookup(found, _issue_view(u, found.stored), {})

    # Opening an article counts it for the receipts (a write); looking an issue up only reads.
    return await (unit_of_work(context, work) if position is not None else unit_of_reads(context, work))


async def _not_one(
    update: Update, context: Ctx, lookup: _Lookup, publication: str | None, ref: str, position: int | None
) -> bool:
    """Answer a reference (in PUBLICATION, as typed) that names no single issue (an unknown publication, nothing,
    or several to choose from); False when it names one."""
    lang = user_lang(update)
    found = lookup.found
    if found.unknown_publication is not None:
        names = "、".join(lookup.names.values())
        await reply(update, context, esc(t(lang, "unknown_publication", name=found.unknown_publication, names=names)))
        return True
    if lookup.view is not None:
        return False
    if not found.choices:
        await reply(update, context, unknown_issue(lang, ref, publication))
        return True
    day = ref_date(ref)
    if day is not None and position is None:
        await reply_rendered(update, context, issues_of_date(lang, day, list(found.choices)))
        return True
    name = lookup.names.get(found.choices[0].publication_id or 0, "")
    if found.by_number:
        text = (
            t(lang, "issue_choose_number", ref=ref) if position is None
            else t(lang, "article_choose_number", ref=ref, position=position)
        )
    else:
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

    view = await unit_of_reads(context, work)
    if view is None:
        await reply(update, context, unknown_issue(lang, f"#{issue_id}"))
        return False
    await reply_rendered(update, context, contents_of(view, lang, reader_base(context)), protect=view.internal)
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
    if await _not_one(update, context, lookup, publication, ref, position):
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
        # Past the last article: how many there are, and the issue's contents a press away.
        contents = (Button(t(lang, "btn_contents"), cb.cb_contents(stored.id)),)
        await reply(update, context, unknown_article(lang, stored, position), (contents,))
        return False
    parts = render_article(stored.id, stored.issue, position, lang=lang, reader=reader_base(context))
    if opened.internal:
        parts = mark_parts(parts, lang)
    await send_all(context, chat.id, parts, protect=opened.internal)
    return True


def issue_line(header: IssueHeader, ref: str, lang: str) -> str:
    """One issue in /issues: masthead, label and date, then the command that opens it (REF, its reference that
    names it alone; never a position in the list)."""
    issue = header.issue
    # A dated report's label is its date already.
    dated = issue.number is None and issue.week is None
    date = f"　{issue.date.isoformat()}" if issue.date and not dated else ""
    return f"{esc(issue.masthead)} {esc(issue_label(issue, lang))}{esc(date)}　<code>/issue {esc(ref)}</code>"


@dataclass(frozen=True)
class IssuesPage:
    """One page of /issues: the issues, the reference of each (by id), how many are stored."""

    items: list[IssueHeader]
    refs: dict[int, str]
    total: int
    listing: _Listing


def _issues_page(lang: str, loaded: IssuesPage, page: int) -> Rendered:
    items, total, listing = loaded.items, loaded.total, loaded.listing
    pages = max(1, -(-total // ISSUES_PER_PAGE))
    lines = [t(lang, "issues_heading", title=bold(t(lang, "issues_title")), total=total, page=page, pages=pages)]
    rows: list[tuple[Button, ...]] = []
    for header in items:
        lines.append(issue_line(header, loaded.refs[header.id], lang))
        rows.append((Button(shorten(issue_label(header.issue, lang)), cb.cb_contents(header.id)),))
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


async def _load_issues_page(context: Ctx, page: int, publication_id: int = 0) -> IssuesPage:
    def work(u: UnitOfWork) -> IssuesPage:
        repo = u.issues
        only = publication_id or None
        items, total = repo.counted_page((page - 1) * ISSUES_PER_PAGE, ISSUES_PER_PAGE, publication_id=only)
        names = publication_names(u)
        return IssuesPage(items, repo.exact_refs(items, names), total, _Listing(publication_id, names))

    return await unit_of_reads(context, work)


async def issues_command(update: Update, context: Ctx) -> None:
    """/issues [page]: past issues, newest first, 10 per page, with paging buttons."""
    lang = user_lang(update)
    args = args_of(context)
    if len(args) > 1 or (args and not _POSITION.fullmatch(args[0])) or (args and int(args[0]) < 1):
        await reply(update, context, esc(t(lang, "usage_issues")))
        return
    page = int(args[0]) if args else 1
    loaded = await _load_issues_page(context, page)
    total = loaded.total
    if total == 0:
        await reply(update, context, t(lang, "no_issues"))
        return
    pages = -(-total // ISSUES_PER_PAGE)
    if page > pages:
        await reply(update, context, t(lang, "issues_page_out_of_range", page=page, pages=pages))
        return
    await reply_rendered(update, context, _issues_page(lang, loaded, page))


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


def _search_heading(lang: str, query: str, result: SearchPage, page: int) -> str:
    title = bold(t(lang, "search_title", query=esc(query)))
    if result.capped:
        return t(lang, "search_heading_capped", title=title, total=result.total, page=page)
    pages = -(-result.total // HITS_PER_PAGE)
    return t(lang, "search_heading", title=title, total=result.total, page=page, pages=pages)


def search_hit_text(n: int, hit: SearchHit, lang: str, names: dict[int, str] | None = None) -> str:
    """One hit: number and bold title, the issue's label in the reader's language (named with its publication when
    there are several, see named_label), the snippet with the matched words in bold."""
    label = esc(named_label(hit.issue, hit.publication_id, names or {}, lang))
    return f"\n{n}. <b>{esc(hit.article_title)}</b>\n{label}\n{highlighted(hit.snippet, hit.marks)}"


def _search_page(
    lang: str, query: str, result: SearchPage, page: int, context: Ctx, *, note: str = "",
    suggestions: Suggestions = (), names: dict[int, str] | None = None,
) -> Rendered:
    head = [esc(note)] if note else []
    if result.total == 0:
        return _no_hits(lang, query, head, suggestions, context)
    pages = -(-result.total // HITS_PER_PAGE)
    lines = [*head, _search_heading(lang, query, result, page)]
    rows: list[tuple[Button, ...]] = []
    for n, hit in enumerate(result.hits, start=(page - 1) * HITS_PER_PAGE + 1):
        lines.append(search_hit_text(n, hit, lang, names))
        rows.append((Button(shorten(f"{n}. {hit.article_title}"), cb.cb_article(hit.issue_id, hit.article_position)),))

    nav: list[Button] = []
    if page > 1:
        nav.append(Button(t(lang, "btn_prev_results"), _page_data(context, query, page - 1)))
    if result.capped:
        nav.append(Button(t(lang, "btn_page_only", page=page), cb.cb_noop()))
    elif pages > 1:
        nav.append(Button(t(lang, "btn_page", page=page, pages=pages), cb.cb_noop()))
    if page < pages or (result.capped and len(result.hits) == HITS_PER_PAGE):
        nav.append(Button(t(lang, "btn_next_results"), _page_data(context, query, page + 1)))
    if nav:
        rows.append(tuple(nav))
    return Rendered("\n".join(lines), tuple(rows))


def _page_data(context: Ctx, query: str, page: int) -> str:
    data = cb.cb_search(page, query=query) or cb.cb_search(page, key=_search_key(context, query))
    assert data is not None  # a key always fits
    return data


# --- search without hits: what to try instead

# (query, how many articles it finds) for each suggestion that finds something.
Suggestions = tuple[tuple[str, int], ...]
_MAX_SUGGESTIONS = 4


@functools.lru_cache(maxsize=8)
def _synonym_table(groups: tuple[tuple[str, ...], ...]) -> Mapping[str, textindex.Alternatives]:
    return textindex.synonym_table(groups)


def synonyms_of(context: Ctx) -> Mapping[str, textindex.Alternatives]:
    """[search] synonyms as the search reads them (built once per config)."""
    return _synonym_table(deps(context).config.search.synonyms)


def try_instead(query: str) -> list[str]:
    """Queries worth trying when QUERY finds nothing: each word on its own (when there are several), then the
    first and the last two letters of each longer word."""
    words = [w for w in textindex.query_words(query) if textindex.runs(w)]
    tries: list[str] = list(words) if len(words) > 1 else []
    for word in words:
        for run in textindex.runs(word):
            if len(run) > 2:
                tries += [run[:2], run[-2:]]
    return [q for q in dict.fromkeys(tries) if q != query][: _MAX_SUGGESTIONS * 2]


def related_synonyms(query: str, synonyms: Mapping[str, textindex.Alternatives]) -> list[textindex.Alternatives]:
    """The synonym groups sharing a letter with QUERY (at most four), to show after a search without hits."""
    letters = set(textindex.fold(query)) - set(" ")
    groups = dict.fromkeys(g for word, g in synonyms.items() if letters & set(word))
    return list(groups)[:4]


def _no_hits(lang: str, query: str, head: list[str], suggestions: Suggestions, context: Ctx) -> Rendered:
    lines = [*head, t(lang, "search_none", query=esc(query))]
    related = related_synonyms(query, synonyms_of(context))
    lines.append(esc(t(lang, "search_try" if suggestions else "search_try_nothing")))
    if related:
        lines.append(esc(t(lang, "search_try_synonyms", pairs="；".join(" = ".join(g) for g in related))))
    rows = tuple(
        (Button(shorten(t(lang, "btn_try_search", query=q, total=total)), _page_data(context, q, 1)),)
        for q, total in suggestions
    )
    return Rendered("\n".join(lines), rows)


@dataclass(frozen=True)
class SearchRun:
    """One page of a search, what to try when it found nothing, and the publications' names for the labels."""

    result: SearchPage
    suggestions: Suggestions
    names: dict[int, str]


async def _run_search(context: Ctx, query: str, page: int) -> SearchRun:
    """One page of QUERY's hits (widened by the synonyms); without any, the suggestions that find something. A
    first word naming a publication ("专报 防汛") limits the search to it."""
    offset = (page - 1) * HITS_PER_PAGE
    synonyms = synonyms_of(context)

    def work(u: UnitOfWork) -> SearchRun:
        publication_id, words = search_scope(u, query)
        names = publication_names(u)

        def run(q: str, at: int, limit: int) -> SearchPage:
            return u.issues.search(q, offset=at, limit=limit, publication_id=publication_id, synonyms=synonyms)

        result = run(words, offset, HITS_PER_PAGE)
        if result.total or page > 1:
            return SearchRun(result, (), names)
        found: list[tuple[str, int]] = []
        for candidate in try_instead(words):
            total = run(candidate, 0, 0).total
            if total:
                found.append((candidate, total))
            if len(found) == _MAX_SUGGESTIONS:
                break
        return SearchRun(result, tuple(found), names)

    return await unit_of_work(context, work)


async def search_command(update: Update, context: Ctx) -> None:
    """/search words: ranked hits with a snippet, paged, each with a button that opens the article."""
    lang = user_lang(update)
    query = " ".join(args_of(context))
    if not query or len(query) > MAX_QUERY_CHARS:
        await reply(update, context, esc(t(lang, "usage_search")))
        return
    run = await _run_search(context, query, 1)
    await reply_rendered(update, context, _searched(lang, query, run, 1, context))


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

    view = await unit_of_reads(context, work)
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
    loaded = await _load_issues_page(context, data.page, data.publication_id)
    if (data.publication_id and data.publication_id not in loaded.listing.names) or (
        not loaded.items and loaded.total > 0
    ):
        await expired(query, lang)
        return
    await query.answer()
    await edit(query, _issues_page(lang, loaded, data.page))


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
    run = await _run_search(context, text, data.page)
    if not run.result.hits and data.page > 1:
        await expired(query, lang)
        return
    await query.answer()
    await edit(query, _searched(lang, text, run, data.page, context))


def _searched(lang: str, query: str, run: SearchRun, page: int, context: Ctx, note: str = "") -> Rendered:
    return _search_page(
        lang, query, run.result, page, context, note=note, suggestions=run.suggestions, names=run.names
    )


_COMMAND = re.compile(r"/([A-Za-z0-9_]{1,64})(?:@([A-Za-z0-9_]{1,64}))?(?:\s|$)")


async def private_text(update: Update, context: Ctx) -> None:
    """Private messages no feature claimed: an unknown command is named with a pointer to /help; text is taken as
    a search (with a line saying so); anything else gets a pointer to /help."""
    lang = user_lang(update)
    message = update.effective_message
    text = (message.text or "").strip() if message is not None else ""
    if m := _COMMAND.match(text):
        await reply(update, context, esc(t(lang, "unknown_command", command="/" + m[1])))
        return
    query = " ".join(text.split())
    if not textindex.query_groups(query) or len(query) > MAX_QUERY_CHARS:
        await reply(update, context, t(lang, "pointer_to_help"))
        return
    run = await _run_search(context, query, 1)
    note = t(lang, "search_free_text", query=query)
    await reply_rendered(update, context, _searched(lang, query, run, 1, context, note))


async def group_command(update: Update, context: Ctx) -> None:
    """A command in a group addressed to this bot (/foo@thisbot) that no feature knows: named, with /help."""
    message = update.effective_message
    m = _COMMAND.match((message.text or "").strip()) if message is not None else None
    if m is None or m[2] is None or m[2].lower() != (context.bot.username or "").lower():
        return  # groups stay quiet about everything not addressed to the bot
    await reply(update, context, esc(t(user_lang(update), "unknown_command", command="/" + m[1])))


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
