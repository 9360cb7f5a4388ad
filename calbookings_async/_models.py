"""What the API returns, as frozen attrs classes: bookings, hosts, attendees, event types.

Pure data: no HTTP, no JSON, no cattrs. Field names are snake_case; the converter maps them to
the API's camelCase. The shapes follow the live server, which is more lenient than the OpenAPI
document (docs/API-NOTES.md §3): fields the server may send as ``null`` are ``X | None``, fields
it may leave out have defaults, and enumerations keep values the SDK does not know yet
(``status`` is a :class:`BookingStatus` when the value is known, else the raw string).

Output classes are frozen but not slotted: the decoder fills a new instance's ``__dict__`` in
one call, which is ten times cheaper than running a frozen ``__init__`` field by field
(docs/PERF-NOTES.md). Free-form objects (``metadata``, ``booking_fields_responses``) keep their
keys exactly as the server sent them.

This module imports only ``_types`` and ``_errors``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

__all__ = [
    "Attendee",
    "Booking",
    "BookingHost",
    "BookingStatus",
    "EventType",
    "RecurringBooking",
    "RecurringSeatedBooking",
    "SeatedAttendee",
    "SeatedBooking",
]


class BookingStatus(str, enum.Enum):
    """The status of a booking as the server reports it (lower case).

    The OpenAPI document lists four values; the server also sends ``awaiting_host`` for instant
    meetings. A value the SDK does not know is kept as a plain ``str`` on the model.
    """

    ACCEPTED = "accepted"
    PENDING = "pending"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    AWAITING_HOST = "awaiting_host"

    def __str__(self) -> str:
        return self.value


@attrs.frozen(kw_only=True, slots=False)
class BookingHost:
    """A host of a booking.

    Attributes:
        id: The host's user id. The string ``"unknown"`` when the host user no longer exists.
        name: Display name.
        email: Email address.
        display_email: Email address cleaned for display, when the server sends it.
        username: Cal.com username.
        time_zone: IANA time zone (absent for an unknown host).
    """

    id: int | str
    name: str = ""
    email: str = ""
    display_email: str | None = None
    username: str | None = None
    time_zone: str | None = None


@attrs.frozen(kw_only=True, slots=False)
class EventType:
    """The event type a booking belongs to.

    Attributes:
        id: Event type id.
        slug: Event type slug.
    """

    id: int
    slug: str = ""


@attrs.frozen(kw_only=True, slots=False)
class Attendee:
    """An attendee of a booking.

    Attributes:
        name: Name as entered when booking.
        email: Email address.
        display_email: Email address cleaned for display, when the server sends it.
        time_zone: IANA time zone.
        language: Preferred language code (``"en"``, ``"pt-BR"``), if known.
        absent: Whether the attendee was marked absent (a no-show).
        phone_number: Phone number in international format, if given.
    """

    name: str = ""
    email: str = ""
    display_email: str | None = None
    time_zone: str = ""
    language: str | None = None
    absent: bool = False
    phone_number: str | None = None


@attrs.frozen(kw_only=True, slots=False)
class SeatedAttendee(Attendee):
    """An attendee holding one seat of a seated booking.

    Attributes:
        seat_uid: The uid of the attendee's seat.
        booking_fields_responses: The attendee's own booking-form answers, keys as sent.
        metadata: The seat's metadata, keys as sent.
    """

    seat_uid: str | None = None
    booking_fields_responses: Mapping[str, Any] = attrs.field(factory=dict)
    metadata: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True, slots=False)
class Booking:
    """A booking: one meeting between hosts and attendees.

    Recurring and seated bookings are subclasses, so every variant the API returns is a
    ``Booking``; use :attr:`is_recurring` / :attr:`is_seated` or ``isinstance`` to tell them
    apart.

    Attributes:
        id: Numeric booking id.
        uid: The booking uid used in every ``/v2/bookings/{bookingUid}`` path.
        title: Title of the meeting.
        description: Description, or ``None``.
        hosts: The hosts.
        status: A :class:`BookingStatus`, or the raw string for a status the SDK does not know.
        cancellation_reason: Why it was cancelled or declined, if it was.
        cancelled_by_email: Who cancelled it.
        rescheduling_reason: Why it was rescheduled.
        rescheduled_by_email: Who rescheduled it.
        rescheduled_from_uid: The uid of the booking this one replaced when rescheduled.
        rescheduled_to_uid: The uid of the booking that replaced this one.
        start: Start time (timezone-aware, UTC).
        end: End time (timezone-aware, UTC).
        duration: Length in minutes.
        event_type_id: The event type id (deprecated by the API in favour of ``event_type``).
        event_type: The event type, or ``None`` when the booking has none.
        meeting_url: Meeting URL (deprecated by the API in favour of ``location``).
        location: Where the meeting takes place, or ``None``.
        absent_host: Whether the host was marked absent.
        created_at: When the booking was created.
        updated_at: When the booking last changed, or ``None`` if never.
        metadata: Caller-defined metadata, keys as sent.
        rating: The attendee's rating of the meeting, if any.
        ics_uid: UID of the calendar (ICS) event, if any.
        attendees: The attendees.
        guests: Guest email addresses.
        booking_fields_responses: Booking-form answers by field slug, keys as sent.
    """

    id: int
    uid: str
    title: str = ""
    description: str | None = None
    hosts: tuple[BookingHost, ...] = ()
    status: BookingStatus | str
    cancellation_reason: str | None = None
    cancelled_by_email: str | None = None
    rescheduling_reason: str | None = None
    rescheduled_by_email: str | None = None
    rescheduled_from_uid: str | None = None
    rescheduled_to_uid: str | None = None
    start: datetime
    end: datetime
    duration: int | None = None
    event_type_id: int | None = None
    event_type: EventType | None = None
    meeting_url: str | None = None
    location: str | None = None
    absent_host: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None
    metadata: Mapping[str, Any] = attrs.field(factory=dict)
    rating: int | None = None
    ics_uid: str | None = None
    attendees: tuple[Attendee, ...] = ()
    guests: tuple[str, ...] = ()
    booking_fields_responses: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def is_recurring(self) -> bool:
        """Whether this booking is one occurrence of a recurring series."""
        return False

    @property
    def is_seated(self) -> bool:
        """Whether this booking is a seated booking (attendees hold seats)."""
        return False


@attrs.frozen(kw_only=True, slots=False)
class RecurringBooking(Booking):
    """One occurrence of a recurring series.

    Attributes:
        recurring_booking_uid: The uid shared by every occurrence of the series. Passing it
            where a booking uid is expected addresses the whole series.
    """

    recurring_booking_uid: str

    @property
    def is_recurring(self) -> bool:
        """Always true."""
        return True


@attrs.frozen(kw_only=True, slots=False)
class SeatedBooking(Booking):
    """A seated booking: several attendees each hold a seat.

    The server sends neither ``guests`` nor top-level ``booking_fields_responses`` for seated
    bookings (they are empty here); each attendee carries its own answers.

    Attributes:
        attendees: The seated attendees (empty when the event type hides attendees from the
            caller).
        seat_uid: The caller's own seat, set on the results of create and reschedule.
    """

    attendees: tuple[SeatedAttendee, ...] = ()
    seat_uid: str | None = None

    @property
    def is_seated(self) -> bool:
        """Always true."""
        return True


@attrs.frozen(kw_only=True, slots=False)
class RecurringSeatedBooking(SeatedBooking):
    """One occurrence of a recurring series of seated bookings.

    Attributes:
        recurring_booking_uid: The uid shared by every occurrence of the series.
    """

    recurring_booking_uid: str

    @property
    def is_recurring(self) -> bool:
        """Always true."""
        return True
