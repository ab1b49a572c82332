"""`bulletin-bot watch …`: the website watch from the command line.

    watch add URL [--every 30m] [--match REGEX] [--mode preview|publish] [--kind auto|index|feed|document]
    watch list                      the sources (from the config and added here)
    watch remove SOURCE             stop watching (id or URL; a source from the config is removed there)
    watch run --once [SOURCE]       poll now; what is new is offered to the admins by the running bot
    watch status                    per source: last poll, failures, next poll, documents by state
    watch backfill SOURCE [--since DATE]   import the source's history (no push), with a progress bar

The running bot (`bulletin-bot run`, on the leader) polls the sources on its own; these commands work on the
same database from another process.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import re
import sys
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from tqdm import tqdm

from bulletin_bot.console import utf8_output
from config import WATCH_KINDS, WATCH_MODES, Config
from config.values import ScheduleError, format_duration, parse_duration
from jobs.desk import FetchError
from jobs.netguard import NetworkPolicy
from jobs.watch import Watcher, WatchSettings, run_once, specs_of
from jobs.watch_backfill import backfill
from jobs.watch_fetch import HttpFetcher
from storage.access_repo import AuditLog
from storage.db import open_database, transaction
from storage.types import utcnow
from storage.watch_repo import SourceInfo, SourceSpec, WatchRepository

Load = Callable[[], Config]
_MB = 1024 * 1024


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="watch_command", required=True, metavar="ACTION")
    add = sub.add_parser("add", help="watch a page, feed or document URL")
    add.add_argument("url", metavar="URL")
    add.add_argument("--every", default="30m", help="how often to poll it (default 30m)")
    add.add_argument("--match", default="", metavar="REGEX", help="links (URL or text) matching this are issues")
    add.add_argument("--mode", choices=WATCH_MODES, default="preview",
                     help="preview: the admins confirm each issue (default); publish: scheduled for the default slot")
    add.add_argument("--kind", choices=WATCH_KINDS, default="auto", help="what the URL is (default: recognised)")
    sub.add_parser("list", help="list the watched sources")
    remove = sub.add_parser("remove", help="stop watching a source")
    remove.add_argument("source", metavar="SOURCE", help="id or URL")
    run = sub.add_parser("run", help="poll the sources now")
    run.add_argument("--once", action="store_true", required=True, help="one poll, then exit")
    run.add_argument("source", metavar="SOURCE", nargs="?", help="only this source (id or URL)")
    sub.add_parser("status", help="how each source is doing")
    back = sub.add_parser("backfill", help="import a source's earlier issues (no push)")
    back.add_argument("source", metavar="SOURCE", help="id or URL")
    back.add_argument("--since", metavar="YYYY-MM-DD", help="only items dated on or after this day")


class _Failure(Exception):
    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def run(args: argparse.Namespace, load: Load) -> int:
    """Dispatch `watch ACTION`."""
    utf8_output()
    config = load()
    actions: dict[str, Callable[[argparse.Namespace, Config, sessionmaker[Session]], int]] = {
        "add": _add, "list": _list, "remove": _remove, "run": _run, "status": _status, "backfill": _backfill,
    }
    try:
        engine, factory = open_database(config.database.url)
    except SQLAlchemyError as exc:
        print(f"bulletin-bot: cannot open the database: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 1
    try:
        with transaction(factory) as session:  # the config's sources, as the bot syncs them at start
            WatchRepository(session).sync(specs_of(config), utcnow())
        return actions[args.watch_command](args, config, factory)
    except _Failure as exc:
        print(f"bulletin-bot: {exc}", file=sys.stderr)
        return exc.code
    finally:
        engine.dispose()


def _source(factory: sessionmaker[Session], ref: str) -> SourceInfo:
    with transaction(factory) as session:
        source = WatchRepository(session).resolve(ref)
    if source is None:
        raise _Failure(f"no watched source {ref!r} (see `bulletin-bot watch list`)", 2)
    return source


def _local(config: Config, when: dt.datetime | None) -> str:
    return "-" if when is None else when.astimezone(config.push.timezone).strftime("%Y-%m-%d %H:%M")


def _add(args: argparse.Namespace, config: Config, factory: sessionmaker[Session]) -> int:
    url = args.url.strip()
    if not re.match(r"https?://[^/\s]+", url):
        raise _Failure(f"{url!r} is not an http or https URL", 2)
    try:
        every = parse_duration(args.every)
    except ScheduleError as exc:
        raise _Failure(f"--every: {exc}", 2) from None
    if every < dt.timedelta(minutes=1):
        raise _Failure("--every: at least 1m, to be polite to the site", 2)
    if args.match:
        try:
            re.compile(args.match)
        except re.error as exc:
            raise _Failure(f"--match: not a regular expression: {exc}", 2) from None
    spec = SourceSpec(url, every, args.match, args.mode, args.kind)
    with transaction(factory) as session:
        added = WatchRepository(session).add(spec, utcnow())
        if added is not None:
            AuditLog(session).record(actor_id=None, action="watch_add", detail=f"command line: {url}"[:1000])
    if added is None:
        raise _Failure(f"{url} is watched already", 1)
    print(f"watching #{added.id} {url} every {args.every} ({args.mode}); the first poll records what is there "
          "without importing it (`watch backfill` imports the history)")
    return 0


def _list(args: argparse.Namespace, config: Config, factory: sessionmaker[Session]) -> int:
    with transaction(factory) as session:
        sources = WatchRepository(session).all()
    if not sources:
        print("no sources watched (add one with `bulletin-bot watch add URL`, or [[watch.sources]] in the config)")
        return 0
    for s in sources:
        origin = "config" if s.from_config else "added"
        match = f" match={s.match}" if s.match else ""
        print(f"#{s.id}  {s.url}  every {format_duration(s.every)}  {s.mode}  {s.kind}{match}  ({origin})")
    return 0


def _remove(args: argparse.Namespace, config: Config, factory: sessionmaker[Session]) -> int:
    source = _source(factory, args.source)
    if source.from_config:
        raise _Failure(f"#{source.id} {source.url} comes from [[watch.sources]] in the config; remove it there", 1)
    with transaction(factory) as session:
        WatchRepository(session).remove(source.id)
        AuditLog(session).record(actor_id=None, action="watch_remove", detail=f"command line: {source.url}"[:1000])
    print(f"stopped watching #{source.id} {source.url}")
    return 0


def _watcher(config: Config, factory: sessionmaker[Session]) -> tuple[Watcher, HttpFetcher]:
    fetcher = HttpFetcher(
        NetworkPolicy(allow_private=config.network.allow_private), timeout=config.watch.timeout,
        max_bytes=int(config.watch.max_mb * _MB), per_host_interval=config.watch.per_host_interval.total_seconds(),
    )
    return Watcher(factory, fetcher, None, WatchSettings.from_config(config)), fetcher


def _run(args: argparse.Namespace, config: Config, factory: sessionmaker[Session]) -> int:
    ids = None if args.source is None else [_source(factory, args.source).id]

    async def go() -> Any:
        watcher, fetcher = _watcher(config, factory)
        try:
            return await run_once(watcher, ids)
        finally:
            await fetcher.close()

    reports = asyncio.run(go())
    with transaction(factory) as session:
        sources = {s.id: s for s in WatchRepository(session).all()}
    failed = 0
    for report in reports:
        url = sources[report.source_id].url if report.source_id in sources else f"#{report.source_id}"
        if not report.ok:
            failed += 1
            print(f"{url}: failed: {report.error}")
        elif report.unchanged:
            print(f"{url}: unchanged (304)")
        elif report.baseline:
            print(f"{url}: first poll, {report.baseline} items recorded as history (not imported)")
        else:
            print(f"{url}: {report.found} new, {report.duplicates} seen before under another URL")
    found = sum(r.found for r in reports)
    if found:
        print(f"{found} new documents wait for the running bot, which offers them to the admins")
    return 1 if failed else 0


def _status(args: argparse.Namespace, config: Config, factory: sessionmaker[Session]) -> int:
    with transaction(factory) as session:
        repo = WatchRepository(session)
        sources, counts = repo.all(), repo.counts()
    if not sources:
        print("no sources watched")
        return 0
    for s in sources:
        state = "ok" if s.failures == 0 else f"{s.failures} failures in a row" + (" (admins told)" if s.alerted else "")
        docs = ", ".join(f"{k} {v}" for k, v in sorted(counts.get(s.id, {}).items())) or "nothing seen yet"
        print(f"#{s.id}  {s.url}")
        print(f"     last poll {_local(config, s.last_poll_at)}, last success {_local(config, s.last_ok_at)}, "
              f"next {_local(config, s.next_poll_at)}: {state}")
        if s.last_error:
            print(f"     last error: {s.last_error}")
        print(f"     documents: {docs}")
    return 0


def _backfill(args: argparse.Namespace, config: Config, factory: sessionmaker[Session]) -> int:
    source = _source(factory, args.source)
    since = None
    if args.since:
        try:
            since = dt.date.fromisoformat(args.since)
        except ValueError:
            raise _Failure(f"--since: {args.since!r} is not a date such as 2024-01-31", 2) from None
    bar = tqdm(total=0, unit="issue", desc="backfill", disable=None, file=sys.stderr)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    async def go() -> Any:
        watcher, fetcher = _watcher(config, factory)
        try:
            return await backfill(watcher, source, since=since, progress=progress)
        finally:
            await fetcher.close()

    try:
        report = asyncio.run(go())
    except FetchError as exc:
        raise _Failure(f"{source.url}: {exc}", 1) from None
    finally:
        bar.close()
    for line in report.problems:
        print(f"not imported: {line}")
    skipped = f", {report.skipped_undated} undated skipped" if report.skipped_undated else ""
    print(f"{source.url}: {report.imported} imported, {report.unchanged} already stored, "
          f"{report.duplicates} seen before, {report.failed} failed{skipped}")
    return 1 if report.failed else 0
