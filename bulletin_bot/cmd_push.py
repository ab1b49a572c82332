"""`bulletin-bot publish | schedule | unpublish | status | resend | push-worker`: pushes from the command line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import logging
import signal
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from sqlalchemy.orm import Session, sessionmaker

from bulletin.i18n import ZH
from bulletin.render import issue_label
from bulletin_bot.eventloop import use_uvloop
from bulletin_bot.publication_option import UnknownPublication, add_publication_option, publication_of
from bulletin_bot.startup import bot_api_ready
from bulletin_bot.wording import unknown_issue
from config import Config, ConfigError
from jobs.leader import LeaderJobs, Leadership, LeadershipError, LeadershipLost, lead_until, probe_leader
from jobs.publications import configure as configure_publications
from jobs.publications import find_issue
from jobs.push import PublishError, PushSettings, publish, resend_failed, unpublish, utcnow
from jobs.push_messages import format_duration
from jobs.runner import PushRunner
from jobs.schedule import ScheduleError, next_default_slot, parse_at, working_day
from jobs.uow import UnitOfWork
from storage.access_repo import AuditLog
from storage.archive import IssueRepository, StoredIssue
from storage.db import open_database, transaction
from storage.publications import PublicationRepository
from storage.push_models import PushState
from storage.push_repo import LedgerRepository, PushInfo, PushRepository

log = logging.getLogger(__name__)

Load = Callable[[], Config]


def push_settings(config: Config) -> PushSettings:
    """The push engine's settings from [push] and [access]."""
    return PushSettings(
        rate_per_second=config.push.rate_per_second,
        paid_broadcast=config.push.paid_broadcast,
        concurrency=config.push.open_requests,
        admins=config.access.admins,
        misfire_grace=config.push.misfire_grace,
        timezone=config.push.timezone.key,
        ack_button=True,  # receipts (issue 5): the contents message carries the 已阅 button
        reader=config.web.base_url,
    )


def hold_leadership(config: Config) -> Leadership | None:
    """Become the one process that polls and sends (`run` calls this first).

    PostgreSQL: waits, standing by, while another process leads. SQLite: prints why and returns None when
    another process already uses the database.
    """
    from storage.db import create_db_engine

    leadership = Leadership(create_db_engine(config.database.url))
    try:
        asyncio.run(leadership.acquire(wait=True, on_wait=lambda: print(
            "bulletin-bot: another process is the leader; standing by to take over", file=sys.stderr, flush=True
        )))
    except LeadershipError as exc:
        _fail(str(exc))
        return None
    return leadership


def bot_extensions(config: Config, leadership: Leadership | None) -> list[Any]:
    """The bot's default extensions plus the push runner (for bot.app.build_application(extensions=...))."""
    from bot.app import default_extensions
    from bot.features.push import push_extension

    return [*default_extensions(config), push_extension(push_settings(config), leadership)]


def _fail(message: str, code: int = 1) -> int:
    print(f"bulletin-bot: {message}", file=sys.stderr)
    return code


def _issue_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("issue", metavar="ISSUE", help='issue: cumulative number ("15") or year-number ("2023-1")')


def _resolve(session: Session, ref: str) -> StoredIssue | None:
    return IssueRepository(session).resolve(ref.strip())


def _local(config: Config, when: dt.datetime) -> str:
    return when.astimezone(config.tz).strftime("%Y-%m-%d %H:%M")


# ---- publish


def add_publish_arguments(parser: argparse.ArgumentParser) -> None:
    _issue_arg(parser)
    add_publication_option(parser)
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--at", metavar='"YYYY-MM-DD HH:MM"', help="push at this time, read in [push] timezone")
    when.add_argument("--now", action="store_true", help="push at once")


def schedule_issue(
    factory: sessionmaker[Session], config: Config, ref: str, *, at: str | None, now_flag: bool,
    out: TextIO | None = None, now: dt.datetime | None = None, publication: str | None = None,
) -> int:
    """Schedule the push of issue REF (also used by `import --publish`); prints one line, returns an exit code."""
    now = now or utcnow()
    warnings: tuple[str, ...] = ()
    try:
        if now_flag:
            when = now
        elif at is not None:
            when = parse_at(at, config.tz)
        else:
            slot = next_default_slot(
                now, tz=config.tz, default_time=config.push.default_time,
                overrides=config.push.calendar,
            )
            when, warnings = slot.at_utc, slot.warnings
    except ScheduleError as exc:
        return _fail(f"--at: {exc}", 2)
    if at is not None and when < now - dt.timedelta(minutes=1):
        return _fail(f"--at: {at} ({config.push.timezone.key}) is in the past; use --now to push at once", 2)
    with transaction(factory) as session:
        uow = UnitOfWork(session)
        try:
            publication_of(session, publication)  # an unknown name is refused, listing the known ones
        except UnknownPublication as exc:
            return _fail(str(exc), 2)
        found = find_issue(uow, publication, ref.strip())
        if found.choices and found.by_number:
            years = ", ".join(f"{h.issue.year}-{h.issue.number}" for h in found.choices)
            return _fail(f"{ref!r} is no cumulative number, and several issues are number {ref} of their year: "
                         f"name one as YEAR-NUMBER ({years}), with --publication NAME where two publications "
                         "share it", 2)
        if found.choices:
            return _fail(f"{ref!r} names issues of several publications; choose one with --publication NAME", 2)
        stored = found.stored
        if stored is None:
            return _fail(unknown_issue(ref), 2)
        try:
            result = publish(uow, stored.id, when, now)
        except PublishError as exc:
            return _fail(f"{issue_label(stored.issue, ZH)}: {exc}")
        # The subscribers who receive this issue's publication.
        audience = PublicationRepository(session).receiving(stored.publication_id or 0)
        AuditLog(session).record(actor_id=None, action="publish", issue_id=stored.id,
                                 detail=f"command line: push #{result.push.id} due {_local(config, when)} "
                                        f"({config.push.timezone.key})")
        leader = probe_leader(session.get_bind().engine)
    for warning in warnings:
        print(f"warning: {warning}; pass --at to choose the time yourself", file=sys.stderr)
    verb = "rescheduled" if result.rescheduled else "scheduled"
    moment = "now" if now_flag else f"at {_local(config, when)} ({config.push.timezone.key})"
    print(f"{issue_label(stored.issue, ZH)}: push #{result.push.id} {verb} {moment}; {audience} active subscribers",
          file=out or sys.stdout)
    for note in publish_notes(config, when, audience=audience, explicit_time=at is not None, leader=leader.running):
        print(f"note: {note}", file=sys.stderr)
    return 0


def publish_notes(
    config: Config, when: dt.datetime, *, audience: int, explicit_time: bool, leader: bool
) -> list[str]:
    """What the operator cannot see from the command line about a push just scheduled for WHEN (pure)."""
    notes = []
    if audience == 0:
        notes.append("nobody is subscribed yet: the push goes to whoever has subscribed when it starts")
    day = working_day(when.astimezone(config.tz).date(), config.push.calendar)
    if explicit_time and not day.working:
        why = (f"a public holiday ({day.holiday_name})" if day.holiday_name
               else "a day off in [push] holidays" if day.day in config.push.holidays else "not a working day")
        notes.append(f"{when.astimezone(config.tz):%Y-%m-%d} is {why}; the push is sent anyway, at the time given")
    if not leader:
        notes.append("no bot process is running on this database: nothing is sent until `bulletin-bot run` starts")
    return notes


def run_publish(args: argparse.Namespace, load: Load) -> int:
    """Schedule an issue's push: --at, --now, or the next working-day default time."""
    config = load()
    engine, factory = open_database(config.database.url)
    try:
        configure_publications(factory, config)
        return schedule_issue(
            factory, config, args.issue, at=args.at, now_flag=args.now, publication=args.publication
        )
    finally:
        engine.dispose()


# ---- schedule


def add_schedule_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--all", action="store_true", help="also list finished, cancelled and missed pushes")


def run_schedule(args: argparse.Namespace, load: Load) -> int:
    """List pending (scheduled and running) pushes."""
    config = load()
    engine, factory = open_database(config.database.url)
    try:
        with transaction(factory) as session:
            pushes = PushRepository(session)
            states = list(PushState) if args.all else [PushState.SCHEDULED, PushState.RUNNING]
            rows = pushes.in_state(*states)
            issues = IssueRepository(session)
            labels = {
                p.issue_id: (issue_label(s.issue, ZH) if (s := issues.get(p.issue_id)) else f"#{p.issue_id}")
                for p in rows
            }
        if not rows:
            print("no pending pushes" if not args.all else "no pushes")
            return 0
        for p in rows:
            extra = f"  ({p.note})" if p.note else ""
            print(f"#{p.id:<5} {_local(config, p.scheduled_at)}  {p.state:<9} {p.kind:<7} {labels[p.issue_id]}{extra}")
        return 0
    finally:
        engine.dispose()


# ---- unpublish


def add_unpublish_arguments(parser: argparse.ArgumentParser) -> None:
    _issue_arg(parser)


def run_unpublish(args: argparse.Namespace, load: Load) -> int:
    """Cancel an issue's push that has not started."""

    def cancel(session: Session, stored: StoredIssue, config: Config) -> tuple[str, str]:
        push = unpublish(UnitOfWork(session), stored.id, utcnow())
        when = _local(config, push.scheduled_at)
        label = issue_label(stored.issue, ZH)
        return f"{label}: push #{push.id} (was due {when}) cancelled", f"push #{push.id} cancelled"

    return _issue_action(load, args.issue, "unpublish", cancel)


def _issue_action(
    load: Load, ref: str, action: str, act: Callable[[Session, StoredIssue, Config], tuple[str, str]]
) -> int:
    """Run ACT on stored issue REF in one transaction with its audit entry; print the line it returns."""
    config = load()
    engine, factory = open_database(config.database.url)
    try:
        with transaction(factory) as session:
            stored = _resolve(session, ref)
            if stored is None:
                return _fail(unknown_issue(ref), 2)
            try:
                line, detail = act(session, stored, config)
            except PublishError as exc:
                return _fail(f"{issue_label(stored.issue, ZH)}: {exc}")
            AuditLog(session).record(actor_id=None, action=action, issue_id=stored.id, detail=f"command line: {detail}")
        print(line)
        return 0
    finally:
        engine.dispose()


# ---- resend


def add_resend_arguments(parser: argparse.ArgumentParser) -> None:
    _issue_arg(parser)
    parser.add_argument("--failed", action="store_true", required=True,
                        help="send again to exactly the chats whose delivery failed")


def run_resend(args: argparse.Namespace, load: Load) -> int:
    """Resend an issue to the chats whose delivery failed (a new push, due now)."""

    def resend(session: Session, stored: StoredIssue, _config: Config) -> tuple[str, str]:
        push, count = resend_failed(UnitOfWork(session), stored.id, utcnow())
        return (f"{issue_label(stored.issue, ZH)}: push #{push.id} will resend to {count} chats whose delivery failed",
                f"push #{push.id} to {count} failed chats")

    return _issue_action(load, args.issue, "resend", resend)


# ---- status


def add_status_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("issue", metavar="ISSUE", nargs="?", help="issue (default: the most recent push)")
    parser.add_argument("--once", action="store_true", help="print once, even at a terminal")


def _status_snapshot(
    factory: sessionmaker[Session], ref: str | None
) -> tuple[PushInfo, str, dict[str, int], float] | str:
    with transaction(factory) as session:
        pushes = PushRepository(session)
        if ref is not None:
            stored = _resolve(session, ref)
            if stored is None:
                return unknown_issue(ref)
            candidates = pushes.for_issue(stored.id)
            if not candidates:
                return f"{issue_label(stored.issue, ZH)} has never been published"
            push = candidates[-1]
        else:
            running = pushes.in_state(PushState.RUNNING)
            latest = running[-1] if running else pushes.latest()
            if latest is None:
                return "no pushes yet"
            push = latest
        issue = IssueRepository(session).get(push.issue_id)
        label = issue_label(issue.issue, ZH) if issue else f"#{push.issue_id}"
        ledger = LedgerRepository(session)
        counts = ledger.counts(push.id)
        now = utcnow()
        window = dt.timedelta(seconds=30)
        if push.started_at is not None and now - push.started_at < window:
            window = max(now - push.started_at, dt.timedelta(seconds=1))
        rate = ledger.sent_times(push.id, now - window) / window.total_seconds() if push.state == "running" else 0.0
    return push, label, counts, rate


def _status_lines(config: Config, push: PushInfo, label: str, counts: dict[str, int], rate: float) -> list[str]:
    total = sum(counts.values())
    left = counts["pending"] + counts["sending"]
    lines = [
        f"{label}: push #{push.id} ({push.kind}) {push.state}, due {_local(config, push.scheduled_at)}",
        f"  sent {counts['sent']}  pending {left}  failed {counts['failed']}  skipped {counts['skipped']}"
        f"  (of {total})",
    ]
    if push.state == PushState.RUNNING.value:
        eta = format_duration(left / rate) if rate > 0 else "unknown"
        lines.append(f"  rate {rate:.1f}/s, time left {eta}")
    if push.note:
        lines.append(f"  note: {push.note}")
    return lines


def run_status(args: argparse.Namespace, load: Load) -> int:
    """Show a push's progress; at a terminal, follow a running push with a progress bar."""
    config = load()
    engine, factory = open_database(config.database.url)
    try:
        snap = _status_snapshot(factory, args.issue)
        if isinstance(snap, str):
            return _fail(snap, 2)
        push, label, counts, rate = snap
        for line in _status_lines(config, push, label, counts, rate):
            print(line)
        if args.once or not sys.stdout.isatty() or push.state != PushState.RUNNING.value:
            return 0
        from tqdm import tqdm

        total = sum(counts.values())
        with tqdm(total=total, unit="msg", desc=f"push #{push.id}", dynamic_ncols=True) as bar:
            while True:
                done = counts["sent"] + counts["failed"] + counts["skipped"]
                bar.update(done - bar.n)
                bar.set_postfix(failed=counts["failed"], skipped=counts["skipped"], rate=f"{rate:.1f}/s")
                if push.state != PushState.RUNNING.value:
                    break
                time.sleep(1.0)
                again = _status_snapshot(factory, args.issue if args.issue else str(push.issue_id))
                if isinstance(again, str) or again[0].id != push.id:
                    break
                push, label, counts, rate = again
        return 0
    finally:
        engine.dispose()


# ---- push-worker


def add_push_worker_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--exit-when-idle", action="store_true",
                        help="exit once no push is scheduled or running (for scripts and tests)")


async def _worker(config: Config, exit_when_idle: bool) -> int:
    from bot.common.outbox import TelegramSender, make_push_bot  # late: telegram only when a worker runs
    engine, factory = open_database(config.database.url)
    leadership = Leadership(engine)
    try:
        await leadership.acquire(wait=True)
    except LeadershipError as exc:
        engine.dispose()
        return _fail(str(exc))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    bot = make_push_bot(config.telegram.token, config.telegram.api_base_url)
    settings = push_settings(config)
    try:
        async with bot:
            runner = PushRunner(factory, TelegramSender(bot), settings)
            jobs = LeaderJobs(settings.timezone)
            if exit_when_idle:
                jobs.every("exit-when-idle", settings.poll_interval, lambda: _exit_when_idle(factory, stop))
            await runner.start(jobs=jobs)
            try:
                await lead_until(leadership, jobs, stop)
            except LeadershipLost:
                return _fail("lost leadership (database connection broken); exiting so that another takes over")
        return 0
    finally:
        leadership.release()
        engine.dispose()


async def _exit_when_idle(factory: sessionmaker[Session], stop: asyncio.Event) -> None:
    """Set STOP once no push is scheduled or running any more."""
    if not await asyncio.to_thread(_busy, factory):
        stop.set()


def _busy(factory: sessionmaker[Session]) -> bool:
    with transaction(factory) as session:
        return bool(PushRepository(session).in_state(PushState.SCHEDULED, PushState.RUNNING))


def run_push_worker(args: argparse.Namespace, load: Load) -> int:
    """Run only the push runner (no polling), under the same leadership rules as `run`."""
    config = load()
    if not config.telegram.token:
        raise ConfigError("telegram.token: required to send pushes (or set the env BULLETIN_BOT_TOKEN)")
    # As `run` does: wait for the Bot API (the worker may start before the network), refuse a wrong token at once.
    if not bot_api_ready(config, "push-worker"):
        return 0
    use_uvloop()
    return asyncio.run(_worker(config, args.exit_when_idle))


# `push-worker` has a hyphen, so the dispatcher falls back to these names for it.
add_arguments = add_push_worker_arguments
run = run_push_worker
