"""Publishing storage and use cases without Telegram: uploads kept losslessly until approval, a decision taken
once, handling marks, the chats an issue reached, and typed publication times."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bulletin.model import Article, Issue, TocEntry
from jobs.desk import DeskError, Draft, approve, commit_draft, parse_typed_time, reject, submit_for_approval
from jobs.schedule import ScheduleError
from jobs.uow import UnitOfWork
from storage.archive import IssueRepository
from storage.db import transaction
from storage.publishing_models import ApprovalState
from storage.publishing_repo import ApprovalRepository, MarkRepository, issue_from_json, issue_to_json
from storage.push_repo import PushRepository

NOW = dt.datetime(2024, 6, 17, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai
SHANGHAI = ZoneInfo("Asia/Shanghai")


def made_up(number: int = 3) -> Issue:
    return Issue(
        masthead="某镇工作简报", year=2024, number=number, total_number=40 + number, publisher="某镇党政办",
        date=dt.date(2024, 6, 1), toc=(TocEntry("防汛工作部署", "工作动态"), TocEntry("村级议事会", None)),
        articles=(Article("防汛工作部署", ("第一段。", "第二段。")), Article("村级议事会", ("内容。",))),
        footer=("报：县委办",), warnings=("要目与正文不一致",),
    )


def test_issue_json_round_trip_keeps_sections_footer_and_warnings() -> None:
    issue = made_up()
    again = issue_from_json(issue_to_json(issue))
    assert again == issue and again.warnings == issue.warnings and again.toc[0].section == "工作动态"


def test_approval_is_decided_once_and_not_by_the_uploader(factory: sessionmaker[Session]) -> None:
    draft = Draft(made_up(), "upload.txt", uploader_id=11, internal=True)
    with transaction(factory) as s:
        pending = submit_for_approval(UnitOfWork(s), draft, at=None, now=NOW)
        assert IssueRepository(s).count() == 0
    with pytest.raises(DeskError) as refused, transaction(factory) as s:
        approve(UnitOfWork(s), pending.id, approver_id=11, now=NOW)
    assert refused.value.code == "self_approve"
    with transaction(factory) as s:
        info, committed = approve(UnitOfWork(s), pending.id, approver_id=12, now=NOW)
        assert info.issue == draft.issue and committed.now
        assert MarkRepository(s).is_internal(committed.stored.id)
        [push] = PushRepository(s).for_issue(committed.stored.id)
        assert push.scheduled_at == NOW
    with pytest.raises(DeskError) as twice, transaction(factory) as s:
        approve(UnitOfWork(s), pending.id, approver_id=13, now=NOW)
    assert twice.value.code == "already_decided"
    with pytest.raises(DeskError) as late, transaction(factory) as s:
        reject(UnitOfWork(s), pending.id, by=11, now=NOW)
    assert late.value.code == "already_decided"
    with transaction(factory) as s:
        stored = ApprovalRepository(s).get(pending.id)
        assert stored is not None and stored.state == ApprovalState.APPROVED.value and stored.decided_by == 12


def test_a_failed_commit_writes_nothing(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        IssueRepository(s).add(made_up())
    changed = dataclasses.replace(made_up(), toc=(), articles=(Article("另一篇", ("不同的内容。",)),))
    with pytest.raises(DeskError) as conflict, transaction(factory) as s:
        commit_draft(UnitOfWork(s), Draft(changed, "x.txt", 11), at=None, now=NOW, actor_id=11)
    assert conflict.value.code == "conflict"
    with transaction(factory) as s:
        stored = IssueRepository(s).find("某镇工作简报", 2024, 3)
        assert stored is not None and stored.issue.articles[0].title == "防汛工作部署"
        assert PushRepository(s).for_issue(stored.id) == []


def test_typed_times() -> None:
    assert parse_typed_time("2024-06-18 10:30", NOW, SHANGHAI) == dt.datetime(2024, 6, 18, 2, 30, tzinfo=dt.UTC)
    # "HH:MM": today if still ahead, else tomorrow (09:00 has just passed at NOW, which is 09:00 local)
    assert parse_typed_time("15:00", NOW, SHANGHAI) == dt.datetime(2024, 6, 17, 7, 0, tzinfo=dt.UTC)
    assert parse_typed_time("9：00", NOW, SHANGHAI) == dt.datetime(2024, 6, 18, 1, 0, tzinfo=dt.UTC)
    for bad in ("下午三点", "2024-06-17 08:00", "25:00"):
        with pytest.raises(ScheduleError):
            parse_typed_time(bad, NOW, SHANGHAI)
