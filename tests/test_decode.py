"""The decoder: seed responses field by field, the variant dispatch order, leniency, error paths.

Also property tests: random valid bookings survive unstructure -> decode unchanged, and any JSON
value in place of ``data`` either decodes or raises ``DecodeError``, never anything else.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from typing import Any

import _seeds
import attrs
import pytest
from _endpoint_helpers import FakeRequester
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calbookings_async import (
    Attendee,
    Booking,
    BookingHost,
    BookingStatus,
    DecodeError,
    EventType,
    RecurringBooking,
    RecurringSeatedBooking,
    SeatedAttendee,
    SeatedBooking,
)
from calbookings_async._bookings import Bookings
from calbookings_async._converter import converter, format_datetime, parse_datetime
from calbookings_async._decode import about_booking, decode_booking, decode_bookings

UTC = timezone.utc
NBSP_EMAIL = "[email\xa0protected]"  # the seeds' e-mail addresses, obfuscated as published


def seed_data(path: Any = _seeds.DECLINE) -> dict[str, Any]:
    return copy.deepcopy(_seeds.load(path).response["data"])


async def get(data: Any, uid: str = "booking_uid_123") -> Booking:
    """``cal.bookings.get(uid)`` answered with ``data``: the public path of a booking answer."""
    requester = FakeRequester(lambda call: {"status": "success", "data": data})
    return await Bookings(requester).get(uid)


# --- the seeds, field by field -------------------------------------------------------------


@pytest.mark.parametrize("path", [_seeds.DECLINE, _seeds.MARK_ABSENT], ids=["decline", "absent"])
def test_seed_response_decodes_field_by_field(path: Any) -> None:
    booking = decode_booking(seed_data(path))

    assert type(booking) is Booking
    assert booking.id == 123
    assert booking.uid == "booking_uid_123"
    assert booking.title == "Consultation"
    assert booking.description == "Learn how to integrate scheduling into marketplace."
    assert booking.hosts == (
        BookingHost(
            id=1,
            name="Jane Doe",
            email=NBSP_EMAIL,
            username="jane100",
            time_zone="America/Los_Angeles",
        ),
    )
    assert booking.hosts[0].display_email is None  # the seed leaves it out
    assert booking.status is BookingStatus.ACCEPTED
    assert booking.status == "accepted"
    assert booking.cancellation_reason == "User requested cancellation"
    assert booking.cancelled_by_email == NBSP_EMAIL
    assert booking.rescheduling_reason == "User rescheduled the event"
    assert booking.rescheduled_by_email == NBSP_EMAIL
    assert booking.rescheduled_from_uid == "previous_uid_123"
    assert booking.rescheduled_to_uid is None
    assert booking.start == datetime(2024, 8, 13, 15, 30, tzinfo=UTC)
    assert booking.end == datetime(2024, 8, 13, 16, 30, tzinfo=UTC)
    for stamp in (booking.start, booking.end, booking.created_at, booking.updated_at):
        assert stamp is not None
        assert stamp.utcoffset() == timedelta(0)
    assert booking.duration == 60
    assert booking.event_type_id == 50
    assert booking.event_type == EventType(id=1, slug="some-event")
    assert booking.event_type.slug == "some-event"
    assert booking.meeting_url == "https://example.com/recurring-meeting"
    assert booking.location == "https://example.com/meeting"
    assert booking.absent_host is True
    assert booking.created_at == datetime(2024, 8, 13, 15, 30, tzinfo=UTC)
    assert booking.updated_at == datetime(2024, 8, 13, 15, 30, tzinfo=UTC)
    assert booking.metadata == {"key": "value"}
    assert booking.rating == 4
    assert booking.ics_uid is None
    assert booking.attendees == (
        Attendee(
            name="John Doe",
            email=NBSP_EMAIL,
            time_zone="America/New_York",
            phone_number="+919876543210",
            language="it",
        ),
    )
    attendee = booking.attendees[0]
    assert attendee.time_zone == "America/New_York"
    assert attendee.phone_number == "+919876543210"
    assert attendee.absent is False  # not in the seed: the default
    assert booking.guests == (NBSP_EMAIL, NBSP_EMAIL)
    assert booking.booking_fields_responses == {"customField": "customValue"}
    assert booking.is_recurring is False
    assert booking.is_seated is False


async def test_seed_envelope_extras_are_ignored() -> None:
    # The decline seed's envelope carries "error": {} beside the data; nothing breaks.
    envelope = _seeds.load(_seeds.DECLINE).response
    assert envelope["error"] == {}
    requester = FakeRequester(lambda call: copy.deepcopy(envelope))
    assert (await Bookings(requester).decline("booking_uid_123")).uid == "booking_uid_123"


def test_free_form_objects_keep_their_keys_exactly() -> None:
    data = seed_data()
    data["metadata"] = {"Some Key": "v", "snake_key": "w", "camelKey": "x", "": "y"}
    data["bookingFieldsResponses"] = {"displayEmail": "a@b.c", "nested": {"deepKey": [1, 2]}}
    booking = decode_booking(data)
    assert booking.metadata == {"Some Key": "v", "snake_key": "w", "camelKey": "x", "": "y"}
    assert booking.booking_fields_responses == {
        "displayEmail": "a@b.c",
        "nested": {"deepKey": [1, 2]},
    }


def test_models_are_frozen_and_compare_by_value() -> None:
    booking = decode_booking(seed_data())
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        booking.uid = "other"  # type: ignore[misc]
    assert booking == decode_booking(seed_data())
    assert attrs.evolve(booking, title="New").title == "New"
    assert "booking_uid_123" in repr(booking)


# --- the variant dispatch order (API-NOTES §3) ---------------------------------------------


def seated_attendee(seat: str) -> dict[str, Any]:
    return {
        "name": "Seat Holder",
        "email": "seat@example.com",
        "displayEmail": "seat@example.com",
        "timeZone": "Europe/Riga",
        "absent": False,
        "seatUid": seat,
        "bookingFieldsResponses": {"q": "a"},
        "metadata": {"m": "1"},
    }


def seated(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    data.pop("bookingFieldsResponses")
    data.pop("guests")
    data["attendees"] = [seated_attendee("seat-1"), seated_attendee("seat-2")]
    return data


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ("plain", Booking),
        ("recurring", RecurringBooking),
        ("seated, seatUid at the top", SeatedBooking),
        ("seated, seats only on attendees", SeatedBooking),
        ("seated, attendees hidden", SeatedBooking),
        ("recurring seated", RecurringSeatedBooking),
        ("recurring seated with seatUid", RecurringSeatedBooking),
    ],
)
async def test_dispatch_picks_the_variant_by_shape(shape: str, expected: type[Booking]) -> None:
    data = seed_data()
    if "seated" in shape:
        data = seated(data)
        if "seatUid" in shape:
            data["seatUid"] = "my-seat"
        if "hidden" in shape:
            data["attendees"] = []
    if "recurring" in shape:
        data["recurringBookingUid"] = "series-1"
    booking = decode_booking(data)
    assert type(booking) is expected
    assert type(await get(data)) is expected
    assert booking.is_recurring is ("recurring" in shape)
    assert booking.is_seated is ("seated" in shape)
    if isinstance(booking, (RecurringBooking, RecurringSeatedBooking)):
        assert booking.recurring_booking_uid == "series-1"
    if isinstance(booking, SeatedBooking):
        assert booking.seat_uid == ("my-seat" if "seatUid" in shape else None)
        for attendee in booking.attendees:
            assert isinstance(attendee, SeatedAttendee)
            assert attendee.seat_uid in ("seat-1", "seat-2")
            assert attendee.booking_fields_responses == {"q": "a"}
            assert attendee.metadata == {"m": "1"}
        assert booking.guests == ()


def test_seat_uid_wins_even_with_booking_fields_responses() -> None:
    # Step 2 comes before step 3: a top-level seatUid marks a seated booking by itself.
    data = seed_data()
    data["seatUid"] = "seat-9"
    assert type(decode_booking(data)) is SeatedBooking


def test_a_null_recurring_uid_is_not_recurring() -> None:
    data = seed_data()
    data["recurringBookingUid"] = None
    assert type(decode_booking(data)) is Booking


async def test_an_array_holds_occurrences_each_dispatched_on_its_own() -> None:
    first = seed_data()
    first["recurringBookingUid"] = "series-1"
    second = seated(seed_data())
    second["recurringBookingUid"] = "series-1"
    second["uid"] = "occurrence-2"
    result = await get([first, second], "series-1")
    assert [type(b) for b in result.occurrences] == [RecurringBooking, RecurringSeatedBooking]
    assert [b.uid for b in result.occurrences] == ["booking_uid_123", "occurrence-2"]
    assert result == result.occurrences[0]  # the first occurrence stands for the series
    # An empty array is no series: there is no booking to return.
    with pytest.raises(DecodeError) as caught:
        await get([], "series-1")
    assert caught.value.path == "$.data"
    assert "empty array" in caught.value.reason


# --- leniency where the live server is lenient (API-NOTES §3) -------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("accepted", BookingStatus.ACCEPTED),
        ("pending", BookingStatus.PENDING),
        ("cancelled", BookingStatus.CANCELLED),
        ("rejected", BookingStatus.REJECTED),
        ("awaiting_host", BookingStatus.AWAITING_HOST),
        ("a_status_from_the_future", "a_status_from_the_future"),
    ],
)
def test_status_values_known_and_unknown(value: str, expected: Any) -> None:
    data = seed_data()
    data["status"] = value
    status = decode_booking(data).status
    assert status == expected
    assert type(status) is type(expected)


@pytest.mark.parametrize(
    ("key", "field"),
    [
        ("description", "description"),
        ("location", "location"),
        ("updatedAt", "updated_at"),
        ("eventType", "event_type"),
        ("eventTypeId", "event_type_id"),
        ("rating", "rating"),
        ("icsUid", "ics_uid"),
        ("meetingUrl", "meeting_url"),
    ],
)
def test_nulls_the_server_sends_become_none(key: str, field: str) -> None:
    data = seed_data()
    data[key] = None
    assert getattr(decode_booking(data), field) is None


def test_nulls_in_attendee_fields() -> None:
    data = seed_data()
    data["attendees"][0]["language"] = None
    data["attendees"][0]["phoneNumber"] = None
    attendee = decode_booking(data).attendees[0]
    assert attendee.language is None
    assert attendee.phone_number is None


def test_missing_optional_fields_take_defaults() -> None:
    data = {
        "id": 7,
        "uid": "u",
        "status": "pending",
        "start": "2025-03-07T10:00:00.000Z",
        "end": "2025-03-07T10:30:00.000Z",
        "bookingFieldsResponses": {},
    }
    booking = decode_booking(data)
    assert booking == Booking(
        id=7,
        uid="u",
        status=BookingStatus.PENDING,
        start=datetime(2025, 3, 7, 10, tzinfo=UTC),
        end=datetime(2025, 3, 7, 10, 30, tzinfo=UTC),
    )
    assert booking.hosts == ()
    assert booking.attendees == ()
    assert booking.guests == ()
    assert booking.metadata == {}
    assert booking.absent_host is False


def test_null_where_a_default_exists_gives_the_default() -> None:
    data = seed_data()
    data["hosts"] = None
    data["guests"] = None
    data["metadata"] = None
    data["absentHost"] = None
    booking = decode_booking(data)
    assert (booking.hosts, booking.guests, booking.metadata, booking.absent_host) == (
        (),
        (),
        {},
        False,
    )


def test_empty_cancellation_reason_is_kept() -> None:
    data = seed_data()
    data["cancellationReason"] = ""
    data["cancelledByEmail"] = ""
    booking = decode_booking(data)
    assert booking.cancellation_reason == ""
    assert booking.cancelled_by_email == ""


def test_unknown_host() -> None:
    data = seed_data()
    data["hosts"] = [
        {
            "id": "unknown",
            "name": "unknown",
            "email": "unknown",
            "displayEmail": "unknown",
            "username": "unknown",
        }
    ]
    host = decode_booking(data).hosts[0]
    assert host.id == "unknown"
    assert host.time_zone is None


def test_unknown_fields_are_ignored() -> None:
    data = seed_data()
    data["someNewField"] = {"x": 1}
    data["attendees"][0]["anotherNewField"] = [1, 2]
    data["eventType"]["extra"] = True
    assert decode_booking(data).uid == "booking_uid_123"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-08-13T15:30:00Z", datetime(2024, 8, 13, 15, 30, tzinfo=UTC)),
        ("2024-08-13T15:30:00.000Z", datetime(2024, 8, 13, 15, 30, tzinfo=UTC)),
        ("2024-08-13T15:30:00.123Z", datetime(2024, 8, 13, 15, 30, 0, 123000, tzinfo=UTC)),
        ("2024-08-13T15:30:00+00:00", datetime(2024, 8, 13, 15, 30, tzinfo=UTC)),
        (
            "2024-08-13T17:30:00+02:00",
            datetime(2024, 8, 13, 17, 30, tzinfo=timezone(timedelta(hours=2))),
        ),
        # No offset: the server means UTC.
        ("2024-08-13T15:30:00", datetime(2024, 8, 13, 15, 30, tzinfo=UTC)),
    ],
)
def test_timestamps_become_aware_datetimes(text: str, expected: datetime) -> None:
    data = seed_data()
    data["start"] = text
    start = decode_booking(data).start
    assert start == expected
    assert start.tzinfo is not None
    assert start.utcoffset() == expected.utcoffset()
    assert parse_datetime(text) == expected


def test_format_datetime_is_iso_utc_with_milliseconds() -> None:
    local = datetime(2025, 3, 7, 12, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    assert format_datetime(local) == "2025-03-07T10:00:00.123Z"
    with pytest.raises(ValueError, match="naive"):
        format_datetime(datetime(2025, 3, 7, 12))


# --- errors name the place ------------------------------------------------------------------


def broken(mutate: Any) -> dict[str, Any]:
    data = seed_data()
    mutate(data)
    return data


@pytest.mark.parametrize(
    ("data", "path", "reason"),
    [
        (
            broken(lambda d: d["attendees"][0].update(email=5)),
            "$.data.attendees[0].email",
            "string",
        ),
        (broken(lambda d: d.update(start="yesterday")), "$.data.start", "ISO 8601"),
        (broken(lambda d: d.update(start=None)), "$.data.start", "ISO 8601"),
        (broken(lambda d: d.pop("uid")), "$.data.uid", "required"),
        (broken(lambda d: d.pop("start")), "$.data.start", "required"),
        (broken(lambda d: d.update(id="123")), "$.data.id", "integer"),
        (broken(lambda d: d.update(id=True)), "$.data.id", "integer"),
        (broken(lambda d: d.update(status=3)), "$.data.status", "string"),
        (broken(lambda d: d.update(hosts={"id": 1})), "$.data.hosts", "array"),
        (broken(lambda d: d["hosts"].append("jane")), "$.data.hosts[1]", "object"),
        (broken(lambda d: d["hosts"][0].update(id=1.5)), "$.data.hosts[0].id", "integer"),
        (broken(lambda d: d.update(eventType=[])), "$.data.eventType", "object"),
        (broken(lambda d: d["eventType"].pop("id")), "$.data.eventType.id", "required"),
        (broken(lambda d: d.update(metadata="k=v")), "$.data.metadata", "object"),
        (broken(lambda d: d.update(guests=["a", 1])), "$.data.guests[1]", "string"),
        (broken(lambda d: d.update(absentHost="yes")), "$.data.absentHost", "boolean"),
        (broken(lambda d: d.update(location=5)), "$.data.location", "string"),
        (broken(lambda d: d.update(rating="5")), "$.data.rating", "integer"),
        # Several bad fields: the first declared is named, whichever way it is read.
        (broken(lambda d: d.update(location=5, description=[])), "$.data.description", "string"),
        (broken(lambda d: d.update(rating=1.5, id="7")), "$.data.id", "integer"),
        (broken(lambda d: d.update(icsUid=3, title=4)), "$.data.title", "string"),
        (broken(lambda d: d.update(duration="30", hosts=5)), "$.data.hosts", "array"),
        ("a string", "$.data", "booking object"),
        (None, "$.data", "booking object"),
    ],
)
async def test_decode_errors_name_the_json_path(data: Any, path: str, reason: str) -> None:
    with pytest.raises(DecodeError) as caught:
        await get(data)
    error = caught.value
    assert error.path == path
    assert reason in error.reason
    assert path in str(error)
    assert error.may_have_been_applied is True


def test_error_inside_a_list_names_the_item() -> None:
    good = seed_data()
    bad = seed_data()
    bad["attendees"][0]["timeZone"] = ["Europe/Riga"]
    with pytest.raises(DecodeError) as caught:
        decode_bookings([good, good, bad])
    assert caught.value.path == "$.data[2].attendees[0].timeZone"


def test_decode_bookings_refuses_a_non_list() -> None:
    with pytest.raises(DecodeError) as caught:
        decode_bookings({"uid": "x"})
    assert caught.value.path == "$.data"


def test_error_paths_quote_keys_that_are_not_identifiers() -> None:
    from calbookings_async._converter import path_text

    assert path_text("$.data", ["attendees", 0, "email"]) == "$.data.attendees[0].email"
    assert path_text("$", ["my key", "class"]) == "$['my key']['class']"


# --- properties ------------------------------------------------------------------------------

json_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
json_values = st.recursive(
    json_leaves,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


def outcome(decode: Any, value: Any) -> Any:
    """What ``decode(value)`` returned, or the DecodeError it raised (anything else escapes)."""
    try:
        return decode(value)
    except DecodeError as error:
        return error


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_any_json_in_place_of_data_decodes_or_raises_decode_error(value: Any) -> None:
    # The decoder every booking answer of cal.bookings.get goes through.
    result = outcome(about_booking("booking_uid_123"), {"status": "success", "data": value})
    if isinstance(result, DecodeError):
        assert result.path.startswith("$.data")
    else:
        assert isinstance(result, Booking)


booking_keys = sorted(seed_data().keys())


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(booking_keys), json_values)
def test_any_value_in_any_field_decodes_or_raises_decode_error(key: str, value: Any) -> None:
    data = seed_data()
    data[key] = value
    result = outcome(decode_booking, data)
    assert isinstance(result, Booking) or result.path.startswith("$.data")


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["hosts", "attendees", "eventType"]),
    st.text(min_size=1, max_size=12),
    json_values,
)
def test_any_value_in_nested_fields_decodes_or_raises_decode_error(
    where: str, key: str, value: Any
) -> None:
    data = seed_data()
    target = data[where][0] if isinstance(data[where], list) else data[where]
    target[key] = value
    result = outcome(decode_booking, data)
    assert isinstance(result, Booking) or result.path.startswith(f"$.data.{where}")


texts = st.text(max_size=20)
optional_texts = st.none() | texts
free_form = st.dictionaries(st.text(max_size=8), json_values, max_size=4)
stamps = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=moment.microsecond // 1000 * 1000))

hosts = st.builds(
    BookingHost,
    id=st.integers(min_value=0) | st.just("unknown"),
    name=texts,
    email=texts,
    display_email=optional_texts,
    username=optional_texts,
    time_zone=optional_texts,
)
attendees = st.builds(
    Attendee,
    name=texts,
    email=texts,
    display_email=optional_texts,
    time_zone=texts,
    language=optional_texts,
    absent=st.booleans(),
    phone_number=optional_texts,
)
seated_attendees = st.builds(
    SeatedAttendee,
    name=texts,
    email=texts,
    display_email=optional_texts,
    time_zone=texts,
    language=optional_texts,
    absent=st.booleans(),
    phone_number=optional_texts,
    seat_uid=optional_texts,
    booking_fields_responses=free_form,
    metadata=free_form,
)
statuses = st.sampled_from(list(BookingStatus)) | st.text(min_size=1, max_size=10).filter(
    lambda s: s not in {m.value for m in BookingStatus}
)


def bookings_of(cls: type[Booking], attendee_strategy: Any, **extra: Any) -> Any:
    return st.builds(
        cls,
        id=st.integers(min_value=1),
        uid=st.text(min_size=1, max_size=20),
        title=texts,
        description=optional_texts,
        hosts=st.lists(hosts, max_size=3).map(tuple),
        status=statuses,
        cancellation_reason=optional_texts,
        start=stamps,
        end=stamps,
        duration=st.none() | st.integers(min_value=0),
        event_type_id=st.none() | st.integers(),
        event_type=st.none() | st.builds(EventType, id=st.integers(), slug=texts),
        location=optional_texts,
        absent_host=st.booleans(),
        created_at=st.none() | stamps,
        updated_at=st.none() | stamps,
        metadata=free_form,
        rating=st.none() | st.integers(),
        attendees=st.lists(attendee_strategy, max_size=3).map(tuple),
        **extra,
    )


any_booking = st.one_of(
    bookings_of(
        Booking,
        attendees,
        guests=st.lists(texts, max_size=3).map(tuple),
        booking_fields_responses=free_form,
    ),
    bookings_of(
        RecurringBooking,
        attendees,
        guests=st.lists(texts, max_size=3).map(tuple),
        booking_fields_responses=free_form,
        recurring_booking_uid=st.text(min_size=1, max_size=10),
    ),
    bookings_of(SeatedBooking, seated_attendees, seat_uid=optional_texts),
    bookings_of(
        RecurringSeatedBooking,
        seated_attendees,
        seat_uid=optional_texts,
        recurring_booking_uid=st.text(min_size=1, max_size=10),
    ),
)


def as_server_sends(booking: Booking) -> dict[str, Any]:
    """The JSON the server would send for ``booking`` (camelCase, unset fields left out)."""
    data = converter.unstructure(booking)
    if booking.is_seated:
        # The server sends neither of these for seated bookings; they are empty on the model.
        data.pop("bookingFieldsResponses", None)
        data.pop("guests", None)
        if booking.seat_uid is None:  # type: ignore[attr-defined]
            data.pop("seatUid", None)
    return data


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(any_booking)
def test_valid_bookings_round_trip(booking: Booking) -> None:
    decoded = decode_booking(as_server_sends(booking))
    assert type(decoded) is type(booking)
    assert decoded == booking


@settings(max_examples=50, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(any_booking, max_size=5))
def test_lists_of_valid_bookings_round_trip(bookings: list[Booking]) -> None:
    assert decode_bookings([as_server_sends(b) for b in bookings]) == bookings


def test_decoded_instances_equal_instances_built_by_init() -> None:
    # The decoder fills __dict__ directly; the result must be indistinguishable from __init__.
    decoded = decode_booking(seed_data())
    rebuilt = Booking(**{f.name: getattr(decoded, f.name) for f in attrs.fields(Booking)})
    assert decoded == rebuilt
    assert vars(decoded) == vars(rebuilt)


# --- the shapes of 2026 (docs/CHANGES.md) ----------------------------------------------------


async def test_seated_attendees_carry_created_at_when_the_server_sends_it() -> None:
    data = seated(seed_data())
    data["attendees"][0]["createdAt"] = "2026-02-01T08:00:00.000Z"
    booking = await get(data)
    assert isinstance(booking, SeatedBooking)
    assert booking.attendees[0].created_at == datetime(2026, 2, 1, 8, 0, tzinfo=UTC)
    assert booking.attendees[1].created_at is None  # older servers: absent


@pytest.mark.parametrize("envelope_message", [{}, {"message": "Recordings are ready"}])
async def test_recordings_and_transcripts_decode_with_or_without_a_message(
    envelope_message: dict[str, Any],
) -> None:
    # The January spec had an optional envelope "message"; the newer one has none.
    recording = {"id": "r1", "roomName": "room", "startTs": 1, "status": "finished"}
    answers = iter(
        [
            {"status": "success", "data": [recording], **envelope_message},
            {"status": "success", "data": ["https://t.example/1"], **envelope_message},
        ]
    )
    bookings = Bookings(FakeRequester(lambda call: next(answers)))
    assert [r.id for r in await bookings.recordings("u")] == ["r1"]
    assert await bookings.transcripts("u") == ["https://t.example/1"]
