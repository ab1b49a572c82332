"""The URL guard (jobs/netguard.py) and the desk's fetch through it: internal addresses are refused on every hop,
the connection goes to the address that was checked, and a refusal looks the same as a closed port."""

from __future__ import annotations

import gzip
import ipaddress
import shutil
import socket
import ssl
import subprocess
import tracemalloc
import zlib
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from support.desk import sample_text, web_server

from jobs.desk import FetchError, fetch_document
from jobs.netguard import NetworkPolicy, is_public

PUBLIC_IP = "93.184.216.34"


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "127.5.6.7", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
        "0.0.0.0", "224.0.0.1", "240.0.0.1", "255.255.255.255", "192.0.2.1",
        "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
        "::ffff:0.0.0.0", "2002:7f00:1::1", "64:ff9b::7f00:1", "2001:db8::1",
    ],
)
def test_internal_addresses_are_not_public(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", PUBLIC_IP, "2606:4700:4700::1111"])
def test_public_addresses_are_public(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


async def _bulletin(request: web.Request) -> web.Response:
    return web.Response(text=sample_text(), content_type="text/plain", charset="utf-8")


async def _fetch(url: str, policy: NetworkPolicy, transport: httpx.AsyncBaseTransport | None = None) -> str:
    """The FetchError code for URL, or 'ok:<file name>'."""
    try:
        _data, name = await fetch_document(url, timeout=5.0, max_bytes=1 << 20, policy=policy, transport=transport)
    except FetchError as exc:
        return exc.code
    return f"ok:{name}"


async def test_loopback_in_any_spelling_is_refused_and_looks_like_a_closed_port() -> None:
    async with web_server({"/b6.txt": _bulletin}) as base:
        port = base.rsplit(":", 1)[1]
        assert await _fetch(f"{base}/b6.txt", NetworkPolicy(allow_private=True)) == "ok:b6.txt"
        guarded = NetworkPolicy()
        for host in ("127.0.0.1", "localhost", "2130706433", "0x7f.1", "[::ffff:127.0.0.1]", "0.0.0.0", "[::1]"):
            assert await _fetch(f"http://{host}:{port}/b6.txt", guarded) == "unreachable", host
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    assert await _fetch(f"http://127.0.0.1:{closed}/b6.txt", NetworkPolicy(allow_private=True)) == "unreachable"
    assert await _fetch(f"http://127.0.0.1:{closed}/b6.txt", NetworkPolicy()) == "unreachable"
    assert await _fetch("http://no-such-host.invalid/b6.txt", NetworkPolicy()) == "unreachable"


class FakeDns:
    """Our resolver port: NAMES maps a host to the answers it gives, one list per call (the last one repeats)."""

    def __init__(self, names: dict[str, list[list[str]]]) -> None:
        self.names = names
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        answers = self.names.get(host)
        if answers is None:
            raise socket.gaierror(socket.EAI_NONAME, "unknown")
        return answers[min(len(self.calls) - 1, len(answers) - 1)]


class FakeWeb(httpx.AsyncBaseTransport):
    """The transport under the guard: records each request it is asked to send and answers from ROUTES."""

    def __init__(self, routes: dict[str, httpx.Response]) -> None:
        self.routes = routes
        self.sent: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return self.routes[request.url.path]


def _text(body: str) -> httpx.Response:
    return httpx.Response(200, headers={"Content-Type": "text/plain; charset=utf-8"}, content=body.encode())


def _redirect(location: str) -> httpx.Response:
    return httpx.Response(302, headers={"Location": location})


async def test_connects_to_the_checked_address_with_the_name_in_host_and_sni() -> None:
    # rebinding: the second answer would point inside, but the guard resolves once per hop and pins the first
    dns = FakeDns({"bulletin.example": [[PUBLIC_IP], ["127.0.0.1"]]})
    web = FakeWeb({"/b6.txt": _text(sample_text())})
    result = await _fetch("https://bulletin.example/b6.txt", NetworkPolicy(resolver=dns), web)
    assert result == "ok:b6.txt"
    [sent] = web.sent
    assert str(sent.url) == f"https://{PUBLIC_IP}/b6.txt"
    assert sent.headers["Host"] == "bulletin.example"
    assert sent.extensions["sni_hostname"] == "bulletin.example"
    assert dns.calls == ["bulletin.example"]


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("http://127.0.0.1:8080/admin", "unreachable"),
        ("http://localhost/admin", "unreachable"),
        ("http://2130706433/admin", "unreachable"),
        ("http://[::1]/admin", "unreachable"),
        ("http://rebind.example/admin", "unreachable"),
        ("file:///etc/passwd", "scheme"),
        ("/loop", "redirects"),
    ],
)
async def test_every_redirect_hop_is_checked(location: str, expected: str) -> None:
    dns = FakeDns({"bulletin.example": [[PUBLIC_IP]], "localhost": [["127.0.0.1"]],
                   "rebind.example": [[PUBLIC_IP, "10.0.0.7"]]})
    web = FakeWeb({"/start": _redirect(location), "/loop": _redirect("/loop"), "/admin": _text("secret")})
    assert await _fetch("http://bulletin.example/start", NetworkPolicy(resolver=dns), web) == expected
    assert all(str(r.url.host) == PUBLIC_IP and r.url.path != "/admin" for r in web.sent)


async def test_allowed_redirects_are_followed_to_the_document() -> None:
    dns = FakeDns({"a.example": [[PUBLIC_IP]], "b.example": [["2606:4700:4700::1111"]]})
    web = FakeWeb({"/start": _redirect("https://b.example/files/b6.txt"), "/files/b6.txt": _text(sample_text())})
    assert await _fetch("http://a.example/start", NetworkPolicy(resolver=dns), web) == "ok:b6.txt"
    assert [str(r.url) for r in web.sent] == ["http://93.184.216.34/start", "https://[2606:4700:4700::1111]/files/b6.txt"]
    assert [r.headers["Host"] for r in web.sent] == ["a.example", "b.example"]


@pytest.mark.parametrize("status", [304, 300])
async def test_a_3xx_without_a_location_is_an_answer_not_a_redirect(status: int) -> None:
    # httpx's is_redirect is true for any 3xx: a 304 Not Modified was followed as a redirect and refused as
    # "unreachable", so every conditional poll of the website watch failed.
    dns = FakeDns({"bulletin.example": [[PUBLIC_IP]]})
    web = FakeWeb({"/index.html": httpx.Response(status, headers={"ETag": '"v1"'})})
    assert await _fetch("http://bulletin.example/index.html", NetworkPolicy(resolver=dns), web) == "status"
    assert len(web.sent) == 1



@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for bulletin.example (made with the openssl command line)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed: cannot make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=bulletin.example", "-addext", "subjectAltName=DNS:bulletin.example"],
        check=True, capture_output=True, timeout=60,
    )
    return cert, key


async def test_https_to_a_pinned_address_verifies_the_certificate_for_the_name(tls_files: tuple[Path, Path]) -> None:
    """The connection goes to the checked address, and TLS still sends and verifies the host's name (SNI)."""
    cert, key = tls_files
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    seen_hosts: list[str] = []

    async def bulletin(request: web.Request) -> web.Response:
        seen_hosts.append(request.host)
        return await _bulletin(request)

    app = web.Application()
    app.router.add_get("/b6.txt", bulletin)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_tls)
    await site.start()
    try:
        port = runner.addresses[0][1]
        dns = FakeDns({"bulletin.example": [["127.0.0.1"]], "other.example": [["127.0.0.1"]]})
        policy = NetworkPolicy(allow_private=True, resolver=dns)

        def trusting() -> httpx.AsyncHTTPTransport:
            return httpx.AsyncHTTPTransport(verify=ssl.create_default_context(cafile=str(cert)))

        assert await _fetch(f"https://bulletin.example:{port}/b6.txt", policy, trusting()) == "ok:b6.txt"
        assert seen_hosts == [f"bulletin.example:{port}"]
        # same address, another name: the certificate does not match it, so nothing is fetched
        assert await _fetch(f"https://other.example:{port}/b6.txt", policy, trusting()) == "unreachable"
        assert seen_hosts == [f"bulletin.example:{port}"]
    finally:
        await runner.cleanup()


def _gzip_bomb(unpacked_mb: int, layers: int) -> bytes:
    """UNPACKED_MB of zeros, gzipped LAYERS times (each layer shrinks the previous one's output again)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zero = bytes(1 << 20)
    data = b"".join(packer.compress(zero) for _ in range(unpacked_mb)) + packer.flush()
    for _ in range(layers - 1):
        data = gzip.compress(data, 9)
    return data


@pytest.mark.parametrize("layers", [1, 2])
async def test_a_compressed_body_is_never_unpacked_past_the_download_limit(layers: int) -> None:
    """A server answering with a gzip bomb (Content-Encoding: gzip, or gzip twice): the fetch is refused naming
    the encoding, and the bot never holds the unpacked body (httpx would unpack a whole network chunk at once,
    and a second layer multiplies it: 256 MB from a few hundred bytes)."""
    bomb = _gzip_bomb(256, layers)
    encoding = ", ".join(["gzip"] * layers)
    asked: list[str] = []

    async def compressed(request: web.Request) -> web.Response:
        asked.append(request.headers.get("Accept-Encoding", ""))
        return web.Response(body=bomb, headers={"Content-Type": "text/plain", "Content-Encoding": encoding})

    async with web_server({"/b6.txt": compressed}) as base:
        tracemalloc.start()
        try:
            try:
                await fetch_document(f"{base}/b6.txt", timeout=20.0, max_bytes=1 << 20,
                                     policy=NetworkPolicy(allow_private=True))
            except FetchError as exc:
                outcome = (exc.code, exc.detail)
            else:
                outcome = ("ok", "")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 16 << 20, f"peak {peak >> 20} MB"
    assert outcome == ("failed", f"Content-Encoding: {encoding}")
    assert asked == ["identity"]
