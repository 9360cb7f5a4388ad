"""The emulator's admin API: what a test does to it directly, apart from the HTTP API handlers.

:class:`AdminApi` is the half of :class:`~calbookings_async.testing.CalEmulator` that tests and
demos call in Python: credentials (API keys, access tokens, OAuth clients), data (seeding, users,
teams, event types, bookings inserted or changed without the API's rules), state read back (a
booking as the server would send it, its internal row, the verification codes "mailed"), the
seeded organization and team ids, and resetting the limiter. Faults (``emu.faults``), the ledger
(``emu.ledger``) and the clock (``CalEmulator(clock=...)``) are the rest of the admin surface.
Imports only the emulator's own modules; nothing from the rest of ``calbookings_async``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import orjson

from ._context import Credential
from ._ratelimit import RateLimit, Throttler
from ._records import Attendee, Booking, EventType, Recurrence, Team, User
from ._rules import Rules
from ._seed import SeedSummary, seed_store
from ._serialise import Serialiser
from ._store import Store
from ._verification import Verifier
from ._wire import new_seat_uid, parse_iso8601

__all__ = ["API_VERSION", "ORG_ID", "OWNER_ID", "AdminApi"]

#: The only ``cal-api-version`` the documented bookings controller answers.
API_VERSION = "2024-08-13"
#: The user every unbound credential acts as (an org admin who sees every booking).
OWNER_ID = 1
#: The emulator's organization.
ORG_ID = 1


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


class AdminApi:
    """The emulator's Python admin surface (mixed into ``CalEmulator``)."""

    api_key: str
    bookings: Mapping[str, dict[str, Any]]
    store: Store
    rules: Rules
    serialiser: Serialiser
    verifier: Verifier
    throttler: Throttler
    _seed: int
    _monotonic: Callable[[], float]
    _credentials: dict[str, Credential]
    _oauth: dict[str, Credential]

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
        self._credentials[key] = Credential(
            "api_key",
            user_id if user_id is not None else OWNER_ID,
            user_id is None,
            tuple(limits) if limits else None,
            None if expires_in is None else self._monotonic() + expires_in,
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
        self._credentials[token] = Credential(
            "access_token",
            user_id if user_id is not None else OWNER_ID,
            user_id is None,
            None,
            None if expires_in is None else self._monotonic() + expires_in,
        )

    def expire_access_token(self, token: str) -> None:
        """Make an access token expired from now on (it answers 498)."""
        self._credentials[token].expires_at = self._monotonic()

    def add_oauth_client(self, client_id: str, secret: str, *, user_id: int | None = None) -> None:
        """Register platform OAuth client credentials (``x-cal-client-id``/``x-cal-secret-key``)."""
        self._oauth[client_id] = Credential(
            "oauth_client",
            user_id if user_id is not None else OWNER_ID,
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
            org_id=ORG_ID,
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
                org_id=ORG_ID,
                org_admin=org_admin,
            )
        )
        self.store.invalidate_users()
        return uid

    def remove_user(self, user_id: int) -> None:
        """Delete a user; their bookings then show the live server's ``"unknown"`` host."""
        self.store.remove_user(user_id)

    def add_team(self, *, slug: str, name: str | None = None) -> int:
        """Add a team in the emulator's organization; returns its id."""
        team = self.store.add_team(
            Team(id=self.store.next_team_id, slug=slug, name=name or slug.title(), org_id=ORG_ID)
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
        requires_email_verification: bool = False,
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
            requires_email_verification: ``requiresBookerEmailVerification``: creates need the
                ``emailVerificationCode`` sent with ``send-code`` (see
                :meth:`verification_code`).
        """
        if team_id is None and owner_id is None:
            owner_id = OWNER_ID
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
                requires_email_verification=requires_email_verification,
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
        created_ms = _to_ms(created) if created is not None else store.now_ms()
        people = [Attendee(attendee_name, attendee_email, attendee_time_zone)]
        people.extend(Attendee(n, e, attendee_time_zone) for n, e in extra_attendees)
        if event_type.seats:
            for person in people:
                person.seat_uid = new_seat_uid(store.rng)
                person.seat_responses = {"name": person.name, "email": person.email}
                person.seat_metadata = {}
                person.created = created_ms
        host = host_id if host_id is not None else (event_type.host_ids or [OWNER_ID])[0]
        booking = store.new_booking(
            title=self.rules.title(event_type, host, attendee_name),
            description=description,
            user_id=host,
            event_type_id=event_type_id,
            status=status.upper(),
            start=start_ms,
            end=start_ms + (length or event_type.length) * 60_000,
            created=created_ms,
            location=location if location is not None else event_type.location,
            metadata=dict(metadata or {}),
            responses={"name": attendee_name, "email": attendee_email},
            attendees=people,
            seated=event_type.seats is not None,
            recurring_event_id=recurring_uid,
        )
        return booking.uid

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
        store.unindex(booking)
        for name, value in fields.items():
            setattr(booking, name, value)
        store.index(booking)
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
            orjson.loads(orjson.dumps(self.serialiser.output(b)))
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

    # -- what tests read --------------------------------------------------------------------------

    def verification_code(self, email: str) -> str | None:
        """The email verification code last "mailed" to an address (``send-code``), or None.

        Args:
            email: The address (a ``+tag`` and the case do not matter).
        """
        return self.verifier.code(email)

    @property
    def org_id(self) -> int:
        """The id of the emulator's organization (every seeded user and team belongs to it)."""
        return ORG_ID

    @property
    def team_ids(self) -> tuple[int, ...]:
        """The ids of the organization's teams (``seed()`` adds the round-robin "sales" team)."""
        return tuple(t.id for t in self.store.teams.values() if t.org_id == ORG_ID)

    @property
    def user_ids(self) -> tuple[int, ...]:
        """The ids of every user (the owner, id 1, first)."""
        return tuple(self.store.users)
