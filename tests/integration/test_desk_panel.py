"""The desk's panel under a preview: the default-time button and what it says when a year's holidays are unknown."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from support.holidays import year_unknown_to_holiday_package
from support.issues import make_issue

from bot.features.desk import Desk, DeskState, PendingDraft, panel_of
from config import Config, PushConfig
from config.values import parse_days
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
    push = dataclasses.replace(PushConfig(), holidays=parse_days([f"{Y}-02-08..{Y}-02-12"], "push.holidays"),
                               workdays=parse_days([f"{Y}-02-07"], "push.workdays"))
    rendered = panel(push, f"{Y}-02-07 10:00")
    assert f"定时：{Y}-02-15 09:00" in labels(rendered)
    assert "节假日数据未包含" not in rendered.text


def intake_panel(
    issue: Any, lang: str = "zh", remembered: tuple[tuple[str, str], ...] = (), needs_id: bool = False
) -> Any:
    desk = Desk(config=Config(), factory=None, state=DeskState())  # type: ignore[arg-type]
    check = DraftCheck(Existing.NEW, None, None, subscribers=12, pushed=False)
    pending = PendingDraft(
        Draft(issue, "bulletin.docx", 601), check, chat_id=601, lang=lang, created=0.0, remembered=remembered,
        needs_id=needs_id,
    )
    return panel_of(desk, 1, pending, dt.datetime(2024, 6, 17, 10, 0, tzinfo=SH))


def test_the_panel_names_uncertain_fields_and_remembered_corrections_above_the_buttons() -> None:
    issue = dataclasses.replace(make_issue(3), uncertain=("year", "publisher", "toc", "something_new"))
    rendered = intake_panel(issue, remembered=(("masthead", "某市文旅简报"),))
    assert "以下内容是推断的，不是从文件中读出的，请核对：年份、编发单位、要目、something_new" in rendered.text
    assert "已沿用此前对该简报的更正：报头 → 某市文旅简报" in rendered.text
    assert labels(rendered)[0] == "立即发布" and "修改" in labels(rendered)
    english = intake_panel(issue, lang="en")
    assert "Inferred rather than read, please check: Year, Publisher, Contents, something_new" in english.text
    assert "Edit" in labels(english)
    assert "推断" not in intake_panel(make_issue(3)).text


def test_an_issue_without_number_or_date_cannot_be_published_until_identified() -> None:
    partial = make_issue(None, year=None, date=None)
    rendered = intake_panel(partial)
    assert "没有找到期号" in rendered.text
    assert labels(rendered) == ["修改", "🔒 标为内部资料", "取消"]
    # A date is enough for a dated report; a number for a numbered issue.
    dated = intake_panel(dataclasses.replace(partial, date=dt.date(2024, 6, 17)))
    assert "没有找到期号" not in dated.text and "立即发布" in labels(dated)
    assert "立即发布" in labels(intake_panel(dataclasses.replace(partial, number=4)))

    # Without an issue line, a date read elsewhere does not make the document a dated report: the admin decides.
    unlined = intake_panel(dataclasses.replace(partial, date=dt.date(2024, 6, 17)), needs_id=True)
    assert "没有找到期号" in unlined.text and "立即发布" not in labels(unlined)


def test_the_english_panel_counts_one_article_and_one_subscription_in_the_singular() -> None:
    desk = Desk(config=Config(), factory=None, state=DeskState())  # type: ignore[arg-type]
    for count, articles, subscriptions in ((1, "1 article;", "1 active subscription."),
                                           (3, "3 articles;", "3 active subscriptions.")):
        check = DraftCheck(Existing.NEW, None, None, subscribers=count, pushed=False)
        issue = make_issue(articles=[(f"第{i}篇", ["正文。"]) for i in range(count)])
        pending = PendingDraft(Draft(issue, "bulletin.docx", 601), check, chat_id=601, lang="en", created=0.0)
        text = panel_of(desk, 1, pending, dt.datetime(2024, 6, 17, 10, 0, tzinfo=SH)).text
        assert f"{articles} {subscriptions}" in text
    check = DraftCheck(Existing.NEW, None, None, subscribers=1, pushed=False)
    one = make_issue(articles=[("第一篇", ["正文。"])])
    pending = PendingDraft(Draft(one, "bulletin.docx", 601), check, chat_id=601, lang="zh", created=0.0)
    assert "共 1 篇文章；当前有效订阅 1 个。" in panel_of(desk, 1, pending, dt.datetime(2024, 6, 17, tzinfo=SH)).text
