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

from collections.abc import Mapping

from ._types import Operation, RouteLimit, Safety

__all__ = ["API_VERSION", "OPERATIONS", "op"]

#: The ``cal-api-version`` the SDK speaks (docs/API-NOTES.md §1, §13).
API_VERSION = "2024-08-13"

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
    }
)

# name, method, path, safety, limits. Why each write has its safety:
# - create, reschedule, add guests, automatic reassign make something new (a booking, an
#   attendee, a host pick) each time they run: never repeated after the server may have seen one.
# - cancel, decline, confirm, mark-absent, update location and reassign to a named user set a
#   state; a repeat finds it set (or answers 400 "already ..."), never applies it twice.
_ROWS: tuple[tuple[str, str, str, Safety, tuple[RouteLimit, ...]], ...] = (
    ("bookings.create", "POST", "/v2/bookings", _UNSAFE, ()),
    ("bookings.list", "GET", "/v2/bookings", _READ, ()),
    ("bookings.get", "GET", "/v2/bookings/{bookingUid}", _READ, ()),
    ("bookings.recordings", "GET", "/v2/bookings/{bookingUid}/recordings", _READ, ()),
    ("bookings.transcripts", "GET", "/v2/bookings/{bookingUid}/transcripts", _READ, ()),
    ("bookings.reschedule", "POST", "/v2/bookings/{bookingUid}/reschedule", _UNSAFE, ()),
    ("bookings.cancel", "POST", "/v2/bookings/{bookingUid}/cancel", _STATE, ()),
    ("bookings.mark_absent", "POST", "/v2/bookings/{bookingUid}/mark-absent", _STATE, ()),
    ("bookings.reassign", "POST", "/v2/bookings/{bookingUid}/reassign", _UNSAFE, ()),
    ("bookings.reassign_to", "POST", "/v2/bookings/{bookingUid}/reassign/{userId}", _STATE, ()),
    ("bookings.confirm", "POST", "/v2/bookings/{bookingUid}/confirm", _STATE, ()),
    ("bookings.decline", "POST", "/v2/bookings/{bookingUid}/decline", _STATE, ()),
    ("bookings.calendar_links", "GET", "/v2/bookings/{bookingUid}/calendar-links", _READ, ()),
    ("bookings.references", "GET", "/v2/bookings/{bookingUid}/references", _READ, ()),
    (
        "bookings.conferencing_sessions",
        "GET",
        "/v2/bookings/{bookingUid}/conferencing-sessions",
        _READ,
        (),
    ),
    (
        "bookings.update_location",
        "PATCH",
        "/v2/bookings/{bookingUid}/location",
        _STATE,
        _throttle("booking_location_update"),
    ),
    (
        "bookings.add_guests",
        "POST",
        "/v2/bookings/{bookingUid}/guests",
        _UNSAFE,
        _throttle("booking_guests_add"),
    ),
    ("organizations.bookings", "GET", "/v2/organizations/{orgId}/bookings", _READ, ()),
    (
        "organizations.team_bookings",
        "GET",
        "/v2/organizations/{orgId}/teams/{teamId}/bookings",
        _READ,
        (),
    ),
    (
        "organizations.team_booking_references",
        "GET",
        "/v2/organizations/{orgId}/teams/{teamId}/bookings/{bookingUid}/references",
        _READ,
        (),
    ),
    (
        "organizations.user_bookings",
        "GET",
        "/v2/organizations/{orgId}/users/{userId}/bookings",
        _READ,
        (),
    ),
)

#: Every operation, by name.
OPERATIONS: Mapping[str, Operation] = {
    name: Operation(
        name=name,
        method=method,
        path=path,
        safety=safety,
        api_version=API_VERSION,
        limits=limits,
        pooled=name in _POOLED,
    )
    for name, method, path, safety, limits in _ROWS
}


def op(name: str) -> Operation:
    """The operation called ``name`` (a ``KeyError`` for an unknown name is a bug in the SDK)."""
    return OPERATIONS[name]
