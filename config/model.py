"""The one configuration object, loaded from TOML, parsed into typed values at load and passed down explicitly.

Every value a caller reads is already typed: durations are timedeltas, [push] default_time a datetime.time,
timezone a ZoneInfo, holidays and workdays sets of dates. A wrong key or value stops the program at start with a
message that names the key (`push.rate_per_second: must be greater than 0`).

Why a hand-written parser rather than pydantic v2 or msgspec: neither is installed (not even as a transitive
dependency), and neither would let us drop much code. Both report errors in their own words ("Input should be
greater than 0", "Expected `float` > 0.0 - at `$.push.rate_per_second`", "Extra inputs are not permitted"), so
keeping the messages operators see (and tests/unit/test_config.py pins) would mean translating every error type back;
durations need a custom parser either way (a bare "3600" is refused, not read as seconds); and pydantic adds an
import of ~80 ms (msgspec ~30 ms) and a compiled dependency to every start of the CLI. The coercion below is ~60
lines over the dataclasses' type hints.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from config.values import CalendarOverrides, ScheduleError, checked_overrides, parse_days, parse_duration

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"

# Telegram's rule for setWebhook's secret_token, sent back in every update's X-Telegram-Bot-Api-Secret-Token header.
SECRET_TOKEN_FORMAT = re.compile(r"[A-Za-z0-9_-]{1,256}")

# Without a secret anyone who can reach the webhook URL could post updates that claim to come from an admin.
MISSING_SECRET = (
    "telegram.secret_token: required in webhook mode, or anyone who can reach the webhook URL can send the bot "
    "updates in an admin's name. `bulletin-bot init` writes a config with one; or generate one with "
    "python3 -c 'import secrets; print(secrets.token_urlsafe(32))' (1-256 characters of A-Z a-z 0-9 _ -)"
)


class ConfigError(Exception):
    """The configuration is missing, unreadable or has an invalid key; the message names the key."""


@dataclass(frozen=True)
class TelegramConfig:
    token: str = ""
    api_base_url: str = DEFAULT_API_BASE_URL
    mode: str = "polling"
    webhook_url: str = ""
    listen_host: str = "127.0.0.1"
    listen_port: int = 8443
    secret_token: str = ""
    poll_timeout: int = 30


# The SQLite file's name when [database] url is not set: next to the config file, or in the user's data directory.
DEFAULT_DATABASE_NAME = "bulletin-bot.sqlite3"

# A SQLite URL and its path ("sqlite:///relative.db", "sqlite+pysqlite:////abs/path.db?mode=ro").
_SQLITE_URL = re.compile(r"(?P<scheme>sqlite(?:\+\w+)?:///)(?P<path>[^?]*)(?P<query>\?.*)?", re.DOTALL)


@dataclass(frozen=True)
class DatabaseConfig:
    # A relative SQLite path is read relative to the config file's directory (see resolve_sqlite_path).
    url: str = f"sqlite:///{DEFAULT_DATABASE_NAME}"


@dataclass(frozen=True)
class AccessConfig:
    admins: tuple[int, ...] = ()
    departments: tuple[str, ...] = ()
    mode: str = "open"
    # Updates (commands, texts, files, button presses) one user may send per minute (0 = no limit).
    rate_limit_per_minute: int = 20
    # Default lifetime of an /invite link.
    invite_ttl: dt.timedelta = dt.timedelta(days=7)


@dataclass(frozen=True)
class PushConfig:
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    default_time: dt.time = dt.time(9, 0)
    misfire_grace: dt.timedelta = dt.timedelta(hours=12)
    rate_per_second: float = 30.0
    paid_broadcast: bool = False
    # Requests a push keeps open at once. A paid broadcast needs about 1000/s x the round trip to Telegram.
    open_requests: int = 32
    remind_after: dt.timedelta = dt.timedelta(hours=24)
    # Days off and make-up working days the holiday package does not know yet ("2027-02-06..2027-02-12").
    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()

    @property
    def calendar(self) -> CalendarOverrides:
        """holidays and workdays as the scheduler reads them (checked at load: no day in both)."""
        return CalendarOverrides(self.holidays, self.workdays)

    @property
    def remind_after_delta(self) -> dt.timedelta | None:
        """remind_after as a duration; None when it is 0 (no reminders)."""
        return self.remind_after if self.remind_after > dt.timedelta(0) else None


@dataclass(frozen=True)
class PublishConfig:
    approval: bool = False
    max_upload_mb: float = 20.0
    url_timeout: float = 20.0
    url_max_mb: float = 20.0


@dataclass(frozen=True)
class NetworkConfig:
    # true: URLs people send may lead to loopback, private, link-local or reserved addresses (tests, a closed
    # office network). false (default): such URLs are refused, on every redirect.
    allow_private: bool = False


WATCH_MODES = ("preview", "publish")
WATCH_KINDS = ("auto", "index", "feed", "document")


@dataclass(frozen=True)
class WatchSourceConfig:
    """One [[watch.sources]] entry: a page, feed or document URL the bot watches (synced into the database at start)."""

    url: str = ""
    every: dt.timedelta = dt.timedelta(minutes=30)
    match: str = ""
    mode: str = "preview"
    kind: str = "auto"


@dataclass(frozen=True)
class WatchConfig:
    """[watch]: the website watch (jobs/watch.py)."""

    enabled: bool = True
    # Largest index page, feed or document fetched, in MB.
    max_mb: float = 20.0
    # Seconds for one request (connect, each read and the whole body).
    timeout: float = 20.0
    # Failures in a row before the admins are told (once; and again when the source recovers).
    alert_after: int = 3
    # The longest a failing source waits between polls (its backoff doubles up to this).
    max_backoff: dt.timedelta = dt.timedelta(hours=6)
    # How often the leader looks for sources due a poll.
    check_every: dt.timedelta = dt.timedelta(seconds=30)
    # Least time between two requests to one host.
    per_host_interval: dt.timedelta = dt.timedelta(seconds=1)
    sources: tuple[WatchSourceConfig, ...] = ()


@dataclass(frozen=True)
class SearchConfig:
    # Groups of words that mean the same ([["固废", "固体废物"], ["河长", "河湖长"]]): a search for one finds the
    # others too, and a search without hits suggests them.
    synonyms: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class WebConfig:
    # The web reader (web/): `bulletin-bot web`, or inside `bulletin-bot run` when enabled.
    enabled: bool = False
    # false: every page needs a subscriber; true: issues that are not internal are served to anyone.
    public: bool = False
    # The reader's public https address: Mini App buttons, sign-in links and inline results point here.
    base_url: str = ""
    listen_host: str = "127.0.0.1"
    listen_port: int = 8080
    # How old a Mini App's initData (its auth_date) may be before it is refused as stale.
    init_data_max_age: dt.timedelta = dt.timedelta(hours=24)
    # Lifetime of a /web sign-in link, and of the browser session it opens.
    signin_ttl: dt.timedelta = dt.timedelta(minutes=15)
    session_ttl: dt.timedelta = dt.timedelta(days=30)


@dataclass(frozen=True)
class LoggingConfig:
    level: str = "INFO"


@dataclass(frozen=True)
class PublicationConfig:
    """One `[publications."MASTHEAD"]` table: the short name chat and CLI call it by, and whether new subscribers
    get it."""

    masthead: str
    name: str = ""
    default: bool = True


# A short name is one word of chat input (`/issue 专报 3`): no spaces, and not a number or date an issue reference
# could be.
_PUBLICATION_NAME = re.compile(r"[^\s]{1,20}")
_LOOKS_LIKE_REF = re.compile(r"#?[0-9][0-9-]*")


def _publications(raw: Any) -> tuple[PublicationConfig, ...]:
    """[publications]: a table per masthead (or alias), each with an optional name and default."""
    if not isinstance(raw, Mapping):
        raise ConfigError("[publications]: expected a table of mastheads")
    entries: list[PublicationConfig] = []
    names: dict[str, str] = {}
    for masthead, table in raw.items():
        key = f'publications."{masthead}"'
        if not masthead.strip():
            raise ConfigError(f"{key}: the masthead must not be empty")
        if not isinstance(table, Mapping):
            raise ConfigError(f"{key}: expected a table such as {{ name = \"专报\", default = true }}")
        hints = get_type_hints(PublicationConfig)
        for field_name in table:
            if field_name not in ("name", "default"):
                raise ConfigError(f"{key}.{field_name}: unknown key (known keys: default, name)")
        values = {k: _coerce(v, hints[k], f"{key}.{k}") for k, v in table.items()}
        entry = PublicationConfig(masthead=masthead.strip(), **values)
        if entry.name and (not _PUBLICATION_NAME.fullmatch(entry.name) or _LOOKS_LIKE_REF.fullmatch(entry.name)):
            raise ConfigError(
                f"{key}.name: must be 1-20 characters without spaces and not a number, got {entry.name!r}"
            )
        if entry.name and entry.name in names:
            raise ConfigError(f"{key}.name: {entry.name!r} already names {names[entry.name]}")
        names[entry.name] = masthead
        entries.append(entry)
    return tuple(entries)


@dataclass(frozen=True)
class Config:
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    access: AccessConfig = field(default_factory=AccessConfig)
    push: PushConfig = field(default_factory=PushConfig)
    publish: PublishConfig = field(default_factory=PublishConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    search: SearchConfig = field(default_factory=SearchConfig)
    watch: WatchConfig = field(default_factory=WatchConfig)
    web: WebConfig = field(default_factory=WebConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    # [publications]: short names and defaults per masthead; empty: every masthead is named by itself, on for all.
    publications: tuple[PublicationConfig, ...] = ()

    @property
    def tz(self) -> ZoneInfo:
        """[push] timezone."""
        return self.push.timezone


def _coerce(value: Any, hint: Any, key: str) -> Any:
    origin = get_origin(hint)
    if isinstance(hint, type) and is_dataclass(hint):  # an array of tables, e.g. [[watch.sources]]
        return _section(hint, value, key)
    if origin is tuple:
        (item_type, _ellipsis) = get_args(hint)
        if not isinstance(value, list):
            raise ConfigError(f"{key}: expected a list, got {type(value).__name__}")
        return tuple(_coerce(v, item_type, f"{key}[{i}]") for i, v in enumerate(value))
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{key}: expected a number, got {value!r}")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: expected an integer, got {value!r}")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: expected true or false, got {value!r}")
        return value
    if hint is dt.timedelta:
        # Durations are parsed here, once, by the one parser (jobs.schedule.parse_duration).
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a duration such as '12h', '30m' or '45s', got {value!r}")
        try:
            return parse_duration(value)
        except ScheduleError as exc:
            raise ConfigError(f"{key}: {exc}") from None
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a string, got {value!r}")
        return value
    if hint is ZoneInfo:
        try:
            return ZoneInfo(_coerce(value, str, key))
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a directory of the database, e.g. "Asia"
            raise ConfigError(f"{key}: unknown time zone {value!r}") from None
    if hint is dt.time:
        try:
            return dt.time.fromisoformat(_coerce(value, str, key))
        except ValueError:
            raise ConfigError(f"{key}: {value!r} is not a time such as '09:00'") from None
    if origin is frozenset and get_args(hint) == (dt.date,):
        # A list of "2027-02-06" dates and "2027-02-06..2027-02-12" ranges ([push] holidays / workdays).
        items = _coerce(value, tuple[str, ...], key)
        try:
            return parse_days(items, key)
        except ScheduleError as exc:
            raise ConfigError(str(exc)) from None
    raise ConfigError(f"{key}: unsupported value {value!r}")  # pragma: no cover


def _section(cls: type, raw: Any, name: str) -> Any:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"[{name}]: expected a table")
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    for key in raw:
        if key not in known:
            raise ConfigError(f"{name}.{key}: unknown key (known keys: {', '.join(sorted(known))})")
    return cls(**{k: _coerce(v, hints[k], f"{name}.{k}") for k, v in raw.items()})


# The ports Telegram delivers webhooks to (telegram-bot-api's WebhookActor::start_up, without --local).
WEBHOOK_PORTS = (80, 88, 443, 8443)


def webhook_url_problem(url: str, api_base_url: str) -> str | None:
    """What is wrong with [telegram] webhook_url URL, naming the key, or None. On Telegram's own servers
    (API_BASE_URL is the default) setWebhook refuses plain http and ports other than 80, 88, 443 and 8443; a
    self-hosted Bot API server started with --local accepts both, so there only the form is checked."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return f"telegram.webhook_url: not a valid URL: {url!r}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"telegram.webhook_url: must be an https:// URL with a host name, got {url!r}"
    if api_base_url.rstrip("/") != DEFAULT_API_BASE_URL:
        return None
    if parts.scheme != "https":
        return f"telegram.webhook_url: Telegram only delivers updates over https, got {url!r}"
    if (port or 443) not in WEBHOOK_PORTS:
        return (
            f"telegram.webhook_url: Telegram only delivers updates to ports 80, 88, 443 or 8443, got {port} in "
            f"{url!r}"
        )
    return None


def _validate(cfg: Config) -> None:
    if cfg.telegram.mode not in ("polling", "webhook"):
        raise ConfigError(f"telegram.mode: must be 'polling' or 'webhook', got {cfg.telegram.mode!r}")
    if cfg.telegram.mode == "webhook" and not cfg.telegram.webhook_url:
        raise ConfigError("telegram.webhook_url: required when telegram.mode = 'webhook'")
    if cfg.telegram.webhook_url:
        problem = webhook_url_problem(cfg.telegram.webhook_url, cfg.telegram.api_base_url)
        if problem is not None:
            raise ConfigError(problem)
    secret = cfg.telegram.secret_token
    if secret and not SECRET_TOKEN_FORMAT.fullmatch(secret):
        raise ConfigError(
            f"telegram.secret_token: must be 1-256 characters of A-Z a-z 0-9 _ - (Telegram's rule), got {len(secret)} "
            "characters" + ("" if len(secret) > 256 else " with others among them")
        )
    if cfg.telegram.mode == "webhook" and not secret:
        raise ConfigError(MISSING_SECRET)
    if not cfg.database.url:
        raise ConfigError("database.url: must not be empty")
    if cfg.access.mode not in ("open", "invite", "approval"):
        raise ConfigError(f"access.mode: must be 'open', 'invite' or 'approval', got {cfg.access.mode!r}")
    if cfg.access.invite_ttl <= dt.timedelta(0):
        raise ConfigError("access.invite_ttl: must be greater than 0")
    if cfg.access.rate_limit_per_minute < 0:
        raise ConfigError("access.rate_limit_per_minute: must be 0 (no limit) or more")
    if cfg.push.rate_per_second <= 0:
        raise ConfigError("push.rate_per_second: must be greater than 0")
    if not 1 <= cfg.push.open_requests <= 256:
        raise ConfigError("push.open_requests: must be between 1 and 256")
    try:
        checked_overrides(cfg.push.holidays, cfg.push.workdays)
    except ScheduleError as exc:
        raise ConfigError(str(exc)) from None
    if not 0 < cfg.publish.max_upload_mb <= 20:
        raise ConfigError("publish.max_upload_mb: must be greater than 0 and at most 20 (the Bot API's download limit)")
    if cfg.publish.url_timeout <= 0:
        raise ConfigError("publish.url_timeout: must be greater than 0")
    if cfg.publish.url_max_mb <= 0:
        raise ConfigError("publish.url_max_mb: must be greater than 0")
    _validate_synonyms(cfg.search.synonyms)
    _validate_watch(cfg.watch)
    _validate_web(cfg.web)
    if cfg.logging.level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ConfigError(f"logging.level: unknown level {cfg.logging.level!r}")


# Bounds on [search] synonyms: each word widens every search that contains it, so the lists stay small.
MAX_SYNONYM_GROUPS = 500
MAX_SYNONYM_WORD = 20


def _validate_synonyms(groups: tuple[tuple[str, ...], ...]) -> None:
    if len(groups) > MAX_SYNONYM_GROUPS:
        raise ConfigError(f"search.synonyms: at most {MAX_SYNONYM_GROUPS} groups, got {len(groups)}")
    for i, group in enumerate(groups):
        key = f"search.synonyms[{i}]"
        if not 2 <= len(group) <= 8:
            raise ConfigError(f"{key}: a group lists 2 to 8 words that mean the same, got {len(group)}")
        for j, word in enumerate(group):
            if not word or len(word) > MAX_SYNONYM_WORD or any(c.isspace() for c in word):
                raise ConfigError(
                    f"{key}[{j}]: a word of 1 to {MAX_SYNONYM_WORD} characters without spaces, got {word!r}"
                )
            if not any(c.isalnum() for c in word):
                raise ConfigError(f"{key}[{j}]: {word!r} has no letter or digit, so no search can use it")


def user_data_dir() -> Path:
    """Where the database lives when no config file is given (~/.local/share/bulletin-bot on Linux)."""
    import platformdirs  # late: only a command run without a config file needs it

    return Path(platformdirs.user_data_dir("bulletin-bot", appauthor=False))


def resolve_sqlite_path(url: str, base_dir: Path) -> str:
    """URL with a relative SQLite path made absolute against BASE_DIR; other URLs unchanged.

    Without this a config's "sqlite:///bulletin-bot.sqlite3" would be opened in whatever directory a command
    happens to run in, and `cd /tmp && bulletin-bot run` would start on an empty archive.
    """
    m = _SQLITE_URL.fullmatch(url)
    if m is None:
        return url
    path = m["path"]
    if not path or path == ":memory:" or path.startswith("file:") or Path(path).is_absolute():
        return url
    return f"{m['scheme']}{(base_dir / path).resolve()}{m['query'] or ''}"


def _validate_watch(watch: WatchConfig) -> None:
    if watch.max_mb <= 0:
        raise ConfigError("watch.max_mb: must be greater than 0")
    if watch.timeout <= 0:
        raise ConfigError("watch.timeout: must be greater than 0")
    if watch.alert_after < 1:
        raise ConfigError("watch.alert_after: must be 1 or more")
    if watch.check_every < dt.timedelta(seconds=1):
        raise ConfigError("watch.check_every: must be at least 1s")
    seen: set[str] = set()
    for i, source in enumerate(watch.sources):
        key = f"watch.sources[{i}]"
        scheme = urlsplit(source.url).scheme.lower()
        if scheme not in ("http", "https") or not urlsplit(source.url).hostname:
            raise ConfigError(f"{key}.url: must be an http or https URL, got {source.url!r}")
        if source.url in seen:
            raise ConfigError(f"{key}.url: listed twice")
        seen.add(source.url)
        if source.every < dt.timedelta(seconds=1):
            raise ConfigError(f"{key}.every: must be at least 1s")
        if source.mode not in WATCH_MODES:
            raise ConfigError(f"{key}.mode: must be 'preview' or 'publish', got {source.mode!r}")
        if source.kind not in WATCH_KINDS:
            raise ConfigError(f"{key}.kind: must be one of {', '.join(WATCH_KINDS)}, got {source.kind!r}")
        if source.match:
            try:
                re.compile(source.match)
            except re.error as exc:
                raise ConfigError(f"{key}.match: not a regular expression: {exc}") from None


def _validate_web(web: WebConfig) -> None:
    if web.base_url:
        parts = urlsplit(web.base_url)
        host = parts.hostname or ""
        # Telegram opens Mini Apps only over https; plain http is accepted for a loopback address (tests, a demo),
        # whose 阅读 buttons are then plain links (bot/common/keyboards.py).
        loopback = parts.scheme == "http" and host in ("127.0.0.1", "::1")
        if not (parts.scheme == "https" and host) and not loopback:
            raise ConfigError(f"web.base_url: must be an https:// address (Telegram's rule for Mini Apps), got "
                              f"{web.base_url!r}")
        if "." not in host and ":" not in host:
            # TDLib's LinkManager::check_link refuses every button link to such a host ("Wrong HTTP URL").
            raise ConfigError(f"web.base_url: Telegram refuses links to a host name without a dot (use 127.0.0.1 "
                              f"for this machine), got {web.base_url!r}")
        if parts.query or parts.fragment:
            raise ConfigError("web.base_url: must have no query or fragment")
    if not 0 < web.listen_port < 65536:
        raise ConfigError("web.listen_port: must be between 1 and 65535")
    for key in ("init_data_max_age", "signin_ttl", "session_ttl"):
        if getattr(web, key) <= dt.timedelta(0):
            raise ConfigError(f"web.{key}: must be greater than 0")


def config_from_mapping(
    raw: Mapping[str, Any], env: Mapping[str, str] | None = None, *, base_dir: Path | None = None
) -> Config:
    """Build and validate the config from parsed TOML; env overrides token and database URL.

    With BASE_DIR, a relative SQLite path (the default one included) is read relative to it: load_config passes
    the config file's directory, or the user's data directory when there is no file.
    """
    env = os.environ if env is None else env
    hints = get_type_hints(Config)
    known = {f.name for f in fields(Config)}
    for key in raw:
        if key not in known:
            raise ConfigError(f"[{key}]: unknown section (known sections: {', '.join(sorted(known))})")
    sections: dict[str, Any] = {
        name: _section(hints[name], raw.get(name, {}), name) for name in known if name != "publications"
    }
    sections["publications"] = _publications(raw.get("publications", {}))
    cfg = Config(**sections)
    if env.get("BULLETIN_BOT_TOKEN"):
        cfg = _replace(cfg, "telegram", token=env["BULLETIN_BOT_TOKEN"])
    if env.get("BULLETIN_BOT_DATABASE_URL"):
        cfg = _replace(cfg, "database", url=env["BULLETIN_BOT_DATABASE_URL"])
    elif base_dir is not None:
        cfg = _replace(cfg, "database", url=resolve_sqlite_path(cfg.database.url, base_dir))
    _validate(cfg)
    return cfg


def _replace(cfg: Config, section: str, **changes: Any) -> Config:
    from dataclasses import replace

    return replace(cfg, **{section: replace(getattr(cfg, section), **changes)})


def config_path(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Path | None:
    """The config file chosen by PATH, else $BULLETIN_BOT_CONFIG; None when neither is set."""
    env = os.environ if env is None else env
    chosen = path if path is not None else env.get("BULLETIN_BOT_CONFIG")
    return Path(chosen) if chosen else None


def config_file_warning(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> str | None:
    """A warning when the chosen config file holds a secret and other users may read it; None when all is well."""
    p = config_path(path, env)
    if p is None:
        return None
    try:
        mode = p.stat().st_mode
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None  # load_config has already reported what is wrong with it
    if not mode & (stat.S_IRGRP | stat.S_IROTH):
        return None
    telegram = raw.get("telegram", {})
    database = raw.get("database", {})
    held = [
        name for name, present in (
            ("the bot token", isinstance(telegram, dict) and bool(telegram.get("token"))),
            ("the webhook secret", isinstance(telegram, dict) and bool(telegram.get("secret_token"))),
            ("a database password", isinstance(database, dict) and isinstance(database.get("url"), str)
             and bool(urlsplit(database["url"]).password)),
        ) if present
    ]
    if not held:
        return None
    listed = held[0] if len(held) == 1 else ", ".join(held[:-1]) + " and " + held[-1]
    return (
        f"{p} holds {listed}; other users may read it (mode {stat.S_IMODE(mode):04o}); "
        f"make it private: chmod 600 {p}"
    )


def load_config(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Load the config from PATH, or $BULLETIN_BOT_CONFIG, or the embedded defaults when neither is set."""
    env = os.environ if env is None else env
    p = config_path(path, env)
    if p is None:
        return config_from_mapping({}, env, base_dir=user_data_dir())
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{p}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read config file: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: invalid TOML: {exc}") from None
    return config_from_mapping(raw, env, base_dir=p.resolve().parent)
