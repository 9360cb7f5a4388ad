"""One coroutine per bookings endpoint: check the arguments, build the body, decode the reply.

Endpoint coroutines see the session only through the ``Requester`` protocol and never catch
transport errors: retries, rate limits and error mapping happen below them. Each one checks its
arguments before anything is sent (``InvalidArgumentError`` names the argument), serialises its
body through the converter (only the fields the caller set), percent-encodes path parameters,
and decodes ``data`` with the one decoder.

Whether an operation is safe to repeat is declared here, next to the call, because only the
endpoint knows: writes that set a state (cancel, decline, confirm, mark-absent, update
location, reassign to a named user) are idempotent; create, reschedule, add-guests and
automatic reassign are not.

Imports ``_decode``, ``_converter``, ``_inputs``, ``_models``, ``_validate`` and ``_types``.
"""

from __future__ import annotations

from collections.abc import Iterable

from ._converter import unstructure
from ._decode import decode_booking, decode_booking_or_series
from ._inputs import DeclineBookingInput, MarkAbsentAttendee, MarkAbsentBookingInput
from ._models import Booking
from ._types import Requester
from ._validate import check_uid

__all__ = ["Bookings"]


class Bookings:
    """The ``/v2/bookings`` endpoints, reached as ``cal.bookings``."""

    __slots__ = ("_requester",)

    def __init__(self, requester: Requester) -> None:
        self._requester = requester

    def __repr__(self) -> str:
        return "Bookings()"

    async def decline(
        self, booking_uid: str, *, reason: str | None = None
    ) -> Booking | list[Booking]:
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
        body = unstructure(DeclineBookingInput(reason=reason))
        envelope = await self._requester.request(
            "POST",
            f"/v2/bookings/{uid}/decline",
            body=body,
            idempotent=True,
            operation="bookings.decline",
        )
        return decode_booking_or_series(envelope.get("data"))

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
            attendees: Attendance of individual attendees, by email. Not sent when ``None``.

        Returns:
            The booking after the change (a :class:`RecurringBooking` for an occurrence of a
            series).

        Raises:
            InvalidArgumentError: A malformed argument (named in the error).
            NotFoundError: No such booking.
            CalError: Any other failure (see the error tree).
        """
        uid = check_uid("booking_uid", booking_uid)
        body = unstructure(
            MarkAbsentBookingInput(
                host=host,
                attendees=_listed(attendees),
            )
        )
        envelope = await self._requester.request(
            "POST",
            f"/v2/bookings/{uid}/mark-absent",
            body=body,
            idempotent=True,
            operation="bookings.mark_absent",
        )
        return decode_booking(envelope.get("data"))


def _listed(items: Iterable[MarkAbsentAttendee] | None) -> tuple[MarkAbsentAttendee, ...] | None:
    # The input class's validator names any item that is not a MarkAbsentAttendee.
    return None if items is None else tuple(items)
