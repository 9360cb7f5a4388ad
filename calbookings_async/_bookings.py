"""One method per bookings endpoint: check the arguments, build the body, decode the answer.

Endpoint coroutines see the session only through the ``Requester`` protocol and never catch
transport errors: retries, rate limits and error mapping happen below them. Each one checks its
arguments before anything is sent (``InvalidArgumentError`` names the argument), serialises its
body through the converter (only the fields the caller set), percent-encodes path parameters,
and decodes ``data`` with a decoder that checks the answer is about what was asked (``_decode``).
The listing is the exception to "coroutine": it returns a :class:`Pager` at once (see
``_paging``), with its filters checked by ``_filters``.

Whether an operation is safe to repeat, its API version and its throttles are its row in
``_operations``; the methods pass that row to the requester.

The operations that Cal.com may answer with a whole recurring series (create, get, confirm,
decline, cancel, update location, add guests) still return one :class:`Booking`: the occurrence
asked about (else the first), with every occurrence in :attr:`Booking.occurrences`. So
``booking = await cal.bookings.get(uid); booking.uid`` type-checks, and a write the server
applied is never reported as a failure because of the shape of its answer.

Unsafe writes called with ``idempotency_key=`` go through ``_idempotency`` (the journal's
claim, record and replay) with the read-backs of ``_readbacks``; state-setting writes that end
uncertain are settled through ``_settle`` (a bulk item left in flight by an earlier run, told by
``_bulk.item_left_in_flight``, counts as uncertain too).

Imports ``_bulk``, ``_idempotency``, ``_journal``, ``_readbacks``, ``_settle``, ``_filters``,
``_paging``, ``_decode``, ``_converter``, ``_inputs``, ``_models``,
``_operations``, ``_validate``, ``_errors`` and ``_types``.
"""

from __future__ import annotations

import builtins
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

import attrs
from typing_extensions import Unpack

from ._bulk import item_left_in_flight
from ._converter import unstructure
from ._decode import (
    about_booking,
    created,
    data_about,
    data_flag,
    data_list_of,
    data_of,
    decode_bookings,
    found_by_seat,
    no_data,
    reassigned,
    rescheduled,
)
from ._errors import CalError, DecodeError, InvalidArgumentError
from ._filters import BookingFilters, reference_query, to_query
from ._idempotency import METADATA_KEY, check_key, fingerprint, once
from ._inputs import (
    MAX_GUESTS_PER_REQUEST,
    AddAttendeeInput,
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
    RequestRescheduleInput,
    RescheduleBookingInput,
    RescheduleSeatedBookingInput,
    SendVerificationEmailInput,
    UpdateBookingLocationInput,
    VerifyEmailCodeInput,
    from_keywords,
)
from ._journal import Journal
from ._models import (
    Booking,
    BookingAttendee,
    BookingReference,
    BookingReferenceType,
    CalendarLink,
    ConferencingSession,
    Language,
    ReassignedBooking,
    ReassignedHost,
    Recording,
    RoutingTrace,
    as_settled,
)
from ._operations import op
from ._paging import Pager, request_pages
from ._readbacks import (
    Find,
    attendee_added,
    created_with_key,
    guests_added,
    host_before,
    host_changed,
    rescheduled_to,
    sender,
)
from ._settle import CHECKS, absent_as_sent, hosted_by, location_as_sent, settle_failure
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

    __slots__ = ("_journal", "_requester", "_settling", "_wait")

    def __init__(
        self,
        requester: Requester,
        *,
        settle: bool = True,
        journal: Journal | None = None,
        wait: float | None = None,
    ) -> None:
        self._requester = requester
        self._settling = settle
        self._journal = journal
        self._wait = wait

    def _keyed(self, key: object) -> tuple[str, Journal]:
        """The checked idempotency key and the journal it is kept in."""
        checked = check_key(key)
        if self._journal is None:
            raise InvalidArgumentError(
                "idempotency_key",
                "needs a journal to keep it in: CalBookings(journal=SQLiteJournal(path))"
                " (or MemoryJournal() within one process)",
            )
        return checked, self._journal

    async def _once(
        self,
        key: str,
        journal: Journal,
        operation: str,
        path: str,
        body: Any,
        decode: Callable[[JSONObject], T],
        find: Find,
        prepare: Callable[[], Awaitable[str | None]] | None = None,
    ) -> T:
        """An unsafe write made once per idempotency key (see :mod:`._idempotency`)."""
        return await once(
            journal,
            key,
            operation=operation,
            fingerprint=fingerprint(operation, path, body),
            send=sender(self._requester, operation, path, body, decode),
            find=find,
            decode=decode,
            prepare=prepare,
            wait=self._wait,
            left_in_flight=item_left_in_flight(),
        )

    async def _settle(
        self, failure: CalError, operation: str, booking_uid: str, holds: Callable[[Booking], bool]
    ) -> Any:
        """After a write failed: the booking read back if the failure is uncertain and the
        booking holds (see :mod:`._settle`); else ``failure`` raised. Entered only after a
        failure, so a call that succeeds pays nothing for settling."""
        return await settle_failure(
            failure,
            operation=operation,
            uid=booking_uid,
            read_back=lambda: self.get(booking_uid),
            holds=holds,
            enabled=self._settling,
            left_in_flight=item_left_in_flight(),
        )

    async def _in_state(self, booking_uid: str, holds: Callable[[Booking], bool]) -> Any:
        """For a bulk item an earlier run left in flight (checked by the caller first, so that
        other calls pay nothing): the booking, settled, when it already holds what the write
        asks (the write is then not sent again); else ``None`` (the write is sent)."""
        if not self._settling:
            return None
        try:
            booking = await self.get(booking_uid)
        except CalError:
            return None  # the write is sent, and a refusal is read back after it
        return as_settled(booking) if holds(booking) else None

    def __repr__(self) -> str:
        return "Bookings()"

    # --- create and read ---------------------------------------------------------------------

    async def create(
        self,
        booking: CreateBookingInput | CreateInstantBookingInput | CreateRecurringBookingInput,
        *,
        idempotency_key: str | None = None,
    ) -> Booking:
        """``POST /v2/bookings``: book an event type.

        Not safe to repeat: never retried after the server may have seen the request (unless
        the client's retry policy has ``retry_unsafe``). The server has no idempotency key; a
        duplicate booking for the same host and time usually fails with 400 or 409.

        Args:
            booking: What to book: a :class:`CreateBookingInput`, a
                :class:`CreateInstantBookingInput` (team event types) or a
                :class:`CreateRecurringBookingInput`.
            idempotency_key: Book once per key, across retries, crashes and processes (needs
                the client's ``journal``; see "Idempotency keys" in the README). The key
                travels in the booking's metadata under ``calbookings_idempotency_key`` (the
                booking's, or the seat's on a seated event type), where a read-back finds it
                when an earlier call's outcome was not seen.

        Returns:
            The new booking (a :class:`SeatedBooking` with ``seat_uid`` for a seated event
            type). When the event type is recurring (the event type decides, not the input
            class) the server books the series: the first occurrence is returned, with every
            occurrence in :attr:`Booking.occurrences`.

        Raises:
            InvalidArgumentError: ``booking`` is not one of the create inputs; or the
                ``idempotency_key`` is malformed, has no journal, was used for another
                request, or does not fit in the booking's metadata.
            UnsettledWriteError: An earlier call with the key may have booked, and reading
                it back failed: nothing was sent.
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
        # An instant meeting starts when a host joins: its start is not compared.
        start = None if isinstance(booking, CreateInstantBookingInput) else _sent(booking.start)
        if idempotency_key is not None:
            return await self._create_once(booking, start, idempotency_key)
        return await self._requester.request(
            op("bookings.create"),
            "/v2/bookings",
            body=unstructure(booking),
            decode=created(start, booking.attendee.email),
        )

    async def _create_once(
        self,
        booking: CreateBookingInput | CreateInstantBookingInput | CreateRecurringBookingInput,
        start: datetime | None,
        idempotency_key: str,
    ) -> Booking:
        key, journal = self._keyed(idempotency_key)
        metadata = dict(booking.metadata or {})
        if metadata.get(METADATA_KEY, key) != key:
            raise InvalidArgumentError(
                "idempotency_key",
                f"differs from booking.metadata[{METADATA_KEY!r}]; give one or the other",
            )
        metadata[METADATA_KEY] = key
        try:
            keyed = attrs.evolve(booking, metadata=metadata)
        except InvalidArgumentError as error:
            raise InvalidArgumentError(
                "idempotency_key", f"does not fit in booking.metadata: {error.problem}"
            ) from None
        email = booking.attendee.email
        return await self._once(
            key,
            journal,
            "bookings.create",
            "/v2/bookings",
            unstructure(keyed),
            created(start, email),
            created_with_key(self._requester, METADATA_KEY, key, _sent(booking.start), email),
        )

    def list(
        self,
        *,
        take: int | None = None,
        skip: int = 0,
        concurrency: int = 1,
        **filters: Unpack[BookingFilters],
    ) -> Pager[Booking]:
        """``GET /v2/bookings``: the bookings the credentials can see, filtered and sorted.

        Returns a pager without sending anything: ``await`` it for one page, ``async for`` it
        for every booking of every page::

            page = await cal.bookings.list(status=[BookingListStatus.UPCOMING], take=50)
            async for booking in cal.bookings.list(attendee_email="ann@example.com"):
                ...

        Filters left out or ``None`` are not sent. Safe to repeat: retried after timeouts and
        server errors.

        Args:
            take: Page size, 1 to 250 (the server's default is 100). Iterating with 250
                takes the fewest requests.
            skip: How many bookings to skip before the first page.
            concurrency: When iterating, how many of the following pages to fetch at once
                once the first page has told the total (1: one at a time). Items still come
                in order.
            **filters: The filters of :class:`BookingFilters` (``status``,
                ``attendee_email``, ``after_start``, ``sort_start``, ...).

        Returns:
            A :class:`Pager` of :class:`Booking` objects (every variant can appear).

        Raises:
            InvalidArgumentError: A malformed filter (raised here, before anything is sent).
            TypeError: A keyword that is not a filter of this listing.
            CalError: When awaited or iterated, any failure (see the error tree).
        """
        return request_pages(
            self._requester,
            "/v2/bookings",
            to_query(BookingFilters, filters, method="list"),
            take=take,
            skip=skip,
            concurrency=concurrency,
            operation=op("bookings.list"),
            decode_items=decode_bookings,
        )

    async def get(self, booking_uid: str) -> Booking:
        """``GET /v2/bookings/{bookingUid}``: one booking, or a whole recurring series.

        Safe to repeat: retried after timeouts and server errors.

        Args:
            booking_uid: A booking's uid, or a recurring series' ``recurring_booking_uid``.

        Returns:
            The booking (the variant its shape calls for). For a series uid: its first
            occurrence, with every occurrence in :attr:`Booking.occurrences`.

        Raises:
            InvalidArgumentError: ``booking_uid`` is empty or has control characters.
            NotFoundError: No such booking.
            CalError: Any other failure (see the error tree).
        """
        uid = check_uid("booking_uid", booking_uid)
        return await self._requester.request(
            op("bookings.get"), f"/v2/bookings/{uid}", decode=about_booking(booking_uid)
        )

    async def get_by_seat(self, seat_uid: str) -> Booking:
        """``GET /v2/bookings/by-seat/{seatUid}``: the seated booking a seat belongs to.

        The attendees are shown when the event type shows them, or to the organizer, a host
        or an admin. Safe to repeat: retried after timeouts and server errors.

        Args:
            seat_uid: A seat's uid (``SeatedAttendee.seat_uid``, ``SeatedBooking.seat_uid``).

        Returns:
            The booking (a :class:`SeatedBooking`).

        Raises:
            InvalidArgumentError: ``seat_uid`` is empty or has control characters.
            NotFoundError: No such seat.
            CalError: Any other failure (see the error tree).
        """
        path = f"/v2/bookings/by-seat/{check_uid('seat_uid', seat_uid)}"
        return await self._requester.request(
            op("bookings.get_by_seat"), path, decode=found_by_seat(seat_uid)
        )

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

    async def routing_trace(self, booking_uid: str) -> RoutingTrace:
        """``GET /v2/bookings/{bookingUid}/routing-trace``: how a routing form routed a booking.

        Empty steps and groups when the booking was not routed. Safe to repeat: retried after
        timeouts and server errors.

        Args:
            booking_uid: The booking's uid.

        Returns:
            The steps, grouped by routing round, and the routing form submission if any.

        Raises:
            InvalidArgumentError: ``booking_uid`` is empty or has control characters.
            NotFoundError: No such booking.
            CalError: Any other failure (see the error tree).
        """
        return await self._get(
            booking_uid, "/routing-trace", "bookings.routing_trace", data_of(RoutingTrace)
        )

    # --- attendees ---------------------------------------------------------------------------

    async def attendees(self, booking_uid: str) -> builtins.list[BookingAttendee]:
        """``GET /v2/bookings/{bookingUid}/attendees``: a booking's attendees, with their ids.

        Safe to repeat: retried after timeouts and server errors.

        Args:
            booking_uid: The booking's uid.

        Returns:
            The attendees (the booker first), each with the ``id`` that
            :meth:`attendee` and :meth:`remove_attendee` take.

        Raises:
            InvalidArgumentError: ``booking_uid`` is empty or has control characters.
            NotFoundError: No such booking.
            CalError: Any other failure (see the error tree).
        """
        return await self._get(
            booking_uid, "/attendees", "bookings.attendees", data_list_of(BookingAttendee)
        )

    async def attendee(self, booking_uid: str, attendee_id: int) -> BookingAttendee:
        """``GET /v2/bookings/{bookingUid}/attendees/{attendeeId}``: one attendee of a booking.

        Safe to repeat: retried after timeouts and server errors.

        Args:
            booking_uid: The booking's uid.
            attendee_id: The attendee's id (a positive integer, from :meth:`attendees`).

        Returns:
            The attendee.

        Raises:
            InvalidArgumentError: A malformed argument.
            NotFoundError: No such booking, or no such attendee on it.
            CalError: Any other failure (see the error tree).
        """
        uid = check_uid("booking_uid", booking_uid)
        check_int("attendee_id", attendee_id, minimum=1)
        return await self._requester.request(
            op("bookings.attendee"),
            f"/v2/bookings/{uid}/attendees/{attendee_id}",
            decode=data_about(BookingAttendee, "id", attendee_id),
        )

    async def add_attendee(
        self,
        booking_uid: str,
        attendee: AddAttendeeInput,
        *,
        idempotency_key: str | None = None,
    ) -> BookingAttendee:
        """``POST /v2/bookings/{bookingUid}/attendees``: add an attendee to a booking.

        The attendee is emailed the booking and added to the calendar event. The caller must
        be the organizer, an attendee, or a team member allowed to change the booking;
        seated bookings refuse it (400). Not safe to repeat: never retried after the server
        may have seen the request (a repeat may add the person twice). 5 requests a minute
        (rate limit ``booking_attendees_add``).

        Args:
            booking_uid: The booking's uid.
            attendee: Who to add.
            idempotency_key: Add once per key, across retries, crashes and
                processes (needs the client's ``journal``; see "Idempotency keys" in the
                README).
                An attendee left in flight is looked for among the booking's attendees by
                email.

        Returns:
            The new attendee, with its ``id`` and ``booking_id``.

        Raises:
            InvalidArgumentError: ``booking_uid`` is malformed, or ``attendee`` is not an
                :class:`AddAttendeeInput`.
            BadRequestError: The booking is seated, or the input does not fit it.
            NotFoundError: No such booking.
            RateLimitError: More than 5 add-attendee requests in a minute.
            CalError: Any other failure (see the error tree).
        """
        uid = check_uid("booking_uid", booking_uid)
        if not isinstance(attendee, AddAttendeeInput):
            raise InvalidArgumentError(
                "attendee", f"expected AddAttendeeInput, got {type(attendee).__name__}"
            )
        decode = data_about(BookingAttendee, "email", attendee.email, fold_case=True)
        if idempotency_key is not None:
            key, journal = self._keyed(idempotency_key)
            find = attendee_added(self._requester, booking_uid, attendee.email)
            path = f"/v2/bookings/{uid}/attendees"
            return await self._once(
                key, journal, "bookings.add_attendee", path, unstructure(attendee), decode, find
            )
        return await self._requester.request(
            op("bookings.add_attendee"),
            f"/v2/bookings/{uid}/attendees",
            body=unstructure(attendee),
            decode=decode,
        )

    async def remove_attendee(self, booking_uid: str, attendee_id: int) -> BookingAttendee:
        """``DELETE /v2/bookings/{bookingUid}/attendees/{attendeeId}``: remove an attendee.

        The removed attendee is emailed a cancellation. The booker (the first attendee)
        cannot be removed: cancel the booking instead. Safe to repeat: a repeat finds the
        attendee gone (404) and removes nothing more. 5 requests a minute (rate limit
        ``booking_attendees_remove``).

        Args:
            booking_uid: The booking's uid.
            attendee_id: The attendee's id (a positive integer, from :meth:`attendees`).

        Returns:
            The removed attendee (its id, name, email, time zone and booking id).

        Raises:
            InvalidArgumentError: A malformed argument.
            BadRequestError: The attendee is the booker.
            NotFoundError: No such booking, or no such attendee on it.
            RateLimitError: More than 5 remove-attendee requests in a minute.
            CalError: Any other failure (see the error tree).
        """
        uid = check_uid("booking_uid", booking_uid)
        check_int("attendee_id", attendee_id, minimum=1)
        return await self._requester.request(
            op("bookings.remove_attendee"),
            f"/v2/bookings/{uid}/attendees/{attendee_id}",
            decode=data_about(BookingAttendee, "id", attendee_id),
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
        allow_conflicts: bool | None = None,
        allow_booking_out_of_bounds: bool | None = None,
        skip_booking_limits: bool | None = None,
        idempotency_key: str | None = None,
    ) -> Booking:
        """``POST /v2/bookings/{bookingUid}/reschedule``: move a booking (or one seat).

        The server makes a **new** booking (with a new uid, and ``rescheduled_from_uid`` set
        to the old one) and cancels the old one; a moved seat joins the booking at the new
        time, or a new one. Not safe to repeat: never retried after the server may have seen
        the request.

        Args:
            booking_uid: The booking's uid.
            start: The new start (an aware ``datetime``; sent in UTC).
            rescheduled_by: Email of who reschedules. For bookings that need confirmation,
                the event type owner's email confirms the new booking at once.
            reason: Why the booking moves (not accepted with ``seat_uid``: the API's seated
                reschedule has no reason).
            seat_uid: Move only this seat of a seated booking.
            email_verification_code: The attendee's code, for event types that verify emails.
            allow_conflicts: Move even when a host is busy then. Honoured for hosts only.
            allow_booking_out_of_bounds: Move outside the event type's booking window.
                Honoured for hosts only; documented for API version ``2026-02-25``.
            skip_booking_limits: Ignore the event type's booking limits. Honoured for hosts
                only; documented for API version ``2026-02-25``.
            idempotency_key: Reschedule once per key, across retries, crashes and
                processes (needs the client's ``journal``; see "Idempotency keys" in the
                README).
                A booking left in flight is found by its ``rescheduledToUid`` (a seat: by
                its seat uid, at the new start).

        Returns:
            The new booking (for a seat: the booking the seat is now in).

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
        common: dict[str, Any] = {
            "start": start,
            "rescheduled_by": rescheduled_by,
            "email_verification_code": email_verification_code,
            **_host_overrides(allow_conflicts, allow_booking_out_of_bounds, skip_booking_limits),
        }
        body: RescheduleBookingInput | RescheduleSeatedBookingInput
        if seat_uid is None:
            body = RescheduleBookingInput(rescheduling_reason=reason, **common)
        else:
            check_str("seat_uid", seat_uid)
            if reason is not None:
                raise InvalidArgumentError(
                    "reason", "cannot be given with seat_uid: a seat is rescheduled without one"
                )
            body = RescheduleSeatedBookingInput(seat_uid=seat_uid, **common)
        decode = rescheduled(booking_uid, _sent(start), seat=seat_uid is not None)
        if idempotency_key is not None:
            key, journal = self._keyed(idempotency_key)
            find = rescheduled_to(self._requester, booking_uid, _sent(start), seat_uid)
            path = f"/v2/bookings/{uid}/reschedule"
            return await self._once(
                key, journal, "bookings.reschedule", path, unstructure(body), decode, find
            )
        return await self._requester.request(
            op("bookings.reschedule"),
            f"/v2/bookings/{uid}/reschedule",
            body=unstructure(body),
            decode=decode,
        )

    async def request_reschedule(self, booking_uid: str, *, reason: str | None = None) -> None:
        """``POST /v2/bookings/{bookingUid}/request-reschedule``: ask the attendee for a new time.

        The server cancels the booking (``status`` cancelled, ``rescheduled`` true, ``reason``
        as the cancellation reason) and emails the attendee a link to pick a new time. Safe
        to repeat: a repeat finds the booking cancelled (400) and sends no second email; after
        a retry, that 400 says the earlier attempt may have been applied.

        Args:
            booking_uid: The booking's uid.
            reason: Why a new time is asked for (shown to the attendee).

        Raises:
            InvalidArgumentError: A malformed argument.
            BadRequestError: The booking is already cancelled.
            NotFoundError: No such booking.
            CalError: Any other failure (see the error tree).
        """
        uid = check_uid("booking_uid", booking_uid)
        if reason is not None:
            check_text("reason", reason)
        name = "bookings.request_reschedule"
        if item_left_in_flight() and await self._in_state(booking_uid, CHECKS[name]):
            return
        try:
            await self._requester.request(
                op(name),
                f"/v2/bookings/{uid}/request-reschedule",
                body=unstructure(RequestRescheduleInput(reschedule_reason=reason)),
                decode=no_data,
            )
            return
        except CalError as error:
            failure = error
        await self._settle(failure, name, booking_uid, CHECKS[name])

    async def cancel(
        self,
        booking_uid: str,
        *,
        reason: str | None = None,
        cancel_subsequent_bookings: bool | None = None,
        seat_uid: str | None = None,
    ) -> Booking:
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
            The cancelled booking. When a series (or its later part) was cancelled: the
            occurrence ``booking_uid`` named (the first one for a series uid), with every
            occurrence the server returned in :attr:`Booking.occurrences`.

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
        try:
            return await self._requester.request(
                op("bookings.cancel"),
                f"/v2/bookings/{uid}/cancel",
                body=unstructure(body),
                decode=about_booking(booking_uid),
            )
        except CalError as error:
            if seat_uid is not None:
                raise  # one seat given up: the booking itself stays on, nothing to read back
            failure = error
        result: Booking = await self._settle(
            failure, "bookings.cancel", booking_uid, CHECKS["bookings.cancel"]
        )
        return result

    # --- confirm or decline, attendance, reassignment ------------------------------------------

    async def decline(self, booking_uid: str, *, reason: str | None = None) -> Booking:
        """``POST /v2/bookings/{bookingUid}/decline``: decline a booking awaiting confirmation.

        Safe to repeat: retried after timeouts and server errors.

        Args:
            booking_uid: The booking's uid (or a recurring series' uid, to decline every
                occurrence).
            reason: Why the booking is declined; shown to the attendee.

        Returns:
            The declined booking (status ``rejected``); for a series uid, its first occurrence
            with every occurrence in :attr:`Booking.occurrences`.

        Raises:
            InvalidArgumentError: ``booking_uid`` is empty or has control characters, or
                ``reason`` is not a string.
            NotFoundError: No such booking.
            BadRequestError: The booking does not await confirmation.
            CalError: Any other failure (see the error tree).
        """
        uid = check_uid("booking_uid", booking_uid)
        if reason is not None:
            check_text("reason", reason)  # named as the caller wrote it
        body = unstructure(DeclineBookingInput(reason=reason))
        try:
            return await self._requester.request(
                op("bookings.decline"),
                f"/v2/bookings/{uid}/decline",
                body=body,
                decode=about_booking(booking_uid),
            )
        except CalError as error:
            failure = error
        result: Booking = await self._settle(
            failure, "bookings.decline", booking_uid, CHECKS["bookings.decline"]
        )
        return result

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
        holds = absent_as_sent(host, [(a.email, a.absent) for a in listed or ()])
        if item_left_in_flight() and (found := await self._in_state(booking_uid, holds)):
            return found  # type: ignore[no-any-return]
        try:
            return await self._requester.request(
                op("bookings.mark_absent"),
                f"/v2/bookings/{uid}/mark-absent",
                body=body,
                decode=about_booking(booking_uid),
            )
        except CalError as error:
            failure = error
        result: Booking = await self._settle(failure, "bookings.mark_absent", booking_uid, holds)
        return result

    async def reassign(
        self, booking_uid: str, *, idempotency_key: str | None = None
    ) -> ReassignedBooking:
        """``POST /v2/bookings/{bookingUid}/reassign``: hand a round-robin booking to another host.

        The server picks the host. Not safe to repeat: never retried after the server may have
        seen the request (a repeat may pick yet another host).

        Args:
            booking_uid: The booking's uid (of a round-robin event type).
            idempotency_key: Reassign once per key, across retries, crashes and
                processes (needs the client's ``journal``; see "Idempotency keys" in the
                README).
                The booking's host is read before the first send; a reassignment left in
                flight counts as applied when the host has changed since.

        Returns:
            The booking's uid and the new host.

        Raises:
            InvalidArgumentError: ``booking_uid`` is empty or has control characters.
            NotFoundError: No such booking.
            BadRequestError: The booking is not round-robin, or no other host is free.
            CalError: Any other failure (see the error tree).
        """
        uid = check_uid("booking_uid", booking_uid)
        decode = reassigned(booking_uid, None)
        if idempotency_key is not None:
            key, journal = self._keyed(idempotency_key)
            return await self._once(
                key,
                journal,
                "bookings.reassign",
                f"/v2/bookings/{uid}/reassign",
                None,
                decode,
                host_changed(self._requester, booking_uid),
                host_before(self._requester, booking_uid),
            )
        return await self._requester.request(
            op("bookings.reassign"), f"/v2/bookings/{uid}/reassign", decode=decode
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
            check_text("reason", reason)  # named as the caller wrote it
        try:
            return await self._requester.request(
                op("bookings.reassign_to"),
                f"/v2/bookings/{uid}/reassign/{user_id}",
                body=unstructure(ReassignToUserBookingInput(reason=reason)),
                decode=reassigned(booking_uid, user_id),
            )
        except CalError as error:
            failure = error
        booking: Booking = await self._settle(
            failure, "bookings.reassign_to", booking_uid, hosted_by(user_id)
        )
        host = booking.hosts[0]
        to = ReassignedHost(id=user_id, name=host.name, email=host.email)
        return as_settled(ReassignedBooking(booking_uid=booking_uid, reassigned_to=to))

    async def confirm(self, booking_uid: str) -> Booking:
        """``POST /v2/bookings/{bookingUid}/confirm``: accept a booking awaiting confirmation.

        Safe to repeat: retried after timeouts and server errors.

        Args:
            booking_uid: The booking's uid (or a recurring series' uid, to confirm every
                occurrence).

        Returns:
            The confirmed booking (status ``accepted``); for a series uid, its first
            occurrence with every occurrence in :attr:`Booking.occurrences`.

        Raises:
            InvalidArgumentError: ``booking_uid`` is empty or has control characters.
            NotFoundError: No such booking.
            BadRequestError: The booking does not await confirmation.
            CalError: Any other failure (see the error tree).
        """
        uid = check_uid("booking_uid", booking_uid)
        try:
            return await self._requester.request(
                op("bookings.confirm"),
                f"/v2/bookings/{uid}/confirm",
                decode=about_booking(booking_uid),
            )
        except CalError as error:
            failure = error
        result: Booking = await self._settle(
            failure, "bookings.confirm", booking_uid, CHECKS["bookings.confirm"]
        )
        return result

    async def update_location(self, booking_uid: str, location: LocationUpdate) -> Booking:
        """``PATCH /v2/bookings/{bookingUid}/location``: move a booking to another location.

        Safe to repeat: retried after timeouts and server errors. 5 requests a minute (rate
        limit ``booking_location_update``).

        Args:
            booking_uid: The booking's uid.
            location: Where the booking moves to: an :class:`UpdateAddressLocation`,
                :class:`UpdateLinkLocation`, :class:`UpdatePhoneLocation`,
                :class:`AttendeeAddressLocation`, :class:`AttendeeDefinedLocation`,
                :class:`AttendeePhoneLocation` or :class:`IntegrationLocation`.

        Returns:
            The booking after the change (for a series uid, its first occurrence with every
            occurrence in :attr:`Booking.occurrences`).

        Raises:
            InvalidArgumentError: ``booking_uid`` is malformed, or ``location`` is not one of
                the location update classes.
            NotFoundError: No such booking.
            RateLimitError: More than 5 location updates in a minute.
            CalError: Any other failure (see the error tree).
        """
        uid = check_uid("booking_uid", booking_uid)
        if not isinstance(location, LocationUpdate):
            raise InvalidArgumentError(
                "location",
                f"expected one of the location update classes, got {type(location).__name__}",
            )
        try:
            return await self._requester.request(
                op("bookings.update_location"),
                f"/v2/bookings/{uid}/location",
                body=unstructure(UpdateBookingLocationInput(location=location)),
                decode=about_booking(booking_uid),
            )
        except CalError as error:
            failure = error
        result: Booking = await self._settle(
            failure, "bookings.update_location", booking_uid, location_as_sent(location)
        )
        return result

    async def add_guests(
        self, booking_uid: str, guests: Iterable[Guest], *, idempotency_key: str | None = None
    ) -> Booking:
        """``POST /v2/bookings/{bookingUid}/guests``: add guests to a booking.

        Not safe to repeat: never retried after the server may have seen the request. The
        server allows 1 to 10 guests per request and 30 per booking, and 5 requests a minute
        (rate limit ``booking_guests_add``).

        Args:
            booking_uid: The booking's uid.
            guests: One to ten :class:`Guest` objects.
            idempotency_key: Add once per key, across retries, crashes and
                processes (needs the client's ``journal``; see "Idempotency keys" in the
                README).
                Guests left in flight count as added when every one of their emails is on
                the booking.

        Returns:
            The booking with its new guests (for a series uid, its first occurrence with
            every occurrence in :attr:`Booking.occurrences`).

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
        body = unstructure(AddGuestsInput(guests=items))
        if idempotency_key is not None:
            key, journal = self._keyed(idempotency_key)
            find = guests_added(self._requester, booking_uid, (g.email for g in items))
            path = f"/v2/bookings/{uid}/guests"
            return await self._once(
                key, journal, "bookings.add_guests", path, body, about_booking(booking_uid), find
            )
        return await self._requester.request(
            op("bookings.add_guests"),
            f"/v2/bookings/{uid}/guests",
            body=body,
            decode=about_booking(booking_uid),
        )

    # --- email verification before booking ----------------------------------------------------

    async def email_verification_required(
        self, email: str, *, user_session_email: str | None = None
    ) -> bool:
        """``GET /v2/bookings/verification/email/check``: must this email be verified to book?

        When it must, send a code (:meth:`send_email_verification_code`) and pass the code the
        booker received as ``email_verification_code`` on create or reschedule. Safe to
        repeat: retried after timeouts and server errors.

        Args:
            email: The booker's email address.
            user_session_email: The email of the signed-in Cal.com user booking, if any (a
                user booking with their own address need not verify it).

        Returns:
            Whether the email must be verified.

        Raises:
            InvalidArgumentError: A malformed email address.
            CalError: Any other failure (see the error tree).
        """
        query = [("email", check_email("email", email))]
        if user_session_email is not None:
            session_email = check_email("user_session_email", user_session_email)
            query.append(("userSessionEmail", session_email))
        return await self._requester.request(
            op("bookings.email_verification_required"),
            "/v2/bookings/verification/email/check",
            query=query,
            decode=data_flag(None),
        )

    async def send_email_verification_code(
        self,
        email: str,
        *,
        username: str | None = None,
        language: Language | None = None,
        is_verifying_email: bool | None = None,
    ) -> bool:
        """``POST /v2/bookings/verification/email/send-code``: email a one-time code.

        Not safe to repeat: never retried after the server may have seen the request (each
        call mails a new code, which may replace the one the booker already has).

        Args:
            email: Where to send the code.
            username: The Cal.com username whose event type is being booked.
            language: Language of the email (a :class:`Language` or its value).
            is_verifying_email: Whether the code verifies an address a Cal.com user adds to
                their own account, rather than a booker's (changes the email's wording).

        Returns:
            Whether a code was sent (``False`` when the server skipped it).

        Raises:
            InvalidArgumentError: A malformed argument (named in the error).
            CalError: Any other failure (see the error tree).
        """
        body = from_keywords(
            SendVerificationEmailInput,
            email=email,
            username=username,
            language=language,
            is_verifying_email=is_verifying_email,
        )
        return await self._requester.request(
            op("bookings.send_email_verification_code"),
            "/v2/bookings/verification/email/send-code",
            body=unstructure(body),
            decode=data_flag("sent"),
        )

    async def verify_email_code(self, email: str, code: str) -> bool:
        """``POST /v2/bookings/verification/email/verify-code``: check a code sent by email.

        Safe to repeat: retried after timeouts and server errors.

        Args:
            email: The address the code was sent to.
            code: The code the booker received (a non-empty string).

        Returns:
            Whether the email is verified (a wrong or expired code raises instead).

        Raises:
            InvalidArgumentError: A malformed email address or an empty code.
            BadRequestError: The code is wrong or has expired.
            CalError: Any other failure (see the error tree).
        """
        body = from_keywords(VerifyEmailCodeInput, email=email, code=code)
        return await self._requester.request(
            op("bookings.verify_email_code"),
            "/v2/bookings/verification/email/verify-code",
            body=unstructure(body),
            decode=data_flag("verified"),
        )


def _sent(start: datetime) -> datetime:
    """``start`` as the server receives it: the body carries whole milliseconds."""
    return start.replace(microsecond=start.microsecond // 1000 * 1000)


def _host_overrides(
    allow_conflicts: bool | None,
    allow_booking_out_of_bounds: bool | None,
    skip_booking_limits: bool | None,
) -> dict[str, bool | None]:
    """The reschedule keywords that override the event type's rules, checked."""
    overrides = {
        "allow_conflicts": allow_conflicts,
        "allow_booking_out_of_bounds": allow_booking_out_of_bounds,
        "skip_booking_limits": skip_booking_limits,
    }
    for name, value in overrides.items():
        if value is not None:
            check_bool(name, value)
    return overrides


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
