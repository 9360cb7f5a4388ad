"""Idempotency keys against the emulator: each unsafe write applied once per key.

The emulator applies a write and then loses its answer (``FaultKind.DROP_AFTER``), or answers
normally; the journal is a :class:`MemoryJournal` or a :class:`SQLiteJournal` file. After each
scenario the emulator's ledger says how many times each write was applied.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from calbookings_async import (
    IDEMPOTENCY_METADATA_KEY,
    AddAttendeeInput,
    CalBookings,
    CreateBookingAttendee,
    CreateBookingInput,
    CreateInstantBookingInput,
    CreateRecurringBookingInput,
    Guest,
    InvalidArgumentError,
    MemoryJournal,
    RetryPolicy,
    SeatedBooking,
    ServerError,
    SQLiteJournal,
    TransportError,
    UnsettledWriteError,
)
from calbookings_async.testing import CalEmulator, FaultKind

START = (datetime.now(timezone.utc) + timedelta(days=3)).replace(
    hour=9, minute=0, second=0, microsecond=0
)
CREATE = "POST /v2/bookings"


@pytest.fixture
async def emu() -> AsyncIterator[CalEmulator]:
    async with CalEmulator(seed=3, rate_limit=None) as emulator:
        yield emulator


def _client(emu: CalEmulator, journal: Any, **options: Any) -> CalBookings:
    options.setdefault("retry", RetryPolicy.disabled())
    return CalBookings(
        api_key=emu.api_key, base_url=emu.base_url, journal=journal, pacing=False, **options
    )


def _attendee(email: str = "ann@example.org") -> CreateBookingAttendee:
    return CreateBookingAttendee(name="Ann Example", email=email, time_zone="Europe/Paris")


def _applied(emu: CalEmulator, operation: str) -> int:
    return sum(1 for entry in emu.ledger if entry.operation == operation)


async def test_a_repeated_key_returns_the_recorded_booking_without_sending(
    emu: CalEmulator,
) -> None:
    event_type = emu.add_event_type(slug="intro")
    booking = CreateBookingInput(start=START, event_type_id=event_type, attendee=_attendee())
    async with _client(emu, MemoryJournal()) as cal:
        first = await cal.bookings.create(booking, idempotency_key="job-1")
        again = await cal.bookings.create(booking, idempotency_key="job-1")
    assert again.uid == first.uid
    assert (first.replayed, again.replayed) == (False, True)
    assert (first.settled, again.settled) == (False, False)
    assert first.metadata[IDEMPOTENCY_METADATA_KEY] == "job-1"
    assert _applied(emu, "create") == 1


async def test_a_replayed_call_sends_no_request_at_all() -> None:
    """Counted at the transport: the second call with the key makes no request."""
    from _endpoint_helpers import booking_json
    from _helpers import API_KEY

    from calbookings_async.testing import MockTransport, json_response

    start = "2030-01-07T09:00:00.000Z"
    data = booking_json(start=start, metadata={IDEMPOTENCY_METADATA_KEY: "job-1"})
    data["attendees"][0]["email"] = "ann@example.org"
    transport = MockTransport(
        lambda request: json_response(201, {"status": "success", "data": data})
    )
    booking = CreateBookingInput(
        start=datetime(2030, 1, 7, 9, tzinfo=timezone.utc), event_type_id=50, attendee=_attendee()
    )
    async with CalBookings(
        api_key=API_KEY, transport=transport, pacing=False, journal=MemoryJournal()
    ) as cal:
        first = await cal.bookings.create(booking, idempotency_key="job-1")
        again = await cal.bookings.create(booking, idempotency_key="job-1")
    assert len(transport.requests) == 1
    assert again.uid == first.uid
    assert again.replayed is True


async def test_another_request_under_the_same_key_is_refused_naming_the_key(
    emu: CalEmulator,
) -> None:
    event_type = emu.add_event_type(slug="intro")
    booking = CreateBookingInput(start=START, event_type_id=event_type, attendee=_attendee())
    other = CreateBookingInput(
        start=START + timedelta(hours=1), event_type_id=event_type, attendee=_attendee()
    )
    async with _client(emu, MemoryJournal()) as cal:
        await cal.bookings.create(booking, idempotency_key="job-1")
        with pytest.raises(InvalidArgumentError) as caught:
            await cal.bookings.create(other, idempotency_key="job-1")
    assert caught.value.argument == "idempotency_key"
    assert "'job-1'" in str(caught.value)
    assert _applied(emu, "create") == 1


@pytest.mark.parametrize("kind", ["regular", "seated", "recurring", "instant"])
async def test_a_create_whose_answer_was_lost_is_settled_by_its_key(
    emu: CalEmulator, kind: str, tmp_path: Path
) -> None:
    """The write is applied, its answer lost: the read-back finds the booking by the key."""
    booking: Any
    if kind == "regular":
        event_type = emu.add_event_type(slug="intro")
        booking = CreateBookingInput(start=START, event_type_id=event_type, attendee=_attendee())
    elif kind == "seated":
        event_type = emu.add_event_type(slug="class", seats=5)
        # Someone else holds a seat already: the key is on the new seat, not on the booking.
        emu.add_booking(event_type_id=event_type, start=START, attendee_email="first@example.org")
        booking = CreateBookingInput(start=START, event_type_id=event_type, attendee=_attendee())
    elif kind == "recurring":
        event_type = emu.add_event_type(slug="weekly", recurrence=3)
        booking = CreateRecurringBookingInput(
            start=START, event_type_id=event_type, attendee=_attendee(), recurrence_count=3
        )
    else:
        host = emu.add_user(name="Hana Host", username="hana")
        team = emu.add_team(slug="sales")
        event_type = emu.add_event_type(
            slug="now", team_id=team, scheduling_type="ROUND_ROBIN", host_ids=[host]
        )
        booking = CreateInstantBookingInput(
            start=START, event_type_id=event_type, attendee=_attendee()
        )
    emu.faults.inject(FaultKind.DROP_AFTER, route=CREATE, times=1)
    async with SQLiteJournal(tmp_path / "journal.sqlite3") as journal, _client(emu, journal) as cal:
        settled = await cal.bookings.create(booking, idempotency_key=f"job-{kind}")
        again = await cal.bookings.create(booking, idempotency_key=f"job-{kind}")
    assert settled.settled is True
    assert again.replayed is True
    assert again.uid == settled.uid
    assert _applied(emu, "create") == 1
    assert emu.ledger.duplicates() == {}
    if kind == "seated":
        assert isinstance(settled, SeatedBooking)
        assert settled.seat_uid
    if kind == "recurring":
        assert len(settled.occurrences) == 3
        assert len(again.occurrences) == 3


async def test_a_crash_between_send_and_outcome_is_settled_before_sending_again(
    emu: CalEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entry left ``sent`` (the process died): the next call reads back first; a write that
    is absent is then sent, one that is there is returned."""
    event_type = emu.add_event_type(slug="intro")
    path = tmp_path / "journal.sqlite3"
    applied = CreateBookingInput(start=START, event_type_id=event_type, attendee=_attendee())
    absent = CreateBookingInput(
        start=START + timedelta(hours=2), event_type_id=event_type, attendee=_attendee()
    )
    # A run that claimed both keys and recorded them sent, then died: only the first write
    # reached the server (it is booked here with the key in its metadata).
    from calbookings_async._idempotency import KEY_PREFIX, fingerprint

    async with _client(emu, None) as cal:
        keyed = CreateBookingInput(
            start=START,
            event_type_id=event_type,
            attendee=_attendee(),
            metadata={IDEMPOTENCY_METADATA_KEY: "crash-1"},
        )
        booked = await cal.bookings.create(keyed)
    from calbookings_async._converter import unstructure

    # The dead run's leases are short, so that they have run out when the next run comes
    # (its process is this one, still alive: the lease is what lets the entries go).
    monkeypatch.setattr("calbookings_async._journal.LEASE", 0.01)
    async with SQLiteJournal(path) as dead:
        for key, booking in (("crash-1", applied), ("crash-2", absent)):
            body = unstructure(booking)
            body["metadata"] = {IDEMPOTENCY_METADATA_KEY: key}
            digest = fingerprint("bookings.create", "/v2/bookings", body)
            claim = await dead.claim(KEY_PREFIX + key, digest, lease=0.01)
            await dead.record(KEY_PREFIX + key, "sent", token=claim.token)
    monkeypatch.undo()
    await asyncio.sleep(0.05)  # the dead run's lease runs out
    async with SQLiteJournal(path) as journal, _client(emu, journal) as cal:
        found = await cal.bookings.create(applied, idempotency_key="crash-1")
        sent = await cal.bookings.create(absent, idempotency_key="crash-2")
    assert found.uid == booked.uid
    assert found.settled is True
    assert sent.settled is False
    assert _applied(emu, "create") == 2
    assert emu.ledger.duplicates() == {}


async def test_a_read_back_that_fails_sends_nothing_and_says_so(
    emu: CalEmulator,
) -> None:
    event_type = emu.add_event_type(slug="intro")
    booking = CreateBookingInput(start=START, event_type_id=event_type, attendee=_attendee())
    journal = MemoryJournal()
    emu.faults.inject(FaultKind.DROP_AFTER, route=CREATE, times=1)
    emu.faults.inject(FaultKind.HTTP_503, route="GET /v2/bookings", times=1)
    async with _client(emu, journal) as cal:
        with pytest.raises(TransportError) as caught:
            await cal.bookings.create(booking, idempotency_key="job-1")
        assert caught.value.may_have_been_applied is True
        # The next call reads back first, while the listing is still failing: nothing sent.
        emu.faults.inject(FaultKind.HTTP_503, route="GET /v2/bookings", times=1)
        with pytest.raises(UnsettledWriteError) as unsettled:
            await cal.bookings.create(booking, idempotency_key="job-1")
        assert unsettled.value.may_have_been_applied is True
        assert unsettled.value.key == "job-1"
        # Then the read-back answers: the booking is found, not booked again.
        settled = await cal.bookings.create(booking, idempotency_key="job-1")
    assert settled.settled is True
    assert _applied(emu, "create") == 1


async def test_reschedule_add_guests_add_attendee_and_reassign_settle_by_key(
    emu: CalEmulator,
) -> None:
    event_type = emu.add_event_type(slug="intro")
    uids = [
        emu.add_booking(
            event_type_id=event_type,
            start=START + timedelta(hours=n),
            attendee_email=f"a{n}@example.org",
        )
        for n in range(3)
    ]
    host = emu.add_user(name="Hana Host", username="hana")
    other = emu.add_user(name="Olga Other", username="olga", email="olga@example.org")
    team = emu.add_team(slug="sales")
    round_robin = emu.add_event_type(
        slug="rr", team_id=team, scheduling_type="ROUND_ROBIN", host_ids=[host, other]
    )
    reassignable = emu.add_booking(
        event_type_id=round_robin, start=START + timedelta(hours=5), host_id=host
    )
    new_start = START + timedelta(days=1)
    routes = {
        "reschedule": "POST /v2/bookings/{bookingUid}/reschedule",
        "guests": "POST /v2/bookings/{bookingUid}/guests",
        "attendee": "POST /v2/bookings/{bookingUid}/attendees",
        "reassign": "POST /v2/bookings/{bookingUid}/reassign",
    }
    for route in routes.values():
        emu.faults.inject(FaultKind.DROP_AFTER, route=route, times=1)
    async with _client(emu, MemoryJournal()) as cal:
        moved = await cal.bookings.reschedule(uids[0], start=new_start, idempotency_key="r")
        guests = await cal.bookings.add_guests(
            uids[1], [Guest(email="g@example.org", name="G")], idempotency_key="g"
        )
        added = await cal.bookings.add_attendee(
            uids[2],
            AddAttendeeInput(name="Al", email="al@example.org", time_zone="Europe/Paris"),
            idempotency_key="a",
        )
        handed = await cal.bookings.reassign(reassignable, idempotency_key="h")
        results = [moved, guests, added, handed]
        assert [r.settled for r in results] == [True] * 4
        again = [
            await cal.bookings.reschedule(uids[0], start=new_start, idempotency_key="r"),
            await cal.bookings.add_guests(
                uids[1], [Guest(email="g@example.org", name="G")], idempotency_key="g"
            ),
            await cal.bookings.add_attendee(
                uids[2],
                AddAttendeeInput(name="Al", email="al@example.org", time_zone="Europe/Paris"),
                idempotency_key="a",
            ),
            await cal.bookings.reassign(reassignable, idempotency_key="h"),
        ]
    assert [r.replayed for r in again] == [True] * 4
    assert moved.rescheduled_from_uid == uids[0]
    assert again[0].uid == moved.uid
    assert "g@example.org" in guests.guests
    assert added.email == "al@example.org"
    assert handed.reassigned_to.id == other
    assert again[3].reassigned_to.id == other
    assert emu.ledger.duplicates() == {}
    for operation in ("reschedule", "add_guests", "add_attendee", "reassign"):
        assert _applied(emu, operation) == 1, operation


async def test_two_callers_with_one_key_at_once_send_once(emu: CalEmulator) -> None:
    event_type = emu.add_event_type(slug="intro")
    booking = CreateBookingInput(start=START, event_type_id=event_type, attendee=_attendee())
    journal = MemoryJournal()
    async with _client(emu, journal) as cal:
        results = await asyncio.gather(
            *(cal.bookings.create(booking, idempotency_key="job-1") for _ in range(5))
        )
    assert len({r.uid for r in results}) == 1
    assert sum(r.replayed for r in results) == 4
    assert _applied(emu, "create") == 1


async def test_a_definite_failure_is_recorded_and_the_key_may_be_sent_again(
    emu: CalEmulator,
) -> None:
    event_type = emu.add_event_type(slug="intro")
    taken = CreateBookingInput(start=START, event_type_id=event_type, attendee=_attendee())
    async with _client(emu, MemoryJournal()) as cal:
        emu.faults.inject(FaultKind.HTTP_500, route=CREATE, times=1)
        with pytest.raises(ServerError) as caught:
            await cal.bookings.create(taken, idempotency_key="job-1")
        assert caught.value.may_have_been_applied is True  # a 500 may have been applied
        settled_or_sent = await cal.bookings.create(taken, idempotency_key="job-1")
    assert settled_or_sent.settled is False  # the 500 came before the write: read back, absent
    assert _applied(emu, "create") == 1


@pytest.mark.parametrize(
    ("key", "journal", "problem"),
    [
        ("", True, "1 to 200 characters"),
        ("x" * 201, True, "1 to 200 characters"),
        ("line\nbreak", True, "control characters"),
        (42, True, "expected a string"),
        ("job-1", False, "needs a journal"),
    ],
)
async def test_bad_keys_are_refused_before_anything_is_sent(
    emu: CalEmulator, key: Any, journal: bool, problem: str
) -> None:
    event_type = emu.add_event_type(slug="intro")
    booking = CreateBookingInput(start=START, event_type_id=event_type, attendee=_attendee())
    async with _client(emu, MemoryJournal() if journal else None) as cal:
        with pytest.raises(InvalidArgumentError) as caught:
            await cal.bookings.create(booking, idempotency_key=key)
    assert caught.value.argument == "idempotency_key"
    assert problem in str(caught.value)
    assert len(emu.ledger) == 0


async def test_a_key_that_does_not_fit_in_the_metadata_is_refused(emu: CalEmulator) -> None:
    event_type = emu.add_event_type(slug="intro")
    full = {f"k{n}": "v" for n in range(50)}
    booking = CreateBookingInput(
        start=START, event_type_id=event_type, attendee=_attendee(), metadata=full
    )
    clash = CreateBookingInput(
        start=START,
        event_type_id=event_type,
        attendee=_attendee(),
        metadata={IDEMPOTENCY_METADATA_KEY: "other"},
    )
    async with _client(emu, MemoryJournal()) as cal:
        with pytest.raises(InvalidArgumentError, match=r"does not fit in booking\.metadata"):
            await cal.bookings.create(booking, idempotency_key="job-1")
        with pytest.raises(InvalidArgumentError, match=r"differs from booking\.metadata"):
            await cal.bookings.create(clash, idempotency_key="job-1")
    assert len(emu.ledger) == 0


async def test_a_journal_that_cannot_be_opened_is_named_and_nothing_is_sent(
    emu: CalEmulator, tmp_path: Path
) -> None:
    path = tmp_path / "journal.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    event_type = emu.add_event_type(slug="intro")
    booking = CreateBookingInput(start=START, event_type_id=event_type, attendee=_attendee())
    async with SQLiteJournal(path) as journal, _client(emu, journal) as cal:
        with pytest.raises(InvalidArgumentError) as caught:
            await cal.bookings.create(booking, idempotency_key="job-1")
    assert str(path) in str(caught.value)
    assert len(emu.ledger) == 0


async def test_the_journal_and_key_are_refused_where_they_make_no_sense(
    emu: CalEmulator,
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        CalBookings(api_key=emu.api_key, base_url=emu.base_url, journal="journal.sqlite3")  # type: ignore[arg-type]
    assert caught.value.argument == "journal"
    async with _client(emu, None) as cal:
        view = cal.with_options(journal=MemoryJournal())
        event_type = emu.add_event_type(slug="intro")
        booking = CreateBookingInput(start=START, event_type_id=event_type, attendee=_attendee())
        created = await view.bookings.create(booking, idempotency_key="job-1")
        again = await view.bookings.create(booking, idempotency_key="job-1")
    assert again.replayed
    assert again.uid == created.uid
