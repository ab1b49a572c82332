"""Access repositories on a migrated database: admins, the audit log, invites, subscription requests, roster."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session, sessionmaker

from storage.access_repo import (
    AdminRepository,
    AuditLog,
    InviteRepository,
    InviteStatus,
    RequestRepository,
    RequestState,
    roster,
)
from storage.db import transaction
from storage.subscribers import SubscriberRepository

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def test_admins_from_config_and_added(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        admins = AdminRepository(s)
        assert admins.is_admin(7, (7,))
        assert not admins.is_admin(8, (7,))
        assert admins.add(8, added_by=7)
        assert not admins.add(8, added_by=7)
    with transaction(factory) as s:
        admins = AdminRepository(s)
        assert admins.is_admin(8, (7,))
        assert admins.list() == [8]
        assert admins.all((7, 8)) == [7, 8]
        assert [(a.user_id, a.added_by) for a in admins.added()] == [(8, 7)]
        assert admins.remove(8)
        assert not admins.remove(8)
        assert not admins.remove(7)  # configured admins are not stored, so nothing to remove
    with transaction(factory) as s:
        assert not AdminRepository(s).is_admin(8, (7,))


def test_audit_log_newest_first_and_filters(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        log = AuditLog(s)
        log.record(actor_id=7, action="invite_create", detail="uses=1")
        log.record(actor_id=8, action="publish", issue_id=3)
        log.record(actor_id=7, action="subscriber_remove", subscriber_chat_id=-100123, detail="某科室群")
    with transaction(factory) as s:
        entries = AuditLog(s).recent()
        assert [e.action for e in entries] == ["subscriber_remove", "publish", "invite_create"]
        assert entries[0].subscriber_chat_id == -100123 and entries[0].detail == "某科室群"
        assert entries[0].at.tzinfo is not None
        assert [e.action for e in AuditLog(s).recent(actor_id=7)] == ["subscriber_remove", "invite_create"]
        assert [e.issue_id for e in AuditLog(s).recent(issue_id=3)] == [3]
        assert len(AuditLog(s).recent(1)) == 1
        # The issue by the reference /issue takes; "#id" when it has none (deleted since).
        assert entries[1].line("2026-03-02 17:00", {3: "2024-6"}) == "2026-03-02 17:00  8  publish  issue=2024-6"
        assert entries[1].line("2026-03-02 17:00") == "2026-03-02 17:00  8  publish  issue=#3"


def test_audit_entry_rolls_back_with_the_action(factory: sessionmaker[Session]) -> None:
    try:
        with transaction(factory) as s:
            AdminRepository(s).add(9, added_by=None)
            AuditLog(s).record(actor_id=None, action="admin_add")
            raise RuntimeError("the action failed")
    except RuntimeError:
        pass
    with transaction(factory) as s:
        assert AuditLog(s).recent() == []
        assert AdminRepository(s).list() == []


def test_single_use_invite(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        code = InviteRepository(s).create(created_by=7, expires_at=NOW + dt.timedelta(days=1), max_uses=1).code
    assert 16 <= len(code) <= 40
    with transaction(factory) as s:
        invites = InviteRepository(s)
        assert invites.check(code, NOW) is InviteStatus.VALID
        assert invites.use(code, NOW) is InviteStatus.VALID
        assert invites.use(code, NOW) is InviteStatus.USED_UP
        assert invites.check(code, NOW) is InviteStatus.USED_UP
        assert invites.active(NOW) == []


def test_multi_use_invite_expires(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        invite = InviteRepository(s).create(created_by=7, expires_at=NOW + dt.timedelta(hours=2), max_uses=None)
    with transaction(factory) as s:
        invites = InviteRepository(s)
        for _ in range(5):
            assert invites.use(invite.code, NOW) is InviteStatus.VALID
        assert [i.uses for i in invites.active(NOW)] == [5]
        assert invites.check(invite.code, NOW + dt.timedelta(hours=2)) is InviteStatus.EXPIRED
        assert invites.use(invite.code, NOW + dt.timedelta(hours=3)) is InviteStatus.EXPIRED
        assert invites.check("no-such-code", NOW) is InviteStatus.UNKNOWN
        assert invites.revoke(invite.code)
        assert not invites.revoke(invite.code)
        assert invites.use(invite.code, NOW) is InviteStatus.REVOKED


def test_request_is_decided_once(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        requests = RequestRepository(s)
        request, created = requests.create(
            503, chat_type="private", user_id=503, display_name="李四", language_code="zh-hans", department="综合科"
        )
        assert created
        again, created_again = requests.create(
            503, chat_type="private", user_id=503, display_name="李四", language_code="zh-hans", department="办公室"
        )
        assert not created_again and again.id == request.id and again.department == "办公室"
    with transaction(factory) as s:
        requests = RequestRepository(s)
        assert [r.id for r in requests.pending()] == [request.id]
        decided = requests.decide(request.id, approve=False, decided_by=7)
        assert decided is not None and decided.state is RequestState.DENIED and decided.decided_by == 7
        assert requests.decide(request.id, approve=True, decided_by=8) is None
        assert requests.pending() == [] and requests.pending_for(503) is None
        assert requests.decide(999, approve=True, decided_by=7) is None


def test_roster_lists_active_and_ended(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        subs = SubscriberRepository(s)
        for chat_id, name, dept in [(1, "乙", "综合科"), (2, "甲", "办公室"), (3, "丙", "办公室")]:
            subs.subscribe(chat_id, chat_type="private", user_id=chat_id, display_name=name, language_code=None,
                           department=dept)
        subs.deactivate(3, "removed by an admin")
    with transaction(factory) as s:
        assert [e.display_name for e in roster(s)] == ["甲", "乙"]
        everyone = roster(s, include_inactive=True)
        assert [(e.display_name, e.active) for e in everyone] == [("丙", False), ("甲", True), ("乙", True)]
        assert everyone[0].deactivated_reason == "removed by an admin"
