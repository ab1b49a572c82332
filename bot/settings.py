"""The slice of the configuration the bot reads, as structural types.

bot/ may not import bulletin_bot/ (layering), so the composition root takes any object shaped like
bulletin_bot.config.Config; the real Config satisfies these protocols.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from jobs.schedule import CalendarOverrides


class TelegramSettings(Protocol):
    @property
    def token(self) -> str: ...
    @property
    def api_base_url(self) -> str: ...
    @property
    def poll_timeout(self) -> int: ...


class DatabaseSettings(Protocol):
    @property
    def url(self) -> str: ...


class AccessSettings(Protocol):
    @property
    def departments(self) -> tuple[str, ...]: ...
    @property
    def admins(self) -> tuple[int, ...]: ...
    @property
    def mode(self) -> str: ...
    @property
    def rate_limit_per_minute(self) -> int: ...
    @property
    def invite_ttl(self) -> dt.timedelta: ...


class PushTimes(Protocol):
    @property
    def timezone(self) -> str: ...
    @property
    def default_time(self) -> str: ...
    @property
    def remind_after_delta(self) -> dt.timedelta | None: ...  # receipts: None = no reminders
    @property
    def rate_per_second(self) -> float: ...  # the process's messages per second, replies and pushes together
    @property
    def calendar(self) -> CalendarOverrides: ...  # the office's [push] holidays / workdays


class PublishSettings(Protocol):
    @property
    def approval(self) -> bool: ...
    @property
    def max_upload_mb(self) -> float: ...
    @property
    def url_timeout(self) -> float: ...
    @property
    def url_max_mb(self) -> float: ...


class NetworkSettings(Protocol):
    @property
    def allow_private(self) -> bool: ...  # URLs may lead to internal addresses


class BotConfig(Protocol):
    @property
    def telegram(self) -> TelegramSettings: ...
    @property
    def database(self) -> DatabaseSettings: ...
    @property
    def access(self) -> AccessSettings: ...
    @property
    def push(self) -> PushTimes: ...
    @property
    def publish(self) -> PublishSettings: ...
    @property
    def network(self) -> NetworkSettings: ...
