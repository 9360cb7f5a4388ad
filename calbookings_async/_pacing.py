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
  default limit there). The endpoints declare the throttles they know in the operation table
  (``Operation.limits``); routes also learn their limit names from their responses, and a route
  whose successful responses carry no rate-limit headers is not paced (an error without them,
  such as a proxy's error page, says nothing about the server's limits).

Requests that must wait queue in order (first in, first out, among requests paced by the same
windows) and one timer wakes the queue when the earliest of them can go; a response that moves
a window (a tighter end, a block) re-arms it. Nothing polls.

The session calls :meth:`Pacer.try_acquire` (and :meth:`Pacer.acquire` when that returns
``None``) before it takes a concurrency slot, so waiting for the budget never counts against a
request's timeout, and :meth:`Pacer.release` when the attempt ends. The client calls
:meth:`Pacer.bind` once, at construction. Any object with those methods can replace the
built-in pacer (``FilePacer`` and ``RedisPacer`` share a budget between processes).

Imports ``_ratelimit``, ``_validate``, ``_errors`` and ``_types``.
"""

from __future__ import annotations

import asyncio
import collections
import math
from collections.abc import Mapping
from typing import Any, Literal, Protocol, TypeAlias

import attrs

from ._errors import InvalidArgumentError, RateLimitError
from ._ratelimit import RateLimitReport, Reported, ReportedLimit, to_public
from ._types import Clock, Operation, RouteLimit, SystemClock, waits_enabled
from ._validate import check_clock, check_int, check_number

__all__ = [
    "LONGEST_RESET",
    "AdaptivePacer",
    "Pacer",
    "PacerBinding",
    "PacingStats",
    "RouteLimit",
    "Ticket",
]

_INFINITY = math.inf

#: The longest ``Reset`` the pacer believes, in seconds (a day). Cal.com's windows and blocks
#: last 60 s; a longer one from a broken proxy (``Reset: 99999999999``) would otherwise end
#: the window or the block decades from now, and every later request would be refused
#: without ever being sent, for good. A longer reset is read as absent: the pacer falls back
#: on the window's length and lets the server say again.
LONGEST_RESET = 86_400.0

#: What a pacer hands out for one request and gets back in ``release``: opaque to the session.
Ticket: TypeAlias = Any

_KINDS = ("api_key", "access_token", "client_credentials")


@attrs.frozen(kw_only=True)
class PacerBinding:
    """What a client tells its pacer once, at construction: whose budget it paces.

    Attributes:
        credential_id: A hex digest identifying the credential (the client computes the
            SHA-256 of the kind and the secret); never the credential itself. Pacers that
            share state between processes key it by this.
        credential_kind: ``"api_key"``, ``"access_token"`` or ``"client_credentials"`` (the
            budget Cal.com gives differs by kind).
        attempt_timeout: The client's per-attempt timeout in seconds (``None``: none): how long
            a request may stay in flight, the basis of a shared pacer's in-flight expiry.
    """

    credential_id: str = attrs.field()
    credential_kind: Literal["api_key", "access_token", "client_credentials"] = attrs.field()
    attempt_timeout: float | None = None

    @credential_id.validator
    def _check_id(self, _attribute: Any, value: Any) -> None:
        if (
            not isinstance(value, str)
            or len(value) < 16
            or any(c not in "0123456789abcdef" for c in value)
        ):
            raise InvalidArgumentError(
                "credential_id", "expected a lower-case hex digest of at least 16 digits"
            )

    @credential_kind.validator
    def _check_kind(self, _attribute: Any, value: Any) -> None:
        if value not in _KINDS:
            raise InvalidArgumentError(
                "credential_kind", f"expected one of {_KINDS}, got {value!r}"
            )

    def __attrs_post_init__(self) -> None:
        if self.attempt_timeout is not None:
            check_number("attempt_timeout", self.attempt_timeout, minimum=0.0)


class Pacer(Protocol):
    """What the client and the session need of a pacer: one binding, then permission and news.

    The client calls :meth:`bind` once. For every attempt, the session calls
    :meth:`try_acquire` first and awaits :meth:`acquire` only when that returns ``None`` (on
    the usual path a request costs no coroutine), then :meth:`release` when the attempt ends,
    whatever happened (cancelled included).
    """

    def bind(self, binding: PacerBinding) -> None:
        """Learn whose budget this pacer paces (called once per client).

        Raises:
            InvalidArgumentError: The pacer is already bound to another credential.
        """
        ...

    def try_acquire(self, operation: Operation) -> Ticket | None:
        """A ticket if one more request of ``operation`` may be sent right now, else ``None``."""
        ...

    async def acquire(self, operation: Operation) -> Ticket:
        """Wait until one more request of ``operation`` may be sent.

        Args:
            operation: The operation (its ``name`` is the route; its ``limits`` are the route
                throttles the endpoints declare).

        Returns:
            A ticket, handed back to :meth:`release` when the request ends.

        Raises:
            RateLimitError: The wait would be longer than the pacer allows (nothing was sent).
        """
        ...

    def release(self, ticket: Ticket, status: int | None, limits: RateLimitReport | None) -> None:
        """Learn how the request went.

        Args:
            ticket: What :meth:`acquire` returned for this request.
            status: The HTTP status, or ``None`` when no response came.
            limits: The response's rate-limit report (lower-case name ->
                :class:`ReportedLimit`), or ``None`` when it had none. The pacer reads its own
                clock for when it was observed.
        """
        ...

    @property
    def stats(self) -> PacingStats:
        """What the pacer has done so far, and what it is waiting for now."""
        ...


@attrs.frozen(kw_only=True)
class PacingStats:
    """What a pacer has done so far, and what it is doing now.

    Attributes:
        requests: Requests allowed through.
        held: Requests that had to wait for the budget.
        held_seconds: Total time requests spent waiting (summed over requests).
        blocks: 429 responses the pacer learned a block from.
        limits: The limit learned (or configured) for every name, by lower-case name.
        longest_hold: The longest time one request waited, in seconds.
        waiting: Requests held right now.
        wait_reason: Why the first of them waits (``"window full: 120 of 120 used"``,
            ``"blocked after a 429"``), or ``None`` when nothing waits.
        resumes_in: Seconds until the pacer expects to let the next held request go, or
            ``None`` when nothing waits (or it cannot tell).
    """

    requests: int
    held: int
    held_seconds: float
    blocks: int
    limits: Mapping[str, int]
    longest_hold: float = 0.0
    waiting: int = 0
    wait_reason: str | None = None
    resumes_in: float | None = None


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

    def reason(self, now: float) -> str:
        """Why a request waits for this window, in a few words."""
        if now < self.blocked_until:
            return "blocked after a 429"
        label = "window full" if self.name == "default" else f"{self.name} window full"
        return f"{label}: {min(self.used, self.limit)} of {self.limit} used"


#: What acquire() hands out: the route, and per window (window, its generation, our number).
_Ticket = tuple[str, list[tuple[_Window, int, int]]]


class _Waiter:
    """One request held by the pacer, in the queue."""

    __slots__ = ("first_wait", "future", "route", "windows")

    def __init__(
        self, route: str, windows: tuple[_Window, ...], future: asyncio.Future[_Ticket], now: float
    ) -> None:
        self.route = route
        self.windows = windows
        self.future = future
        self.first_wait = now


class AdaptivePacer:
    """The built-in pacer: fixed windows per limit name, learned from the server's reports.

    ``CalBookings`` builds one by default (``pacing=True``), with Cal.com's published budget
    for its kind of credential and the client's clock. Build one yourself to change the
    starting budget or to share one pacer between several clients of the same credential.

    Args:
        limit: Requests per window assumed before the server reports its limit (Cal.com: 120
            for an API key, 500 for an access token or OAuth client).
        window: The window's length in seconds (Cal.com: 60). Only used to bound a window whose
            end no response has reported yet; reported ends are always used when known.
        clock: Where time is read and waits happen (``None``: the system clock).
        max_wait: Longest a request may be held, in seconds. A request that would have to wait
            longer (a block, or a reset the server reports as far away) raises
            :class:`RateLimitError` at once, without being sent.
    """

    def __init__(
        self,
        *,
        limit: int = 120,
        window: float = 60.0,
        clock: Clock | None = None,
        max_wait: float = 65.0,
    ) -> None:
        check_int("limit", limit, minimum=1)
        check_number("window", window)
        if window <= 0:
            raise InvalidArgumentError("window", f"must be greater than 0, got {window:g}")
        check_number("max_wait", max_wait, minimum=0.0)
        self.clock: Clock = SystemClock() if clock is None else check_clock("clock", clock)
        self._now = self.clock.monotonic
        self._limit = limit
        self._length = float(window)
        self._max_wait = float(max_wait)
        self._binding: PacerBinding | None = None
        self._windows: dict[str, _Window] = {}
        self._default = (self._window("default", limit, self._length),)
        # Route -> the windows that apply to it: as declared by its operation, or as reported.
        self._routes: dict[str, tuple[_Window, ...]] = {}
        # Route -> the limit names its windows were learned from (absent: not yet reported).
        self._route_names: dict[str, tuple[str, ...]] = {}
        self._waiters: collections.deque[_Waiter] = collections.deque()
        self._timer: asyncio.Future[None] | None = None
        self._timer_due = _INFINITY
        self._requests = 0
        self._held = 0
        self._held_seconds = 0.0
        self._longest_hold = 0.0
        self._blocks = 0

    def __repr__(self) -> str:
        return f"AdaptivePacer(limit={self._limit}, window={self._length:g})"

    def _window(self, name: str, limit: int, length: float) -> _Window:
        window = self._windows.get(name)
        if window is None:
            window = self._windows[name] = _Window(name, limit, length)
        return window

    def bind(self, binding: PacerBinding) -> None:
        """Pace ``binding``'s credential (see :meth:`Pacer.bind`).

        Raises:
            InvalidArgumentError: The pacer already paces another credential: one budget, one
                credential (give each credential its own pacer).
        """
        if not isinstance(binding, PacerBinding):
            raise InvalidArgumentError(
                "binding", f"expected a PacerBinding, got {type(binding).__name__}"
            )
        if self._binding is not None and self._binding.credential_id != binding.credential_id:
            raise InvalidArgumentError(
                "pacing", "this pacer already paces another credential; give each its own pacer"
            )
        self._binding = binding

    @property
    def stats(self) -> PacingStats:
        """What the pacer has done so far, and what its first held request waits for."""
        reason = resumes_in = None
        if self._waiters:
            now = self._now()
            head = self._waiters[0].windows
            wait, window = _longest_delay(head, now)
            if window is not None:
                reason = window.reason(now)
            resumes_in = wait if wait < _INFINITY else None
        return PacingStats(
            requests=self._requests,
            held=self._held,
            held_seconds=self._held_seconds,
            blocks=self._blocks,
            limits={name: window.limit for name, window in self._windows.items()},
            longest_hold=self._longest_hold,
            waiting=len(self._waiters),
            wait_reason=reason,
            resumes_in=resumes_in,
        )

    def try_acquire(self, operation: Operation) -> _Ticket | None:
        """A ticket at once if one more request of ``operation`` fits now, else ``None``."""
        route = operation.name
        windows = self._routes.get(route)
        if windows is None:
            windows = self._declared(operation)
        if self._waiters:
            return None  # first in, first out: those already waiting go first
        now = self._now()
        for window in windows:
            # The usual case costs these comparisons and nothing else: room, no block, and the
            # window not yet due to roll over.
            if window.used >= window.limit or now >= window.end or now < window.blocked_until:
                return None
        return self._take(route, windows, now)

    def _declared(self, operation: Operation) -> tuple[_Window, ...]:
        """The windows of a route not seen before: its declared throttles, or the default."""
        windows: tuple[_Window, ...] = self._default
        if operation.limits:
            windows = tuple(self._window(r.name, r.limit, r.window) for r in operation.limits)
        self._routes[operation.name] = windows
        return windows

    async def acquire(self, operation: Operation) -> _Ticket:
        """Wait (in line) until one more request of ``operation`` fits every window of its route."""
        route = operation.name
        windows = self._routes.get(route)
        if windows is None:
            windows = self._declared(operation)
        now = self._now()
        if not self._waiters:
            wait, window = _longest_delay(windows, now)
            if wait <= 0.0 or not waits_enabled():  # the testing switch: never hold
                return self._take(route, windows, now)
            if window is not None and window.reported(now) and wait > self._max_wait:
                raise self._too_long(route, windows, wait, now)
        future: asyncio.Future[_Ticket] = asyncio.get_running_loop().create_future()
        waiter = _Waiter(route, windows, future, now)
        self._waiters.append(waiter)
        self._wake(now)
        try:
            return await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                # Granted just as it was cancelled: the request is not sent, but counted.
                self.release(future.result(), None, None)
            self._forget(waiter)
            raise

    def _forget(self, waiter: _Waiter) -> None:
        try:
            self._waiters.remove(waiter)
        except ValueError:
            return
        self._wake(self._now())

    def _wake(self, now: float) -> None:
        """Let go every waiter that fits, in order; arm the timer for the first that does not.

        A waiter that does not fit holds back the later ones paced by any of its windows (first
        in, first out), not those paced by other windows.
        """
        held_windows: set[int] = set()
        due = _INFINITY
        testing = not waits_enabled()
        for waiter in list(self._waiters):
            if waiter.future.done():
                self._waiters.remove(waiter)
                continue
            if any(id(window) in held_windows for window in waiter.windows):
                continue
            wait, window = _longest_delay(waiter.windows, now)
            if wait <= 0.0 or testing:
                self._waiters.remove(waiter)
                self._count_hold(now - waiter.first_wait)
                waiter.future.set_result(self._take(waiter.route, waiter.windows, now))
                continue
            stated = window is not None and window.reported(now)
            if stated and now - waiter.first_wait + wait > self._max_wait:
                # A fallback estimate (no response yet) is only an upper bound that the next
                # response usually tightens, so only a wait the server stated is refused.
                self._waiters.remove(waiter)
                waiter.future.set_exception(self._too_long(waiter.route, waiter.windows, wait, now))
                continue
            held_windows.update(id(window) for window in waiter.windows)
            due = min(due, now + wait)
        self._arm(due, now)

    def _count_hold(self, seconds: float) -> None:
        self._held += 1
        self._held_seconds += seconds
        if seconds > self._longest_hold:
            self._longest_hold = seconds

    def _arm(self, due: float, now: float) -> None:
        """One timer for the whole queue, due when its earliest waiter can go."""
        timer = self._timer
        if timer is not None and not timer.done():
            if self._timer_due <= due < _INFINITY:
                return  # rings no later than needed; the queue is looked at again then
            timer.cancel()
        self._timer = None
        self._timer_due = due
        if due < _INFINITY:
            self._timer = asyncio.ensure_future(self._ring(due - now))

    async def _ring(self, delay: float) -> None:
        # Requests just let go run first: their answers often move the window (and re-arm).
        await asyncio.sleep(0)
        await self.clock.sleep(delay)
        self._timer = None
        self._timer_due = _INFINITY
        self._wake(self._now())

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

    def _too_long(
        self, route: str, windows: tuple[_Window, ...], wait: float, now: float
    ) -> RateLimitError:
        reported: Reported = {
            w.name: ReportedLimit(w.limit, max(w.limit - w.used, 0), max(w.delay(now), 0.0))
            for w in windows
        }
        return held_too_long(route, wait, self._max_wait, reported, now)

    def release(self, ticket: _Ticket, status: int | None, limits: RateLimitReport | None) -> None:
        """Learn limits, window ends and blocks from the response to one request."""
        route, entries = ticket
        observed_at = self._now()
        if status is None or limits is None or status == 429:
            for window, _generation, _number in entries:
                window.in_flight -= 1
            if status is not None:
                self._release_unusual(route, entries, status, limits, observed_at)
            if self._waiters:
                self._wake(observed_at)
            return  # no response: nothing learned, and the request stays counted
        # The usual case, in one pass: each window this request was paced against, matched
        # with its limit in the report.
        matched = 0
        for window, generation, number in entries:
            window.in_flight -= 1
            values = limits.get(window.name)
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
        if matched != len(limits) or matched != len(entries) or route not in self._route_names:
            # Other names than this request was paced against, or the route's first report:
            # record what the route is governed by (once per route, then only on a change).
            self._learn_route(route, limits, entries, status, observed_at)
        if self._waiters:
            self._wake(observed_at)

    def _release_unusual(
        self,
        route: str,
        entries: list[tuple[_Window, int, int]],
        status: int,
        limits: RateLimitReport | None,
        observed_at: float,
    ) -> None:
        """A response without rate-limit headers, or a 429."""
        if limits is None:
            if 200 <= status < 300:
                # The server answered normally and reports no limit for this route: stop
                # pacing it. An error without the headers (a proxy's 503 page, say) tells
                # nothing about the server's limits.
                self._routes[route] = ()
                self._route_names[route] = ()
            return
        if self._route_names.get(route) != tuple(limits):
            self._learn_route(route, limits, entries, status, observed_at)
        self._blocks += 1
        for name, (limit, _remaining, reset) in limits.items():
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
        limits: RateLimitReport,
        entries: list[tuple[_Window, int, int]],
        status: int,
        observed_at: float,
    ) -> None:
        """The route reports other limit names than before: pace it against those from now on."""
        names = tuple(limits)
        paced = {window.name for window, _generation, _number in entries}
        windows = []
        for name in names:
            limit, remaining, reset_value = limits[name]
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

    def _seed(self, name: str, limit: int, used: int, end: float | None, now: float) -> None:
        """Start a window from what another pacer knew (the shared pacer's local fallback)."""
        window = self._window(name, limit, self._length)
        window.limit = limit
        window.used = max(window.used, used)
        if end is not None and end > now:
            window.opened = now
            window.end = min(window.end, end)


def held_too_long(
    route: str, wait: float, max_wait: float, reported: Reported, now: float
) -> RateLimitError:
    """The error for a request a pacer refuses to hold: its wait is longer than ``max_wait``."""
    return RateLimitError(
        status_code=429,
        message=(
            f"held back by the pacer: {route} could be sent in {wait:.1f} s, later than"
            f" max_wait ({max_wait:g} s); nothing was sent"
        ),
        retry_after=wait,
        rate_limits=to_public(reported, now),
    )


def _longest_delay(windows: tuple[_Window, ...], now: float) -> tuple[float, _Window | None]:
    """Seconds until every window has room (after rolling those that have ended), and the
    window that holds longest (``None`` when none holds)."""
    wait = 0.0
    holding = None
    for window in windows:
        window.roll(now)
        delay = window.delay(now)
        if delay > wait:
            wait, holding = delay, window
    return wait, holding


def default_pacer(credential_kind: str, clock: Clock | None = None) -> AdaptivePacer:
    """The pacer ``CalBookings(pacing=True)`` builds: Cal.com's budget for the credential kind."""
    limit = 120 if credential_kind == "api_key" else 500
    return AdaptivePacer(limit=limit, window=60.0, clock=clock)
