"""What each unsafe write's read-back looks for, and how a keyed write is sent.

A call with ``idempotency_key=`` (see ``_idempotency``) needs, for its write, a ``send`` that
keeps the answer's envelope (to record it) and a ``find`` that reads the server's state back and
answers with an envelope the write's own decoder accepts (the write is applied: that envelope is
recorded and decoded) or ``None`` (the write is proved absent). One function per write:

=====================  =========================================================================
write                  read back
=====================  =========================================================================
create                 the attendee's bookings around the start (one listing page or a few),
                       for the key in a booking's ``metadata`` or a seated attendee's; a
                       recurring series is then read whole by its series uid
reschedule             the old booking's ``rescheduledToUid``, then that booking (one seat: the
                       seat's booking now, by its seat uid, at the new start)
add guests             the booking: every guest's email among its guests or attendees
add attendee           the booking's attendees, by email
automatic reassign     the booking's host, against the host read before the call (the note)
=====================  =========================================================================

Every read goes through the same requester as the write (paced, retried like any read), and its
answer is checked by the decoder of what was asked, so an answer about another booking cannot
settle a write.

Imports ``_decode``, ``_filters``, ``_models``, ``_operations``, ``_validate``, ``_errors`` and
``_types``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import orjson

from ._decode import about_booking, data_list_of, found_by_seat
from ._errors import DecodeError
from ._filters import BookingFilters, to_query
from ._models import BookingAttendee
from ._operations import op
from ._types import JSONObject, Requester
from ._validate import quote_segment

__all__ = [
    "attendee_added",
    "created_with_key",
    "guests_added",
    "host_before",
    "host_changed",
    "rescheduled_to",
    "sender",
]

T = TypeVar("T")

Find = Callable[[str | None], Awaitable[JSONObject | None]]

#: How far around a create's start its booking is looked for.
_BEFORE = timedelta(hours=1)
_AFTER = timedelta(days=1)
#: Listing pages read at most while looking for a create (100 bookings each).
_PAGES = 10


def sender(
    requester: Requester,
    operation: str,
    path: str,
    body: Any,
    decode: Callable[[JSONObject], T],
) -> Callable[[], Awaitable[tuple[T, JSONObject]]]:
    """The write's send: its decoded result and the envelope it was decoded from."""

    async def send() -> tuple[T, JSONObject]:
        kept: list[JSONObject] = []

        def keep(envelope: JSONObject) -> T:
            result = decode(envelope)
            kept.append(envelope)
            return result

        result = await requester.request(op(operation), path, body=body, decode=keep)
        return result, kept[0]

    return send


def _envelope(envelope: JSONObject) -> JSONObject:
    return envelope


def _path(uid: str) -> str:
    return "/v2/bookings/" + quote_segment(uid)


async def _booking(requester: Requester, uid: str) -> JSONObject:
    """``GET /v2/bookings/{uid}`` as an envelope, checked to be about ``uid``."""
    envelope = await requester.request(op("bookings.get"), _path(uid), decode=_envelope)
    about_booking(uid)(envelope)
    return envelope


def _success(data: Any) -> JSONObject:
    return {"status": "success", "data": data}


def created_with_key(
    requester: Requester,
    key_name: str,
    key: str,
    start: datetime,
    email: str | None,
) -> Find:
    """A create's read-back: the booking (or seat) carrying ``key`` in its metadata."""

    async def find(_note: str | None) -> JSONObject | None:
        filters: dict[str, Any] = {"after_start": start - _BEFORE, "before_end": start + _AFTER}
        if email is not None:
            filters["attendee_email"] = email
        query = to_query(BookingFilters, filters, method="list")
        for page in range(_PAGES):
            paged = [*query, ("take", "100"), ("skip", str(page * 100))]
            envelope = await requester.request(
                op("bookings.list"), "/v2/bookings", query=paged, decode=_envelope
            )
            items = envelope.get("data")
            if not isinstance(items, list):
                raise DecodeError("$.data", "expected a list of bookings")
            for item in items:
                found = _carrying(item, key_name, key)
                if found is not None:
                    return await _whole(requester, found)
            pagination = envelope.get("pagination")
            if not isinstance(pagination, dict) or not pagination.get("hasNextPage"):
                return None
        raise DecodeError("$.data", f"more than {_PAGES * 100} bookings to look through")

    return find


def _carrying(item: Any, key_name: str, key: str) -> JSONObject | None:
    """``item`` when it (or one of its seats) carries the key; a seat's as its create answers."""
    if not isinstance(item, dict):
        return None
    metadata = item.get("metadata")
    if isinstance(metadata, dict) and metadata.get(key_name) == key:
        return item
    for attendee in item.get("attendees") or ():
        seat = attendee.get("metadata") if isinstance(attendee, dict) else None
        if isinstance(seat, dict) and seat.get(key_name) == key and attendee.get("seatUid"):
            return {**item, "seatUid": attendee["seatUid"]}
    return None


async def _whole(requester: Requester, item: JSONObject) -> JSONObject:
    """The create's answer as the server gives it: a recurring series read whole."""
    series = item.get("recurringBookingUid")
    if not isinstance(series, str) or not series:
        return _success(item)
    envelope = await _booking(requester, series)
    data = envelope.get("data")
    if isinstance(data, list) and "seatUid" in item:
        data = [{**occurrence, "seatUid": item["seatUid"]} for occurrence in data]
    return _success(data)


def rescheduled_to(requester: Requester, uid: str, start: datetime, seat_uid: str | None) -> Find:
    """A reschedule's read-back: the booking that replaced ``uid`` (or holds the seat now)."""

    async def find(_note: str | None) -> JSONObject | None:
        if seat_uid is not None:
            path = "/v2/bookings/by-seat/" + quote_segment(seat_uid)
            envelope = await requester.request(op("bookings.get_by_seat"), path, decode=_envelope)
            booking = found_by_seat(seat_uid)(envelope)
            return envelope if booking.start == start else None
        old = await _booking(requester, uid)
        moved = old["data"].get("rescheduledToUid") if isinstance(old["data"], dict) else None
        if not isinstance(moved, str) or not moved:
            return None
        return await _booking(requester, moved)

    return find


def guests_added(requester: Requester, uid: str, emails: Iterable[str]) -> Find:
    """An add-guests read-back: every guest's email on the booking."""
    wanted = {email.casefold() for email in emails}

    async def find(_note: str | None) -> JSONObject | None:
        envelope = await _booking(requester, uid)
        booking = about_booking(uid)(envelope)
        present = {a.email.casefold() for a in booking.attendees}
        present |= {guest.casefold() for guest in booking.guests}
        return envelope if wanted <= present else None

    return find


def attendee_added(requester: Requester, uid: str, email: str) -> Find:
    """An add-attendee read-back: the attendee, by email, among the booking's attendees."""
    wanted = email.casefold()

    async def find(_note: str | None) -> JSONObject | None:
        envelope = await requester.request(
            op("bookings.attendees"), _path(uid) + "/attendees", decode=_envelope
        )
        data_list_of(BookingAttendee)(envelope)
        for item in envelope.get("data") or ():
            if isinstance(item, dict) and str(item.get("email", "")).casefold() == wanted:
                return _success(item)
        return None

    return find


def host_before(requester: Requester, uid: str) -> Callable[[], Awaitable[str | None]]:
    """Before an automatic reassignment: the host to compare with afterwards (the note)."""

    async def prepare() -> str | None:
        booking = about_booking(uid)(await _booking(requester, uid))
        host = booking.hosts[0].id if booking.hosts else None
        return orjson.dumps({"host": host}).decode()

    return prepare


def host_changed(requester: Requester, uid: str) -> Find:
    """An automatic reassignment's read-back: the booking's host is not the one before."""

    async def find(note: str | None) -> JSONObject | None:
        if note is None:
            return None  # the note is recorded with "sent": without one, nothing went out
        before = orjson.loads(note).get("host")
        booking = about_booking(uid)(await _booking(requester, uid))
        if not booking.hosts or booking.hosts[0].id == before:
            return None
        host = booking.hosts[0]
        reassigned = {"id": host.id, "name": host.name, "email": host.email}
        return _success({"bookingUid": uid, "reassignedTo": reassigned})

    return find
