"""The bookings business rules: validation beyond the input classes and every state transition.

:class:`Rules` applies each write the API can make to the store, the way the live server does
(API-NOTES §5, §7, §9, §12, §13): create (regular, recurring, seated, instant, with the email
verification an event type can require), reschedule (a new booking replaces the old; one seat
moves alone), cancel, confirm, decline, mark absent, reassign, update location, add guests (30
per booking), add and remove attendees (not on seated bookings; never the primary attendee),
request reschedule (cancels with ``rescheduled``), and an organization's report and block
(cancelling the matching upcoming bookings). A rule that refuses raises
:class:`~calbookings_async.testing._envelope.ApiError` with the live server's message. No HTTP
and no JSON here. Imports only the emulator's own modules; nothing from the rest of
``calbookings_async``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ._envelope import ApiError, bad_request, conflict, not_found
from ._records import Attendee, Booking, EventType, User
from ._store import CANCELLED_LIKE, Store
from ._wire import new_seat_uid

__all__ = ["MSG_NO_SEATS", "MSG_PAST", "MSG_TAKEN", "CreateRequest", "Rules"]

MSG_TAKEN = "User either already has booking at this time or is not available"
MSG_HOSTS_TAKEN = "One of the hosts either already has booking at this time or is not available"
MSG_PAST = "Attempting to book a meeting in the past."
MSG_NO_SEATS = "No more seats left at this seated booking."
MSG_PRIMARY = (
    "The primary attendee of booking with uid={uid} can't be removed; cancel the booking instead."
)

_MINUTE = 60_000
_DAY = 86_400_000
_GUESTS_PER_BOOKING = 30
_INTEGRATIONS = {
    "cal-video": "integrations:daily",
    "google-meet": "integrations:google:meet",
    "zoom": "integrations:zoom",
    "office365-video": "integrations:office365_video",
    "jitsi": "integrations:jitsi",
    "whereby-video": "integrations:whereby_video",
}


@dataclass(frozen=True, slots=True)
class CreateRequest:
    """A validated create body, resolved against its event type.

    Attributes:
        event_type: What is booked; its kind decides regular, recurring, seated or team.
        start: Start, epoch ms (already validated as UTC).
        attendee: ``name``, ``email``/``phoneNumber``, ``timeZone``, ``language``.
        length: Chosen duration for multi-length event types.
        guests: Guest emails (added as attendees and to ``responses.guests``).
        fields: Custom ``bookingFieldsResponses``.
        metadata: User metadata (kept on the seat for a seated event type).
        location: The resolved location string (None: the event type's).
        recurrence_count: Occurrences for a recurring event type (default: its count).
        instant: Create an instant meeting (team event types only; ``AWAITING_HOST``).
        routing: The routing-form ``routing`` object, kept for the routing trace.
    """

    event_type: EventType
    start: int
    attendee: dict[str, Any]
    length: int | None = None
    guests: Sequence[str] | None = None
    fields: dict[str, Any] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    location: str | None = None
    recurrence_count: int | None = None
    instant: bool = False
    routing: dict[str, Any] | None = None


class Rules:
    """Every state change the API can make, applied to a store.

    Args:
        store: The rows to change.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- rules shared by create and reschedule --------------------------------------------------

    def check_start(self, start: int) -> None:
        """Refuse a start time in the past (the live server's 400)."""
        if start < self.store.now_ms():
            raise bad_request(MSG_PAST)

    def title(self, event_type: EventType | None, user_id: int | None, attendee: str) -> str:
        user = self.store.users.get(user_id) if user_id is not None else None
        host_name = (user.name if user is not None else None) or "Host"
        base = event_type.title if event_type is not None else "Meeting"
        return f"{base} between {host_name} and {attendee}"

    def pick_host(self, event_type: EventType, start: int, end: int, exclude: Sequence[int]) -> int:
        """Choose the organizer of a new booking, enforcing availability.

        A personal event type needs its owner free; a collective one needs every host free; a
        round-robin one takes the next free host in rotation.

        Raises:
            ApiError: 400 when nobody suitable is free.
        """
        hosts = event_type.host_ids
        if not hosts:
            raise ApiError(422, "No hosts found for this team event type.")
        if event_type.scheduling_type == "ROUND_ROBIN":
            n = len(hosts)
            for step in range(n):
                candidate = hosts[(event_type.rr_cursor + step) % n]
                if self.store.is_free(candidate, start, end, exclude):
                    event_type.rr_cursor = (event_type.rr_cursor + step + 1) % n
                    return candidate
            raise bad_request(MSG_TAKEN)
        if event_type.scheduling_type == "COLLECTIVE":
            if not all(self.store.is_free(h, start, end, exclude) for h in hosts):
                raise bad_request(MSG_HOSTS_TAKEN)
            return hosts[0]
        if not self.store.is_free(hosts[0], start, end, exclude):
            raise bad_request(MSG_TAKEN)
        return hosts[0]

    def resolve_location(
        self, event_type: EventType, location: Any, meeting_url: Any
    ) -> str | None:
        """Turn a create body's ``location`` object (or legacy string) into the stored string."""
        if isinstance(location, str):
            return location
        if isinstance(location, dict):
            kind = location.get("type")
            if kind == "attendeeAddress":
                return str(location.get("address"))
            if kind == "attendeeDefined":
                return str(location.get("location"))
            if kind == "attendeePhone":
                return str(location.get("phone"))
            if kind == "integration":
                return self.integration_location(str(location.get("integration")))
            if kind == "organizersDefaultApp":
                return "integrations:daily"
            if kind in ("link", "address", "phone") and event_type.location:
                return event_type.location
        if isinstance(meeting_url, str):
            return meeting_url
        return event_type.location

    @staticmethod
    def integration_location(name: str) -> str:
        """The stored location string of an ``integration`` location (``zoom`` -> ...)."""
        return _INTEGRATIONS.get(name, f"integrations:{name.replace('-', '_')}")

    # -- create --------------------------------------------------------------------------------

    def create(self, req: CreateRequest) -> tuple[list[Booking], list[str] | None]:
        """Create a booking (or a recurring series, or take a seat), enforcing the live rules.

        Returns:
            ``(bookings, seat_uids)``: the created (or joined) bookings in start order, and for a
            seated event type the caller's seat uid in each of them.

        Raises:
            ApiError: 400 past start, taken slot; 409 seats full.
        """
        self.check_start(req.start)
        event_type = req.event_type
        duration = (req.length or event_type.length) * _MINUTE
        starts = self._starts(req)
        if event_type.seats:
            return self._take_seats(req, starts, duration)
        organizers = [self.pick_host(event_type, s, s + duration, ()) for s in starts]
        if len(starts) > 1 and len(set(organizers)) > 1:
            organizers = [organizers[0]] * len(starts)
            for s in starts:
                if not self.store.is_free(organizers[0], s, s + duration):
                    raise bad_request(MSG_TAKEN)
        status = "ACCEPTED"
        if req.instant:
            status = "AWAITING_HOST"
        elif event_type.requires_confirmation:
            status = "PENDING"
        recurring = event_type.recurrence is not None and not req.instant
        series = new_seat_uid(self.store.rng) if recurring else None
        responses = _responses(req.attendee, req.guests, req.fields)
        created: list[Booking] = []
        for s, organizer in zip(starts, organizers, strict=True):
            attendees = [_attendee_row(req.attendee)]
            attendees.extend(
                Attendee(name="", email=email, time_zone=req.attendee["timeZone"])
                for email in req.guests or ()
            )
            booking = self._new_row(
                req,
                organizer,
                s,
                duration,
                status=status,
                location=req.location if req.location is not None else event_type.location,
                metadata=dict(req.metadata),
                responses=dict(responses),
                attendees=attendees,
                recurring_event_id=series,
                routing=req.routing,
            )
            created.append(booking)
        return created, None

    def _new_row(
        self, req: CreateRequest, organizer: int, start: int, duration: int, **fields: Any
    ) -> Booking:
        """Insert a new booking of a create request, hosted by ``organizer`` at ``start``."""
        return self.store.new_booking(
            title=self.title(req.event_type, organizer, req.attendee["name"]),
            description=_notes(req.fields),
            user_id=organizer,
            event_type_id=req.event_type.id,
            start=start,
            end=start + duration,
            **fields,
        )

    @staticmethod
    def _starts(req: CreateRequest) -> list[int]:
        """The start of each occurrence: one, or the recurrences of a recurring event type."""
        recurrence = req.event_type.recurrence
        if recurrence is None or req.instant:
            return [req.start]
        count = min(req.recurrence_count or recurrence.count, recurrence.count)
        step = (_DAY if recurrence.freq == "daily" else 7 * _DAY) * recurrence.interval
        if recurrence.freq == "monthly":
            step = 30 * _DAY * recurrence.interval
        return [req.start + i * step for i in range(count)]

    def _take_seats(
        self, req: CreateRequest, starts: list[int], duration: int
    ) -> tuple[list[Booking], list[str]]:
        """Join (or open) the seated booking at each start; the metadata goes on the seat."""
        event_type = req.event_type
        plan = [self._seat_target(event_type, req.attendee, s, duration) for s in starts]
        series_id = None
        if len(starts) > 1 or event_type.recurrence is not None:
            first = plan[0]
            series_id = (
                first.recurring_event_id if isinstance(first, Booking) else None
            ) or new_seat_uid(self.store.rng)
        status = "PENDING" if event_type.requires_confirmation else "ACCEPTED"
        now = self.store.now_ms()
        bookings: list[Booking] = []
        seat_uids: list[str] = []
        for s, target in zip(starts, plan, strict=True):
            seat = _attendee_row(req.attendee)
            seat.seat_uid = new_seat_uid(self.store.rng)
            seat.seat_responses = _responses(req.attendee, None, req.fields)
            seat.seat_metadata = {k: str(v) for k, v in req.metadata.items()}
            seat.created = now
            if isinstance(target, Booking):
                target.attendees = [*target.attendees, seat]
                self.store.touch(target, now=now)
                booking = target
            else:
                booking = self._new_row(
                    req,
                    target,
                    s,
                    duration,
                    status=status,
                    location=event_type.location,
                    responses=_responses(req.attendee, None, req.fields),
                    attendees=[seat],
                    seated=True,
                    recurring_event_id=series_id,
                )
            bookings.append(booking)
            seat_uids.append(seat.seat_uid)
        return bookings, seat_uids

    def _seat_target(
        self, event_type: EventType, attendee: dict[str, Any], start: int, duration: int
    ) -> Booking | int:
        """The seated booking to join at ``start``, or the host of a new one."""
        existing = self.store.seated_at(event_type.id, start)
        if existing is None:
            return self.pick_host(event_type, start, start + duration, ())
        if len(existing.attendees) >= (event_type.seats or 1):
            raise conflict(MSG_NO_SEATS)
        email = attendee.get("email")
        if email and any(a.email == email for a in existing.attendees):
            raise bad_request("Already signed up for this booking.")
        return existing

    # -- state changes ------------------------------------------------------------------------

    def _set_status(self, booking: Booking, status: str, now: int | None = None) -> None:
        self.store.unindex(booking)
        booking.status = status
        self.store.index(booking)
        self.store.touch(booking, now=now)

    def cancel(
        self,
        booking: Booking,
        *,
        reason: str | None,
        by: str | None,
        seat_uid: str | None = None,
        subsequent: bool = False,
    ) -> list[Booking]:
        """Cancel a booking, one seat of it, or it and the later recurrences.

        Returns:
            The bookings whose state changed (the series for ``subsequent``).

        Raises:
            ApiError: 400 when already cancelled or the seat is unknown.
        """
        if booking.status in CANCELLED_LIKE:
            raise bad_request(
                f"Can't cancel booking with uid={booking.uid} because it has been cancelled "
                "already. Please provide uid of a booking that is not cancelled."
            )
        if seat_uid is not None:
            if not booking.seated:
                raise bad_request(
                    f"Booking with uid={booking.uid} is not a seated booking, so seatUid can't "
                    "be used to cancel it."
                )
            remaining = [a for a in booking.attendees if a.seat_uid != seat_uid]
            if len(remaining) == len(booking.attendees):
                raise bad_request(f"Seat with uid={seat_uid} not found in booking {booking.uid}.")
            booking.attendees = remaining
            if not remaining:
                booking.cancellation_reason = reason
                booking.cancelled_by = by
                self._set_status(booking, "CANCELLED")
            else:
                self.store.touch(booking)
            return [booking]
        targets = [booking]
        if subsequent and booking.recurring_event_id is not None:
            targets = [
                b
                for b in self.store.recurrences(booking.recurring_event_id)
                if b.start >= booking.start and b.status not in CANCELLED_LIKE
            ]
        now = self.store.now_ms()
        for target in targets:
            target.cancellation_reason = reason
            target.cancelled_by = by
            self._set_status(target, "CANCELLED", now)
        return targets

    def cancel_series(
        self, recurring_uid: str, *, reason: str | None, by: str | None
    ) -> list[Booking]:
        """Cancel every still-active recurrence of a series (cancel by the recurring uid)."""
        now = self.store.now_ms()
        changed = []
        for booking in self.store.recurrences(recurring_uid):
            if booking.status in CANCELLED_LIKE:
                continue
            booking.cancellation_reason = reason
            booking.cancelled_by = by
            self._set_status(booking, "CANCELLED", now)
            changed.append(booking)
        return changed

    def reschedule(
        self,
        booking: Booking,
        start: int,
        *,
        reason: str | None,
        by: str | None,
        seat_uid: str | None = None,
    ) -> tuple[Booking, str | None]:
        """Move a booking (or one seat) to a new start: a new booking replaces the old one.

        Returns:
            ``(new_booking, seat_uid)``: the seat uid when a seat was moved.

        Raises:
            ApiError: 400 cancelled/rescheduled already, past start, taken slot; 409 seats full.
        """
        _refuse_cancelled_reschedule(booking)
        self.check_start(start)
        event_type = self.store.event_types.get(booking.event_type_id or -1)
        duration = booking.end - booking.start
        if seat_uid is not None:
            return self._move_seat(booking, event_type, start, duration, seat_uid)
        if booking.user_id is not None and not self.store.is_free(
            booking.user_id, start, start + duration, (booking.id,)
        ):
            raise bad_request(MSG_TAKEN)
        host = self.store.users.get(booking.user_id) if booking.user_id is not None else None
        status = "ACCEPTED"
        if (
            event_type is not None
            and event_type.requires_confirmation
            and (host is None or by != host.email)
        ):
            status = "PENDING"
        responses = dict(booking.responses)
        if reason is not None:
            responses["rescheduledReason"] = reason
        else:
            responses.pop("rescheduledReason", None)
        new = self.store.new_booking(
            title=booking.title,
            description=booking.description,
            user_id=booking.user_id,
            event_type_id=booking.event_type_id,
            status=status,
            start=start,
            end=start + duration,
            location=booking.location,
            metadata=dict(booking.metadata),
            responses=responses,
            attendees=[_copy_attendee(a) for a in booking.attendees],
            seated=booking.seated,
            recurring_event_id=booking.recurring_event_id,
            from_reschedule=booking.uid,
            rescheduled_by=by,
            ical_uid=booking.ical_uid,
        )
        booking.rescheduled = True
        booking.rescheduled_to = new.uid
        booking.rescheduled_by = by
        self._set_status(booking, "CANCELLED", new.created)
        return new, None

    def _move_seat(
        self,
        booking: Booking,
        event_type: EventType | None,
        start: int,
        duration: int,
        seat_uid: str,
    ) -> tuple[Booking, str]:
        if not booking.seated or event_type is None:
            raise bad_request(f"Booking with uid={booking.uid} is not a seated booking.")
        seat = next((a for a in booking.attendees if a.seat_uid == seat_uid), None)
        if seat is None:
            raise bad_request(f"Seat with uid={seat_uid} not found in booking {booking.uid}.")
        target = self.store.seated_at(event_type.id, start)
        if target is booking:
            return booking, seat_uid
        if target is not None and len(target.attendees) >= (event_type.seats or 1):
            raise conflict(MSG_NO_SEATS)
        if target is None:
            target = self.store.new_booking(
                title=booking.title,
                description=booking.description,
                user_id=self.pick_host(event_type, start, start + duration, ()),
                event_type_id=event_type.id,
                status=booking.status,
                start=start,
                end=start + duration,
                location=booking.location,
                responses=dict(booking.responses),
                attendees=[],
                seated=True,
                recurring_event_id=booking.recurring_event_id,
                from_reschedule=booking.uid,
            )
        now = self.store.now_ms()
        booking.attendees = [a for a in booking.attendees if a is not seat]
        if booking.attendees:
            self.store.touch(booking, now=now)
        else:
            self._set_status(booking, "CANCELLED", now)
        target.attendees = [*target.attendees, seat]
        self.store.touch(target, now=now)
        return target, seat_uid

    def _pending_targets(self, booking: Booking, verb: str) -> list[Booking]:
        """The booking, or every pending recurrence of its series; 400 unless it is pending."""
        if booking.status != "PENDING":
            raise bad_request(
                f"Booking with uid={booking.uid} is not pending, so it can't be {verb}."
            )
        if booking.recurring_event_id is None:
            return [booking]
        return [
            b for b in self.store.recurrences(booking.recurring_event_id) if b.status == "PENDING"
        ]

    def confirm(self, booking: Booking) -> list[Booking]:
        """Accept a pending booking (every pending recurrence of its series).

        Raises:
            ApiError: 400 when the booking is not pending.
        """
        targets = self._pending_targets(booking, "confirmed")
        now = self.store.now_ms()
        for target in targets:
            self._set_status(target, "ACCEPTED", now)
        return targets

    def decline(self, booking: Booking, reason: str | None) -> list[Booking]:
        """Reject a pending booking; the reason is stored as ``rejectionReason`` (not sent).

        Raises:
            ApiError: 400 when the booking is not pending.
        """
        targets = self._pending_targets(booking, "declined")
        now = self.store.now_ms()
        for target in targets:
            target.rejection_reason = reason
            self._set_status(target, "REJECTED", now)
        return targets

    def mark_absent(
        self, booking: Booking, host: bool | None, attendees: Sequence[dict[str, Any]]
    ) -> Booking:
        """Set ``absentHost`` and attendee ``absent`` flags.

        Raises:
            ApiError: 400 for an email that is not an attendee of the booking.
        """
        by_email = {a.email: a for a in booking.attendees}
        for item in attendees:
            if item["email"] not in by_email:
                raise bad_request(
                    f"Attendee with email {item['email']} is not an attendee of booking "
                    f"with uid={booking.uid}."
                )
        if host is not None:
            booking.no_show_host = host
        for item in attendees:
            by_email[item["email"]].no_show = bool(item["absent"])
        self.store.touch(booking)
        return booking

    def reassign(self, booking: Booking, user_id: int | None, reason: str | None) -> User:
        """Give a round-robin booking to another host (``user_id``, or the next free one).

        Raises:
            ApiError: 400 not round robin, cancelled, host busy or not a host; 404 unknown user.
        """
        event_type = self.store.event_types.get(booking.event_type_id or -1)
        if event_type is None or event_type.scheduling_type != "ROUND_ROBIN":
            raise bad_request(
                f"Booking with uid={booking.uid} is not a round robin booking. Currently only "
                "round robin bookings can be reassigned."
            )
        _refuse_cancelled(booking)
        if user_id is not None:
            user = self.store.users.get(user_id)
            if user is None:
                raise not_found(f"User with id={user_id} not found")
            if user_id not in event_type.host_ids:
                raise bad_request(
                    f"User with id={user_id} is not a host of event type with id={event_type.id}."
                )
            if user_id != booking.user_id and not self.store.is_free(
                user_id, booking.start, booking.end, (booking.id,)
            ):
                raise bad_request(MSG_TAKEN)
            new_host = user_id
        else:
            hosts = event_type.host_ids
            current = hosts.index(booking.user_id) if booking.user_id in hosts else -1
            chosen = None
            for step in range(1, len(hosts) + 1):
                candidate = hosts[(current + step) % len(hosts)]
                if candidate != booking.user_id and self.store.is_free(
                    candidate, booking.start, booking.end, (booking.id,)
                ):
                    chosen = candidate
                    break
            if chosen is None:
                raise bad_request("No available hosts found to reassign the booking to.")
            new_host = chosen
        self.store.unindex(booking)
        booking.user_id = new_host
        booking.reassign_reason = reason
        first = booking.attendees[0].name if booking.attendees else ""
        booking.title = self.title(event_type, new_host, first)
        self.store.index(booking)
        self.store.touch(booking)
        return self.store.users[new_host]

    def update_location(self, booking: Booking, location: str) -> Booking:
        """Replace the stored location string."""
        _refuse_cancelled(booking)
        booking.location = location
        self.store.touch(booking)
        return booking

    def add_guests(self, booking: Booking, guests: Sequence[dict[str, Any]]) -> Booking:
        """Add guests as attendees and to ``responses.guests`` (at most 30 per booking).

        Raises:
            ApiError: 400 for a cancelled or seated booking, or more than 30 guests in total.
        """
        _refuse_cancelled(booking)
        if booking.seated:
            raise bad_request("Guests can't be added to a seated booking.")
        existing = {a.email for a in booking.attendees}
        new = [g for g in guests if g["email"] not in existing]
        current = list(booking.responses.get("guests") or [])
        if len(current) + len(new) > 30:
            raise bad_request(
                f"Booking with uid={booking.uid} would have {len(current) + len(new)} guests; "
                "a booking can have at most 30 guests."
            )
        seen: set[str] = set()
        rows = list(booking.attendees)
        for guest in new:
            if guest["email"] in seen:
                continue
            seen.add(guest["email"])
            rows.append(
                Attendee(
                    name=guest.get("name") or "",
                    email=guest["email"],
                    time_zone=guest.get("timeZone")
                    or (booking.attendees[0].time_zone if booking.attendees else "UTC"),
                    locale=guest.get("language") or "en",
                    phone=guest.get("phoneNumber"),
                )
            )
            current.append(guest["email"])
        booking.attendees = rows
        booking.responses = {**booking.responses, "guests": current}
        self.store.touch(booking)
        return booking

    # -- attendees -------------------------------------------------------------------------------

    def add_attendee(self, booking: Booking, person: dict[str, Any]) -> Attendee:
        """Add one attendee (a new row with its own id) to a booking that is not seated.

        Raises:
            ApiError: 400 for a seated, cancelled or rejected booking.
        """
        if booking.seated:
            raise bad_request(
                f"Booking with uid={booking.uid} is a seated booking: attendees can't be added "
                "to it; book a seat instead."
            )
        _refuse_cancelled(booking)
        attendee = _attendee_row(person)
        booking.attendees = [*booking.attendees, attendee]
        self.store.touch(booking)
        return attendee

    def remove_attendee(self, booking: Booking, attendee_id: int) -> Attendee:
        """Remove an attendee by id; the primary attendee (the booker) stays.

        Raises:
            ApiError: 404 unknown attendee; 400 the primary attendee, or a cancelled booking.
        """
        attendee = self.store.attendee(booking, attendee_id)
        if booking.attendees[0] is attendee:
            raise bad_request(MSG_PRIMARY.format(uid=booking.uid))
        _refuse_cancelled(booking)
        booking.attendees = [a for a in booking.attendees if a is not attendee]
        guests = booking.responses.get("guests")
        if guests and attendee.email in guests:
            booking.responses = {
                **booking.responses,
                "guests": [g for g in guests if g != attendee.email],
            }
        self.store.touch(booking)
        return attendee

    # -- request reschedule, report, block --------------------------------------------------------

    def request_reschedule(self, booking: Booking, reason: str | None, by: str | None) -> Booking:
        """Cancel a booking so that its attendee picks a new time (``rescheduled`` is set).

        Raises:
            ApiError: 400 when the booking is already cancelled or rejected.
        """
        if booking.status in CANCELLED_LIKE:
            raise bad_request(
                f"Can't request reschedule of booking with uid={booking.uid} because it has "
                "been cancelled already."
            )
        booking.rescheduled = True
        booking.cancellation_reason = reason
        booking.cancelled_by = by
        self._set_status(booking, "CANCELLED")
        return booking

    def report(
        self, org_id: int, booking: Booking, *, reason: str, kind: str, by: str | None
    ) -> list[Booking]:
        """Record a report on a booking's booker and cancel their matching upcoming bookings.

        Returns:
            The bookings cancelled (the reported one first when it was still active).
        """
        self.store.reports.append(
            {"orgId": org_id, "bookingUid": booking.uid, "reason": reason, "reportType": kind}
        )
        return self._cancel_matching(org_id, booking, kind, by)

    def block(
        self, org_id: int, booking: Booking, *, kind: str, by: str | None
    ) -> tuple[str, list[Booking]]:
        """Add a booking's booker (email or domain) to the org's blocklist.

        Returns:
            ``(blocked_value, cancelled)``: the email or domain, and the bookings cancelled
            (the booking and the booker's other upcoming bookings in the organization).
        """
        value = _booker_value(booking, kind)
        self.store.blocklist.add((org_id, kind, value))
        return value, self._cancel_matching(org_id, booking, kind, by)

    def _cancel_matching(
        self, org_id: int, booking: Booking, kind: str, by: str | None
    ) -> list[Booking]:
        value = _booker_value(booking, kind)
        in_org = self.store.org_predicate(org_id)
        now = self.store.now_ms()
        targets = [booking] if booking.status not in CANCELLED_LIKE else []
        targets.extend(
            b
            for b in self.store.bookings.values()
            if b is not booking
            and b.status not in CANCELLED_LIKE
            and b.end >= now
            and b.attendees
            and _booker_value(b, kind) == value
            and in_org(b)
        )
        for target in targets:
            target.cancelled_by = by
            self._set_status(target, "CANCELLED", now)
        return targets


def _attendee_row(attendee: dict[str, Any]) -> Attendee:
    return Attendee(
        name=attendee["name"],
        email=attendee.get("email") or "",
        time_zone=attendee["timeZone"],
        locale=attendee.get("language") or "en",
        phone=attendee.get("phoneNumber"),
    )


def _copy_attendee(a: Attendee) -> Attendee:
    return Attendee(
        name=a.name,
        email=a.email,
        time_zone=a.time_zone,
        locale=a.locale,
        phone=a.phone,
        no_show=False,
        seat_uid=a.seat_uid,
        seat_responses=a.seat_responses,
        seat_metadata=a.seat_metadata,
        created=a.created,
    )


def _responses(
    attendee: dict[str, Any], guests: Sequence[str] | None, fields: dict[str, Any] | None
) -> dict[str, Any]:
    responses: dict[str, Any] = {"name": attendee["name"], "email": attendee.get("email") or ""}
    if attendee.get("phoneNumber"):
        responses["attendeePhoneNumber"] = attendee["phoneNumber"]
    if guests is not None:
        responses["guests"] = list(guests)
    for key, value in (fields or {}).items():
        responses.setdefault(key, value)
    return responses


def _notes(fields: dict[str, Any] | None) -> str | None:
    notes = (fields or {}).get("notes")
    return notes if isinstance(notes, str) else None


def _refuse_cancelled(booking: Booking) -> None:
    if booking.status in CANCELLED_LIKE:
        raise bad_request(f"Booking with uid={booking.uid} is cancelled or rejected.")


def _refuse_cancelled_reschedule(booking: Booking) -> None:
    if booking.status not in CANCELLED_LIKE:
        return
    if booking.rescheduled and booking.rescheduled_to:
        moved = booking.rescheduled_to
        raise bad_request(
            f"Can't reschedule booking with uid={booking.uid} because it has been "
            f"cancelled and rescheduled already to booking with uid={moved}. You probably "
            f"want to reschedule {moved} instead by passing it within the request URL."
        )
    raise bad_request(
        f"Can't reschedule booking with uid={booking.uid} because it has been cancelled. "
        "Please provide uid of a booking that is not cancelled."
    )


def _booker_value(booking: Booking, kind: str) -> str:
    """The booker's email (``EMAIL``) or its domain (``DOMAIN``), lower-cased."""
    email = (booking.attendees[0].email if booking.attendees else "").lower()
    return email.rsplit("@", 1)[-1] if kind == "DOMAIN" else email
