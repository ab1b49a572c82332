"""The local Bot API server as tests start it (with a bot, its users and groups), and a free port."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterable, Iterator, Mapping

from localbotapi import Limits, LocalBotApi


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def bot_api(
    token: str,
    *,
    limits: Limits | None = None,
    username: str = "bulletin_test_bot",
    users: Iterable[tuple[int, str, str]] = (),
    groups: Mapping[int, str] = {},
    local_mode: bool = False,
) -> Iterator[LocalBotApi]:
    """A started server (LIMITS, default none) with the bot TOKEN, USERS (id, first name, language code) and
    GROUPS (id: title); stopped afterwards. LOCAL_MODE: as telegram-bot-api --local, webhooks may be plain http
    on any port (the tests' webhooks are http://127.0.0.1:PORT)."""
    with LocalBotApi(limits=limits or Limits(enabled=False), local_mode=local_mode) as api:
        api.add_bot(token, username=username)
        for user_id, first_name, language_code in users:
            api.add_user(user_id, first_name, language_code=language_code)
        for chat_id, title in groups.items():
            api.add_group(chat_id, title)
        yield api
