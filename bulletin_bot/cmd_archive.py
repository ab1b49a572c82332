"""`bulletin-bot import | issues | show | search`: the archive from the command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from tqdm import tqdm

from bulletin.corrections import EDITABLE, REMEMBERED, FieldError, parse_assignment, parse_value
from bulletin.i18n import ZH
from bulletin.render import issue_label
from bulletin_bot.console import utf8_output
from bulletin_bot.publication_option import UnknownPublication, add_publication_option, publication_of
from bulletin_bot.wording import unknown_issue
from config import Config
from jobs.archive import import_file
from jobs.intake import forget
from jobs.publications import configure as configure_publications
from jobs.publications import find_issue
from jobs.uow import UnitOfWork
from storage.aliases import SeriesAliasRepository
from storage.archive import IssueRepository, StoredIssue, ref_date
from storage.db import open_database, transaction
from storage.publications import PublicationRepository
from storage.textindex import synonym_table

Load = Callable[[], Config]


class DatabaseUnavailable(Exception):
    """The configured database cannot be opened or migrated."""


@contextmanager
def _database(load: Load) -> Iterator[sessionmaker[Session]]:
    cfg = load()
    try:
        engine, factory = open_database(cfg.database.url)
        configure_publications(factory, cfg)
    except SQLAlchemyError as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DatabaseUnavailable(f"cannot open the database: {first_line}") from None
    try:
        yield factory
    finally:
        engine.dispose()


def _fail(message: str, code: int) -> int:
    print(f"bulletin-bot: {message}", file=sys.stderr)
    return code


def _guarded(body: Callable[[sessionmaker[Session]], int], load: Load) -> int:
    utf8_output()
    try:
        with _database(load) as factory:
            return body(factory)
    except DatabaseUnavailable as exc:
        return _fail(str(exc), 1)
    except UnknownPublication as exc:
        return _fail(str(exc), 2)
    except SQLAlchemyError as exc:
        return _fail(f"database error: {type(exc).__name__}", 1)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Not used: every subcommand here has its own add_<name>_arguments.

    bulletin_bot.cli evaluates `module.add_arguments` as the getattr default, so the name must exist.
    """


# -- import ------------------------------------------------------------------------------------------------------


def add_import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", metavar="FILE", nargs="+", help="bulletin documents (.txt, .docx, .pdf, .html)")
    parser.add_argument(
        "--replace", action="store_true", help="replace an issue already stored with different content"
    )
    parser.add_argument(
        "--publish", action="store_true",
        help="also schedule each imported issue's push, at the next working-day [push] default_time",
    )
    parser.add_argument(
        "--set", action="append", default=[], metavar="FIELD=VALUE", dest="set_fields",
        help=f"correct a field before storing (repeatable): {', '.join(EDITABLE)}; '-' clears an optional one. "
        "A document without an issue line needs number=N, or date=YYYY-MM-DD for a dated report",
    )


def run_import(args: argparse.Namespace, load: Load) -> int:
    """Import each FILE in its own transaction; one line per file; exit 1 if any file failed."""

    try:
        corrections = _corrections(args.set_fields)
    except FieldError as exc:
        return _fail(f"--set {exc}", 2)

    def body(factory: sessionmaker[Session]) -> int:
        files: list[str] = args.files
        show_bar = len(files) > 1 and sys.stderr.isatty()
        failed = 0
        with tqdm(total=len(files), unit="file", disable=not show_bar, file=sys.stderr) as bar:
            for path in files:
                result = import_file(
                    factory, path, replace=args.replace, audit="command line", corrections=corrections
                )
                stream: TextIO = sys.stdout if result.ok else sys.stderr
                line = f"{path}: {result.message}" if result.ok else f"{path}: error: {result.message}"
                tqdm.write(line, file=stream)
                stream.flush()
                failed += not result.ok
                if getattr(args, "publish", False) and result.ok and result.stored is not None:
                    from bulletin_bot.cmd_push import schedule_issue  # push helper's use case

                    failed += schedule_issue(factory, load(), result.stored.ref, at=None, now_flag=False) != 0
                bar.update()
        return 1 if failed else 0

    return _guarded(body, load)


def _corrections(assignments: list[str]) -> list[tuple[str, str]]:
    """The --set FIELD=VALUE options, each validated (bulletin.corrections; FieldError for the first bad one)."""
    corrections = [parse_assignment(text) for text in assignments]
    for name, value in corrections:
        parse_value(name, value)
    return corrections


# -- aliases -----------------------------------------------------------------------------------------------------


def add_aliases_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=["list", "remove"], default="list")
    parser.add_argument("masthead", nargs="?", metavar="MASTHEAD", help="the parsed masthead (remove)")
    parser.add_argument("field", nargs="?", choices=list(REMEMBERED), help="only this field (remove)")


def run_aliases(args: argparse.Namespace, load: Load) -> int:
    """List the remembered corrections, or remove those of one parsed masthead (audited)."""
    if args.action == "remove" and not args.masthead:
        return _fail("aliases remove needs the parsed masthead (as `bulletin-bot aliases` lists it)", 2)

    def body(factory: sessionmaker[Session]) -> int:
        with transaction(factory) as session:
            aliases = SeriesAliasRepository(session)
            if args.action == "list":
                rows = aliases.all()
                for alias in rows:
                    print(f"{alias.parsed_masthead}\t{alias.field}\t{alias.value}")
                if not rows:
                    print("No remembered corrections.")
                return 0
            removed = forget(UnitOfWork(session), args.masthead, args.field, actor="command line")
        if not removed:
            return _fail(f"no remembered correction for {args.masthead!r}", 1)
        print(f"removed {removed} remembered correction(s) of {args.masthead}")
        return 0

    return _guarded(body, load)


# -- issues ------------------------------------------------------------------------------------------------------


def add_issues_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--limit", type=int, default=None, metavar="N", help="list only the newest N issues")
    add_publication_option(parser)


def run_issues(args: argparse.Namespace, load: Load) -> int:
    """List stored issues, newest first, with the reference `show` takes."""

    def body(factory: sessionmaker[Session]) -> int:
        limit = args.limit
        if limit is not None and limit < 0:
            return _fail("--limit must not be negative", 2)
        printed = 0
        batch = 200
        with transaction(factory) as session:
            repo = IssueRepository(session)
            only = publication_of(session, args.publication)
            names = _names(session)
            while limit is None or printed < limit:
                size = batch if limit is None else min(batch, limit - printed)
                page = repo.page(printed, size, publication_id=only)
                for stored in page:
                    print(_issue_line(stored, names))
                printed += len(page)
                if len(page) < size:
                    break
        if printed == 0:
            print("No issues stored yet (add some with `bulletin-bot import FILE...`).")
        return 0

    return _guarded(body, load)


def _names(session: Session) -> dict[int, str]:
    """{publication id: short name} when there are several publications (lines then name them), else {}."""
    publications = PublicationRepository(session).all()
    return {p.id: p.short for p in publications} if len(publications) > 1 else {}


def _named(issue_id: int | None, names: dict[int, str]) -> str:
    """"[专报] " before a line about an issue of publication ISSUE_ID, when there are several publications."""
    return f"[{names[issue_id]}] " if issue_id in names else ""


def _issue_line(stored: StoredIssue, names: dict[int, str]) -> str:
    issue = stored.issue
    date = issue.date.isoformat() if issue.date else "----------"
    label = issue_label(issue, ZH)
    publication = _named(stored.publication_id, names)
    return f"{stored.ref:<9} {date}  {publication}{label}  {issue.masthead}  ({len(issue.articles)} articles)"


# -- show --------------------------------------------------------------------------------------------------------


def add_show_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "issue", metavar="ISSUE", help='cumulative number ("1"), year-number ("2023-1") or date ("2022-07-05")'
    )
    parser.add_argument("article", metavar="ARTICLE", nargs="?", type=int, help="article position (1-based)")
    add_publication_option(parser)


def run_show(args: argparse.Namespace, load: Load) -> int:
    """Print a stored issue (contents and article list) or one of its articles."""

    def body(factory: sessionmaker[Session]) -> int:
        with transaction(factory) as session:
            publication_of(session, args.publication)  # an unknown name is refused, listing the known ones
            found = find_issue(UnitOfWork(session), args.publication, args.issue)
            names = _names(session)
            if found.choices:
                several = "are dated" if ref_date(args.issue) is not None else "match"
                print(f"{len(found.choices)} issues {several} {args.issue}; show one by its reference:")
                for header in found.choices:
                    label = f"{_named(header.publication_id, names)}{issue_label(header.issue, ZH)}"
                    print(f"  #{header.id:<7} {label}  {header.issue.masthead}")
                return 0
            stored = found.stored
        if stored is None:
            return _fail(unknown_issue(args.issue), 2)
        if args.article is None:
            print(_issue_text(stored))
            return 0
        articles = stored.issue.articles
        if not 1 <= args.article <= len(articles):
            label = issue_label(stored.issue, ZH)
            return _fail(f"{label} has {len(articles)} articles; there is no article {args.article}", 2)
        article = articles[args.article - 1]
        print("\n\n".join([article.title, *article.paragraphs]))
        return 0

    return _guarded(body, load)


def _issue_text(stored: StoredIssue) -> str:
    issue = stored.issue
    lines = [issue.masthead, issue_label(stored.issue, ZH)]
    byline = "  ".join(p for p in (issue.publisher, issue.date.isoformat() if issue.date else None) if p)
    if byline:
        lines.append(byline)
    if issue.toc:
        lines += ["", "本期要目"]
        section: str | None = None
        for entry in issue.toc:
            if entry.section and entry.section != section:
                lines.append(f"【{entry.section}】")
            section = entry.section
            lines.append(f"  ☆{entry.title}")
    lines += ["", "Articles:"]
    lines += [f"  {i}. {a.title}" for i, a in enumerate(issue.articles, start=1)]
    if issue.footer:
        lines += ["", *issue.footer]
    lines += ["", f"Read one with: bulletin-bot show {stored.ref} ARTICLE"]
    return "\n".join(lines)


# -- search ------------------------------------------------------------------------------------------------------


def add_search_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("words", metavar="WORD", nargs="+", help="every word must occur in the title or body")
    parser.add_argument("--limit", type=int, default=20, metavar="N", help="hits to show (default 20)")
    parser.add_argument("--offset", type=int, default=0, metavar="N", help="skip the first N hits")
    add_publication_option(parser)


def run_search(args: argparse.Namespace, load: Load) -> int:
    """Print the ranked articles that contain every word, each with a snippet."""
    query = " ".join(args.words)
    if not query.strip():
        utf8_output()
        return _fail("search needs at least one word", 2)
    if args.limit < 1 or args.offset < 0:
        utf8_output()
        return _fail("--limit must be at least 1 and --offset not negative", 2)

    def body(factory: sessionmaker[Session]) -> int:
        synonyms = synonym_table(load().search.synonyms)  # [search] synonyms widen it, as in chat
        with transaction(factory) as session:
            only = publication_of(session, args.publication)
            page = IssueRepository(session).search(
                query, offset=args.offset, limit=args.limit, publication_id=only, synonyms=synonyms
            )
            names = _names(session)
        if page.total == 0:
            print(f"No articles match {query!r}.")
            return 0
        first, last = args.offset + 1, args.offset + len(page.hits)
        shown = f"; showing {first}-{last}" if (first, last) != (1, page.total) or page.capped else ""
        matches = "1 article matches" if page.total == 1 else f"{page.total}{'+' if page.capped else ''} articles match"
        print(f"{matches} {query!r}{shown}:")
        for rank, hit in enumerate(page.hits, start=first):
            label = f"{_named(hit.publication_id, names)}{issue_label(hit.issue, ZH)}"
            print(f"{rank}. {label} · article {hit.article_position} · {hit.article_title}")
            print(f"   {hit.snippet}")
        if last < page.total or (page.capped and len(page.hits) == args.limit):
            scope = f" --publication {args.publication}" if args.publication else ""
            print(f"More: bulletin-bot search {query}{scope} --offset {last}")
        return 0

    return _guarded(body, load)
