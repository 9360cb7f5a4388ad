"""Leaf vocabulary shared by every layer: JSON aliases, the clock and requester protocols.

This module is the bottom of the import graph. It imports nothing from the package and nothing
outside the standard library, so every other module may depend on it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeAlias, TypeVar

__all__ = [
    "JSON",
    "Clock",
    "JSONObject",
    "Query",
    "Requester",
    "SystemClock",
]

#: Any value that JSON can carry, as parsed from a response.
JSON: TypeAlias = Any
#: A JSON object as parsed from a response.
JSONObject: TypeAlias = dict[str, Any]
#: Query parameters, already formatted as strings, in the order they are sent.
Query: TypeAlias = Sequence[tuple[str, str]]

T = TypeVar("T")


class Clock(Protocol):
    """Where the SDK reads time and waits.

    Injected so that retry waits and pacing can be tested without real sleeping.
    """

    def monotonic(self) -> float:
        """Return seconds from an arbitrary, never decreasing origin."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` seconds (or return at once when ``seconds <= 0``)."""
        ...


class SystemClock:
    """The real clock: :func:`time.monotonic` and :func:`asyncio.sleep`."""

    __slots__ = ()

    #: :func:`time.monotonic` itself, not a wrapper: it is read on every request.
    monotonic = staticmethod(time.monotonic)

    async def sleep(self, seconds: float) -> None:
        """Sleep with :func:`asyncio.sleep`."""
        await asyncio.sleep(max(0.0, seconds))

    def __repr__(self) -> str:
        return "SystemClock()"


class Requester(Protocol):
    """The one verb an endpoint coroutine sees of the session.

    Endpoint modules depend on this protocol, never on the session class, so the session can
    change (or be replaced in tests) without touching them.
    """

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Query | None = None,
        body: Mapping[str, Any] | None = None,
        idempotent: bool,
        operation: str,
        decode: Callable[[JSONObject], T],
    ) -> T:
        """Send one API call and return its decoded success envelope.

        Args:
            method: HTTP method in upper case.
            path: The path below the base URL, already percent-encoded (``/v2/bookings/x``).
            query: Query parameters, already formatted as strings.
            body: A JSON object to send as the request body, or ``None`` for no body.
            idempotent: Whether repeating the request cannot apply its effect twice. Only
                idempotent requests are retried after the server may have seen them.
            operation: A stable name for the operation (``"bookings.decline"``), used in
                logs, retry records and rate-limit routing.
            decode: Turns the success envelope (``{"status": "success", "data": ...}``) into
                the result. A ``DecodeError`` it raises is completed with the response's
                method, URL, status and request id.

        Returns:
            What ``decode`` returned.
        """
        ...
