"""Test helpers for the session layer: a scriptable loopback HTTP server and a fake clock.

``ScriptedServer`` is a real ``aiohttp.web`` server on 127.0.0.1. A test queues ``Reply``
objects (status, headers, body, delay, or a way of breaking the connection); each request takes
the next one (the ``default`` when the queue is empty), and every request is recorded as a
``Seen`` with its raw path, headers and body. ``FakeClock`` satisfies the SDK's ``Clock``
protocol with virtual time: ``sleep`` advances it at once and records the seconds asked for.
``Internals`` is the one place tests read the SDK's private state (see its docstring).
"""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.parse
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web
from multidict import CIMultiDict

if TYPE_CHECKING:
    import aiohttp

    from calbookings_async import CalBookings

DATA = Path(__file__).resolve().parent / "data"

API_KEY = "cal_test_k3y_5ecret_0f_the_te5t_5uite"
ACCESS_TOKEN = "eyJ.access-t0ken-5ecret"
NEW_ACCESS_TOKEN = "eyJ.new-access-t0ken-5ecret"
CLIENT_ID = "clxyz-client-id"
SECRET_KEY = "5ecret-key-0f-the-oauth-client"
SECRETS = (API_KEY, ACCESS_TOKEN, NEW_ACCESS_TOKEN, SECRET_KEY)


def seed_envelope() -> dict[str, Any]:
    """The decline seed's documented response envelope."""
    text = (DATA / "seeds" / "000_01b4b8b7616c19be.txt").read_text()
    start = text.index('{\n  "status"')
    document, _ = json.JSONDecoder().raw_decode(text[start:])
    assert isinstance(document, dict)
    return document


SUCCESS_BODY = orjson.dumps(seed_envelope())


def seed_body_for(raw_path: str) -> bytes:
    """The decline seed, about the booking ``raw_path`` names: a server answers about that uid."""
    parts = raw_path.split("?", 1)[0].split("/")  # "", "v2", "bookings", uid, ...
    if len(parts) < 4 or parts[1:3] != ["v2", "bookings"] or parts[3] == "booking_uid_123":
        return SUCCESS_BODY
    envelope = seed_envelope()
    envelope["data"]["uid"] = urllib.parse.unquote(parts[3])
    return orjson.dumps(envelope)


_CODES = {
    400: "BadRequestException",
    401: "UnauthorizedException",
    403: "ForbiddenException",
    404: "NotFoundException",
    408: "RequestTimeoutException",
    409: "ConflictException",
    422: "UnprocessableEntityException",
    429: "ThrottlerException",
    498: "TokenExpiredException",
    500: "InternalServerErrorException",
    502: "BadGatewayException",
    503: "ServiceUnavailableException",
    504: "GatewayTimeoutException",
}


def error_envelope(
    status: int, message: str = "something went wrong", details: Any = None, path: str | None = None
) -> dict[str, Any]:
    """A Cal.com error envelope (API-NOTES §7) for ``status``.

    ``path`` is the request path the envelope says it answers; left out by default (a
    :class:`Reply` without a body names the path of the request it answers).
    """
    envelope: dict[str, Any] = {"status": "error", "timestamp": "2026-01-12T10:00:00.000Z"}
    if path is not None:
        envelope["path"] = path
    envelope["error"] = {
        "code": _CODES.get(status, "HttpException"),
        "message": message,
        "details": details if details is not None else {"statusCode": status},
    }
    return envelope


@dataclass
class Reply:
    """What the server does with one request.

    ``body`` may be bytes, str, or a JSON value (serialised). ``None`` means the decline seed
    for a 2xx status and otherwise a Cal.com error envelope naming the request's path, as
    Cal.com's own errors do (API-NOTES §7).
    """

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    delay: float = 0.0
    drop: bool = False  # read the request, then close the connection without answering
    truncate: bool = False  # send the headers and half the body, then reset the connection
    chunked: bool = False  # send the body with chunked transfer encoding
    content_type: str = "application/json"

    def payload(self, raw_path: str = "") -> bytes:
        if self.body is None:
            if 200 <= self.status < 300:
                return seed_body_for(raw_path)
            return orjson.dumps(error_envelope(self.status, path=raw_path or None))
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return orjson.dumps(self.body)


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    raw_path: str
    path: str
    headers: CIMultiDict[str]
    body: bytes


Responder = Callable[[Seen], Reply | Awaitable[Reply]]


class ScriptedServer:
    """A loopback ``aiohttp.web`` server whose answers a test scripts.

    Attributes:
        replies: Replies to hand out, one per request, in order.
        default: The reply once ``replies`` is empty.
        responder: If set, called with each request to choose the reply (overrides both).
        requests: Every request received, in order.
        in_flight: Handlers running right now; ``max_in_flight`` the most seen at once.
        gate: If set, every handler waits for it before answering.
    """

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.default = Reply()
        self.responder: Responder | None = None
        self.requests: list[Seen] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.gate: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def count(self) -> int:
        return len(self.requests)

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=0.2
        )
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self.port = runner.addresses[0][1]

    async def close(self) -> None:
        if self.gate is not None:
            self.gate.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        seen = Seen(
            method=request.method,
            raw_path=request.raw_path,
            path=request.path,
            headers=CIMultiDict(request.headers),
            body=await request.read(),
        )
        self.requests.append(seen)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.gate is not None:
                await self.gate.wait()
            if self.responder is not None:
                chosen = self.responder(seen)
                reply = await chosen if not isinstance(chosen, Reply) else chosen
            elif self.replies:
                reply = self.replies.popleft()
            else:
                reply = self.default
            if reply.delay:
                await asyncio.sleep(reply.delay)
            return await self._answer(request, reply)
        finally:
            self.in_flight -= 1

    async def _answer(self, request: web.Request, reply: Reply) -> web.StreamResponse:
        transport = request.transport
        if reply.drop:
            assert transport is not None
            transport.abort()
            return web.Response()
        payload = reply.payload(request.raw_path)
        headers = {"Content-Type": reply.content_type, **reply.headers}
        if not (reply.truncate or reply.chunked):
            return web.Response(status=reply.status, body=payload, headers=headers)
        response = web.StreamResponse(status=reply.status, headers=headers)
        if reply.chunked:
            response.enable_chunked_encoding()
        else:
            response.content_length = len(payload)
        await response.prepare(request)
        if reply.truncate:
            await response.write(payload[: len(payload) // 2])
            assert transport is not None
            transport.abort()
            return response
        for start in range(0, len(payload), 512):
            await response.write(payload[start : start + 512])
        await response.write_eof()
        return response


class FakeClock:
    """Virtual time for the SDK's ``Clock`` protocol: sleeping advances it and is recorded."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


def unused_port() -> int:
    """A loopback port with nothing listening on it (connecting is refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Yield to the loop until ``predicate()`` holds (fails the test after ``timeout``)."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + timeout
    while not predicate():
        assert loop.time() < give_up, "condition not reached in time"
        await asyncio.sleep(0.005)


class Internals:
    """White-box reads of one client's internals: the only place tests read the SDK's private state.

    Whatever a user can legitimately see is read through the client's public properties
    (``options``, ``base_url``, ``pacer``, ``rate_limits``, ``requests_sent``,
    ``requests_in_flight``, ``requests_queued``, ``closed``), through a transport or
    ``aiohttp.ClientSession`` the test passed in itself, or on a loopback server. What is read
    here has no public way, and should not have one:

    - ``session`` and ``credentials``: objects that appear in the frame locals of the SDK's
      tracebacks, whose reprs the secret tests check; a public handle on the credentials would
      be one more way to leak them.
    - ``pool``: the ``aiohttp.ClientSession`` the transport creates and owns, reached only to
      check it is reused, closed, or never opened (a caller who wants to see the pool passes
      its own ``session=``).
    - ``requester``: the one-verb seam behind ``cal.bookings``, to send requests for stand-in
      operations that no endpoint method makes.
    - counts a leak census takes: connections checked out of that pool, and the sizes of
      caches and pacer windows (``transport_timeouts``, ``header_layouts_cached``, ``pacer_*``).

    Every read goes through here, so that when the internals move there is one place to change.
    """

    def __init__(self, cal: CalBookings) -> None:
        self._cal = cal

    @property
    def session(self) -> Any:
        """The client's session (shared with its views)."""
        return self._cal._core.session

    @property
    def credentials(self) -> Any:
        """The credentials the session sends now (after any refresh)."""
        return self.session._auth.credentials

    @property
    def requester(self) -> Any:
        """What ``cal.bookings`` sends through (the session, or a view's bound requester)."""
        return self._cal.bookings._requester

    @property
    def pool(self) -> aiohttp.ClientSession | None:
        """The transport's kept-alive pool (``None`` until a first request opens it)."""
        pool: aiohttp.ClientSession | None = self.session._transport._pooled
        return pool

    @property
    def connections_checked_out(self) -> int:
        """Connections taken out of the pool and not yet given back (aiohttp's own count)."""
        pool = self.pool
        connector: Any = None if pool is None else pool.connector
        return 0 if connector is None else len(connector._acquired)

    @property
    def transport_timeouts(self) -> int:
        """Entries in the transport's cache of aiohttp timeouts."""
        return len(self.session._transport._timeouts)

    @property
    def header_layouts_cached(self) -> int:
        """Entries in the rate-limit parser's cache of header layouts (one per process)."""
        from calbookings_async import _ratelimit

        return len(_ratelimit._LAYOUTS)

    @property
    def pacer_windows(self) -> int:
        """Named windows the client's pacer keeps."""
        return len(self._cal.pacer._windows)  # type: ignore[union-attr]

    @property
    def pacer_routes(self) -> int:
        """Routes the client's pacer keeps (windows and names per route)."""
        pacer: Any = self._cal.pacer
        return len(pacer._routes) + len(pacer._route_names)

    @property
    def pacer_in_flight(self) -> int:
        """Requests the client's pacer counts in flight (summed over its windows)."""
        return sum(pacer_in_flight(self._cal.pacer).values())


def pacer_in_flight(pacer: Any) -> dict[str, int]:
    """Requests an ``AdaptivePacer`` counts in flight, by window name (white-box: the
    per-window counts are the pacer's own bookkeeping, see ``Internals``)."""
    return {name: window.in_flight for name, window in pacer._windows.items()}
