"""The emulator's database rows: users, teams, organizations, event types, bookings and attendees.

These are plain mutable slot classes shaped like the Prisma models the live server reads
(``Booking.status`` upper-case, times as epoch milliseconds, ``responses`` as the stored booking
field responses). They hold data only; the store mutates them and the serialiser turns them into
the JSON the API sends. Nothing here imports aiohttp or the rest of ``calbookings_async``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ACTIVE_STATUSES",
    "Attendee",
    "Booking",
    "EventType",
    "Organization",
    "Recurrence",
    "Team",
    "User",
]

#: Statuses that occupy the host's calendar (a cancelled or rejected booking frees the slot).
ACTIVE_STATUSES = frozenset({"ACCEPTED", "PENDING", "AWAITING_HOST"})


@dataclass(slots=True, eq=False)
class Organization:
    """An organization (the scope of the org-level listings #18-#21)."""

    id: int
    slug: str
    name: str


@dataclass(slots=True, eq=False)
class User:
    """A Cal.com user who can host bookings.

    Attributes:
        org_admin: Whether the user is an ``ORG_ADMIN`` of ``org_id`` (needed for org listings).
    """

    id: int
    name: str | None
    email: str
    username: str | None
    time_zone: str = "UTC"
    org_id: int | None = None
    org_admin: bool = False


@dataclass(slots=True, eq=False)
class Team:
    """A team owning team event types (round-robin or collective)."""

    id: int
    slug: str
    name: str
    org_id: int | None = None


@dataclass(slots=True, frozen=True)
class Recurrence:
    """An event type's recurring rule: ``count`` occurrences, every ``interval`` ``freq``."""

    freq: str = "weekly"
    interval: int = 1
    count: int = 4


@dataclass(slots=True, eq=False)
class EventType:
    """An event type: what is booked, for how long, and under which rules.

    Attributes:
        scheduling_type: ``"ROUND_ROBIN"``, ``"COLLECTIVE"`` or None for a personal event type.
        host_ids: The hosts of a team event type (the owner alone for a personal one).
        seats: Seats per time slot for a seated event type, else None.
        lengths: The selectable durations when the event type offers several, else empty.
        location: The stored location string of bookings made without an explicit location.
        requires_auth: ``bookingRequiresAuthentication``: anonymous creates are refused.
        requires_email_verification: ``requiresBookerEmailVerification``: a create needs the
            ``emailVerificationCode`` sent to the attendee's email.
    """

    id: int
    slug: str
    title: str
    length: int
    owner_id: int | None = None
    team_id: int | None = None
    scheduling_type: str | None = None
    host_ids: list[int] = field(default_factory=list)
    requires_confirmation: bool = False
    recurrence: Recurrence | None = None
    seats: int | None = None
    seats_show_attendees: bool = True
    lengths: tuple[int, ...] = ()
    location: str | None = "integrations:daily"
    requires_auth: bool = False
    rr_cursor: int = 0
    requires_email_verification: bool = False


@dataclass(slots=True, eq=False)
class Attendee:
    """A booking attendee; seated bookings give each attendee a seat (``seat_uid``).

    ``id`` is the ``Attendee`` table's autoincrement id (0 until the store inserts the row);
    ``created`` is when the seat was taken (epoch ms), sent as a seated attendee's ``createdAt``.
    A seat's ``seat_metadata`` holds the create's ``metadata`` on a seated event type.
    """

    name: str
    email: str
    time_zone: str
    locale: str | None = "en"
    phone: str | None = None
    no_show: bool = False
    seat_uid: str | None = None
    seat_responses: dict[str, Any] | None = None
    seat_metadata: dict[str, Any] | None = None
    id: int = 0
    created: int | None = None


@dataclass(slots=True, eq=False)
class Booking:
    """One row of the ``Booking`` table plus the bits the serialiser needs.

    ``status`` is upper-case as in Prisma (``ACCEPTED``, ``PENDING``, ``CANCELLED``, ``REJECTED``,
    ``AWAITING_HOST``); times are epoch milliseconds; ``responses`` are the booking field responses
    (``name``, ``email``, ``guests``, ``notes``, ``rescheduledReason``, custom fields).
    ``cache`` holds the serialised output and is dropped on every change.
    """

    id: int
    uid: str
    title: str
    description: str | None
    user_id: int | None
    event_type_id: int | None
    status: str
    start: int
    end: int
    created: int
    updated: int | None
    location: str | None
    metadata: dict[str, Any]
    responses: dict[str, Any]
    attendees: list[Attendee]
    seated: bool = False
    recurring_event_id: str | None = None
    cancellation_reason: str | None = None
    cancelled_by: str | None = None
    rejection_reason: str | None = None
    rescheduled: bool = False
    from_reschedule: str | None = None
    rescheduled_to: str | None = None
    rescheduled_by: str | None = None
    no_show_host: bool = False
    rating: int | None = None
    ical_uid: str | None = None
    reassign_reason: str | None = None
    routing: dict[str, Any] | None = None
    cache: dict[str, Any] | None = None
