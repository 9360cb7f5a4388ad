"""What the API returns, as frozen attrs classes, and the API's enumerations.

Bookings (with their hosts, attendees and event type), recordings, transcripts' neighbours
(calendar links, booking references, conferencing sessions), reassignment results, attendees
with their ids, routing traces, organization reports and blocks, and listing metadata; plus the
enumerations both directions use (statuses, sort orders, languages, report reasons, ...).

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
from datetime import datetime, timezone
from typing import Any, TypeVar

import attrs

__all__ = [
    "Attendee",
    "BlockedBooker",
    "BookerScope",
    "Booking",
    "BookingAttendee",
    "BookingHost",
    "BookingListStatus",
    "BookingReference",
    "BookingReferenceType",
    "BookingStatus",
    "CalendarLink",
    "ConferencingParticipant",
    "ConferencingSession",
    "EventType",
    "Language",
    "LocationIntegration",
    "Pagination",
    "ReassignedBooking",
    "ReassignedHost",
    "Recording",
    "RecurringBooking",
    "RecurringSeatedBooking",
    "ReportReason",
    "ReportedBooking",
    "RoutingForm",
    "RoutingFormResponse",
    "RoutingFormSubmission",
    "RoutingTrace",
    "RoutingTraceGroup",
    "RoutingTraceStep",
    "SeatedAttendee",
    "SeatedBooking",
    "SortOrder",
    "as_replayed",
    "as_settled",
    "with_occurrences",
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
        language: Preferred language: a :class:`Language`, or the raw code for one the SDK
            does not know yet.
        absent: Whether the attendee was marked absent (a no-show).
        phone_number: Phone number in international format, if given.
    """

    name: str = ""
    email: str = ""
    display_email: str | None = None
    time_zone: str = ""
    language: Language | str | None = None
    absent: bool = False
    phone_number: str | None = None


@attrs.frozen(kw_only=True, slots=False)
class SeatedAttendee(Attendee):
    """An attendee holding one seat of a seated booking.

    Attributes:
        seat_uid: The uid of the attendee's seat.
        booking_fields_responses: The attendee's own booking-form answers, keys as sent.
        metadata: The seat's metadata, keys as sent.
        created_at: When the seat was taken (sent by newer servers; ``None`` otherwise).
    """

    seat_uid: str | None = None
    booking_fields_responses: Mapping[str, Any] = attrs.field(factory=dict)
    metadata: Mapping[str, Any] = attrs.field(factory=dict)
    created_at: datetime | None = None


class _Outcome:
    """How a write's result came about: plain, settled by reading back, or replayed from a
    journal. Mixed into the results of writes (no fields: flags live in ``__dict__``)."""

    @property
    def settled(self) -> bool:
        """Whether this result was read back to settle a write whose outcome was uncertain.

        ``True`` when the write itself ended without a clear answer (a dropped connection, a
        timeout, a retry answered "already cancelled", or a crash recorded in a journal) and the
        server's state, read back, showed the write applied: what ``cancel``, ``decline``,
        ``confirm`` and ``mark_absent`` return then, and the unsafe writes called with
        ``idempotency_key=``. ``False`` on every plain answer.
        """
        settled: bool = self.__dict__.get("_settled", False)
        return settled

    @property
    def replayed(self) -> bool:
        """Whether this result was recorded by an earlier call with the same
        ``idempotency_key`` and returned from the journal without sending anything."""
        replayed: bool = self.__dict__.get("_replayed", False)
        return replayed


@attrs.frozen(kw_only=True, slots=False)
class Booking(_Outcome):
    """A booking: one meeting between hosts and attendees.

    Recurring and seated bookings are subclasses, so every variant the API returns is a
    ``Booking``; use :attr:`is_recurring` / :attr:`is_seated` or ``isinstance`` to tell them
    apart. When a call is answered with a whole recurring series (a series uid was given, or
    a recurring event type was booked), it returns one occurrence and :attr:`occurrences`
    holds all of them.

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

    @property
    def occurrences(self) -> tuple[Booking, ...]:
        """Every occurrence of the series, when the call was answered with a whole series.

        ``create`` on a recurring event type, and ``get``, ``confirm``, ``decline``,
        ``cancel``, ``update_location`` or ``add_guests`` given a series uid (or ``cancel``
        with ``cancel_subsequent_bookings``), are answered with several occurrences. Those
        calls return one of them (the one whose uid was given, else the first) and this
        holds them all, in the server's order. Empty for a booking that was answered alone
        or that came from a listing.
        """
        occurrences: tuple[Booking, ...] = self.__dict__.get("_occurrences", ())
        return occurrences


ResultT = TypeVar("ResultT")


def _flagged(result: ResultT, flag: str) -> ResultT:
    copy = object.__new__(type(result))
    state = dict(result.__dict__)
    state[flag] = True
    object.__setattr__(copy, "__dict__", state)
    return copy


def as_settled(result: ResultT) -> ResultT:
    """A copy of ``result`` (a write's result) whose ``settled`` is true."""
    return _flagged(result, "_settled")


def as_replayed(result: ResultT) -> ResultT:
    """A copy of ``result`` (a write's result) whose ``replayed`` is true."""
    return _flagged(result, "_replayed")


def with_occurrences(booking: Booking, occurrences: tuple[Booking, ...]) -> Booking:
    """A copy of ``booking`` whose :attr:`Booking.occurrences` are ``occurrences``.

    A copy, so that the occurrence inside the tuple does not refer to the tuple holding it.
    Series answers are rare; single bookings pay nothing for this (no field to decode).
    """
    copy = object.__new__(type(booking))
    state = dict(booking.__dict__)
    state["_occurrences"] = occurrences
    object.__setattr__(copy, "__dict__", state)
    return copy


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


# --- enumerations of the request side -----------------------------------------------------


class BookingListStatus(str, enum.Enum):
    """A value of the ``status`` filter of the booking listings (several may be combined).

    ``UPCOMING`` and ``PAST`` are relative to now; ``UNCONFIRMED`` are bookings awaiting the
    host's confirmation; ``RECURRING`` are occurrences of recurring series.
    """

    UPCOMING = "upcoming"
    RECURRING = "recurring"
    PAST = "past"
    CANCELLED = "cancelled"
    UNCONFIRMED = "unconfirmed"

    def __str__(self) -> str:
        return self.value


class SortOrder(str, enum.Enum):
    """The direction of a listing sort (``sort_start=SortOrder.DESC``)."""

    ASC = "asc"
    DESC = "desc"

    def __str__(self) -> str:
        return self.value


class BookingReferenceType(str, enum.Enum):
    """The kind of a booking reference: a calendar event or a video meeting made for a booking.

    Also the values of the ``type`` filter of :meth:`Bookings.references`. A reference of a
    kind the SDK does not know keeps its raw string in :attr:`BookingReference.type`.
    """

    GOOGLE_CALENDAR = "google_calendar"
    OFFICE365_CALENDAR = "office365_calendar"
    DAILY_VIDEO = "daily_video"
    GOOGLE_VIDEO = "google_video"
    OFFICE365_VIDEO = "office365_video"
    ZOOM_VIDEO = "zoom_video"

    def __str__(self) -> str:
        return self.value


class Language(str, enum.Enum):
    """A language an attendee or guest can be addressed in (confirmation emails).

    The 43 values of the API's ``language`` enumeration, in its spelling (``"es-419"``,
    ``"pt-BR"``, ``"zh-CN"``, ``"iw"`` for Hebrew beside ``"he"``).
    """

    AR = "ar"
    AZ = "az"
    BG = "bg"
    BN = "bn"
    CA = "ca"
    CS = "cs"
    DA = "da"
    DE = "de"
    EL = "el"
    EN = "en"
    ES = "es"
    ES_419 = "es-419"
    ET = "et"
    EU = "eu"
    FI = "fi"
    FR = "fr"
    HE = "he"
    HR = "hr"
    HU = "hu"
    ID = "id"
    IT = "it"
    IW = "iw"
    JA = "ja"
    KM = "km"
    KO = "ko"
    LV = "lv"
    NL = "nl"
    NO = "no"
    PL = "pl"
    PT = "pt"
    PT_BR = "pt-BR"
    RO = "ro"
    RU = "ru"
    SK = "sk"
    SR = "sr"
    SV = "sv"
    TA = "ta"
    TH = "th"
    TR = "tr"
    UK = "uk"
    VI = "vi"
    ZH_CN = "zh-CN"
    ZH_TW = "zh-TW"

    def __str__(self) -> str:
        return self.value


class LocationIntegration(str, enum.Enum):
    """A conferencing app a booking can take place in (:class:`IntegrationLocation`)."""

    CAL_VIDEO = "cal-video"
    GOOGLE_MEET = "google-meet"
    ZOOM = "zoom"
    WHEREBY_VIDEO = "whereby-video"
    WHATSAPP_VIDEO = "whatsapp-video"
    WEBEX_VIDEO = "webex-video"
    TELEGRAM_VIDEO = "telegram-video"
    TANDEM = "tandem"
    SYLAPS_VIDEO = "sylaps-video"
    SKYPE_VIDEO = "skype-video"
    SIRIUS_VIDEO = "sirius-video"
    SIGNAL_VIDEO = "signal-video"
    SHIMMER_VIDEO = "shimmer-video"
    SALESROOM_VIDEO = "salesroom-video"
    ROAM_VIDEO = "roam-video"
    RIVERSIDE_VIDEO = "riverside-video"
    PING_VIDEO = "ping-video"
    OFFICE365_VIDEO = "office365-video"
    MIROTALK_VIDEO = "mirotalk-video"
    JITSI = "jitsi"
    JELLY_VIDEO = "jelly-video"
    JELLY_CONFERENCING = "jelly-conferencing"
    HUDDLE = "huddle"
    FACETIME_VIDEO = "facetime-video"
    ELEMENT_CALL_VIDEO = "element-call-video"
    EIGHTXEIGHT_VIDEO = "eightxeight-video"
    DISCORD_VIDEO = "discord-video"
    DEMODESK_VIDEO = "demodesk-video"
    CAMPFIRE_VIDEO = "campfire-video"

    def __str__(self) -> str:
        return self.value


class ReportReason(str, enum.Enum):
    """Why a booking is reported to its organization (:meth:`Organizations.report_booking`)."""

    SPAM = "SPAM"
    UNWANTED = "UNWANTED"
    DONT_KNOW_PERSON = "DONT_KNOW_PERSON"
    OTHER = "OTHER"

    def __str__(self) -> str:
        return self.value


class BookerScope(str, enum.Enum):
    """Who a report or a block targets: the booker's email address, or their whole domain.

    The ``reportType`` of :meth:`Organizations.report_booking` and the ``blockType`` of
    :meth:`Organizations.block_booking` (the API's two enumerations hold the same values).
    """

    EMAIL = "EMAIL"
    DOMAIN = "DOMAIN"

    def __str__(self) -> str:
        return self.value


# --- the other outputs ---------------------------------------------------------------------


def _from_epoch(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, timezone.utc)


@attrs.frozen(kw_only=True, slots=False)
class Pagination:
    """Where a page of a listing sits in the whole result (offset paging, API-NOTES §9).

    Attributes:
        total_items: Items matching the filters, across all pages.
        remaining_items: Items after this page.
        returned_items: Items on this page.
        items_per_page: The page size asked for (``take``).
        current_page: 1-based number of this page (0 when there are no items at all).
        total_pages: Pages in the whole result at this page size.
        has_next_page: Whether items follow this page.
        has_previous_page: Whether items precede this page.
    """

    total_items: int
    remaining_items: int
    returned_items: int
    items_per_page: int
    current_page: int
    total_pages: int
    has_next_page: bool
    has_previous_page: bool


@attrs.frozen(kw_only=True, slots=False)
class Recording:
    """A Cal Video recording of a booking's meeting (the video provider's record, passed on).

    Attributes:
        id: The recording's id at the video provider.
        room_name: The video room the recording was made in.
        start_ts: When the recording started, in seconds since the epoch.
        status: The provider's recording status (``"finished"``, ``"in-progress"``, ...).
        max_participants: Most participants present at once, if reported.
        duration: Length in seconds.
        share_token: Token for sharing the recording.
        download_link: A temporary download URL, or ``None`` when none could be made.
        error: Why the recording failed, or ``None``.
    """

    id: str
    room_name: str = ""
    start_ts: float | None = None
    status: str = ""
    max_participants: int | None = None
    duration: float | None = None
    share_token: str | None = None
    download_link: str | None = None
    error: str | None = None

    @property
    def started_at(self) -> datetime | None:
        """:attr:`start_ts` as an aware UTC ``datetime``."""
        return _from_epoch(self.start_ts)


@attrs.frozen(kw_only=True, slots=False)
class CalendarLink:
    """An "add to calendar" link for a booking.

    Attributes:
        label: The calendar it is for (``"Google Calendar"``, ``"ICS"``, ...).
        link: The URL (or a ``data:`` URL holding an ICS file).
    """

    label: str
    link: str


@attrs.frozen(kw_only=True, slots=False)
class BookingReference:
    """A calendar event or video meeting created for a booking in an external service.

    Attributes:
        id: The reference's id.
        type: A :class:`BookingReferenceType`, or the raw string for a kind the SDK does not
            know.
        event_uid: The event's (or meeting's) uid in the external service.
        destination_calendar_id: The calendar the event was created in, or ``None``.
    """

    id: int
    type: BookingReferenceType | str
    event_uid: str
    destination_calendar_id: str | None = None


@attrs.frozen(kw_only=True, slots=False)
class ConferencingParticipant:
    """One participant of a Cal Video meeting session.

    Attributes:
        user_id: The participant's user id at the video provider, or ``None`` for guests.
        user_name: The name the participant joined with, or ``None``.
        join_time: When the participant joined, in seconds since the epoch.
        duration: Seconds the participant stayed.
    """

    user_id: str | None = None
    user_name: str | None = None
    join_time: float | None = None
    duration: float | None = None

    @property
    def joined_at(self) -> datetime | None:
        """:attr:`join_time` as an aware UTC ``datetime``."""
        return _from_epoch(self.join_time)


@attrs.frozen(kw_only=True, slots=False)
class ConferencingSession:
    """One Cal Video meeting session held for a booking.

    Attributes:
        id: The session's id at the video provider.
        room: The video room.
        start_time: When the session started, in seconds since the epoch.
        duration: Length in seconds.
        ongoing: Whether the session is still going on.
        max_participants: Most participants present at once.
        participants: Who took part.
    """

    id: str
    room: str = ""
    start_time: float | None = None
    duration: float | None = None
    ongoing: bool = False
    max_participants: int | None = None
    participants: tuple[ConferencingParticipant, ...] = ()

    @property
    def started_at(self) -> datetime | None:
        """:attr:`start_time` as an aware UTC ``datetime``."""
        return _from_epoch(self.start_time)


@attrs.frozen(kw_only=True, slots=False)
class ReassignedHost:
    """The host a booking was reassigned to.

    Attributes:
        id: The host's user id.
        name: Display name.
        email: Email address.
        display_email: Email address cleaned for display, when the server sends it.
    """

    id: int
    name: str = ""
    email: str = ""
    display_email: str | None = None


@attrs.frozen(kw_only=True, slots=False)
class ReassignedBooking(_Outcome):
    """The result of reassigning a booking (``data`` of the reassign endpoints, API-NOTES S1).

    Attributes:
        booking_uid: The booking's uid (unchanged by the reassignment).
        reassigned_to: The new host.
    """

    booking_uid: str
    reassigned_to: ReassignedHost


@attrs.frozen(kw_only=True, slots=False)
class BookingAttendee(Attendee, _Outcome):
    """An attendee as the attendee endpoints return it: with its id.

    :meth:`Bookings.attendees` and :meth:`Bookings.attendee` return these (``booking_id``
    unset); :meth:`Bookings.add_attendee` and :meth:`Bookings.remove_attendee` also say which
    booking the attendee belongs to (the remove answer carries only the id, name, email, time
    zone and booking id).

    Attributes:
        id: The attendee's id, what :meth:`Bookings.attendee` and
            :meth:`Bookings.remove_attendee` take.
        booking_id: The numeric id of the attendee's booking, when the answer says it.
    """

    id: int
    booking_id: int | None = None


def _from_epoch_ms(milliseconds: float | None) -> datetime | None:
    return None if milliseconds is None else _from_epoch(milliseconds / 1000)


@attrs.frozen(kw_only=True, slots=False)
class RoutingTraceStep:
    """One step of how a routing form routed a booking (a CRM lookup, a host pick, ...).

    Attributes:
        message: What happened, in words (``"Account found by website match: acme.com"``).
        round: The routing round the step belongs to (``"Exact Match"``).
        domain: What made the step (``"salesforce"``, ``"routing_form"``, ...).
        step: The step's kind (``"account_found_by_website"``).
        timestamp: When it happened, in milliseconds since the epoch.
        data: Step-specific details, keys as sent.
    """

    message: str = ""
    round: str = ""
    domain: str = ""
    step: str = ""
    timestamp: float | None = None
    data: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def occurred_at(self) -> datetime | None:
        """:attr:`timestamp` as an aware UTC ``datetime``."""
        return _from_epoch_ms(self.timestamp)


@attrs.frozen(kw_only=True, slots=False)
class RoutingTraceGroup:
    """The steps of one routing round.

    Attributes:
        round: The round's name.
        domain: What made the steps.
        steps: The round's steps, in order.
    """

    round: str = ""
    domain: str = ""
    steps: tuple[RoutingTraceStep, ...] = ()


@attrs.frozen(kw_only=True, slots=False)
class RoutingForm:
    """The routing form a booking came through.

    Attributes:
        name: The form's name.
        description: The form's description, or ``None``.
    """

    name: str = ""
    description: str | None = None


@attrs.frozen(kw_only=True, slots=False)
class RoutingFormResponse:
    """One answer given on a routing form.

    Attributes:
        field_id: The form field.
        label: The field's label.
        display_value: The answer as shown to people.
    """

    field_id: str = ""
    label: str = ""
    display_value: str = ""


@attrs.frozen(kw_only=True, slots=False)
class RoutingFormSubmission:
    """The routing form submission that led to a booking.

    Attributes:
        form: The form.
        responses: The answers given.
    """

    form: RoutingForm | None = None
    responses: tuple[RoutingFormResponse, ...] = ()


@attrs.frozen(kw_only=True, slots=False)
class RoutingTrace:
    """How a booking was routed (:meth:`Bookings.routing_trace`); empty when it was not.

    Attributes:
        steps: Every step, in order.
        groups: The same steps grouped by routing round.
        form_submission: The routing form submission, when a form was used.
    """

    steps: tuple[RoutingTraceStep, ...] = ()
    groups: tuple[RoutingTraceGroup, ...] = ()
    form_submission: RoutingFormSubmission | None = None


@attrs.frozen(kw_only=True, slots=False)
class ReportedBooking:
    """The result of reporting a booking (:meth:`Organizations.report_booking`).

    Attributes:
        booking_uid: The reported booking's uid.
        success: Whether the server says the report was made.
        message: The server's account of what it did.
        reported_count: How many booking reports were filed.
        cancelled_count: How many bookings were cancelled (the reported one and the other
            upcoming bookings of the same booker or domain).
    """

    booking_uid: str
    success: bool = False
    message: str = ""
    reported_count: int = 0
    cancelled_count: int = 0


@attrs.frozen(kw_only=True, slots=False)
class BlockedBooker:
    """The result of blocking a booker (:meth:`Organizations.block_booking`).

    Attributes:
        booking_uid: The uid of the booking whose booker was blocked.
        success: Whether the server says the block was made.
        message: The server's account of what it did.
        cancelled_count: How many upcoming bookings of the booker (or domain) were cancelled.
        blocked_value: The email address or domain now on the organization's blocklist.
    """

    booking_uid: str
    success: bool = False
    message: str = ""
    cancelled_count: int = 0
    blocked_value: str = ""
