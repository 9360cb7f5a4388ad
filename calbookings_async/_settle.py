"""Settling a state-setting write whose outcome is uncertain, by reading the booking back.

Cancel, decline, confirm, mark-absent, request-reschedule, reassign-to-a-user and update-location
set a state: a repeat never applies them twice, but a call can still end without a clear answer. The
connection dropped after the request went out, the deadline passed, or a retry after such an attempt
was answered "already cancelled" / "not pending" (the earlier attempt had been applied). The error
then says ``may_have_been_applied``. Rather than leave the reconciliation to the caller,
:func:`settle_failure` reads the booking back (``GET /v2/bookings/{uid}``, through the same session,
paced and retried like any read) and, when the booking is in the state the write asked for, returns
it marked :attr:`~calbookings_async.Booking.settled`, with one INFO log line. Otherwise, or when the
read-back fails too, the original error is raised as it was, still uncertain (the read-back error is
attached as ``read_back_error``).

What each write is checked against is :data:`CHECKS`, one row per operation (mark-absent,
reassign-to and update-location depend on what was sent: :func:`absent_as_sent`,
:func:`hosted_by`, :func:`location_as_sent`). A bulk item that
an earlier run left in flight counts as uncertain even when this attempt is refused outright
("already cancelled"): the refusal may be the earlier attempt's doing (``left_in_flight``).

Imports ``_errors`` and ``_models`` only; the endpoints give the read-back call.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable

from ._errors import APIStatusError, CalError, InvalidArgumentError
from ._models import Booking, BookingStatus, as_settled

__all__ = ["CHECKS", "absent_as_sent", "hosted_by", "location_as_sent", "settle_failure"]

logger = logging.getLogger("calbookings_async")


def _status(wanted: BookingStatus) -> Callable[[Booking], bool]:
    return lambda booking: booking.status == wanted


def absent_as_sent(
    host: bool | None, attendees: Iterable[tuple[str, bool]]
) -> Callable[[Booking], bool]:
    """The check of a mark-absent: the host's flag and each attendee's as they were sent."""
    asked = {email.lower(): absent for email, absent in attendees}

    def holds(booking: Booking) -> bool:
        if host is not None and getattr(booking, "absent_host", None) != host:
            return False
        found = {a.email.lower(): getattr(a, "absent", None) for a in booking.attendees}
        return all(found.get(email) == absent for email, absent in asked.items())

    return holds


#: The field of each location update whose value the booking's ``location`` takes.
_LOCATION_FIELDS = {
    "address": "address",
    "attendeeAddress": "address",
    "attendeeDefined": "location",
    "attendeePhone": "phone",
    "link": "link",
    "phone": "phone",
}


def location_as_sent(location: object) -> Callable[[Booking], bool]:
    """The check of a location update: the booking's location is the value sent. An
    integration (a video app) becomes a value the server picks: never settled."""
    field = _LOCATION_FIELDS.get(getattr(location, "type", ""))
    if field is None:
        return lambda booking: False
    wanted = getattr(location, field)
    return lambda booking: booking.location == wanted


def hosted_by(user_id: int) -> Callable[[Booking], bool]:
    """The check of a reassignment to a named user: that user is the booking's host."""
    return lambda booking: bool(booking.hosts) and booking.hosts[0].id == user_id


#: The statuses a write's refusal comes with when the booking is already in another state.
_REFUSALS = frozenset({400, 404, 409, 422})

#: Operation -> what the booking read back must show for the write to count as applied.
#: (Mark-absent depends on what was sent: :func:`absent_as_sent`.)
CHECKS: dict[str, Callable[[Booking], bool]] = {
    "bookings.cancel": _status(BookingStatus.CANCELLED),
    "bookings.decline": _status(BookingStatus.REJECTED),
    "bookings.confirm": _status(BookingStatus.ACCEPTED),
    "bookings.request_reschedule": _status(BookingStatus.CANCELLED),
}


async def settle_failure(
    failure: CalError,
    *,
    operation: str,
    uid: str,
    read_back: Callable[[], Awaitable[Booking]],
    holds: Callable[[Booking], bool],
    enabled: bool,
    left_in_flight: bool = False,
) -> Booking:
    """The booking read back after a write failed with ``failure``, if it settles the write.

    Called only once a write has failed, so a write that succeeds pays nothing for settling.

    Args:
        failure: The write's error.
        operation: The operation's name (for the log line).
        uid: The booking's uid (for the log line).
        read_back: Reads the booking.
        holds: Whether the booking read back is in the state the write asked for.
        enabled: ``False``: ``failure`` is raised as it is (``settle=False``).
        left_in_flight: An earlier run sent this write without seeing its outcome (a bulk
            item a journal recorded in flight): a refusal (4xx: "already cancelled", "not
            pending") is then read back too, since the earlier attempt may be what it meets.

    Raises:
        CalError: ``failure``, when it is not uncertain, when settling is off, or when the
            read-back fails (its error in ``read_back_error``) or shows another state.
    """
    uncertain = failure.may_have_been_applied and not isinstance(failure, InvalidArgumentError)
    if left_in_flight and isinstance(failure, APIStatusError):
        uncertain = uncertain or failure.status_code in _REFUSALS
    if not enabled or not uncertain:
        raise failure
    try:
        booking = await read_back()
    except CalError as problem:
        failure.read_back_error = problem  # type: ignore[attr-defined]
        booking = None
    if booking is None or not holds(booking):
        raise failure
    logger.info(
        "settled %s %s: the write ended uncertain (%s, request id %s); read back, the booking"
        " is in the state asked for",
        operation,
        uid,
        type(failure).__name__,
        getattr(failure, "request_id", None),
    )
    return as_settled(booking)
