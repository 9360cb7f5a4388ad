"""Every operation of the API the SDK calls, in one table: method, path, safety, version, limits.

This is the one place that says, per operation, what the session sends and what it may repeat:

* ``safety`` decides what is retried (see ``_retry.RETRY_TABLE``): reads and writes that set a
  state may be sent again after the server may have seen them; unsafe writes may not.
* ``api_version`` is the ``cal-api-version`` header sent. Every operation uses ``2024-08-13``
  today; moving one to a newer version changes its row here (and the models it returns).
* ``limits`` are the route throttles Cal.com publishes (docs/API-NOTES.md §8, §13), known
  before the first response so the pacer holds even the first window of a bulk run.
* ``pooled`` lets an operation's requests reuse kept-alive connections: only reads and
  state-setting writes whose success answer names the booking asked for (checked by the
  endpoint's decoder). Everything else goes out on a fresh connection, where no answer meant for
  another request can be waiting.

Endpoint modules look their rows up here; the session reads the fields, and knows nothing else of
bookings. Imports only ``_types``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ._types import Operation, RouteLimit, Safety

__all__ = ["API_VERSION", "OPERATIONS", "V2024_08_13", "op"]

#: The ``cal-api-version`` every bookings operation is sent with today (docs/API-NOTES.md §1).
#: Cal.com also serves ``2026-02-25`` (the same routes) and ``2026-05-01`` (cursor paging on the
#: organization listing, API-NOTES §13): moving an operation there changes its row below and the
#: models it decodes, nothing else.
V2024_08_13 = "2024-08-13"
#: The version most operations use (the session's default for a request without an operation).
API_VERSION = V2024_08_13

_READ = Safety.READ
_STATE = Safety.SETS_STATE
_UNSAFE = Safety.UNSAFE


def _throttle(name: str) -> tuple[RouteLimit, ...]:
    # Cal.com's named throttles: 5 requests per 60 s, then a 60 s block (API-NOTES §13).
    return (RouteLimit(name=name, limit=5, window=60.0),)


#: The operations whose answers name the booking asked for, checked by their decoders.
_POOLED = frozenset(
    {
        "bookings.get",
        "bookings.cancel",
        "bookings.mark_absent",
        "bookings.reassign_to",
        "bookings.confirm",
        "bookings.decline",
        "bookings.update_location",
        "bookings.get_by_seat",
        "bookings.attendee",
        "bookings.remove_attendee",
        "organizations.block_booking",
    }
)

# name, method, path, safety, cal-api-version, limits. Why each write has its safety:
# - create, reschedule, add guests, automatic reassign make something new (a booking, an
#   attendee, a host pick) each time they run: never repeated after the server may have seen one.
# - cancel, decline, confirm, mark-absent, update location and reassign to a named user set a
#   state; a repeat finds it set (or answers 400 "already ..."), never applies it twice.
# - add attendee: each call adds an attendee row (with a new id) and emails the person; a repeat
#   may add them twice. Unsafe.
# - remove attendee: attendee ids are never reused, so a repeat finds the attendee gone (404) and
#   removes nothing more. Sets a state.
# - request reschedule: cancels the booking (rescheduled: true) and emails a link; a repeat finds
#   it cancelled and answers 400 without a second email. Sets a state, like cancel.
# - send verification code: each call mails a new code (which may replace the previous one, so a
#   booker holding the first code could no longer use it). Unsafe.
# - verify code: checking a code against the email changes nothing a second check could change
#   again. Sets a state.
# - report booking: each call files another report (the answer counts them). Unsafe.
# - block booking: adds the email or domain to the organization's blocklist and cancels the
#   matching upcoming bookings; a repeat finds both done. Sets a state.
_ROWS: tuple[tuple[str, str, str, Safety, str, tuple[RouteLimit, ...]], ...] = (
    ("bookings.create", "POST", "/v2/bookings", _UNSAFE, V2024_08_13, ()),
    ("bookings.list", "GET", "/v2/bookings", _READ, V2024_08_13, ()),
    ("bookings.get", "GET", "/v2/bookings/{bookingUid}", _READ, V2024_08_13, ()),
    ("bookings.recordings", "GET", "/v2/bookings/{bookingUid}/recordings", _READ, V2024_08_13, ()),
    (
        "bookings.transcripts",
        "GET",
        "/v2/bookings/{bookingUid}/transcripts",
        _READ,
        V2024_08_13,
        (),
    ),
    (
        "bookings.reschedule",
        "POST",
        "/v2/bookings/{bookingUid}/reschedule",
        _UNSAFE,
        V2024_08_13,
        (),
    ),
    ("bookings.cancel", "POST", "/v2/bookings/{bookingUid}/cancel", _STATE, V2024_08_13, ()),
    (
        "bookings.mark_absent",
        "POST",
        "/v2/bookings/{bookingUid}/mark-absent",
        _STATE,
        V2024_08_13,
        (),
    ),
    ("bookings.reassign", "POST", "/v2/bookings/{bookingUid}/reassign", _UNSAFE, V2024_08_13, ()),
    (
        "bookings.reassign_to",
        "POST",
        "/v2/bookings/{bookingUid}/reassign/{userId}",
        _STATE,
        V2024_08_13,
        (),
    ),
    ("bookings.confirm", "POST", "/v2/bookings/{bookingUid}/confirm", _STATE, V2024_08_13, ()),
    ("bookings.decline", "POST", "/v2/bookings/{bookingUid}/decline", _STATE, V2024_08_13, ()),
    (
        "bookings.calendar_links",
        "GET",
        "/v2/bookings/{bookingUid}/calendar-links",
        _READ,
        V2024_08_13,
        (),
    ),
    ("bookings.references", "GET", "/v2/bookings/{bookingUid}/references", _READ, V2024_08_13, ()),
    (
        "bookings.conferencing_sessions",
        "GET",
        "/v2/bookings/{bookingUid}/conferencing-sessions",
        _READ,
        V2024_08_13,
        (),
    ),
    (
        "bookings.update_location",
        "PATCH",
        "/v2/bookings/{bookingUid}/location",
        _STATE,
        V2024_08_13,
        _throttle("booking_location_update"),
    ),
    (
        "bookings.add_guests",
        "POST",
        "/v2/bookings/{bookingUid}/guests",
        _UNSAFE,
        V2024_08_13,
        _throttle("booking_guests_add"),
    ),
    ("organizations.bookings", "GET", "/v2/organizations/{orgId}/bookings", _READ, V2024_08_13, ()),
    (
        "organizations.team_bookings",
        "GET",
        "/v2/organizations/{orgId}/teams/{teamId}/bookings",
        _READ,
        V2024_08_13,
        (),
    ),
    (
        "organizations.team_booking_references",
        "GET",
        "/v2/organizations/{orgId}/teams/{teamId}/bookings/{bookingUid}/references",
        _READ,
        V2024_08_13,
        (),
    ),
    (
        "organizations.user_bookings",
        "GET",
        "/v2/organizations/{orgId}/users/{userId}/bookings",
        _READ,
        V2024_08_13,
        (),
    ),
    # The operations published since January 2026 (docs/CHANGES.md, API-NOTES §13).
    ("bookings.get_by_seat", "GET", "/v2/bookings/by-seat/{seatUid}", _READ, V2024_08_13, ()),
    ("bookings.attendees", "GET", "/v2/bookings/{bookingUid}/attendees", _READ, V2024_08_13, ()),
    (
        "bookings.attendee",
        "GET",
        "/v2/bookings/{bookingUid}/attendees/{attendeeId}",
        _READ,
        V2024_08_13,
        (),
    ),
    (
        "bookings.add_attendee",
        "POST",
        "/v2/bookings/{bookingUid}/attendees",
        _UNSAFE,
        V2024_08_13,
        _throttle("booking_attendees_add"),
    ),
    (
        "bookings.remove_attendee",
        "DELETE",
        "/v2/bookings/{bookingUid}/attendees/{attendeeId}",
        _STATE,
        V2024_08_13,
        _throttle("booking_attendees_remove"),
    ),
    (
        "bookings.request_reschedule",
        "POST",
        "/v2/bookings/{bookingUid}/request-reschedule",
        _STATE,
        V2024_08_13,
        (),
    ),
    (
        "bookings.routing_trace",
        "GET",
        "/v2/bookings/{bookingUid}/routing-trace",
        _READ,
        V2024_08_13,
        (),
    ),
    (
        "bookings.email_verification_required",
        "GET",
        "/v2/bookings/verification/email/check",
        _READ,
        V2024_08_13,
        (),
    ),
    (
        "bookings.send_email_verification_code",
        "POST",
        "/v2/bookings/verification/email/send-code",
        _UNSAFE,
        V2024_08_13,
        (),
    ),
    (
        "bookings.verify_email_code",
        "POST",
        "/v2/bookings/verification/email/verify-code",
        _STATE,
        V2024_08_13,
        (),
    ),
    (
        "organizations.report_booking",
        "POST",
        "/v2/organizations/{orgId}/bookings/report",
        _UNSAFE,
        V2024_08_13,
        (),
    ),
    (
        "organizations.block_booking",
        "POST",
        "/v2/organizations/{orgId}/bookings/block",
        _STATE,
        V2024_08_13,
        (),
    ),
)

_BY_NAME: dict[str, Operation] = {
    name: Operation(
        name=name,
        method=method,
        path=path,
        safety=safety,
        api_version=api_version,
        limits=limits,
        pooled=name in _POOLED,
    )
    for name, method, path, safety, api_version, limits in _ROWS
}

#: Every operation, by name.
OPERATIONS: Mapping[str, Operation] = _BY_NAME


#: The operation called ``name`` (a ``KeyError`` for an unknown name is a bug in the SDK).
#: The dict's own lookup, not a Python function around it: it runs on every request.
op: Callable[[str], Operation] = _BY_NAME.__getitem__
