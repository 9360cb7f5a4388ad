"""The README's recipe for an uncertain write, run against the emulator.

An unsafe write (create, reschedule, add guests) whose connection drops after the server
applied it -- or before the server processed it -- raises an error with
``may_have_been_applied`` true. The recipe reads the state back and tells the two apart; here the
ledger says which one really happened, and the recipe must agree.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

import pytest

from calbookings_async import (
    CalBookings,
    CalError,
    CreateBookingAttendee,
    CreateBookingInput,
    Guest,
    RetryPolicy,
)
from calbookings_async.testing import CalEmulator, FaultKind

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
START = datetime(2026, 3, 9, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
async def emu() -> AsyncIterator[CalEmulator]:
    async with CalEmulator(seed=3, wall_clock=NOW.timestamp, rate_limit=None) as emulator:
        yield emulator
        assert emulator.errors == []


@pytest.fixture
async def cal(emu: CalEmulator) -> AsyncIterator[CalBookings]:
    async with CalBookings(
        api_key=emu.api_key, base_url=emu.base_url, retry=RetryPolicy(attempts=3)
    ) as client:
        yield client


# --- the recipe, as the README shows it --------------------------------------------------------


async def create_was_applied(cal: CalBookings, booking: CreateBookingInput) -> str | None:
    """After an uncertain create: the uid of the booking it made, or None if it made none."""
    assert booking.attendee.email is not None
    page = await cal.bookings.list(
        attendee_email=booking.attendee.email,
        after_start=booking.start - timedelta(minutes=1),
        before_end=booking.start + timedelta(days=1),
        take=250,
    )
    for found in page.items:
        if found.start == booking.start and found.metadata == dict(booking.metadata or {}):
            return found.uid
    return None


async def reschedule_was_applied(cal: CalBookings, old_uid: str) -> str | None:
    """After an uncertain reschedule: the new booking's uid, or None if it did not happen."""
    old = await cal.bookings.get(old_uid)
    assert not isinstance(old, list)
    return old.rescheduled_to_uid


async def guests_were_added(cal: CalBookings, uid: str, guests: list[Guest]) -> bool:
    """After an uncertain add-guests: whether every guest is on the booking now."""
    booking = await cal.bookings.get(uid)
    assert not isinstance(booking, list)
    emails = {attendee.email for attendee in booking.attendees}
    return all(guest.email in emails for guest in guests)


# --- each uncertain write, applied and not applied -----------------------------------------------


@pytest.mark.parametrize("fault", [FaultKind.DROP_AFTER, FaultKind.DROP_BEFORE, FaultKind.HTTP_502])
async def test_an_uncertain_create(emu: CalEmulator, cal: CalBookings, fault: FaultKind) -> None:
    event_type = emu.add_event_type(slug="intro")
    booking = CreateBookingInput(
        start=START,
        event_type_id=event_type,
        attendee=CreateBookingAttendee(name="Ann", email="ann@example.com", time_zone="UTC"),
        metadata={"order": "A-42"},
    )
    emu.faults.inject(fault, route="POST /v2/bookings")
    with pytest.raises(CalError) as caught:
        await cal.bookings.create(booking)
    assert caught.value.may_have_been_applied is True
    found = await create_was_applied(cal, booking)
    applied = [entry.uids[0] for entry in emu.ledger if entry.operation == "create"]
    assert (found is not None) == (fault is FaultKind.DROP_AFTER)
    assert applied == ([found] if found else [])
    if found is None:  # safe to create it now, exactly once
        await cal.bookings.create(booking)
    assert await create_was_applied(cal, booking) is not None
    assert not emu.ledger.duplicates()


@pytest.mark.parametrize("fault", [FaultKind.DROP_AFTER, FaultKind.DROP_BEFORE])
async def test_an_uncertain_reschedule(
    emu: CalEmulator, cal: CalBookings, fault: FaultKind
) -> None:
    event_type = emu.add_event_type(slug="intro")
    uid = emu.add_booking(event_type_id=event_type, start=START)
    emu.faults.inject(fault, route="POST /v2/bookings/{bookingUid}/reschedule")
    with pytest.raises(CalError) as caught:
        await cal.bookings.reschedule(uid, start=START + timedelta(days=1))
    assert caught.value.may_have_been_applied is True
    new_uid = await reschedule_was_applied(cal, uid)
    applied = [entry.uids for entry in emu.ledger if entry.operation == "reschedule"]
    assert applied == ([(uid, new_uid)] if new_uid else [])
    assert (new_uid is not None) == (fault is FaultKind.DROP_AFTER)


@pytest.mark.parametrize("fault", [FaultKind.DROP_AFTER, FaultKind.DROP_BEFORE])
async def test_uncertain_add_guests(emu: CalEmulator, cal: CalBookings, fault: FaultKind) -> None:
    event_type = emu.add_event_type(slug="intro")
    uid = emu.add_booking(event_type_id=event_type, start=START)
    guests = [Guest(email="cto@example.com", name="CTO")]
    emu.faults.inject(fault, route="POST /v2/bookings/{bookingUid}/guests")
    with pytest.raises(CalError) as caught:
        await cal.bookings.add_guests(uid, guests)
    assert caught.value.may_have_been_applied is True
    added = await guests_were_added(cal, uid, guests)
    assert added == (emu.ledger.count("add_guests", uid) == 1)
    assert added == (fault is FaultKind.DROP_AFTER)
