"""The two seed documents' examples, end to end: exact request, exact decoded response.

The decline seed's example request body is sent byte for byte; the mark-absent seed's example
body shows whole attendee objects, which is a documentation slip: the spec (and the SDK) send
``{"email", "absent"}`` per attendee.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

import _seeds
import pytest

from calbookings_async import (
    Booking,
    BookingStatus,
    CalBookings,
    CalError,
    DecodeError,
    InvalidArgumentError,
    MarkAbsentAttendee,
    RawRequest,
    RawResponse,
    TransportError,
)
from calbookings_async.testing import MockTransport, json_response

BASE = "https://api.cal.com"
KEY = "cal_live_0123456789abcdef"


def answering(url: str, payload: Any, headers: Mapping[str, str] | None = None) -> MockTransport:
    """A transport answering ``POST url`` with ``payload`` (200); it records every request.

    Any other request (a read-back after an uncertain write, say) fails as a broken connection
    would: the server of these tests knows one route.
    """

    def handler(request: RawRequest) -> RawResponse:
        if (request.method, request.url) != ("POST", url):
            raise TransportError(
                f"the connection failed: nothing answers {request.method} {request.url}",
                method=request.method,
                url=request.url,
                request_id=request.request_id,
                request_sent=True,
            )
        return json_response(200, copy.deepcopy(payload), headers)

    return MockTransport(handler)


def sent_to(transport: MockTransport) -> list[tuple[str, str]]:
    """The method and URL of every request the transport was handed."""
    return [(request.method, request.url) for request in transport.requests]


def posts(transport: MockTransport) -> list[str]:
    """The URL of every POST the transport was handed."""
    return [request.url for request in transport.requests if request.method == "POST"]


def body_of(request: RawRequest) -> Any:
    assert request.body is not None, "no body was sent"
    return json.loads(request.body)


async def test_decline_seed_example() -> None:
    seed = _seeds.load(_seeds.DECLINE)
    url = BASE + seed.path.replace("{bookingUid}", "booking_uid_123")
    transport = answering(url, seed.response)
    async with CalBookings(api_key=KEY, transport=transport) as cal:
        booking = await cal.bookings.decline("booking_uid_123", reason=seed.request_body["reason"])
    assert sent_to(transport) == [("POST", url)]
    call = transport.requests[0]
    assert body_of(call) == seed.request_body == {"reason": "Host has to take another call"}
    headers = call.headers
    assert headers["Authorization"] == f"Bearer {KEY}"
    assert headers["cal-api-version"] == "2024-08-13"
    assert headers["Content-Type"] == "application/json"
    assert isinstance(booking, Booking)
    assert booking.uid == "booking_uid_123"
    assert booking.status is BookingStatus.ACCEPTED
    assert booking.attendees[0].time_zone == "America/New_York"


async def test_decline_without_reason_sends_an_empty_object() -> None:
    seed = _seeds.load(_seeds.DECLINE)
    url = f"{BASE}/v2/bookings/booking_uid_123/decline"
    transport = answering(url, seed.response)
    async with CalBookings(api_key=KEY, transport=transport) as cal:
        await cal.bookings.decline("booking_uid_123")
    assert sent_to(transport) == [("POST", url)]
    assert body_of(transport.requests[0]) == {}


async def test_mark_absent_seed_example_follows_the_spec() -> None:
    seed = _seeds.load(_seeds.MARK_ABSENT)
    url = BASE + seed.path.replace("{bookingUid}", "booking_uid_123")
    transport = answering(url, seed.response)
    async with CalBookings(api_key=KEY, transport=transport) as cal:
        booking = await cal.bookings.mark_absent(
            "booking_uid_123",
            host=seed.request_body["host"],
            attendees=[MarkAbsentAttendee(email="john@example.com", absent=True)],
        )
    assert sent_to(transport) == [("POST", url)]
    body = body_of(transport.requests[0])
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
    url = f"{BASE}/v2/bookings/booking_uid_123/mark-absent"
    transport = answering(url, seed.response)
    async with CalBookings(api_key=KEY, transport=transport) as cal:
        await cal.bookings.mark_absent("booking_uid_123", **kwargs)
    assert sent_to(transport) == [("POST", url)]
    assert body_of(transport.requests[0]) == body


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
    transport = answering(f"{BASE}/v2/bookings/uid/decline", _seeds.load(_seeds.DECLINE).response)
    async with CalBookings(api_key=KEY, transport=transport) as cal:
        with pytest.raises(InvalidArgumentError) as caught:
            await call(cal)
    assert not transport.requests
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
    url = f"{BASE}/v2/bookings/booking_uid_123/decline"
    transport = answering(url, broken, {"X-Request-Id": "req-77"})
    async with CalBookings(api_key=KEY, transport=transport) as cal:
        with pytest.raises(DecodeError) as caught:
            await cal.bookings.decline("booking_uid_123")
    assert posts(transport) == [url]
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
    url = f"{BASE}/v2/bookings/booking_uid_123/decline"
    transport = answering(url, seed.response)
    async with CalBookings(api_key=KEY, transport=transport) as cal:
        await cal.bookings.decline("booking_uid_123")
        await cal.bookings.decline("booking_uid_123")
    assert sent_to(transport) == [("POST", url)] * 2
    ids = [call.headers["X-Request-Id"] for call in transport.requests]
    assert len(set(ids)) == 2
    assert all(request_id.startswith("calbookings-") for request_id in ids)


async def test_the_seed_answer_to_another_booking_is_refused_as_maybe_applied() -> None:
    # The seed's answer is about booking_uid_123: read as the answer to a decline of "abc" it
    # would report another booking's state, so it is refused, and the decline may have applied.
    seed = _seeds.load(_seeds.DECLINE)
    url = f"{BASE}/v2/bookings/abc/decline"
    transport = answering(url, seed.response)
    async with CalBookings(api_key=KEY, transport=transport) as cal:
        with pytest.raises(CalError) as caught:
            await cal.bookings.decline("abc")
    assert posts(transport), "the decline was not sent"
    assert set(posts(transport)) == {url}
    assert caught.value.may_have_been_applied is True
    assert "'booking_uid_123', not the 'abc' asked for" in str(caught.value)
