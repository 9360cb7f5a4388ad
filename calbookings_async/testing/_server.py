"""The Cal.com emulator: an aiohttp.web application serving the bookings API from memory.

:class:`CalEmulator` wires the pieces into one request pipeline, in the live server's order
(API-NOTES §1, §6-§8): version routing on ``cal-api-version`` (the legacy 2024-04-15 controller
answers without it, new-only routes 404), fault injection (a "proxy" in front of the server),
the throttler (which also rejects unknown API keys), authentication (API keys, managed-user
access tokens with expiry, OAuth client credentials), the ValidationPipe, the handler, the
ledger, and the response with Cal.com's envelopes and headers. It starts on a free loopback port
with ``async with CalEmulator() as emu`` or is used through ``emu.app`` with aiohttp's test
client. It imports nothing from the rest of ``calbookings_async``: it is an independent
reference implementation of the server, so it cannot inherit the SDK's bugs.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import orjson
from aiohttp import web

from ._envelope import ApiError, bad_request, envelope, forbidden, not_found, unauthorized
from ._faults import AFTER_WRITE, FaultInjector, FaultKind, FaultRule
from ._ledger import Ledger
from ._ratelimit import (
    DEFAULT_ACCESS_TOKEN_LIMIT,
    DEFAULT_API_KEY_LIMIT,
    DEFAULT_OAUTH_CLIENT_LIMIT,
    GUESTS_ADD_LIMIT,
    RateLimit,
    Throttler,
)
from ._records import Attendee, Booking, EventType, Organization, Recurrence, Team, User
from ._seed import SeedSummary, seed_store
from ._state import ListQuery, Store, not_found_uid
from ._validation import (
    clean_add_guests,
    clean_cancel,
    clean_create,
    clean_decline,
    clean_legacy_create,
    clean_mark_absent,
    clean_reassign,
    clean_reschedule,
    clean_update_location,
    parse_list_query,
    parse_reference_type,
)
from ._wire import dumps, iso_now, new_seat_uid, parse_iso8601

__all__ = ["API_VERSION", "DEFAULT_API_KEY", "ROUTES", "CalEmulator"]

logger = logging.getLogger("calbookings_async.testing")

#: The only ``cal-api-version`` the documented bookings controller answers.
API_VERSION = "2024-08-13"
#: Versions the legacy bookings controller serves; unknown or missing values route here too.
_OTHER_FAMILY_VERSIONS = frozenset({"2024-09-04"})
#: The emulator's default API key (bound to the owner user, sees every booking).
DEFAULT_API_KEY = "cal_test_emulator_0123456789abcdef"
_OWNER_ID = 1
_ORG_ID = 1
_JSON = "application/json; charset=utf-8"
_THROTTLED = "CustomThrottlerGuard - Too many requests. Please try again later."
_NO_AUTH = (
    "No authentication method provided. Either pass an API key as 'Bearer' header or OAuth "
    "client credentials as 'x-cal-secret-key' and 'x-cal-client-id' headers"
)
_LIST_PARAMS = frozenset(
    [
        "status",
        "attendeeEmail",
        "attendeeName",
        "bookingUid",
        "eventTypeIds",
        "eventTypeId",
        "teamsIds",
        "teamId",
        "afterStart",
        "beforeEnd",
        "afterCreatedAt",
        "beforeCreatedAt",
        "afterUpdatedAt",
        "beforeUpdatedAt",
        "sortStart",
        "sortEnd",
        "sortCreated",
        "sortUpdatedAt",
        "take",
        "skip",
    ]
)
_TEAM_LIST_PARAMS = frozenset(
    [
        "status",
        "attendeeEmail",
        "attendeeName",
        "bookingUid",
        "eventTypeIds",
        "eventTypeId",
        "afterStart",
        "beforeEnd",
        "sortStart",
        "sortEnd",
        "sortCreated",
        "take",
        "skip",
    ]
)
_SERVER_ERRORS = {
    FaultKind.HTTP_500: (500, "InternalServerErrorException", "Internal Server Error"),
    FaultKind.HTTP_502: (502, "BadGatewayException", "Bad Gateway"),
    FaultKind.HTTP_503: (503, "ServiceUnavailableException", "Service Unavailable"),
    FaultKind.HTTP_504: (504, "GatewayTimeoutException", "Gateway Timeout"),
}
_HTML_TITLES = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


@dataclass(slots=True)
class _Credential:
    kind: str
    user_id: int
    superuser: bool
    limits: tuple[RateLimit, ...] | None = None
    expires_at: float | None = None
    secret: str | None = None


@dataclass(slots=True)
class _Caller:
    kind: str
    user_id: int | None
    superuser: bool
    email: str | None

    @property
    def authenticated(self) -> bool:
        return self.kind != "anonymous"


_ANONYMOUS = _Caller("anonymous", None, False, None)


@dataclass(frozen=True, slots=True)
class _Route:
    method: str
    template: str
    operation: str
    handler: Callable[[_Ctx], tuple[int, Any]]
    auth: str  # "optional" | "required" | "any-credential" (recordings/transcripts oddity)
    versioned: bool
    legacy: Callable[[_Ctx], tuple[int, Any]] | None = None
    legacy_auth: str = "optional"
    has_body: bool = False

    @property
    def key(self) -> str:
        return f"{self.method} {self.template}"


class _Ctx:
    __slots__ = ("body", "caller", "raw_body", "request", "request_id", "route", "tracker")

    def __init__(self, request: web.Request, route: _Route, request_id: str) -> None:
        self.request = request
        self.route = route
        self.request_id = request_id
        self.caller = _ANONYMOUS
        self.tracker = ""
        self.body: Any = None
        self.raw_body: Any = None


#: Every operation the emulator serves, as ``METHOD /path/template`` (the fault/limit route keys).
ROUTES: tuple[str, ...] = (
    "POST /v2/bookings",
    "GET /v2/bookings",
    "GET /v2/bookings/{bookingUid}",
    "GET /v2/bookings/{bookingUid}/recordings",
    "GET /v2/bookings/{bookingUid}/transcripts",
    "POST /v2/bookings/{bookingUid}/reschedule",
    "POST /v2/bookings/{bookingUid}/cancel",
    "POST /v2/bookings/{bookingUid}/mark-absent",
    "POST /v2/bookings/{bookingUid}/reassign",
    "POST /v2/bookings/{bookingUid}/reassign/{userId}",
    "POST /v2/bookings/{bookingUid}/confirm",
    "POST /v2/bookings/{bookingUid}/decline",
    "GET /v2/bookings/{bookingUid}/calendar-links",
    "GET /v2/bookings/{bookingUid}/references",
    "GET /v2/bookings/{bookingUid}/conferencing-sessions",
    "PATCH /v2/bookings/{bookingUid}/location",
    "POST /v2/bookings/{bookingUid}/guests",
    "GET /v2/organizations/{orgId}/bookings",
    "GET /v2/organizations/{orgId}/teams/{teamId}/bookings",
    "GET /v2/organizations/{orgId}/teams/{teamId}/bookings/{bookingUid}/references",
    "GET /v2/organizations/{orgId}/users/{userId}/bookings",
)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _to_ms(value: datetime | str | int | float) -> int:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return int(value.timestamp() * 1000)
    if isinstance(value, str):
        parsed = parse_iso8601(value)
        if parsed is None:
            raise ValueError(f"not an ISO 8601 date: {value!r}")
        return parsed[0]
    return int(value)


def _path_int(ctx: _Ctx, name: str) -> int:
    raw = ctx.request.match_info[name]
    if not raw.lstrip("-").isdigit():
        raise bad_request("Validation failed (numeric string is expected)")
    return int(raw)


def pagination(total: int, take: int, skip: int) -> dict[str, Any]:
    """``PaginationMetaDto`` computed exactly as ``lib/pagination/pagination.ts`` (§9).

    Args:
        total: Items matching the query.
        take: Requested page size (1..250).
        skip: Requested offset (>= 0).
    """
    skip = min(max(skip, 0), total)
    total_pages = -(-total // take)
    current = min(max(skip // take + 1, 1), total_pages) if total_pages else 0
    return {
        "totalItems": total,
        "remainingItems": min(max(total - (skip + take), 0), total),
        "returnedItems": min(max(total - skip, 0), take),
        "itemsPerPage": take,
        "currentPage": current,
        "totalPages": total_pages,
        "hasNextPage": skip + take < total,
        "hasPreviousPage": skip > 0,
    }


class _BookingsView(Mapping[str, dict[str, Any]]):
    """Read access to every booking as the JSON the server would send (fresh copies)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __getitem__(self, uid: str) -> dict[str, Any]:
        booking = self._store.bookings.get(uid)
        if booking is None:
            raise KeyError(uid)
        copied: dict[str, Any] = orjson.loads(orjson.dumps(self._store.output(booking)))
        return copied

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._store.bookings))

    def __len__(self) -> int:
        return len(self._store.bookings)

    def __contains__(self, uid: object) -> bool:
        return uid in self._store.bookings


class CalEmulator:
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
            ``clock`` (None never expires; 0 or less is already expired and answers 498).
        oauth_clients: Platform OAuth clients: client id -> secret key.
        rate_limit: Default limit for API keys (and anonymous callers); None turns throttling off.
        access_token_rate_limit: Default limit for access tokens (Cal.com: 500 per minute).
        oauth_rate_limit: Default limit for OAuth clients (Cal.com: 500 per minute).
        anonymous_rate_limit: Limit per client IP for unauthenticated calls (default: the same
            as ``rate_limit``; Cal.com: 120 per minute).
        route_limits: Per-route named limits that replace the default for that route; by default
            ``booking_guests_add`` (5 per 60 s) on ``POST /v2/bookings/{bookingUid}/guests``.
        seed: Seed of every random choice (uids, seeded data, probabilistic faults).
        clock: Monotonic seconds for the throttler and token expiry (inject a fake in tests).
        wall_clock: Epoch seconds for "now" (past/upcoming, createdAt, the past-booking rule).
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
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if not api_key.startswith("cal_"):
            raise ValueError("API keys start with 'cal_'")
        self._host = host
        self._port = port
        self._seed = seed
        self.clock = clock
        self.wall_clock = wall_clock
        self.store = Store(random.Random(seed), wall_clock)
        self.ledger = Ledger()
        self.faults = FaultInjector(random.Random(f"faults-{seed}"))
        self.throttler = Throttler(clock)
        self.status_counts: Counter[int] = Counter()
        self.errors: list[BaseException] = []
        self._rate_limit = rate_limit
        self._access_token_limit = access_token_rate_limit
        self._oauth_limit = oauth_rate_limit
        self._anonymous_limit = anonymous_rate_limit
        self._route_limits: dict[str, tuple[RateLimit, ...]] = {
            key: (limit,)
            for key, limit in (
                route_limits
                if route_limits is not None
                else {"POST /v2/bookings/{bookingUid}/guests": GUESTS_ADD_LIMIT}
            ).items()
        }
        self._credentials: dict[str, _Credential] = {}
        self._oauth: dict[str, _Credential] = {}
        self._trackers: dict[str, str] = {}
        self._request_ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._bound_port: int | None = None

        self.store.add_org(Organization(id=_ORG_ID, slug="emulator-org", name="Emulator Org"))
        self.store.add_user(
            User(
                id=_OWNER_ID,
                name="Emulator Owner",
                email="owner@example.com",
                username="owner",
                time_zone="UTC",
                org_id=_ORG_ID,
                org_admin=True,
            )
        )
        self.api_key = api_key
        self.add_api_key(api_key)
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
        self.bookings: Mapping[str, dict[str, Any]] = _BookingsView(self.store)
        self.app = self._build_app()

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

    # -- credentials ----------------------------------------------------------------------------

    def add_api_key(
        self,
        key: str,
        *,
        user_id: int | None = None,
        limits: Sequence[RateLimit] | None = None,
        expires_in: float | None = None,
    ) -> None:
        """Register an API key.

        Args:
            key: The key; must start with ``cal_``.
            user_id: The user it belongs to; None makes it act as the owner and see everything.
            limits: Named rate limits (several allowed); None uses the default limit.
            expires_in: Seconds (by ``clock``) until it expires (401 "Your api key is expired").
        """
        if not key.startswith("cal_"):
            raise ValueError("API keys start with 'cal_'")
        self._credentials[key] = _Credential(
            "api_key",
            user_id if user_id is not None else _OWNER_ID,
            user_id is None,
            tuple(limits) if limits else None,
            None if expires_in is None else self.clock() + expires_in,
        )

    def add_access_token(
        self, token: str, *, user_id: int | None = None, expires_in: float | None = 3600.0
    ) -> None:
        """Register a managed-user access token.

        Args:
            token: The bearer token (anything not starting with ``cal_``).
            user_id: The managed user; None acts as the owner and sees everything.
            expires_in: Seconds (by ``clock``) until it answers 498; None never expires.
        """
        if token.startswith("cal_"):
            raise ValueError("access tokens must not start with 'cal_'")
        self._credentials[token] = _Credential(
            "access_token",
            user_id if user_id is not None else _OWNER_ID,
            user_id is None,
            None,
            None if expires_in is None else self.clock() + expires_in,
        )

    def expire_access_token(self, token: str) -> None:
        """Make an access token expired from now on (it answers 498)."""
        self._credentials[token].expires_at = self.clock()

    def add_oauth_client(self, client_id: str, secret: str, *, user_id: int | None = None) -> None:
        """Register platform OAuth client credentials (``x-cal-client-id``/``x-cal-secret-key``)."""
        self._oauth[client_id] = _Credential(
            "oauth_client",
            user_id if user_id is not None else _OWNER_ID,
            user_id is None,
            secret=secret,
        )

    # -- data -------------------------------------------------------------------------------------

    def seed(
        self,
        bookings: int = 1000,
        *,
        users: int | None = None,
        oddities: bool = True,
        anchor: datetime | str | int | None = None,
    ) -> SeedSummary:
        """Create deterministic hosts, teams, event types and bookings of every kind.

        Args:
            bookings: Exactly how many bookings to create.
            users: How many hosts (default scales with ``bookings``).
            oddities: Include the nulls and dangling references the live server can return
                (null description/location/updatedAt, no event type, an "unknown" host).
            anchor: "Now" of the data (default: the wall clock, floored to the hour); about half
                the bookings end before it.

        Returns:
            What was created (ids, uids, and uids by kind).
        """
        anchor_ms = _to_ms(anchor) if anchor is not None else self.store.now_ms()
        rng = random.Random(f"seed-{self._seed}-{len(self.store.bookings)}")
        summary = seed_store(
            self.store,
            rng,
            bookings=bookings,
            users=users,
            anchor=anchor_ms,
            org_id=_ORG_ID,
            oddities=oddities,
        )
        self.store.invalidate_users()
        return summary

    def add_user(
        self,
        *,
        name: str,
        email: str | None = None,
        username: str | None = None,
        time_zone: str = "UTC",
        org_admin: bool = False,
        user_id: int | None = None,
    ) -> int:
        """Add a user (a potential host) to the emulator's organization; returns its id."""
        uid = user_id if user_id is not None else self.store.next_user_id
        slug = username or name.lower().replace(" ", "-")
        self.store.add_user(
            User(
                id=uid,
                name=name,
                email=email or f"{slug}@example.com",
                username=slug,
                time_zone=time_zone,
                org_id=_ORG_ID,
                org_admin=org_admin,
            )
        )
        self.store.invalidate_users()
        return uid

    def remove_user(self, user_id: int) -> None:
        """Delete a user; their bookings then show the live server's ``"unknown"`` host."""
        user = self.store.users.pop(user_id)
        if user.username:
            self.store.users_by_username.pop(user.username, None)
        self.store.invalidate_users()

    def add_team(self, *, slug: str, name: str | None = None) -> int:
        """Add a team in the emulator's organization; returns its id."""
        team = self.store.add_team(
            Team(id=self.store.next_team_id, slug=slug, name=name or slug.title(), org_id=_ORG_ID)
        )
        return team.id

    def add_event_type(
        self,
        *,
        slug: str,
        title: str | None = None,
        length: int = 30,
        owner_id: int | None = None,
        team_id: int | None = None,
        scheduling_type: str | None = None,
        host_ids: Sequence[int] = (),
        requires_confirmation: bool = False,
        recurrence: Recurrence | int | None = None,
        seats: int | None = None,
        seats_show_attendees: bool = True,
        lengths: Sequence[int] = (),
        location: str | None = "integrations:daily",
        requires_auth: bool = False,
    ) -> int:
        """Add an event type; returns its id.

        Args:
            slug: The slug (bookable with ``eventTypeSlug`` + ``username``/``teamSlug``).
            title: Title (default from the slug).
            length: Default duration in minutes.
            owner_id: The owning user of a personal event type (default: the owner user).
            team_id: The owning team of a team event type.
            scheduling_type: ``"ROUND_ROBIN"`` or ``"COLLECTIVE"`` for team event types.
            host_ids: Hosts of a team event type.
            requires_confirmation: New bookings are ``pending`` until confirmed.
            recurrence: A :class:`Recurrence` or a weekly occurrence count.
            seats: Seats per time slot (a seated event type).
            seats_show_attendees: Whether anonymous callers see the other seats' attendees.
            lengths: Selectable durations (``lengthInMinutes``).
            location: Location string given to its bookings.
            requires_auth: ``bookingRequiresAuthentication``.
        """
        if team_id is None and owner_id is None:
            owner_id = _OWNER_ID
        if isinstance(recurrence, int):
            recurrence = Recurrence("weekly", 1, recurrence)
        event_type = self.store.add_event_type(
            EventType(
                id=self.store.next_event_type_id,
                slug=slug,
                title=title or slug.replace("-", " ").capitalize(),
                length=length,
                owner_id=owner_id,
                team_id=team_id,
                scheduling_type=scheduling_type,
                host_ids=list(host_ids),
                requires_confirmation=requires_confirmation,
                recurrence=recurrence,
                seats=seats,
                seats_show_attendees=seats_show_attendees,
                lengths=tuple(lengths),
                location=location,
                requires_auth=requires_auth,
            )
        )
        return event_type.id

    def add_booking(
        self,
        *,
        event_type_id: int,
        start: datetime | str | int,
        attendee_name: str = "Alex Attendee",
        attendee_email: str = "alex@example.org",
        attendee_time_zone: str = "Europe/Berlin",
        host_id: int | None = None,
        status: str = "accepted",
        length: int | None = None,
        metadata: Mapping[str, Any] | None = None,
        description: str | None = None,
        location: str | None = None,
        created: datetime | str | int | None = None,
        recurring_uid: str | None = None,
        extra_attendees: Sequence[tuple[str, str]] = (),
    ) -> str:
        """Insert one booking with chosen fields, without the API's rules (past dates allowed).

        Args:
            event_type_id: Its event type (decides seated/host).
            start: Start time (datetime, ISO text or epoch ms).
            attendee_name: The first attendee's name.
            attendee_email: The first attendee's email.
            attendee_time_zone: The first attendee's time zone.
            host_id: The organizer (default: the event type's first host).
            status: ``accepted``, ``pending``, ``cancelled``, ``rejected`` or ``awaiting_host``.
            length: Duration in minutes (default: the event type's).
            metadata: User metadata.
            description: The description (``None`` is what the live server sends without notes).
            location: Location string (default: the event type's).
            created: Creation time (default: now).
            recurring_uid: Put the booking in this recurring series.
            extra_attendees: More ``(name, email)`` attendees (seats, for a seated event type).

        Returns:
            The new booking's uid.
        """
        store = self.store
        event_type = store.event_types[event_type_id]
        start_ms = _to_ms(start)
        now = store.now_ms()
        created_ms = _to_ms(created) if created is not None else now
        uid = store.new_uid()
        people = [Attendee(attendee_name, attendee_email, attendee_time_zone)]
        people.extend(Attendee(n, e, attendee_time_zone) for n, e in extra_attendees)
        if event_type.seats:
            for person in people:
                person.seat_uid = _uuid(store)
                person.seat_responses = {"name": person.name, "email": person.email}
                person.seat_metadata = {}
        host = host_id if host_id is not None else (event_type.host_ids or [_OWNER_ID])[0]
        booking = Booking(
            id=store.new_booking_id(),
            uid=uid,
            title=store._title(event_type, host, attendee_name),
            description=description,
            user_id=host,
            event_type_id=event_type_id,
            status=status.upper(),
            start=start_ms,
            end=start_ms + (length or event_type.length) * 60_000,
            created=created_ms,
            updated=created_ms,
            location=location if location is not None else event_type.location,
            metadata=dict(metadata or {}),
            responses={"name": attendee_name, "email": attendee_email},
            attendees=people,
            seated=event_type.seats is not None,
            recurring_event_id=recurring_uid,
            ical_uid=f"{uid}@Cal.com",
        )
        store.insert_booking(booking)
        return uid

    def update_booking(self, uid: str, **fields: Any) -> None:
        """Overwrite fields of a booking row directly (no rules, no ledger entry).

        Handy to reproduce states the API cannot reach, e.g. ``location=None``, ``updated=None``
        or ``rating=5``. Field names are those of the internal row (``description``,
        ``location``, ``status`` in upper case, ``start``/``end``/``created``/``updated`` as epoch
        ms, ``rating``, ``no_show_host``, ``user_id``, ``event_type_id``, ``metadata``, ...).

        Raises:
            KeyError: No booking has this uid.
            AttributeError: A field name is not a booking field.
        """
        store = self.store
        booking = store.bookings[uid]
        for name in fields:
            if name not in Booking.__dataclass_fields__ or name in ("id", "uid", "cache"):
                raise AttributeError(f"not an updatable booking field: {name}")
        store._unindex(booking)
        for name, value in fields.items():
            setattr(booking, name, value)
        store._index(booking)
        booking.cache = None
        store.version += 1

    def get_booking(self, uid: str) -> dict[str, Any]:
        """The booking as ``GET /v2/bookings/{uid}`` would send it to the owner (a copy).

        Raises:
            KeyError: No booking has this uid.
        """
        return self.bookings[uid]

    def get_recurring(self, recurring_uid: str) -> list[dict[str, Any]]:
        """Every recurrence of a series, as the server would send them (copies, start order)."""
        return [
            orjson.loads(orjson.dumps(self.store.output(b)))
            for b in self.store.recurrences(recurring_uid)
        ]

    def booking_record(self, uid: str) -> Booking:
        """The internal row of a booking (e.g. ``rejection_reason``, which the API never sends)."""
        return self.store.bookings[uid]

    def headers(
        self, *, token: str | None = None, version: str | None = API_VERSION
    ) -> dict[str, str]:
        """Request headers for a raw client: ``Authorization`` and ``cal-api-version``.

        Args:
            token: API key or access token (default: ``emu.api_key``).
            version: ``cal-api-version`` value; None leaves the header out (the legacy API).
        """
        headers = {"Authorization": f"Bearer {token or self.api_key}"}
        if version is not None:
            headers["cal-api-version"] = version
        return headers

    def reset_rate_limits(self) -> None:
        """Forget every rate-limit window and block."""
        self.throttler.reset()

    # -- app ------------------------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        for route in self._routes():
            app.router.add_route(route.method, route.template, self._endpoint(route))
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        return app

    def _endpoint(self, route: _Route) -> Callable[[web.Request], Any]:
        async def endpoint(request: web.Request) -> web.StreamResponse:
            return await self._dispatch(request, route)

        return endpoint

    def _routes(self) -> list[_Route]:
        r = _Route
        return [
            r("POST", "/v2/bookings", "create", self._create, "optional", True,
              self._legacy_create, "optional", has_body=True),
            r("GET", "/v2/bookings", "list", self._list, "required", True,
              self._legacy_list, "required"),
            r("GET", "/v2/bookings/{bookingUid}", "get", self._get, "optional", True,
              self._legacy_get, "optional"),
            r("GET", "/v2/bookings/{bookingUid}/recordings", "recordings", self._recordings,
              "any-credential", True),
            r("GET", "/v2/bookings/{bookingUid}/transcripts", "transcripts", self._transcripts,
              "any-credential", True),
            r("POST", "/v2/bookings/{bookingUid}/reschedule", "reschedule", self._reschedule,
              "optional", True, has_body=True),
            r("POST", "/v2/bookings/{bookingUid}/cancel", "cancel", self._cancel, "optional",
              True, self._legacy_cancel, "optional", has_body=True),
            r("POST", "/v2/bookings/{bookingUid}/mark-absent", "mark_absent", self._mark_absent,
              "required", True, has_body=True),
            r("POST", "/v2/bookings/{bookingUid}/reassign", "reassign", self._reassign,
              "required", True),
            r("POST", "/v2/bookings/{bookingUid}/reassign/{userId}", "reassign_to_user",
              self._reassign_to_user, "required", True, has_body=True),
            r("POST", "/v2/bookings/{bookingUid}/confirm", "confirm", self._confirm, "required",
              True),
            r("POST", "/v2/bookings/{bookingUid}/decline", "decline", self._decline, "required",
              True, has_body=True),
            r("GET", "/v2/bookings/{bookingUid}/calendar-links", "calendar_links",
              self._calendar_links, "required", True),
            r("GET", "/v2/bookings/{bookingUid}/references", "references", self._references,
              "required", True),
            r("GET", "/v2/bookings/{bookingUid}/conferencing-sessions", "conferencing_sessions",
              self._sessions, "required", True),
            r("PATCH", "/v2/bookings/{bookingUid}/location", "update_location",
              self._update_location, "required", True, has_body=True),
            r("POST", "/v2/bookings/{bookingUid}/guests", "add_guests", self._add_guests,
              "required", True, has_body=True),
            r("GET", "/v2/organizations/{orgId}/bookings", "org_bookings", self._org_bookings,
              "required", False),
            r("GET", "/v2/organizations/{orgId}/teams/{teamId}/bookings", "org_team_bookings",
              self._org_team_bookings, "required", False),
            r("GET", "/v2/organizations/{orgId}/teams/{teamId}/bookings/{bookingUid}/references",
              "org_team_booking_references", self._org_team_references, "required", False),
            r("GET", "/v2/organizations/{orgId}/users/{userId}/bookings", "org_user_bookings",
              self._org_user_bookings, "required", False),
        ]  # fmt: skip

    # -- the pipeline ---------------------------------------------------------------------------

    def _respond(
        self, status: int, body: bytes, request_id: str, extra: Sequence[tuple[str, str]] = ()
    ) -> web.Response:
        headers = {"Content-Type": _JSON, "X-Request-Id": request_id}
        for name, value in extra:
            headers[name] = value
        self.status_counts[status] += 1
        return web.Response(body=body, status=status, headers=headers)

    def _error_body(self, request: web.Request, error: ApiError) -> bytes:
        return dumps(envelope(error, path=request.raw_path, timestamp=iso_now(self.wall_clock())))

    async def _not_found(self, request: web.Request) -> web.StreamResponse:
        request_id = request.headers.get("X-Request-Id") or f"emu-{next(self._request_ids)}"
        error = not_found(f"Cannot {request.method} {request.raw_path}")
        return self._respond(404, self._error_body(request, error), request_id)

    async def _dispatch(self, request: web.Request, route: _Route) -> web.StreamResponse:
        headers = request.headers
        request_id = headers.get("X-Request-Id") or f"emu-{next(self._request_ids)}"
        handler = route.handler
        auth = route.auth
        if route.versioned and headers.get("cal-api-version") != API_VERSION:
            # Nest routes unknown or missing versions to the legacy 2024-04-15 controller;
            # routes it does not have are a plain 404 before any guard runs.
            if route.legacy is None or headers.get("cal-api-version") in _OTHER_FAMILY_VERSIONS:
                return await self._not_found(request)
            handler = route.legacy
            auth = route.legacy_auth
        ctx = _Ctx(request, route, request_id)
        late_fault: FaultRule | None = None
        rate_headers: list[tuple[str, str]] = []
        raw = b""
        if route.has_body:
            # Read the body first, as a real server has it before any slow work starts; a
            # client that is already gone gets nothing back.
            try:
                raw = await request.read()
            except ConnectionError:
                return _drop(request)
        try:
            fault = self.faults.pick(route.key)
            if fault is not None:
                if fault.kind is FaultKind.DELAY:
                    self.faults.record(fault.kind, route.key)
                    await asyncio.sleep(fault.delay)
                elif fault.kind in AFTER_WRITE:
                    late_fault = fault
                else:
                    self.faults.record(fault.kind, route.key)
                    return self._early_fault(request, fault, request_id)
            if route.has_body:
                # Express's body parser runs before Nest's guards: bad JSON is a 400 first.
                ctx.raw_body = _parse_json(raw)
                ctx.body = ctx.raw_body
            ctx.tracker = self._tracker(request)
            if self._rate_limit is not None:
                rate_headers = self._throttle(request, route, ctx.tracker)
            ctx.caller = self._authenticate(request, auth)
            status, payload = handler(ctx)
            body = dumps(payload)
        except ApiError as error:
            status = error.status
            body = self._error_body(request, error)
            if error.headers:
                rate_headers = list(error.headers.items())
        except Exception as exc:  # an emulator bug: answer like Nest's default filter
            self.errors.append(exc)
            logger.exception("emulator handler failed on %s", route.key)
            status = 500
            body = b'{"statusCode":500,"message":"Internal server error"}'
        if late_fault is not None:
            self.faults.record(late_fault.kind, route.key)
            return await self._late_fault(request, late_fault, status, body, request_id)
        return self._respond(status, body, request_id, rate_headers)

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

    def _throttle(self, request: web.Request, route: _Route, tracker: str) -> list[tuple[str, str]]:
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

    def _authenticate(self, request: web.Request, auth: str) -> _Caller:
        headers = request.headers
        client_id = headers.get("x-cal-client-id")
        secret = headers.get("x-cal-secret-key")
        credential: _Credential | None = None
        if client_id and secret:
            credential = self._oauth.get(client_id)
            if credential is None:
                raise unauthorized("OAuth client not found")
            if credential.secret != secret:
                raise unauthorized("Invalid OAuth client secret")
        else:
            token = _bearer(request)
            if token:
                credential = self._credentials.get(token)
                if token.startswith("cal_"):
                    if credential is None:
                        raise unauthorized("CustomThrottlerGuard - Invalid API Key")
                    if credential.expires_at is not None and self.clock() >= credential.expires_at:
                        raise unauthorized("Your api key is expired")
                else:
                    if credential is None:
                        raise unauthorized("Invalid Access Token.")
                    if credential.expires_at is not None and self.clock() >= credential.expires_at:
                        raise ApiError(
                            498,
                            "ACCESS_TOKEN_IS_EXPIRED",
                            code="TokenExpiredException",
                            details="ACCESS_TOKEN_IS_EXPIRED",
                        )
        if credential is None:
            if auth == "required":
                raise unauthorized(_NO_AUTH)
            if auth == "any-credential":
                raise forbidden("no authentication provided")
            return _ANONYMOUS
        user = self.store.users.get(credential.user_id)
        return _Caller(
            credential.kind,
            credential.user_id,
            credential.superuser,
            user.email if user is not None else None,
        )

    def _early_fault(
        self, request: web.Request, fault: FaultRule, request_id: str
    ) -> web.StreamResponse:
        kind = fault.kind
        if kind in _SERVER_ERRORS:
            status, code, message = _SERVER_ERRORS[kind]
            error = ApiError(status, message, code=code)
            return self._respond(status, self._error_body(request, error), request_id)
        if kind is FaultKind.RATE_LIMIT:
            error = ApiError(429, _THROTTLED, code="ThrottlerException", details=_THROTTLED)
            limit = self._rate_limit.limit if self._rate_limit is not None else 120
            headers = [
                ("X-RateLimit-Limit-Default", str(limit)),
                ("X-RateLimit-Remaining-Default", "0"),
                ("X-RateLimit-Reset-Default", str(fault.reset)),
            ]
            return self._respond(429, self._error_body(request, error), request_id, headers)
        if kind is FaultKind.HTML_ERROR:
            title = f"{fault.status} {_HTML_TITLES.get(fault.status, 'Error')}"
            page = (
                f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
                f"<center><h1>{title}</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
                "</body>\r\n</html>\r\n"
            )
            self.status_counts[fault.status] += 1
            return web.Response(
                text=page,
                status=fault.status,
                content_type="text/html",
                headers={"X-Request-Id": request_id},
            )
        if kind is FaultKind.NON_JSON:
            # A 200 that claims JSON but is not (a captive portal, a misconfigured proxy).
            return self._respond(200, b"<html><body>OK</body></html>", request_id)
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

    # -- helpers shared by handlers ----------------------------------------------------------------

    def _privileged(self, caller: _Caller, booking: Booking) -> bool:
        if caller.superuser:
            return True
        if caller.user_id is None:
            return False
        if booking.user_id == caller.user_id:
            return True
        event_type = self.store.event_types.get(booking.event_type_id or -1)
        return event_type is not None and caller.user_id in event_type.host_ids

    def _managed(self, ctx: _Ctx) -> Booking:
        booking = self.store.get(ctx.request.match_info["bookingUid"])
        if not self._privileged(ctx.caller, booking):
            raise forbidden(
                f"User with id={ctx.caller.user_id} is not authorized to access booking "
                f"with uid={booking.uid}"
            )
        return booking

    def _out(self, ctx: _Ctx, booking: Booking) -> dict[str, Any]:
        return self.store.visible_output(booking, privileged=self._privileged(ctx.caller, booking))

    def _record(self, ctx: _Ctx, operation: str, bookings: Sequence[Booking]) -> None:
        self.ledger.record(
            operation,
            tuple(b.uid for b in bookings),
            body=ctx.raw_body,
            result=tuple(self.store.output(b) for b in bookings),
            tracker=ctx.tracker,
            time=self.wall_clock(),
            route=ctx.route.key,
            request_id=ctx.request_id,
        )

    def _actor(self, ctx: _Ctx, booking: Booking | None = None) -> str | None:
        if ctx.caller.email is not None:
            return ctx.caller.email
        if booking is not None and booking.attendees:
            return booking.attendees[0].email or None
        return None

    def _event_type(self, ctx: _Ctx, body: dict[str, Any]) -> EventType:
        store = self.store
        if "eventTypeId" in body:
            event_type = store.event_types.get(body["eventTypeId"])
            if event_type is None:
                raise not_found(f"Event type with id {body['eventTypeId']} not found.")
            return event_type
        slug = body["eventTypeSlug"]
        if "username" in body:
            user = store.users_by_username.get(body["username"])
            for event_type in store.event_types.values():
                if user is not None and event_type.slug == slug and event_type.owner_id == user.id:
                    return event_type
            raise not_found(
                f"Event type with slug {slug} belonging to user {body['username']} not found."
            )
        team = store.teams_by_slug.get(body["teamSlug"])
        for event_type in store.event_types.values():
            if team is not None and event_type.slug == slug and event_type.team_id == team.id:
                return event_type
        raise not_found(
            f"Event type with slug {slug} belonging to team {body['teamSlug']} not found."
        )

    # -- 2024-08-13 handlers --------------------------------------------------------------------

    def _create(self, ctx: _Ctx) -> tuple[int, Any]:
        body = clean_create(ctx.body)
        event_type = self._event_type(ctx, body)
        if event_type.requires_auth and not ctx.caller.authenticated:
            raise unauthorized(
                "This event type requires authentication. Please provide valid credentials."
            )
        parsed = parse_iso8601(body["start"])
        assert parsed is not None
        length = body.get("lengthInMinutes")
        if length is not None:
            if not event_type.lengths:
                raise bad_request(
                    "Can't specify 'lengthInMinutes' because event type does not have multiple "
                    "possible lengths. Please, remove the 'lengthInMinutes' field from the request."
                )
            if length not in event_type.lengths:
                options = ", ".join(str(n) for n in event_type.lengths)
                raise bad_request(
                    f"Provided 'lengthInMinutes' is not one of the possible lengths for the event "
                    f"type. The possible lengths are: {options}"
                )
        instant = bool(body.get("instant"))
        if instant and event_type.team_id is None:
            raise bad_request("Instant bookings are only supported for team event types.")
        location = self.store.resolve_location(
            event_type, body.get("location"), body.get("meetingUrl")
        )
        bookings, seat_uids = self.store.create(
            event_type,
            parsed[0],
            body["attendee"],
            length=length,
            guests=body.get("guests"),
            fields=body.get("bookingFieldsResponses"),
            metadata=body.get("metadata"),
            location=location,
            recurrence_count=body.get("recurrenceCount"),
            instant=instant,
        )
        self._record(ctx, "create", bookings)
        outputs = [self._out(ctx, b) for b in bookings]
        if seat_uids is not None:
            outputs = [{**o, "seatUid": s} for o, s in zip(outputs, seat_uids, strict=True)]
        recurring = event_type.recurrence is not None and not instant
        return 201, {"status": "success", "data": outputs if recurring else outputs[0]}

    def _list_query(self, ctx: _Ctx, allowed: frozenset[str], **scope: Any) -> tuple[int, Any]:
        filters, take, skip = parse_list_query(ctx.request.query, allowed=allowed)
        sort = None
        for param, field in (
            ("sortStart", "start"),
            ("sortEnd", "end"),
            ("sortCreated", "created"),
            ("sortUpdatedAt", "updated"),
        ):
            if param in filters:
                sort = (field, filters[param])
                break
        event_type_ids = filters.get("eventTypeIds")
        if event_type_ids is None and "eventTypeId" in filters:
            event_type_ids = (filters["eventTypeId"],)
        team_ids = filters.get("teamsIds")
        if team_ids is None and "teamId" in filters:
            team_ids = (filters["teamId"],)
        caller = ctx.caller
        query = ListQuery(
            statuses=filters.get("status", ()),
            attendee_email=filters.get("attendeeEmail"),
            attendee_name=filters.get("attendeeName"),
            booking_uid=filters.get("bookingUid"),
            event_type_ids=event_type_ids,
            team_ids=team_ids,
            after_start=filters.get("afterStart"),
            before_end=filters.get("beforeEnd"),
            after_created=filters.get("afterCreatedAt"),
            before_created=filters.get("beforeCreatedAt"),
            after_updated=filters.get("afterUpdatedAt"),
            before_updated=filters.get("beforeUpdatedAt"),
            sort=sort,
            scope_user=None if caller.superuser or scope else caller.user_id,
            user_ids=filters.get("userIds"),
            **scope,
        )
        items = self.store.query(query)
        page = items[skip : skip + take]
        data = [self._out(ctx, b) for b in page]
        return 200, {
            "status": "success",
            "data": data,
            "pagination": pagination(len(items), take, skip),
        }

    def _list(self, ctx: _Ctx) -> tuple[int, Any]:
        return self._list_query(ctx, _LIST_PARAMS)

    def _get(self, ctx: _Ctx) -> tuple[int, Any]:
        uid = ctx.request.match_info["bookingUid"]
        booking = self.store.bookings.get(uid)
        if booking is None:
            if uid in self.store.series:
                series = self.store.recurrences(uid)
                return 200, {"status": "success", "data": [self._out(ctx, b) for b in series]}
            raise not_found_uid(uid)
        return 200, {"status": "success", "data": self._out(ctx, booking)}

    def _recordings(self, ctx: _Ctx) -> tuple[int, Any]:
        booking = self.store.get(ctx.request.match_info["bookingUid"])
        return 200, {"status": "success", "data": self.store.recordings(booking)}

    def _transcripts(self, ctx: _Ctx) -> tuple[int, Any]:
        booking = self.store.get(ctx.request.match_info["bookingUid"])
        return 200, {"status": "success", "data": self.store.transcripts(booking)}

    def _reschedule(self, ctx: _Ctx) -> tuple[int, Any]:
        body = clean_reschedule(ctx.body)
        booking = self.store.get(ctx.request.match_info["bookingUid"])
        seat_uid = body.get("seatUid")
        if booking.seated and seat_uid is None and not self._privileged(ctx.caller, booking):
            raise unauthorized(
                "Rescheduling every seat of a seated booking requires the host's credentials; "
                "pass seatUid to reschedule one seat."
            )
        parsed = parse_iso8601(body["start"])
        assert parsed is not None
        by = body.get("rescheduledBy") or ctx.caller.email
        old_uid = booking.uid
        new, seat = self.store.reschedule(
            booking, parsed[0], reason=body.get("reschedulingReason"), by=by, seat_uid=seat_uid
        )
        touched = [booking, new] if new is not booking else [booking]
        self._record(ctx, "reschedule", touched)
        assert touched[0].uid == old_uid
        data = self._out(ctx, new)
        if seat is not None:
            data = {**data, "seatUid": seat}
        return 201, {"status": "success", "data": data}

    def _cancel(self, ctx: _Ctx) -> tuple[int, Any]:
        body = clean_cancel(ctx.body)
        uid = ctx.request.match_info["bookingUid"]
        store = self.store
        reason = body.get("cancellationReason")
        booking = store.bookings.get(uid)
        if booking is None and uid in store.series:
            series = store.recurrences(uid)
            if any(b.seated for b in series):
                raise bad_request(
                    "Cancelling every recurrence of a recurring seated booking at once is not "
                    "possible: cancel each recurrence with its bookingUid and seatUid."
                )
            changed = store.cancel_series(uid, reason=reason, by=self._actor(ctx, series[0]))
            if not changed:
                raise bad_request(
                    f"Can't cancel recurring booking with uid={uid} because all of its "
                    "recurrences have been cancelled already."
                )
            self._record(ctx, "cancel", changed)
            return 200, {"status": "success", "data": [self._out(ctx, b) for b in series]}
        if booking is None:
            raise not_found_uid(uid)
        seat_uid = body.get("seatUid")
        if booking.seated and seat_uid is None and not self._privileged(ctx.caller, booking):
            raise unauthorized(
                "Cancelling every seat of a seated booking requires the host's credentials; "
                "pass seatUid to cancel one seat."
            )
        subsequent = bool(body.get("cancelSubsequentBookings"))
        changed = store.cancel(
            booking,
            reason=reason,
            by=self._actor(ctx, booking),
            seat_uid=seat_uid,
            subsequent=subsequent,
        )
        self._record(ctx, "cancel", changed)
        if subsequent and booking.recurring_event_id is not None:
            series = store.recurrences(booking.recurring_event_id)
            return 200, {"status": "success", "data": [self._out(ctx, b) for b in series]}
        return 200, {"status": "success", "data": self._out(ctx, booking)}

    def _mark_absent(self, ctx: _Ctx) -> tuple[int, Any]:
        body = clean_mark_absent(ctx.body)
        booking = self._managed(ctx)
        self.store.mark_absent(booking, body.get("host"), body.get("attendees") or [])
        self._record(ctx, "mark_absent", [booking])
        return 200, {"status": "success", "data": self._out(ctx, booking)}

    def _reassigned(
        self, ctx: _Ctx, booking: Booking, user: User, operation: str
    ) -> tuple[int, Any]:
        self._record(ctx, operation, [booking])
        return 200, {
            "status": "success",
            "data": {
                "bookingUid": booking.uid,
                "reassignedTo": {
                    "id": user.id,
                    "name": user.name,
                    "email": user.email,
                    "displayEmail": user.email,
                },
            },
        }

    def _reassign(self, ctx: _Ctx) -> tuple[int, Any]:
        booking = self._managed(ctx)
        user = self.store.reassign(booking, None, None)
        return self._reassigned(ctx, booking, user, "reassign")

    def _reassign_to_user(self, ctx: _Ctx) -> tuple[int, Any]:
        user_id = _path_int(ctx, "userId")
        body = clean_reassign(ctx.body)
        booking = self._managed(ctx)
        user = self.store.reassign(booking, user_id, body.get("reason"))
        return self._reassigned(ctx, booking, user, "reassign_to_user")

    def _confirm(self, ctx: _Ctx) -> tuple[int, Any]:
        booking = self._managed(ctx)
        changed = self.store.confirm(booking)
        self._record(ctx, "confirm", changed)
        return 200, {"status": "success", "data": self._out(ctx, booking)}

    def _decline(self, ctx: _Ctx) -> tuple[int, Any]:
        body = clean_decline(ctx.body)
        booking = self._managed(ctx)
        changed = self.store.decline(booking, body.get("reason"))
        self._record(ctx, "decline", changed)
        return 200, {"status": "success", "data": self._out(ctx, booking)}

    def _calendar_links(self, ctx: _Ctx) -> tuple[int, Any]:
        booking = self._managed(ctx)
        return 200, {"status": "success", "data": self.store.calendar_links(booking)}

    def _references(self, ctx: _Ctx) -> tuple[int, Any]:
        kind = parse_reference_type(ctx.request.query)
        booking = self._managed(ctx)
        refs = self.store.references(booking)
        if kind is not None:
            refs = [r for r in refs if r["type"] == kind]
        return 200, {"status": "success", "data": refs}

    def _sessions(self, ctx: _Ctx) -> tuple[int, Any]:
        booking = self._managed(ctx)
        return 200, {"status": "success", "data": self.store.sessions(booking)}

    def _update_location(self, ctx: _Ctx) -> tuple[int, Any]:
        body = clean_update_location(ctx.body)
        booking = self._managed(ctx)
        location = body["location"]
        field = {"attendeeDefined": "location", "link": "link", "address": "address"}.get(
            location["type"], "phone" if "phone" in location else "address"
        )
        self.store.update_location(booking, str(location[field]))
        self._record(ctx, "update_location", [booking])
        return 200, {"status": "success", "data": self._out(ctx, booking)}

    def _add_guests(self, ctx: _Ctx) -> tuple[int, Any]:
        body = clean_add_guests(ctx.body)
        booking = self._managed(ctx)
        self.store.add_guests(booking, body["guests"])
        self._record(ctx, "add_guests", [booking])
        return 200, {"status": "success", "data": self._out(ctx, booking)}

    # -- organization listings ------------------------------------------------------------------

    def _org(self, ctx: _Ctx) -> int:
        org_id = _path_int(ctx, "orgId")
        caller = ctx.caller
        if org_id not in self.store.orgs:
            raise forbidden("Organization not found or the admin API is not enabled for it.")
        if not caller.superuser:
            user = self.store.users.get(caller.user_id or -1)
            if user is None or user.org_id != org_id or not user.org_admin:
                raise forbidden("Forbidden resource: ORG_ADMIN role required.")
        return org_id

    def _org_team(self, ctx: _Ctx) -> Team:
        org_id = self._org(ctx)
        team = self.store.teams.get(_path_int(ctx, "teamId"))
        if team is None or team.org_id != org_id:
            raise not_found("Team not found in this organization.")
        return team

    def _org_bookings(self, ctx: _Ctx) -> tuple[int, Any]:
        org_id = self._org(ctx)
        return self._list_query(ctx, _LIST_PARAMS | {"userIds"}, org_id=org_id)

    def _org_team_bookings(self, ctx: _Ctx) -> tuple[int, Any]:
        team = self._org_team(ctx)
        return self._list_query(ctx, _TEAM_LIST_PARAMS, team_id=team.id)

    def _org_team_references(self, ctx: _Ctx) -> tuple[int, Any]:
        team = self._org_team(ctx)
        kind = parse_reference_type(ctx.request.query)
        booking = self.store.get(ctx.request.match_info["bookingUid"])
        event_type = self.store.event_types.get(booking.event_type_id or -1)
        if event_type is None or event_type.team_id != team.id:
            raise not_found_uid(booking.uid)
        refs = self.store.references(booking)
        if kind is not None:
            refs = [r for r in refs if r["type"] == kind]
        return 200, {"status": "success", "data": refs}

    def _org_user_bookings(self, ctx: _Ctx) -> tuple[int, Any]:
        org_id = self._org(ctx)
        user_id = _path_int(ctx, "userId")
        user = self.store.users.get(user_id)
        if user is None or user.org_id != org_id:
            raise not_found(f"User with id={user_id} is not part of this organization.")
        return self._list_query(ctx, _LIST_PARAMS, host_id=user_id)

    # -- legacy 2024-04-15 handlers -------------------------------------------------------------

    def _legacy_list(self, ctx: _Ctx) -> tuple[int, Any]:
        query = ctx.request.query
        take_raw = query.get("take", "100")
        cursor_raw = query.get("cursor", "0")
        take = int(take_raw) if take_raw.isdigit() else 100
        cursor = int(cursor_raw) if cursor_raw.isdigit() else 0
        caller = ctx.caller
        items = self.store.query(ListQuery(scope_user=None if caller.superuser else caller.user_id))
        page = items[cursor : cursor + take]
        next_cursor = cursor + take if cursor + take < len(items) else None
        return 200, {
            "status": "success",
            "data": {
                "bookings": [self.store.legacy_output(b) for b in page],
                "recurringInfo": [],
                "nextCursor": next_cursor,
            },
        }

    def _legacy_get(self, ctx: _Ctx) -> tuple[int, Any]:
        booking = self.store.get(ctx.request.match_info["bookingUid"])
        return 200, {"status": "success", "data": self.store.legacy_output(booking)}

    def _legacy_create(self, ctx: _Ctx) -> tuple[int, Any]:
        body = clean_legacy_create(ctx.body)
        event_type = self.store.event_types.get(int(body["eventTypeId"]))
        if event_type is None:
            raise not_found(f"Event type with id {body['eventTypeId']} not found.")
        parsed = parse_iso8601(body["start"])
        if parsed is None:
            raise bad_request("Invalid start date")
        responses = body["responses"]
        attendee = {
            "name": responses["name"],
            "email": responses.get("email") or "",
            "timeZone": body["timeZone"],
            "language": body["language"],
        }
        bookings, _ = self.store.create(
            event_type,
            parsed[0],
            attendee,
            guests=responses.get("guests"),
            metadata=body["metadata"],
            location=event_type.location,
        )
        self._record(ctx, "legacy_create", bookings)
        return 201, {"status": "success", "data": self.store.legacy_output(bookings[0])}

    def _legacy_cancel(self, ctx: _Ctx) -> tuple[int, Any]:
        body = ctx.body if isinstance(ctx.body, dict) else {}
        booking = self.store.get(ctx.request.match_info["bookingUid"])
        reason = body.get("cancellationReason")
        changed = self.store.cancel(
            booking,
            reason=reason if isinstance(reason, str) else None,
            by=self._actor(ctx, booking),
            subsequent=bool(body.get("allRemainingBookings")),
        )
        self._record(ctx, "legacy_cancel", changed)
        return 200, {
            "status": "success",
            "data": {
                "bookingId": booking.id,
                "bookingUid": booking.uid,
                "onlyRemovedAttendee": False,
                "isPlatformManagedUserBooking": False,
            },
        }


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
        raise bad_request(f"Unexpected token in JSON at position {exc.pos}") from None


def _drop(request: web.Request) -> web.StreamResponse:
    """Close the connection so that no response reaches the client.

    aiohttp then fails to write the returned response with a ``ConnectionError``, which it
    handles quietly; the client sees the connection end without a response.
    """
    transport = request.transport
    if transport is not None:
        transport.close()
    return web.Response(status=204)


def _uuid(store: Store) -> str:
    return new_seat_uid(store.rng)
