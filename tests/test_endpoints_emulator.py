"""Every operation against the in-memory emulator over real HTTP.

The emulator (``calbookings_async.testing``) is an independent implementation of the server: it
validates request bodies and query strings the way the live server does (whitelists,
class-validator rules) and answers in the live shapes. A body or query the SDK got wrong shows
up here as a 400, where the MockTransport tests would accept it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from calbookings_async import (
    AddAttendeeInput,
    AttendeePhoneLocation,
    BadRequestError,
    BookerScope,
    Booking,
    BookingListStatus,
    BookingReferenceType,
    BookingStatus,
    CalBookings,
    CreateBookingAttendee,
    CreateBookingInput,
    Guest,
    IntegrationLocation,
    Language,
    MarkAbsentAttendee,
    NotFoundError,
    RecurringBooking,
    ReportReason,
    RoutingTrace,
    SeatedBooking,
    SortOrder,
    UpdateLinkLocation,
)
from calbookings_async.testing import CalEmulator, SeedSummary

ORG_ID = 1


@pytest.fixture
async def world() -> AsyncIterator[tuple[CalBookings, SeedSummary, CalEmulator]]:
    async with CalEmulator(seed=5, rate_limit=None) as emulator:
        summary = emulator.seed(bookings=300)
        async with CalBookings(api_key=emulator.api_key, base_url=emulator.base_url) as cal:
            yield cal, summary, emulator


async def test_reads(world: Any) -> None:
    cal, summary, _ = world
    uid = summary.kinds["regular"][0]
    booking = await cal.bookings.get(uid)
    assert isinstance(booking, Booking)
    assert booking.uid == uid
    links = await cal.bookings.calendar_links(uid)
    assert {link.label for link in links} >= {"Google Calendar", "ICS"}
    references = await cal.bookings.references(uid)
    calendar_only = await cal.bookings.references(uid, type=BookingReferenceType.GOOGLE_CALENDAR)
    assert {r.type for r in calendar_only} <= {BookingReferenceType.GOOGLE_CALENDAR}
    assert len(calendar_only) <= len(references)
    with pytest.raises(NotFoundError):
        await cal.bookings.get("no/such uid?")


async def test_video_records_of_a_past_cal_video_meeting(world: Any) -> None:
    cal, _, _ = world
    async for booking in cal.bookings.list(status=BookingListStatus.PAST, take=100):
        recordings = await cal.bookings.recordings(booking.uid)
        if recordings:
            break
    else:
        pytest.fail("the seeded data has no past Cal Video meeting")
    assert recordings[0].started_at is not None
    transcripts = await cal.bookings.transcripts(booking.uid)
    assert transcripts
    assert all(url.startswith("https://") for url in transcripts)
    (session,) = await cal.bookings.conferencing_sessions(booking.uid)
    assert session.participants
    assert session.started_at == recordings[0].started_at


async def test_recurring_series_and_seats(world: Any) -> None:
    cal, summary, _ = world
    occurrence = await cal.bookings.get(summary.kinds["recurring"][0])
    assert isinstance(occurrence, RecurringBooking)
    series = await cal.bookings.get(occurrence.recurring_booking_uid)
    assert isinstance(series, RecurringBooking)
    assert series.recurring_booking_uid == occurrence.recurring_booking_uid
    assert len(series.occurrences) > 1
    assert all(isinstance(item, RecurringBooking) for item in series.occurrences)
    assert occurrence.uid in {item.uid for item in series.occurrences}
    seated = await cal.bookings.get(summary.kinds["seated"][0])
    assert isinstance(seated, SeatedBooking)
    seat = seated.attendees[0].seat_uid
    assert seat is not None
    after = await cal.bookings.cancel(seated.uid, seat_uid=seat, reason="cannot come")
    assert isinstance(after, SeatedBooking)
    assert seat not in {a.seat_uid for a in after.attendees}


async def test_listing_filters_are_accepted_and_applied(world: Any) -> None:
    cal, summary, _ = world
    upcoming = [
        b
        async for b in cal.bookings.list(
            status=[BookingListStatus.UPCOMING], sort_start=SortOrder.ASC, take=50
        )
    ]
    now = datetime.now(timezone.utc)
    assert upcoming
    assert all(b.end >= now - timedelta(minutes=1) for b in upcoming)
    assert [b.start for b in upcoming] == sorted(b.start for b in upcoming)
    some = upcoming[0]
    by_uid = await cal.bookings.list(booking_uid=some.uid)
    assert [b.uid for b in by_uid] == [some.uid]
    by_email = await cal.bookings.list(attendee_email=some.attendees[0].email, take=250)
    assert some.uid in {b.uid for b in by_email}
    window = await cal.bookings.list(
        after_start=some.start - timedelta(seconds=1),
        before_end=some.end + timedelta(seconds=1),
        event_type_ids=[some.event_type.id] if some.event_type else None,
        take=250,
    )
    assert some.uid in {b.uid for b in window}
    everything = await cal.organizations.bookings(
        ORG_ID, user_ids=list(summary.user_ids), sort_updated_at=SortOrder.DESC, take=1
    )
    assert everything.pagination.total_items > 0
    team = await cal.organizations.team_bookings(ORG_ID, summary.team_ids[0], take=5)
    assert len(team) <= 5
    if team.items:
        await cal.organizations.team_booking_references(
            ORG_ID, summary.team_ids[0], team.items[0].uid
        )
    mine = await cal.organizations.user_bookings(ORG_ID, summary.user_ids[0], take=5)
    assert all(summary.user_ids[0] in {h.id for h in b.hosts} for b in mine)


async def test_writes(world: Any) -> None:
    cal, summary, _ = world
    pending = summary.kinds["pending"]
    confirmed = await cal.bookings.confirm(pending[0])
    assert isinstance(confirmed, Booking)
    assert confirmed.status is BookingStatus.ACCEPTED
    declined = await cal.bookings.decline(pending[1], reason="Host has to take another call")
    assert isinstance(declined, Booking)
    assert declined.status is BookingStatus.REJECTED

    uid = summary.kinds["regular"][3]
    moved = await cal.bookings.update_location(
        uid, UpdateLinkLocation(link="https://meet.example.com/abc")
    )
    assert isinstance(moved, Booking)
    assert moved.location == "https://meet.example.com/abc"
    await cal.bookings.update_location(uid, AttendeePhoneLocation(phone="+37120993151"))
    with_guests = await cal.bookings.add_guests(
        uid, [Guest(email="new.guest@example.com", name="New", language=Language.DE)]
    )
    assert isinstance(with_guests, Booking)
    assert "new.guest@example.com" in with_guests.guests

    reassignable = summary.kinds["round_robin"][0]
    result = await cal.bookings.reassign(reassignable)
    assert result.booking_uid == reassignable
    again = await cal.bookings.reassign_to(reassignable, result.reassigned_to.id, reason="x")
    assert again.reassigned_to.id == result.reassigned_to.id

    original = await cal.bookings.get(summary.kinds["regular"][4])
    assert isinstance(original, Booking)
    new = await cal.bookings.reschedule(
        original.uid, start=original.start + timedelta(days=3, hours=2), reason="moved"
    )
    assert new.uid != original.uid
    assert new.rescheduled_from_uid == original.uid

    cancelled = await cal.bookings.cancel(summary.kinds["regular"][5], reason="bye")
    assert isinstance(cancelled, Booking)
    assert cancelled.status is BookingStatus.CANCELLED

    past = await cal.bookings.list(status=BookingListStatus.PAST, take=1)
    if past.items:
        absent = await cal.bookings.mark_absent(
            past.items[0].uid,
            host=False,
            attendees=[MarkAbsentAttendee(email=past.items[0].attendees[0].email, absent=True)],
        )
        assert absent.attendees[0].absent is True


async def test_create(world: Any) -> None:
    cal, summary, _ = world
    event_type = (await cal.bookings.get(summary.kinds["regular"][0])).event_type
    assert event_type is not None
    start = (datetime.now(timezone.utc) + timedelta(days=60)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    created = await cal.bookings.create(
        CreateBookingInput(
            start=start,
            event_type_id=event_type.id,
            attendee=CreateBookingAttendee(
                name="Ann Example",
                email="ann@example.com",
                time_zone="Europe/Paris",
                language=Language.FR,
            ),
            guests=["guest@example.com"],
            metadata={"source": "sdk-test", "attempt": 1},
            booking_fields_responses={"notes": "first visit"},
            location=IntegrationLocation(integration="cal-video"),
        )
    )
    assert isinstance(created, Booking)
    assert created.start == start
    assert created.metadata["source"] == "sdk-test"
    assert created.attendees[0].language == "fr"


# --- the operations published since January 2026 -------------------------------------------------


async def test_attendees_are_added_read_and_removed(world: Any) -> None:
    cal, summary, _ = world
    uid = summary.kinds["regular"][6]
    before = await cal.bookings.attendees(uid)
    booker = before[0]
    added = await cal.bookings.add_attendee(
        uid,
        AddAttendeeInput(
            email="second@example.com", name="Second", time_zone="Europe/Riga", language="lv"
        ),
    )
    assert added.email == "second@example.com"
    assert added.booking_id is not None
    assert added.id not in {a.id for a in before}
    assert (await cal.bookings.attendee(uid, added.id)).email == "second@example.com"
    assert [a.id for a in await cal.bookings.attendees(uid)] == [*(a.id for a in before), added.id]
    removed = await cal.bookings.remove_attendee(uid, added.id)
    assert removed.id == added.id
    assert [a.id for a in await cal.bookings.attendees(uid)] == [a.id for a in before]
    with pytest.raises(NotFoundError):
        await cal.bookings.attendee(uid, added.id)
    with pytest.raises(BadRequestError):  # the booker cannot be removed
        await cal.bookings.remove_attendee(uid, booker.id)
    with pytest.raises(BadRequestError):  # a seated booking takes seats, not attendees
        await cal.bookings.add_attendee(
            summary.kinds["seated"][0],
            AddAttendeeInput(email="third@example.com", name="Third", time_zone="UTC"),
        )


async def test_a_seat_finds_its_booking(world: Any) -> None:
    cal, summary, _ = world
    seated = await cal.bookings.get(summary.kinds["seated"][1])
    assert isinstance(seated, SeatedBooking)
    seat = seated.attendees[0].seat_uid
    assert seat is not None
    found = await cal.bookings.get_by_seat(seat)
    assert isinstance(found, SeatedBooking)
    assert found.uid == seated.uid


async def test_requesting_a_reschedule_cancels_the_booking_once(world: Any) -> None:
    cal, summary, _ = world
    uid = summary.kinds["regular"][7]
    assert await cal.bookings.request_reschedule(uid, reason="Host is travelling") is None
    after = await cal.bookings.get(uid)
    assert after.status is BookingStatus.CANCELLED
    assert after.cancellation_reason == "Host is travelling"
    with pytest.raises(BadRequestError):
        await cal.bookings.request_reschedule(uid)


async def test_routing_trace(world: Any) -> None:
    cal, summary, _ = world
    trace = await cal.bookings.routing_trace(summary.kinds["round_robin"][1])
    assert isinstance(trace, RoutingTrace)


async def test_email_verification(world: Any) -> None:
    cal, _, emulator = world
    assert isinstance(await cal.bookings.email_verification_required("ann@example.com"), bool)
    assert await cal.bookings.send_email_verification_code("ann@example.com") is True
    with pytest.raises(BadRequestError):
        await cal.bookings.verify_email_code("ann@example.com", "not the code")
    code = emulator.verification_code("ann@example.com")
    assert code is not None
    assert await cal.bookings.verify_email_code("ann@example.com", code) is True


async def test_report_and_block_cancel_the_bookers_upcoming_bookings(world: Any) -> None:
    cal, _, _ = world
    upcoming = await cal.organizations.bookings(ORG_ID, status=[BookingListStatus.UPCOMING], take=2)
    first, second = upcoming.items
    report = await cal.organizations.report_booking(
        ORG_ID, first.uid, reason=ReportReason.SPAM, report_type=BookerScope.EMAIL
    )
    assert report.booking_uid == first.uid
    assert report.cancelled_count >= 1
    assert (await cal.bookings.get(first.uid)).status is BookingStatus.CANCELLED
    block = await cal.organizations.block_booking(ORG_ID, second.uid, block_type=BookerScope.EMAIL)
    assert block.booking_uid == second.uid
    assert block.blocked_value == second.attendees[0].email
    assert (await cal.bookings.get(second.uid)).status is BookingStatus.CANCELLED
