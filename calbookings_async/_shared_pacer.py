"""One rate budget for every process of a credential: the shared pacer, on any store.

:class:`SharedPacer` implements the :class:`~calbookings_async.Pacer` protocol over a store
(``_stores``): the credential's windows live in one record there, changed only by the atomic
step of ``_shared_window``. :class:`FilePacer` is the SQLite file store (every process of one
machine); ``calbookings_async.redis.RedisPacer`` is the Redis store (every process of every
machine). What one process learns from a response is shared with all; a 429 seen by any of them
holds all of them until its reset; requests in flight are counted with an expiry, so a killed
process leaks nothing past the in-flight TTL.

Round trips are batched: requests waiting in one process are granted by one step; what the
responses said rides along with the next step (or a short flush timer, at once after a 429);
a wait the store states is slept in one go, by one task per pacer (the pump), first in first
out. A process that needs nothing from the store sends nothing, except a heartbeat while it has
requests in flight.

When the store cannot be reached (``fallback="local"``, the default), each process paces
itself with an :class:`~calbookings_async.AdaptivePacer` at its share of each limit (the limit
divided by the most processes the store showed it, and by at least
:data:`ASSUMED_PROCESSES`), starting from the shared windows as last described (by the store, or
by a later response; its own requests in flight count), with the server's own ``Remaining``
as a guard. It tries the store every :data:`_RETRY` seconds, sends nothing alone later than
that after a failed try, and goes back to the store as soon as it answers. A store that came
back empty holds its windows shut until every process pacing alone has found it again and the
server's window they may have opened has ended (``_shared_window``).
The switch is logged once at WARNING with the reason, the return at INFO. ``fallback="wait"``
sends nothing until the store answers; a request held longer than ``max_wait`` then fails with
``StoreUnavailable``, unsent.

Imports ``_shared_window``, ``_stores``, ``_pacing``, ``_ratelimit``, ``_validate``,
``_errors`` and ``_types``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import logging
import math
import os
import secrets
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from ._errors import InvalidArgumentError, RateLimitError
from ._pacing import LONGEST_RESET, AdaptivePacer, PacerBinding, PacingStats, held_too_long
from ._ratelimit import RateLimitReport, ReportedLimit
from ._shared_window import Observation, StepInput, StepOutput, WindowView, step
from ._stores import SQLiteStore, Store, StoreUnavailable, default_cache_dir
from ._types import Clock, Operation, SystemClock, waits_enabled
from ._validate import check_clock, check_int, check_number

__all__ = ["ASSUMED_PROCESSES", "FilePacer", "SharedPacer"]

logger = logging.getLogger("calbookings_async")

#: The fewest processes a pacer assumes share the budget when the store is down: it paces at a
#: quarter of each limit at most (less when the store showed it more processes).
ASSUMED_PROCESSES = 4
#: How long a record of a credential nobody paces any more stays in the store.
_RECORD_TTL = 86_400.0
#: Longest sleep on a window end no response has reported yet (one round trip per look).
_UNSTATED_NAP = 0.5
#: How often a process pacing alone tries the store again: it sends nothing alone later than
#: this after its last failed try (a request waits for one more try first).
_RETRY = 0.25
#: Within how long of the store's return every process pacing alone has found it again (the
#: retry period, with room for a loaded machine); see ``_shared_window``.
_REJOIN = 1.0
_USE_LOCAL = object()  # what a waiter gets when the store is down and pacing turns local
#: Longest a process keeps slots taken ahead before it uses them or gives them back (cut to a
#: quarter of the in-flight TTL and of the window): a 429 another process saw reaches it at its
#: next step, and slots it no longer needs go back to the others soon.
_AHEAD_FOR = 0.5


class _Ahead:
    """Slots of one route granted ahead of its requests (``count`` left, until ``expires``)."""

    __slots__ = ("count", "expires", "gens")

    def __init__(self, gens: dict[str, float], count: int, expires: float) -> None:
        self.gens = gens
        self.count = count
        self.expires = expires


class _Ticket:
    """One request let through: its route, and per limit name its window and its number."""

    __slots__ = ("gens", "local", "names", "numbers", "route")

    def __init__(self, route: str, names: tuple[str, ...]) -> None:
        self.route = route
        self.names = names
        self.gens: dict[str, float] = {}
        self.numbers: dict[str, int] = {}
        self.local: Any = None  # the fallback pacer's ticket, when it let the request through


class _Waiter:
    __slots__ = ("asked", "first_wait", "future", "operation")

    def __init__(self, operation: Operation, future: asyncio.Future[Any], now: float) -> None:
        self.operation = operation
        self.future = future
        self.first_wait = now
        self.asked = 0  # steps that asked for it: held when the first did not grant it


class _Seen:
    """What responses said of one limit name since the last step (local monotonic times)."""

    __slots__ = ("blocked_until", "counted", "end", "gen", "limit", "top")

    def __init__(self, gen: float | None) -> None:
        self.gen = gen
        self.limit: int | None = None
        self.counted: int | None = None
        self.top: int | None = None  # the server's highest count among our answered requests
        self.end = math.inf
        self.blocked_until = -math.inf


class SharedPacer:
    """A :class:`~calbookings_async.Pacer` whose windows live in a store shared by processes.

    Use :class:`FilePacer` or ``calbookings_async.redis.RedisPacer``; this class is their
    common part (and the way to put the shared pacer on another store).

    Args:
        store: Makes the store once the credential is known (called with its digest).
        description: How the store is named in logs and errors.
        limit: Requests per window assumed before the server reports its limit (``None``:
            Cal.com's budget for the credential kind, 120 or 500).
        window: The window's length in seconds before the server reports it.
        clock: The local clock (``None``: the system clock). Only durations measured on it
            reach the store; the store's own clock dates everything.
        in_flight_ttl: Seconds a request counts as in flight without news from its process
            (``None``: the client's attempt timeout plus 10 s, or 70 s without one).
        fallback: ``"local"`` or ``"wait"`` when the store cannot be reached (module docstring).
        max_wait: Longest a request may be held, in seconds (as ``AdaptivePacer``).
        flush_after: Seconds responses' news may wait for a step to ride along with.
        take_ahead: The most slots of a route a step may grant beyond the requests waiting,
            while its windows are far from full (0: none). The next requests then go at once,
            without a round trip; slots not used within half a second go back.
    """

    def __init__(
        self,
        store: Any,
        *,
        description: str,
        limit: int | None = None,
        window: float = 60.0,
        clock: Clock | None = None,
        in_flight_ttl: float | None = None,
        fallback: Literal["local", "wait"] = "local",
        max_wait: float = 65.0,
        flush_after: float = 0.05,
        take_ahead: int = 8,
    ) -> None:
        if limit is not None:
            check_int("limit", limit, minimum=1)
        check_number("window", window, minimum=0.001)
        if in_flight_ttl is not None:
            check_number("in_flight_ttl", in_flight_ttl, minimum=0.001)
        if fallback not in ("local", "wait"):
            raise InvalidArgumentError("fallback", f"expected 'local' or 'wait', got {fallback!r}")
        check_number("max_wait", max_wait, minimum=0.0)
        check_number("flush_after", flush_after, minimum=0.0)
        check_int("take_ahead", take_ahead, minimum=0)
        self._take_ahead = take_ahead
        self.clock: Clock = SystemClock() if clock is None else check_clock("clock", clock)
        self._now = self.clock.monotonic
        self._make_store = store
        self._store: Store | None = None
        self.description = description
        self._limit, self._length, self._ttl = limit, float(window), in_flight_ttl
        self._fallback, self._max_wait, self._flush_after = fallback, max_wait, flush_after
        self._binding: PacerBinding | None = None
        self._key = ""
        self._worker = secrets.token_hex(8)
        self._init_state()

    def _init_state(self) -> None:
        self._waiters: collections.deque[_Waiter] = collections.deque()
        self._pump_task: asyncio.Task[None] | None = None
        self._poke = asyncio.Event()
        self._urgent = False
        self._seen: dict[str, _Seen] = {}
        self._learned_routes: dict[str, list[str]] = {}
        self._routes: dict[str, list[str]] = {}
        self._views: dict[str, tuple[WindowView, float]] = {}  # name -> (view, local time)
        # name -> [gen, our requests sent in it, those answered with the server's count]
        self._sent: dict[str, list[float]] = {}
        self._in_flight: collections.Counter[str] = collections.Counter()
        self._ahead: dict[str, _Ahead] = {}  # route -> slots granted ahead of its requests
        self._returned: dict[str, tuple[float, int]] = {}  # name -> (gen, slots) not used
        self._declared: dict[str, list[tuple[str, int, float]]] = {}
        self._waits: dict[str, tuple[float, bool, str]] = {}
        self._wake_at: float | None = None
        self._window_nap = False
        self._heartbeat_nap = False
        self._flusher: asyncio.Future[None] | None = None
        self._last_step = -math.inf
        self._last_try = -math.inf  # the last step that failed (the store down)
        self._paced_alone = False  # since the last step that reached the store
        self._workers: int | None = None
        self._record_id: str | None = None  # the record last stepped on
        self._most_workers = 0
        self._local: AdaptivePacer | None = None
        self._store_back: asyncio.Event | None = None  # set when the store answers again
        self._requests = self._held = self._blocks = 0
        self._held_seconds = self._longest_hold = 0.0
        self.round_trips = 0

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.description!r})"

    # --- the protocol ----------------------------------------------------------------------

    def bind(self, binding: PacerBinding) -> None:
        """Share ``binding``'s credential's budget (see :meth:`Pacer.bind`).

        Raises:
            InvalidArgumentError: The pacer already paces another credential.
        """
        if not isinstance(binding, PacerBinding):
            raise InvalidArgumentError(
                "binding", f"expected a PacerBinding, got {type(binding).__name__}"
            )
        if self._binding is not None:
            if self._binding.credential_id != binding.credential_id:
                raise InvalidArgumentError(
                    "pacing", "this pacer already paces another credential; give each its own"
                )
            return
        self._binding = binding
        self._key = f"pacer:{binding.credential_id}"
        if self._limit is None:
            self._limit = 120 if binding.credential_kind == "api_key" else 500
        if self._ttl is None:
            timeout = binding.attempt_timeout
            self._ttl = (timeout if timeout is not None else 60.0) + 10.0
        self._store = self._make_store(binding.credential_id)

    def try_acquire(self, operation: Operation) -> _Ticket | None:
        """A ticket at once for a route the server does not pace, or from the slots a step
        granted ahead (else ``None``: ask the store)."""
        route = operation.name
        if self._routes.get(route) == [] or not waits_enabled():
            return self._unpaced(route)
        ahead = self._ahead.get(route)
        if ahead is None or ahead.count <= 0:
            return None
        if self._now() >= ahead.expires:
            self._give_back(route)
            self._kick(flush=True)
            return None
        ahead.count -= 1
        self._requests += 1
        return self._take(route, ahead.gens)

    async def acquire(self, operation: Operation) -> _Ticket:
        """Wait until the shared windows have room for one more request of ``operation``."""
        if self._store is None:
            raise InvalidArgumentError("pacing", "bind the pacer first (CalBookings does)")
        ticket = self.try_acquire(operation)
        if ticket is not None:
            return ticket
        if self._local is not None and self._now() - self._last_try < _RETRY:
            return await self._acquire_local(operation)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        waiter = _Waiter(operation, future, self._now())
        self._waiters.append(waiter)
        self._kick(route=operation.name)
        try:
            result = await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled() and isinstance(future.result(), _Ticket):
                self.release(future.result(), None, None)
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)
            raise
        if result is _USE_LOCAL:
            return await self._acquire_local(operation)
        assert isinstance(result, _Ticket)
        return result

    def release(self, ticket: _Ticket, status: int | None, limits: RateLimitReport | None) -> None:
        """Learn from one response; the news reaches the store with the next step."""
        for name in ticket.names:
            self._in_flight[name] -= 1
        if ticket.local is not None and self._local is not None:
            self._local.release(ticket.local, status, _scaled(limits, self._share()))
        if status is None:
            return  # no response: nothing learned, and it may have been counted
        if limits is None:
            if 200 <= status < 300:
                self._learned_routes[ticket.route] = self._routes[ticket.route] = []
                self._kick(flush=True)
            return
        now = self._now()
        for name, values in limits.items():
            self._observe(ticket, name, values, status, now)
        names = list(limits)
        if self._routes.get(ticket.route) != names:
            self._learned_routes[ticket.route] = self._routes[ticket.route] = names
        if status == 429:
            self._blocks += 1
            self._urgent = True
            self._give_back(*self._ahead)  # not sent into a block
        self._kick(flush=True)

    def _observe(
        self, ticket: _Ticket, name: str, values: ReportedLimit, status: int, now: float
    ) -> None:
        """Fold one limit of one response into what the next step brings (cheap: it runs for
        every response; comparisons, no calls on the usual path)."""
        limit, remaining, reset = values
        gen = ticket.gens.get(name)
        seen = self._seen.get(name)
        if seen is None or seen.gen != gen:
            seen = self._seen[name] = _Seen(gen)
        if limit is not None and limit >= 1:
            seen.limit = limit if type(limit) is int else int(limit)
        if reset is not None and reset <= LONGEST_RESET:
            end = now + reset if reset > 0 else now
            if end < seen.end:
                seen.end = end
            if status == 429 and end > seen.blocked_until:
                seen.blocked_until = end
        if limit is not None and remaining is not None:
            counted = limit - remaining
            sent = self._sent.get(name)
            if gen is not None and sent is not None and sent[0] == gen:
                sent[2] += 1
                if seen.top is None or counted > seen.top:
                    seen.top = int(counted)
                counted += sent[1] - ticket.numbers[name]  # ours sent after this one
            if seen.counted is None or counted > seen.counted:
                seen.counted = int(counted)
            if reset is not None and reset <= LONGEST_RESET and limit >= 1:
                # The server's own view of its window: what a store that lost its record (or a
                # fallback that starts now) must start from.
                view = WindowView(int(limit), self._length, int(counted), max(reset, 0.0))
                self._views[name] = (view, now)

    @property
    def stats(self) -> PacingStats:
        """What the pacer has done, and what its first held request waits for."""
        reason = resumes_in = None
        waiting = len(self._waiters)
        if self._waiters:
            waited = self._waits.get(self._waiters[0].operation.name)
            reason = waited[2] if waited else None
            if self._wake_at is not None:
                resumes_in = max(self._wake_at - self._now(), 0.0)
        elif self._local is not None:
            local = self._local.stats
            waiting, reason, resumes_in = local.waiting, local.wait_reason, local.resumes_in
        return PacingStats(
            requests=self._requests,
            held=self._held,
            held_seconds=self._held_seconds,
            blocks=self._blocks,
            limits={name: view.limit for name, (view, _at) in self._views.items()},
            longest_hold=self._longest_hold,
            waiting=waiting,
            wait_reason=reason,
            resumes_in=resumes_in,
        )

    # --- the pump: one task per pacer that talks to the store --------------------------------

    def _kick(self, *, flush: bool = False, route: str | None = None) -> None:
        """Make sure the pump runs, and wake it when what happened cannot wait: a 429, or a
        request while it only waits to flush news (not one more request for a full window)."""
        task = self._pump_task
        if task is None or task.done():
            self._pump_task = asyncio.ensure_future(self._pump())
        elif self._urgent or (not flush and (not self._window_nap or route not in self._waits)):
            self._poke.set()
        elif flush and self._heartbeat_nap:
            self._poke.set()  # the pump looks again, and waits the flush delay instead
        elif flush and self._window_nap and self._flusher is None:
            # News while the pump sleeps on a full window: it must not wait for the window's
            # end (finished requests would stay in flight, and a tighter end unused).
            self._flusher = asyncio.ensure_future(self._flush_soon())

    async def _flush_soon(self) -> None:
        try:
            await self.clock.sleep(self._flush_after)
            self._poke.set()
        finally:
            self._flusher = None

    async def _pump(self) -> None:
        try:
            while (
                self._waiters
                or self._seen
                or self._learned_routes
                or self._returned
                or self._ahead
                or self._in_flight_total()
            ):
                if not self._waiters and not self._urgent:
                    # Only news, or a heartbeat, or slots taken ahead to give back when they
                    # expire: let more news gather, and requests arrive.
                    news = self._seen or self._learned_routes or self._returned
                    due = self._flush_after if news else None
                    self._heartbeat_nap = due is None
                    if due is None:
                        due = max(self._last_step + self._ttl_value() / 3 - self._now(), 0.0)
                        if self._ahead:
                            soonest = min(a.expires for a in self._ahead.values())
                            due = min(due, max(soonest - self._now(), 0.0))
                    try:
                        if await self._nap(due):
                            continue  # poked: look again
                    finally:
                        self._heartbeat_nap = False
                await self._step_once()
        finally:
            self._wake_at = None

    async def _nap(self, seconds: float) -> bool:
        """Sleep on the pacer's clock; True when poked before the time was up."""
        if seconds <= 0:
            return False
        self._poke.clear()
        self._wake_at = self._now() + seconds
        sleeper = asyncio.ensure_future(self.clock.sleep(seconds))
        poked = asyncio.ensure_future(self._poke.wait())
        try:
            done, _pending = await asyncio.wait({sleeper, poked}, return_when="FIRST_COMPLETED")
        finally:
            sleeper.cancel()
            poked.cancel()
        self._wake_at = None
        return poked in done and sleeper not in done

    async def _step_once(self) -> None:
        """One round trip: bring the news and the wants, hand out what was granted."""
        wants = self._wants()
        given, seen, learned = self._input(wants)
        store = self._store
        assert store is not None
        self._urgent = False
        self.round_trips += 1
        try:
            output = await store.transact(
                self._key, functools.partial(_run_step, given=given), ttl=_RECORD_TTL
            )
        except StoreUnavailable as problem:
            self._restore_news(seen, learned, given)
            await self._store_down(problem)
            return
        except Exception as problem:  # a store that cannot work (a corrupt file): say so
            self._restore_news(seen, learned, given)
            for waiter in list(self._waiters):
                self._waiters.remove(waiter)
                if not waiter.future.done():
                    waiter.future.set_exception(problem)
            await self._nap(1.0)
            return
        sent_at = self._now()
        self._last_step = sent_at
        self._paced_alone = False
        self._store_up()
        self._absorb(output, sent_at)
        await self._serve(output, sent_at)

    def _wants(self) -> list[tuple[str, list[tuple[str, int, float]], int]]:
        """What this step asks for: a slot per waiting request, by route; and, for a route
        whose slots taken ahead run low, none (the step may grant more ahead)."""
        counts: dict[str, int] = {}
        declared = self._declared
        for waiter in self._waiters:
            waiter.asked += 1
            operation = waiter.operation
            counts[operation.name] = counts.get(operation.name, 0) + 1
            declared[operation.name] = [(r.name, r.limit, r.window) for r in operation.limits]
        now = self._now()
        for route, ahead in list(self._ahead.items()):
            if now >= ahead.expires:
                self._give_back(route)  # with this step
            elif ahead.count <= self._take_ahead // 2:
                counts.setdefault(route, 0)
        return [(route, declared[route], count) for route, count in counts.items()]

    def _input(
        self, wants: list[tuple[str, list[tuple[str, int, float]], int]]
    ) -> tuple[StepInput, dict[str, _Seen], dict[str, list[str]]]:
        """What this step brings; the news is taken out (and put back if the step fails)."""
        now = self._now()
        seen, self._seen = self._seen, {}
        learned, self._learned_routes = self._learned_routes, {}
        observations = {
            name: Observation(
                gen=item.gen,
                limit=item.limit,
                counted=self._counted(name, item),
                end_in=None if item.end == math.inf else item.end - now,
                blocked_in=None if item.blocked_until == -math.inf else item.blocked_until - now,
            )
            for name, item in seen.items()
        }
        views = {}
        for name, (view, at) in self._views.items():
            end_in = None if view.end_in is None else view.end_in - (now - at)
            views[name] = WindowView(view.limit, view.length, view.used, end_in)
        spare = {route: self._take_ahead - self._held_ahead(route) for route, _d, _c in wants}
        given = StepInput(
            worker=self._worker,
            ttl=self._ttl_value(),
            default_limit=self._limit or 120,
            default_length=self._length,
            wants=wants,
            in_flight=self._in_flight_now(),
            observations=observations,
            routes=learned,
            views=views,
            known=self._paced_alone or now - self._last_step < _RECORD_TTL,
            rejoin=_REJOIN,
            record_id=self._record_id,
            alone=self._paced_alone,
            spare=spare,
            returned=self._returned,
        )
        self._returned = {}  # put back if the step fails
        return given, seen, learned

    def _in_flight_now(self) -> dict[str, int]:
        """This process's requests in flight by limit name, slots taken ahead included (they
        count as in flight until they are used or given back)."""
        in_flight = collections.Counter(self._in_flight)
        for ahead in self._ahead.values():
            for name in ahead.gens:
                in_flight[name] += ahead.count
        return {name: count for name, count in in_flight.items() if count > 0}

    def _held_ahead(self, route: str) -> int:
        ahead = self._ahead.get(route)
        return 0 if ahead is None else max(ahead.count, 0)

    def _counted(self, name: str, seen: _Seen) -> int | None:
        """The most the server will have counted in the window: the highest count among our
        answered requests, plus ours not answered yet. (Ours answered with a lower count were
        counted before it; those not answered may not be counted yet.) Requests answer out of
        order, so "ours sent after the one answered" would count some twice."""
        sent = self._sent.get(name)
        if seen.top is None or sent is None or sent[0] != seen.gen:
            return seen.counted  # an earlier window of ours: ours sent after it, at most
        return seen.top + int(sent[1] - sent[2])

    def _restore_news(
        self, seen: dict[str, _Seen], learned: dict[str, list[str]], given: StepInput
    ) -> None:
        for name, (gen, count) in given.returned.items():
            self._count_back(name, gen, count)
        for name, item in seen.items():
            self._seen.setdefault(name, item)
        for route, names in learned.items():
            self._learned_routes.setdefault(route, names)

    def _absorb(self, output: StepOutput, sent_at: float) -> None:
        self._routes.update(output.routes)
        self._record_id = output.record_id
        blocked = {name for name, view in output.windows.items() if view.blocked_in}
        if blocked:  # a 429 another process saw: slots taken ahead are not sent into it
            self._give_back(*(r for r, a in self._ahead.items() if blocked.intersection(a.gens)))
        self._views = {name: (view, sent_at) for name, view in output.windows.items()}
        self._workers = output.workers
        self._most_workers = max(self._most_workers, output.workers)
        self._waits = output.waits

    async def _serve(self, output: StepOutput, sent_at: float) -> None:
        """Hand the grants to the waiters in order; sleep until the first of the rest can go."""
        granted = {grant.route: grant for grant in output.grants}
        left = {route: grant.count for route, grant in granted.items()}
        waiting: collections.deque[_Waiter] = collections.deque()
        for waiter in self._waiters:
            route = waiter.operation.name
            if waiter.future.done():
                continue
            if left.get(route, 0) > 0:
                left[route] -= 1
                waiter.future.set_result(self._issue(route, granted[route].gens, waiter, sent_at))
            else:
                waiting.append(waiter)
        self._waiters = waiting
        # Grants left over (taken ahead, or meant for waiters cancelled meanwhile) are kept for
        # the next requests of their route: counted in the window and in flight until they are
        # used or expire (then gone from the in-flight count the next step reports).
        for route, count in left.items():
            if count > 0:
                self._keep_ahead(route, granted[route].gens, count, output, sent_at)
        self._refuse_long_waits(output, sent_at)
        if self._waiters:
            delays = []
            for waiter in self._waiters:
                waited = output.waits.get(waiter.operation.name)
                if waited is None:
                    return  # a route this step did not ask for: ask at once
                # A wait no server stated (no response in this window yet) is an upper bound
                # that any process's first response tightens: look again sooner.
                delays.append(waited[0] if waited[1] else min(waited[0], _UNSTATED_NAP))
            if (self._seen or self._learned_routes) and self._flusher is None:
                # News that came while this step was under way: it must reach the store before
                # the window ends (requests left in flight there would count in the next).
                self._flusher = asyncio.ensure_future(self._flush_soon())
            self._window_nap = True
            try:
                await self._nap(max(min(delays), 0.01))
            finally:
                self._window_nap = False

    def _give_back(self, *routes: str) -> None:
        """Stop using the slots taken ahead for ``routes``; the next step gives them back."""
        for route in routes:
            ahead = self._ahead.pop(route)
            if ahead.count > 0:
                for name, gen in ahead.gens.items():
                    self._count_back(name, gen, ahead.count)

    def _count_back(self, name: str, gen: float, count: int) -> None:
        held = self._returned.get(name)
        if held is not None and held[0] == gen:
            count += held[1]
        self._returned[name] = (gen, count)  # slots of an older window: counted there, safe

    def _keep_ahead(
        self, route: str, gens: dict[str, float], count: int, output: StepOutput, now: float
    ) -> None:
        """Keep ``count`` slots of ``route`` for its next requests. Any kept before are in the
        windows now current too (counted in flight when they rolled): they take these gens."""
        ahead = self._ahead.get(route)
        life = min(_AHEAD_FOR, self._ttl_value() / 4)
        for name in gens:
            view = output.windows.get(name)
            if view is not None:
                life = min(life, view.length / 4)
        held = 0 if ahead is None or now >= ahead.expires else ahead.count
        self._ahead[route] = _Ahead(gens, held + count, now + life)

    def _issue(self, route: str, gens: dict[str, float], waiter: _Waiter, now: float) -> _Ticket:
        ticket = self._take(route, gens)
        self._requests += 1
        held = now - waiter.first_wait
        if waiter.asked > 1:
            self._held += 1
            self._held_seconds += held
            self._longest_hold = max(self._longest_hold, held)
        return ticket

    def _take(self, route: str, gens: dict[str, float]) -> _Ticket:
        """A ticket for one request sent in the windows ``gens``."""
        ticket = _Ticket(route, tuple(gens))
        ticket.gens = gens
        for name, gen in gens.items():
            sent = self._sent.get(name)
            if sent is None or sent[0] != gen:
                sent = self._sent[name] = [gen, 0, 0]
            sent[1] += 1
            ticket.numbers[name] = int(sent[1])
            self._in_flight[name] += 1
        return ticket

    def _unpaced(self, route: str) -> _Ticket:
        self._requests += 1
        return _Ticket(route, ())

    def _refuse_long_waits(self, output: StepOutput, now: float) -> None:
        for waiter in list(self._waiters):
            waited = output.waits.get(waiter.operation.name)
            if waited is None or not waited[1]:
                continue
            wait = waited[0]
            if now - waiter.first_wait + wait > self._max_wait:
                self._waiters.remove(waiter)
                waiter.future.set_exception(self._too_long(waiter.operation, wait, now))

    def _too_long(self, operation: Operation, wait: float, now: float) -> RateLimitError:
        reported = {
            name: ReportedLimit(view.limit, max(view.limit - view.used, 0), wait)
            for name, (view, _at) in self._views.items()
        }
        return held_too_long(operation.name, wait, self._max_wait, reported, now)

    def _in_flight_total(self) -> int:
        return sum(count for count in self._in_flight.values() if count > 0)

    def _ttl_value(self) -> float:
        return self._ttl if self._ttl is not None else 70.0

    # --- when the store is down -------------------------------------------------------------

    def _share(self) -> float:
        # The most processes the store ever showed, and never fewer than ASSUMED_PROCESSES: a
        # process that stepped before the others first did sees itself alone.
        return 1.0 / max(self._most_workers, ASSUMED_PROCESSES)

    async def _store_down(self, problem: StoreUnavailable) -> None:
        self._give_back(*self._ahead)  # pacing turns local; given back when the store answers
        if self._fallback == "local":
            if self._local is None:
                logger.warning(
                    "shared pacer: %s cannot be reached (%s); pacing this process alone at"
                    " 1/%d of each limit until it answers",
                    self.description,
                    problem.problem,
                    round(1 / self._share()),
                )
                self._local = self._make_local()
                self._store_back = asyncio.Event()
            for waiter in list(self._waiters):
                self._waiters.remove(waiter)
                if not waiter.future.done():
                    waiter.future.set_result(_USE_LOCAL)
            self._last_try = self._now()
            self._paced_alone = True
        else:
            now = self._now()
            for waiter in list(self._waiters):
                if now - waiter.first_wait >= self._max_wait:
                    self._waiters.remove(waiter)
                    waiter.future.set_exception(problem)
        await self._nap(_RETRY if self._fallback == "local" else 1.0)  # then try again

    def _store_up(self) -> None:
        if self._local is not None:
            logger.info("shared pacer: %s answers again; sharing the budget", self.description)
            self._local = None  # its windows must not outlive the outage
        if self._store_back is not None:
            self._store_back.set()  # requests held by the fallback go back to the store
            self._store_back = None

    def _make_local(self) -> AdaptivePacer:
        """An in-process pacer at this process's share, from the windows as last described.

        This process's requests in flight (granted by the store) count in its share: they may
        land in the server's current window or in the next.
        """
        share = self._share()
        limit = max(1, math.floor((self._limit or 120) * share))
        local = AdaptivePacer(limit=limit, window=self._length, clock=self.clock)
        now = self._now()
        for name, (view, at) in self._views.items():
            part = max(1, math.floor(view.limit * share))
            mine = min(part, max(self._in_flight[name], 0))
            end = None if view.end_in is None else at + view.end_in
            if end is None or end <= now:
                # The window described has ended: the next starts with what is in flight.
                local._seed(name, part, mine, None, now)
                continue
            # What is left of the window is shared too: every process that falls back at the
            # same moment starts from the same description, and each may take only its share.
            left = math.floor(max(0, view.limit - view.used) * share)
            local._seed(name, part, max(part - min(part, left), mine), end, now)
        return local

    async def _acquire_local(self, operation: Operation) -> _Ticket:
        local = self._local
        if local is None:
            return await self.acquire(operation)
        inner = local.try_acquire(operation)
        if inner is None:
            inner = await self._held_locally(local, operation)
            if inner is None:
                return await self.acquire(operation)
        names = tuple(window.name for window, _gen, _number in inner[1])
        ticket = _Ticket(operation.name, names)
        ticket.local = inner
        for name in names:
            self._in_flight[name] += 1
        self._requests += 1
        self._kick(flush=True)  # keeps trying the store
        return ticket

    async def _held_locally(self, local: AdaptivePacer, operation: Operation) -> Any:
        """The fallback's ticket, or ``None`` when the store answers first: a request held
        through the outage is then paced by the store, which counts it (the fallback's own
        window is gone with it)."""
        back = self._store_back
        acquiring = asyncio.ensure_future(local.acquire(operation))
        if back is None:
            return await acquiring
        returning = asyncio.ensure_future(back.wait())
        try:
            await asyncio.wait({acquiring, returning}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            acquiring.cancel()
            raise
        finally:
            returning.cancel()
        if acquiring.done():
            return acquiring.result()
        acquiring.cancel()  # the fallback's waiter leaves its queue
        return None

    # --- lifetime -------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Stop the pump and close the store (the record stays for the other processes)."""
        task, self._pump_task = self._pump_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._give_back(*self._ahead)  # with the farewell
        if self._store is not None:
            await self._farewell(self._store)
            await self._store.aclose()

    async def _farewell(self, store: Store) -> None:
        """Bring the last news, and leave the store at once rather than after the TTL (best
        effort: the TTL covers a store that is down)."""
        if self._last_step == -math.inf and not self._seen:
            return  # never reached the store: nothing of ours is there
        given, _seen, _learned = self._input([])
        if not given.in_flight:
            given.ttl = 0.0  # requests still in flight may yet land: those keep their TTL
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                store.transact(self._key, functools.partial(_run_step, given=given)), 1.0
            )

    async def __aenter__(self) -> SharedPacer:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()


def _run_step(record: bytes | None, now: float, given: StepInput) -> tuple[bytes, StepOutput]:
    return step(record, now, given)


def _scaled(limits: RateLimitReport | None, share: float) -> RateLimitReport | None:
    """A report as the fallback pacer sees it: each limit cut to this process's share, the
    server's ``Remaining`` as it is (so the process stops when the whole window is full)."""
    if limits is None:
        return None
    return {
        name: ReportedLimit(
            None if limit is None else max(1, math.floor(limit * share)), remaining, reset
        )
        for name, (limit, remaining, reset) in limits.items()
    }


class FilePacer(SharedPacer):
    """A shared pacer for every process of this machine, in a SQLite file: nothing to install.

    Args:
        path: The database file (``None``: ``pacing.sqlite3`` in the user's cache directory,
            ``$XDG_CACHE_HOME/calbookings`` or ``~/.cache/calbookings``, on macOS
            ``~/Library/Caches/calbookings``). One file serves every credential, each in its
            own record keyed by the credential's digest.
        **options: ``limit``, ``window``, ``clock``, ``in_flight_ttl``, ``fallback``,
            ``max_wait``, ``flush_after``, ``take_ahead``, as for :class:`SharedPacer`.

    Raises:
        InvalidArgumentError: ``path`` is not a path or its directory cannot be created. A file
            that is not a SQLite database is refused, naming the path, at first use.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, **options: Any) -> None:
        if path is None:
            path = default_cache_dir() / "pacing.sqlite3"
        store = SQLiteStore(path)
        self.path: Path = store.path
        super().__init__(lambda _credential: store, description=str(store.path), **options)
