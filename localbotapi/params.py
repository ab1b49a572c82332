"""Request parameters as the Bot API reads them, and JSON responses."""

from __future__ import annotations

import json
import math
from typing import Any

from aiohttp import web

from .model import ApiError


class Params:
    """Request parameters from query string, form, multipart or JSON, read with Telegram's leniency."""

    __slots__ = ("d",)

    def __init__(self, d: dict[str, Any]) -> None:
        self.d = d

    def raw(self, name: str) -> Any:
        v = self.d.get(name)
        if v is None or (isinstance(v, str) and v == ""):
            return None
        return v

    def get_str(self, name: str) -> str | None:
        v = self.raw(name)
        if v is None:
            return None
        if isinstance(v, web.FileField):
            raise ApiError(400, f'Bad Request: parameter "{name}" must be a string')
        if isinstance(v, str):
            return v
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return str(v)
        return json.dumps(v, ensure_ascii=False)

    def get_int(self, name: str) -> int | None:
        v = self.raw(name)
        if v is None:
            return None
        if isinstance(v, bool):
            return int(v)
        if isinstance(v, int):
            return v
        if isinstance(v, float) and v.is_integer():
            return int(v)
        if isinstance(v, float) and math.isfinite(v):
            return int(v)
        if isinstance(v, str):
            try:
                return int(v.strip())
            except ValueError:
                pass
            try:
                f = float(v.strip())  # "10.0", as clients may serialize a float timeout
            except ValueError:
                pass
            else:
                if math.isfinite(f):
                    return int(f)
        raise ApiError(400, f'Bad Request: field "{name}" must be a valid Number')

    def get_bool(self, name: str) -> bool:
        v = self.raw(name)
        if v is None:
            return False
        if isinstance(v, bool):
            return v
        if isinstance(v, (int, float)):
            return v != 0
        if isinstance(v, str):
            return v.strip().lower() in ("true", "1")
        return False

    def get_json(self, name: str, what: str) -> Any:
        v = self.raw(name)
        if v is None:
            return None
        if isinstance(v, str):
            try:
                return json.loads(v)
            except ValueError:
                raise ApiError(400, f"Bad Request: can't parse {what} JSON object") from None
        if isinstance(v, web.FileField):
            raise ApiError(400, f"Bad Request: can't parse {what} JSON object")
        return v


def json_response(body: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        # \u escapes are the same JSON to every client, and the ASCII encoder is twice as fast
        body=json.dumps(body, separators=(",", ":")).encode(),
        status=status,
        content_type="application/json",
        headers=headers,
    )
