"""The Cal.com emulator: an aiohttp.web application serving the bookings API from memory.

:class:`CalEmulator` wires the pieces into one request pipeline, in the live server's order
(API-NOTES §1, §6-§8): version routing on ``cal-api-version`` (the legacy 2024-04-15 controller
answers without it, new-only routes 404), fault injection (a "proxy" in front of the server),
the throttler (which also rejects unknown API keys), authentication (API keys, managed-user
access tokens with expiry, OAuth client credentials), the handler of the route (``_routes``),
the ledger, and the response with Cal.com's envelopes and headers, among them an
``X-Request-Id`` of its own per request (never the client's). Its Python admin API is
``_admin``. It starts on a free loopback port with ``async with CalEmulator() as emu`` or is used
through ``emu.app`` with aiohttp's test client. It imports nothing from the rest of
``calbookings_async``: it is an independent reference implementation of the server, so it cannot
inherit the SDK's bugs.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web

from ._admin import API_VERSION, ORG_ID, OWNER_ID, AdminApi
from ._clock import SYSTEM_CLOCK, EmulatorClock, clock_functions
from ._context import ANONYMOUS, Backend, Caller, Credential, Ctx, Route
from ._envelope import ApiError, envelope, not_found, unauthorized
from ._faults import AFTER_WRITE, FaultInjector, FaultKind, FaultRule
from ._ledger import Ledger
from ._ratelimit import (
    DEFAULT_ACCESS_TOKEN_LIMIT,
    DEFAULT_API_KEY_LIMIT,
    DEFAULT_OAUTH_CLIENT_LIMIT,
    RateLimit,
    Throttler,
)
from ._records import Organization, User
from ._routes import ROUTE_TABLE, ROUTES, named_route_limits
from ._rules import Rules
from ._serialise import Serialiser
from ._store import Store
from ._verification import Verifier
from ._wire import dumps, iso_now, new_seat_uid

__all__ = ["API_VERSION", "DEFAULT_API_KEY", "ROUTES", "CalEmulator", "RequestRecord"]

logger = logging.getLogger("calbookings_async.testing")

#: Versions of other resource families: bookings routes answer 404 under them.
_OTHER_FAMILY_VERSIONS = frozenset({"2024-09-04"})
#: The emulator's default API key (bound to the owner user, sees every booking).
DEFAULT_API_KEY = "cal_test_emulator_0123456789abcdef"
_JSON = "application/json; charset=utf-8"
_THROTTLED = "CustomThrottlerGuard - Too many requests. Please try again later."
_NO_AUTH = (
    "No authentication method provided. Either pass an API key as 'Bearer' header or OAuth "
    "client credentials as 'x-cal-secret-key' and 'x-cal-client-id' headers"
)
_SERVER_ERRORS = {
    FaultKind.HTTP_500: (500, "InternalServerErrorException", "Internal Server Error"),
    FaultKind.HTTP_502: (502, "BadGatewayException", "Bad Gateway"),
    FaultKind.HTTP_503: (503, "ServiceUnavailableException", "Service Unavailable"),
    FaultKind.HTTP_504: (504, "GatewayTimeoutException", "Gateway Timeout"),
}
_HTML_TITLES = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
_REMAINING = "X-RateLimit-Remaining-"


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request the emulator answered (what ``on_request`` and ``--log-requests`` see).

    Attributes:
        method: The HTTP method.
        path: The path and query as sent.
        status: The status answered (for a dropped connection: the one that was not sent).
        remaining: Limit name (header suffix) -> ``X-RateLimit-Remaining-<Name>`` of the answer;
            empty when the request was not throttled (throttling off, or rejected before).
    """

    method: str
    path: str
    status: int
    remaining: Mapping[str, int]

    def line(self) -> str:
        """One log line: ``GET /v2/bookings 200 remaining Default=119``."""
        budget = " ".join(f"{name}={n}" for name, n in self.remaining.items()) or "-"
        return f"{self.method} {self.path} {self.status} remaining {budget}"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class _BookingsView(Mapping[str, dict[str, Any]]):
    """Read access to every booking as the JSON the server would send (fresh copies)."""

    def __init__(self, store: Store, serialiser: Serialiser) -> None:
        self._store = store
        self._serialiser = serialiser

    def __getitem__(self, uid: str) -> dict[str, Any]:
        booking = self._store.bookings.get(uid)
        if booking is None:
            raise KeyError(uid)
        copied: dict[str, Any] = orjson.loads(orjson.dumps(self._serialiser.output(booking)))
        return copied

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._store.bookings))

    def __len__(self) -> int:
        return len(self._store.bookings)

    def __contains__(self, uid: object) -> bool:
        return uid in self._store.bookings


class CalEmulator(AdminApi):
    """An in-memory Cal.com API v2 bookings server for tests, demos and benchmarks.

    Use ``async with CalEmulator(...) as emu:`` to serve it on a free loopback port
    (``emu.base_url``, ``emu.api_key``), or ``emu.app`` with ``aiohttp.test_utils``.

    Args:
        host: Interface to bind (loopback by default).
        port: Port to bind; 0 picks a free one (read it back from ``emu.port``).
        api_key: The default API key (must start with ``cal_``); it acts as the owner user and
            sees every booking.
        api_keys: Extra valid API keys: an iterable of keys, or a mapping key -> named limits
            (None for the default limit).
        access_tokens: Managed-user access tokens: token -> seconds until expiry from now by
            the clock (None never expires; 0 or less is already expired and answers 498).
        oauth_clients: Platform OAuth clients: client id -> secret key.
        rate_limit: Default limit for API keys (and anonymous callers); None turns throttling
            off (route limits included).
        access_token_rate_limit: Default limit for access tokens (Cal.com: 500 per minute).
        oauth_rate_limit: Default limit for OAuth clients (Cal.com: 500 per minute).
        anonymous_rate_limit: Limit per client IP for unauthenticated calls (default: the same
            as ``rate_limit``; Cal.com: 120 per minute).
        route_limits: Per-route named limits that replace the default for that route (route key
            -> limit). Default: the live server's four, ``named_route_limits()`` (5 per 60 s,
            then a 60 s block: add guests, update location, add and remove attendee).
        seed: Seed of every random choice (uids, seeded data, codes, probabilistic faults).
        clock: Where time is read: an :class:`EmulatorClock` (``monotonic()`` for windows,
            blocks and expiry; ``time()`` for the data's "now"), e.g. a :class:`ManualClock`
            that tests advance; or a plain callable of monotonic seconds. Default: the real
            clock.
        wall_clock: Epoch seconds for "now", overriding the clock's ``time()``.
        on_request: Called with a :class:`RequestRecord` after every request (a request log).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str = DEFAULT_API_KEY,
        api_keys: Iterable[str] | Mapping[str, Sequence[RateLimit] | None] = (),
        access_tokens: Mapping[str, float | None] | None = None,
        oauth_clients: Mapping[str, str] | None = None,
        rate_limit: RateLimit | None = DEFAULT_API_KEY_LIMIT,
        access_token_rate_limit: RateLimit = DEFAULT_ACCESS_TOKEN_LIMIT,
        oauth_rate_limit: RateLimit = DEFAULT_OAUTH_CLIENT_LIMIT,
        anonymous_rate_limit: RateLimit | None = None,
        route_limits: Mapping[str, RateLimit] | None = None,
        seed: int = 0,
        clock: EmulatorClock | Callable[[], float] = SYSTEM_CLOCK,
        wall_clock: Callable[[], float] | None = None,
        on_request: Callable[[RequestRecord], None] | None = None,
    ) -> None:
        if not api_key.startswith("cal_"):
            raise ValueError("API keys start with 'cal_'")
        self._host = host
        self._port = port
        self._seed = seed
        self._monotonic, self.wall_clock = clock_functions(clock, wall_clock)
        self.clock = self._monotonic
        self._init_state(seed)
        self._rate_limit = rate_limit
        self._access_token_limit = access_token_rate_limit
        self._oauth_limit = oauth_rate_limit
        self._anonymous_limit = anonymous_rate_limit
        limits = route_limits if route_limits is not None else named_route_limits()
        self._route_limits: dict[str, tuple[RateLimit, ...]] = {
            key: (limit,) for key, limit in limits.items()
        }
        self.on_request = on_request
        self._credentials: dict[str, Credential] = {}
        self._oauth: dict[str, Credential] = {}
        self._trackers: dict[str, str] = {}
        self._request_ids = random.Random(f"request-ids-{seed}")
        self._runner: web.AppRunner | None = None
        self._bound_port: int | None = None
        self.api_key = api_key
        self._init_credentials(api_keys, access_tokens, oauth_clients)
        self.bookings: Mapping[str, dict[str, Any]] = _BookingsView(self.store, self.serialiser)
        self.app = self._build_app()

    def _init_state(self, seed: int) -> None:
        self.store = Store(random.Random(seed), self.wall_clock)
        self.rules = Rules(self.store)
        self.serialiser = Serialiser(self.store)
        self.ledger = Ledger()
        self.verifier = Verifier(
            random.Random(f"codes-{seed}"), lambda: (u.email for u in self.store.users.values())
        )
        self.faults = FaultInjector(random.Random(f"faults-{seed}"))
        self.throttler = Throttler(self._monotonic)
        self.status_counts: Counter[int] = Counter()
        self.errors: list[BaseException] = []
        self.backend = Backend(
            self.store,
            self.rules,
            self.serialiser,
            self.ledger,
            self.verifier,
            self.wall_clock,
            ORG_ID,
        )
        self.store.add_org(Organization(id=ORG_ID, slug="emulator-org", name="Emulator Org"))
        self.store.add_user(
            User(
                id=OWNER_ID,
                name="Emulator Owner",
                email="owner@example.com",
                username="owner",
                time_zone="UTC",
                org_id=ORG_ID,
                org_admin=True,
            )
        )

    def _init_credentials(
        self,
        api_keys: Iterable[str] | Mapping[str, Sequence[RateLimit] | None],
        access_tokens: Mapping[str, float | None] | None,
        oauth_clients: Mapping[str, str] | None,
    ) -> None:
        self.add_api_key(self.api_key)
        if isinstance(api_keys, Mapping):
            for key, limits in api_keys.items():
                self.add_api_key(key, limits=limits)
        else:
            for key in api_keys:
                self.add_api_key(key)
        for token, ttl in (access_tokens or {}).items():
            self.add_access_token(token, expires_in=ttl)
        for client_id, secret in (oauth_clients or {}).items():
            self.add_oauth_client(client_id, secret)

    # -- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        """Serve the app on ``host:port`` (port 0: a free port, read back into ``emu.port``)."""
        if self._runner is not None:
            return
        runner = web.AppRunner(
            self.app, access_log=None, handle_signals=False, shutdown_timeout=0.5
        )
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._bound_port = runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop serving and close every connection."""
        runner, self._runner = self._runner, None
        self._bound_port = None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> CalEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The bound port (only while started)."""
        if self._bound_port is None:
            raise RuntimeError("the emulator is not started")
        return self._bound_port

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the running server (the SDK's base URL)."""
        return f"http://{self._host}:{self.port}"

    @property
    def rate_limit(self) -> RateLimit | None:
        """The default limit of API keys in force (None: throttling is off)."""
        return self._rate_limit

    @property
    def route_limits(self) -> dict[str, RateLimit]:
        """The per-route named limits in force, by route key."""
        return {key: limits[0] for key, limits in self._route_limits.items()}

    # -- app --------------------------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        for route in ROUTE_TABLE:
            app.router.add_route(route.method, route.template, self._endpoint(route))
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        return app

    def _endpoint(self, route: Route) -> Callable[[web.Request], Any]:
        async def endpoint(request: web.Request) -> web.StreamResponse:
            return await self._dispatch(request, route)

        return endpoint

    # -- the pipeline -----------------------------------------------------------------------------

    def _new_request_id(self) -> str:
        """The server's own uuid for a request (the live middleware overwrites the client's)."""
        return new_seat_uid(self._request_ids)

    def _respond(
        self,
        request: web.Request,
        status: int,
        body: bytes,
        request_id: str,
        extra: Sequence[tuple[str, str]] = (),
    ) -> web.Response:
        headers = {"Content-Type": _JSON, "X-Request-Id": request_id}
        for name, value in extra:
            headers[name] = value
        self.status_counts[status] += 1
        self._log(request, status, extra)
        return web.Response(body=body, status=status, headers=headers)

    def _log(self, request: web.Request, status: int, headers: Sequence[tuple[str, str]]) -> None:
        if self.on_request is None:
            return
        remaining = {
            name[len(_REMAINING) :]: int(value)
            for name, value in headers
            if name.startswith(_REMAINING)
        }
        self.on_request(RequestRecord(request.method, request.raw_path, status, remaining))

    def _error_body(self, request: web.Request, error: ApiError) -> bytes:
        return dumps(envelope(error, path=request.raw_path, timestamp=iso_now(self.wall_clock())))

    async def _not_found(self, request: web.Request) -> web.StreamResponse:
        error = not_found(f"Cannot {request.method} {request.raw_path}")
        body = self._error_body(request, error)
        return self._respond(request, 404, body, self._new_request_id())

    async def _dispatch(self, request: web.Request, route: Route) -> web.StreamResponse:
        version = request.headers.get("cal-api-version")
        handler, auth = route.handler, route.auth
        if route.versioned and version != API_VERSION:
            # Nest routes unknown or missing versions to the legacy 2024-04-15 controller;
            # routes it does not have are a plain 404 before any guard runs.
            if route.legacy is None or version in _OTHER_FAMILY_VERSIONS:
                return await self._not_found(request)
            handler, auth = route.legacy, route.legacy_auth
        ctx = Ctx(request, route, self._new_request_id())
        raw = b""
        if route.has_body:
            # Read the body first, as a real server has it before any slow work starts; a
            # client that is already gone gets nothing back.
            try:
                raw = await request.read()
            except ConnectionError:
                return _drop(request)
        fault = self.faults.pick(route.key)
        if fault is not None and fault.kind not in AFTER_WRITE:
            self.faults.record(fault.kind, route.key)
            if fault.kind is not FaultKind.DELAY:
                return self._early_fault(request, fault, ctx.request_id)
            await asyncio.sleep(fault.delay)
        status, body, rate_headers = self._handle(ctx, handler, auth, raw)
        if fault is not None and fault.kind in AFTER_WRITE:
            self.faults.record(fault.kind, route.key)
            self._log(request, status, rate_headers)
            return await self._late_fault(request, fault, status, body, ctx.request_id)
        return self._respond(request, status, body, ctx.request_id, rate_headers)

    def _handle(
        self, ctx: Ctx, handler: Callable[[Backend, Ctx], tuple[int, Any]], auth: str, raw: bytes
    ) -> tuple[int, bytes, list[tuple[str, str]]]:
        """Guards, handler and envelope: ``(status, body, rate-limit headers)``."""
        request = ctx.request
        rate_headers: list[tuple[str, str]] = []
        try:
            if ctx.route.has_body:
                # Express's body parser runs before Nest's guards: bad JSON is a 400 first.
                ctx.raw_body = ctx.body = _parse_json(raw)
            ctx.tracker = self._tracker(request)
            if self._rate_limit is not None:
                rate_headers = self._throttle(request, ctx.route, ctx.tracker)
            if auth != "none":
                ctx.caller = self._authenticate(request, auth)
            status, payload = handler(self.backend, ctx)
            return status, dumps(payload), rate_headers
        except ApiError as error:
            if error.headers:
                rate_headers = list(error.headers.items())
            return error.status, self._error_body(request, error), rate_headers
        except Exception as exc:  # an emulator bug: answer like Nest's default filter
            self.errors.append(exc)
            logger.exception("emulator handler failed on %s", ctx.route.key)
            return 500, b'{"statusCode":500,"message":"Internal server error"}', rate_headers

    def _tracker(self, request: web.Request) -> str:
        headers = request.headers
        authorization = headers.get("Authorization")
        if authorization:
            tracker = self._trackers.get(authorization)
            if tracker is None:
                token = (
                    authorization[7:] if authorization[:7].lower() == "bearer " else authorization
                )
                prefix = "api_key_" if token.startswith("cal_") else "access_token_"
                tracker = prefix + _sha(token)
                if len(self._trackers) < 10_000:
                    self._trackers[authorization] = tracker
            return tracker
        client_id = headers.get("x-cal-client-id")
        if client_id:
            return "oauth_client_" + _sha(client_id)
        return headers.get("cf-connecting-ip") or request.remote or "unknown-ip"

    def _throttle(self, request: web.Request, route: Route, tracker: str) -> list[tuple[str, str]]:
        assert self._rate_limit is not None
        limits = self._route_limits.get(route.key)
        if limits is None:
            if tracker.startswith("api_key_"):
                token = _bearer(request)
                credential = self._credentials.get(token or "")
                if credential is None or credential.kind != "api_key":
                    raise unauthorized("CustomThrottlerGuard - Invalid API Key")
                limits = credential.limits or (self._rate_limit,)
            elif tracker.startswith("access_token_"):
                limits = (self._access_token_limit,)
            elif tracker.startswith("oauth_client_"):
                limits = (self._oauth_limit,)
            else:
                limits = (self._anonymous_limit or self._rate_limit,)
        allowed, headers = self.throttler.hit(tracker, limits)
        if not allowed:
            raise ApiError(
                429,
                _THROTTLED,
                code="ThrottlerException",
                details=_THROTTLED,
                headers=dict(headers),
            )
        return headers

    def _authenticate(self, request: web.Request, auth: str) -> Caller:
        credential = self._credential(request)
        if credential is None:
            if auth == "required":
                raise unauthorized(_NO_AUTH)
            return ANONYMOUS
        user = self.store.users.get(credential.user_id)
        return Caller(
            credential.kind,
            credential.user_id,
            credential.superuser,
            user.email if user is not None else None,
        )

    def _credential(self, request: web.Request) -> Credential | None:
        """The credential a request carries (client credentials first), or None; 401/498 if bad."""
        headers = request.headers
        client_id = headers.get("x-cal-client-id")
        secret = headers.get("x-cal-secret-key")
        if client_id and secret:
            credential = self._oauth.get(client_id)
            if credential is None:
                raise unauthorized("OAuth client not found")
            if credential.secret != secret:
                raise unauthorized("Invalid OAuth client secret")
            return credential
        token = _bearer(request)
        if not token:
            return None
        credential = self._credentials.get(token)
        expired = (
            credential is not None
            and credential.expires_at is not None
            and self._monotonic() >= credential.expires_at
        )
        if token.startswith("cal_"):
            if credential is None:
                raise unauthorized("CustomThrottlerGuard - Invalid API Key")
            if expired:
                raise unauthorized("Your api key is expired")
            return credential
        if credential is None:
            raise unauthorized("Invalid Access Token.")
        if expired:
            raise ApiError(
                498,
                "ACCESS_TOKEN_IS_EXPIRED",
                code="TokenExpiredException",
                details="ACCESS_TOKEN_IS_EXPIRED",
            )
        return credential

    def _early_fault(
        self, request: web.Request, fault: FaultRule, request_id: str
    ) -> web.StreamResponse:
        kind = fault.kind
        if kind in _SERVER_ERRORS:
            status, code, message = _SERVER_ERRORS[kind]
            error = ApiError(status, message, code=code)
            return self._respond(request, status, self._error_body(request, error), request_id)
        if kind is FaultKind.RATE_LIMIT:
            error = ApiError(429, _THROTTLED, code="ThrottlerException", details=_THROTTLED)
            limit = self._rate_limit.limit if self._rate_limit is not None else 120
            headers = [
                ("X-RateLimit-Limit-Default", str(limit)),
                ("X-RateLimit-Remaining-Default", "0"),
                ("X-RateLimit-Reset-Default", str(fault.reset)),
            ]
            body = self._error_body(request, error)
            return self._respond(request, 429, body, request_id, headers)
        if kind is FaultKind.HTML_ERROR:
            title = f"{fault.status} {_HTML_TITLES.get(fault.status, 'Error')}"
            page = (
                f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
                f"<center><h1>{title}</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
                "</body>\r\n</html>\r\n"
            )
            self.status_counts[fault.status] += 1
            self._log(request, fault.status, ())
            return web.Response(
                text=page,
                status=fault.status,
                content_type="text/html",
                headers={"X-Request-Id": request_id},
            )
        if kind is FaultKind.NON_JSON:
            # A 200 that claims JSON but is not (a captive portal, a misconfigured proxy).
            return self._respond(request, 200, b"<html><body>OK</body></html>", request_id)
        # DROP_BEFORE: close the connection without reading on; nothing is processed.
        return _drop(request)

    async def _late_fault(
        self, request: web.Request, fault: FaultRule, status: int, body: bytes, request_id: str
    ) -> web.StreamResponse:
        if fault.kind is FaultKind.DROP_AFTER:
            return _drop(request)
        response = web.StreamResponse(
            status=status, headers={"Content-Type": _JSON, "X-Request-Id": request_id}
        )
        response.content_length = len(body)
        await response.prepare(request)
        await response.write(body[: max(1, len(body) // 2)])
        transport = request.transport
        if transport is not None:
            transport.close()
        return response


def _bearer(request: web.Request) -> str | None:
    authorization = request.headers.get("Authorization")
    if not authorization:
        return None
    if authorization[:7].lower() == "bearer ":
        return authorization[7:].strip()
    return authorization.strip()


def _parse_json(raw: bytes) -> Any:
    if not raw.strip():
        return {}
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"Unexpected token in JSON at position {exc.pos}") from None


def _drop(request: web.Request) -> web.StreamResponse:
    """Close the connection so that no response reaches the client.

    aiohttp then fails to write the returned response with a ``ConnectionError``, which it
    handles quietly; the client sees the connection end without a response.
    """
    transport = request.transport
    if transport is not None:
        transport.close()
    return web.Response(status=204)
