"""Pushing an issue in the end-to-end tests: published now and run to the end by the real push runner over the
running Application's Bot, without the pacing that would make a test wait."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.common.outbox import TelegramSender
from bulletin_bot.cmd_push import push_settings
from config import Config
from jobs.push import publish
from jobs.runner import PushRunner
from jobs.uow import UnitOfWork
from storage.db import transaction
from storage.types import utcnow


async def push_now(factory: sessionmaker[Session], bot: Any, config: Config, issue_id: int, **settings: Any) -> None:
    """Publish ISSUE_ID now and run its push through BOT (SETTINGS override the unpaced push settings)."""
    now = utcnow()
    with transaction(factory) as s:
        publish(UnitOfWork(s), issue_id, now, now)
    unpaced = dataclasses.replace(
        push_settings(config), private_interval=0.0, group_interval=0.0, rate_per_second=1000.0, **settings
    )
    await PushRunner(factory, TelegramSender(bot), unpaced, worker="test").tick()
