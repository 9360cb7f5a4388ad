"""What the API handlers work with: the request context, the caller, and the backend.

A handler is ``handler(backend, ctx) -> (status, payload)``: :class:`Ctx` carries one request
(its route, id, authenticated :class:`Caller`, parsed body, rate-limit tracker) and
:class:`Backend` the emulator's state (store, rules, serialiser, ledger, verification codes) with
the checks that every handler shares: who may see or manage a booking, which organization and team
a path names, what a caller is shown, and how a write is recorded in the ledger. :class:`Route`
describes one operation of the table in ``_routes``. Nothing here speaks HTTP beyond reading the
aiohttp request; nothing comes from the rest of ``calbookings_async``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ._envelope import bad_request, forbidden, not_found
from ._ledger import Ledger
from ._ratelimit import RateLimit
from ._records import Booking, EventType, Team
from ._rules import Rules
from ._serialise import Serialiser
from ._store import Store, not_found_uid
from ._verification import Verifier

__all__ = [
    "ANONYMOUS",
    "Backend",
    "Caller",
    "Credential",
    "Ctx",
    "Handler",
    "Reply",
    "Route",
    "success",
]

#: What a handler answers: the HTTP status and the JSON payload.
Reply = tuple[int, Any]


@dataclass(slots=True)
class Credential:
    """A registered API key, access token or OAuth client."""

    kind: str
    user_id: int
    superuser: bool
    limits: tuple[RateLimit, ...] | None = None
    expires_at: float | None = None
    secret: str | None = None


@dataclass(slots=True)
class Caller:
    """Who sent a request, once authenticated (``anonymous`` without credentials)."""

    kind: str
    user_id: int | None
    superuser: bool
    email: str | None

    @property
    def authenticated(self) -> bool:
        """Whether the request carried valid credentials."""
        return self.kind != "anonymous"


ANONYMOUS = Caller("anonymous", None, False, None)


class Ctx:
    """One request on its way through the pipeline."""

    __slots__ = ("body", "caller", "raw_body", "request", "request_id", "route", "tracker")

    def __init__(self, request: web.Request, route: Route, request_id: str) -> None:
        self.request = request
        self.route = route
        self.request_id = request_id
        self.caller = ANONYMOUS
        self.tracker = ""
        self.body: Any = None
        self.raw_body: Any = None

    def path(self, name: str) -> str:
        """A path parameter as sent."""
        return self.request.match_info[name]

    def path_int(self, name: str) -> int:
        """A numeric path parameter (Nest's ``ParseIntPipe``: 400 when not a number)."""
        raw = self.request.match_info[name]
        if not raw.lstrip("-").isdigit():
            raise bad_request("Validation failed (numeric string is expected)")
        return int(raw)


Handler = Callable[["Backend", Ctx], Reply]


@dataclass(frozen=True, slots=True)
class Route:
    """One operation: where it is, who may call it, and what answers it.

    Attributes:
        auth: ``"optional"`` (anonymous allowed), ``"required"`` or ``"none"`` (credentials
            are not looked at).
        versioned: Whether ``cal-api-version: 2024-08-13`` selects it (else the legacy
            controller answers, or 404).
        legacy: The 2024-04-15 handler of the same route, if the legacy controller has one.
        throttle: The name of the per-route limit that replaces the default one, if any.
    """

    method: str
    template: str
    operation: str
    handler: Handler
    auth: str
    versioned: bool
    legacy: Handler | None = None
    legacy_auth: str = "optional"
    has_body: bool = False
    throttle: str | None = None

    @property
    def key(self) -> str:
        """``METHOD /path/template``: the key of faults, route limits and the ledger."""
        return f"{self.method} {self.template}"


class Backend:
    """The emulator's state and the checks every handler shares.

    Args:
        store: The rows.
        rules: The state transitions.
        serialiser: The JSON writer.
        ledger: The record of applied writes.
        verifier: The email verification codes.
        wall_clock: Epoch seconds (ledger times).
        org_id: The organization every user and team of the emulator belongs to.
    """

    def __init__(
        self,
        store: Store,
        rules: Rules,
        serialiser: Serialiser,
        ledger: Ledger,
        verifier: Verifier,
        wall_clock: Callable[[], float],
        org_id: int,
    ) -> None:
        self.store = store
        self.rules = rules
        self.serialiser = serialiser
        self.ledger = ledger
        self.verifier = verifier
        self.wall_clock = wall_clock
        self.org_id = org_id

    # -- who may do what --------------------------------------------------------------------------

    def privileged(self, caller: Caller, booking: Booking) -> bool:
        """Whether the caller hosts the booking (or co-hosts its event type), or is an admin."""
        if caller.superuser:
            return True
        if caller.user_id is None:
            return False
        if booking.user_id == caller.user_id:
            return True
        event_type = self.store.event_types.get(booking.event_type_id or -1)
        return event_type is not None and caller.user_id in event_type.host_ids

    def booking(self, ctx: Ctx) -> Booking:
        """The booking the path names (any caller), or the live 404."""
        return self.store.get(ctx.path("bookingUid"))

    def managed(self, ctx: Ctx) -> Booking:
        """The booking the path names, when the caller may manage it (else 403)."""
        booking = self.booking(ctx)
        if not self.privileged(ctx.caller, booking):
            raise forbidden(
                f"User with id={ctx.caller.user_id} is not authorized to access booking "
                f"with uid={booking.uid}"
            )
        return booking

    def participant(self, ctx: Ctx) -> Booking:
        """The booking the path names, when the caller manages or attends it (else 403)."""
        booking = self.booking(ctx)
        email = ctx.caller.email
        attends = email is not None and any(a.email == email for a in booking.attendees)
        if not attends and not self.privileged(ctx.caller, booking):
            raise forbidden(
                f"User with id={ctx.caller.user_id} is not authorized to access booking "
                f"with uid={booking.uid}"
            )
        return booking

    def org(self, ctx: Ctx) -> int:
        """The organization the path names, when the caller is its admin (else 403)."""
        org_id = ctx.path_int("orgId")
        caller = ctx.caller
        if org_id not in self.store.orgs:
            raise forbidden("Organization not found or the admin API is not enabled for it.")
        if not caller.superuser:
            user = self.store.users.get(caller.user_id or -1)
            if user is None or user.org_id != org_id or not user.org_admin:
                raise forbidden("Forbidden resource: ORG_ADMIN role required.")
        return org_id

    def org_team(self, ctx: Ctx) -> Team:
        """The team the path names, in an organization the caller administers (else 403/404)."""
        org_id = self.org(ctx)
        team = self.store.teams.get(ctx.path_int("teamId"))
        if team is None or team.org_id != org_id:
            raise not_found("Team not found in this organization.")
        return team

    def org_booking(self, org_id: int, uid: str) -> Booking:
        """A booking of an organization by uid, or the live 404."""
        booking = self.store.get(uid)
        if not self.store.org_predicate(org_id)(booking):
            raise not_found_uid(uid)
        return booking

    # -- what is shown and recorded ---------------------------------------------------------------

    def out(self, ctx: Ctx, booking: Booking) -> dict[str, Any]:
        """A booking as the caller sees it."""
        privileged = self.privileged(ctx.caller, booking)
        return self.serialiser.visible_output(booking, privileged=privileged)

    def record(self, ctx: Ctx, operation: str, bookings: Sequence[Booking]) -> None:
        """Append an applied write to the ledger."""
        self.ledger.record(
            operation,
            tuple(b.uid for b in bookings),
            body=ctx.raw_body,
            result=tuple(self.serialiser.output(b) for b in bookings),
            tracker=ctx.tracker,
            time=self.wall_clock(),
            route=ctx.route.key,
            request_id=ctx.request_id,
        )

    def actor(self, ctx: Ctx, booking: Booking | None = None) -> str | None:
        """The email a change is attributed to: the caller's, else the booker's."""
        if ctx.caller.email is not None:
            return ctx.caller.email
        if booking is not None and booking.attendees:
            return booking.attendees[0].email or None
        return None

    def event_type(self, body: dict[str, Any]) -> EventType:
        """The event type a create body names (by id, or slug with username or team slug)."""
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


def success(data: Any = None, *, status: int = 200, **extra: Any) -> Reply:
    """A success envelope ``{"status": "success", "data": ...}`` (no ``data`` when None)."""
    payload: dict[str, Any] = {"status": "success"}
    if data is not None:
        payload["data"] = data
    payload.update(extra)
    return status, payload
