"""Leaf vocabulary shared by every layer: JSON aliases, the clock and requester protocols.

This module is the bottom of the import graph. It imports nothing from the package and nothing
outside the standard library, so every other module may depend on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeAlias, TypeVar

__all__ = [
    "JSON",
    "Clock",
    "JSONObject",
    "Operation",
    "Query",
    "Redacted",
    "Requester",
    "RouteLimit",
    "Safety",
    "SystemClock",
    "redacted",
    "waits",
    "waits_disabled",
    "waits_enabled",
]

#: Any value that JSON can carry, as parsed from a response.
JSON: TypeAlias = Any
#: A JSON object as parsed from a response.
JSONObject: TypeAlias = dict[str, Any]
#: Query parameters, already formatted as strings, in the order they are sent.
Query: TypeAlias = Sequence[tuple[str, str]]

T = TypeVar("T")


class Redacted(str):
    """A credential: a string like any other, except that ``repr`` shows ``'<redacted>'``.

    Credentials are wrapped in it as soon as the SDK receives them, so that a traceback rendered
    with its frames' locals (Sentry, Rich, ``traceback`` with ``capture_locals=True``) never shows
    one, whether in the SDK's frames (arguments, header dicts) or in aiohttp's.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "'<redacted>'"


def redacted(value: T) -> T:
    """``value`` as a :class:`Redacted` string if it is a string; anything else unchanged."""
    if isinstance(value, str) and not isinstance(value, Redacted):
        return Redacted(value)  # type: ignore[return-value]
    return value


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


# The testing switch: while off, no retry backoff and no pacing wait happens anywhere (the waits
# are still computed and reported, so tests can check them without sleeping).
_WAITS = [True]


def waits_enabled() -> bool:
    """Whether retry backoff and pacing waits happen (``False`` inside :func:`waits_disabled`)."""
    return _WAITS[0]


@contextlib.contextmanager
def waits(enabled: bool) -> Iterator[None]:
    """Turn every retry and pacing wait on or off inside the ``with`` block, then restore."""
    previous = _WAITS[0]
    _WAITS[0] = enabled
    try:
        yield
    finally:
        _WAITS[0] = previous


def waits_disabled() -> contextlib.AbstractContextManager[None]:
    """Skip every retry and pacing wait inside the ``with`` block (for tests)."""
    return waits(False)


@dataclass(frozen=True, kw_only=True, slots=True)
class RouteLimit:
    """A limit that applies to one route only, in place of the default limit there.

    Attributes:
        name: The limit's name as the server reports it, in lower case
            (``"booking_guests_add"`` for ``X-RateLimit-Remaining-Booking_guests_add``).
        limit: Requests allowed per window.
        window: The window's length in seconds.
    """

    name: str
    limit: int
    window: float


class Safety(enum.Enum):
    """What sending an operation again does, which decides what may be retried."""

    #: Reads change nothing.
    READ = "read"
    #: Writes that set a state (cancel, decline, confirm, ...): a repeat changes nothing more.
    SETS_STATE = "sets a state"
    #: Writes that make something new each time (create, reschedule, add guests, ...).
    UNSAFE = "unsafe"


@dataclass(frozen=True, kw_only=True, slots=True)
class Operation:
    """One operation of the API, as the endpoint layer declares it and the session sends it.

    Every operation the SDK knows is one row of the table in ``_operations``: adding an API
    version or a throttle changes that table, not the session.

    Attributes:
        name: A stable name (``"bookings.decline"``) used in logs, retry records, pacing routes.
        method: The HTTP method, in upper case.
        path: The path template as the API documents it (``/v2/bookings/{bookingUid}/decline``).
        safety: Whether repeating it can apply it twice (see :class:`Safety`).
        api_version: The ``cal-api-version`` header sent with it.
        limits: Rate limits of this route known before any response (named throttles).
        idempotent: Derived: whether it is safe to send again after the server may have seen it.
    """

    name: str
    method: str
    path: str
    safety: Safety
    api_version: str
    limits: tuple[RouteLimit, ...] = ()
    idempotent: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "idempotent", self.safety is not Safety.UNSAFE)


class Requester(Protocol):
    """The one verb an endpoint coroutine sees of the session.

    Endpoint modules depend on this protocol, never on the session class, so the session can
    change (or be replaced in tests) without touching them.
    """

    async def request(
        self,
        operation: Operation,
        path: str,
        *,
        query: Query | None = None,
        body: Mapping[str, Any] | None = None,
        decode: Callable[[JSONObject], T],
    ) -> T:
        """Send one API call and return its decoded success envelope.

        Args:
            operation: What is called: its method, safety, API version and route limits.
            path: The path below the base URL with its parameters filled in, already
                percent-encoded (``/v2/bookings/x``).
            query: Query parameters, already formatted as strings.
            body: A JSON object to send as the request body, or ``None`` for no body.
            decode: Turns the success envelope (``{"status": "success", "data": ...}``) into
                the result. A ``DecodeError`` it raises is completed with the response's
                method, URL, status and request id.

        Returns:
            What ``decode`` returned.
        """
        ...
