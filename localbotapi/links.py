"""Links as TDLib checks and normalises them: LinkManager::check_link (td/telegram/LinkManager.cpp) over
parse_url and HttpUrl::get_url (tdutils/td/utils/HttpUrl.cpp). Used for button URLs and <a href> links."""

from __future__ import annotations

_URL_PART_OK = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_!$,~*'();&+=")
_HEX = frozenset("0123456789abcdefABCDEF")


class LinkError(ValueError):
    """A link TDLib refuses; the message is LinkManager::check_link's ("URL '…' is invalid: …")."""


def _check_part(part: str, name: str, allow_colon: bool) -> None:
    i = 0
    while i < len(part):
        c = part[i]
        if c in _URL_PART_OK or (allow_colon and c == ":") or ord(c) >= 128:
            i += 1
            continue
        if c == "%":
            if part[i + 1 : i + 2] in _HEX and part[i + 2 : i + 3] in _HEX and len(part) >= i + 3:
                i += 3
                continue
            raise ValueError(f"Wrong percent-encoded symbol in URL {name}")
        raise ValueError(f"Disallowed character in URL {name}")


def _parse_url(url: str) -> tuple[str, str, str, int, str]:
    """td::parse_url: (protocol, userinfo, lower-cased host, specified port or 0, path+query starting with '/')."""
    cut = len(url)
    for ch in ":/?#@[]":
        k = url.find(ch)
        if k != -1:
            cut = min(cut, k)
    rest = url
    protocol = "http"
    if url[cut : cut + 3] == "://":
        scheme = url[:cut].lower()
        if scheme not in ("http", "https"):
            raise ValueError("Unsupported URL protocol")
        protocol = scheme
        rest = url[cut + 3 :]
    end = len(rest)
    for ch in "/?#":
        k = rest.find(ch)
        if k != -1:
            end = min(end, k)
    authority, query = rest[:end], rest[end:]
    port = 0
    colon = len(authority) - 1
    while colon > 0 and authority[colon] not in ":]@":
        colon -= 1
    userinfo_host = authority
    if colon > 0 and authority[colon] == ":":
        digits = authority[colon + 1 :].lstrip("0") or "0"
        port = int(digits) if digits.isdigit() and int(digits) != 0 else -1
        userinfo_host = authority[:colon]
    if port < 0 or port > 65535:
        raise ValueError("Wrong port number specified in the URL")
    at = userinfo_host.rfind("@")
    userinfo, host = (userinfo_host[:at], userinfo_host[at + 1 :]) if at != -1 else ("", userinfo_host)
    if not host:
        raise ValueError("URL host is empty")
    if host == ".":
        raise ValueError("Host is invalid")
    query = query.rstrip(" \t\n\r\v\f") or "/"
    fixed = "" if query.startswith("/") else "/"
    fixed += "".join(f"%{ord(c):02X}" if ord(c) <= 0x20 else c for c in query)
    host = host.lower()
    if not host.startswith("["):
        _check_part(host, "host", False)
        _check_part(userinfo, "userinfo", True)
    return protocol, userinfo, host, port, fixed


def check_link(link: str) -> str:
    """The normalised link (scheme and host lower-cased, "http://" added to a bare host, "/" for an empty path),
    or LinkError with TDLib's message."""
    try:
        return _check_link(link)
    except ValueError as exc:
        raise LinkError(f"URL '{link}' is invalid: {exc}") from None


def _check_link(link: str) -> str:
    lower = link.lower()
    prefix = next((p for p in ("tg:", "ton:", "tonsite:") if lower.startswith(p)), None)
    body = link[len(prefix) :] if prefix else link
    if prefix and body.startswith("//"):
        body = body[2:]
    protocol, userinfo, host, port, query = _parse_url(body)
    if prefix:
        if body.lower().startswith("http://") or protocol == "https" or userinfo or port:
            raise ValueError("Wrong tg URL" if prefix == "tg:" else "Wrong ton URL")
        if len(query) > 1 and query[1] == "?":
            query = query[1:]
        return f"{prefix[:-1]}://{host}{query}"
    if "." not in host and not host.startswith("["):
        raise ValueError("Wrong HTTP URL")
    auth = f"{userinfo}@" if userinfo else ""
    return f"{protocol}://{auth}{host}{f':{port}' if port else ''}{query}"


def checked_link(link: str) -> str | None:
    """LinkManager::get_checked_link: the normalised link, or None when TDLib would drop it."""
    try:
        return _check_link(link)
    except ValueError:
        return None
