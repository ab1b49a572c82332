"""The pure parts of the operator's commands: the retry backoff, the one-line outage log, publish's notes, init's
department list."""

from __future__ import annotations

import datetime as dt
import logging
import sys
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import pytest

from bulletin_bot.botapi import BotApiError, BotApiUnreachable, backoff_delays, wait_for_bot_api
from bulletin_bot.cmd_init import _split_departments
from bulletin_bot.cmd_push import publish_notes
from bulletin_bot.logs import OperationalTraceback
from config import Config, PushConfig

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def test_the_backoff_doubles_from_one_second_and_never_exceeds_the_cap() -> None:
    delays = backoff_delays(1.0, 60.0)
    assert [delays() for _ in range(9)] == [1, 2, 4, 8, 16, 32, 60, 60, 60]


@dataclass
class FakeApi:
    """The Bot API as wait_for_bot_api sees it: each call answers with the next of ANSWERS."""

    answers: list[Any]
    base_url: str = "http://api.invalid/bot"
    calls: list[str] = field(default_factory=list)

    def call(self, method: str, *, http_timeout: float | None = None, **params: Any) -> Any:
        self.calls.append(method)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_waiting_for_the_bot_api_reports_each_problem_once_and_the_recovery() -> None:
    down = BotApiUnreachable("ConnectError: [Errno 111] Connection refused")
    api = FakeApi([down, down, BotApiError(502, "Bad Gateway"), down, {"username": "office_bot"}])
    lines: list[str] = []
    slept: list[float] = []
    me = wait_for_bot_api(api, lines.append, sleep=slept.append)
    assert me == {"username": "office_bot"}
    assert slept == [1, 2, 4, 8]
    assert lines == [
        "cannot reach the Bot API at http://api.invalid/bot (ConnectError: [Errno 111] Connection refused); "
        "retrying, at most every 60 s",
        "cannot reach the Bot API at http://api.invalid/bot (502 Bad Gateway); retrying, at most every 60 s",
        "cannot reach the Bot API at http://api.invalid/bot (ConnectError: [Errno 111] Connection refused); "
        "retrying, at most every 60 s",
        "reached the Bot API at http://api.invalid/bot again",
    ]


def test_a_refused_token_is_not_retried() -> None:
    api = FakeApi([BotApiError(401, "Unauthorized")])
    with pytest.raises(BotApiError):
        wait_for_bot_api(api, lambda line: None, sleep=lambda s: None)
    assert api.calls == ["getMe"]


def _record(exc: BaseException) -> logging.LogRecord:
    try:
        raise exc
    except BaseException:
        return logging.LogRecord("telegram.ext", logging.ERROR, __file__, 1, "polling failed for %s", ("bot",),
                                 sys.exc_info())


def test_an_outage_is_logged_as_one_line_once_and_a_bug_keeps_its_traceback() -> None:
    now = [0.0]
    outages = OperationalTraceback(clock=lambda: now[0])
    outage = _record(httpx.ConnectError("All connection attempts failed"))
    assert outages.filter(outage)
    assert outage.exc_info is None
    assert logging.Formatter().format(outage) == "polling failed for bot: ConnectError: All connection attempts failed"
    now[0] = 30.0
    assert not outages.filter(_record(httpx.ConnectError("All connection attempts failed")))  # the same, again
    assert outages.filter(_record(httpx.ReadTimeout("timed out")))  # another problem
    now[0] = 400.0
    assert outages.filter(_record(httpx.ReadTimeout("timed out")))  # still failing minutes later: said again
    bug = _record(KeyError("x"))
    assert outages.filter(bug) and outages.filter(_record(KeyError("x")))  # bugs are never dropped
    assert "Traceback (most recent call last)" in logging.Formatter().format(bug)


def test_publish_notes_say_what_the_command_line_cannot_see() -> None:
    config = replace(Config(), push=replace(PushConfig(), holidays=frozenset({dt.date(2099, 5, 8)})))
    national_day = dt.datetime(2025, 10, 1, 9, 0, tzinfo=SHANGHAI)
    assert publish_notes(config, national_day, audience=3, explicit_time=True, leader=True) == [
        "2025-10-01 is a public holiday (National Day); the push is sent anyway, at the time given"
    ]
    assert publish_notes(config, national_day, audience=3, explicit_time=False, leader=True) == []
    office_day_off = dt.datetime(2099, 5, 8, 1, 0, tzinfo=dt.UTC)
    assert publish_notes(config, office_day_off, audience=0, explicit_time=True, leader=False) == [
        "nobody is subscribed yet: the push goes to whoever has subscribed when it starts",
        "2099-05-08 is a day off in [push] holidays; the push is sent anyway, at the time given",
        "no bot process is running on this database: nothing is sent until `bulletin-bot run` starts",
    ]


def test_departments_typed_at_init_split_on_any_comma_or_dunhao() -> None:
    assert _split_departments("办公室，综合科、宣传科; 办公室 ,,") == ("办公室", "综合科", "宣传科")
    assert _split_departments("") == ()
