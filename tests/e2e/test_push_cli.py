"""`bulletin-bot publish | schedule | unpublish | status | resend`, and a push sent by `bulletin-bot run`."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.holidays import year_unknown_to_holiday_package

from bulletin_bot.cli import main
from bulletin_bot.cmd_push import schedule_issue
from config import load_config
from localbotapi import Limits, LocalBotApi
from storage.db import open_database, transaction
from storage.push_models import PushState
from storage.push_repo import PushRepository
from storage.subscribers import SubscriberRepository

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "bulletin_bot" / "data" / "sample-bulletin.txt"
TOKEN = "777000:cli-push"


@pytest.fixture
def config(tmp_path: Path, db_url: str) -> Iterator[Path]:
    """A config file on a fresh database holding the sample issue."""
    path = tmp_path / "bot.toml"
    path.write_text(
        f'[telegram]\ntoken = "{TOKEN}"\n[database]\nurl = "{db_url}"\n'
        '[push]\ntimezone = "Asia/Shanghai"\ndefault_time = "09:00"\n[logging]\nlevel = "WARNING"\n',
        encoding="utf-8",
    )
    assert main(["--config", str(path), "import", str(SAMPLE)]) == 0
    yield path


def cli(config: Path, *args: str) -> int:
    return main(["--config", str(config), *args])


def issue_ref(config: Path, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    cfg = load_config(config)
    engine, factory = open_database(cfg.database.url)
    from storage.archive import IssueRepository

    with transaction(factory) as s:
        latest = IssueRepository(s).latest()
        assert latest is not None
        ref = latest.ref
    engine.dispose()
    return ref


def test_publish_at_then_schedule_then_unpublish(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ref = issue_ref(config, capsys)
    assert cli(config, "publish", ref, "--at", "2099-05-08 09:00") == 0
    out = capsys.readouterr().out
    assert "scheduled at 2099-05-08 09:00 (Asia/Shanghai)" in out and "0 active subscribers" in out

    assert cli(config, "publish", ref, "--at", "2099-05-09 10:30") == 0
    assert "rescheduled at 2099-05-09 10:30" in capsys.readouterr().out

    assert cli(config, "schedule") == 0
    listing = capsys.readouterr().out
    assert "2099-05-09 10:30" in listing and "scheduled" in listing and "2099-05-08" not in listing

    assert cli(config, "unpublish", ref) == 0
    assert "cancelled" in capsys.readouterr().out
    assert cli(config, "schedule") == 0
    assert capsys.readouterr().out.strip() == "no pending pushes"
    assert cli(config, "unpublish", ref) == 1
    assert "no scheduled push" in capsys.readouterr().err

    # each command-line action is in the audit log, newest first; the failed unpublish is not
    assert cli(config, "audit") == 0
    audit = capsys.readouterr().out.splitlines()
    actions = [line for line in audit if "publish" in line]
    assert len(actions) == 3, audit
    assert "unpublish" in actions[0] and "command line" in actions[0]
    assert all("unpublish" not in line for line in actions[1:])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--at", "next monday"], '--at: \'next monday\' is not a time such as "2023-05-08 09:00"'),
        (["--at", "2001-01-01 09:00"], "is in the past; use --now"),
    ],
)
def test_publish_bad_time_is_one_clear_message(
    config: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    ref = issue_ref(config, capsys)
    assert cli(config, "publish", ref, *args) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err


def test_publish_unknown_issue(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(config, "publish", "2099-99", "--now") == 2
    assert "no stored issue matches '2099-99'" in capsys.readouterr().err


def test_publish_by_a_bare_number_of_several_years_names_them_and_pushes_nothing(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Two issues numbered 7 (of 2023 and 2024), neither with a cumulative number 7.
    from support.issues import make_issue

    from storage.archive import IssueRepository

    engine, factory = open_database(load_config(config).database.url)
    with transaction(factory) as s:
        for year in (2023, 2024):
            IssueRepository(s).add(make_issue(7, year=year, masthead="某县工作简报"))
    capsys.readouterr()
    assert cli(config, "publish", "7", "--now") == 2
    err = capsys.readouterr().err
    assert "several issues are number 7 of their year" in err and "(2024-7, 2023-7)" in err
    with transaction(factory) as s:
        assert PushRepository(s).latest() is None
    engine.dispose()


def test_publish_without_a_time_takes_the_next_working_day(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ref = issue_ref(config, capsys)
    cfg = load_config(config)
    engine, factory = open_database(cfg.database.url)
    # Thursday 28 Sep 2023, 10:00 in Shanghai: Mid-Autumn and National Day follow; Sat 7 Oct is a make-up day.
    now = dt.datetime(2023, 9, 28, 2, 0, tzinfo=dt.UTC)
    assert schedule_issue(factory, cfg, ref, at=None, now_flag=False, now=now) == 0
    assert "scheduled at 2023-10-07 09:00 (Asia/Shanghai)" in capsys.readouterr().out
    engine.dispose()


def test_publish_in_a_year_the_package_does_not_know_follows_the_offices_entries(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = issue_ref(config, capsys)
    year = year_unknown_to_holiday_package(2027)  # laid out like 2027: 7 February is a Sunday
    text = config.read_text(encoding="utf-8").replace(
        'default_time = "09:00"\n',
        f'default_time = "09:00"\nholidays = ["{year}-02-08..{year}-02-12"]\nworkdays = ["{year}-02-07"]\n',
    )
    config.write_text(text, encoding="utf-8")
    cfg = load_config(config)
    engine, factory = open_database(cfg.database.url)
    # Sunday 7 Feb, 10:00 in Shanghai, after that day's slot: the entered break, then the weekend.
    now = dt.datetime(year, 2, 7, 2, 0, tzinfo=dt.UTC)
    assert schedule_issue(factory, cfg, ref, at=None, now_flag=False, now=now) == 0
    out = capsys.readouterr()
    assert f"scheduled at {year}-02-15 09:00 (Asia/Shanghai)" in out.out
    assert "holiday data" not in out.out + out.err  # the year is known from the entries: no fallback warning
    engine.dispose()


def test_status_and_resend_without_failures(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ref = issue_ref(config, capsys)
    assert cli(config, "status") == 2
    assert "no pushes yet" in capsys.readouterr().err
    assert cli(config, "publish", ref, "--at", "2099-01-02 09:00") == 0
    capsys.readouterr()
    assert cli(config, "status", ref) == 0
    out = capsys.readouterr().out
    assert "scheduled, due 2099-01-02 09:00" in out and "sent 0  pending 0  failed 0  skipped 0" in out
    assert cli(config, "resend", ref, "--failed") == 1
    assert "scheduled or running" in capsys.readouterr().err


def test_run_sends_a_push_published_from_another_process_and_a_second_run_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "bot.sqlite3"
    with LocalBotApi(limits=Limits()) as server:
        server.add_bot(TOKEN)
        config = tmp_path / "bot.toml"
        config.write_text(
            f'[telegram]\ntoken = "{TOKEN}"\napi_base_url = "{server.api_base_url()}"\npoll_timeout = 1\n'
            f'[database]\nurl = "sqlite:///{db}"\n[access]\nadmins = [901]\n[logging]\nlevel = "WARNING"\n',
            encoding="utf-8",
        )
        assert cli(config, "import", str(SAMPLE)) == 0
        engine, factory = open_database(f"sqlite:///{db}")
        with transaction(factory) as s:
            for uid in (901, 902, 903):
                server.add_user(uid, f"u{uid}")
                SubscriberRepository(s).subscribe(uid, chat_type="private", user_id=uid, display_name=f"u{uid}",
                                                  language_code="zh-hans", department="办公室")
        env = {k: v for k, v in os.environ.items() if not k.startswith("BULLETIN_BOT_")}
        bot = subprocess.Popen([sys.executable, "-m", "bulletin_bot.cli", "--config", str(config), "run"],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert server.wait_for(lambda: len(server.commands(TOKEN)) > 0, timeout=30)  # the bot is up
            second = subprocess.run([sys.executable, "-m", "bulletin_bot.cli", "--config", str(config), "run"],
                                    cwd=ROOT, env=env, capture_output=True, timeout=60)
            assert second.returncode == 1
            assert b"another bulletin-bot process is already running" in second.stderr
            ref = issue_ref(config, capsys)
            assert cli(config, "publish", ref, "--now") == 0
            assert server.wait_for(lambda: all(len(server.messages(u)) >= 1 for u in (902, 903)), timeout=15)
            assert server.wait_for(lambda: any("推送完成" in (m.text or "") for m in server.messages(901)), 15)
        finally:
            bot.terminate()
            bot.wait(timeout=30)
        assert "要目" in (server.messages(902)[0].text or "")
        assert len(server.messages(902)) == 1
        with transaction(factory) as s:
            assert [p.state for p in PushRepository(s).in_state(PushState.DONE)] == ["done"]
        engine.dispose()
    capsys.readouterr()
    assert cli(config, "status", ref, "--once") == 0
    assert "done" in capsys.readouterr().out


def test_status_follows_a_running_push_with_a_progress_bar_at_a_terminal(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'tty.sqlite3'}"
    config = tmp_path / "bot.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n[logging]\nlevel = "WARNING"\n', encoding="utf-8")
    assert main(["--config", str(config), "import", str(SAMPLE)]) == 0
    engine, factory = open_database(db_url)
    now = dt.datetime.now(dt.UTC)
    with transaction(factory) as s:
        from storage.archive import IssueRepository
        from storage.push_models import DeliveryState
        from storage.push_repo import LedgerRepository, LedgerTarget, Outcome

        stored = IssueRepository(s).latest()
        assert stored is not None
        push = PushRepository(s).create(stored.id, now, now=now)
        PushRepository(s).claim(push.id, "elsewhere:1", now)
        ledger = LedgerRepository(s)
        ledger.materialize(push.id, [LedgerTarget(c, "private", "zh") for c in range(1, 9)], now)
        rows = ledger.rows(push.id)
        ledger.record([Outcome(r.id, DeliveryState.SENT, 1, message_id=1, sent_at=now) for r in rows[:3]], now)
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    env = {k: v for k, v in os.environ.items() if not k.startswith("BULLETIN_BOT_")}
    proc = subprocess.Popen([sys.executable, "-m", "bulletin_bot.cli", "--config", str(config), "status"],
                            stdout=terminal, stderr=terminal, env=env, cwd=ROOT)
    os.close(terminal)
    output = b""

    def read_some() -> None:
        nonlocal output
        while select.select([controller], [], [], 0.5)[0]:
            try:
                chunk = os.read(controller, 4096)
            except OSError:
                return
            if not chunk:
                return
            output += chunk

    for _ in range(60):
        read_some()
        if b"3/8" in output:
            break
    with transaction(factory) as s:
        assert PushRepository(s).finish(push.id, "elsewhere:1", dt.datetime.now(dt.UTC))
    proc.wait(timeout=30)
    read_some()
    os.close(controller)
    engine.dispose()
    text = output.decode(errors="replace")
    assert "running" in text and "sent 3  pending 5" in text
    assert "push #1" in text and "3/8" in text


def test_import_publish_imports_and_schedules_in_one_step(
    tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bot.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n[logging]\nlevel = "WARNING"\n', encoding="utf-8")
    assert main(["--config", str(config), "import", "--publish", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "added" in out and "scheduled at" in out and "09:00 (Asia/Shanghai)" in out
    assert main(["--config", str(config), "schedule"]) == 0
    assert "scheduled publish" in capsys.readouterr().out
