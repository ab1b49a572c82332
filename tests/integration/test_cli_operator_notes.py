"""What the command line tells the operator that they cannot see: no bot running, nobody subscribed, a holiday;
the audit log with issue references and local times; one wording for an unknown issue."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from storage.db import open_database, transaction
from storage.subscribers import SubscriberRepository

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "bulletin_bot" / "data" / "sample-bulletin.txt"  # 2024年第6期（总第58期）
UNKNOWN = (
    "no stored issue matches '2099-9' (give the cumulative number like 15, year-number like 2023-1 or a date like "
    "2022-07-05; `bulletin-bot issues` lists them)"
)


def cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BULLETIN_BOT_")}
    return subprocess.run([sys.executable, "-m", "bulletin_bot.cli", "--config", str(config), *args],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "bot.toml"
    path.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "bot.sqlite3"}"\n'
        '[push]\ntimezone = "Asia/Shanghai"\nholidays = ["2099-05-08"]\n[logging]\nlevel = "WARNING"\n',
        encoding="utf-8",
    )
    assert cli(path, "import", str(SAMPLE)).returncode == 0
    return path


def test_publish_now_without_a_bot_or_subscribers_says_nothing_will_be_sent(config: Path) -> None:
    result = cli(config, "publish", "2024-6", "--now")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "2024年第6期（总第58期）: push #1 scheduled now; 0 active subscribers\n"
    assert result.stderr == (
        "note: nobody is subscribed yet: the push goes to whoever has subscribed when it starts\n"
        "note: no bot process is running on this database: nothing is sent until `bulletin-bot run` starts\n"
    )


def test_publish_at_on_a_day_off_says_so(config: Path, tmp_path: Path) -> None:
    engine, factory = open_database(f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    with transaction(factory) as s:
        SubscriberRepository(s).subscribe(501, chat_type="private", user_id=501, display_name="张三",
                                          language_code="zh-hans", department="办公室")
    engine.dispose()
    holiday = cli(config, "publish", "2024-6", "--at", "2099-05-08 09:00")
    assert holiday.returncode == 0
    assert "note: 2099-05-08 is a day off in [push] holidays; the push is sent anyway, at the time given\n" in (
        holiday.stderr
    )
    assert "nobody is subscribed" not in holiday.stderr
    sunday = cli(config, "publish", "2024-6", "--at", "2099-05-10 09:00")
    assert "note: 2099-05-10 is not a working day; the push is sent anyway" in sunday.stderr
    workday = cli(config, "publish", "2024-6", "--at", "2099-05-11 09:00")
    assert "working day" not in workday.stderr and "day off" not in workday.stderr


def test_the_audit_log_names_issues_by_reference_and_shows_local_times(config: Path) -> None:
    assert cli(config, "publish", "58", "--at", "2099-05-11 09:00").returncode == 0
    assert cli(config, "unpublish", "2024-6").returncode == 0
    audit = cli(config, "audit", "--issue", "2024-6")
    assert audit.returncode == 0, audit.stderr
    lines = audit.stdout.splitlines()
    assert [line.split("  ")[1:4] for line in lines] == [["-", "unpublish", "issue=2024-6"],
                                                         ["-", "publish", "issue=2024-6"],
                                                         ["-", "import", "issue=2024-6"]]
    assert lines[1].endswith("command line: push #1 due 2099-05-11 09:00 (Asia/Shanghai)")
    # each entry's time is the local time in [push] timezone (the database keeps UTC)
    now = dt.datetime.now(ZoneInfo("Asia/Shanghai"))
    shown = dt.datetime.strptime(lines[0].split("  ")[0], "%Y-%m-%d %H:%M").replace(tzinfo=now.tzinfo)
    assert abs(now - shown) < dt.timedelta(minutes=2)


@pytest.mark.parametrize("command", [["publish", "2099-9", "--now"], ["show", "2099-9"], ["status", "2099-9"],
                                     ["unpublish", "2099-9"], ["audit", "--issue", "2099-9"]])
def test_every_command_answers_an_unknown_issue_in_the_same_words(config: Path, command: list[str]) -> None:
    result = cli(config, *command)
    assert (result.returncode, result.stderr) == (2, f"bulletin-bot: {UNKNOWN}\n")
