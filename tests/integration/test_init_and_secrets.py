"""`bulletin-bot init`, the webhook secret's format, and files holding private data: created readable by their
owner only, and a warning when the config file holding the token is not."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from config import Config, ConfigError, config_from_mapping, load_config


def bulletin_bot(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("BULLETIN_BOT_")}
    return subprocess.run(
        [sys.executable, "-m", "bulletin_bot.cli", *args], capture_output=True, text=True, encoding="utf-8",
        cwd=cwd, env={**base, **(env or {})}, timeout=120, check=False,
    )


@pytest.fixture
def wide_umask() -> Iterator[None]:
    """The usual umask 022, under which files are created readable by everyone unless the code says otherwise."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


# ---------------------------------------------------------------------------------------------------- init


def test_init_writes_a_private_config_with_the_defaults_and_a_fresh_secret(tmp_path: Path) -> None:
    result = bulletin_bot(tmp_path, "init")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "Wrote config.toml (readable by you only) with a fresh webhook secret.\n"
        "Next: put the bot token from @BotFather into [telegram] token, your Telegram user id into [access] admins "
        "and the departments into [access] departments, then start the bot:\n"
        "    bulletin-bot --config config.toml run\n"
    )
    path = tmp_path / "config.toml"
    assert mode(path) == 0o600
    cfg = load_config(path, env={})
    secret = cfg.telegram.secret_token
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", secret)
    # everything else is the built-in default; the database next to the config file, not in the working directory
    assert cfg == replace(Config(), telegram=replace(Config().telegram, secret_token=secret),
                          database=replace(Config().database, url=f"sqlite:///{tmp_path / 'bulletin-bot.sqlite3'}"))

    other = bulletin_bot(tmp_path, "init", "second.toml")
    assert other.returncode == 0
    assert load_config(tmp_path / "second.toml", env={}).telegram.secret_token != secret


def test_init_never_overwrites_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('[telegram]\ntoken = "123:keep-me"\n', encoding="utf-8")
    result = bulletin_bot(tmp_path, "init", "mine.toml")
    assert result.returncode == 1
    assert result.stderr == "bulletin-bot init: mine.toml already exists; not overwriting it (choose another PATH)\n"
    assert path.read_text(encoding="utf-8") == '[telegram]\ntoken = "123:keep-me"\n'


def test_a_config_written_by_init_runs_in_webhook_mode_once_the_url_is_set(tmp_path: Path) -> None:
    assert bulletin_bot(tmp_path, "init").returncode == 0
    path = tmp_path / "config.toml"
    text = path.read_text(encoding="utf-8").replace('mode = "polling"', 'mode = "webhook"').replace(
        'webhook_url = ""', 'webhook_url = "https://bot.example.org/hook"'
    )
    path.write_text(text, encoding="utf-8")
    cfg = load_config(path, env={})
    assert (cfg.telegram.mode, cfg.telegram.webhook_url) == ("webhook", "https://bot.example.org/hook")


# ------------------------------------------------------------------------------------------ secret format


@pytest.mark.parametrize("secret", ["a", "A-z_0-9", "x" * 256])
def test_secret_tokens_in_telegrams_format_are_accepted(secret: str) -> None:
    cfg = config_from_mapping({"telegram": {"secret_token": secret}}, env={})
    assert cfg.telegram.secret_token == secret


@pytest.mark.parametrize(("secret", "detail"), [
    ("x" * 257, "got 257 characters"),
    ("has space", "got 9 characters with others among them"),
    ("密钥", "got 2 characters with others among them"),
    ("a.b", "got 3 characters with others among them"),
])
def test_secret_tokens_outside_telegrams_format_stop_the_program(secret: str, detail: str) -> None:
    with pytest.raises(ConfigError) as error:
        config_from_mapping({"telegram": {"secret_token": secret}}, env={})
    assert str(error.value) == (
        f"telegram.secret_token: must be 1-256 characters of A-Z a-z 0-9 _ - (Telegram's rule), {detail}"
    )


def test_webhook_mode_in_the_config_requires_a_secret() -> None:
    with pytest.raises(ConfigError) as error:
        config_from_mapping({"telegram": {"mode": "webhook", "webhook_url": "https://bot.example.org/h"}}, env={})
    assert str(error.value).startswith("telegram.secret_token: required in webhook mode")
    assert "`bulletin-bot init` writes a config with one" in str(error.value)


# --------------------------------------------------------------------------------------------- file modes


def test_the_sqlite_database_is_created_readable_by_its_owner_only(tmp_path: Path, wide_umask: None) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "bot.sqlite3"}"\n', encoding="utf-8")
    os.chmod(config, 0o600)
    result = bulletin_bot(tmp_path, "--config", str(config), "issues")
    assert result.returncode == 0, result.stderr
    assert mode(tmp_path / "bot.sqlite3") == 0o600
    # SQLite gives its WAL and shared-memory files the database's mode
    for companion in tmp_path.glob("bot.sqlite3-*"):
        assert mode(companion) == 0o600, companion


def test_the_subscribers_csv_export_is_readable_by_its_owner_only(tmp_path: Path, wide_umask: None) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "bot.sqlite3"}"\n', encoding="utf-8")
    fresh = bulletin_bot(tmp_path, "--config", str(config), "subscribers", "--csv", "fresh.csv")
    assert fresh.returncode == 0, fresh.stderr
    assert mode(tmp_path / "fresh.csv") == 0o600
    old = tmp_path / "old.csv"
    old.write_text("stale\n", encoding="utf-8")
    os.chmod(old, 0o644)
    again = bulletin_bot(tmp_path, "--config", str(config), "subscribers", "--csv", "old.csv")
    assert again.returncode == 0, again.stderr
    assert mode(old) == 0o600
    assert "stale" not in old.read_text(encoding="utf-8-sig")


def test_a_config_with_the_token_readable_by_others_gets_a_warning(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[telegram]\ntoken = "123:abc"\n[database]\nurl = "sqlite:///{tmp_path / "bot.sqlite3"}"\n', encoding="utf-8"
    )
    os.chmod(config, 0o644)
    shared = bulletin_bot(tmp_path, "--config", str(config), "issues")
    assert shared.returncode == 0
    assert re.fullmatch(
        r"\S+ \S+ WARNING bulletin_bot: " + re.escape(f"{config} holds the bot token; other users may read it "
                                                      f"(mode 0644); make it private: chmod 600 {config}") + "\n",
        shared.stderr.splitlines(keepends=True)[0],
    )
    os.chmod(config, 0o600)
    private = bulletin_bot(tmp_path, "--config", str(config), "issues")
    assert private.returncode == 0
    assert "other users may read it" not in private.stderr
    # through BULLETIN_BOT_CONFIG as well
    os.chmod(config, 0o640)
    by_env = bulletin_bot(tmp_path, "issues", env={"BULLETIN_BOT_CONFIG": str(config)})
    assert f"{config} holds the bot token; other users may read it (mode 0640)" in by_env.stderr


def test_a_readable_config_without_secrets_gets_no_warning(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "bot.sqlite3"}"\n', encoding="utf-8")
    os.chmod(config, 0o644)
    result = bulletin_bot(tmp_path, "--config", str(config), "issues")
    assert result.returncode == 0
    assert "other users may read it" not in result.stderr


# ----------------------------------------------------------------------------------------------------- logs


def test_the_token_and_secret_are_masked_in_messages_arguments_and_tracebacks() -> None:
    import io
    import logging

    from bulletin_bot.logs import SecretMask, token_mask

    token, secret = "123456:AAE-secret_token-part", "webhook_Secret-1"
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(SecretMask([(token, token_mask(token)), (secret, "***")]))
    logger = logging.getLogger("test.secret-mask")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("POST %s/bot%s/getMe with %r", "https://api.telegram.org", token, {"secret_token": secret})
        logger.warning("percent-encoded: /bot123456%3AAAE-secret_token-part/getMe")
        try:
            raise RuntimeError(f"cannot reach https://api.telegram.org/bot{token}/getUpdates")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    lines = out.getvalue().splitlines()
    assert lines[0] == "POST https://api.telegram.org/bot123456:***/getMe with {'secret_token': '***'}"
    assert lines[1] == "percent-encoded: /bot123456:***/getMe"
    assert lines[-1] == "RuntimeError: cannot reach https://api.telegram.org/bot123456:***/getUpdates"
    assert "AAE-secret_token-part" not in out.getvalue() and secret not in out.getvalue()
