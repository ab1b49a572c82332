"""Shared helpers (no tests) for the local Bot API server tests: raw HTTP calls as a Bot API client makes them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from localbotapi import LocalBotApi

TOKEN = "123456789:AAHtestTOKENforLocalBotApi_0123456789"


@dataclass
class Reply:
    status: int
    body: dict[str, Any]
    headers: httpx.Headers

    @property
    def result(self) -> Any:
        assert self.body.get("ok") is True, self.body
        return self.body["result"]

    @property
    def description(self) -> str:
        return str(self.body.get("description"))


def call(
    server: LocalBotApi, method: str, token: str = TOKEN, *, http_timeout: float = 30.0, **params: Any
) -> Reply:
    """POST a Bot API method with a JSON body, as many clients do."""
    r = httpx.post(f"{server.api_base_url()}{token}/{method}", json=params, timeout=http_timeout)
    return Reply(r.status_code, r.json(), r.headers)


def call_form(server: LocalBotApi, method: str, token: str = TOKEN, **params: Any) -> Reply:
    """POST form-encoded parameters the way python-telegram-bot does (sub-objects as JSON strings)."""
    data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    r = httpx.post(f"{server.api_base_url()}{token}/{method}", data=data, timeout=10)
    return Reply(r.status_code, r.json(), r.headers)


def error(reply: Reply) -> tuple[int, str, dict[str, Any] | None]:
    """An error answer's (HTTP status, description, parameters), checked to have the Bot API's error shape."""
    assert reply.body["ok"] is False
    assert reply.body["error_code"] == reply.status
    assert set(reply.body) <= {"ok", "error_code", "description", "parameters"}
    return reply.status, reply.description, reply.body.get("parameters")
