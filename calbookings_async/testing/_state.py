"""The emulator's in-memory database: rows, indexes, serialisation and the bookings business rules.

:class:`Store` owns every row (users, teams, event types, bookings), keeps the indexes that make
the hot paths cheap (a sorted busy-interval list per host for conflict checks, seated slots, the
recurring series, a cache of filtered and sorted listings keyed by query and invalidated by a
state version counter) and applies every state change the API can make: create, reschedule,
cancel, confirm, decline, mark absent, reassign, location and guests. Rules break with
:class:`~calbookings_async.testing._envelope.ApiError`, carrying the live server's messages.
Serialisation follows ``output.service.ts`` (API-NOTES §2.2-§4) and caches each booking's JSON
shape until the booking changes. No HTTP here, and nothing from the rest of ``calbookings_async``.
"""

from __future__ import annotations

import random
from bisect import bisect_left, insort
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ._envelope import ApiError, bad_request, conflict, not_found
from ._records import (
    ACTIVE_STATUSES,
    Attendee,
    Booking,
    EventType,
    Organization,
    Team,
    User,
)
from ._wire import format_ms, new_seat_uid, new_uid

__all__ = ["MSG_PAST", "MSG_TAKEN", "ListQuery", "Store"]

MSG_TAKEN = "User either already has booking at this time or is not available"
MSG_HOSTS_TAKEN = "One of the hosts either already has booking at this time or is not available"
MSG_PAST = "Attempting to book a meeting in the past."
MSG_NO_SEATS = "No more seats left at this seated booking."

_MINUTE = 60_000
_DAY = 86_400_000
_CANCELLED_LIKE = frozenset({"CANCELLED", "REJECTED"})
_UNKNOWN_HOST: dict[str, Any] = {
    "id": "unknown",
    "name": "unknown",
    "email": "unknown",
    "displayEmail": "unknown",
    "username": "unknown",
}
_INTEGRATIONS = {
    "cal-video": "integrations:daily",
    "google-meet": "integrations:google:meet",
    "zoom": "integrations:zoom",
    "office365-video": "integrations:office365_video",
    "jitsi": "integrations:jitsi",
    "whereby-video": "integrations:whereby_video",
}


def not_found_uid(uid: str) -> ApiError:
    """The live server's 404 for an unknown booking uid."""
    return not_found(f"Booking with uid={uid} was not found in the database")


@dataclass(frozen=True, slots=True)
class ListQuery:
    """A normalised bookings listing query, minus ``take``/``skip`` (the cache key).

    Attributes:
        statuses: The requested status buckets (empty: every booking).
        sort: ``(field, "asc"|"desc")`` with field in start/end/created/updated, or None.
        scope_user: Restrict to bookings this user hosts or attends (a user-bound credential).
        org_id, team_id, host_id, user_ids: The org listings' scopes (#18, #19, #21).
    """

    statuses: tuple[str, ...] = ()
    attendee_email: str | None = None
    attendee_name: str | None = None
    booking_uid: str | None = None
    event_type_ids: tuple[int, ...] | None = None
    team_ids: tuple[int, ...] | None = None
    after_start: int | None = None
    before_end: int | None = None
    after_created: int | None = None
    before_created: int | None = None
    after_updated: int | None = None
    before_updated: int | None = None
    sort: tuple[str, str] | None = None
    scope_user: int | None = None
    org_id: int | None = None
    team_id: int | None = None
    host_id: int | None = None
    user_ids: tuple[int, ...] | None = None


class Store:
    """Every row of the emulated Cal.com database and the rules that change them.

    Args:
        rng: The seeded generator for uids and choices (reproducible runs).
        wall_clock: Returns epoch seconds; decides past/upcoming and creation times.
    """

    def __init__(self, rng: random.Random, wall_clock: Callable[[], float]) -> None:
        self.rng = rng
        self.wall_clock = wall_clock
        self.orgs: dict[int, Organization] = {}
        self.users: dict[int, User] = {}
        self.users_by_username: dict[str, User] = {}
        self.teams: dict[int, Team] = {}
        self.teams_by_slug: dict[str, Team] = {}
        self.event_types: dict[int, EventType] = {}
        self.bookings: dict[str, Booking] = {}
        self.by_id: dict[int, Booking] = {}
        self.series: dict[str, list[Booking]] = {}
        self.version = 0
        self.next_user_id = 1
        self.next_team_id = 1
        self.next_event_type_id = 1
        self.next_booking_id = 1
        self._busy: dict[int, list[tuple[int, int, int]]] = {}
        self._max_len = 60 * _MINUTE
        self._seated: dict[tuple[int, int], Booking] = {}
        self._hosts: dict[int | None, dict[str, Any]] = {}
        self._list_cache: dict[ListQuery, tuple[int, int, list[Booking]]] = {}

    # -- time and bookkeeping ------------------------------------------------------------------

    def now_ms(self) -> int:
        """Milliseconds since the epoch by the emulator's wall clock."""
        return int(self.wall_clock() * 1000)

    def touch(self, booking: Booking, *, now: int | None = None) -> None:
        """Record that a booking changed: new ``updatedAt``, cache dropped, state version bumped."""
        booking.updated = self.now_ms() if now is None else now
        booking.cache = None
        self.version += 1

    def invalidate_users(self) -> None:
        """Drop every cached serialisation after a user or event type changed."""
        self._hosts.clear()
        for booking in self.bookings.values():
            booking.cache = None
        self.version += 1

    # -- rows ----------------------------------------------------------------------------------

    def add_org(self, org: Organization) -> Organization:
        """Insert an organization."""
        self.orgs[org.id] = org
        return org

    def add_user(self, user: User) -> User:
        """Insert (or replace) a user and keep the id counter ahead of it."""
        self.users[user.id] = user
        if user.username:
            self.users_by_username[user.username] = user
        self.next_user_id = max(self.next_user_id, user.id + 1)
        self._hosts.pop(user.id, None)
        return user

    def add_team(self, team: Team) -> Team:
        """Insert a team."""
        self.teams[team.id] = team
        self.teams_by_slug[team.slug] = team
        self.next_team_id = max(self.next_team_id, team.id + 1)
        return team

    def add_event_type(self, event_type: EventType) -> EventType:
        """Insert an event type; a personal one is hosted by its owner."""
        if not event_type.host_ids and event_type.owner_id is not None:
            event_type.host_ids = [event_type.owner_id]
        self.event_types[event_type.id] = event_type
        self.next_event_type_id = max(self.next_event_type_id, event_type.id + 1)
        return event_type

    def insert_booking(self, booking: Booking) -> Booking:
        """Insert a fully formed booking row and index it (no rules are checked)."""
        self.bookings[booking.uid] = booking
        self.by_id[booking.id] = booking
        self.next_booking_id = max(self.next_booking_id, booking.id + 1)
        if booking.recurring_event_id is not None:
            self.series.setdefault(booking.recurring_event_id, []).append(booking)
        self._index(booking)
        self.version += 1
        return booking

    def new_booking_id(self) -> int:
        """Allocate the next autoincrement booking id."""
        booking_id = self.next_booking_id
        self.next_booking_id += 1
        return booking_id

    def new_uid(self) -> str:
        """Allocate a fresh booking uid (never one in use)."""
        uid = new_uid(self.rng)
        while uid in self.bookings or uid in self.series:
            uid = new_uid(self.rng)
        return uid

    # -- indexes -------------------------------------------------------------------------------

    def _index(self, booking: Booking) -> None:
        if booking.status not in ACTIVE_STATUSES:
            return
        if booking.user_id is not None:
            insort(
                self._busy.setdefault(booking.user_id, []),
                (booking.start, booking.end, booking.id),
            )
            self._max_len = max(self._max_len, booking.end - booking.start)
        if booking.seated and booking.event_type_id is not None:
            self._seated[(booking.event_type_id, booking.start)] = booking

    def _unindex(self, booking: Booking) -> None:
        if booking.user_id is not None:
            busy = self._busy.get(booking.user_id)
            if busy:
                key = (booking.start, booking.end, booking.id)
                i = bisect_left(busy, key)
                if i < len(busy) and busy[i] == key:
                    del busy[i]
        if booking.seated and booking.event_type_id is not None:
            slot = (booking.event_type_id, booking.start)
            if self._seated.get(slot) is booking:
                del self._seated[slot]

    def is_free(self, user_id: int, start: int, end: int, exclude: Iterable[int] = ()) -> bool:
        """Whether a host has no active booking overlapping ``[start, end)``.

        Args:
            user_id: The host.
            start: Interval start, epoch ms.
            end: Interval end, epoch ms.
            exclude: Booking ids to ignore (the booking being rescheduled).
        """
        busy = self._busy.get(user_id)
        if not busy:
            return True
        skip = set(exclude)
        i = bisect_left(busy, (end,))
        lowest = start - self._max_len
        while i > 0:
            i -= 1
            b_start, b_end, b_id = busy[i]
            if b_start < lowest:
                break
            if b_end > start and b_id not in skip:
                return False
        return True

    # -- serialisation -------------------------------------------------------------------------

    def host(self, user_id: int | None) -> dict[str, Any]:
        """The ``BookingHost`` of a user, or the live server's ``"unknown"`` host."""
        cached = self._hosts.get(user_id)
        if cached is not None:
            return cached
        user = self.users.get(user_id) if user_id is not None else None
        out: dict[str, Any]
        if user is None:
            out = dict(_UNKNOWN_HOST)
        else:
            out = {
                "id": user.id,
                "name": user.name,
                "email": user.email,
                "displayEmail": user.email,
                "username": user.username or "unknown",
                "timeZone": user.time_zone,
            }
        self._hosts[user_id] = out
        return out

    def output(self, booking: Booking) -> dict[str, Any]:
        """The JSON shape the 2024-08-13 API sends for a booking (cached until it changes).

        The variant follows the booking: seated bookings get ``SeatedAttendee`` items and no
        top-level ``bookingFieldsResponses``/``guests``; recurring ones add ``recurringBookingUid``.
        The returned dict is shared: never mutate it.
        """
        cached = booking.cache
        if cached is not None:
            return cached
        out = self._serialise(booking)
        booking.cache = out
        return out

    def _serialise(self, b: Booking) -> dict[str, Any]:
        responses = b.responses
        event_type = self.event_types.get(b.event_type_id) if b.event_type_id is not None else None
        out: dict[str, Any] = {
            "id": b.id,
            "uid": b.uid,
            "title": b.title,
            "description": b.description,
            "hosts": [self.host(b.user_id)],
            "status": b.status.lower(),
            "cancellationReason": b.cancellation_reason or "",
            "cancelledByEmail": b.cancelled_by or "",
        }
        reason = responses.get("rescheduledReason")
        if reason is not None:
            out["reschedulingReason"] = reason
        if b.rescheduled_by is not None:
            out["rescheduledByEmail"] = b.rescheduled_by
        if b.from_reschedule is not None:
            out["rescheduledFromUid"] = b.from_reschedule
        if b.rescheduled_to is not None:
            out["rescheduledToUid"] = b.rescheduled_to
        out["start"] = format_ms(b.start)
        out["end"] = format_ms(b.end)
        out["duration"] = (b.end - b.start) // _MINUTE
        out["eventTypeId"] = b.event_type_id
        # A deleted event type nulls the relation (the live server then sends null).
        out["eventType"] = (
            {"id": event_type.id, "slug": event_type.slug} if event_type is not None else None
        )
        out["meetingUrl"] = b.location
        out["location"] = b.location
        out["absentHost"] = b.no_show_host
        out["createdAt"] = format_ms(b.created)
        out["updatedAt"] = format_ms(b.updated) if b.updated is not None else None
        out["metadata"] = dict(b.metadata)
        out["rating"] = b.rating
        out["icsUid"] = b.ical_uid
        if b.seated:
            out["attendees"] = [_seated_attendee(a) for a in b.attendees]
        else:
            out["attendees"] = [_attendee(a) for a in b.attendees]
            guests = responses.get("guests")
            if guests is not None:
                out["guests"] = list(guests)
            fields = dict(responses)
            fields["displayEmail"] = responses.get("email", "")
            if guests is not None:
                fields["displayGuests"] = list(guests)
            out["bookingFieldsResponses"] = fields
        if b.recurring_event_id is not None:
            out["recurringBookingUid"] = b.recurring_event_id
        return out

    def visible_output(self, booking: Booking, *, privileged: bool) -> dict[str, Any]:
        """The output as a given caller sees it: hidden seated attendees become ``[]``."""
        out = self.output(booking)
        if booking.seated and not privileged:
            event_type = self.event_types.get(booking.event_type_id or -1)
            if event_type is not None and not event_type.seats_show_attendees:
                return {**out, "attendees": []}
        return out

    def legacy_output(self, b: Booking) -> dict[str, Any]:
        """The shape of the legacy 2024-04-15 controller: Prisma row names, upper-case status."""
        user = self.users.get(b.user_id) if b.user_id is not None else None
        event_type = self.event_types.get(b.event_type_id) if b.event_type_id is not None else None
        return {
            "id": b.id,
            "uid": b.uid,
            "userId": b.user_id,
            "eventTypeId": b.event_type_id,
            "title": b.title,
            "description": b.description,
            "customInputs": {},
            "responses": dict(b.responses),
            "startTime": format_ms(b.start),
            "endTime": format_ms(b.end),
            "attendees": [
                {
                    "id": b.id * 100 + i,
                    "email": a.email,
                    "name": a.name,
                    "timeZone": a.time_zone,
                    "locale": a.locale,
                    "bookingId": b.id,
                    "noShow": a.no_show,
                }
                for i, a in enumerate(b.attendees)
            ],
            "location": b.location,
            "createdAt": format_ms(b.created),
            "updatedAt": format_ms(b.updated) if b.updated is not None else None,
            "status": b.status,
            "paid": False,
            "cancellationReason": b.cancellation_reason,
            "rejectionReason": b.rejection_reason,
            "rescheduled": b.rescheduled,
            "fromReschedule": b.from_reschedule,
            "recurringEventId": b.recurring_event_id,
            "metadata": dict(b.metadata),
            "iCalUID": b.ical_uid,
            "rating": b.rating,
            "noShowHost": b.no_show_host,
            "user": (
                None
                if user is None
                else {
                    "id": user.id,
                    "name": user.name,
                    "email": user.email,
                    "username": user.username,
                    "timeZone": user.time_zone,
                }
            ),
            "eventType": (
                None
                if event_type is None
                else {"id": event_type.id, "slug": event_type.slug, "title": event_type.title}
            ),
        }

    # -- listing -------------------------------------------------------------------------------

    def query(self, q: ListQuery) -> list[Booking]:
        """Every booking matching a listing query, sorted; cached per query and state version.

        Status buckets depend on the clock, so such results are also keyed by the wall-clock
        second; a walk over 100,000 bookings filters and sorts once and then only slices.
        """
        time_bucket = self.now_ms() // 1000 if _time_dependent(q) else 0
        hit = self._list_cache.get(q)
        if hit is not None and hit[0] == self.version and hit[1] == time_bucket:
            return hit[2]
        items = self._matching(q)
        if len(self._list_cache) >= 64:
            self._list_cache.clear()
        self._list_cache[q] = (self.version, time_bucket, items)
        return items

    def _matching(self, q: ListQuery) -> list[Booking]:
        now = self.now_ms()
        preds: list[Callable[[Booking], bool]] = []
        if q.statuses:
            statuses = set(q.statuses)
            preds.append(lambda b: _status_match(b, statuses, now))
        if q.attendee_email is not None:
            email = q.attendee_email
            preds.append(lambda b: any(a.email == email for a in b.attendees))
        if q.attendee_name is not None:
            name = q.attendee_name
            preds.append(lambda b: any(a.name == name for a in b.attendees))
        if q.booking_uid is not None:
            uid = q.booking_uid
            preds.append(lambda b: b.uid == uid)
        if q.event_type_ids is not None:
            et_ids = set(q.event_type_ids)
            preds.append(lambda b: b.event_type_id in et_ids)
        if q.team_ids is not None:
            team_et = {e.id for e in self.event_types.values() if e.team_id in set(q.team_ids)}
            preds.append(lambda b: b.event_type_id in team_et)
        if q.team_id is not None:
            own_et = {e.id for e in self.event_types.values() if e.team_id == q.team_id}
            preds.append(lambda b: b.event_type_id in own_et)
        if q.after_start is not None:
            after_start = q.after_start
            preds.append(lambda b: b.start >= after_start)
        if q.before_end is not None:
            before_end = q.before_end
            preds.append(lambda b: b.end <= before_end)
        if q.after_created is not None:
            after_created = q.after_created
            preds.append(lambda b: b.created >= after_created)
        if q.before_created is not None:
            before_created = q.before_created
            preds.append(lambda b: b.created <= before_created)
        if q.after_updated is not None:
            after_updated = q.after_updated
            preds.append(lambda b: b.updated is not None and b.updated >= after_updated)
        if q.before_updated is not None:
            before_updated = q.before_updated
            preds.append(lambda b: b.updated is not None and b.updated <= before_updated)
        if q.host_id is not None:
            host_id = q.host_id
            preds.append(lambda b: b.user_id == host_id)
        if q.user_ids is not None:
            user_ids = set(q.user_ids)
            hosted = {e.id for e in self.event_types.values() if user_ids & set(e.host_ids)}
            preds.append(lambda b: b.user_id in user_ids or b.event_type_id in hosted)
        if q.org_id is not None:
            org_users = {u.id for u in self.users.values() if u.org_id == q.org_id}
            org_teams = {t.id for t in self.teams.values() if t.org_id == q.org_id}
            org_et = {e.id for e in self.event_types.values() if e.team_id in org_teams}
            preds.append(lambda b: b.user_id in org_users or b.event_type_id in org_et)
        if q.scope_user is not None:
            preds.append(self._scope_pred(q.scope_user))
        if preds:
            items = [b for b in self.bookings.values() if all(p(b) for p in preds)]
        else:
            items = list(self.bookings.values())
        field, direction = q.sort or ("start", "asc")
        reverse = direction == "desc"
        if field == "updated":
            items.sort(key=lambda b: (b.updated is None, b.updated or 0, b.id), reverse=reverse)
        else:
            attr = {"start": "start", "end": "end", "created": "created"}[field]
            items.sort(key=lambda b: (getattr(b, attr), b.id), reverse=reverse)
        return items

    def _scope_pred(self, user_id: int) -> Callable[[Booking], bool]:
        user = self.users.get(user_id)
        email = user.email if user is not None else None
        hosted = {e.id for e in self.event_types.values() if user_id in e.host_ids}

        def pred(b: Booking) -> bool:
            return (
                b.user_id == user_id
                or b.event_type_id in hosted
                or any(a.email == email for a in b.attendees)
            )

        return pred

    # -- rules shared by create and reschedule --------------------------------------------------

    def check_start(self, start: int) -> None:
        """Refuse a start time in the past (the live server's 400)."""
        if start < self.now_ms():
            raise bad_request(MSG_PAST)

    def _title(self, event_type: EventType | None, user_id: int | None, attendee: str) -> str:
        user = self.users.get(user_id) if user_id is not None else None
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
                if self.is_free(candidate, start, end, exclude):
                    event_type.rr_cursor = (event_type.rr_cursor + step + 1) % n
                    return candidate
            raise bad_request(MSG_TAKEN)
        if event_type.scheduling_type == "COLLECTIVE":
            if not all(self.is_free(h, start, end, exclude) for h in hosts):
                raise bad_request(MSG_HOSTS_TAKEN)
            return hosts[0]
        if not self.is_free(hosts[0], start, end, exclude):
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
                name = str(location.get("integration"))
                return _INTEGRATIONS.get(name, f"integrations:{name.replace('-', '_')}")
            if kind == "organizersDefaultApp":
                return "integrations:daily"
            if kind in ("link", "address", "phone") and event_type.location:
                return event_type.location
        if isinstance(meeting_url, str):
            return meeting_url
        return event_type.location

    # -- create --------------------------------------------------------------------------------

    def create(
        self,
        event_type: EventType,
        start: int,
        attendee: dict[str, Any],
        *,
        length: int | None = None,
        guests: Sequence[str] | None = None,
        fields: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        location: str | None = None,
        recurrence_count: int | None = None,
        instant: bool = False,
    ) -> tuple[list[Booking], list[str] | None]:
        """Create a booking (or a recurring series, or take a seat), enforcing the live rules.

        Args:
            event_type: What is booked; its kind decides regular, recurring, seated or team.
            start: Start, epoch ms (already validated as UTC).
            attendee: ``name``, ``email``/``phoneNumber``, ``timeZone``, ``language``.
            length: Chosen duration for multi-length event types.
            guests: Guest emails (added as attendees and to ``responses.guests``).
            fields: Custom ``bookingFieldsResponses``.
            metadata: User metadata.
            location: The resolved location string.
            recurrence_count: Occurrences for a recurring event type (default: its count).
            instant: Create an instant meeting (team event types only; ``AWAITING_HOST``).

        Returns:
            ``(bookings, seat_uids)``: the created (or joined) bookings in start order, and for a
            seated event type the caller's seat uid in each of them.

        Raises:
            ApiError: 400 past start, taken slot; 409 seats full.
        """
        self.check_start(start)
        duration = (length or event_type.length) * _MINUTE
        starts = [start]
        recurrence = event_type.recurrence
        if recurrence is not None and not instant:
            count = min(recurrence_count or recurrence.count, recurrence.count)
            step = (_DAY if recurrence.freq == "daily" else 7 * _DAY) * recurrence.interval
            if recurrence.freq == "monthly":
                step = 30 * _DAY * recurrence.interval
            starts = [start + i * step for i in range(count)]
        now = self.now_ms()
        if event_type.seats:
            return self._take_seats(event_type, starts, duration, attendee, fields, metadata, now)
        organizers = [self.pick_host(event_type, s, s + duration, ()) for s in starts]
        if len(starts) > 1 and len(set(organizers)) > 1:
            organizers = [organizers[0]] * len(starts)
            for s in starts:
                if not self.is_free(organizers[0], s, s + duration):
                    raise bad_request(MSG_TAKEN)
        status = "ACCEPTED"
        if instant:
            status = "AWAITING_HOST"
        elif event_type.requires_confirmation:
            status = "PENDING"
        series = new_seat_uid(self.rng) if recurrence is not None and not instant else None
        responses = _responses(attendee, guests, fields)
        created: list[Booking] = []
        for s, organizer in zip(starts, organizers, strict=True):
            uid = self.new_uid()
            attendees = [_attendee_row(attendee)]
            for email in guests or ():
                attendees.append(Attendee(name="", email=email, time_zone=attendee["timeZone"]))
            booking = Booking(
                id=self.new_booking_id(),
                uid=uid,
                title=self._title(event_type, organizer, attendee["name"]),
                description=_notes(fields),
                user_id=organizer,
                event_type_id=event_type.id,
                status=status,
                start=s,
                end=s + duration,
                created=now,
                updated=now,
                location=location if location is not None else event_type.location,
                metadata=dict(metadata or {}),
                responses=dict(responses),
                attendees=attendees,
                recurring_event_id=series,
                ical_uid=f"{uid}@Cal.com",
            )
            created.append(self.insert_booking(booking))
        return created, None

    def _take_seats(
        self,
        event_type: EventType,
        starts: list[int],
        duration: int,
        attendee: dict[str, Any],
        fields: dict[str, Any] | None,
        metadata: dict[str, Any] | None,
        now: int,
    ) -> tuple[list[Booking], list[str]]:
        seats = event_type.seats or 1
        plan: list[Booking | int] = []
        email = attendee.get("email")
        for s in starts:
            existing = self._seated.get((event_type.id, s))
            if existing is not None:
                if len(existing.attendees) >= seats:
                    raise conflict(MSG_NO_SEATS)
                if email and any(a.email == email for a in existing.attendees):
                    raise bad_request("Already signed up for this booking.")
                plan.append(existing)
            else:
                plan.append(self.pick_host(event_type, s, s + duration, ()))
        series_id = None
        if len(starts) > 1 or event_type.recurrence is not None:
            first = plan[0]
            series_id = (
                first.recurring_event_id if isinstance(first, Booking) else None
            ) or new_seat_uid(self.rng)
        status = "PENDING" if event_type.requires_confirmation else "ACCEPTED"
        bookings: list[Booking] = []
        seat_uids: list[str] = []
        for s, target in zip(starts, plan, strict=True):
            seat = _attendee_row(attendee)
            seat.seat_uid = new_seat_uid(self.rng)
            seat.seat_responses = _responses(attendee, None, fields)
            seat.seat_metadata = {k: str(v) for k, v in (metadata or {}).items()}
            if isinstance(target, Booking):
                target.attendees = [*target.attendees, seat]
                self.touch(target, now=now)
                booking = target
            else:
                uid = self.new_uid()
                booking = self.insert_booking(
                    Booking(
                        id=self.new_booking_id(),
                        uid=uid,
                        title=self._title(event_type, target, attendee["name"]),
                        description=_notes(fields),
                        user_id=target,
                        event_type_id=event_type.id,
                        status=status,
                        start=s,
                        end=s + duration,
                        created=now,
                        updated=now,
                        location=event_type.location,
                        metadata={},
                        responses=_responses(attendee, None, fields),
                        attendees=[seat],
                        seated=True,
                        recurring_event_id=series_id,
                        ical_uid=f"{uid}@Cal.com",
                    )
                )
            bookings.append(booking)
            seat_uids.append(seat.seat_uid)
        return bookings, seat_uids

    # -- lookups -------------------------------------------------------------------------------

    def get(self, uid: str) -> Booking:
        """The booking with this uid, or the live server's 404."""
        booking = self.bookings.get(uid)
        if booking is None:
            raise not_found_uid(uid)
        return booking

    def recurrences(self, recurring_uid: str) -> list[Booking]:
        """Every booking of a recurring series, in start order."""
        return sorted(self.series.get(recurring_uid, ()), key=lambda b: (b.start, b.id))

    # -- state changes ---------------------------------------------------------------------------

    def _set_status(self, booking: Booking, status: str, now: int | None = None) -> None:
        self._unindex(booking)
        booking.status = status
        self._index(booking)
        self.touch(booking, now=now)

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
        if booking.status in _CANCELLED_LIKE:
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
                self.touch(booking)
            return [booking]
        targets = [booking]
        if subsequent and booking.recurring_event_id is not None:
            targets = [
                b
                for b in self.recurrences(booking.recurring_event_id)
                if b.start >= booking.start and b.status not in _CANCELLED_LIKE
            ]
        now = self.now_ms()
        for target in targets:
            target.cancellation_reason = reason
            target.cancelled_by = by
            self._set_status(target, "CANCELLED", now)
        return targets

    def cancel_series(
        self, recurring_uid: str, *, reason: str | None, by: str | None
    ) -> list[Booking]:
        """Cancel every still-active recurrence of a series (cancel by the recurring uid)."""
        now = self.now_ms()
        changed = []
        for booking in self.recurrences(recurring_uid):
            if booking.status in _CANCELLED_LIKE:
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
        if booking.status in _CANCELLED_LIKE:
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
        self.check_start(start)
        event_type = self.event_types.get(booking.event_type_id or -1)
        duration = booking.end - booking.start
        now = self.now_ms()
        if seat_uid is not None:
            return self._move_seat(booking, event_type, start, duration, seat_uid, now)
        if booking.user_id is not None and not self.is_free(
            booking.user_id, start, start + duration, (booking.id,)
        ):
            raise bad_request(MSG_TAKEN)
        host = self.users.get(booking.user_id) if booking.user_id is not None else None
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
        uid = self.new_uid()
        new = Booking(
            id=self.new_booking_id(),
            uid=uid,
            title=booking.title,
            description=booking.description,
            user_id=booking.user_id,
            event_type_id=booking.event_type_id,
            status=status,
            start=start,
            end=start + duration,
            created=now,
            updated=now,
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
        booking.rescheduled_to = uid
        booking.rescheduled_by = by
        self._set_status(booking, "CANCELLED", now)
        self.insert_booking(new)
        return new, None

    def _move_seat(
        self,
        booking: Booking,
        event_type: EventType | None,
        start: int,
        duration: int,
        seat_uid: str,
        now: int,
    ) -> tuple[Booking, str]:
        if not booking.seated or event_type is None:
            raise bad_request(f"Booking with uid={booking.uid} is not a seated booking.")
        seat = next((a for a in booking.attendees if a.seat_uid == seat_uid), None)
        if seat is None:
            raise bad_request(f"Seat with uid={seat_uid} not found in booking {booking.uid}.")
        target = self._seated.get((event_type.id, start))
        if target is booking:
            return booking, seat_uid
        if target is not None and len(target.attendees) >= (event_type.seats or 1):
            raise conflict(MSG_NO_SEATS)
        if target is None:
            organizer = self.pick_host(event_type, start, start + duration, ())
            uid = self.new_uid()
            target = self.insert_booking(
                Booking(
                    id=self.new_booking_id(),
                    uid=uid,
                    title=booking.title,
                    description=booking.description,
                    user_id=organizer,
                    event_type_id=event_type.id,
                    status=booking.status,
                    start=start,
                    end=start + duration,
                    created=now,
                    updated=now,
                    location=booking.location,
                    metadata={},
                    responses=dict(booking.responses),
                    attendees=[],
                    seated=True,
                    recurring_event_id=booking.recurring_event_id,
                    from_reschedule=booking.uid,
                    ical_uid=f"{uid}@Cal.com",
                )
            )
        booking.attendees = [a for a in booking.attendees if a is not seat]
        if booking.attendees:
            self.touch(booking, now=now)
        else:
            self._set_status(booking, "CANCELLED", now)
        target.attendees = [*target.attendees, seat]
        self.touch(target, now=now)
        return target, seat_uid

    def _pending_targets(self, booking: Booking, verb: str) -> list[Booking]:
        """The booking, or every pending recurrence of its series; 400 unless it is pending."""
        if booking.status != "PENDING":
            raise bad_request(
                f"Booking with uid={booking.uid} is not pending, so it can't be {verb}."
            )
        if booking.recurring_event_id is None:
            return [booking]
        return [b for b in self.recurrences(booking.recurring_event_id) if b.status == "PENDING"]

    def confirm(self, booking: Booking) -> list[Booking]:
        """Accept a pending booking (every pending recurrence of its series).

        Raises:
            ApiError: 400 when the booking is not pending.
        """
        targets = self._pending_targets(booking, "confirmed")
        now = self.now_ms()
        for target in targets:
            self._set_status(target, "ACCEPTED", now)
        return targets

    def decline(self, booking: Booking, reason: str | None) -> list[Booking]:
        """Reject a pending booking; the reason is stored as ``rejectionReason`` (not sent).

        Raises:
            ApiError: 400 when the booking is not pending.
        """
        targets = self._pending_targets(booking, "declined")
        now = self.now_ms()
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
        self.touch(booking)
        return booking

    def reassign(self, booking: Booking, user_id: int | None, reason: str | None) -> User:
        """Give a round-robin booking to another host (``user_id``, or the next free one).

        Raises:
            ApiError: 400 not round robin, cancelled, host busy or not a host; 404 unknown user.
        """
        event_type = self.event_types.get(booking.event_type_id or -1)
        if event_type is None or event_type.scheduling_type != "ROUND_ROBIN":
            raise bad_request(
                f"Booking with uid={booking.uid} is not a round robin booking. Currently only "
                "round robin bookings can be reassigned."
            )
        if booking.status in _CANCELLED_LIKE:
            raise bad_request(f"Booking with uid={booking.uid} is cancelled or rejected.")
        if user_id is not None:
            user = self.users.get(user_id)
            if user is None:
                raise not_found(f"User with id={user_id} not found")
            if user_id not in event_type.host_ids:
                raise bad_request(
                    f"User with id={user_id} is not a host of event type with id={event_type.id}."
                )
            if user_id != booking.user_id and not self.is_free(
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
                if candidate != booking.user_id and self.is_free(
                    candidate, booking.start, booking.end, (booking.id,)
                ):
                    chosen = candidate
                    break
            if chosen is None:
                raise bad_request("No available hosts found to reassign the booking to.")
            new_host = chosen
        self._unindex(booking)
        booking.user_id = new_host
        booking.reassign_reason = reason
        first = booking.attendees[0].name if booking.attendees else ""
        booking.title = self._title(event_type, new_host, first)
        self._index(booking)
        self.touch(booking)
        return self.users[new_host]

    def update_location(self, booking: Booking, location: str) -> Booking:
        """Replace the stored location string."""
        if booking.status in _CANCELLED_LIKE:
            raise bad_request(f"Booking with uid={booking.uid} is cancelled or rejected.")
        booking.location = location
        self.touch(booking)
        return booking

    def add_guests(self, booking: Booking, guests: Sequence[dict[str, Any]]) -> Booking:
        """Add guests as attendees and to ``responses.guests`` (at most 30 per booking).

        Raises:
            ApiError: 400 for a cancelled or seated booking, or more than 30 guests in total.
        """
        if booking.status in _CANCELLED_LIKE:
            raise bad_request(f"Booking with uid={booking.uid} is cancelled or rejected.")
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
        self.touch(booking)
        return booking

    # -- auxiliary outputs -------------------------------------------------------------------------

    def calendar_links(self, b: Booking) -> list[dict[str, str]]:
        """'Add to calendar' links (Google, Office, Outlook, ICS) built from the booking."""
        start, end = format_ms(b.start), format_ms(b.end)
        compact = start.replace("-", "").replace(":", "").replace(".000", "")
        compact_end = end.replace("-", "").replace(":", "").replace(".000", "")
        title = quote(b.title)
        location = quote(b.location or "")
        description = quote(b.description or "")
        ics = (
            "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Cal.com//EN\nBEGIN:VEVENT\n"
            f"UID:{b.ical_uid or b.uid}\nDTSTART:{compact}\nDTEND:{compact_end}\n"
            f"SUMMARY:{b.title}\nLOCATION:{b.location or ''}\nEND:VEVENT\nEND:VCALENDAR"
        )
        return [
            {
                "label": "Google Calendar",
                "link": "https://calendar.google.com/calendar/r/eventedit"
                f"?dates={compact}/{compact_end}&text={title}&details={description}"
                f"&location={location}",
            },
            {
                "label": "Microsoft Office",
                "link": "https://outlook.office.com/calendar/0/deeplink/compose"
                f"?startdt={quote(start)}&enddt={quote(end)}&subject={title}"
                f"&body={description}&location={location}",
            },
            {
                "label": "Microsoft Outlook",
                "link": "https://outlook.live.com/calendar/0/deeplink/compose"
                f"?startdt={quote(start)}&enddt={quote(end)}&subject={title}"
                f"&body={description}&location={location}",
            },
            {"label": "ICS", "link": "data:text/calendar," + quote(ics)},
        ]

    def references(self, b: Booking) -> list[dict[str, Any]]:
        """The calendar and video references an accepted booking would have."""
        if b.status not in ("ACCEPTED", "AWAITING_HOST"):
            return []
        host = self.users.get(b.user_id) if b.user_id is not None else None
        refs: list[dict[str, Any]] = [
            {
                "type": "google_calendar",
                "eventUid": f"{b.uid.lower()}gcal",
                "destinationCalendarId": host.email if host is not None else None,
                "id": b.id * 10 + 1,
            }
        ]
        video = {
            "integrations:daily": "daily_video",
            "integrations:google:meet": "google_video",
            "integrations:zoom": "zoom_video",
            "integrations:office365_video": "office365_video",
        }.get(b.location or "")
        if video is not None:
            refs.append(
                {
                    "type": video,
                    "eventUid": _room(b),
                    "destinationCalendarId": None,
                    "id": b.id * 10 + 2,
                }
            )
        return refs

    def _video_past(self, b: Booking) -> bool:
        return (
            b.location == "integrations:daily" and b.status == "ACCEPTED" and b.end <= self.now_ms()
        )

    def recordings(self, b: Booking) -> list[dict[str, Any]]:
        """Cal Video recordings: one per past, accepted Cal Video booking."""
        if not self._video_past(b):
            return []
        seconds = (b.end - b.start) // 1000
        return [
            {
                "id": f"rec-{b.id}",
                "roomName": _room(b),
                "startTs": b.start // 1000,
                "status": "finished",
                "maxParticipants": len(b.attendees) + 1,
                "duration": seconds - 60,
                "shareToken": f"share-{b.uid[:10]}",
                "downloadLink": f"https://cal-video-recordings.example.com/{_room(b)}/rec-{b.id}.mp4",
                "error": None,
            }
        ]

    def transcripts(self, b: Booking) -> list[str]:
        """Transcript download links of a past, accepted Cal Video booking."""
        if not self._video_past(b):
            return []
        return [f"https://cal-video-transcripts.example.com/{_room(b)}/transcript-{b.id}.vtt"]

    def sessions(self, b: Booking) -> list[dict[str, Any]]:
        """Cal Video meeting sessions of a past, accepted Cal Video booking."""
        if not self._video_past(b):
            return []
        host = self.users.get(b.user_id) if b.user_id is not None else None
        start_s = b.start // 1000
        seconds = (b.end - b.start) // 1000
        participants: list[dict[str, Any]] = [
            {
                "userId": str(host.id) if host is not None else None,
                "userName": host.name if host is not None else None,
                "joinTime": start_s,
                "duration": seconds,
            }
        ]
        participants.extend(
            {
                "userId": None,
                "userName": a.name or None,
                "joinTime": start_s + 30,
                "duration": seconds - 30,
            }
            for a in b.attendees
        )
        return [
            {
                "id": f"session-{b.id}",
                "room": _room(b),
                "startTime": start_s,
                "duration": seconds,
                "ongoing": False,
                "maxParticipants": len(participants),
                "participants": participants,
            }
        ]


def _room(b: Booking) -> str:
    return f"cal-video-{b.uid[:12].lower()}"


def _time_dependent(q: ListQuery) -> bool:
    return any(s != "cancelled" for s in q.statuses)


def _status_match(b: Booking, statuses: set[str], now: int) -> bool:
    status = b.status
    dead = status in _CANCELLED_LIKE
    if "cancelled" in statuses and dead:
        return True
    if dead:
        return False
    future = b.end >= now
    if "upcoming" in statuses and future and not (b.recurring_event_id and status == "PENDING"):
        return True
    if "recurring" in statuses and future and b.recurring_event_id is not None:
        return True
    if "past" in statuses and b.end <= now:
        return True
    return "unconfirmed" in statuses and future and status == "PENDING"


def _attendee(a: Attendee) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": a.name,
        "email": a.email,
        "displayEmail": a.email,
        "timeZone": a.time_zone,
        "language": a.locale,
        "absent": a.no_show,
    }
    if a.phone is not None:
        out["phoneNumber"] = a.phone
    return out


def _seated_attendee(a: Attendee) -> dict[str, Any]:
    responses = {k: v for k, v in (a.seat_responses or {}).items() if k != "email"}
    return {
        "name": a.name,
        "email": a.email,
        "displayEmail": a.email,
        "timeZone": a.time_zone,
        "language": a.locale,
        "absent": a.no_show,
        "seatUid": a.seat_uid,
        "bookingFieldsResponses": responses,
        "metadata": dict(a.seat_metadata or {}),
    }


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
