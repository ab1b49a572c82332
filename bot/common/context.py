"""The typed context every handler gets: `context.bot_data` is a BotData, set once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy.orm import Session, sessionmaker
from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from config import Config
from jobs.leader import LeaderJobs
from jobs.push_limits import RateLimiter
from jobs.uow import UnitsOfWork
from storage.issue_cache import IssueCache

T = TypeVar("T")


class BackgroundService(Protocol):
    """Work that runs alongside the bot (e.g. the push runner)."""

    async def start(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None: ...

    async def stop(self) -> None: ...


@dataclass(frozen=True)
class Deps:
    """What the handlers need from the composition root."""

    config: Config
    session_factory: sessionmaker[Session]
    # The permits the Application's bot draws on for every message (bot/send_budget.py); a push at
    # [push] rate_per_second draws on the same ones.
    send_budget: RateLimiter | None = None
    # Stored issues kept between updates, checked against their version on every read (storage/issue_cache.py).
    issue_cache: IssueCache | None = None

    @property
    def units(self) -> UnitsOfWork:
        """Units of work on the session factory (one per update, see unit_of_work in bot/common/chat.py)."""
        return UnitsOfWork(self.session_factory, self.issue_cache)


class BotData:
    """application.bot_data: filled while the application is built (and its services start), never per update."""

    def __init__(self) -> None:
        self._deps: Deps | None = None
        self.services: list[BackgroundService] = []
        # The process's one scheduler for the leader's timed work (bot/common/outbox.py: leader_jobs).
        self.leader_jobs: LeaderJobs | None = None
        self._parts: dict[type[Any], Any] = {}

    @property
    def deps(self) -> Deps:
        """The dependencies; set by bot/app.py before any update arrives."""
        if self._deps is None:
            raise RuntimeError("bot_data.deps is read before build_application set it")
        return self._deps

    @deps.setter
    def deps(self, value: Deps) -> None:
        self._deps = value

    def put(self, part: object) -> None:
        """Keep a feature's own state object (one per type), set when the feature is installed."""
        self._parts[type(part)] = part

    def part(self, kind: type[T]) -> T:
        """The feature state object of type KIND (see put)."""
        value = self._parts[kind]
        assert isinstance(value, kind)
        return value


Ctx = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]
CONTEXT_TYPES = ContextTypes(bot_data=BotData)
App = Application[Any, Any, Any, Any, BotData, Any]


def deps(context: Ctx) -> Deps:
    """The application's dependencies."""
    return context.bot_data.deps
