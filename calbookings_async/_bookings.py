"""One coroutine per bookings endpoint: check the arguments, build the body, decode the reply.

Endpoint coroutines see the session only through the ``Requester`` protocol and never catch
transport errors: retries, rate limits and error mapping happen below them. Each one checks its
arguments before anything is sent (``InvalidArgumentError`` names the argument), serialises its
body through the converter (only the fields the caller set), percent-encodes path parameters,
and decodes ``data`` with the one decoder. The listing is the exception to "coroutine": it
returns a :class:`Pager` at once (see ``_paging``).

Whether an operation is safe to repeat is declared here, next to the call, because only the
endpoint knows: writes that set a state (cancel, decline, confirm, mark-absent, update
location, reassign to a named user) are idempotent; create, reschedule, add-guests and
automatic reassign are not.

Imports ``_paging``, ``_decode``, ``_converter``, ``_inputs``, ``_models``, ``_validate``,
``_errors`` and ``_types``.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from ._converter import unstructure
from ._decode import (
    data_list_of,
    data_of,
    decode_bookings,
    envelope_booking,
    envelope_booking_or_series,
)
from ._errors import DecodeError, InvalidArgumentError
from ._inputs import (
    MAX_GUESTS_PER_REQUEST,
    AddGuestsInput,
    CancelBookingInput,
    CancelSeatedBookingInput,
    CreateBookingInput,
    CreateInstantBookingInput,
    CreateRecurringBookingInput,
    DeclineBookingInput,
    Guest,
    LocationUpdate,
    MarkAbsentAttendee,
    MarkAbsentBookingInput,
    ReassignToUserBookingInput,
    RescheduleBookingInput,
    RescheduleSeatedBookingInput,
    UpdateBookingLocationInput,
)
from ._models import (
    Booking,
    BookingListStatus,
    BookingReference,
    BookingReferenceType,
    CalendarLink,
    ConferencingSession,
    ReassignedBooking,
    Recording,
    SortOrder,
)
from ._operations import op
from ._paging import Pager, listing_query, reference_query, request_pages
from ._types import JSONObject, Requester
from ._validate import (
    check_aware_datetime,
    check_bool,
    check_email,
    check_int,
    check_str,
    check_text,
    check_uid,
    items_of,
)

__all__ = ["Bookings"]

T = TypeVar("T")

_CREATE_INPUTS = (CreateBookingInput, CreateInstantBookingInput, CreateRecurringBookingInput)


class Bookings:
    """The ``/v2/bookings`` endpoints, reached as ``cal.bookings``."""

    __slots__ = ("_requester",)

    def __init__(self, requester: Requester) -> None:
        self._requester = requester

    def __repr__(self) -> str:
        return "Bookings()"

    # --- create and read ---------------------------------------------------------------------

    async def create(
        self,
        booking: CreateBookingInput | CreateInstantBookingInput | CreateRecurringBookingInput,
    ) -> Booking | builtins.list[Booking]:
        """``POST /v2/bookings``: book an event type.

        Not safe to repeat: never retried after the server may have seen the request (unless
        the client's retry policy has ``retry_unsafe``). The server has no idempotency key; a
        duplicate booking for the same host and time usually fails with 400 or 409.

        Args:
            booking: What to book: a :class:`CreateBookingInput`, a
                :class:`CreateInstantBookingInput` (team event types) or a
                :class:`CreateRecurringBookingInput`.

        Returns:
            The new booking (a :class:`SeatedBooking` with ``seat_uid`` for a seated event
            type), or a list of every occurrence when the event type is recurring (the event
            type decides, not the input class).

        Raises:
            InvalidArgumentError: ``booking`` is not one of the create inputs.
            BadRequestError: The slot is taken, out of bounds or in the past, or the input
                does not fit the event type.
            ConflictError: No seats left.
            CalError: Any other failure (see the error tree).
        """
        if not isinstance(booking, _CREATE_INPUTS):
            raise InvalidArgumentError(
                "booking",
                "expected CreateBookingInput, CreateInstantBookingInput or "
                f"CreateRecurringBookingInput, got {type(booking).__name__}",
            )
        return await self._requester.request(
            op("bookings.create"),
            "/v2/bookings",
            body=unstructure(booking),
            decode=envelope_booking_or_series,
        )

    def list(
        self,
        *,
        status: BookingListStatus | Sequence[BookingListStatus] | None = None,
        attendee_email: str | None = None,
        attendee_name: str | None = None,
        booking_uid: str | None = None,
        event_type_ids: Sequence[int] | None = None,
        event_type_id: int | None = None,
        team_ids: Sequence[int] | None = None,
        team_id: int | None = None,
        after_start: datetime | None = None,
        before_end: datetime | None = None,
        after_created_at: datetime | None = None,
        before_created_at: datetime | None = None,
        after_updated_at: datetime | None = None,
        before_updated_at: datetime | None = None,
        sort_start: SortOrder | None = None,
        sort_end: SortOrder | None = None,
        sort_created: SortOrder | None = None,
        sort_updated_at: SortOrder | None = None,
        take: int | None = None,
        skip: int = 0,
        concurrency: int = 1,
    ) -> Pager[Booking]:
        """``GET /v2/bookings``: the bookings the credentials can see, filtered and sorted.

        Returns a pager without sending anything: ``await`` it for one page, ``async for`` it
        for every booking of every page::

            page = await cal.bookings.list(status=[BookingListStatus.UPCOMING], take=50)
            async for booking in cal.bookings.list(attendee_email="ann@example.com"):
                ...

        Filters left at ``None`` are not sent. Safe to repeat: retried after timeouts and
        server errors.

        Args:
            status: One status or several (sent comma-separated; any of them matches).
            attendee_email: Bookings with an attendee of this email address.
            attendee_name: Bookings with an attendee of this name.
            booking_uid: The booking with this uid.
            event_type_ids: Bookings of any of these event types.
            event_type_id: Bookings of this event type.
            team_ids: Bookings of event types of any of these teams.
            team_id: Bookings of event types of this team.
            after_start: Bookings starting after this moment (an aware ``datetime``).
            before_end: Bookings ending before this moment.
            after_created_at: Bookings created after this moment.
            before_created_at: Bookings created before this moment.
            after_updated_at: Bookings last changed after this moment.
            before_updated_at: Bookings last changed before this moment.
            sort_start: Sort by start time.
            sort_end: Sort by end time.
            sort_created: Sort by creation time.
            sort_updated_at: Sort by time of the last change.
            take: Page size, 1 to 250 (the server's default is 100). Iterating with 250
                takes the fewest requests.
            skip: How many bookings to skip before the first page.
            concurrency: When iterating, how many of the following pages to fetch at once
                once the first page has told the total (1: one at a time). Items still come
                in order.

        Returns:
            A :class:`Pager` of :class:`Booking` objects (every variant can appear).

        Raises:
            InvalidArgumentError: A malformed filter (raised here, before anything is sent).
            CalError: When awaited or iterated, any failure (see the error tree).
        """
        query = listing_query(
            status=status,
            attendee_email=attendee_email,
            attendee_name=attendee_name,
            booking_uid=booking_uid,
            event_type_ids=event_type_ids,
            event_type_id=event_type_id,
            team_ids=team_ids,
            team_id=team_id,
            after_start=after_start,
            before_end=before_end,
            after_created_at=after_created_at,
            before_created_at=before_created_at,
            after_updated_at=after_updated_at,
            before_updated_at=before_updated_at,
            sort_start=sort_start,
            sort_end=sort_end,
            sort_created=sort_created,
            sort_updated_at=sort_updated_at,
            take=take,
        )
        return request_pages(
            self._requester,
            "/v2/bookings",
            query,
            skip=skip,
            concurrency=concurrency,
            operation=op("bookings.list"),
            decode_items=decode_bookings,
        )

    async def get(self, booking_uid: str) -> Booking | builtins.list[Booking]:
        """``GET /v2/bookings/{bookingUid}``: one booking, or every occurrence of a series.

        Safe to repeat: retried after timeouts and server errors.

        Args:
            booking_uid: A booking's uid, or a recurring series' ``recurring_booking_uid``.

        Returns:
            The booking (the variant its shape calls for), or the list of occurrences when
            ``booking_uid`` named a recurring series.

        Raises:
            InvalidArgumentError: ``booking_uid`` is empty or has control characters.
            NotFoundError: No such booking.
            CalError: Any other failure (see the error tree).
        """
        return await self._get(booking_uid, "", "bookings.get", envelope_booking_or_series)

    async def recordings(self, booking_uid: str) -> builtins.list[Recording]:
        """``GET /v2/bookings/{bookingUid}/recordings``: the Cal Video recordings of a booking.

        Safe to repeat: retried after timeouts and server errors.

        Args:
            booking_uid: The booking's uid.

        Returns:
            The recordings (empty when there are none).

        Raises:
            InvalidArgumentError: ``booking_uid`` is empty or has control characters.
            NotFoundError: No such booking.
            CalError: Any other failure (see the error tree).
        """
        return await self._get(
            booking_uid, "/recordings", "bookings.recordings", data_list_of(Recording)
        )

    async def transcripts(self, booking_uid: str) -> builtins.list[str]:
        """``GET /v2/bookings/{bookingUid}/transcripts``: Cal Video transcript download links.

        Safe to repeat: retried after timeouts and server errors.

        Args:
            booking_uid: The booking's uid.

        Returns:
            The download URLs (empty when there are none).

        Raises:
            InvalidArgumentError: ``booking_uid`` is empty or has control characters.
            NotFoundError: No such booking.
            CalError: Any other failure (see the error tree).
        """
        return await self._get(
            booking_uid, "/transcripts", "bookings.transcripts", _envelope_strings
        )

    async def calendar_links(self, booking_uid: str) -> builtins.list[CalendarLink]:
        """``GET /v2/bookings/{bookingUid}/calendar-links``: "add to calendar" links.

        Safe to repeat: retried after timeouts and server errors.

        Args:
            booking_uid: The booking's uid.

        Returns:
            One link per calendar (Google, Microsoft, ICS, ...).

        Raises:
            InvalidArgumentError: ``booking_uid`` is empty or has control characters.
            NotFoundError: No such booking.
            CalError: Any other failure (see the error tree).
        """
        return await self._get(
            booking_uid, "/calendar-links", "bookings.calendar_links", data_list_of(CalendarLink)
        )

    async def references(
        self, booking_uid: str, *, type: BookingReferenceType | None = None
    ) -> builtins.list[BookingReference]:
        """``GET /v2/bookings/{bookingUid}/references``: the calendar events and meetings made.

        Safe to repeat: retried after timeouts and server errors.

        Args:
            booking_uid: The booking's uid.
            type: Only references of this kind.

        Returns:
            The booking's references.

        Raises:
            InvalidArgumentError: ``booking_uid`` is empty or has control characters, or
                ``type`` is not a :class:`BookingReferenceType` value.
            NotFoundError: No such booking.
            CalError: Any other failure (see the error tree).
        """
        query = reference_query(type)
        return await self._get(
            booking_uid,
            "/references",
            "bookings.references",
            data_list_of(BookingReference),
            query,
        )

    async def conferencing_sessions(self, booking_uid: str) -> builtins.list[ConferencingSession]:
        """``GET /v2/bookings/{bookingUid}/conferencing-sessions``: Cal Video sessions held.

        Only Cal Video meetings have sessions. Safe to repeat: retried after timeouts and
        server errors.

        Args:
            booking_uid: The booking's uid.

        Returns:
            The sessions with their participants (empty when none were held).

        Raises:
            InvalidArgumentError: ``booking_uid`` is empty or has control characters.
            NotFoundError: No such booking.
            CalError: Any other failure (see the error tree).
        """
        return await self._get(
            booking_uid,
            "/conferencing-sessions",
            "bookings.conferencing_sessions",
            data_list_of(ConferencingSession),
        )

    async def _get(
        self,
        booking_uid: str,
        suffix: str,
        operation: str,
        decode: Callable[[JSONObject], T],
        query: builtins.list[tuple[str, str]] | None = None,
    ) -> T:
        uid = check_uid("booking_uid", booking_uid)
        return await self._requester.request(
            op(operation),
            f"/v2/bookings/{uid}{suffix}",
            query=query or None,
            decode=decode,
        )

    # --- change ------------------------------------------------------------------------------

    async def reschedule(
        self,
        booking_uid: str,
        *,
        start: datetime,
        rescheduled_by: str | None = None,
        reason: str | None = None,
        seat_uid: str | None = None,
        email_verification_code: str | None = None,
    ) -> Booking:
        """``POST /v2/bookings/{bookingUid}/reschedule``: move a booking (or one seat).

        The server makes a **new** booking (with a new uid, and ``rescheduled_from_uid`` set
        to the old one) and cancels the old one. Not safe to repeat: never retried after the
        server may have seen the request.

        Args:
            booking_uid: The booking's uid.
            start: The new start (an aware ``datetime``; sent in UTC).
            rescheduled_by: Email of who reschedules. For bookings that need confirmation,
                the event type owner's email confirms the new booking at once.
            reason: Why the booking moves (not accepted with ``seat_uid``: the API's seated
                reschedule has no reason).
            seat_uid: Move only this seat of a seated booking.
            email_verification_code: The attendee's code, for event types that verify emails.

        Returns:
            The new booking.

        Raises:
            InvalidArgumentError: A malformed argument, or ``reason`` with ``seat_uid``.
            NotFoundError: No such booking.
            BadRequestError: The new time is not available.
            CalError: Any other failure (see the error tree).
        """
        uid = check_uid("booking_uid", booking_uid)
        check_aware_datetime("start", start)
        if rescheduled_by is not None:
            check_email("rescheduled_by", rescheduled_by)
        if email_verification_code is not None:
            check_str("email_verification_code", email_verification_code)
        if reason is not None:
            check_text("reason", reason)
        body: RescheduleBookingInput | RescheduleSeatedBookingInput
        if seat_uid is None:
            body = RescheduleBookingInput(
                start=start,
                rescheduled_by=rescheduled_by,
                rescheduling_reason=reason,
                email_verification_code=email_verification_code,
            )
        else:
            check_str("seat_uid", seat_uid)
            if reason is not None:
                raise InvalidArgumentError(
                    "reason", "cannot be given with seat_uid: a seat is rescheduled without one"
                )
            body = RescheduleSeatedBookingInput(
                start=start,
                rescheduled_by=rescheduled_by,
                seat_uid=seat_uid,
                email_verification_code=email_verification_code,
            )
        return await self._requester.request(
            op("bookings.reschedule"),
            f"/v2/bookings/{uid}/reschedule",
            body=unstructure(body),
            decode=envelope_booking,
        )

    async def cancel(
        self,
        booking_uid: str,
        *,
        reason: str | None = None,
        cancel_subsequent_bookings: bool | None = None,
        seat_uid: str | None = None,
    ) -> Booking | builtins.list[Booking]:
        """``POST /v2/bookings/{bookingUid}/cancel``: cancel a booking, a series, or one seat.

        Safe to repeat: retried after timeouts and server errors.

        Args:
            booking_uid: A booking's uid, or a recurring series' uid to cancel every
                occurrence.
            reason: Why the booking is cancelled.
            cancel_subsequent_bookings: For one occurrence of a recurring (not seated) series:
                also cancel every later occurrence.
            seat_uid: Give up only this seat of a seated booking.

        Returns:
            The cancelled booking, or the list of occurrences when a series (or its later
            part) was cancelled.

        Raises:
            InvalidArgumentError: A malformed argument, or ``cancel_subsequent_bookings`` with
                ``seat_uid``.
            NotFoundError: No such booking.
            CalError: Any other failure (see the error tree).
        """
        uid = check_uid("booking_uid", booking_uid)
        if reason is not None:
            check_text("reason", reason)
        if cancel_subsequent_bookings is not None:
            check_bool("cancel_subsequent_bookings", cancel_subsequent_bookings)
        body: CancelBookingInput | CancelSeatedBookingInput
        if seat_uid is None:
            body = CancelBookingInput(
                cancellation_reason=reason,
                cancel_subsequent_bookings=cancel_subsequent_bookings,
            )
        else:
            check_str("seat_uid", seat_uid)
            if cancel_subsequent_bookings is not None:
                raise InvalidArgumentError(
                    "cancel_subsequent_bookings",
                    "cannot be given with seat_uid: it applies to recurring bookings only",
                )
            body = CancelSeatedBookingInput(seat_uid=seat_uid, cancellation_reason=reason)
        return await self._requester.request(
            op("bookings.cancel"),
            f"/v2/bookings/{uid}/cancel",
            body=unstructure(body),
            decode=envelope_booking_or_series,
        )

    # --- confirm or decline, attendance, reassignment ------------------------------------------

    async def decline(
        self, booking_uid: str, *, reason: str | None = None
    ) -> Booking | builtins.list[Booking]:
        """``POST /v2/bookings/{bookingUid}/decline``: decline a booking awaiting confirmation.

        Safe to repeat: retried after timeouts and server errors.

        Args:
            booking_uid: The booking's uid (or a recurring series' uid, to decline every
                occurrence).
            reason: Why the booking is declined; shown to the attendee.

        Returns:
            The declined booking (status ``rejected``), or every occurrence when
            ``booking_uid`` named a recurring series.

        Raises:
            InvalidArgumentError: ``booking_uid`` is empty or has control characters, or
                ``reason`` is not a string.
            NotFoundError: No such booking.
            BadRequestError: The booking does not await confirmation.
            CalError: Any other failure (see the error tree).
        """
        uid = check_uid("booking_uid", booking_uid)
        if reason is not None:
            check_text("reason", reason)
        body = unstructure(DeclineBookingInput(reason=reason))
        return await self._requester.request(
            op("bookings.decline"),
            f"/v2/bookings/{uid}/decline",
            body=body,
            decode=envelope_booking_or_series,
        )

    async def mark_absent(
        self,
        booking_uid: str,
        *,
        host: bool | None = None,
        attendees: Iterable[MarkAbsentAttendee] | None = None,
    ) -> Booking:
        """``POST /v2/bookings/{bookingUid}/mark-absent``: record who did not show up.

        Safe to repeat: retried after timeouts and server errors.

        Args:
            booking_uid: The booking's uid.
            host: Whether the host was absent. Not sent when ``None``.
            attendees: Attendance of individual attendees, by email (at least one). Not sent
                when ``None``.

        Returns:
            The booking after the change (a :class:`RecurringBooking` for an occurrence of a
            series).

        Raises:
            InvalidArgumentError: A malformed argument (named in the error).
            NotFoundError: No such booking.
            CalError: Any other failure (see the error tree).
        """
        uid = check_uid("booking_uid", booking_uid)
        if host is not None:
            check_bool("host", host)
        listed = None if attendees is None else _attendance(attendees)
        body = unstructure(MarkAbsentBookingInput(host=host, attendees=listed))
        return await self._requester.request(
            op("bookings.mark_absent"),
            f"/v2/bookings/{uid}/mark-absent",
            body=body,
            decode=envelope_booking,
        )

    async def reassign(self, booking_uid: str) -> ReassignedBooking:
        """``POST /v2/bookings/{bookingUid}/reassign``: hand a round-robin booking to another host.

        The server picks the host. Not safe to repeat: never retried after the server may have
        seen the request (a repeat may pick yet another host).

        Args:
            booking_uid: The booking's uid (of a round-robin event type).

        Returns:
            The booking's uid and the new host.

        Raises:
            InvalidArgumentError: ``booking_uid`` is empty or has control characters.
            NotFoundError: No such booking.
            BadRequestError: The booking is not round-robin, or no other host is free.
            CalError: Any other failure (see the error tree).
        """
        uid = check_uid("booking_uid", booking_uid)
        return await self._requester.request(
            op("bookings.reassign"),
            f"/v2/bookings/{uid}/reassign",
            decode=data_of(ReassignedBooking),
        )

    async def reassign_to(
        self, booking_uid: str, user_id: int, *, reason: str | None = None
    ) -> ReassignedBooking:
        """``POST /v2/bookings/{bookingUid}/reassign/{userId}``: hand a booking to a named host.

        Safe to repeat: retried after timeouts and server errors.

        Args:
            booking_uid: The booking's uid.
            user_id: The new host's user id.
            reason: Why the booking is reassigned.

        Returns:
            The booking's uid and the new host.

        Raises:
            InvalidArgumentError: A malformed argument.
            NotFoundError: No such booking or user.
            CalError: Any other failure (see the error tree).
        """
        uid = check_uid("booking_uid", booking_uid)
        check_int("user_id", user_id, minimum=1)
        if reason is not None:
            check_text("reason", reason)
        return await self._requester.request(
            op("bookings.reassign_to"),
            f"/v2/bookings/{uid}/reassign/{user_id}",
            body=unstructure(ReassignToUserBookingInput(reason=reason)),
            decode=data_of(ReassignedBooking),
        )

    async def confirm(self, booking_uid: str) -> Booking | builtins.list[Booking]:
        """``POST /v2/bookings/{bookingUid}/confirm``: accept a booking awaiting confirmation.

        Safe to repeat: retried after timeouts and server errors.

        Args:
            booking_uid: The booking's uid (or a recurring series' uid, to confirm every
                occurrence).

        Returns:
            The confirmed booking (status ``accepted``), or every occurrence when
            ``booking_uid`` named a recurring series.

        Raises:
            InvalidArgumentError: ``booking_uid`` is empty or has control characters.
            NotFoundError: No such booking.
            BadRequestError: The booking does not await confirmation.
            CalError: Any other failure (see the error tree).
        """
        uid = check_uid("booking_uid", booking_uid)
        return await self._requester.request(
            op("bookings.confirm"),
            f"/v2/bookings/{uid}/confirm",
            decode=envelope_booking_or_series,
        )

    async def update_location(
        self, booking_uid: str, location: LocationUpdate
    ) -> Booking | builtins.list[Booking]:
        """``PATCH /v2/bookings/{bookingUid}/location``: move a booking to another location.

        Safe to repeat: retried after timeouts and server errors.

        Args:
            booking_uid: The booking's uid.
            location: Where the booking moves to: an :class:`UpdateAddressLocation`,
                :class:`UpdateLinkLocation`, :class:`UpdatePhoneLocation`,
                :class:`AttendeeAddressLocation`, :class:`AttendeeDefinedLocation` or
                :class:`AttendeePhoneLocation`.

        Returns:
            The booking after the change, or every occurrence of a recurring series.

        Raises:
            InvalidArgumentError: ``booking_uid`` is malformed, or ``location`` is not one of
                the location update classes.
            NotFoundError: No such booking.
            CalError: Any other failure (see the error tree).
        """
        uid = check_uid("booking_uid", booking_uid)
        if not isinstance(location, LocationUpdate):
            raise InvalidArgumentError(
                "location",
                f"expected one of the location update classes, got {type(location).__name__}",
            )
        return await self._requester.request(
            op("bookings.update_location"),
            f"/v2/bookings/{uid}/location",
            body=unstructure(UpdateBookingLocationInput(location=location)),
            decode=envelope_booking_or_series,
        )

    async def add_guests(
        self, booking_uid: str, guests: Iterable[Guest]
    ) -> Booking | builtins.list[Booking]:
        """``POST /v2/bookings/{bookingUid}/guests``: add guests to a booking.

        Not safe to repeat: never retried after the server may have seen the request. The
        server allows 10 guests per request and 30 per booking, and 5 requests a minute
        (rate limit ``booking_guests_add``).

        Args:
            booking_uid: The booking's uid.
            guests: One to ten :class:`Guest` objects.

        Returns:
            The booking with its new guests, or every occurrence of a recurring series.

        Raises:
            InvalidArgumentError: ``booking_uid`` is malformed, or ``guests`` is empty, has
                more than 10 items, or holds something other than :class:`Guest`.
            NotFoundError: No such booking.
            RateLimitError: More than 5 add-guests requests in a minute.
            CalError: Any other failure (see the error tree).
        """
        uid = check_uid("booking_uid", booking_uid)
        items = tuple(items_of("guests", guests))
        for index, guest in enumerate(items):
            if not isinstance(guest, Guest):
                raise InvalidArgumentError(
                    f"guests[{index}]", f"expected Guest, got {type(guest).__name__}"
                )
        if not 1 <= len(items) <= MAX_GUESTS_PER_REQUEST:
            raise InvalidArgumentError(
                "guests",
                f"give 1 to {MAX_GUESTS_PER_REQUEST} guests per request, got {len(items)}",
            )
        return await self._requester.request(
            op("bookings.add_guests"),
            f"/v2/bookings/{uid}/guests",
            body=unstructure(AddGuestsInput(guests=items)),
            decode=envelope_booking_or_series,
        )


def _attendance(items: Iterable[MarkAbsentAttendee]) -> tuple[MarkAbsentAttendee, ...]:
    """The ``attendees`` of mark-absent: at least one, each a :class:`MarkAbsentAttendee`."""
    listed = tuple(items_of("attendees", items))
    if not listed:
        raise InvalidArgumentError(
            "attendees", "must name at least one attendee (leave it out to change only the host)"
        )
    for index, item in enumerate(listed):
        if not isinstance(item, MarkAbsentAttendee):
            raise InvalidArgumentError(
                f"attendees[{index}]", f"expected MarkAbsentAttendee, got {type(item).__name__}"
            )
    return listed


def _envelope_strings(envelope: JSONObject) -> builtins.list[str]:
    """``data`` of an envelope as an array of strings (transcript URLs)."""
    return _strings(envelope.get("data"))


def _strings(data: Any, root: str = "$.data") -> builtins.list[str]:
    """Decode an array of strings (transcript URLs)."""
    if data.__class__ is not builtins.list:
        raise DecodeError(root, f"expected an array of strings, got {type(data).__name__}")
    for index, item in enumerate(data):
        if item.__class__ is not str:
            raise DecodeError(f"{root}[{index}]", f"expected a string, got {type(item).__name__}")
    return builtins.list(data)
