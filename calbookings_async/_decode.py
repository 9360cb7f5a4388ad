"""Turn a success envelope into models, and check that the answer is about what was asked.

**Shapes.** The API returns one of several booking shapes under ``data`` and does not say which.
The order of the checks is the one docs/API-NOTES.md §3 gives:

1. a JSON array holds occurrences of a recurring series (or a listing's page);
2. ``seatUid`` at the top level marks the caller's own seat of a seated booking;
3. no top-level ``bookingFieldsResponses`` marks any other seated booking (attendees carry
   their own answers and ``seatUid``);
4. ``recurringBookingUid`` marks one occurrence of a recurring series;
5. anything else is a plain booking.

Any value that does not fit raises :class:`~calbookings_async.DecodeError` naming the JSONPath of
the bad value; nothing else escapes (no ``KeyError``, ``TypeError`` or ``ValueError``).

**Answers belong to their request.** The endpoints do not decode with a bare class: each call
builds a decoder that knows what it asked about (``about_booking(uid)``, ``created(...)``, ...)
and raises :class:`~calbookings_async._errors.AnswerMismatch` when the answer is about something
else, which is what an answer meant for another request looks like (issue: a connection that
delivers a stale response). The checks read one or two keys of the raw ``data`` before any
decoding, so they cost next to nothing. What is checked, per answer:

* a booking: its ``uid`` is the uid in the path; a series (an array): every occurrence shares
  one ``recurringBookingUid``, and that is the uid in the path or the path's uid is one of the
  occurrences (a cancel of the later occurrences);
* a reschedule: the new booking starts at the new start and, unless one seat moved (a seat can
  join another booking at the new time), says ``rescheduledFromUid`` = the old uid;
* a create: some occurrence starts at the requested start, and the attendee's email (if one was
  given, and if the answer shows attendees) is among the attendees;
* a booking found by seat: the seat is the booking's (when the answer shows seats);
* an attendee, a reassignment, a report, a block: the id or uid the answer names is the one asked
  for (and a reassignment to a named user names that user).

Answers that carry nothing to compare (recordings, transcripts, calendar links, references,
conferencing sessions, the attendee list, the routing trace, request-reschedule and the email
verification answers) are decoded unchecked. Listings are checked by ``_paging``.

A call answered with a whole series returns one occurrence (the one asked about, else the first)
carrying every occurrence in :attr:`Booking.occurrences`, so that each such method returns a
``Booking`` and a write the server applied is never reported as a failure.

This module imports only ``_converter``, ``_models`` and ``_errors``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from ._converter import DecodeFailure, converter, path_text
from ._errors import AnswerMismatch, DecodeError
from ._models import (
    Booking,
    ReassignedBooking,
    RecurringBooking,
    RecurringSeatedBooking,
    SeatedBooking,
    with_occurrences,
)

__all__ = [
    "about_booking",
    "created",
    "data_about",
    "data_flag",
    "data_list_of",
    "data_of",
    "decode",
    "decode_booking",
    "decode_bookings",
    "decode_list",
    "found_by_seat",
    "no_data",
    "reassigned",
    "rescheduled",
]

T = TypeVar("T")

_booking_hook = converter.get_structure_hook(Booking)
_recurring_hook = converter.get_structure_hook(RecurringBooking)
_seated_hook = converter.get_structure_hook(SeatedBooking)
_recurring_seated_hook = converter.get_structure_hook(RecurringSeatedBooking)


def _structure_booking(data: Any) -> Booking:
    if data.__class__ is not dict:
        raise DecodeFailure(None, f"expected a booking object, got {_kind(data)}")
    recurring = data.get("recurringBookingUid") is not None
    if "seatUid" in data or "bookingFieldsResponses" not in data:
        if recurring:
            return _recurring_seated_hook(data, RecurringSeatedBooking)  # type: ignore[no-any-return]
        return _seated_hook(data, SeatedBooking)  # type: ignore[no-any-return]
    if recurring:
        return _recurring_hook(data, RecurringBooking)  # type: ignore[no-any-return]
    return _booking_hook(data, Booking)  # type: ignore[no-any-return]


def _kind(value: Any) -> str:
    names = {list: "an array", dict: "an object", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number" if isinstance(value, (int, float)) else "a value")


def _error(failure: DecodeFailure, root: str) -> DecodeError:
    return DecodeError(path_text(root, failure.path[::-1]), failure.reason)


def decode_booking(data: Any, root: str = "$.data") -> Booking:
    """Decode one booking object into the variant its shape calls for.

    Args:
        data: The JSON value under ``root``.
        root: The JSONPath of ``data`` in the response, for error messages.

    Raises:
        DecodeError: ``data`` is not a booking object.
    """
    try:
        return _structure_booking(data)
    except DecodeFailure as failure:
        raise _error(failure, root) from None


def decode_bookings(data: Any, root: str = "$.data") -> list[Booking]:
    """Decode an array of booking objects (each one dispatched on its own shape).

    Raises:
        DecodeError: ``data`` is not an array of booking objects.
    """
    if data.__class__ is not list:
        raise DecodeError(root, f"expected an array of bookings, got {_kind(data)}")
    structure_one = _structure_booking
    try:
        return [structure_one(item) for item in data]
    except DecodeFailure:
        pass
    for index, item in enumerate(data):  # failures only: find the bad item for the path
        try:
            structure_one(item)
        except DecodeFailure as failure:
            failure.path.append(index)
            raise _error(failure, root) from None
    raise AssertionError("unreachable")  # pragma: no cover


def decode(data: Any, cl: type[T], root: str = "$.data") -> T:
    """Decode ``data`` into any output class of the package.

    Raises:
        DecodeError: ``data`` does not fit ``cl``.
    """
    try:
        return converter.get_structure_hook(cl)(data, cl)  # type: ignore[no-any-return]
    except DecodeFailure as failure:
        raise _error(failure, root) from None


def decode_list(data: Any, cl: type[T], root: str = "$.data") -> list[T]:
    """Decode an array of ``cl`` objects.

    Raises:
        DecodeError: ``data`` is not an array of ``cl`` objects.
    """
    if data.__class__ is not list:
        raise DecodeError(root, f"expected an array, got {_kind(data)}")
    hook = converter.get_structure_hook(cl)
    try:
        return [hook(item, cl) for item in data]
    except DecodeFailure:
        pass
    for index, item in enumerate(data):
        try:
            hook(item, cl)
        except DecodeFailure as failure:
            failure.path.append(index)
            raise _error(failure, root) from None
    raise AssertionError("unreachable")  # pragma: no cover


# --- answers checked against their request --------------------------------------------------
# The session applies these to the success envelope, so a DecodeError raised here is enriched
# with the response's method, URL, status and request id.


def _mismatch(path: str, what: str, got: Any, asked: Any) -> AnswerMismatch:
    return AnswerMismatch(path, f"the answer is about {what} {got!r}, not the {asked!r} asked for")


def about_booking(uid: str) -> Callable[[Any], Booking]:
    """A decoder for an answer about booking ``uid``: that booking, or a series it names.

    For get, confirm, decline, cancel, mark-absent, update location and add guests.

    Args:
        uid: The booking or series uid the request's path named (not percent-encoded).
    """

    def decode_envelope(envelope: Any) -> Booking:
        data = envelope.get("data")
        if data.__class__ is dict:
            got = data.get("uid")
            if got != uid and got is not None:
                raise _mismatch("$.data.uid", "booking", got, uid)
            try:
                return _structure_booking(data)
            except DecodeFailure as failure:
                raise _error(failure, "$.data") from None
        if data.__class__ is not list:
            raise DecodeError(
                "$.data", f"expected a booking object or an array of them, got {_kind(data)}"
            )
        return _series(decode_bookings(data), uid)

    return decode_envelope


def _series(bookings: list[Booking], uid: str) -> Booking:
    """The occurrence ``uid`` names (else the first), carrying all of ``bookings``."""
    if not bookings:
        raise DecodeError("$.data", "expected the occurrences of a series, got an empty array")
    series = {getattr(b, "recurring_booking_uid", None) for b in bookings}
    chosen = next((b for b in bookings if b.uid == uid), None)
    (series_uid,) = series if len(series) == 1 else (None,)
    if series_uid is None or (series_uid != uid and chosen is None):
        shown = sorted(str(s) for s in series)
        raise _mismatch("$.data", "the recurring series", ", ".join(shown), uid)
    return with_occurrences(chosen or bookings[0], tuple(bookings))


def rescheduled(uid: str, start: datetime, *, seat: bool) -> Callable[[Any], Booking]:
    """A decoder for a reschedule's answer: the new booking, made from ``uid``, at ``start``.

    Args:
        uid: The rescheduled booking's uid (not percent-encoded).
        start: The new start sent (to the millisecond).
        seat: One seat moved: it may join another booking at the new time, whose
            ``rescheduledFromUid`` is not ``uid``, so only the start is compared.
    """

    def decode_envelope(envelope: Any) -> Booking:
        data = envelope.get("data")
        if data.__class__ is dict and not seat:
            got = data.get("rescheduledFromUid")
            if got != uid:
                raise _mismatch("$.data.rescheduledFromUid", "a booking made from", got, uid)
        booking = decode_booking(data)
        if booking.start != start:
            raise _mismatch("$.data.start", "a booking starting at", booking.start, start)
        return booking

    return decode_envelope


def created(start: datetime | None, email: str | None) -> Callable[[Any], Booking]:
    """A decoder for a create's answer: a booking (or series) at ``start`` for ``email``.

    Args:
        start: The start sent (to the millisecond), or ``None`` not to compare it (instant
            meetings start when a host joins).
        email: The attendee's email sent, or ``None`` (booked by phone number).
    """

    def decode_envelope(envelope: Any) -> Booking:
        data = envelope.get("data")
        bookings = decode_bookings(data) if data.__class__ is list else [decode_booking(data)]
        first = next((b for b in bookings if b.start == start), None)
        if start is not None and first is None:
            raise _mismatch("$.data.start", "bookings starting at", bookings[0].start, start)
        emails = {a.email.lower() for b in bookings for a in b.attendees}
        if email is not None and emails and email.lower() not in emails:
            raise _mismatch("$.data.attendees", "attendees", ", ".join(sorted(emails)), email)
        if data.__class__ is not list:
            return bookings[0]
        return _series(bookings, (first or bookings[0]).uid)

    return decode_envelope


def found_by_seat(seat_uid: str) -> Callable[[Any], Booking]:
    """A decoder for the booking a seat belongs to: it holds the seat, if it shows seats.

    The answer's schema allows a series (an array) as ``get`` does; then the occurrence holding
    the seat is returned (the first when seats are hidden), carrying every occurrence.

    Args:
        seat_uid: The seat uid the request named.
    """

    def decode_envelope(envelope: Any) -> Booking:
        data = envelope.get("data")
        bookings = decode_bookings(data) if data.__class__ is list else [decode_booking(data)]
        seats: set[str] = set()
        holder = None
        for booking in bookings:
            held = {getattr(a, "seat_uid", None) for a in booking.attendees}
            held.add(getattr(booking, "seat_uid", None))
            seats.update(seat for seat in held if seat is not None)
            if holder is None and seat_uid in held:
                holder = booking
        if seats and holder is None:
            raise _mismatch("$.data.attendees", "seats", ", ".join(sorted(seats)), seat_uid)
        if data.__class__ is not list:
            return bookings[0]
        return _series(bookings, (holder or bookings[0]).uid)

    return decode_envelope


def data_about(
    cl: type[T], key: str, expected: object, *, fold_case: bool = False
) -> Callable[[Any], T]:
    """A decoder for ``data`` as ``cl``, whose ``key`` must be ``expected`` (compared raw).

    Args:
        cl: The output class.
        key: The camelCase key naming what the answer is about (``"bookingUid"``, ``"id"``).
        expected: What the request asked about.
        fold_case: Compare strings without regard to case (email addresses).
    """
    hook = converter.get_structure_hook(cl)
    folded = expected.casefold() if fold_case and isinstance(expected, str) else expected

    def decode_envelope(envelope: Any) -> T:
        data = envelope.get("data")
        if data.__class__ is dict:
            got = data.get(key)
            if fold_case and isinstance(got, str):
                got = got.casefold()
            if got != folded and got is not None:
                raise _mismatch(f"$.data.{key}", key, data.get(key), expected)
        try:
            return hook(data, cl)  # type: ignore[no-any-return]
        except DecodeFailure as failure:
            raise _error(failure, "$.data") from None

    return decode_envelope


def reassigned(uid: str, user_id: int | None) -> Callable[[Any], ReassignedBooking]:
    """A decoder for a reassignment: of booking ``uid``, to ``user_id`` when one was named.

    Args:
        uid: The booking's uid (not percent-encoded).
        user_id: The user the booking was handed to, or ``None`` when the server picked.
    """
    about = data_about(ReassignedBooking, "bookingUid", uid)

    def decode_envelope(envelope: Any) -> ReassignedBooking:
        result = about(envelope)
        if user_id is not None and result.reassigned_to.id != user_id:
            raise _mismatch("$.data.reassignedTo.id", "user", result.reassigned_to.id, user_id)
        return result

    return decode_envelope


@functools.cache
def data_of(cl: type[T]) -> Callable[[Any], T]:
    """A function decoding an envelope's ``data`` into ``cl`` (one per class, cached)."""
    hook = converter.get_structure_hook(cl)

    def decode_envelope(envelope: Any) -> T:
        try:
            return hook(envelope.get("data"), cl)  # type: ignore[no-any-return]
        except DecodeFailure as failure:
            raise _error(failure, "$.data") from None

    return decode_envelope


@functools.cache
def data_list_of(cl: type[T]) -> Callable[[Any], list[T]]:
    """A function decoding an envelope's ``data`` array of ``cl`` (one per class, cached)."""

    def decode_envelope(envelope: Any) -> list[T]:
        return decode_list(envelope.get("data"), cl)

    return decode_envelope


@functools.cache
def data_flag(key: str | None) -> Callable[[Any], bool]:
    """A function decoding a boolean: ``data`` itself (``key`` None) or ``data[key]``."""
    path = "$.data" if key is None else f"$.data.{key}"

    def decode_envelope(envelope: Any) -> bool:
        data = envelope.get("data")
        if key is not None:
            if data.__class__ is not dict:
                raise DecodeError("$.data", f"expected an object, got {_kind(data)}")
            data = data.get(key)
        if data.__class__ is not bool:
            raise DecodeError(path, f"expected a boolean, got {_kind(data)}")
        return bool(data)

    return decode_envelope


def no_data(envelope: Any) -> None:
    """The decoder of an answer that carries nothing but its success status."""
