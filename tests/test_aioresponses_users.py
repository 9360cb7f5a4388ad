"""A user's unit tests can mock the SDK with aioresponses: the client's default (aiohttp) transport.

The SDK's own tests answer through ``calbookings_async.testing.MockTransport``; this module keeps
the other way working: a real ``CalBookings`` on its aiohttp transport, aioresponses answering
the requests aiohttp would send, the test checking the request and the decoded result.

Why this module carries a shim: aioresponses 0.7.9, its latest release, builds
``aiohttp.ClientResponse`` objects without the keyword-only ``stream_writer`` argument that
aiohttp 3.14.0 made required, so with aiohttp 3.14 every mocked request fails with ``TypeError:
ClientResponse.__init__() missing 1 required keyword-only argument: 'stream_writer'`` (reported
upstream as aioresponses issue 289, not fixed in a release). Each mock here therefore passes
aioresponses' own ``response_class=`` option a ``ClientResponse`` that supplies an idle writer
(:data:`RESPONSE_CLASS`; plain ``ClientResponse`` on an aiohttp that does not ask for one). Nothing
is patched globally, and no other test module needs it. Users can do the same; the README
recommends ``MockTransport``, which depends on neither library's internals.
"""

from __future__ import annotations

import inspect
import json
from datetime import datetime, timezone
from typing import Any

import aiohttp
from _endpoint_helpers import API_KEY, BASE_URL, booking_json
from aioresponses import aioresponses
from yarl import URL

from calbookings_async import (
    Booking,
    BookingStatus,
    CalBookings,
    CreateBookingAttendee,
    CreateBookingInput,
)


class _IdleStreamWriter:
    """Stands in for the writer of a request that aioresponses never really sent."""

    output_size = 0


class _MockedClientResponse(aiohttp.ClientResponse):
    """A ``ClientResponse`` that aioresponses can build: it supplies the missing writer."""

    def __init__(self, *args: Any, stream_writer: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, stream_writer=stream_writer or _IdleStreamWriter(), **kwargs)


#: What every mock of this module passes as ``response_class=``.
RESPONSE_CLASS: type[aiohttp.ClientResponse] = (
    _MockedClientResponse
    if "stream_writer" in inspect.signature(aiohttp.ClientResponse.__init__).parameters
    else aiohttp.ClientResponse
)


def sent(mocked: aioresponses, method: str, url: str) -> list[dict[str, Any]]:
    """The keyword arguments of every ``method url`` request aioresponses intercepted."""
    return [call.kwargs for call in mocked.requests.get((method, URL(url)), [])]


async def test_a_create_mocked_with_aioresponses() -> None:
    url = f"{BASE_URL}/v2/bookings"
    answer = booking_json("new_uid", 77, start="2030-01-07T09:00:00.000Z")
    answer["attendees"] = [{**answer["attendees"][0], "email": "ann@example.com"}]
    with aioresponses() as mocked:
        mocked.post(
            url,
            status=201,
            payload={"status": "success", "data": answer},
            response_class=RESPONSE_CLASS,
        )
        async with CalBookings(api_key=API_KEY) as cal:
            booking = await cal.bookings.create(
                CreateBookingInput(
                    start=datetime(2030, 1, 7, 9, 0, tzinfo=timezone.utc),
                    attendee=CreateBookingAttendee(
                        name="Ann", email="ann@example.com", time_zone="Europe/Riga"
                    ),
                    event_type_id=50,
                )
            )
        assert list(mocked.requests) == [("POST", URL(url))]
        (request,) = sent(mocked, "POST", url)
    assert json.loads(request["data"]) == {
        "start": "2030-01-07T09:00:00.000Z",
        "attendee": {"name": "Ann", "timeZone": "Europe/Riga", "email": "ann@example.com"},
        "eventTypeId": 50,
    }
    headers = request["headers"]
    assert headers["Authorization"] == f"Bearer {API_KEY}"
    assert headers["cal-api-version"] == "2024-08-13"
    assert headers["Content-Type"] == "application/json"
    assert type(booking) is Booking
    assert (booking.uid, booking.id) == ("new_uid", 77)
    assert booking.start == datetime(2030, 1, 7, 9, 0, tzinfo=timezone.utc)
    assert booking.attendees[0].email == "ann@example.com"


async def test_a_decline_mocked_with_aioresponses() -> None:
    url = f"{BASE_URL}/v2/bookings/abc/decline"
    with aioresponses() as mocked:
        mocked.post(
            url,
            payload={"status": "success", "data": booking_json("abc", 5, status="rejected")},
            response_class=RESPONSE_CLASS,
        )
        async with CalBookings(api_key=API_KEY) as cal:
            booking = await cal.bookings.decline("abc", reason="Double-booked")
        assert list(mocked.requests) == [("POST", URL(url))]
        (request,) = sent(mocked, "POST", url)
    assert json.loads(request["data"]) == {"reason": "Double-booked"}
    assert request["headers"]["Authorization"] == f"Bearer {API_KEY}"
    assert request["headers"]["cal-api-version"] == "2024-08-13"
    assert (booking.uid, booking.id) == ("abc", 5)
    assert booking.status is BookingStatus.REJECTED
