"""`bulletin-bot doctor`: check everything a running bot depends on, one line each: ✓, or what to do.

✗ is a failure (the exit code is 1 when there is one), ! something to know that does not stop the bot (no process
running yet, a holiday calendar that ends within the year, no Chinese font for charts).
"""

from __future__ import annotations

import argparse
import datetime as dt
import enum
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bulletin_bot.botapi import BotApi, BotApiError, BotApiUnreachable
from bulletin_bot.wording import count
from config import Config, ConfigError, config_file_warning, config_path

# Below this much free space a growing archive and SQLite's WAL file can fail to write.
DISK_LOW_BYTES = 1 << 30
DISK_FULL_BYTES = 100 << 20


NOT_RUNNING = "not running: nothing is pushed until `bulletin-bot run` starts (systemctl start bulletin-bot)"


class Mark(enum.Enum):
    OK = "✓"
    WARN = "!"
    FAIL = "✗"


@dataclass(frozen=True)
class Finding:
    """One line of the report: the mark, what was checked, and what was found (or what to do)."""

    mark: Mark
    what: str
    text: str

    def line(self) -> str:
        return f"{self.mark.value} {self.what}: {self.text}"


def ok(what: str, text: str) -> Finding:
    return Finding(Mark.OK, what, text)


def warn(what: str, text: str) -> Finding:
    return Finding(Mark.WARN, what, text)


def fail(what: str, text: str) -> Finding:
    return Finding(Mark.FAIL, what, text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """doctor has no options: it reads the config given by --config or $BULLETIN_BOT_CONFIG."""


def run(args: argparse.Namespace, load: Callable[[], Config]) -> int:
    """Print one line per check; exit 1 when any check failed."""
    try:
        config = load()
    except ConfigError as exc:
        print(fail("config", f"{exc}; fix it and run doctor again").line())
        return 1
    findings = [check_config(config, args.config)]
    print(findings[0].line(), flush=True)
    for check in (check_token, check_webhook, check_database, check_calendar, check_font, check_disk, check_bot):
        finding = check(config)
        print(finding.line(), flush=True)
        findings.append(finding)
    return 1 if any(f.mark is Mark.FAIL for f in findings) else 0


def check_config(config: Config, path: str | None) -> Finding:
    where = config_path(path)
    shown = str(where) if where is not None else "no config file (built-in defaults)"
    warning = config_file_warning(path)
    if warning:
        return fail("config", warning)
    if not config.telegram.token:
        return fail("config", f"{shown}: [telegram] token is empty; `bulletin-bot init` asks for it")
    if not config.access.admins:
        return warn("config", f"{shown}: no admins in [access] admins; send /whoami to the bot and add your id")
    return ok("config", f"{shown}, {count(len(config.access.admins), 'admin')}, "
                        f"{count(len(config.access.departments), 'department')}, {config.telegram.mode} mode")


def _api(config: Config) -> BotApi:
    return BotApi(config.telegram.api_base_url, config.telegram.token, timeout=10.0)


def check_token(config: Config) -> Finding:
    if not config.telegram.token:
        return fail("token", "none set; put the token from @BotFather into [telegram] token")
    try:
        me = _api(config).call("getMe")
    except BotApiError as exc:
        if exc.token_rejected:
            return fail("token", f"the Bot API rejected it ({exc.description}); get the right one from @BotFather")
        return fail("token", f"getMe failed ({exc}); try again later")
    except BotApiUnreachable as exc:
        return fail("token", f"cannot reach the Bot API at {config.telegram.api_base_url} ({exc}); "
                             "check the network or [telegram] api_base_url")
    return ok("token", f"the bot is @{me.get('username')} (id {me.get('id')})")


def check_webhook(config: Config) -> Finding:
    telegram = config.telegram
    if not telegram.token:
        return fail("webhook", "cannot check without a token")
    try:
        info = _api(config).call("getWebhookInfo")
    except (BotApiError, BotApiUnreachable) as exc:
        return fail("webhook", f"getWebhookInfo failed ({exc})")
    url = str(info.get("url") or "")
    pending = int(info.get("pending_update_count") or 0)
    waiting = f"{count(pending, 'update')} waiting"
    if info.get("last_error_date") and url:
        when = dt.datetime.fromtimestamp(int(info["last_error_date"]), config.tz).strftime("%Y-%m-%d %H:%M")
        return fail("webhook", f"Telegram's last delivery to {url} failed at {when}: {info.get('last_error_message')}"
                               f" ({waiting}); check the reverse proxy and that `bulletin-bot run` is up")
    if telegram.mode == "polling":
        if url:
            return warn("webhook", f"a webhook is set ({url}) but [telegram] mode is polling; `run` removes it "
                                   f"({waiting})")
        return ok("webhook", f"none set (polling mode), {waiting}")
    if not url:
        return warn("webhook", f"not set yet; `bulletin-bot run` sets it to {telegram.webhook_url} ({waiting})")
    if url != telegram.webhook_url:
        return fail("webhook", f"set to {url}, not to [telegram] webhook_url {telegram.webhook_url}; "
                               "`bulletin-bot run` sets it")
    return ok("webhook", f"{url}, {waiting}, no delivery error")


def _sqlite_file(config: Config) -> Path | None:
    """The SQLite database file of [database] url; None for PostgreSQL or an in-memory database."""
    from sqlalchemy import make_url

    url = make_url(config.database.url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def _shown_url(config: Config) -> str:
    from sqlalchemy import make_url

    return make_url(config.database.url).render_as_string(hide_password=True)


def check_database(config: Config) -> Finding:
    from sqlalchemy.exc import SQLAlchemyError

    from bulletin_bot.logs import one_line
    from storage.db import create_db_engine, schema_state

    shown = _shown_url(config)
    sqlite = _sqlite_file(config)
    if sqlite is not None and not sqlite.exists():
        if not sqlite.parent.is_dir():
            return fail("database", f"{sqlite.parent} does not exist; create it or change [database] url")
        return warn("database", f"{sqlite} does not exist yet; `bulletin-bot run` (or import) creates it")
    engine = create_db_engine(config.database.url)
    try:
        with engine.connect() as connection:
            state = schema_state(connection)
    except SQLAlchemyError as exc:
        return fail("database", f"cannot open {shown}: {one_line(getattr(exc, 'orig', None) or exc)}")
    finally:
        engine.dispose()
    if not state.known:
        return fail("database", f"{shown} is at revision {state.current}, which this version does not know "
                                "(made by a newer bulletin-bot?); install that version")
    if not state.up_to_date:
        return warn("database", f"{shown} is at revision {state.current or 'none'}, the newest is {state.head}; "
                                "`bulletin-bot run` migrates it at start")
    return ok("database", f"{shown}, migrated ({state.head})")


def check_calendar(config: Config, today: dt.date | None = None) -> Finding:
    from jobs.schedule import working_day

    start = today or dt.datetime.now(config.tz).date()
    unknown = sorted({
        day.year for day in (start + dt.timedelta(days=n) for n in range(366))
        if not working_day(day, config.push.calendar).from_calendar
    })
    if unknown:
        years = ", ".join(map(str, unknown))
        return warn("holiday calendar", f"{years} not known yet: default push times fall on Monday-Friday then; "
                                        f"enter the State Council's dates as [push] holidays and workdays, or "
                                        f"upgrade chinese-calendar")
    return ok("holiday calendar", f"known for the coming year (through {start + dt.timedelta(days=365)})")


def check_font(config: Config) -> Finding:
    from jobs.stats import cjk_font

    font = cjk_font()
    if font is None:
        return warn("font", "no Chinese font: /stats charts label departments D1, D2, … with a legend; install "
                            "one (Debian: apt-get install fonts-noto-cjk)")
    return ok("font", f"{font} for the /stats charts")


def check_disk(config: Config) -> Finding:
    sqlite = _sqlite_file(config)
    where = sqlite.parent if sqlite is not None else Path.cwd()
    while not where.exists() and where != where.parent:
        where = where.parent
    free = shutil.disk_usage(where).free
    text = f"{free / (1 << 30):.1f} GB free in {where}"
    if free < DISK_FULL_BYTES:
        return fail("disk", f"only {text}; free some space, or imports and pushes will fail")
    if free < DISK_LOW_BYTES:
        return warn("disk", f"only {text}; the archive and its backups need room")
    return ok("disk", text)


def check_bot(config: Config) -> Finding:
    from sqlalchemy.exc import SQLAlchemyError

    from jobs.leader import probe_leader
    from storage.db import create_db_engine

    sqlite = _sqlite_file(config)
    if sqlite is not None and not sqlite.exists():
        return warn("bot", NOT_RUNNING)
    engine = create_db_engine(config.database.url)
    try:
        probe = probe_leader(engine)
    except (SQLAlchemyError, OSError) as exc:
        return fail("bot", f"cannot tell whether it runs ({type(exc).__name__})")
    finally:
        engine.dispose()
    if probe.running:
        pid = f" (pid {probe.pid})" if probe.pid is not None else ""
        return ok("bot", f"a bot process is running and sends pushes{pid}")
    return warn("bot", NOT_RUNNING)

