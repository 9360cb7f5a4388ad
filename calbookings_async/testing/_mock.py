"""A transport that answers from a function: unit tests of code that uses the SDK, without a server.

:class:`MockTransport` implements the SDK's ``Transport`` protocol (httpx's ``MockTransport`` is
the model): every request goes to a handler of yours, which returns a
:class:`~calbookings_async.RawResponse` (or raises one of the SDK's ``TransportError`` family to
act out a network failure). The client above it does everything else as usual: headers,
retries, pacing, decoding, errors::

    def handler(request: RawRequest) -> RawResponse:
        assert request.url.endswith("/v2/bookings/abc/decline")
        return json_response(200, {"status": "success", "data": booking_json})

    async with CalBookings(api_key="cal_test_x", transport=MockTransport(handler)) as cal:
        booking = await cal.bookings.decline("abc")

Unlike the emulator, this module belongs to the test kit around the SDK: it imports the SDK's
leaf vocabulary (``_types``) and its errors (``_errors``), nothing else.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson

from .._errors import ClientClosedError
from .._types import RawRequest, RawResponse

__all__ = ["Handler", "MockTransport", "json_response"]

#: What answers a request: a plain or async function of the request.
Handler = Callable[[RawRequest], "RawResponse | Awaitable[RawResponse]"]


def json_response(
    status: int, body: Any, headers: Mapping[str, str] | None = None, *, reason: str = ""
) -> RawResponse:
    """A response with a JSON body (and ``Content-Type: application/json``).

    Args:
        status: The HTTP status.
        body: Anything ``orjson`` can serialise (the envelope, usually).
        headers: More response headers (``X-RateLimit-Remaining-Default`` and the like).
        reason: The status line's reason phrase.
    """
    pairs = [(b"Content-Type", b"application/json")]
    pairs += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    return RawResponse(status, reason, tuple(pairs), orjson.dumps(body))


class MockTransport:
    """A ``Transport`` whose answers come from ``handler``; it records every request.

    Args:
        handler: Called with each :class:`~calbookings_async.RawRequest`; returns (or, if async,
            resolves to) a :class:`~calbookings_async.RawResponse`, or raises a
            ``TransportError`` to simulate a network failure.

    Attributes:
        requests: Every request handed to the transport, in order.
    """

    def __init__(self, handler: Handler) -> None:
        if not callable(handler):
            raise TypeError(f"handler must be callable, got {type(handler).__name__}")
        self._handler = handler
        self._closed = False
        self.requests: list[RawRequest] = []

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` has been called."""
        return self._closed

    async def send(self, request: RawRequest) -> RawResponse:
        """Answer ``request`` with the handler."""
        if self._closed:
            raise ClientClosedError(
                "the client is closed",
                method=request.method,
                url=request.url,
                request_id=request.request_id,
            )
        self.requests.append(request)
        answer = self._handler(request)
        if inspect.isawaitable(answer):
            answer = await answer
        if not isinstance(answer, RawResponse):
            raise TypeError(f"the handler returned {type(answer).__name__}, not a RawResponse")
        return answer

    async def aclose(self) -> None:
        """Close the transport: later requests raise ``ClientClosedError``."""
        self._closed = True

    def __repr__(self) -> str:
        return f"MockTransport({len(self.requests)} requests)"
