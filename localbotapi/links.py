"""Links as TDLib checks and normalises them: LinkManager::check_link (td/telegram/LinkManager.cpp) over
parse_url and HttpUrl::get_url (tdutils/td/utils/HttpUrl.cpp). Used for button URLs and <a href> links."""

from __future__ import annotations

_URL_PART_OK = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_!$,~*'();&+=")
_HEX = frozenset("0123456789abcdefABCDEF")
MAX_USER_ID = (1 << 40) - 1  # UserId::is_valid (td/telegram/UserId.h)


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


def check_link(link: str, *, https_only: bool = False) -> str:
    """The normalised link (scheme and host lower-cased, "http://" added to a bare host, "/" for an empty path),
    or LinkError with TDLib's message. HTTPS_ONLY: as for Mini App URLs, which TDLib checks with
    check_link(url, http_only=true, https_only=!is_test_dc()); https_only refuses every link http_only would."""
    try:
        return _check_link(link, https_only)
    except ValueError as exc:
        raise LinkError(f"URL '{link}' is invalid: {exc}") from None


def _check_link(link: str, https_only: bool = False) -> str:
    lower = link.lower()
    prefix = next((p for p in ("tg:", "ton:", "tonsite:") if lower.startswith(p)), None)
    body = link[len(prefix) :] if prefix else link
    if prefix and body.startswith("//"):
        body = body[2:]
    protocol, userinfo, host, port, query = _parse_url(body)
    if https_only and (protocol != "https" or prefix):
        raise ValueError("Only HTTPS links are allowed")
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


def is_user_link(link: str) -> bool:
    """LinkManager::get_link_user_id found a user: `tg://user?id=N` with a valid user id (Mini App URLs refuse it)."""
    rest = link.lower()
    if not rest.startswith("tg:"):
        return False
    rest = rest[3:]
    rest = rest[2:] if rest.startswith("//") else rest
    if not rest.startswith("user") or (len(rest) > 4 and rest[4] not in "/?#"):
        return False
    rest = rest[4:]
    rest = rest[1:] if rest.startswith("/") else rest
    if not rest.startswith("?"):
        return False
    for parameter in rest[1:].split("#", 1)[0].split("&"):
        key, _, value = parameter.partition("=")
        if key == "id":
            # to_integer_safe: the digits must print back the same ("+5", "05" are no id)
            return value.isascii() and value.isdigit() and str(int(value)) == value and 0 < int(value) <= MAX_USER_ID
    return False
