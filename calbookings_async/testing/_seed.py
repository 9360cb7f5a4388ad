"""Deterministic bulk seeding of the emulator's store.

:func:`seed_store` creates hosts, teams, event types of every kind and bookings of every kind:
accepted, pending confirmation, cancelled, rejected, past and upcoming, recurring series, seated
(one seat per attendee), recurring seated, round-robin team bookings (reassignable), rescheduled
pairs, instant meetings awaiting a host, and, unless disabled, the oddities the live server
really returns (``null`` description/location/``updatedAt``, a booking without event type, a
host that no longer exists). The same seed and anchor always give the same rows. Rows are built
directly, without the API's rules, so 100,000 bookings take a few seconds. Stdlib only.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from ._records import Attendee, Booking, EventType, Recurrence, Team, User
from ._rules import Rules
from ._store import Store
from ._wire import new_seat_uid

__all__ = ["SeedSummary", "seed_store"]

_HOUR = 3_600_000
_DAY = 24 * _HOUR
_WEEK = 7 * _DAY

_FIRST = [
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Margaret",
    "Ken",
    "Barbara",
    "Dennis",
    "Frances",
    "Guido",
    "Hedy",
    "Tim",
    "Radia",
    "John",
    "Karen",
    "Edsger",
    "Donald",
    "Shafi",
    "Leslie",
    "Niklaus",
    "Sophie",
    "Yukihiro",
    "Anita",
    "Bjarne",
    "Joan",
    "Rasmus",
    "Mary",
    "Larry",
    "Lynn",
]
_LAST = [
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Hamilton",
    "Thompson",
    "Liskov",
    "Ritchie",
    "Allen",
    "Rossum",
    "Lamarr",
    "Lee",
    "Perlman",
    "McCarthy",
    "Jones",
    "Dijkstra",
    "Knuth",
    "Goldwasser",
    "Lamport",
    "Wirth",
    "Wilson",
    "Matsumoto",
    "Borg",
    "Stroustrup",
    "Clarke",
    "Lerdorf",
    "Shaw",
    "Wall",
    "Conway",
]
_ZONES = [
    "America/New_York",
    "Europe/Berlin",
    "Europe/London",
    "Asia/Tokyo",
    "America/Los_Angeles",
    "Europe/Paris",
    "Asia/Kolkata",
    "Australia/Sydney",
    "America/Sao_Paulo",
    "Africa/Lagos",
    "UTC",
    "Europe/Madrid",
]
_LANGS = ("en", "en", "en", "de", "fr", "es", "pt-BR", "it", "nl", "ja")
_NOTES = (
    "Looking forward to the call.",
    "Please review the attached agenda.",
    "Would like to discuss pricing.",
    "Follow-up on last week's demo.",
    "Integration questions about the API.",
)

#: Kinds made of one booking of a personal event type: kind -> (event type slug, status).
_SIMPLE = {
    "pending": ("consultation", "PENDING"),
    "cancelled": ("intro-call", "CANCELLED"),
    "rejected": ("consultation", "REJECTED"),
}

# (kind, weight, bookings per group)
_KINDS: tuple[tuple[str, int, int], ...] = (
    ("regular", 40, 1),
    ("pending", 7, 1),
    ("cancelled", 8, 1),
    ("rejected", 2, 1),
    ("recurring", 8, 4),
    ("seated", 7, 1),
    ("recurring_seated", 3, 3),
    ("round_robin", 10, 1),
    ("rescheduled", 5, 2),
    ("instant", 1, 1),
    ("oddity", 2, 1),
)


@dataclass(frozen=True, slots=True)
class SeedSummary:
    """What :func:`seed_store` created.

    Attributes:
        user_ids: The seeded hosts.
        team_ids: The seeded teams (the first is the round-robin "sales" team).
        event_type_ids: Every seeded event type.
        booking_uids: Every seeded booking, in creation order.
        kinds: Booking kind -> uids of that kind (``regular``, ``pending``, ``recurring``, ...).
    """

    user_ids: tuple[int, ...]
    team_ids: tuple[int, ...]
    event_type_ids: tuple[int, ...]
    booking_uids: tuple[str, ...]
    kinds: dict[str, tuple[str, ...]]


class _Seeder:
    def __init__(self, store: Store, rng: random.Random, anchor: int, oddities: bool) -> None:
        self.store = store
        self.title = Rules(store).title
        self.rng = rng
        self.anchor = anchor
        self.oddities = oddities
        self.kinds: dict[str, list[str]] = {}
        self.uids: list[str] = []
        self.used: dict[int, set[int]] = {}
        self.personal: dict[int, dict[str, EventType]] = {}
        self.slot_base = 0
        self.slot_span = 1
        self.spans: dict[int, int] = {}
        self.attendee_counter = 0
        self.team_hosts: list[int] = []
        self.demo: EventType
        self.webinar: EventType

    def user(self, index: int, org_id: int) -> User:
        first = _FIRST[index % len(_FIRST)]
        last = _LAST[(index // len(_FIRST) + index) % len(_LAST)]
        username = f"{first}-{last}-{index}".lower()
        store = self.store
        return store.add_user(
            User(
                id=store.next_user_id,
                name=f"{first} {last}",
                email=f"{username}@example.com",
                username=username,
                time_zone=_ZONES[index % len(_ZONES)],
                org_id=org_id,
            )
        )

    def event_type(self, **fields: object) -> EventType:
        store = self.store
        event_type = EventType(id=store.next_event_type_id, **fields)  # type: ignore[arg-type]
        return store.add_event_type(event_type)

    def personal_types(self, user: User) -> dict[str, EventType]:
        types = {
            "intro-call": self.event_type(
                slug="intro-call", title="Intro call", length=30, owner_id=user.id
            ),
            "consultation": self.event_type(
                slug="consultation",
                title="Consultation",
                length=60,
                owner_id=user.id,
                requires_confirmation=True,
                location="Main Street 1, Springfield",
            ),
            "weekly-sync": self.event_type(
                slug="weekly-sync",
                title="Weekly sync",
                length=30,
                owner_id=user.id,
                recurrence=Recurrence("weekly", 1, 4),
                location="integrations:google:meet",
            ),
            "workshop": self.event_type(
                slug="workshop",
                title="Workshop",
                length=60,
                owner_id=user.id,
                seats=5,
                seats_show_attendees=user.id % 2 == 0,
            ),
            "flex-meeting": self.event_type(
                slug="flex-meeting",
                title="Flexible meeting",
                length=30,
                owner_id=user.id,
                lengths=(15, 30, 60),
                location="integrations:zoom",
            ),
        }
        self.personal[user.id] = types
        return types

    def slot(self, host: int, repeat: int = 1, every: int = 0) -> int:
        """A free hour slot (and its weekly repeats) on a host's timeline, as a start ms."""
        used = self.used.setdefault(host, set())
        rng = self.rng
        span = self.spans.get(host, self.slot_span)
        if (len(used) + repeat) * 2 > span:
            # Busy hosts (the round-robin team) get a longer timeline, so that random probing
            # keeps finding free slots quickly.
            span = span * 2 + repeat * every
            self.spans[host] = span
        while True:
            index = self.slot_base + rng.randrange(span)
            wanted = [index + i * every for i in range(repeat)]
            if not any(w in used for w in wanted):
                used.update(wanted)
                return self.anchor + index * _HOUR

    def attendee(self) -> Attendee:
        rng = self.rng
        self.attendee_counter += 1
        first = _FIRST[rng.randrange(len(_FIRST))]
        last = _LAST[rng.randrange(len(_LAST))]
        email = f"{first}.{last}{self.attendee_counter}@example.org".lower()
        return Attendee(
            name=f"{first} {last}",
            email=email,
            time_zone=_ZONES[rng.randrange(len(_ZONES))],
            locale=_LANGS[rng.randrange(len(_LANGS))],
            phone=f"+1555{rng.randrange(10**7):07d}" if rng.random() < 0.2 else None,
        )

    def booking(
        self,
        kind: str,
        event_type: EventType | None,
        host: int | None,
        start: int,
        *,
        status: str = "ACCEPTED",
        attendees: list[Attendee] | None = None,
        length: int | None = None,
        series: str | None = None,
    ) -> Booking:
        store = self.store
        rng = self.rng
        uid = store.new_uid()
        people = attendees if attendees is not None else [self.attendee()]
        first = people[0]
        minutes = length or (event_type.length if event_type is not None else 30)
        created = min(start - rng.randrange(_HOUR, 30 * _DAY), self.anchor - rng.randrange(_HOUR))
        notes, responses, metadata = self._fields(first)
        past = start + minutes * 60_000 <= self.anchor
        seated = event_type is not None and event_type.seats is not None
        if seated:
            for person in people:
                person.seat_uid = new_seat_uid(rng)
                person.seat_responses = {"name": person.name, "email": person.email}
                person.seat_metadata = {}
        booking = Booking(
            id=store.new_booking_id(),
            uid=uid,
            title=self.title(event_type, host, first.name),
            description=notes,
            user_id=host,
            event_type_id=event_type.id if event_type is not None else None,
            status=status,
            start=start,
            end=start + minutes * 60_000,
            created=created,
            updated=created + rng.randrange(0, _HOUR),
            location=event_type.location if event_type is not None else "integrations:daily",
            metadata=metadata,
            responses=responses,
            attendees=people,
            seated=seated,
            recurring_event_id=series,
            no_show_host=past and status == "ACCEPTED" and rng.random() < 0.03,
            rating=rng.randrange(1, 6)
            if past and status == "ACCEPTED" and rng.random() < 0.2
            else None,
            ical_uid=f"{uid}@Cal.com",
        )
        self._outcome(booking, past)
        store.insert_booking(booking)
        self.uids.append(uid)
        self.kinds.setdefault(kind, []).append(uid)
        return booking

    def _fields(self, first: Attendee) -> tuple[str | None, dict[str, Any], dict[str, Any]]:
        """``(notes, responses, metadata)`` of a seeded booking."""
        rng = self.rng
        notes = _NOTES[rng.randrange(len(_NOTES))] if rng.random() < 0.7 else None
        responses: dict[str, Any] = {"name": first.name, "email": first.email}
        if notes is not None:
            responses["notes"] = notes
        if first.phone is not None:
            responses["attendeePhoneNumber"] = first.phone
        metadata: dict[str, Any] = {}
        if rng.random() < 0.3:
            metadata = {"source": "seed", "crmId": f"crm-{rng.randrange(10**6):06d}"}
        return notes, responses, metadata

    def _outcome(self, booking: Booking, past: bool) -> None:
        """Absences of a past booking, and the reasons of a cancelled or rejected one."""
        rng = self.rng
        if past:
            for person in booking.attendees:
                person.no_show = rng.random() < 0.05
        if booking.status == "CANCELLED":
            booking.cancellation_reason = "Schedule conflict" if rng.random() < 0.7 else None
            booking.cancelled_by = booking.attendees[0].email
        if booking.status == "REJECTED":
            booking.rejection_reason = "Host unavailable"

    # -- the kinds of booking -------------------------------------------------------------------

    def team_types(self, team_id: int) -> None:
        """The sales team's round-robin demo and its recurring seated webinar."""
        self.demo = self.event_type(
            slug="sales-demo",
            title="Sales demo",
            length=30,
            team_id=team_id,
            scheduling_type="ROUND_ROBIN",
            host_ids=list(self.team_hosts),
        )
        self.webinar = self.event_type(
            slug="webinar-series",
            title="Webinar series",
            length=45,
            team_id=team_id,
            scheduling_type="ROUND_ROBIN",
            host_ids=list(self.team_hosts),
            seats=10,
            recurrence=Recurrence("weekly", 1, 3),
        )

    def make(self, kind: str, host: User, turn: int, now: int) -> None:
        """Create the bookings of one group of a kind, hosted by ``host`` (or the team)."""
        types = self.personal[host.id]
        if kind in _SIMPLE:
            slug, status = _SIMPLE[kind]
            self.booking(kind, types[slug], host.id, self.slot(host.id), status=status)
            return
        organizer = self.team_hosts[turn % len(self.team_hosts)]
        getattr(self, f"_{kind}")(kind, host, types, organizer, turn, now)

    def _regular(
        self, kind: str, host: User, types: dict[str, EventType], _o: int, _t: int, _n: int
    ) -> None:
        et = types["intro-call"] if self.rng.random() < 0.7 else types["flex-meeting"]
        length = self.rng.choice(et.lengths) if et.lengths else None
        self.booking(kind, et, host.id, self.slot(host.id), length=length)

    def _recurring(
        self, kind: str, host: User, types: dict[str, EventType], _o: int, _t: int, _n: int
    ) -> None:
        first = self.slot(host.id, 4, 24 * 7)
        series = new_seat_uid(self.rng)
        person = self.attendee()
        for i in range(4):
            status = "CANCELLED" if i == 3 and self.rng.random() < 0.2 else "ACCEPTED"
            self.booking(
                kind,
                types["weekly-sync"],
                host.id,
                first + i * _WEEK,
                status=status,
                attendees=[_copy(person)],
                series=series,
            )

    def _seated(
        self, kind: str, host: User, types: dict[str, EventType], _o: int, _t: int, _n: int
    ) -> None:
        people = [self.attendee() for _ in range(self.rng.randrange(1, 6))]
        self.booking(kind, types["workshop"], host.id, self.slot(host.id), attendees=people)

    def _recurring_seated(
        self, kind: str, _h: User, _ty: dict[str, EventType], organizer: int, _t: int, _n: int
    ) -> None:
        first = self.slot(organizer, 3, 24 * 7)
        series = new_seat_uid(self.rng)
        for i in range(3):
            people = [self.attendee() for _ in range(self.rng.randrange(1, 4))]
            start = first + i * _WEEK
            self.booking(kind, self.webinar, organizer, start, attendees=people, series=series)

    def _round_robin(
        self, kind: str, _h: User, _ty: dict[str, EventType], organizer: int, _t: int, _n: int
    ) -> None:
        self.booking(kind, self.demo, organizer, self.slot(organizer))

    def _rescheduled(
        self, kind: str, host: User, types: dict[str, EventType], _o: int, _t: int, _n: int
    ) -> None:
        et = types["intro-call"]
        old = self.booking(kind, et, host.id, self.slot(host.id), status="CANCELLED")
        old.cancelled_by = None
        old.cancellation_reason = None
        person = old.attendees[0]
        new = self.booking(kind, et, host.id, self.slot(host.id), attendees=[_copy(person)])
        new.from_reschedule = old.uid
        new.rescheduled_by = person.email
        new.responses["rescheduledReason"] = "Conflict with another meeting"
        new.ical_uid = old.ical_uid
        old.rescheduled = True
        old.rescheduled_to = new.uid
        old.rescheduled_by = person.email

    def _instant(
        self, kind: str, _h: User, _ty: dict[str, EventType], organizer: int, turn: int, now: int
    ) -> None:
        start = now - now % _HOUR + _HOUR * (1 + turn % 48)
        while not self.store.is_free(organizer, start, start + 30 * 60_000):
            start += 7 * _DAY
        self.used.setdefault(organizer, set()).add((start - self.anchor) // _HOUR)
        self.booking(kind, self.demo, organizer, start, status="AWAITING_HOST")

    def _oddity(
        self, kind: str, host: User, types: dict[str, EventType], _o: int, _t: int, _n: int
    ) -> None:
        variant = self.rng.randrange(4)
        booking = self.booking(
            kind,
            None if variant == 0 else types["intro-call"],
            self.store.next_user_id + 10_000 if variant == 1 else host.id,
            self.slot(host.id),
        )
        if variant == 2:
            booking.description = None
            booking.location = None
        if variant == 3:
            booking.updated = None
            booking.attendees[0].locale = None


def _copy(person: Attendee) -> Attendee:
    return Attendee(person.name, person.email, person.time_zone, person.locale, person.phone)


def seed_store(
    store: Store,
    rng: random.Random,
    *,
    bookings: int,
    users: int | None,
    anchor: int,
    org_id: int,
    oddities: bool = True,
) -> SeedSummary:
    """Fill a store with deterministic users, teams, event types and bookings.

    Args:
        store: The store to fill (existing rows are kept; ids continue after them).
        rng: The generator (seeded by the caller) that decides every value.
        bookings: How many bookings to create (exactly).
        users: How many hosts; default scales with ``bookings`` (4 to 60).
        anchor: "Now" for the data, epoch ms: about half the bookings end before it.
        org_id: The organization the hosts and teams belong to.
        oddities: Include the null fields and dangling references the live server can return.

    Returns:
        A :class:`SeedSummary` of what was created.
    """
    seeder = _Seeder(store, rng, anchor - anchor % _HOUR, oddities)
    n_users = users if users is not None else max(4, min(60, bookings // 400 + 4))
    hosts = [seeder.user(i, org_id) for i in range(n_users)]
    event_type_ids: list[int] = []
    for host in hosts:
        event_type_ids.extend(e.id for e in seeder.personal_types(host).values())
    sales = store.add_team(Team(id=store.next_team_id, slug="sales", name="Sales", org_id=org_id))
    seeder.team_hosts = [h.id for h in hosts[: max(2, min(6, len(hosts)))]]
    seeder.team_types(sales.id)
    event_type_ids.extend((seeder.demo.id, seeder.webinar.id))
    per_host = max(8, -(-bookings * 3 // (2 * n_users)))
    seeder.slot_span = per_host
    seeder.slot_base = -(per_host // 2)
    kinds = [k for k in _KINDS if seeder.oddities or k[0] != "oddity"]
    weights = [w for _, w, _ in kinds]
    turn = 0
    while len(seeder.uids) < bookings:
        kind, _, size = rng.choices(kinds, weights)[0]
        if size > bookings - len(seeder.uids):
            kind = "regular"
        host = hosts[turn % n_users]
        turn += 1
        seeder.make(kind, host, turn, anchor)
    return SeedSummary(
        user_ids=tuple(h.id for h in hosts),
        team_ids=(sales.id,),
        event_type_ids=tuple(event_type_ids),
        booking_uids=tuple(seeder.uids),
        kinds={k: tuple(v) for k, v in seeder.kinds.items()},
    )
