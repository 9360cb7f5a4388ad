"""Turn a success envelope's ``data`` into models, choosing the booking variant by its shape.

The API returns one of several booking shapes under ``data`` and does not say which. The order
of the checks is the one docs/API-NOTES.md §3 gives:

1. a JSON array holds occurrences of a recurring series (or a listing's page);
2. ``seatUid`` at the top level marks the caller's own seat of a seated booking;
3. no top-level ``bookingFieldsResponses`` marks any other seated booking (attendees carry
   their own answers and ``seatUid``);
4. ``recurringBookingUid`` marks one occurrence of a recurring series;
5. anything else is a plain booking.

Any value that does not fit raises :class:`~calbookings_async.DecodeError` naming the JSONPath of
the bad value; nothing else escapes (no ``KeyError``, ``TypeError`` or ``ValueError``).

This module imports only ``_converter``, ``_models`` and ``_errors``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from ._converter import DecodeFailure, converter, path_text
from ._errors import DecodeError
from ._models import Booking, RecurringBooking, RecurringSeatedBooking, SeatedBooking

__all__ = [
    "booking_class_for",
    "data_list_of",
    "data_of",
    "decode",
    "decode_booking",
    "decode_booking_or_series",
    "decode_bookings",
    "decode_list",
    "envelope_booking",
    "envelope_booking_or_series",
]

T = TypeVar("T")

_booking_hook = converter.get_structure_hook(Booking)
_recurring_hook = converter.get_structure_hook(RecurringBooking)
_seated_hook = converter.get_structure_hook(SeatedBooking)
_recurring_seated_hook = converter.get_structure_hook(RecurringSeatedBooking)


def booking_class_for(data: Any) -> type[Booking]:
    """Return the booking class that a single booking object's shape calls for.

    Args:
        data: One booking as a JSON object.

    Returns:
        :class:`Booking`, :class:`RecurringBooking`, :class:`SeatedBooking` or
        :class:`RecurringSeatedBooking`.
    """
    recurring = data.get("recurringBookingUid") is not None
    if "seatUid" in data or "bookingFieldsResponses" not in data:
        return RecurringSeatedBooking if recurring else SeatedBooking
    return RecurringBooking if recurring else Booking


def _structure_booking(data: Any) -> Booking:
    if data.__class__ is not dict:
        raise DecodeFailure(None, f"expected a booking object, got {_kind(data)}")
    # Same order as booking_class_for, inlined: this runs once per booking received.
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


def decode_booking_or_series(data: Any, root: str = "$.data") -> Booking | list[Booking]:
    """Decode a booking, or the list of occurrences when ``data`` is an array.

    Get, confirm, decline, cancel, update-location and add-guests return an array when the uid
    addressed a whole recurring series.

    Raises:
        DecodeError: ``data`` is neither a booking object nor an array of them.
    """
    if data.__class__ is list:
        return decode_bookings(data, root)
    return decode_booking(data, root)


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


# --- whole envelopes: what endpoints hand to the session ------------------------------------
# The session applies these to the success envelope, so a DecodeError raised here is enriched
# with the response's method, URL, status and request id.


def envelope_booking(envelope: Any) -> Booking:
    """``data`` of an envelope as one booking (see :func:`decode_booking`)."""
    # decode_booking, inlined: this runs for every booking response.
    try:
        return _structure_booking(envelope.get("data"))
    except DecodeFailure as failure:
        raise _error(failure, "$.data") from None


def envelope_booking_or_series(envelope: Any) -> Booking | list[Booking]:
    """``data`` of an envelope as a booking or a series (see :func:`decode_booking_or_series`)."""
    data = envelope.get("data")
    if data.__class__ is list:
        return decode_bookings(data)
    try:
        return _structure_booking(data)
    except DecodeFailure as failure:
        raise _error(failure, "$.data") from None


@functools.cache
def data_of(cl: type[T]) -> Callable[[Any], T]:
    """A function decoding an envelope's ``data`` into ``cl`` (one per class, cached)."""

    def decode_envelope(envelope: Any) -> T:
        return decode(envelope.get("data"), cl)

    return decode_envelope


@functools.cache
def data_list_of(cl: type[T]) -> Callable[[Any], list[T]]:
    """A function decoding an envelope's ``data`` array of ``cl`` (one per class, cached)."""

    def decode_envelope(envelope: Any) -> list[T]:
        return decode_list(envelope.get("data"), cl)

    return decode_envelope
