"""The two seed documents' examples, end to end: exact request, exact decoded response.

The decline seed's example request body is sent byte for byte; the mark-absent seed's example
body shows whole attendee objects, which is a documentation slip: the spec (and the SDK) send
``{"email", "absent"}`` per attendee.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import _seeds
import pytest
from aioresponses import CallbackResult, aioresponses

from calbookings_async import (
    Booking,
    BookingStatus,
    CalBookings,
    CalError,
    DecodeError,
    InvalidArgumentError,
    MarkAbsentAttendee,
)

BASE = "https://api.cal.com"
KEY = "cal_live_0123456789abcdef"


def recorder(seed: _seeds.Seed, calls: list[dict[str, Any]]) -> Any:
    def callback(url: Any, **kwargs: Any) -> CallbackResult:
        calls.append({"url": str(url), **kwargs})
        return CallbackResult(status=200, payload=copy.deepcopy(seed.response))

    return callback


async def test_decline_seed_example() -> None:
    seed = _seeds.load(_seeds.DECLINE)
    calls: list[dict[str, Any]] = []
    url = BASE + seed.path.replace("{bookingUid}", "booking_uid_123")
    with aioresponses() as mocked:
        mocked.post(url, callback=recorder(seed, calls))
        async with CalBookings(api_key=KEY) as cal:
            booking = await cal.bookings.decline(
                "booking_uid_123", reason=seed.request_body["reason"]
            )
    assert len(calls) == 1
    call = calls[0]
    assert call["url"] == url
    assert (
        json.loads(call["data"]) == seed.request_body == {"reason": "Host has to take another call"}
    )
    headers = call["headers"]
    assert headers["Authorization"] == f"Bearer {KEY}"
    assert headers["cal-api-version"] == "2024-08-13"
    assert headers["Content-Type"] == "application/json"
    assert isinstance(booking, Booking)
    assert booking.uid == "booking_uid_123"
    assert booking.status is BookingStatus.ACCEPTED
    assert booking.attendees[0].time_zone == "America/New_York"


async def test_decline_without_reason_sends_an_empty_object() -> None:
    seed = _seeds.load(_seeds.DECLINE)
    calls: list[dict[str, Any]] = []
    with aioresponses() as mocked:
        mocked.post(f"{BASE}/v2/bookings/booking_uid_123/decline", callback=recorder(seed, calls))
        async with CalBookings(api_key=KEY) as cal:
            await cal.bookings.decline("booking_uid_123")
    assert json.loads(calls[0]["data"]) == {}


async def test_mark_absent_seed_example_follows_the_spec() -> None:
    seed = _seeds.load(_seeds.MARK_ABSENT)
    calls: list[dict[str, Any]] = []
    url = BASE + seed.path.replace("{bookingUid}", "booking_uid_123")
    with aioresponses() as mocked:
        mocked.post(url, callback=recorder(seed, calls))
        async with CalBookings(api_key=KEY) as cal:
            booking = await cal.bookings.mark_absent(
                "booking_uid_123",
                host=seed.request_body["host"],
                attendees=[MarkAbsentAttendee(email="john@example.com", absent=True)],
            )
    body = json.loads(calls[0]["data"])
    # The seed shows whole attendee objects; MarkAbsentAttendee on the wire is email + absent.
    assert body == {"host": False, "attendees": [{"email": "john@example.com", "absent": True}]}
    assert booking.uid == "booking_uid_123"
    assert booking.absent_host is True
    assert booking.start.isoformat() == "2024-08-13T15:30:00+00:00"


@pytest.mark.parametrize(
    ("kwargs", "body"),
    [
        ({}, {}),
        ({"host": True}, {"host": True}),
        (
            {"attendees": (MarkAbsentAttendee(email="a@example.com", absent=False),)},
            {"attendees": [{"email": "a@example.com", "absent": False}]},
        ),
    ],
)
async def test_mark_absent_sends_only_what_was_set(
    kwargs: dict[str, Any], body: dict[str, Any]
) -> None:
    seed = _seeds.load(_seeds.MARK_ABSENT)
    calls: list[dict[str, Any]] = []
    with aioresponses() as mocked:
        mocked.post(
            f"{BASE}/v2/bookings/booking_uid_123/mark-absent", callback=recorder(seed, calls)
        )
        async with CalBookings(api_key=KEY) as cal:
            await cal.bookings.mark_absent("booking_uid_123", **kwargs)
    assert json.loads(calls[0]["data"]) == body


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda cal: cal.bookings.decline(""), "booking_uid"),
        (lambda cal: cal.bookings.decline("   "), "booking_uid"),
        (lambda cal: cal.bookings.decline(123), "booking_uid"),
        (lambda cal: cal.bookings.decline("a\r\nb"), "booking_uid"),
        (lambda cal: cal.bookings.decline("uid", reason=5), "reason"),
        (lambda cal: cal.bookings.decline("..", reason="x"), "booking_uid"),
        (lambda cal: cal.bookings.mark_absent("uid", host="yes"), "host"),
        (
            lambda cal: cal.bookings.mark_absent("uid", attendees=[{"email": "a@b.co"}]),
            "attendees[0]",
        ),
        (lambda cal: cal.bookings.mark_absent("uid", attendees=[]), "attendees"),
        (lambda cal: cal.bookings.mark_absent("uid", attendees="a@b.co"), "attendees"),
    ],
)
async def test_bad_arguments_are_refused_before_sending(call: Any, argument: str) -> None:
    with aioresponses() as mocked:  # any request would fail: nothing is registered
        async with CalBookings(api_key=KEY) as cal:
            with pytest.raises(InvalidArgumentError) as caught:
                await call(cal)
        assert not mocked.requests
    assert caught.value.argument == argument


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"email": "not-an-email", "absent": True}, "MarkAbsentAttendee.email"),
        ({"email": "a@example.com", "absent": 1}, "MarkAbsentAttendee.absent"),
        ({"email": None, "absent": True}, "MarkAbsentAttendee.email"),
    ],
)
def test_mark_absent_attendee_checks_its_fields(kwargs: dict[str, Any], argument: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        MarkAbsentAttendee(**kwargs)
    assert caught.value.argument == argument


async def test_a_decode_error_names_the_response_it_came_from() -> None:
    seed = _seeds.load(_seeds.DECLINE)
    broken = copy.deepcopy(seed.response)
    broken["data"]["attendees"][0]["email"] = 5
    with aioresponses() as mocked:
        mocked.post(
            f"{BASE}/v2/bookings/booking_uid_123/decline",
            payload=broken,
            headers={"X-Request-Id": "req-77"},
        )
        async with CalBookings(api_key=KEY) as cal:
            with pytest.raises(DecodeError) as caught:
                await cal.bookings.decline("booking_uid_123")
    error = caught.value
    assert error.path == "$.data.attendees[0].email"
    assert (error.method, error.url, error.status_code, error.request_id) == (
        "POST",
        f"{BASE}/v2/bookings/booking_uid_123/decline",
        200,
        "req-77",
    )
    assert error.may_have_been_applied is True
    assert "req-77" in str(error)
    assert "$.data.attendees[0].email" in str(error)


async def test_every_call_sends_its_own_request_id() -> None:
    seed = _seeds.load(_seeds.DECLINE)
    calls: list[dict[str, Any]] = []
    with aioresponses() as mocked:
        mocked.post(
            f"{BASE}/v2/bookings/booking_uid_123/decline",
            callback=recorder(seed, calls),
            repeat=True,
        )
        async with CalBookings(api_key=KEY) as cal:
            await cal.bookings.decline("booking_uid_123")
            await cal.bookings.decline("booking_uid_123")
    ids = [call["headers"]["X-Request-Id"] for call in calls]
    assert len(set(ids)) == 2
    assert all(request_id.startswith("calbookings-") for request_id in ids)


async def test_the_seed_answer_to_another_booking_is_refused_as_maybe_applied() -> None:
    # The seed's answer is about booking_uid_123: read as the answer to a decline of "abc" it
    # would report another booking's state, so it is refused, and the decline may have applied.
    seed = _seeds.load(_seeds.DECLINE)
    with aioresponses() as mocked:
        mocked.post(
            f"{BASE}/v2/bookings/abc/decline", payload=copy.deepcopy(seed.response), repeat=True
        )
        async with CalBookings(api_key=KEY) as cal:
            with pytest.raises(CalError) as caught:
                await cal.bookings.decline("abc")
    assert caught.value.may_have_been_applied is True
    assert "'booking_uid_123', not the 'abc' asked for" in str(caught.value)
