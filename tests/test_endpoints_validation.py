"""Bad arguments are refused before anything is sent, with an error naming the argument.

Each row calls one method (or builds one input) with one bad value and expects
``InvalidArgumentError`` whose ``argument`` names what the caller wrote: the keyword argument
of a method (``take``, ``guests[2]``), or ``Class.field`` of an input class. Nothing may reach the
network.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

import pytest
from _endpoint_helpers import MockAPI
from hypothesis import given, settings
from hypothesis import strategies as st

from calbookings_async import (
    AddressLocation,
    AttendeeAddressLocation,
    BookingListStatus,
    CalBookings,
    CreateBookingAttendee,
    CreateBookingInput,
    CreateBookingRouting,
    CreateRecurringBookingInput,
    Guest,
    IntegrationLocation,
    InvalidArgumentError,
    MarkAbsentAttendee,
    UpdateLinkLocation,
)
from calbookings_async._validate import check_uid

UTC = timezone.utc
START = datetime(2024, 8, 13, 9, 0, tzinfo=UTC)
NAIVE = datetime(2024, 8, 13, 9, 0)
ATTENDEE = CreateBookingAttendee(name="Ann", time_zone="UTC", email="ann@example.com")
GUEST = Guest(email="g@example.com")


def create(**fields: Any) -> CreateBookingInput:
    values: dict[str, Any] = {"start": START, "attendee": ATTENDEE, "event_type_id": 1}
    values.update(fields)
    return CreateBookingInput(**values)


Call = Callable[[CalBookings], Any]

METHOD_ROWS: list[tuple[str, Call, str]] = [
    # paging arguments
    ("take-0", lambda cal: cal.bookings.list(take=0), "take"),
    ("take-251", lambda cal: cal.bookings.list(take=251), "take"),
    ("take-str", lambda cal: cal.bookings.list(take="10"), "take"),
    ("skip-negative", lambda cal: cal.bookings.list(skip=-1), "skip"),
    ("concurrency-0", lambda cal: cal.bookings.list(concurrency=0), "concurrency"),
    ("org-take-251", lambda cal: cal.organizations.bookings(1, take=251), "take"),
    ("team-skip-negative", lambda cal: cal.organizations.team_bookings(1, 2, skip=-5), "skip"),
    ("user-take-0", lambda cal: cal.organizations.user_bookings(1, 2, take=0), "take"),
    # filters
    ("naive-after-start", lambda cal: cal.bookings.list(after_start=NAIVE), "after_start"),
    (
        "naive-before-updated",
        lambda cal: cal.bookings.list(before_updated_at=NAIVE),
        "before_updated_at",
    ),
    ("date-not-datetime", lambda cal: cal.bookings.list(before_end="2025-01-01"), "before_end"),
    ("unknown-status", lambda cal: cal.bookings.list(status="soon"), "status"),
    (
        "unknown-status-in-list",
        lambda cal: cal.bookings.list(status=[BookingListStatus.PAST, "soon"]),
        "status[1]",
    ),
    ("empty-status", lambda cal: cal.bookings.list(status=[]), "status"),
    ("unknown-sort", lambda cal: cal.bookings.list(sort_start="up"), "sort_start"),
    ("unknown-sort-updated", lambda cal: cal.bookings.list(sort_updated_at=1), "sort_updated_at"),
    ("empty-event-type-ids", lambda cal: cal.bookings.list(event_type_ids=[]), "event_type_ids"),
    (
        "string-event-type-id-in-list",
        lambda cal: cal.bookings.list(event_type_ids=[1, "2"]),
        "event_type_ids[1]",
    ),
    (
        "event-type-ids-as-string",
        lambda cal: cal.bookings.list(event_type_ids="1,2"),
        "event_type_ids",
    ),
    ("team-id-zero", lambda cal: cal.bookings.list(team_id=0), "team_id"),
    ("bool-event-type-id", lambda cal: cal.bookings.list(event_type_id=True), "event_type_id"),
    ("empty-attendee-email", lambda cal: cal.bookings.list(attendee_email=" "), "attendee_email"),
    ("crlf-attendee-name", lambda cal: cal.bookings.list(attendee_name="a\r\nb"), "attendee_name"),
    ("user-ids-negative", lambda cal: cal.organizations.bookings(1, user_ids=[-1]), "user_ids[0]"),
    ("org-id-zero", lambda cal: cal.organizations.bookings(0), "org_id"),
    ("org-id-string", lambda cal: cal.organizations.user_bookings("1", 2), "org_id"),
    ("team-id-path", lambda cal: cal.organizations.team_bookings(1, None), "team_id"),
    ("user-id-path", lambda cal: cal.organizations.user_bookings(1, 1.5), "user_id"),
    # uids
    ("get-empty-uid", lambda cal: cal.bookings.get(""), "booking_uid"),
    ("get-blank-uid", lambda cal: cal.bookings.get("   "), "booking_uid"),
    ("get-crlf-uid", lambda cal: cal.bookings.get("a\r\nHost: evil"), "booking_uid"),
    ("get-none-uid", lambda cal: cal.bookings.get(None), "booking_uid"),
    ("recordings-empty-uid", lambda cal: cal.bookings.recordings(""), "booking_uid"),
    ("transcripts-empty-uid", lambda cal: cal.bookings.transcripts(""), "booking_uid"),
    (
        "reschedule-empty-uid",
        lambda cal: cal.bookings.reschedule("", start=START),
        "booking_uid",
    ),
    ("cancel-empty-uid", lambda cal: cal.bookings.cancel(""), "booking_uid"),
    ("mark-absent-empty-uid", lambda cal: cal.bookings.mark_absent("", host=True), "booking_uid"),
    ("reassign-empty-uid", lambda cal: cal.bookings.reassign(""), "booking_uid"),
    ("reassign-to-empty-uid", lambda cal: cal.bookings.reassign_to("", 1), "booking_uid"),
    ("confirm-empty-uid", lambda cal: cal.bookings.confirm(""), "booking_uid"),
    ("decline-empty-uid", lambda cal: cal.bookings.decline(""), "booking_uid"),
    ("links-empty-uid", lambda cal: cal.bookings.calendar_links(""), "booking_uid"),
    ("references-empty-uid", lambda cal: cal.bookings.references(""), "booking_uid"),
    ("sessions-empty-uid", lambda cal: cal.bookings.conferencing_sessions(""), "booking_uid"),
    (
        "update-location-empty-uid",
        lambda cal: cal.bookings.update_location("", UpdateLinkLocation(link="https://x.io")),
        "booking_uid",
    ),
    ("add-guests-empty-uid", lambda cal: cal.bookings.add_guests("", [GUEST]), "booking_uid"),
    (
        "org-references-empty-uid",
        lambda cal: cal.organizations.team_booking_references(1, 2, ""),
        "booking_uid",
    ),
    # per-method arguments
    ("create-not-an-input", lambda cal: cal.bookings.create({"start": "x"}), "booking"),
    ("reschedule-naive", lambda cal: cal.bookings.reschedule("u", start=NAIVE), "start"),
    (
        "reschedule-bad-email",
        lambda cal: cal.bookings.reschedule("u", start=START, rescheduled_by="nope"),
        "rescheduled_by",
    ),
    (
        "reschedule-seat-with-reason",
        lambda cal: cal.bookings.reschedule("u", start=START, seat_uid="s", reason="r"),
        "reason",
    ),
    (
        "reschedule-empty-seat",
        lambda cal: cal.bookings.reschedule("u", start=START, seat_uid=""),
        "seat_uid",
    ),
    ("cancel-reason-not-text", lambda cal: cal.bookings.cancel("u", reason=5), "reason"),
    (
        "cancel-subsequent-not-bool",
        lambda cal: cal.bookings.cancel("u", cancel_subsequent_bookings="yes"),
        "cancel_subsequent_bookings",
    ),
    (
        "cancel-seat-and-subsequent",
        lambda cal: cal.bookings.cancel("u", seat_uid="s", cancel_subsequent_bookings=True),
        "cancel_subsequent_bookings",
    ),
    ("reassign-to-user-zero", lambda cal: cal.bookings.reassign_to("u", 0), "user_id"),
    ("reassign-to-user-string", lambda cal: cal.bookings.reassign_to("u", "7"), "user_id"),
    ("reassign-to-reason", lambda cal: cal.bookings.reassign_to("u", 7, reason=b"x"), "reason"),
    (
        "references-unknown-type",
        lambda cal: cal.bookings.references("u", type="teams_video"),
        "type",
    ),
    (
        "org-references-unknown-type",
        lambda cal: cal.organizations.team_booking_references(1, 2, "u", type="x"),
        "type",
    ),
    (
        "update-location-create-variant",
        lambda cal: cal.bookings.update_location("u", AddressLocation()),
        "location",
    ),
    (
        "update-location-dict",
        lambda cal: cal.bookings.update_location("u", {"type": "link"}),
        "location",
    ),
    ("add-guests-none", lambda cal: cal.bookings.add_guests("u", []), "guests"),
    ("add-guests-eleven", lambda cal: cal.bookings.add_guests("u", [GUEST] * 11), "guests"),
    (
        "add-guests-not-a-guest",
        lambda cal: cal.bookings.add_guests("u", [GUEST, GUEST, "x@example.com"]),
        "guests[2]",
    ),
    ("add-guests-a-string", lambda cal: cal.bookings.add_guests("u", "x@example.com"), "guests"),
]


@pytest.fixture
def api() -> MockAPI:
    return MockAPI()


@pytest.fixture
async def cal(api: MockAPI) -> AsyncIterator[CalBookings]:
    async with api.client() as client:
        yield client


@pytest.mark.parametrize(
    ("call", "argument"), [r[1:] for r in METHOD_ROWS], ids=[r[0] for r in METHOD_ROWS]
)
async def test_bad_arguments_are_refused_before_sending(
    api: MockAPI, cal: CalBookings, call: Call, argument: str
) -> None:
    async def attempt() -> None:
        result = call(cal)
        if inspect.isawaitable(result):
            await result

    with pytest.raises(InvalidArgumentError) as raised:
        await attempt()
    assert api.sent == []
    assert raised.value.argument == argument


def test_ten_guests_are_accepted() -> None:
    # The limit is 10 per request: 10 is fine (checked without sending).
    from calbookings_async._inputs import AddGuestsInput

    assert len(AddGuestsInput(guests=[GUEST] * 10).guests) == 10


INPUT_ROWS: list[tuple[str, Callable[[], Any], str]] = [
    ("create-naive-start", lambda: create(start=NAIVE), "CreateBookingInput.start"),
    (
        "create-start-string",
        lambda: create(start="2024-08-13T09:00:00Z"),
        "CreateBookingInput.start",
    ),
    ("create-attendee-dict", lambda: create(attendee={"name": "x"}), "CreateBookingInput.attendee"),
    (
        "create-no-event-type",
        lambda: CreateBookingInput(start=START, attendee=ATTENDEE),
        "CreateBookingInput.event_type_id",
    ),
    (
        "create-slug-without-owner",
        lambda: CreateBookingInput(start=START, attendee=ATTENDEE, event_type_slug="x"),
        "CreateBookingInput.event_type_id",
    ),
    (
        "recurring-no-event-type",
        lambda: CreateRecurringBookingInput(start=START, attendee=ATTENDEE),
        "CreateRecurringBookingInput.event_type_id",
    ),
    (
        "create-bad-guest-email",
        lambda: create(guests=["ok@example.com", "nope"]),
        "CreateBookingInput.guests[1]",
    ),
    (
        "create-length-zero",
        lambda: create(length_in_minutes=0),
        "CreateBookingInput.length_in_minutes",
    ),
    ("create-event-type-zero", lambda: create(event_type_id=0), "CreateBookingInput.event_type_id"),
    (
        "create-location-string",
        lambda: create(location="https://zoom.us/j/1"),
        "CreateBookingInput.location",
    ),
    (
        "create-location-update-variant",
        lambda: create(location=UpdateLinkLocation(link="https://x.io")),
        "CreateBookingInput.location",
    ),
    (
        "recurring-count-zero",
        lambda: CreateRecurringBookingInput(
            start=START, attendee=ATTENDEE, event_type_id=1, recurrence_count=0
        ),
        "CreateRecurringBookingInput.recurrence_count",
    ),
    (
        "metadata-51-keys",
        lambda: create(metadata={f"k{i}": "v" for i in range(51)}),
        "CreateBookingInput.metadata",
    ),
    (
        "metadata-long-key",
        lambda: create(metadata={"k" * 41: "v"}),
        "CreateBookingInput.metadata['" + "k" * 41 + "']",
    ),
    (
        "metadata-long-value",
        lambda: create(metadata={"key": "v" * 501}),
        "CreateBookingInput.metadata['key']",
    ),
    (
        "metadata-nested-value",
        lambda: create(metadata={"key": {"a": 1}}),
        "CreateBookingInput.metadata['key']",
    ),
    (
        "responses-not-a-mapping",
        lambda: create(booking_fields_responses=[("a", 1)]),
        "CreateBookingInput.booking_fields_responses",
    ),
    (
        "attendee-no-contact",
        lambda: CreateBookingAttendee(name="Ann", time_zone="UTC"),
        "CreateBookingAttendee.email",
    ),
    (
        "attendee-bad-email",
        lambda: CreateBookingAttendee(name="Ann", time_zone="UTC", email="ann@"),
        "CreateBookingAttendee.email",
    ),
    (
        "attendee-unknown-language",
        lambda: CreateBookingAttendee(name="Ann", time_zone="UTC", email="a@b.co", language="xx"),
        "CreateBookingAttendee.language",
    ),
    (
        "attendee-empty-name",
        lambda: CreateBookingAttendee(name="", time_zone="UTC", email="a@b.co"),
        "CreateBookingAttendee.name",
    ),
    ("guest-bad-email", lambda: Guest(email="guest"), "Guest.email"),
    (
        "guest-unknown-language",
        lambda: Guest(email="g@example.com", language="klingon"),
        "Guest.language",
    ),
    (
        "integration-unknown",
        lambda: IntegrationLocation(integration="skype"),
        "IntegrationLocation.integration",
    ),
    (
        "attendee-address-empty",
        lambda: AttendeeAddressLocation(address=""),
        "AttendeeAddressLocation.address",
    ),
    (
        "routing-string-member",
        lambda: CreateBookingRouting(response_id=1, team_member_ids=[1, "2"]),
        "CreateBookingRouting.team_member_ids[1]",
    ),
    (
        "routing-bad-email",
        lambda: CreateBookingRouting(response_id=1, team_member_ids=[], team_member_email="x"),
        "CreateBookingRouting.team_member_email",
    ),
    (
        "mark-absent-bad-email",
        lambda: MarkAbsentAttendee(email="x", absent=True),
        "MarkAbsentAttendee.email",
    ),
]


@pytest.mark.parametrize(
    ("build", "argument"), [r[1:] for r in INPUT_ROWS], ids=[r[0] for r in INPUT_ROWS]
)
def test_bad_input_fields_are_refused_where_they_are_written(
    build: Callable[[], Any], argument: str
) -> None:
    with pytest.raises(InvalidArgumentError) as raised:
        build()
    assert raised.value.argument == argument


def test_the_type_discriminator_cannot_be_set_by_the_caller() -> None:
    with pytest.raises(TypeError):
        AddressLocation(type="link")  # type: ignore[call-arg]


def test_inputs_copy_mutable_arguments() -> None:
    metadata = {"key": "value"}
    guests = ["a@example.com"]
    booking = create(metadata=metadata, guests=guests)
    metadata["key"] = "changed"
    guests.append("b@example.com")
    assert booking.metadata == {"key": "value"}
    assert booking.guests == ("a@example.com",)


def test_enum_values_may_be_given_as_strings() -> None:
    attendee = CreateBookingAttendee(name="Ann", time_zone="UTC", email="a@b.co", language="pt-BR")
    assert attendee.language is not None
    assert attendee.language.name == "PT_BR"
    assert IntegrationLocation(integration="cal-video").integration.name == "CAL_VIDEO"


@settings(max_examples=500)
@given(
    st.text(alphabet=st.sampled_from("aZ09_.~-/?#% é\n\x00\x7f"), max_size=6) | st.text(max_size=6)
)
def test_a_uid_goes_into_the_path_unchanged_exactly_when_it_needs_no_encoding(uid: str) -> None:
    # The fast path (sent as given) must agree with the percent-encoder, and refuse the same.
    control = any(ord(c) < 32 or 127 <= ord(c) < 160 for c in uid)
    try:
        sent = check_uid("booking_uid", uid)
    except InvalidArgumentError:
        assert not uid.strip() or uid in (".", "..") or control
        return
    plain = re.fullmatch(r"[A-Za-z0-9_.~-]+", uid) is not None
    assert sent == (uid if plain else quote(uid, safe=""))
