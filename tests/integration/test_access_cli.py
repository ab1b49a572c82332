"""`bulletin-bot admins | subscribers | audit` through the real entry point (a subprocess), on SQLite and (when
configured) PostgreSQL."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from support.issues import make_issue

from storage.access_repo import AdminRepository, AuditLog
from storage.archive import IssueRepository
from storage.db import transaction
from storage.subscribers import SubscriberRepository

CONFIGURED_ADMIN = 11
STAMP = r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}"


def bulletin_bot(db_url: str, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BULLETIN_BOT_")}
    env["BULLETIN_BOT_DATABASE_URL"] = db_url
    return subprocess.run(
        [sys.executable, "-m", "bulletin_bot.cli", "--config", str(config), *args],
        capture_output=True, text=True, encoding="utf-8", env=env, timeout=120,
    )


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[logging]\nlevel = "WARNING"\n[access]\nadmins = [{CONFIGURED_ADMIN}]\n', encoding="utf-8")
    return path


def test_admins_add_list_remove_and_the_audit(db_url: str, factory: sessionmaker[Session], config: Path) -> None:
    added = bulletin_bot(db_url, config, "admins", "add", "22")
    assert (added.returncode, added.stdout, added.stderr) == (0, "22 is now an admin\n", "")
    again = bulletin_bot(db_url, config, "admins", "add", "22")
    assert (again.returncode, again.stdout) == (0, "22 is already an admin\n")

    listing = bulletin_bot(db_url, config, "admins")
    assert listing.returncode == 0
    lines = listing.stdout.splitlines()
    assert lines[0] == "11\t[access] admins (config file)"
    assert re.fullmatch(rf"22\tadded {STAMP}", lines[1]), lines
    with transaction(factory) as s:
        assert AdminRepository(s).is_admin(22, ())

    configured = bulletin_bot(db_url, config, "admins", "remove", "11")
    assert configured.returncode == 2
    assert configured.stderr == "bulletin-bot: 11 is an admin through [access] admins: remove it from the config file\n"
    removed = bulletin_bot(db_url, config, "admins", "remove", "22")
    assert (removed.returncode, removed.stdout) == (0, "22 is no longer an added admin\n")
    unknown = bulletin_bot(db_url, config, "admins", "remove", "22")
    assert (unknown.returncode, unknown.stderr) == (2, "bulletin-bot: 22 is not an admin\n")
    bad = bulletin_bot(db_url, config, "admins", "add", "王五")
    assert bad.returncode == 2 and "'王五' is not a Telegram id" in bad.stderr and "Traceback" not in bad.stderr

    log = bulletin_bot(db_url, config, "audit")
    assert log.returncode == 0
    assert [line.split("  ")[1:] for line in log.stdout.splitlines()] == [
        ["-", "admin_remove", "command line: user 22"],
        ["-", "admin_add", "command line: user 22"],
    ]
    assert all(re.match(STAMP, line) for line in log.stdout.splitlines())


def test_subscribers_list_export_and_remove(
    db_url: str, factory: sessionmaker[Session], config: Path, tmp_path: Path
) -> None:
    with transaction(factory) as s:
        subs = SubscriberRepository(s)
        subs.subscribe(501, chat_type="private", user_id=501, display_name="张三", language_code="zh-hans",
                       department="综合科")
        subs.subscribe(-1002001, chat_type="supergroup", user_id=502, display_name="=HYPERLINK(\"x\")",
                       language_code=None, department="办公室")
        subs.subscribe(503, chat_type="private", user_id=503, display_name="李四", language_code="zh-hans",
                       department="办公室")
        subs.unsubscribe(503)

    listing = bulletin_bot(db_url, config, "subscribers")
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert [line.split("\t")[:4] for line in lines[:-1]] == [
        ["-1002001", "supergroup", "办公室", '=HYPERLINK("x")'],
        ["501", "private", "综合科", "张三"],
    ]
    assert lines[-1] == "2 active"

    out = tmp_path / "subscribers.csv"
    export = bulletin_bot(db_url, config, "subscribers", "--all", "--csv", str(out))
    assert export.returncode == 0 and export.stderr == f"exported 3 subscribers to {out}\n"
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: spreadsheet programs then read the Chinese names
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [(r["chat_id"], r["display_name"], r["department"], r["active"]) for r in rows] == [
        ("-1002001", "'=HYPERLINK(\"x\")", "办公室", "yes"),  # never a formula in a spreadsheet
        ("503", "李四", "办公室", "no"),
        ("501", "张三", "综合科", "yes"),
    ]
    assert rows[1]["ended_reason"] == "unsubscribed"

    to_stdout = bulletin_bot(db_url, config, "subscribers", "--csv", "-")
    assert to_stdout.returncode == 0
    assert to_stdout.stdout.splitlines()[0] == (
        "chat_id,chat_type,user_id,display_name,department,language_code,active,subscribed_at,ended_reason"
    )
    assert len(to_stdout.stdout.splitlines()) == 3

    removed = bulletin_bot(db_url, config, "subscribers", "remove", "501")
    assert (removed.returncode, removed.stdout) == (0, "removed the subscription of 张三 (501)\n")
    again = bulletin_bot(db_url, config, "subscribers", "remove", "501")
    assert (again.returncode, again.stderr) == (2, "bulletin-bot: chat 501 has no active subscription\n")
    unwritable = bulletin_bot(db_url, config, "subscribers", "--csv", str(tmp_path / "no" / "such" / "dir.csv"))
    assert unwritable.returncode == 1 and unwritable.stderr.startswith("bulletin-bot: cannot write ")

    with transaction(factory) as s:
        sub = SubscriberRepository(s).get(501)
        assert sub is not None and not sub.active
        [entry] = AuditLog(s).recent()
        assert (entry.actor_id, entry.action, entry.subscriber_chat_id) == (None, "subscriber_remove", 501)


def test_audit_filters(db_url: str, factory: sessionmaker[Session], config: Path) -> None:
    empty = bulletin_bot(db_url, config, "audit")
    assert (empty.returncode, empty.stdout) == (0, "the audit log is empty\n")
    with transaction(factory) as s:
        stored, _ = IssueRepository(s).add(make_issue(4, total=40))
        log = AuditLog(s)
        log.record(actor_id=900, action="publish", issue_id=stored.id, detail="2024年第4期")
        log.record(actor_id=901, action="request_approve", subscriber_chat_id=501, detail="张三 · 综合科")
        log.record(actor_id=900, action="correction", issue_id=stored.id)
    # The issue is named by its reference (what `show` and /issue take), in the filter and in the lines.
    for ref in ("2024-4", "40", f"#{stored.id}"):
        by_issue = bulletin_bot(db_url, config, "audit", "--issue", ref)
        assert [line.split("  ")[1:] for line in by_issue.stdout.splitlines()] == [
            ["900", "correction", "issue=2024-4"],
            ["900", "publish", "issue=2024-4", "2024年第4期"],
        ], ref
    by_actor = bulletin_bot(db_url, config, "audit", "--actor", "901", "--limit", "1")
    assert [line.split("  ")[1:] for line in by_actor.stdout.splitlines()] == [
        ["901", "request_approve", "chat=501", "张三 · 综合科"]
    ]
    none = bulletin_bot(db_url, config, "audit", "--actor", "5")
    assert none.stdout == "no matching entries\n"
    bad = bulletin_bot(db_url, config, "audit", "--limit", "0")
    assert bad.returncode == 2 and "must be from 1 to 10000" in bad.stderr
