"""The push engine: deliver an issue's contents message to every chat in a push's ledger, exactly once.

Crash safety. Every ledger row goes pending -> sending -> sent|failed|skipped. Rows are marked 'sending' in a
committed transaction *before* their requests go out, and their outcome is committed shortly after the answer.
At most `PushSettings.window` rows are 'sending' at any moment. After a crash (SIGKILL, power loss, lost
leadership) the next run turns 'sending' rows back to pending and sends them again: only those can reach a chat
twice, so the duplicates of one crash are bounded by the window. A request that timed out or whose connection
dropped may also have arrived; its retry is the other (documented) duplicate case, noted in the row's reason.
A publication push's ledger is written in batches by chat id, each in its own transaction: sending starts after
the first batch, and a run stopped while writing resumes after the largest chat id in the ledger.

Rate limits: an overall grid (RateLimiter) at [push] rate_per_second, or 1000/s with paid broadcast, and per-chat
spacing (ChatSpacing: 1 s for private chats, 20 per minute for groups and channels). A 429 pauses every send for
retry_after seconds and the message is sent again; it is never dropped.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import gc
import logging
import random
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from bulletin.i18n import EN, ZH
from bulletin.render import Rendered, issue_label, render_contents
from jobs.marks import is_internal, with_internal_mark
from jobs.ports import ChatGone, ChatMigrated, PermanentError, PushPort, RetryAfter, SendError, TransientError
from jobs.push_limits import ChatSpacing, RateLimiter
from jobs.push_messages import FailedChat, Progress, progress_text, summary_text
from jobs.uow import UnitOfWork
from storage.archive import IssueRepository, StoredIssue
from storage.db import transaction
from storage.publications import PublicationRepository
from storage.push_models import DeliveryState, PushKind, PushState
from storage.push_repo import (
    LEDGER_BATCH,
    DeliveryInfo,
    Langs,
    LedgerBatch,
    LedgerRepository,
    LedgerTarget,
    Outcome,
    PushInfo,
    PushRepository,
)
from storage.subscribers import SubscriberRepository

log = logging.getLogger(__name__)

_READ_AHEAD = 1000
# A ledger row's language, as bulletin.i18n.lang_of picks it (computed in SQL when the ledger is written).
LEDGER_LANGS = Langs(english=EN, otherwise=ZH)

T = TypeVar("T")
UtcClock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


class PublishError(Exception):
    """A publish/unpublish/resend request that cannot be honoured; the message is fit for the operator."""


@dataclass(frozen=True)
class PushSettings:
    """Everything the push needs from [push] and [access], as plain values (jobs/ never reads Config)."""

    rate_per_second: float = 30.0
    paid_broadcast: bool = False
    paid_rate_per_second: float = 1000.0
    # Rows 'sending' at once: the crash duplicate bound. None: 32, or 256 with paid broadcast (never fewer than
    # `concurrency`).
    window: int | None = None
    # Requests open at once (HTTP connections); the window above also covers rows waiting for their outcome
    # to be committed, so it is larger.
    concurrency: int = 32
    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    private_interval: float = 1.05
    group_interval: float = 3.15
    protect_content: bool = False
    ack_button: bool = False
    admins: tuple[int, ...] = ()
    # The admins' progress message is edited this often (at least every 3 s, so a short push shows progress; an
    # edit of a private chat's message is one of its one-per-second sends).
    progress_interval: float = 2.0
    flush_interval: float = 0.02
    misfire_grace: dt.timedelta = dt.timedelta(hours=12)
    poll_interval: float = 3.0
    timezone: str = "Asia/Shanghai"
    # [web] base_url: the contents message gets the button opening the issue in the web reader ("": none).
    reader: str = ""
    # Ledger rows written per transaction; sending starts after the first batch.
    ledger_batch: int = LEDGER_BATCH

    @property
    def effective_rate(self) -> float:
        return self.paid_rate_per_second if self.paid_broadcast else self.rate_per_second

    @property
    def in_flight_window(self) -> int:
        if self.window is not None:
            return max(1, self.window)
        # Never fewer rows than open requests, or some connections could not be used.
        return max(256 if self.paid_broadcast else 32, self.concurrency)

    @property
    def batch(self) -> int:
        return max(1, self.in_flight_window // 4)


@dataclass
class PushReport:
    """What one run of a push did."""

    push_id: int
    counts: dict[str, int]
    elapsed: float
    resent_after_crash: int = 0
    retry_after_seen: int = 0
    transient_errors: int = 0
    ambiguous_attempts: int = 0


# ---- use cases called by the CLI and the bot (the caller's unit of work = its transaction)


@dataclass(frozen=True)
class PublishResult:
    push: PushInfo
    rescheduled: bool


def publish(uow: UnitOfWork, issue_id: int, at: dt.datetime, now: dt.datetime) -> PublishResult:
    """Schedule the publication push of ISSUE_ID at AT (UTC), or move the one not started yet."""
    pushes = uow.pushes
    for existing in reversed(pushes.for_issue(issue_id)):
        if existing.kind != PushKind.PUBLISH.value:
            continue
        if existing.state == PushState.SCHEDULED.value:
            pushes.reschedule(existing.id, at)
            updated = pushes.get(existing.id)
            assert updated is not None
            return PublishResult(updated, rescheduled=True)
        if existing.state == PushState.RUNNING.value:
            raise PublishError(f"this issue is being pushed right now (push #{existing.id})")
        if existing.state == PushState.DONE.value:
            raise PublishError(
                f"this issue was already pushed (push #{existing.id}); "
                f"use `bulletin-bot resend {issue_id} --failed` for the chats it failed to reach"
            )
    return PublishResult(pushes.create(issue_id, at, now=now), rescheduled=False)


def unpublish(uow: UnitOfWork, issue_id: int, now: dt.datetime) -> PushInfo:
    """Cancel the scheduled (not yet started) push of ISSUE_ID."""
    pushes = uow.pushes
    for existing in reversed(pushes.for_issue(issue_id)):
        if existing.state == PushState.SCHEDULED.value:
            if not pushes.cancel(existing.id, now, note="unpublished"):
                raise PublishError("the push started just now; it can no longer be cancelled")
            cancelled = pushes.get(existing.id)
            assert cancelled is not None
            return cancelled
        if existing.state == PushState.RUNNING.value:
            raise PublishError(f"the push of this issue is already running (push #{existing.id}); too late to cancel")
    raise PublishError("this issue has no scheduled push")


def resend_failed(uow: UnitOfWork, issue_id: int, now: dt.datetime) -> tuple[PushInfo, int]:
    """Create a push, due now, to exactly the chats whose latest delivery of ISSUE_ID failed."""
    pushes = uow.pushes
    if any(p.state in (PushState.SCHEDULED.value, PushState.RUNNING.value) for p in pushes.for_issue(issue_id)):
        raise PublishError("a push of this issue is scheduled or running; resend after it has finished")
    ledger = uow.ledger
    failed = ledger.failed_for_issue(issue_id)
    if not failed:
        raise PublishError("no chat failed to receive this issue; nothing to resend")
    push = pushes.create(issue_id, now, now=now, kind=PushKind.RESEND)
    ledger.materialize(push.id, [LedgerTarget(d.chat_id, d.chat_type, d.lang) for d in failed], now)
    return push, len(failed)


# ---- the engine


@dataclass
class _Counters:
    retry_after: int = 0
    transient: int = 0
    ambiguous: int = 0
    sent_times: collections.deque[float] = field(default_factory=lambda: collections.deque(maxlen=20_000))


class PushEngine:
    """Runs one push to completion (or until cancelled), driven by its ledger."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        port: PushPort,
        settings: PushSettings,
        *,
        worker: str,
        clock: UtcClock = utcnow,
        limiter: RateLimiter | None = None,
        spacing: ChatSpacing | None = None,
    ) -> None:
        self.factory = factory
        self.port = port
        self.settings = settings
        self.worker = worker
        self.clock = clock
        # Paid broadcasts fill each window as fast as they can (see RateLimiter): a grid would cost the first
        # window's head start and keep a 20,000-message push under 1,000/s.
        self.limiter = limiter or RateLimiter(settings.effective_rate, smooth=not settings.paid_broadcast)
        self.spacing = spacing or ChatSpacing(
            private_interval=settings.private_interval, group_interval=settings.group_interval
        )
        self._renders: dict[str, Rendered] = {}
        self._open_requests = asyncio.Semaphore(settings.concurrency)
        self._counters = _Counters()
        self._paused_until = 0.0
        # Set per run from the issue's handling mark (section 7: internal issues are sent with protect_content).
        self._internal = False

    async def _db(self, fn: Callable[..., T], *args: Any) -> T:
        def run() -> T:
            with transaction(self.factory) as session:
                return fn(session, *args)

        # Blocking database work stays off the event loop so that sends keep their slots.
        return await asyncio.to_thread(run)

    # -- preparation

    def _load(self, session: Session, push_id: int) -> tuple[PushInfo, StoredIssue, int | None]:
        push = PushRepository(session).get(push_id)
        if push is None:
            raise PublishError(f"push #{push_id} does not exist")
        issues = IssueRepository(session)
        stored = issues.get(push.issue_id)
        if stored is None:
            raise PublishError(f"issue #{push.issue_id} of push #{push_id} no longer exists")
        previous = issues.previous(push.issue_id)
        return push, stored, previous.id if previous else None

    def _materialize(self, session: Session, push_id: int) -> int | None:
        """The whole ledger in one transaction (the run itself writes it in batches while it sends)."""
        return LedgerRepository(session).materialize_from_subscribers(
            push_id, LEDGER_LANGS, self.clock(), publication_id=_publication_of(session, push_id)
        )

    # -- one delivery

    async def _deliver(self, row: DeliveryInfo, rendered: Rendered) -> Outcome:
        chat_id = row.chat_id
        attempts = row.attempts
        transient = 0
        notes: list[str] = []
        s = self.settings
        while True:
            attempts += 1
            try:
                message_id = await self.paced(
                    chat_id, self.port.send(
                        chat_id, rendered, protect=s.protect_content or self._internal, paid=s.paid_broadcast
                    )
                )
            except RetryAfter as exc:
                # Never dropped: everyone waits, then this message goes again.
                self._counters.retry_after += 1
                self.limiter.pause(exc.seconds + 0.1)
                self._paused_until = time.monotonic() + exc.seconds
                log.warning("429 from Telegram for chat %s: waiting %.1f s", chat_id, exc.seconds)
                continue
            except ChatMigrated as exc:
                old, new = chat_id, exc.new_chat_id
                if len(notes) > 10 or new == old:  # a broken answer must not loop forever
                    return Outcome(row.id, DeliveryState.FAILED, attempts, reason=exc.reason)
                moved = await self._db(self._migrate, row.id, old, new)
                if not moved:
                    return Outcome(
                        row.id, DeliveryState.SKIPPED, attempts,
                        reason=f"group migrated to {new}, which receives this push on its own",
                    )
                log.info("chat %s migrated to %s: sending there", old, new)
                notes.append(f"migrated from {old}")
                chat_id = new
                continue
            except ChatGone as exc:
                gone = chat_id
                await self._db(_deactivate, gone, exc.reason)
                log.info("chat %s unreachable (%s): subscriber deactivated", gone, exc.reason)
                return Outcome(row.id, DeliveryState.SKIPPED, attempts, reason=exc.reason)
            except TransientError as exc:
                transient += 1
                self._counters.transient += 1
                if exc.ambiguous:
                    self._counters.ambiguous += 1
                    notes.append(f"attempt {attempts} may have arrived ({exc.reason})")
                if transient >= s.max_attempts:
                    return Outcome(
                        row.id, DeliveryState.FAILED, attempts,
                        reason=f"{exc.reason} (gave up after {transient} attempts)",
                    )
                delay = min(s.backoff_max, s.backoff_base * 2 ** (transient - 1)) * random.uniform(0.75, 1.25)
                await asyncio.sleep(delay)
                continue
            except PermanentError as exc:
                return Outcome(row.id, DeliveryState.FAILED, attempts, reason=exc.reason)
            except SendError as exc:  # pragma: no cover - every port error is one of the above
                return Outcome(row.id, DeliveryState.FAILED, attempts, reason=exc.reason)
            self._counters.sent_times.append(time.monotonic())
            return Outcome(
                row.id, DeliveryState.SENT, attempts, message_id=message_id, sent_at=self.clock(),
                reason="; ".join(notes) or None,
            )

    async def paced(self, chat_id: int, request: Coroutine[Any, Any, T]) -> T:
        """Await REQUEST (not started yet) when the chat's spacing and the overall rate allow it."""
        async with self._open_requests:
            try:
                await self.spacing.acquire(chat_id)
                ticket = await self.limiter.acquire()
            except BaseException:
                request.close()
                raise
            try:
                return await request
            finally:
                self.limiter.done(ticket)
                self.spacing.done(chat_id)

    def _migrate(self, session: Session, delivery_id: int, old: int, new: int) -> bool:
        SubscriberRepository(session).migrate_chat(old, new)
        return LedgerRepository(session).move_chat(delivery_id, new)

    # -- the whole push

    async def run(self, push_id: int) -> PushReport:
        """Deliver push PUSH_ID (already claimed by this worker) and mark it done."""
        started = time.monotonic()
        push, stored, previous_id = await self._db(lambda s: self._load(s, push_id))
        self._internal = await self._db(lambda s: is_internal(s, stored.id))
        ledger = _LedgerWriter(self, push_id, complete=push.materialized_at is not None)
        # Sending starts after the first batch of the ledger; the rest is written while the push sends.
        await ledger.next_batch()
        resent = await self._db(lambda s: LedgerRepository(s).reset_in_flight(push_id))
        if resent:
            log.warning(
                "push #%s: %s deliveries were in flight when the previous run stopped; sending them again "
                "(these chats may get the message twice)", push_id, resent,
            )

        def render(lang: str) -> Rendered:
            if lang not in self._renders:
                self._renders[lang] = render_contents(
                    stored.id, stored.issue, lang=lang, previous_issue_id=previous_id,
                    ack_button=self.settings.ack_button, reader=self.settings.reader,
                )
                if self._internal:
                    self._renders[lang] = with_internal_mark(self._renders[lang], lang)
            return self._renders[lang]

        admin = _AdminReporter(self, issue_label(stored.issue, ZH), push_id, ledger)
        await admin.start()
        progress = asyncio.create_task(admin.loop())
        # Everything alive now (libraries, caches, the issue) is set aside from the cyclic collector for the
        # push: full collections over it stalled the event loop up to 110 ms each, 0.7 s per 20,000-message
        # paid broadcast, and a stalled loop leaves its rate permits unused. Only cyclic garbage among those
        # objects waits for unfreeze(); reference counting still frees everything else.
        gc.freeze()
        writer = asyncio.create_task(ledger.write_rest())
        try:
            with self.limiter.engaged():
                await self._send_all(push_id, render, ledger)
            await writer  # a batch that failed fails the run here: the push resumes from its ledger
        finally:
            gc.unfreeze()
            writer.cancel()
            progress.cancel()
            await asyncio.gather(progress, writer, return_exceptions=True)
        now = self.clock()
        await self._db(lambda s: PushRepository(s).finish(push_id, self.worker, now))
        counts = await self._db(lambda s: LedgerRepository(s).counts(push_id))
        elapsed = time.monotonic() - started
        await admin.finish(stored.id, counts, dt.timedelta(seconds=elapsed))
        log.info("push #%s done in %.1f s: %s", push_id, elapsed, counts)
        return PushReport(
            push_id, counts, elapsed, resent_after_crash=resent, retry_after_seen=self._counters.retry_after,
            transient_errors=self._counters.transient, ambiguous_attempts=self._counters.ambiguous,
        )

    async def _send_all(self, push_id: int, render: Callable[[str], Rendered], ledger: _LedgerWriter) -> None:
        window = asyncio.Semaphore(self.settings.in_flight_window)
        done: list[Outcome] = []
        wake = asyncio.Event()
        finished = False

        async def flusher() -> None:
            # Outcomes are committed in batches; a row's window slot is freed only once its outcome is durable,
            # so 'sending' rows in the database never exceed the window.
            while True:
                if not done:
                    if finished:
                        return
                    wake.clear()
                    try:
                        await asyncio.wait_for(wake.wait(), timeout=0.5)
                    except TimeoutError:
                        pass
                    continue
                await asyncio.sleep(self.settings.flush_interval)
                batch = done[:]
                del done[: len(batch)]
                now = self.clock()
                await self._db(_record, batch, now)
                for _ in batch:
                    window.release()

        async def one(row: DeliveryInfo) -> None:
            try:
                outcome = await self._deliver(row, render(row.lang))
            except Exception as exc:  # a bug or a database error: keep going, leave a reason in the ledger
                log.exception("push #%s: delivery to chat %s crashed", push_id, row.chat_id)
                outcome = Outcome(row.id, DeliveryState.FAILED, row.attempts + 1, reason=f"internal error: {exc}")
            done.append(outcome)
            wake.set()

        flush_task = asyncio.create_task(flusher())
        tasks: set[asyncio.Task[None]] = set()
        after_id = 0
        try:
            while True:
                # Read ahead a large page of ids (cheap); mark them 'sending' in small chunks as the window allows.
                # Whether the ledger was complete is read before the page: a batch committed in between is then
                # still read on the next turn.
                complete = ledger.complete or ledger.stopped
                ledger.grown.clear()
                page = await self._db(_pending, push_id, after_id, _READ_AHEAD)
                if not page:
                    if complete:
                        break
                    await ledger.grown.wait()
                    continue
                after_id = page[-1].id
                step = self.settings.batch
                for start in range(0, len(page), step):
                    chunk = page[start : start + step]
                    for _ in chunk:
                        await window.acquire()
                    await self._db(_mark_sending, [row.id for row in chunk], self.clock())
                    for row in chunk:
                        task = asyncio.create_task(one(row))
                        tasks.add(task)
                        task.add_done_callback(tasks.discard)
            if tasks:
                await asyncio.gather(*tasks)
            finished = True
            wake.set()
            await flush_task
        finally:
            if not flush_task.done():
                flush_task.cancel()
            for task in list(tasks):
                task.cancel()

    def recent_rate(self, seconds: float = 10.0) -> float:
        """Messages per second over the last SECONDS (or since the first send, if shorter)."""
        times = self._counters.sent_times
        if not times:
            return 0.0
        now = time.monotonic()
        cutoff = now - seconds
        recent = [t for t in times if t >= cutoff]
        span = min(seconds, max(now - times[0], 1e-3))
        return len(recent) / span

    def retrying(self) -> bool:
        return time.monotonic() < self._paused_until


class _LedgerWriter:
    """Writes a publication push's ledger batch by batch (LedgerRepository.write_ledger_batch) while it is sent."""

    def __init__(self, engine: PushEngine, push_id: int, *, complete: bool) -> None:
        self.engine = engine
        self.push_id = push_id
        self.complete = complete
        self.stopped = False  # the writer ended (complete, failed or cancelled): no more rows will come
        self.written = 0
        # Set after each batch, and when the writing stops for whatever reason (the run then ends or fails).
        self.grown = asyncio.Event()

    async def next_batch(self) -> None:
        """Write one batch (if the ledger is not complete yet)."""
        if self.complete:
            return
        engine = self.engine
        batch = await engine._db(
            lambda s: _ledger_batch(s, self.push_id, engine.clock(), engine.settings.ledger_batch)
        )
        self.written += batch.written if batch else 0
        if batch is None or batch.complete:
            self.complete = True
            log.info("push #%s: ledger complete, %s chats written by this run", self.push_id, self.written)
        self.grown.set()

    async def write_rest(self) -> None:
        """Write batches until the ledger is complete."""
        try:
            while not self.complete:
                await self.next_batch()
        finally:
            self.stopped = True
            self.grown.set()  # a sender waiting for rows must not wait for a writer that stopped


def _publication_of(session: Session, push_id: int) -> int | None:
    # The issue's publication decides who gets it (storage.publications.receives).
    push = PushRepository(session).get(push_id)
    return PublicationRepository(session).of_issue(push.issue_id) if push is not None else None


def _ledger_batch(session: Session, push_id: int, now: dt.datetime, limit: int) -> LedgerBatch | None:
    return LedgerRepository(session).write_ledger_batch(
        push_id, LEDGER_LANGS, now, _publication_of(session, push_id), limit
    )


def _beat(session: Session, push_id: int, worker: str, now: dt.datetime) -> None:
    PushRepository(session).beat(push_id, worker, now)


def _deactivate(session: Session, chat_id: int, reason: str) -> None:
    SubscriberRepository(session).deactivate(chat_id, reason[:200])


def _record(session: Session, batch: list[Outcome], now: dt.datetime) -> None:
    LedgerRepository(session).record(batch, now)


def _pending(session: Session, push_id: int, after_id: int, limit: int) -> list[DeliveryInfo]:
    return LedgerRepository(session).pending_ids(push_id, after_id=after_id, limit=limit)


def _mark_sending(session: Session, ids: list[int], now: dt.datetime) -> None:
    LedgerRepository(session).mark_sending(ids, now)


class _AdminReporter:
    """One progress message per admin, edited in place, and a summary at the end; never breaks the push."""

    def __init__(self, engine: PushEngine, label: str, push_id: int, ledger: _LedgerWriter) -> None:
        self.engine = engine
        self.label = label
        self.push_id = push_id
        self.ledger = ledger
        self.messages: dict[int, int] = {}
        self._last_text = ""
        # The whole audience, counted once while the ledger is still being written: the total the office sees
        # must not grow batch by batch as the rows are written (at a million chats it started at 20,000).
        self._expected = 0

    async def _progress(self) -> Progress:
        counts = await self.engine._db(lambda s: LedgerRepository(s).counts(self.push_id))
        # Once the ledger is complete it is the audience (who unsubscribed meanwhile is not in it).
        written = sum(counts.values())
        return Progress(
            total=written if self.ledger.complete else max(written, self._expected), sent=counts["sent"],
            pending=counts["pending"], sending=counts["sending"], failed=counts["failed"], skipped=counts["skipped"],
            rate=self.engine.recent_rate(),
        )

    async def _send(self, chat_id: int, rendered: Rendered) -> int | None:
        try:
            return await self.engine.paced(chat_id, self.engine.port.send(chat_id, rendered))
        except RetryAfter as exc:
            self.engine.limiter.pause(exc.seconds + 0.1)
        except SendError as exc:
            log.warning("could not send push progress to admin %s: %s", chat_id, exc.reason)
        return None

    async def start(self) -> None:
        """Send the initial progress message to every admin."""
        if not self.engine.settings.admins:
            return
        if not self.ledger.complete:
            self._expected = await self.engine._db(
                lambda s: sum(LedgerRepository(s).counts(self.push_id).values())
                + LedgerRepository(s).audience_left(self.push_id, LEDGER_LANGS, _publication_of(s, self.push_id))
            )
        rendered = progress_text(self.label, await self._progress())
        for admin in self.engine.settings.admins:
            message_id = await self._send(admin, rendered)
            if message_id is not None:
                self.messages[admin] = message_id
        self._last_text = rendered.text

    async def update(self) -> None:
        """Edit the progress messages if anything changed."""
        if not self.messages:
            return
        rendered = progress_text(self.label, await self._progress(), retrying=self.engine.retrying())
        if rendered.text == self._last_text:
            return
        self._last_text = rendered.text
        for admin, message_id in self.messages.items():
            try:
                await self.engine.paced(admin, self.engine.port.edit(admin, message_id, rendered))
            except RetryAfter as exc:
                self.engine.limiter.pause(exc.seconds + 0.1)
            except SendError as exc:
                log.warning("could not edit push progress for admin %s: %s", admin, exc.reason)

    async def loop(self) -> None:
        """Refresh the progress messages and the push's heartbeat every progress_interval seconds (on a fixed
        cadence: an edit waiting for its turn among the push's sends does not push the next one back)."""
        clock = asyncio.get_running_loop().time
        due = clock()
        while True:
            due = max(due + self.engine.settings.progress_interval, clock())
            await asyncio.sleep(due - clock())
            try:
                await self.engine._db(_beat, self.push_id, self.engine.worker, self.engine.clock())
                await self.update()
            except Exception:  # progress is best effort
                log.exception("push progress update failed")

    async def finish(self, issue_id: int, counts: dict[str, int], elapsed: dt.timedelta) -> None:
        """Final progress edit, then the summary naming the failed and skipped chats."""
        if not self.engine.settings.admins:
            return
        await self.update()

        def lists(session: Session) -> tuple[list[FailedChat], list[FailedChat]]:
            ledger = LedgerRepository(session)
            subs = SubscriberRepository(session)

            def named(rows: list[DeliveryInfo]) -> list[FailedChat]:
                out = []
                for row in rows:
                    sub = subs.get(row.chat_id)
                    out.append(FailedChat(row.chat_id, sub.display_name if sub else None, row.reason or "?"))
                return out

            return (
                # The summary names at most 50 of each: a push to a million chats must not load every failure.
                named(ledger.rows(self.push_id, DeliveryState.FAILED, limit=50)),
                named(ledger.rows(self.push_id, DeliveryState.SKIPPED, limit=50)),
            )

        failed, skipped = await self.engine._db(lists)
        progress = Progress(
            total=sum(counts.values()), sent=counts["sent"], pending=counts["pending"], sending=counts["sending"],
            failed=counts["failed"], skipped=counts["skipped"], rate=0.0,
        )
        rendered = summary_text(self.label, issue_id, progress, failed, skipped, elapsed)
        for admin in self.engine.settings.admins:
            await self._send(admin, rendered)
