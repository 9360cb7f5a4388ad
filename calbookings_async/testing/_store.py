"""The emulator's in-memory database: the rows and the indexes that keep its hot paths cheap.

:class:`Store` owns every row (organizations, users, teams, event types, bookings and their
attendees) and the indexes over them: a sorted busy-interval list per host for conflict checks,
the seated slots, the recurring series, seat uids, and a cache of filtered and sorted listings
keyed by query and invalidated by a state version counter. It allocates ids and uids, answers
lookups (with the live server's 404s) and listings. It applies no business rule: that is
``_rules``; it writes no JSON: that is ``_serialise``. Imports only the emulator's own leaf modules
(records, envelope, wire); nothing from the rest of ``calbookings_async``.
"""

from __future__ import annotations

import random
from bisect import bisect_left, insort
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ._envelope import ApiError, not_found
from ._records import ACTIVE_STATUSES, Attendee, Booking, EventType, Organization, Team, User
from ._wire import new_uid

__all__ = ["CANCELLED_LIKE", "ListQuery", "Store", "not_found_uid"]

_MINUTE = 60_000
#: Statuses of a booking that no longer happens.
CANCELLED_LIKE = frozenset({"CANCELLED", "REJECTED"})


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
    """Every row of the emulated Cal.com database and its indexes.

    Args:
        rng: The seeded generator for uids and choices (reproducible runs).
        wall_clock: Returns epoch seconds; decides past/upcoming and creation times.

    Attributes:
        version: Bumped by every change of a booking (listing caches compare it).
        users_version: Bumped by every change of a user or event type (host caches compare it).
        reports: The organization booking reports made (``report`` on #report).
        blocklist: ``(org_id, "EMAIL" | "DOMAIN", value)`` entries added by #block.
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
        self.next_attendee_id = 1
        self.users_version = 0
        self.reports: list[dict[str, Any]] = []
        self.blocklist: set[tuple[int, str, str]] = set()
        self._busy: dict[int, list[tuple[int, int, int]]] = {}
        self._max_len = 60 * _MINUTE
        self._seated: dict[tuple[int, int], Booking] = {}
        self._seats: dict[str, Booking] = {}
        self._list_cache: dict[ListQuery, tuple[int, int, list[Booking]]] = {}

    # -- time and bookkeeping ------------------------------------------------------------------

    def now_ms(self) -> int:
        """Milliseconds since the epoch by the emulator's wall clock."""
        return int(self.wall_clock() * 1000)

    def touch(self, booking: Booking, *, now: int | None = None) -> None:
        """Record that a booking changed: new ``updatedAt``, cache dropped, state version bumped.

        New attendees get their ids here, and a seated booking's seats are (re)indexed.
        """
        booking.updated = self.now_ms() if now is None else now
        booking.cache = None
        self._number_attendees(booking)
        self.version += 1

    def invalidate_users(self) -> None:
        """Drop every cached serialisation after a user or event type changed."""
        self.users_version += 1
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
        self.users_version += 1
        return user

    def remove_user(self, user_id: int) -> User:
        """Delete a user (their bookings keep pointing at the id, as after a deletion live).

        Raises:
            KeyError: No user has this id.
        """
        user = self.users.pop(user_id)
        if user.username:
            self.users_by_username.pop(user.username, None)
        self.invalidate_users()
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
        self.index(booking)
        self._number_attendees(booking)
        self.version += 1
        return booking

    def _number_attendees(self, booking: Booking) -> None:
        for attendee in booking.attendees:
            if not attendee.id:
                attendee.id = self.next_attendee_id
                self.next_attendee_id += 1
            if attendee.seat_uid is not None:
                self._seats[attendee.seat_uid] = booking

    def new_booking(self, **fields: Any) -> Booking:
        """Build a booking row with a fresh id and uid, created now, and insert it.

        Args:
            **fields: :class:`Booking` fields; ``created``/``updated`` default to now,
                ``metadata`` to ``{}`` and ``ical_uid`` to ``<uid>@Cal.com``.
        """
        now = self.now_ms()
        uid = self.new_uid()
        fields.setdefault("created", now)
        fields.setdefault("updated", fields["created"])
        fields.setdefault("metadata", {})
        fields.setdefault("ical_uid", f"{uid}@Cal.com")
        return self.insert_booking(Booking(id=self.new_booking_id(), uid=uid, **fields))

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

    def index(self, booking: Booking) -> None:
        """Add an active booking to the busy intervals and seated slots (after a change)."""
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

    def unindex(self, booking: Booking) -> None:
        """Take a booking out of the busy intervals and seated slots (before a change)."""
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

    def seated_at(self, event_type_id: int, start: int) -> Booking | None:
        """The active seated booking of an event type at a start time, if any."""
        return self._seated.get((event_type_id, start))

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
        preds = [*self._field_predicates(q), *self._scope_predicates(q)]
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

    def _field_predicates(self, q: ListQuery) -> list[Callable[[Booking], bool]]:
        """The filters on a booking's own fields (status, attendee, uid, times)."""
        preds: list[Callable[[Booking], bool]] = []
        if q.statuses:
            statuses, now = set(q.statuses), self.now_ms()
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
        for bound, attr, after in (
            (q.after_start, "start", True),
            (q.before_end, "end", False),
            (q.after_created, "created", True),
            (q.before_created, "created", False),
            (q.after_updated, "updated", True),
            (q.before_updated, "updated", False),
        ):
            if bound is not None:
                preds.append(_time_predicate(attr, bound, after=after))
        return preds

    def _scope_predicates(self, q: ListQuery) -> list[Callable[[Booking], bool]]:
        """The filters by event type, team, host, organization and the caller's own scope."""
        preds: list[Callable[[Booking], bool]] = []
        event_types = self.event_types.values()
        if q.event_type_ids is not None:
            et_ids = set(q.event_type_ids)
            preds.append(lambda b: b.event_type_id in et_ids)
        if q.team_ids is not None:
            team_et = {e.id for e in event_types if e.team_id in set(q.team_ids)}
            preds.append(lambda b: b.event_type_id in team_et)
        if q.team_id is not None:
            own_et = {e.id for e in event_types if e.team_id == q.team_id}
            preds.append(lambda b: b.event_type_id in own_et)
        if q.host_id is not None:
            host_id = q.host_id
            preds.append(lambda b: b.user_id == host_id)
        if q.user_ids is not None:
            user_ids = set(q.user_ids)
            hosted = {e.id for e in event_types if user_ids & set(e.host_ids)}
            preds.append(lambda b: b.user_id in user_ids or b.event_type_id in hosted)
        if q.org_id is not None:
            preds.append(self.org_predicate(q.org_id))
        if q.scope_user is not None:
            preds.append(self._scope_pred(q.scope_user))
        return preds

    def org_predicate(self, org_id: int) -> Callable[[Booking], bool]:
        """Whether a booking belongs to an organization (a member hosts it or a team owns it)."""
        org_users = {u.id for u in self.users.values() if u.org_id == org_id}
        org_teams = {t.id for t in self.teams.values() if t.org_id == org_id}
        org_et = {e.id for e in self.event_types.values() if e.team_id in org_teams}
        return lambda b: b.user_id in org_users or b.event_type_id in org_et

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

    def by_seat(self, seat_uid: str) -> Booking:
        """The booking that holds a seat, or a 404 (also once the seat was cancelled or moved)."""
        booking = self._seats.get(seat_uid)
        if booking is None or not any(a.seat_uid == seat_uid for a in booking.attendees):
            raise not_found(f"Booking with seatUid={seat_uid} was not found in the database")
        return booking

    def attendee(self, booking: Booking, attendee_id: int) -> Attendee:
        """One attendee of a booking by id, or a 404."""
        for attendee in booking.attendees:
            if attendee.id == attendee_id:
                return attendee
        raise not_found(f"Attendee with id={attendee_id} not found in booking {booking.uid}")


def _time_predicate(attr: str, bound: int, *, after: bool) -> Callable[[Booking], bool]:
    def pred(b: Booking) -> bool:
        value = getattr(b, attr)
        return value is not None and (value >= bound if after else value <= bound)

    return pred


def _time_dependent(q: ListQuery) -> bool:
    return any(s != "cancelled" for s in q.statuses)


def _status_match(b: Booking, statuses: set[str], now: int) -> bool:
    status = b.status
    dead = status in CANCELLED_LIKE
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
