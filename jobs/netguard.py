"""Fetching URLs that people send without letting them reach the bot's own network (SSRF guard).

Every hop (the first request and each redirect) resolves its host once, refuses loopback, private, link-local,
multicast, reserved and unspecified addresses (IPv4 and IPv6, including IPv4 addresses embedded in IPv6), and then
connects to exactly the address it checked: the URL's host is replaced by that address, the Host header keeps the
name and TLS gets the name as SNI (and checks the certificate against it), so a DNS answer that changes between the
check and the connection (DNS rebinding) cannot move the request elsewhere. Redirects are followed here, at most
`max_redirects` times, and only to http or https.

A refused address and a failed connection raise the same `Unreachable`, so answers cannot be used to scan ports.
Used by the desk's URL upload; meant for anything else that fetches a URL given by a user.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# host, port -> the addresses it resolves to (as text); raises OSError when it does not resolve
Resolver = Callable[[str, int], Awaitable[list[str]]]

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SCHEMES = ("http", "https")


async def system_resolver(host: str, port: int) -> list[str]:
    """The operating system's resolver (getaddrinfo), which also reads numeric forms such as 2130706433."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True)
class NetworkPolicy:
    """Where fetches may go: public addresses only unless allow_private ([network] allow_private)."""

    allow_private: bool = False
    resolver: Resolver = field(default=system_resolver)


class Unreachable(Exception):
    """The host is not allowed, does not resolve or did not accept the connection (deliberately one error)."""


class BadScheme(Exception):
    """A URL or redirect whose scheme is not http or https."""


class TooManyRedirects(Exception):
    """More redirects than allowed."""


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    # ::a.b.c.d (IPv4-compatible, deprecated) is reserved and refused by is_global below.
    return None


def is_public(ip: IPAddress) -> bool:
    """True for an address on the public internet; False for loopback, private, link-local, multicast, reserved,
    unspecified and shared (CGNAT) addresses, and for IPv6 addresses that embed such an IPv4 address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return False
        inner = _embedded_ipv4(ip)
        if inner is not None and not is_public(inner):
            return False
    return not (
        ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast or ip.is_reserved
        or ip.is_unspecified or not ip.is_global
    )


async def checked_address(host: str, port: int, policy: NetworkPolicy) -> str:
    """The address to connect to for HOST: the first it resolves to, if every address is allowed."""
    try:
        answers = await policy.resolver(host, port)
    except (OSError, UnicodeError):
        raise Unreachable(host) from None
    addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in answers]
    if not addresses:
        raise Unreachable(host)
    # Refuse when any answer is internal: a name that also points inside is not one to trust.
    if not policy.allow_private and not all(is_public(a) for a in addresses):
        raise Unreachable(host)
    return str(addresses[0])


class PinnedTransport(httpx.AsyncBaseTransport):
    """Sends each request to the address checked for its host, keeping the name in Host and in TLS SNI."""

    def __init__(self, policy: NetworkPolicy, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self._policy = policy
        # No keep-alive: a pooled connection is keyed by address, and must not carry one host's SNI to another.
        self._inner = inner or httpx.AsyncHTTPTransport(limits=httpx.Limits(max_keepalive_connections=0))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Check the host's address and send the request there."""
        url = request.url
        if url.scheme not in _SCHEMES:
            raise BadScheme(url.scheme)
        host = url.host
        port = url.port or (443 if url.scheme == "https" else 80)
        address = await checked_address(host, port, self._policy)
        pinned = httpx.Request(
            request.method,
            url.copy_with(host=address),
            headers=request.headers,  # carries Host: <name> as built from the original URL
            stream=request.stream,
            extensions={**request.extensions, "sni_hostname": host},
        )
        try:
            return await self._inner.handle_async_request(pinned)
        except httpx.ConnectError:
            raise Unreachable(host) from None

    async def aclose(self) -> None:
        await self._inner.aclose()


def guarded_client(
    policy: NetworkPolicy, *, timeout: float, inner: httpx.AsyncBaseTransport | None = None,
    user_agent: str = "bulletin-bot",
) -> httpx.AsyncClient:
    """An httpx client whose every request goes through the guard (redirects are followed by follow(), not httpx).

    trust_env=False: a proxy from the environment would connect for us and bypass the address check.
    Accept-Encoding: identity: httpx unpacks a compressed body a whole network chunk at a time, layer after layer,
    before the caller can count the bytes (see read_limited, which refuses encoded bodies).
    """
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout), follow_redirects=False, transport=PinnedTransport(policy, inner),
        trust_env=False, headers={"User-Agent": user_agent, "Accept-Encoding": "identity"},
    )


@contextlib.asynccontextmanager
async def follow(
    client: httpx.AsyncClient, url: str | httpx.URL, *, max_redirects: int = 5, headers: dict[str, str] | None = None,
) -> AsyncIterator[httpx.Response]:
    """GET URL with CLIENT (a guarded_client), following redirects to http/https only, at most MAX_REDIRECTS;
    yields the final response, its body not yet read. HEADERS go with every hop."""
    request_url = httpx.URL(url)
    if request_url.scheme not in _SCHEMES:
        raise BadScheme(request_url.scheme)
    request = client.build_request("GET", request_url, headers=headers)
    for _hop in range(max_redirects + 1):
        response = await client.send(request, stream=True)
        # has_redirect_location, not is_redirect: that is any 3xx, 304 Not Modified included.
        if not response.has_redirect_location:
            try:
                yield response
            finally:
                await response.aclose()
            return
        following = response.next_request
        await response.aclose()
        if following is None:  # pragma: no cover - httpx sets it for every redirect with a Location
            raise Unreachable(str(request.url.host))
        if following.url.scheme not in _SCHEMES:
            raise BadScheme(following.url.scheme)
        if headers:
            following.headers.update(headers)
        request = following
    raise TooManyRedirects(str(max_redirects))


class TooBig(Exception):
    """A body over the size limit (declared or counted)."""


class Encoded(Exception):
    """A compressed body although only identity was asked for."""


async def read_limited(response: httpx.Response, max_bytes: int) -> bytes:
    """The body of RESPONSE, stopping as soon as it passes MAX_BYTES (TooBig); a compressed body is refused
    unread (Encoded): unpacking it could take gigabytes before a byte is counted."""
    encoding = response.headers.get("content-encoding", "").strip()
    if encoding.lower() not in ("", "identity"):
        raise Encoded(encoding)
    declared = response.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise TooBig(declared)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():  # identity: nothing to unpack
        size += len(chunk)
        if size > max_bytes:
            raise TooBig(str(size))
        chunks.append(chunk)
    return b"".join(chunks)


@contextlib.asynccontextmanager
async def guarded_get(
    url: str | httpx.URL,
    policy: NetworkPolicy,
    *,
    timeout: float,
    max_redirects: int = 5,
    inner: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[httpx.Response]:
    """GET URL through the guard, following redirects itself; yields the final response, its body not yet read.

    Raises BadScheme, Unreachable, TooManyRedirects, httpx.InvalidURL, or httpx errors (timeouts, protocol errors).
    INNER is the transport under the guard (tests); the guard itself always applies.
    """
    async with (
        guarded_client(policy, timeout=timeout, inner=inner) as client,
        follow(client, url, max_redirects=max_redirects) as response,
    ):
        yield response
