"""The networks services live in: a company CA, a proxy, read from the environment as httpx does.

A loopback HTTPS server whose certificate comes from a test CA (``trustme``) is refused without
that CA and accepted with it (``SSL_CERT_FILE``, or ``ssl=`` a context); a loopback CONNECT proxy
named by ``HTTPS_PROXY`` carries the calls, sees only the tunnel's target (never the key, which
crosses it inside TLS), and is skipped for hosts ``NO_PROXY`` names or when ``trust_env=False``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trustme
from _helpers import API_KEY, seed_envelope
from aiohttp import web

from calbookings_async import CalBookings, InvalidArgumentError, TransportError


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "company-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR", "CAL_BASE_URL", "CAL_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@contextlib.asynccontextmanager
async def https_server(ca: trustme.CA) -> AsyncIterator[str]:
    """A loopback HTTPS server for ``localhost``, answering every decline with the seed."""
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(server_context)

    async def decline(request: web.Request) -> web.Response:
        return web.json_response(seed_envelope())

    app = web.Application()
    app.router.add_post("/v2/bookings/{uid}/decline", decline)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"https://localhost:{port}"
    finally:
        await runner.cleanup()


class ConnectProxy:
    """A loopback proxy that serves CONNECT only, and keeps every byte it relayed."""

    def __init__(self) -> None:
        self.targets: list[str] = []
        self.seen = bytearray()
        self.url = ""
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        self.seen += head
        method, target, _ = head.split(b"\r\n", 1)[0].split(b" ", 2)
        if method != b"CONNECT":
            writer.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            writer.close()
            return
        self.targets.append(target.decode())
        port = target.decode().rsplit(":", 1)[1]
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", int(port))
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while chunk := await src.read(65536):
                    self.seen += chunk
                    dst.write(chunk)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


@pytest.fixture
async def proxy() -> AsyncIterator[ConnectProxy]:
    running = ConnectProxy()
    await running.start()
    yield running
    await running.stop()


async def decline_through(base_url: str, **options: object) -> str:
    async with CalBookings(api_key=API_KEY, base_url=base_url, **options) as cal:  # type: ignore[arg-type]
        booking = await cal.bookings.decline("booking_uid_123")
    return booking.uid


# --- TLS ----------------------------------------------------------------------------------------


async def test_a_certificate_from_an_unknown_ca_is_refused(
    ca: trustme.CA, clean_env: pytest.MonkeyPatch
) -> None:
    async with https_server(ca) as url:
        with pytest.raises(TransportError) as caught:
            await decline_through(url)
    assert "certificate" in str(caught.value).lower()
    assert caught.value.may_have_been_applied is False


async def test_ssl_cert_file_names_the_company_ca(
    ca: trustme.CA, ca_file: Path, clean_env: pytest.MonkeyPatch
) -> None:
    clean_env.setenv("SSL_CERT_FILE", str(ca_file))
    async with https_server(ca) as url:
        assert await decline_through(url) == "booking_uid_123"


async def test_trust_env_false_ignores_ssl_cert_file(
    ca: trustme.CA, ca_file: Path, clean_env: pytest.MonkeyPatch
) -> None:
    clean_env.setenv("SSL_CERT_FILE", str(ca_file))
    async with https_server(ca) as url:
        with pytest.raises(TransportError):
            await decline_through(url, trust_env=False)


async def test_an_ssl_context_is_used_as_given(
    ca: trustme.CA, clean_env: pytest.MonkeyPatch
) -> None:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    async with https_server(ca) as url:
        assert await decline_through(url, ssl=context) == "booking_uid_123"


async def test_an_unreadable_ssl_cert_file_is_named(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(InvalidArgumentError) as caught:
        CalBookings(api_key=API_KEY, base_url="https://api.cal.com")
    assert caught.value.argument == "SSL_CERT_FILE"
    assert "missing.pem" in str(caught.value)


def test_no_certificate_check_only_for_loopback(clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        CalBookings(api_key=API_KEY, base_url="https://api.cal.com", ssl=False)
    assert caught.value.argument == "ssl"


# --- proxies ------------------------------------------------------------------------------------


async def test_https_proxy_carries_the_call_through_a_tunnel(
    ca: trustme.CA, ca_file: Path, proxy: ConnectProxy, clean_env: pytest.MonkeyPatch
) -> None:
    clean_env.setenv("SSL_CERT_FILE", str(ca_file))
    clean_env.setenv("HTTPS_PROXY", proxy.url)
    async with https_server(ca) as url:
        assert await decline_through(url) == "booking_uid_123"
    port = url.rsplit(":", 1)[1]
    assert proxy.targets == [f"localhost:{port}"]
    # The proxy relayed the whole exchange, yet the key crossed it only inside TLS.
    assert len(proxy.seen) > 1000
    assert API_KEY.encode() not in proxy.seen
    assert b"booking_uid_123" not in proxy.seen


@pytest.mark.parametrize("no_proxy", ["localhost", ".localhost", "*", "example.com,localhost:443"])
async def test_no_proxy_skips_the_proxy(
    ca: trustme.CA,
    ca_file: Path,
    proxy: ConnectProxy,
    clean_env: pytest.MonkeyPatch,
    no_proxy: str,
) -> None:
    clean_env.setenv("SSL_CERT_FILE", str(ca_file))
    clean_env.setenv("HTTPS_PROXY", proxy.url)
    clean_env.setenv("NO_PROXY", no_proxy)
    async with https_server(ca) as url:
        assert await decline_through(url) == "booking_uid_123"
    assert proxy.targets == []


async def test_trust_env_false_ignores_the_proxy(
    ca: trustme.CA, proxy: ConnectProxy, clean_env: pytest.MonkeyPatch
) -> None:
    clean_env.setenv("HTTPS_PROXY", proxy.url)
    context = ssl.create_default_context()
    ca.configure_trust(context)
    async with https_server(ca) as url:
        assert await decline_through(url, trust_env=False, ssl=context) == "booking_uid_123"
    assert proxy.targets == []


def test_a_malformed_proxy_url_is_named(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("HTTPS_PROXY", "ftp://proxy.example")
    with pytest.raises(InvalidArgumentError) as caught:
        CalBookings(api_key=API_KEY, base_url="https://api.cal.com")
    assert caught.value.argument == "HTTPS_PROXY"
