"""Helpers for the endpoint, paging and conformance tests.

* ``MockAPI``: a :class:`~calbookings_async.testing.MockTransport` under real ``CalBookings``
  clients, recording every request as a ``Sent`` (method, URL as it left the client, headers,
  parsed JSON body) and answering from a script.
* ``FakeRequester``: a ``Requester`` with no HTTP at all, recording the exact arguments an
  endpoint passes to the session (path, query pairs in order, body, idempotency, operation)
  and answering from a script or a function.
* JSON builders for bookings and pagination metadata shaped like the live server's.
"""

from __future__ import annotations

import asyncio
import copy
import json
import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import attrs
from yarl import URL

from calbookings_async import CalBookings, RawRequest, RawResponse
from calbookings_async._types import Operation
from calbookings_async.testing import MockTransport, json_response

API_KEY = "cal_test_endpoint_5uite_key"
BASE_URL = "https://api.cal.com"
#: A uid holding every character that could change which URL is called if sent raw.
NASTY_UID = "a/b?c#d e%f"
NASTY_UID_ENCODED = "a%2Fb%3Fc%23d%20e%25f"


@attrs.frozen
class Sent:
    """One request as it left the client."""

    method: str
    url: URL
    headers: Mapping[str, str]
    body: Any  # the parsed JSON body, or None when there was none

    @property
    def raw_path(self) -> str:
        """The path exactly as encoded on the wire."""
        return self.url.raw_path

    @property
    def query(self) -> list[tuple[str, str]]:
        """The decoded query pairs, sorted."""
        return sorted(self.url.query.items())


class MockAPI:
    """Answers every request of its clients through a ``MockTransport`` and records it.

    Replies are queued with :meth:`reply` or :meth:`data` and used in order; the last one queued
    also answers every request after the queue ran dry.
    """

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self._replies: list[tuple[int, Any, dict[str, str]]] = []
        self._default: tuple[int, Any, dict[str, str]] | None = None
        self.transport = MockTransport(self._answer)

    def client(self, **options: Any) -> CalBookings:
        """A ``CalBookings`` (``API_KEY``, the default base URL) sending through this mock."""
        options.setdefault("api_key", API_KEY)
        return CalBookings(transport=self.transport, **options)

    def reply(
        self, payload: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
    ) -> None:
        """Queue one reply (used in order; the last one queued also becomes the default)."""
        entry = (status, payload, dict(headers or {}))
        self._replies.append(entry)
        self._default = entry

    def data(self, data: Any, *, status: int = 200, **extra: Any) -> None:
        """Queue a success envelope around ``data``."""
        self.reply({"status": "success", "data": data, **extra}, status=status)

    def _answer(self, request: RawRequest) -> RawResponse:
        body = None if request.body is None else json.loads(request.body)
        url = URL(request.url, encoded=True)
        self.sent.append(Sent(request.method, url, dict(request.headers), body))
        if self._replies:
            status, payload, reply_headers = self._replies.pop(0)
        else:
            assert self._default is not None, "no reply scripted"
            status, payload, reply_headers = self._default
        return json_response(status, payload, reply_headers)

    @property
    def last(self) -> Sent:
        assert self.sent, "nothing was sent"
        return self.sent[-1]


# --- a requester without HTTP ------------------------------------------------------------------


@attrs.frozen
class Call:
    """What an endpoint passed to the requester."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...] | None
    body: Any
    idempotent: bool
    operation: str

    @property
    def query_dict(self) -> dict[str, str]:
        return dict(self.query or ())


Responder = Callable[[Call], Awaitable[dict[str, Any]] | dict[str, Any]]


class FakeRequester:
    """A ``Requester`` that records calls and answers with ``respond(call)``."""

    def __init__(self, respond: Responder | None = None) -> None:
        self.calls: list[Call] = []
        self._respond = respond
        self.in_flight = 0
        self.max_in_flight = 0
        self.cancelled = 0

    async def request(
        self,
        operation: Operation,
        path: str,
        *,
        query: Sequence[tuple[str, str]] | None = None,
        body: Mapping[str, Any] | None = None,
        decode: Callable[[dict[str, Any]], Any],
        **_ignored: Any,
    ) -> Any:
        call = Call(
            operation.method,
            path,
            None if query is None else tuple(query),
            copy.deepcopy(body),
            operation.idempotent,
            operation.name,
        )
        self.calls.append(call)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            assert self._respond is not None, "no responder"
            result = self._respond(call)
            if asyncio.iscoroutine(result):
                result = await result
            assert isinstance(result, dict)
            return decode(result)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.in_flight -= 1


# --- JSON shaped like the server's ---------------------------------------------------------------


def booking_json(
    uid: str = "booking_uid_123", booking_id: int = 123, **overrides: Any
) -> dict[str, Any]:
    """A regular booking as the server sends it."""
    data: dict[str, Any] = {
        "id": booking_id,
        "uid": uid,
        "title": "Consultation",
        "description": "Learn how to integrate scheduling into marketplace.",
        "hosts": [
            {
                "id": 1,
                "name": "Jane Doe",
                "email": "jane100@example.com",
                "displayEmail": "jane100@example.com",
                "username": "jane100",
                "timeZone": "America/Los_Angeles",
            }
        ],
        "status": "accepted",
        "start": "2024-08-13T15:30:00.000Z",
        "end": "2024-08-13T16:30:00.000Z",
        "duration": 60,
        "eventTypeId": 50,
        "eventType": {"id": 50, "slug": "some-event"},
        "meetingUrl": "https://example.com/meeting",
        "location": "https://example.com/meeting",
        "absentHost": False,
        "createdAt": "2024-08-01T10:00:00.000Z",
        "updatedAt": "2024-08-02T10:00:00.000Z",
        "metadata": {"key": "value"},
        "icsUid": "ics_uid_123",
        "attendees": [
            {
                "name": "John Doe",
                "email": "john@example.com",
                "displayEmail": "john@example.com",
                "timeZone": "America/New_York",
                "language": "en",
                "absent": False,
            }
        ],
        "guests": ["guest1@example.com"],
        "bookingFieldsResponses": {"name": "John Doe", "email": "john@example.com"},
    }
    data.update(overrides)
    return data


def recurring_json(uid: str, recurring_uid: str = "series_uid", **overrides: Any) -> dict[str, Any]:
    """One occurrence of a recurring series."""
    return booking_json(uid, recurringBookingUid=recurring_uid, **overrides)


def seated_json(
    uid: str = "seated_uid", *, seat_uid: str | None = None, seat: str = "seat-1"
) -> dict[str, Any]:
    """A seated booking (attendees hold seats; no top-level answers or guests).

    ``seat`` is the attendee's seat; ``seat_uid`` the caller's own, as create answers it.
    """
    data = booking_json(uid)
    del data["bookingFieldsResponses"], data["guests"]
    data["attendees"] = [
        {
            **data["attendees"][0],
            "seatUid": seat,
            "bookingFieldsResponses": {"name": "John Doe"},
        }
    ]
    if seat_uid is not None:
        data["seatUid"] = seat_uid
    return data


def pagination_json(total: int, take: int, skip: int) -> dict[str, Any]:
    """``PaginationMetaDto`` as ``apps/api/v2/src/lib/pagination/pagination.ts`` computes it."""
    skip = min(max(skip, 0), total)
    total_pages = math.ceil(total / take) if take else 0
    return {
        "totalItems": total,
        "remainingItems": min(max(total - (skip + take), 0), total),
        "returnedItems": min(max(total - skip, 0), take),
        "itemsPerPage": take,
        "currentPage": min(max(skip // take + 1, 1), total_pages) if total_pages else 0,
        "totalPages": total_pages,
        "hasNextPage": skip + take < total,
        "hasPreviousPage": skip > 0,
    }


def page_envelope(
    items: list[dict[str, Any]], *, total: int, take: int, skip: int
) -> dict[str, Any]:
    """A listing's success envelope."""
    return {"status": "success", "data": items, "pagination": pagination_json(total, take, skip)}


class Listing:
    """A server-side listing of ``total`` bookings, answering ``GET`` with offset pages.

    ``delay`` (a function of the skip) makes pages complete out of order; ``fail_at`` makes the
    page at that skip fail with ``error``.
    """

    def __init__(
        self,
        total: int,
        *,
        default_take: int = 100,
        delay: Callable[[int], float] | None = None,
        fail_at: int | None = None,
        error: BaseException | None = None,
    ) -> None:
        self.total = total
        self.default_take = default_take
        self.delay = delay
        self.fail_at = fail_at
        self.error = error
        self.skips: list[int] = []

    def uid(self, index: int) -> str:
        return f"b{index:06d}"

    async def __call__(self, call: Call) -> dict[str, Any]:
        query = call.query_dict
        take = int(query.get("take", self.default_take))
        skip = int(query.get("skip", 0))
        self.skips.append(skip)
        if self.delay is not None:
            await asyncio.sleep(self.delay(skip))
        if self.fail_at is not None and skip == self.fail_at:
            assert self.error is not None
            raise self.error
        end = min(skip + take, self.total)
        items = [booking_json(self.uid(i), i + 1) for i in range(skip, end)]
        return page_envelope(items, total=self.total, take=take, skip=skip)
