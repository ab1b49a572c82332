"""The desk's panel under a preview: the default-time button and what it says when a year's holidays are unknown."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from conftest import make_issue, year_unknown_to_holiday_package

from bot.desk import Desk, DeskState, PendingDraft, panel_of
from bulletin_bot.config import Config, PushConfig
from jobs.desk import Draft, DraftCheck, Existing

SH = dt.timezone(dt.timedelta(hours=8))
# A year chinese-calendar does not know, laid out like 2027 (7 February a Sunday).
Y = year_unknown_to_holiday_package(2027)


def panel(push: PushConfig, now_local: str, lang: str = "zh") -> Any:
    desk = Desk(config=Config(push=push), factory=None, state=DeskState())  # type: ignore[arg-type]
    check = DraftCheck(Existing.NEW, None, None, subscribers=12, pushed=False)
    pending = PendingDraft(Draft(make_issue(3), "bulletin.docx", 601), check, chat_id=601, lang=lang, created=0.0)
    now = dt.datetime.fromisoformat(now_local).replace(tzinfo=SH)
    return panel_of(desk, 1, pending, now)


def labels(rendered: Any) -> list[str]:
    return [button.label for row in rendered.keyboard for button in row]


def test_default_time_in_a_known_year_has_no_warning() -> None:
    rendered = panel(PushConfig(), "2023-09-28 10:00")  # before National Day, with its make-up Saturday
    assert "定时：2023-10-07 09:00" in labels(rendered)
    assert "节假日数据未包含" not in rendered.text


def test_default_time_in_an_unknown_year_warns_the_admin_and_names_the_remedy() -> None:
    rendered = panel(PushConfig(), f"{Y}-02-07 10:00")
    assert f"定时：{Y}-02-08 09:00" in labels(rendered)
    assert f"节假日数据未包含 {Y} 年" in rendered.text and "[push] holidays / workdays" in rendered.text
    english = panel(PushConfig(), f"{Y}-02-07 10:00", lang="en")
    assert f"does not cover {Y}" in english.text


def test_entered_holidays_move_the_default_time_and_silence_the_warning() -> None:
    push = dataclasses.replace(PushConfig(), holidays=(f"{Y}-02-08..{Y}-02-12",), workdays=(f"{Y}-02-07",))
    rendered = panel(push, f"{Y}-02-07 10:00")
    assert f"定时：{Y}-02-15 09:00" in labels(rendered)
    assert "节假日数据未包含" not in rendered.text
