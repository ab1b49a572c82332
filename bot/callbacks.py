"""The inline-button callback data scheme, version 1, and its strict parser.

Every callback datum is "<version>:<kind>[:<args>]", at most 64 bytes (Telegram's limit):

    1:a:<issue_id>:<pos>     open article <pos> (1-based) of stored issue <issue_id>
    1:c:<issue_id>           the contents message of stored issue <issue_id>
    1:l:<page>               page <page> (1-based) of the issue list
    1:l:<page>:<pub>         the same, of publication <pub> only (0: every publication)
    1:s:<page>:q:<query>     page <page> of the search for <query>, when the query fits in the 64 bytes
    1:s:<page>:k:<key>       the same, with the query kept in the chat's data under <key> (long queries)
    1:d:<index>              subscribe / change department to [access] departments[<index>]
    1:d:o                    subscribe / change department: "other", the user types it
    1:k:<issue_id>           the push's "read" acknowledgement (bot/features/receipts.py)
    1:n                      no-op (the page counter between paging buttons)
    1:t:<pub>                turn publication <pub> on or off for this chat (the publication toggles)
    1:m:<skip>               /latest's button for the newest issues of the publications after the first <skip>

Extra kinds belong to one feature each: "1:<letter>[:<int>]*" for a letter not taken above; they parse as
``Routed``. Taken so far:

    1:r:<issue_id>           resend to the chats whose delivery failed (push summary; bot/features/push.py)
    1:q:<request>:<0|1>      deny / approve a subscription request (bot/features/access.py)
    1:p:<draft>:<op>         the publishing panel of an uploaded draft (bot/features/desk.py)
    1:v:<approval>:<op>      approve / reject a draft waiting for a second admin (bot/features/desk.py)
    1:x:<correction>:<op>    confirm / cancel an edit, recall or correction notice (bot/features/corrections.py)

Each feature routes its kinds with python-telegram-bot's ``CallbackQueryHandler(pattern=matches(...))``; a press
no pattern claims is answered "this button has expired" (bot/app.py). Every routed kind is an admin action; its
handler checks the sender at the moment of the press.
Every number is at most MAX_NUMBER (the database's integer range), so no forged id or page can overflow a query.
Anything else, including data from an older version or an out-of-range number, parses
as ``None`` and the press is answered "this button has expired".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bulletin.render import CALLBACK_VERSION, cb_ack, cb_article, cb_contents

MAX_CALLBACK_BYTES = 64
# Ids are INTEGER columns (PostgreSQL: 32-bit); pages and positions are far below it.
MAX_NUMBER = 2**31 - 1
_INT = r"(0|[1-9][0-9]{0,9})"
_KEY = r"([0-9a-z]{1,12})"

__all__ = [
    "MAX_CALLBACK_BYTES",
    "MAX_NUMBER",
    "Ack",
    "Callback",
    "ChooseDepartment",
    "IssuesPage",
    "Matches",
    "MoreLatest",
    "Noop",
    "OpenArticle",
    "Routed",
    "SearchResults",
    "ShowContents",
    "TogglePublication",
    "cb_ack",
    "cb_article",
    "cb_contents",
    "cb_department",
    "cb_issues_page",
    "cb_more_latest",
    "cb_noop",
    "cb_search",
    "cb_toggle_publication",
    "matches",
    "parse_callback",
]


@dataclass(frozen=True, slots=True)
class OpenArticle:
    issue_id: int
    position: int


@dataclass(frozen=True, slots=True)
class ShowContents:
    issue_id: int


@dataclass(frozen=True, slots=True)
class IssuesPage:
    page: int
    publication_id: int = 0  # 0: every publication


@dataclass(frozen=True, slots=True)
class TogglePublication:
    publication_id: int


@dataclass(frozen=True, slots=True)
class MoreLatest:
    skip: int


@dataclass(frozen=True, slots=True)
class SearchResults:
    page: int
    query: str | None  # set when the query travels in the callback data
    key: str | None  # set when the query is kept server-side


@dataclass(frozen=True, slots=True)
class ChooseDepartment:
    index: int | None  # None: "other", ask the user to type it


@dataclass(frozen=True, slots=True)
class Ack:
    issue_id: int


@dataclass(frozen=True, slots=True)
class Noop:
    pass


@dataclass(frozen=True, slots=True)
class Routed:
    """A kind owned by another package; ``args`` are its integer arguments."""

    kind: str
    args: tuple[int, ...]


Callback = (
    OpenArticle | ShowContents | IssuesPage | SearchResults | ChooseDepartment | Ack | Noop | TogglePublication
    | MoreLatest | Routed
)

_CORE_KINDS = frozenset("aclsdkntm")
_PATTERNS: dict[str, re.Pattern[str]] = {
    "a": re.compile(rf"a:{_INT}:{_INT}"),
    "c": re.compile(rf"c:{_INT}"),
    "l": re.compile(rf"l:{_INT}(?::{_INT})?"),
    "s": re.compile(rf"s:{_INT}:(?:q:(.+)|k:{_KEY})", re.DOTALL),
    "d": re.compile(rf"d:(?:{_INT}|(o))"),
    "k": re.compile(rf"k:{_INT}"),
    "n": re.compile(r"n"),
    "t": re.compile(rf"t:{_INT}"),
    "m": re.compile(rf"m:{_INT}"),
}
_ROUTED = re.compile(rf"([a-zA-Z])((?::{_INT})*)")


def fits(data: str) -> bool:
    """True when DATA is valid callback data for Telegram (1 to 64 bytes of UTF-8)."""
    return 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_BYTES


def cb_issues_page(page: int, publication_id: int = 0) -> str:
    """Callback data for page PAGE of the issue list (of PUBLICATION_ID only, unless 0)."""
    if publication_id:
        return f"{CALLBACK_VERSION}:l:{page}:{publication_id}"
    return f"{CALLBACK_VERSION}:l:{page}"


def cb_toggle_publication(publication_id: int) -> str:
    """Callback data turning PUBLICATION_ID on or off for the chat."""
    return f"{CALLBACK_VERSION}:t:{publication_id}"


def cb_more_latest(skip: int) -> str:
    """Callback data of /latest's button for the publications after the first SKIP."""
    return f"{CALLBACK_VERSION}:m:{skip}"


def cb_search(page: int, *, query: str | None = None, key: str | None = None) -> str | None:
    """Callback data for a search results page: the query inline when it fits, else the server-side KEY.

    Returns None when QUERY does not fit and no KEY is given.
    """
    if query is not None:
        data = f"{CALLBACK_VERSION}:s:{page}:q:{query}"
        if fits(data):
            return data
    if key is not None:
        return f"{CALLBACK_VERSION}:s:{page}:k:{key}"
    return None


def cb_department(index: int | None) -> str:
    """Callback data choosing department INDEX, or "other" for None."""
    return f"{CALLBACK_VERSION}:d:{'o' if index is None else index}"


def cb_noop() -> str:
    """Callback data of a button that does nothing (a page counter)."""
    return f"{CALLBACK_VERSION}:n"


def cb_routed(kind: str, *args: int) -> str:
    """Callback data for a kind routed to another package (see ``Routed``)."""
    if len(kind) != 1 or not kind.isascii() or not kind.isalpha() or kind in _CORE_KINDS:
        raise ValueError(f"kind {kind!r} is not a free one-letter kind")
    return ":".join([CALLBACK_VERSION, kind, *(str(a) for a in args)])


def parse_callback(data: str | None) -> Callback | None:
    """The parsed callback DATA, or None for anything malformed, oversized, foreign or from another version."""
    if not data or not fits(data) or not data.startswith(CALLBACK_VERSION + ":"):
        return None
    body = data[len(CALLBACK_VERSION) + 1 :]
    kind = body[:1]
    pattern = _PATTERNS.get(kind)
    if pattern is None:
        m = _ROUTED.fullmatch(body)
        if not m:
            return None
        args = tuple(int(a) for a in m.group(2).split(":")[1:])
        return Routed(kind, args) if all(a <= MAX_NUMBER for a in args) else None
    m = pattern.fullmatch(body)
    if not m:
        return None
    g = m.groups()
    numbers = g[:1] if kind == "s" else g  # a search's query may be digits too: only its page is a number
    if any(n is not None and n.isdigit() and int(n) > MAX_NUMBER for n in numbers):
        return None
    if kind == "a":
        issue_id, position = int(g[0]), int(g[1])
        return OpenArticle(issue_id, position) if issue_id > 0 and position > 0 else None
    if kind == "c":
        return ShowContents(int(g[0])) if int(g[0]) > 0 else None
    if kind == "l":
        publication = int(g[1]) if g[1] is not None else 0
        return IssuesPage(int(g[0]), publication) if int(g[0]) > 0 else None
    if kind == "t":
        return TogglePublication(int(g[0])) if int(g[0]) > 0 else None
    if kind == "m":
        return MoreLatest(int(g[0])) if int(g[0]) > 0 else None
    if kind == "s":
        page = int(g[0])
        if page <= 0:
            return None
        query = g[1]
        if query is not None and not query.strip():
            return None
        return SearchResults(page, query, g[2])
    if kind == "d":
        return ChooseDepartment(None if g[1] else int(g[0]))
    if kind == "k":
        return Ack(int(g[0])) if int(g[0]) > 0 else None
    return Noop()


class Matches:
    """A ``CallbackQueryHandler`` pattern: callback data that parses (strictly) as one of its kinds.

    A kind is a class above (``OpenArticle``, ``Ack``, ...) or the letter of a ``Routed`` kind ("q", "p", ...).
    """

    def __init__(self, *kinds: type | str) -> None:
        self.classes = tuple(k for k in kinds if isinstance(k, type))
        self.letters = frozenset(k for k in kinds if isinstance(k, str))

    def __call__(self, data: object) -> bool:
        parsed = parse_callback(data) if isinstance(data, str) else None
        if isinstance(parsed, Routed):
            return parsed.kind in self.letters
        return parsed is not None and isinstance(parsed, self.classes)


def matches(*kinds: type | str) -> Matches:
    """The pattern for a feature's ``CallbackQueryHandler``: data that parses as one of KINDS (see Matches)."""
    return Matches(*kinds)
