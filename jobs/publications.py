"""Publications use cases: applying `[publications]`, a subscriber's choice of publications, and the look-ups that
name a publication (the newest issue of each, an issue or article named with or without its publication).

With one publication every answer is what it was before publications existed: nothing to choose, nothing ambiguous.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from config import Config
from jobs.access import AccessRules
from jobs.uow import UnitOfWork
from storage.archive import IssueHeader, StoredIssue, date_key, leads_as_publication, ref_date
from storage.db import transaction
from storage.publications import Publication, PublicationRepository, PublicationSetting

# /latest shows at most this many publications' newest issues, then offers the rest on a button.
LATEST_SHOWN = 3


def configure(factory: sessionmaker[Session], config: Config) -> None:
    """Apply `[publications]` to the stored publications (short names and defaults), in one transaction."""
    settings = [PublicationSetting(p.masthead, p.name or None, p.default) for p in config.publications]
    for last in (False, True):
        try:
            with transaction(factory) as session:
                PublicationRepository(session).configure(settings)
            return
        except IntegrityError:
            # Another process (the bot, the reader, a CLI command starting at the same moment) created a configured
            # publication between this one's look-up and its insert: the second attempt finds the row and names it.
            if last:
                raise


@dataclass(frozen=True)
class Choice:
    """A chat's choice of publications: each publication, and whether the chat receives it."""

    items: tuple[tuple[Publication, bool], ...]

    @property
    def several(self) -> bool:
        """True when there is something to choose (more than one publication)."""
        return len(self.items) > 1


def choice(uow: UnitOfWork, chat_id: int) -> Choice:
    """Every publication with whether CHAT_ID receives it."""
    received = uow.publications.chosen(chat_id)
    return Choice(tuple((p, received.get(p.id, p.default_on)) for p in uow.publications.all()))


def toggle(
    uow: UnitOfWork, chat_id: int, publication_id: int, *, user_id: int | None = None, group_admin: bool = True,
    rules: AccessRules | None = None,
) -> Choice | str | None:
    """Turn PUBLICATION_ID on or off for CHAT_ID; None when the chat is not subscribed or the publication is gone.

    In a group only its admins (GROUP_ADMIN: Telegram was asked before this unit of work) or the bot's admins
    (RULES) may: "group_admins_only" for anyone else, as for a change of department."""
    bot_admin = user_id is not None and rules is not None and uow.admins.is_admin(user_id, rules.admins)
    if not group_admin and not bot_admin:
        return "group_admins_only"
    subscriber = uow.subscribers.get(chat_id)
    if subscriber is None or not subscriber.active:
        return None
    current = uow.publications.chosen(chat_id)
    if publication_id not in current:
        return None
    uow.publications.choose(chat_id, publication_id, not current[publication_id])
    return choice(uow, chat_id)


def names(uow: UnitOfWork) -> dict[int, str]:
    """{publication id: short name} of every publication (for labels that name one)."""
    return {p.id: p.short for p in uow.publications.all()}


@dataclass(frozen=True)
class Latest:
    """The newest issue of each publication a chat receives, newest first: SHOWN in full, REST as headers."""

    shown: tuple[StoredIssue, ...]
    rest: tuple[StoredIssue, ...]


def latest(uow: UnitOfWork, chat_id: int | None, *, skip: int = 0) -> Latest:
    """The newest issue of each publication CHAT_ID receives (every publication when it is no subscriber, or
    receives none), newest first; LATEST_SHOWN of them after the first SKIP in SHOWN, the others in REST."""
    publications = uow.publications.all()
    wanted = [p.id for p in publications]
    if chat_id is not None and uow.subscribers.get(chat_id) is not None:
        received = uow.publications.chosen(chat_id)
        wanted = [pid for pid in wanted if received.get(pid)] or wanted
    newest = [s for s in (uow.issues.latest(publication_id=pid) for pid in wanted) if s is not None]
    if len(publications) <= 1 and not newest:
        newest = [s for s in [uow.issues.latest()] if s is not None]
    newest.sort(key=_newest_first_key, reverse=True)
    newest = newest[skip:]
    return Latest(tuple(newest[:LATEST_SHOWN]), tuple(newest[LATEST_SHOWN:]))


def _newest_first_key(stored: StoredIssue) -> tuple[int, int, int, int]:
    """The archive's newest-first order (storage.archive: date, year, number, id) of a stored issue."""
    issue = stored.issue
    return (date_key(issue.date), issue.year or 0, issue.number or 0, stored.id)


@dataclass(frozen=True)
class Found:
    """What a reference (with or without a publication) names: one issue, several to choose from, or nothing
    (UNKNOWN_PUBLICATION when the publication named is not one). BY_NUMBER: a bare number named no cumulative
    number (总第N期), and STORED or CHOICES are the issues numbered so in their year (第N期)."""

    stored: StoredIssue | None = None
    choices: tuple[IssueHeader, ...] = ()
    unknown_publication: str | None = None
    by_number: bool = False


def split_publication(args: Sequence[str]) -> tuple[str | None, list[str]]:
    """ARGS of /issue or /article with a leading publication name split off: ("专报", ["3"]) for ["专报", "3"]."""
    if args and leads_as_publication(args[0]):
        return args[0], list(args[1:])
    return None, list(args)


def find_issue(uow: UnitOfWork, publication: str | None, ref: str, *, limit: int = 20) -> Found:
    """The issue REF names in PUBLICATION (a name, masthead or alias), or across all publications when None.

    Across publications, a REF naming issues of several publications (or several issues of one date) is offered
    as CHOICES instead of guessing."""
    publication_id: int | None = None
    if publication is not None:
        named = uow.publications.named(publication)
        if named is None:
            return Found(unknown_publication=publication)
        publication_id = named.id
    day = ref_date(ref)
    if day is not None:
        headers = uow.issues.on_date(day, limit=limit, publication_id=publication_id)
    elif publication_id is not None:
        stored = uow.issues.resolve(ref, publication_id=publication_id)
        if stored is not None:
            return Found(stored=stored)
        headers = []
    else:
        headers = uow.issues.resolve_all(ref, limit=limit)
        # Several issues of one publication under one reference (a cumulative number reused): the newest wins, as
        # before publications; only a reference shared by publications is ambiguous.
        if len({h.publication_id for h in headers}) == 1:
            headers = headers[:1]
    by_number = False
    if not headers:
        # A bare number that is no cumulative number: the number of an issue line (2024年第7期), which is what
        # bulletins without 总第N期 print. Issues of several years (or publications) so numbered are offered.
        headers = uow.issues.numbered(ref, publication_id=publication_id, limit=limit)
        by_number = bool(headers)
    if len(headers) == 1:
        return Found(stored=uow.issues.get(headers[0].id), by_number=by_number)
    return Found(choices=tuple(headers), by_number=by_number)


def search_scope(uow: UnitOfWork, query: str) -> tuple[int | None, str]:
    """QUERY's publication and words: a first word naming a publication, followed by other words, limits the
    search to it ("专报 防汛" searches 防汛 in the 专报); otherwise every publication and the whole query."""
    parts = query.split(maxsplit=1)
    if len(parts) == 2 and uow.publications.count() > 1:
        named = uow.publications.named(parts[0])
        if named is not None:
            return named.id, parts[1]
    return None, query


@dataclass(frozen=True)
class Example:
    """/help's example of naming a publication: every publication's NAMES, and NAME with REF, the newest issue of
    the first publication that has one."""

    names: tuple[str, ...]
    name: str
    ref: str


def publication_example(uow: UnitOfWork) -> Example | None:
    """The example /help gives when there are several publications (None with one, or with no issue at all)."""
    publications = uow.publications.all()
    if len(publications) <= 1:
        return None
    for publication in publications:
        newest = uow.issues.latest(publication_id=publication.id)
        if newest is not None:
            return Example(tuple(p.short for p in publications), publication.short, newest.ref)
    return None
