"""Leaf vocabulary shared by every layer: JSON aliases, the clock and requester protocols.

This module is the bottom of the import graph. It imports nothing from the package and nothing
outside the standard library, so every other module may depend on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import sys
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
    "RawRequest",
    "RawResponse",
    "Redacted",
    "Requester",
    "RouteLimit",
    "Safety",
    "SystemClock",
    "Transport",
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
        pooled: Whether its requests may go out on kept-alive connections. Only for operations
            that are safe to repeat and whose answers name what they answer (the booking's uid,
            checked by the endpoint's decoder; an error's path, checked by the session), so that
            an answer meant for another request cannot pass as theirs. Every other request goes
            out on a fresh connection.
        idempotent: Derived: whether it is safe to send again after the server may have seen it.
    """

    name: str
    method: str
    path: str
    safety: Safety
    api_version: str
    limits: tuple[RouteLimit, ...] = ()
    pooled: bool = False
    idempotent: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "idempotent", self.safety is not Safety.UNSAFE)
        if self.pooled and not self.idempotent:
            raise ValueError(f"{self.name}: an unsafe write never goes on a pooled connection")


class RawRequest:
    """One HTTP request as the session hands it to the transport.

    Attributes:
        method: The HTTP method, in upper case.
        url: The absolute URL, fully percent-encoded (sent byte for byte).
        headers: The request headers. Credentials in them are :class:`Redacted` strings.
        body: The body bytes, or ``None`` for no body.
        fresh_connection: Send it on a new connection that is closed afterwards, never on one
            that sat idle in the pool (for writes that must not be sent twice: on a fresh
            connection no answer to an earlier request can be mistaken for this one's).
        total_timeout: Seconds for the whole exchange (connect, send, read the whole answer), or
            ``None``.
        connect_timeout: Seconds to establish the connection, or ``None``.
        read_timeout: Longest gap between two chunks of the response, or ``None``.
        operation: The operation's name, for the transport's own diagnostics.
        request_id: The ``X-Request-Id`` sent, for errors.
    """

    __slots__ = (
        "body",
        "connect_timeout",
        "fresh_connection",
        "headers",
        "method",
        "operation",
        "read_timeout",
        "request_id",
        "total_timeout",
        "url",
    )

    def __init__(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None = None,
        fresh_connection: bool = False,
        total_timeout: float | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        operation: str = "",
        request_id: str | None = None,
    ) -> None:
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.fresh_connection = fresh_connection
        self.total_timeout = total_timeout
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.operation = operation
        self.request_id = request_id

    def __repr__(self) -> str:
        # Never the headers: they carry the credential.
        return f"RawRequest({self.method} {self.url})"


class RawResponse:
    """An HTTP response as received: status, headers and the body bytes.

    Attributes:
        status: The HTTP status code.
        reason: The status line's reason phrase.
        raw_headers: The header pairs as received, as bytes, in order.
        body: The body bytes (empty when the body was refused as too large).
        too_large: The body's size in bytes when it was larger than the client accepts and was
            not read (as far as it was read, or as its ``Content-Length`` said), else ``None``.
        reused: Whether the connection had carried an earlier answer: an answer on it that
            does not show it is about this request may be a late one meant for an earlier
            request (``_retry.may_have_applied``).
    """

    __slots__ = ("_drop", "body", "raw_headers", "reason", "reused", "status", "too_large")

    def __init__(
        self,
        status: int,
        reason: str = "",
        raw_headers: Sequence[tuple[bytes, bytes]] = (),
        body: bytes = b"",
        *,
        too_large: int | None = None,
        drop_connection: Callable[[], None] | None = None,
        reused: bool = False,
    ) -> None:
        self.status = status
        self.reason = reason
        self.raw_headers = raw_headers
        self.body = body
        self.too_large = too_large
        self._drop = drop_connection
        self.reused = reused

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (any letter case), or ``None``."""
        wanted = name.lower().encode("latin-1")
        for key, value in self.raw_headers:
            if key.lower() == wanted:
                return value.decode("latin-1")
        return None

    def drop_connection(self) -> None:
        """Close the connection this response came on, so that nothing else is read from it."""
        drop, self._drop = self._drop, None
        if drop is not None:
            drop()

    def __repr__(self) -> str:
        return f"RawResponse({self.status}, {len(self.body)} bytes)"


class Transport(Protocol):
    """Sends one HTTP request and reads the whole response: the seam below the session.

    ``AiohttpTransport`` is the SDK's; ``calbookings_async.testing.MockTransport`` answers from a
    function, for unit tests. :meth:`send` raises only the SDK's ``TransportError`` family:
    ``TransportError`` (``may_have_been_applied`` false when the request provably never left,
    true when it may have reached the server), ``RequestTimeout`` and ``ClientClosedError``.

    A transport may say, with a true class attribute ``enforces_timeouts``, that every
    :meth:`send` ends by the request's ``total_timeout`` (the body read included), as
    ``AiohttpTransport`` does. The session then leaves a call that neither waits nor retries
    to that timeout; for any other transport it watches every call's deadline itself.
    """

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` has been called."""
        ...

    async def send(self, request: RawRequest) -> RawResponse:
        """Send ``request`` and return the complete response, whatever its status."""
        ...

    async def aclose(self) -> None:
        """Release the connections; later sends raise ``ClientClosedError``."""
        ...


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


async def fresh_step() -> None:
    """On Python 3.10, move on to a task step that handles no exception, before raising one.

    Python 3.10's asyncio resumes a task whose awaited future failed from inside its own
    ``except`` block, so an error the SDK raises in that step gets the future's exception as
    its ``__context__`` (aiohttp's, whose frames may hold the request head as bytes). One bare
    turn of the loop starts a clean step. Python 3.11 and later need nothing.
    """
    if sys.version_info < (3, 11):  # pragma: no cover - exercised by the 3.10 run of .ci/run
        await asyncio.sleep(0)
