"""The website watch's fetcher: one shared httpx client through the address guard (jobs/netguard.py), polite.

Every request: the guard on every hop (internal addresses refused unless [network] allow_private), redirects
followed only to http/https and at most 5, a descriptive User-Agent, conditional headers (ETag /
If-Modified-Since) when the caller has validators, the content type checked before the body is read, the body
stopped as soon as it passes [watch] max_mb, a whole-request deadline, and at most one request a second per host
([watch] per_host_interval).
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass

import httpx

from jobs.desk import FetchError, fetch_errors
from jobs.netguard import NetworkPolicy, follow, guarded_client, read_limited
from jobs.watch_links import DOCUMENT_TYPES, FEED_TYPES, PAGE_EXTENSIONS, media_type

USER_AGENT = "bulletin-bot-watch/0.1 (checks this site for new issues of a work bulletin; at most 1 request/s)"
_ACCEPTED = DOCUMENT_TYPES | FEED_TYPES | {"text/html", "application/xhtml+xml", "application/octet-stream",
                                          "binary/octet-stream", ""}


@dataclass(frozen=True, slots=True)
class Response:
    """What a fetch gave: 200 with a body, or 304 (unchanged, no body)."""

    status: int
    url: str
    content_type: str = ""
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None


class HostPacer:
    """At most one request per INTERVAL seconds to each host (requests to one host wait their turn)."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._last: dict[str, float] = {}

    async def turn(self, host: str) -> None:
        """Wait until HOST may be asked again; the caller sends its request right after."""
        async with self._locks[host]:
            wait = self._last.get(host, -1e9) + self.interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._last[host] = time.monotonic()


class HttpFetcher:
    """The Fetcher port (jobs/watch.py) over one guarded httpx client; close() it when done."""

    def __init__(
        self, policy: NetworkPolicy, *, timeout: float, max_bytes: int, per_host_interval: float = 1.0,
        inner: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.pacer = HostPacer(per_host_interval)
        self.requests = 0
        self._client = guarded_client(policy, timeout=timeout, inner=inner, user_agent=USER_AGENT)

    async def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Response:
        """GET URL (conditionally when validators are given); FetchError for anything but 200 or 304."""
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        host = httpx.URL(url).host if url.startswith(("http://", "https://")) else ""
        await self.pacer.turn(host)
        self.requests += 1
        with fetch_errors():
            async with asyncio.timeout(self.timeout), follow(self._client, url, headers=headers) as response:
                final = str(response.url)
                if response.status_code == 304:
                    return Response(304, final, etag=etag, last_modified=last_modified)
                if response.status_code != 200:
                    raise FetchError("status", f"HTTP {response.status_code}")
                content_type = response.headers.get("content-type", "")
                kind = media_type(content_type)
                if kind not in _ACCEPTED and not (kind.startswith("text/") and final.lower().endswith(PAGE_EXTENSIONS)):
                    raise FetchError("type", kind or "?")
                body = await read_limited(response, self.max_bytes)
                return Response(
                    200, final, content_type, body, response.headers.get("etag"),
                    response.headers.get("last-modified"),
                )

    async def close(self) -> None:
        await self._client.aclose()
