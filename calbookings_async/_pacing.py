"""Paces requests so that a client stays inside the server's rate limits instead of tripping them.

Cal.com counts requests per credential in fixed windows (120 per 60 s for an API key, 500 for
OAuth clients and access tokens) and, once a window's limit is passed, blocks the credential for
a whole block period (docs/API-NOTES.md §8). Retrying on 429 is therefore the expensive way to
learn the limit: every overflow costs a block. :class:`AdaptivePacer` holds a request back
until the server will accept it. It starts from a configured budget, learns the real limits from
every response's ``X-RateLimit-{Limit,Remaining,Reset}-<Name>`` report, and keeps one window per
limit name, shared by every request of one client.

How a window is tracked, and why each choice errs on the safe side:

* The end of the server's current window is only ever over-estimated. Each response reports
  ``Reset``, the whole seconds (rounded up) left in the window when the server counted the
  request, so ``observed_at + reset`` can only be later than the true end; the estimate is the
  smallest such bound over the responses to requests sent in this window. A new window is
  therefore never started while the server's old one is still open. Before any response
  arrives, the estimate is the first send of the window plus the window's length plus a margin.
* Usage counts the requests sent in this window, corrected by the server's own count: after the
  response to our k-th request of the window, the server has counted at least
  ``(limit - remaining) + (sent - k)`` requests (everything counted before it, including other
  clients of the same credential, plus ours sent after it).
* Requests still in flight when a window rolls over may be counted in the new window, so the
  new window starts with them already counted.
* A 429 marks every reported limit blocked until its reset; nothing is sent until then.
* A ``Reset`` longer than :data:`LONGEST_RESET` (a day) is not believed (read as absent), so
  no absurd header can stop a client for good.
* A limit may apply to one route only (``booking_guests_add`` on add-guests, which replaces the
  default limit there). Routes learn their limit names from their responses; a route whose
  successful responses carry no rate-limit headers is not paced (an error without them, such as
  a proxy's error page, says nothing about the server's limits).

The session calls :meth:`Pacer.acquire` before it takes a concurrency slot (so waiting for the
budget never counts against a request's timeout) and :meth:`Pacer.release` when the attempt
ends. Any object with those two methods can replace the built-in pacer, for example one that
shares a budget between processes.

Imports ``_ratelimit``, ``_validate``, ``_errors`` and ``_types``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import attrs

from ._errors import InvalidArgumentError, RateLimitError
from ._ratelimit import Reported, to_public
from ._types import Clock, SystemClock, waits_enabled
from ._validate import check_clock, check_int, check_number

__all__ = [
    "DEFAULT_ROUTE_LIMITS",
    "LONGEST_RESET",
    "AdaptivePacer",
    "Pacer",
    "PacingStats",
    "RouteLimit",
]

_INFINITY = math.inf

#: The longest ``Reset`` the pacer believes, in seconds (a day). Cal.com's windows and blocks
#: last 60 s; a longer one from a broken proxy (``Reset: 99999999999``) would otherwise end
#: the window or the block decades from now, and every later request would be refused
#: without ever being sent, for good. A longer reset is read as absent: the pacer falls back
#: on the window's length and lets the server say again.
LONGEST_RESET = 86_400.0


class Pacer(Protocol):
    """What the session needs of a pacer: permission before a request, news after it.

    The session calls :meth:`try_acquire` first and awaits :meth:`acquire` only when that
    returns ``None``: on the usual path a request costs no coroutine. A pacer that always waits
    asynchronously (one shared between processes, say) returns ``None`` from ``try_acquire``.
    """

    def try_acquire(self, route: str) -> Any:
        """A ticket if one more request on ``route`` may be sent right now, else ``None``."""
        ...

    async def acquire(self, route: str) -> Any:
        """Wait until one more request on ``route`` may be sent.

        Args:
            route: The operation's name (``"bookings.add_guests"``); limits may differ by route.

        Returns:
            A ticket, handed back to :meth:`release` when the request ends.
        """
        ...

    def release(
        self,
        ticket: Any,
        status: int | None,
        reported: Reported | None,
        observed_at: float,
    ) -> None:
        """Learn how the request went.

        Args:
            ticket: What :meth:`acquire` returned for this request.
            status: The HTTP status, or ``None`` when no response came.
            reported: The response's rate-limit report,
                ``{name: [limit, remaining, reset]}``, or ``None`` when it had none.
            observed_at: The client clock's monotonic time when the response (or the failure)
                arrived.
        """
        ...


@attrs.frozen(kw_only=True)
class RouteLimit:
    """A limit that applies to one route only, in place of the default limit there.

    Attributes:
        name: The limit's name as the server reports it, in lower case.
        limit: Requests allowed per window.
        window: The window's length in seconds.
    """

    name: str
    limit: int
    window: float


#: Limits Cal.com publishes for single routes (docs/API-NOTES.md §8): known before the first
#: response, so the first requests on those routes are paced too.
DEFAULT_ROUTE_LIMITS: Mapping[str, Sequence[RouteLimit]] = {
    "bookings.add_guests": (RouteLimit(name="booking_guests_add", limit=5, window=60.0),),
}


@attrs.frozen(kw_only=True)
class PacingStats:
    """What a pacer has done so far.

    Attributes:
        requests: Requests allowed through.
        held: Requests that had to wait for the budget.
        held_seconds: Total time requests spent waiting (summed over requests).
        blocks: 429 responses the pacer learned a block from.
        limits: The limit learned (or configured) for every name, by lower-case name.
    """

    requests: int
    held: int
    held_seconds: float
    blocks: int
    limits: Mapping[str, int]


class _Window:
    """One named limit's fixed window, as far as this client can tell."""

    __slots__ = (
        "blocked_until",
        "end",
        "generation",
        "in_flight",
        "length",
        "limit",
        "name",
        "opened",
        "sent",
        "used",
    )

    def __init__(self, name: str, limit: int, length: float) -> None:
        self.name = name
        self.limit = limit
        self.length = length
        self.generation = 0  # which of our windows we are in; +1 at every rollover
        self.opened: float | None = None  # first send of this window, None while closed
        self.end = _INFINITY  # upper bound on the server's window end; inf while unknown
        self.used = 0  # requests the server has counted (or will count) in this window
        self.sent = 0  # requests we sent in this window, in flight carried over included
        self.in_flight = 0  # our requests not yet answered, whatever their window
        self.blocked_until = -_INFINITY

    def roll(self, now: float) -> None:
        """Close the window once it has surely ended, or once its block is over (the server
        starts a fresh window at the next request)."""
        block_over = self.blocked_until > -_INFINITY and now >= self.blocked_until
        if block_over or (self.opened is not None and now >= self._deadline()):
            if block_over:
                # Cleared whichever reason restarts the window: a block left in place would
                # restart it again later and throw away what the responses since have taught.
                self.blocked_until = -_INFINITY
            self._restart()

    def _restart(self) -> None:
        self.generation += 1
        self.opened = None
        self.end = _INFINITY
        # Requests still in flight may be counted in the window that starts now.
        self.used = self.sent = self.in_flight

    def _deadline(self) -> float:
        """When the window has surely ended: the estimate, or a fallback before any response."""
        if self.end < _INFINITY:
            return self.end
        assert self.opened is not None
        # No response yet: the server opened its window when our first request arrived, which
        # is after we sent it; allow for a slow arrival.
        return self.opened + self.length * 1.25 + 1.0

    def delay(self, now: float) -> float:
        """Seconds until one more request fits (0 when it fits now)."""
        if now < self.blocked_until:
            return self.blocked_until - now
        if self.used < self.limit:
            return 0.0
        if self.opened is None:  # a closed window with no room: only after a shrunk limit
            return 0.0
        return max(self._deadline() - now, 0.0)

    def reported(self, now: float) -> bool:
        """Whether a wait now rests on what the server said (a block, a reported reset)."""
        return now < self.blocked_until or self.end < _INFINITY

    def take(self, now: float) -> tuple[_Window, int, int]:
        """Count one request sent now; returns what its response must be matched with."""
        if self.opened is None:
            self.opened = now
        self.used += 1
        self.sent += 1
        self.in_flight += 1
        return (self, self.generation, self.sent)


#: What acquire() hands out: the route, and per window (window, its generation, our number).
_Ticket = tuple[str, list[tuple["_Window", int, int]]]


class AdaptivePacer:
    """The built-in pacer: fixed windows per limit name, learned from the server's reports.

    ``CalBookings`` builds one by default (``pacing=True``), with Cal.com's published budget
    for its kind of credential. Build one yourself to change the starting budget, the clock, or
    to share one pacer between several clients of the same credential.

    Args:
        limit: Requests per window assumed before the server reports its limit (Cal.com: 120
            for an API key, 500 for an access token or OAuth client).
        window: The window's length in seconds (Cal.com: 60). Only used to bound a window whose
            end no response has reported yet; reported ends are always used when known.
        route_limits: Limits of single routes, by route name (operation name).
        clock: Where time is read and waits happen (the client's clock when ``None``).
        max_sleep: Longest single wait, in seconds, before the pacer looks again (a response
            may have moved a window's estimated end in the meantime).
        max_wait: Longest a request may be held, in seconds. A request that would have to wait
            longer (a block, or a reset the server reports as far away) raises
            :class:`RateLimitError` at once, without being sent.
    """

    def __init__(
        self,
        *,
        limit: int = 120,
        window: float = 60.0,
        route_limits: Mapping[str, Sequence[RouteLimit]] = DEFAULT_ROUTE_LIMITS,
        clock: Clock | None = None,
        max_sleep: float = 0.25,
        max_wait: float = 65.0,
    ) -> None:
        check_int("limit", limit, minimum=1)
        check_number("window", window)
        if window <= 0:
            raise InvalidArgumentError("window", f"must be greater than 0, got {window:g}")
        check_number("max_sleep", max_sleep)
        if max_sleep <= 0:
            raise InvalidArgumentError("max_sleep", f"must be greater than 0, got {max_sleep:g}")
        check_number("max_wait", max_wait, minimum=0.0)
        _check_route_limits(route_limits)
        self.clock: Clock | None = None
        if clock is not None:
            self.configured(check_clock("clock", clock))
        self._limit = limit
        self._length = float(window)
        self._max_sleep = float(max_sleep)
        self._max_wait = float(max_wait)
        self._windows: dict[str, _Window] = {}
        self._default = (self._window("default", limit, self._length),)
        # Route -> the windows that apply to it, as last reported (or configured).
        self._routes: dict[str, tuple[_Window, ...]] = {}
        # Route -> the limit names its windows were learned from (absent: not yet reported).
        self._route_names: dict[str, tuple[str, ...]] = {}
        for route, limits in route_limits.items():
            self._routes[route] = tuple(self._window(r.name, r.limit, r.window) for r in limits)
            self._route_names[route] = tuple(r.name for r in limits)
        self._requests = 0
        self._held = 0
        self._held_seconds = 0.0
        self._blocks = 0

    def __repr__(self) -> str:
        return f"AdaptivePacer(limit={self._limit}, window={self._length:g})"

    def _window(self, name: str, limit: int, length: float) -> _Window:
        window = self._windows.get(name)
        if window is None:
            window = self._windows[name] = _Window(name, limit, length)
        return window

    @property
    def stats(self) -> PacingStats:
        """What the pacer has done so far."""
        return PacingStats(
            requests=self._requests,
            held=self._held,
            held_seconds=self._held_seconds,
            blocks=self._blocks,
            limits={name: window.limit for name, window in self._windows.items()},
        )

    def try_acquire(self, route: str) -> _Ticket | None:
        """A ticket at once if one more request on ``route`` fits now, else ``None``."""
        windows = self._routes.get(route, self._default)
        now = self._monotonic()
        for window in windows:
            # The usual case costs these comparisons and nothing else: room, no block, and the
            # window not yet due to roll over.
            if window.used >= window.limit or now >= window.end or now < window.blocked_until:
                return None
        return self._take(route, windows, now)

    async def acquire(self, route: str) -> _Ticket:
        """Wait until one more request on ``route`` fits every window that applies to it."""
        windows = self._routes.get(route, self._default)
        now = await self._hold(route, windows, self._monotonic())
        return self._take(route, windows, now)

    def _take(self, route: str, windows: tuple[_Window, ...], now: float) -> _Ticket:
        """Count one request sent now in every window."""
        self._requests += 1
        entries = []
        for window in windows:
            if window.opened is None:
                window.opened = now
            window.used += 1
            window.sent += 1
            window.in_flight += 1
            entries.append((window, window.generation, window.sent))
        return (route, entries)

    def _monotonic(self) -> float:
        # Replaced by the clock's own monotonic once the pacer has a clock (see configured()).
        raise RuntimeError("this pacer has no clock: give it one, or give it to a client")

    async def _hold(self, route: str, windows: tuple[_Window, ...], now: float) -> float:
        """Wait until every window has room; returns the time it is granted."""
        clock = self.clock
        assert clock is not None
        first_wait = None
        while True:
            wait = 0.0
            stated = False  # does the longest wait rest on what the server said?
            for window in windows:
                window.roll(now)
                delay = window.delay(now)
                if delay > wait:
                    wait = delay
                    stated = window.reported(now)
            if wait <= 0.0 or not waits_enabled():  # the testing switch: never hold
                break
            if first_wait is None:
                first_wait = now
            if stated and now - first_wait + wait > self._max_wait:
                # A fallback estimate (no response yet) is only an upper bound that the next
                # response usually tightens, so only a wait the server stated is refused.
                raise self._too_long(route, windows, wait, now)
            await clock.sleep(min(wait, self._max_sleep))
            now = clock.monotonic()
        if first_wait is not None:
            self._held += 1
            self._held_seconds += now - first_wait
        return now

    def _too_long(
        self, route: str, windows: tuple[_Window, ...], wait: float, now: float
    ) -> RateLimitError:
        reported: Reported = {
            w.name: [w.limit, max(w.limit - w.used, 0), max(w.delay(now), 0.0)] for w in windows
        }
        return RateLimitError(
            status_code=429,
            message=(
                f"held back by the pacer: {route} could be sent in {wait:.1f} s, later than"
                f" max_wait ({self._max_wait:g} s); nothing was sent"
            ),
            retry_after=wait,
            rate_limits=to_public(reported, now),
        )

    def release(
        self,
        ticket: _Ticket,
        status: int | None,
        reported: Reported | None,
        observed_at: float,
    ) -> None:
        """Learn limits, window ends and blocks from the response to one request."""
        route, entries = ticket
        if status is None or reported is None or status == 429:
            for window, _generation, _number in entries:
                window.in_flight -= 1
            if status is not None:
                self._release_unusual(route, entries, status, reported, observed_at)
            return  # no response: nothing learned, and the request stays counted
        # The usual case, in one pass: each window this request was paced against, matched
        # with its limit in the report.
        matched = 0
        for window, generation, number in entries:
            window.in_flight -= 1
            values = reported.get(window.name)
            if values is None:
                continue
            matched += 1
            limit, remaining, reset = values
            if limit is not None and limit != window.limit and limit >= 1:
                window.limit = int(limit)
            if generation != window.generation:
                # Sent in an earlier window of ours: it may have been counted in either, so it
                # tells nothing safe about the current one.
                continue
            if reset is not None and reset <= LONGEST_RESET:
                end = observed_at + reset if reset > 0 else observed_at
                if end < window.end:
                    window.end = end
            if limit is not None and remaining is not None:
                # Counted so far, plus ours sent after this one: the server's count once they land.
                counted = limit - remaining + window.sent - number
                if counted > window.used:
                    window.used = int(counted)
        if matched != len(reported) or matched != len(entries) or route not in self._route_names:
            # Other names than this request was paced against, or the route's first report:
            # record what the route is governed by (once per route, then only on a change).
            self._learn_route(route, reported, entries, status, observed_at)

    def _release_unusual(
        self,
        route: str,
        entries: list[tuple[_Window, int, int]],
        status: int,
        reported: Reported | None,
        observed_at: float,
    ) -> None:
        """A response without rate-limit headers, or a 429."""
        if reported is None:
            if 200 <= status < 300:
                # The server answered normally and reports no limit for this route: stop
                # pacing it. An error without the headers (a proxy's 503 page, say) tells
                # nothing about the server's limits.
                self._routes[route] = ()
                self._route_names[route] = ()
            return
        if self._route_names.get(route) != tuple(reported):
            self._learn_route(route, reported, entries, status, observed_at)
        self._blocks += 1
        for name, (limit, _remaining, reset) in reported.items():
            # Blocked: nothing more until the reset (the retry, if any, waits for it too).
            window = self._windows[name]
            if limit is not None and limit >= 1:
                window.limit = int(limit)
            if reset is not None and reset <= LONGEST_RESET:
                window.blocked_until = max(window.blocked_until, observed_at + max(reset, 0.0))
            window.used = max(window.used, window.limit)

    def _learn_route(
        self,
        route: str,
        reported: Reported,
        entries: list[tuple[_Window, int, int]],
        status: int,
        observed_at: float,
    ) -> None:
        """The route reports other limit names than before: pace it against those from now on."""
        names = tuple(reported)
        paced = {window.name for window, _generation, _number in entries}
        windows = []
        for name in names:
            limit, remaining, reset_value = reported[name]
            reset = None
            if reset_value is not None and reset_value <= LONGEST_RESET:
                reset = max(float(reset_value), 0.0)
            window = self._windows.get(name)
            if window is None:
                # First heard of now: its window is as long as what is left of it, at least.
                window = self._window(name, self._limit, self._length)
            if limit is not None and limit >= 1:
                window.limit = int(limit)
            if name not in paced and status != 429:
                # A limit this request was not paced against: the server's count is a floor
                # for ours, and its reset bounds a window we had not opened.
                if window.opened is None:
                    window.opened = observed_at
                    if reset is not None:
                        window.end = observed_at + reset
                if limit is not None and remaining is not None:
                    window.used = max(window.used, max(int(limit) - int(remaining), 0))
            windows.append(window)
        self._routes[route] = tuple(windows)
        self._route_names[route] = names

    def configured(self, clock: Clock) -> AdaptivePacer:
        """Give the pacer the client's clock if it has none; returns the pacer."""
        if self.clock is None:
            self.clock = clock
            self._monotonic = clock.monotonic  # type: ignore[method-assign]
        return self


def _check_route_limits(route_limits: Any) -> None:
    if not isinstance(route_limits, Mapping):
        raise InvalidArgumentError(
            "route_limits", f"expected a mapping, got {type(route_limits).__name__}"
        )
    for route, limits in route_limits.items():
        if not isinstance(route, str) or not route:
            raise InvalidArgumentError("route_limits", f"keys are route names, got {route!r}")
        if isinstance(limits, (str, bytes)) or not isinstance(limits, Sequence):
            raise InvalidArgumentError(
                f"route_limits[{route!r}]", f"expected a list of RouteLimit, got {limits!r}"
            )
        for index, limit in enumerate(limits):
            if not isinstance(limit, RouteLimit):
                raise InvalidArgumentError(
                    f"route_limits[{route!r}][{index}]",
                    f"expected a RouteLimit, got {type(limit).__name__}",
                )


def default_pacer(credential_kind: str, clock: Clock | None = None) -> AdaptivePacer:
    """The pacer ``CalBookings(pacing=True)`` builds: Cal.com's budget for the credential kind."""
    limit = 120 if credential_kind == "api_key" else 500
    return AdaptivePacer(limit=limit, window=60.0, clock=clock or SystemClock())
