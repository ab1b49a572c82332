"""The configuration, at the bottom of the layer stack: bulletin, storage, jobs, bot and bulletin_bot may import it.

It imports none of them; config.model holds the typed Config and its loading, config.values the value parsers.
"""

from config.model import (
    DEFAULT_API_BASE_URL,
    MISSING_SECRET,
    SECRET_TOKEN_FORMAT,
    AccessConfig,
    Config,
    ConfigError,
    DatabaseConfig,
    LoggingConfig,
    NetworkConfig,
    PublishConfig,
    PushConfig,
    TelegramConfig,
    WebConfig,
    config_file_warning,
    config_from_mapping,
    config_path,
    load_config,
    webhook_url_problem,
)

__all__ = [
    "DEFAULT_API_BASE_URL",
    "MISSING_SECRET",
    "SECRET_TOKEN_FORMAT",
    "AccessConfig",
    "Config",
    "ConfigError",
    "DatabaseConfig",
    "LoggingConfig",
    "NetworkConfig",
    "PublishConfig",
    "PushConfig",
    "TelegramConfig",
    "WebConfig",
    "config_file_warning",
    "config_from_mapping",
    "config_path",
    "load_config",
    "webhook_url_problem",
]
