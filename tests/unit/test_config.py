"""The config object: defaults, TOML loading, env overrides and errors that name the key."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from config import ConfigError, config_from_mapping, load_config
from config.values import format_duration, parse_duration

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_without_any_file() -> None:
    cfg = load_config(None, env={})
    assert cfg.database.url.startswith("sqlite:///")
    assert cfg.telegram.api_base_url == "https://api.telegram.org/bot"
    assert cfg.push.timezone == ZoneInfo("Asia/Shanghai") and cfg.tz == ZoneInfo("Asia/Shanghai")


def test_example_config_is_complete_and_valid() -> None:
    raw = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    cfg = config_from_mapping(raw, env={})
    # Every key of every section is documented in the example.
    from dataclasses import fields

    for section in fields(cfg):
        documented = set(raw[section.name])
        known = {f.name for f in fields(getattr(cfg, section.name))}
        assert documented == known, section.name


def test_env_overrides_token_and_database(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[telegram]\ntoken = "from-file"\n', encoding="utf-8")
    env = {"BULLETIN_BOT_TOKEN": "from-env", "BULLETIN_BOT_DATABASE_URL": "sqlite:///x.db"}
    cfg = load_config(path, env=env)
    assert cfg.telegram.token == "from-env"
    assert cfg.database.url == "sqlite:///x.db"


def test_config_path_from_env(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[access]\nadmins = [42]\n', encoding="utf-8")
    assert load_config(None, env={"BULLETIN_BOT_CONFIG": str(path)}).access.admins == (42,)


@pytest.mark.parametrize(
    ("toml", "named"),
    [
        ('[telegram]\ntokn = "x"\n', "telegram.tokn"),
        ("[databse]\n", "[databse]"),
        ('[push]\nrate_per_second = "fast"\n', "push.rate_per_second"),
        ("[push]\nopen_requests = 0\n", "push.open_requests"),
        ('[push]\nholidays = ["2027-02-30"]\n', "push.holidays"),
        ('[push]\nworkdays = [20270207]\n', "push.workdays"),
        ("[push]\nopen_requests = 1000\n", "push.open_requests"),
        ('[push]\ntimezone = "Mars/Olympus"\n', "push.timezone"),
        ('[push]\ndefault_time = "9 o\'clock"\n', "push.default_time"),
        ('[push]\nmisfire_grace = "soon"\n', "push.misfire_grace"),
        ('[access]\nadmins = ["alice"]\n', "access.admins[0]"),
        ('[access]\nmode = "closed"\n', "access.mode"),
        ('[network]\nallow_private = "yes"\n', "network.allow_private"),
        ("[network]\nallow_privat = true\n", "network.allow_privat"),
        ('[telegram]\nmode = "webhook"\n', "telegram.webhook_url"),
        ("[telegram]\nlisten_port = true\n", "telegram.listen_port"),
    ],
)
def test_invalid_key_is_named(tmp_path: Path, toml: str, named: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert named in str(info.value)


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml", env={})
    bad = tmp_path / "bad.toml"
    bad.write_text("[telegram\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(bad, env={})


def test_cli_reports_config_error_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[push]\nrate_per_second = -1\n', encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "bulletin_bot.cli", "--config", str(path), "issues"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "bulletin-bot: config error: push.rate_per_second: must be greater than 0"
    ]


@pytest.mark.parametrize("key", ["access.invite_ttl", "push.misfire_grace", "push.remind_after"])
def test_a_duration_without_a_unit_is_refused_naming_the_key(tmp_path: Path, key: str) -> None:
    # A bare "3600" used to pass here and then mean 7 days to /invite: a duration always has its unit.
    section, name = key.split(".")
    path = tmp_path / "c.toml"
    path.write_text(f'[{section}]\n{name} = "3600"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert str(info.value) == f"{key}: '3600' has no unit; write for example '3600s', '60m', '12h' or '7d'"
    path.write_text(f"[{section}]\n{name} = 3600\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert str(info.value) == f"{key}: expected a duration such as '12h', '30m' or '45s', got 3600"


def test_durations_are_typed_at_load(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[access]\ninvite_ttl = "90m"\n[push]\nmisfire_grace = "1.5h"\nremind_after = "0"\n',
                    encoding="utf-8")
    cfg = load_config(path, env={})
    assert cfg.access.invite_ttl == dt.timedelta(minutes=90)
    assert cfg.push.misfire_grace == dt.timedelta(hours=1, minutes=30)
    assert cfg.push.remind_after == dt.timedelta(0) and cfg.push.remind_after_delta is None
    defaults = load_config(None, env={})
    assert (defaults.access.invite_ttl, defaults.push.misfire_grace, defaults.push.remind_after) == (
        dt.timedelta(days=7), dt.timedelta(hours=12), dt.timedelta(hours=24)
    )


def test_times_zones_and_dates_are_typed_at_load(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[push]\ntimezone = "Europe/Berlin"\ndefault_time = "07:30"\n'
                    'holidays = ["2027-02-08..2027-02-10", "2027-05-01"]\nworkdays = ["2027-02-07"]\n',
                    encoding="utf-8")
    push = load_config(path, env={}).push
    assert push.timezone == ZoneInfo("Europe/Berlin")
    assert push.default_time == dt.time(7, 30)
    assert push.holidays == {dt.date(2027, 2, 8), dt.date(2027, 2, 9), dt.date(2027, 2, 10), dt.date(2027, 5, 1)}
    assert push.workdays == {dt.date(2027, 2, 7)}
    assert (push.calendar.holidays, push.calendar.workdays) == (push.holidays, push.workdays)
    defaults = load_config(None, env={}).push
    assert (defaults.timezone, defaults.default_time, defaults.holidays, defaults.workdays) == (
        ZoneInfo("Asia/Shanghai"), dt.time(9, 0), frozenset(), frozenset()
    )


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('timezone = "Mars/Olympus"', "push.timezone: unknown time zone 'Mars/Olympus'"),
        # A directory of the time zone database ("Asia") used to escape as IsADirectoryError, a traceback at start.
        ('timezone = "Asia"', "push.timezone: unknown time zone 'Asia'"),
        ("timezone = 8", "push.timezone: expected a string, got 8"),
        ('default_time = "9 o\'clock"', "push.default_time: \"9 o'clock\" is not a time such as '09:00'"),
        ('default_time = "25:00"', "push.default_time: '25:00' is not a time such as '09:00'"),
        ("default_time = 9", "push.default_time: expected a string, got 9"),
        ('holidays = "2027-02-08"', "push.holidays: expected a list, got str"),
        ("workdays = [20270207]", "push.workdays[0]: expected a string, got 20270207"),
        ('holidays = ["2027-02-30"]',
         "push.holidays: '2027-02-30' is not a date such as \"2027-02-06\" or a range \"2027-02-06..2027-02-12\""),
        ('holidays = ["2027-02-07"]\nworkdays = ["2027-02-06..2027-02-08"]',
         "push.holidays and push.workdays both list 2027-02-07"),
    ],
)
def test_a_bad_time_zone_time_or_date_is_refused_naming_the_key(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f"[push]\n{toml}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (dt.timedelta(0), "0"),
        (dt.timedelta(days=7), "7d"),
        (dt.timedelta(hours=12), "12h"),
        (dt.timedelta(minutes=90), "90m"),
        (dt.timedelta(seconds=45), "45s"),
        (dt.timedelta(seconds=1.5), "1.5s"),
    ],
)
def test_a_duration_is_written_as_the_loader_reads_it_back(duration: dt.timedelta, text: str) -> None:
    # `bulletin-bot init` writes the typed defaults back to TOML through this.
    assert format_duration(duration) == text
    assert parse_duration(text) == duration


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://bot.example.org/hook", "Telegram only delivers updates over https"),
        ("https://bot.example.org:8080/hook", "ports 80, 88, 443 or 8443, got 8080"),
        ("bot.example.org/hook", "must be an https:// URL with a host name"),
        ("https://bot.example.org:99999/hook", "not a valid URL"),
    ],
)
def test_a_webhook_url_telegram_would_refuse_is_named_at_start(url: str, problem: str) -> None:
    raw = {"telegram": {"mode": "webhook", "webhook_url": url, "secret_token": "s3cret_token"}}
    with pytest.raises(ConfigError) as info:
        config_from_mapping(raw, env={})
    assert str(info.value).startswith("telegram.webhook_url: ") and problem in str(info.value)


@pytest.mark.parametrize("port", ["", ":80", ":88", ":443", ":8443"])
def test_webhook_urls_telegram_accepts(port: str) -> None:
    raw = {"telegram": {"mode": "webhook", "webhook_url": f"https://bot.example.org{port}/hook",
                        "secret_token": "s3cret_token"}}
    assert config_from_mapping(raw, env={}).telegram.webhook_url.endswith("/hook")


def test_a_self_hosted_bot_api_server_may_take_http_webhooks() -> None:
    """telegram-bot-api --local allows http and any port; a server that refuses says so when the bot sets it."""
    raw = {"telegram": {"mode": "webhook", "webhook_url": "http://127.0.0.1:8080/hook", "secret_token": "s3cret",
                        "api_base_url": "http://127.0.0.1:8081/bot"}}
    assert config_from_mapping(raw, env={}).telegram.webhook_url == "http://127.0.0.1:8080/hook"
