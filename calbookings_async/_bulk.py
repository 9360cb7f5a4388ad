"""Run one async operation over many items with bounded concurrency, one outcome per item.

:class:`BulkRun` starts ``concurrency`` worker tasks. Each worker takes the next item from the
source only when it is free to start it (so a run over a million uids read from a file holds
``concurrency`` items, never a million tasks or queue entries), runs the operation, records the
:class:`Outcome` (the item, the result or the error, the HTTP attempts made, the time taken)
and hands it to the consumer through a bounded queue of ``concurrency`` outcomes, in completion
order. A worker whose outcome finds the queue full waits, so items running plus outcomes not
yet taken never exceed ``2 * concurrency``.

One item's failure never stops the others: every ``Exception`` the operation raises, a typed
``CalError`` or a bug in the caller's lambda, becomes that item's ``error``. Three errors no
item can survive stop the run instead (``AuthenticationError``, ``PermissionDeniedError``,
``ClientClosedError``): no new item starts, the items in flight finish, and the run says why
(``stop_reason``). An operation that returns something not awaitable (a plain function) stops
the run at its first item and raises ``InvalidArgumentError``. Stopping early (cancelling the
consuming task, ``await run.cancel()``, ``aclose()``, leaving ``async with``, or ``break`` out
of ``async for`` once the iterator is collected) cancels the calls in flight and waits for them,
so no task outlives the run. The run then knows exactly which items succeeded, which failed and
which are unfinished, and :meth:`BulkRun.retry_items` feeds the last two into a new run.

HTTP attempts are counted per item by the run itself: each item's call runs with a counter in a
context variable of the run (tasks the call starts inherit it), and :meth:`BulkRun.count_attempt`,
which the client's session calls before every attempt, adds one to the counter in force.

With a journal, each item's call is recorded before and after (see :class:`_Resume`), so the
same items run again after a crash skip what was done, settle what was in flight and send the
rest.

This module imports ``_validate``, ``_errors`` and ``_journal`` (item entries in a journal); never
``_client``, ``_session`` or ``_bookings``: it runs any coroutine function, not only the SDK's.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import inspect
import logging
import os
import reprlib
import time
import weakref
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    MutableSequence,
    Sized,
)
from contextvars import ContextVar
from types import TracebackType
from typing import Any, Generic, TypeVar, cast

import attrs

from ._errors import (
    APIStatusError,
    AuthenticationError,
    CalError,
    ClientClosedError,
    InvalidArgumentError,
    PermissionDeniedError,
)
from ._journal import (
    IN_FLIGHT,
    LEASE,
    Journal,
    JournalBusyError,
    JournalEntry,
    SQLiteJournal,
)
from ._validate import check_bool, check_int

__all__ = ["BulkReport", "BulkRun", "Outcome", "Progress"]

logger = logging.getLogger("calbookings_async")

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")

#: Completions within this many seconds make up the "current rate" of :class:`Progress`.
RATE_WINDOW = 5.0

#: Errors no item can survive, and how a stopped run says so: every further item would fail
#: the same way, and each would spend a request against the rate limit.
FATAL_ERRORS: tuple[tuple[type[Exception], str], ...] = (
    (AuthenticationError, "the API key or access token was refused"),
    (PermissionDeniedError, "the credentials are not allowed to do this"),
    (ClientClosedError, "the client is closed"),
)

_short = reprlib.Repr()
_short.maxstring = 60
_short.maxother = 60


@attrs.frozen(kw_only=True)
class Outcome(Generic[ItemT, ResultT]):
    """What happened to one item of a bulk run.

    Attributes:
        item: The item, as taken from the source.
        result: What the operation returned, or ``None`` when it failed.
        error: The exception the operation raised, or ``None`` when it succeeded. Usually a
            :class:`CalError` (check ``error.may_have_been_applied`` before repeating a write);
            any other ``Exception`` (a bug in the operation) is captured here too, so one bad
            item never stops the batch.
        attempts: HTTP attempts the SDK made for this item, retries included (0 when the call
            failed before sending anything, such as an ``InvalidArgumentError``; the sum over
            every call when the operation makes several).
        elapsed: Seconds from the start of the item's call to its end, waits included.
        skipped: The run's journal recorded this item done by an earlier run: nothing was
            called or sent, ``result`` is ``None`` and ``error`` is ``None``.
        settled: An earlier run left this item in flight (it crashed, was killed or
            cancelled, or the outcome was uncertain): the operation was called again with the
            same idempotency key, which reads the server's state back before sending anything.
            ``True`` only when it succeeded.
    """

    item: ItemT
    result: ResultT | None
    error: Exception | None
    attempts: int
    elapsed: float
    skipped: bool = False
    settled: bool = False

    @property
    def ok(self) -> bool:
        """Whether the operation succeeded (``error`` is ``None``)."""
        return self.error is None


@attrs.frozen(kw_only=True)
class Progress:
    """A bulk run's progress, handed to ``on_progress`` after each item finishes.

    Attributes:
        done: Items finished so far, failures included.
        failed: Of those, the items that failed.
        total: How many items the run has (``len(items)``), or ``None`` when the source has
            no length (a generator, a file, an async iterable).
        rate: Items finished per second over the last few seconds (0.0 before the first).
        elapsed: Seconds since the run started.
        skipped: Of the items done, those the journal recorded done by an earlier run
            (nothing sent; 0 without a journal).
        settled: Of the items done, those an earlier run left in flight that were settled
            (see :attr:`Outcome.settled`; 0 without a journal).
    """

    done: int
    failed: int
    total: int | None
    rate: float
    elapsed: float
    skipped: int = 0
    settled: int = 0

    @property
    def succeeded(self) -> int:
        """Items finished without error."""
        return self.done - self.failed

    @property
    def fraction(self) -> float | None:
        """``done / total`` (1.0 for an empty run), or ``None`` when the total is unknown."""
        if self.total is None:
            return None
        return self.done / self.total if self.total else 1.0


@attrs.frozen(kw_only=True)
class BulkReport(Generic[ItemT, ResultT]):
    """Everything a finished (or stopped) bulk run did; what :meth:`BulkRun.collect` returns.

    Attributes:
        outcomes: One :class:`Outcome` per finished item, in completion order (empty in a
            report of a run that was iterated rather than collected).
        unfinished: Items that never finished: in flight when the run was stopped (a write
            among them may or may not have been applied), or never started. Items of a
            source without a length that were never taken stay in that iterator.
        cancelled: Whether the run was cancelled before every item finished.
        stopped_on_error: Whether ``stop_on_error`` ended the run early.
        total: ``len(items)``, or ``None`` when the source has no length.
        elapsed: Wall time of the run in seconds.
        succeeded_count: How many items finished without error.
        failed_count: How many items finished with an error.
        attempts: HTTP attempts made over all finished items (retries are
            ``attempts - done``).
        stop_reason: Why the run stopped before every item was taken, in one line (``None``
            when it ran to the end), e.g. ``"stopped: the API key or access token was refused
            (401 AuthenticationError) on item 'abc'"``.
        stop_error: The error that stopped the run (``None`` when it ran to the end or was
            cancelled).
        skipped_count: Items the journal recorded done by an earlier run: skipped, nothing
            sent (0 without a journal).
        settled_count: Items an earlier run left in flight, settled by this one (0 without
            a journal).
    """

    outcomes: list[Outcome[ItemT, ResultT]]
    unfinished: list[ItemT]
    cancelled: bool
    stopped_on_error: bool
    total: int | None
    elapsed: float
    succeeded_count: int
    failed_count: int
    attempts: int
    stop_reason: str | None = None
    stop_error: BaseException | None = None
    skipped_count: int = 0
    settled_count: int = 0

    @property
    def sent_count(self) -> int:
        """Items this run called afresh: ``done - skipped_count - settled_count``."""
        return self.done - self.skipped_count - self.settled_count

    @property
    def succeeded(self) -> list[Outcome[ItemT, ResultT]]:
        """The outcomes without error, in completion order."""
        return [outcome for outcome in self.outcomes if outcome.error is None]

    @property
    def failed(self) -> list[Outcome[ItemT, ResultT]]:
        """The outcomes with an error, in completion order."""
        return [outcome for outcome in self.outcomes if outcome.error is not None]

    @property
    def results(self) -> list[ResultT]:
        """The results of the items that succeeded, in completion order."""
        return [cast(ResultT, outcome.result) for outcome in self.outcomes if outcome.error is None]

    @property
    def done(self) -> int:
        """How many items finished, **failures included**: ``succeeded_count + failed_count``."""
        return self.succeeded_count + self.failed_count

    @property
    def ok(self) -> bool:
        """Whether every item finished, none failed and nothing stopped the run."""
        return not self.unfinished and self.failed_count == 0 and self.stop_reason is None

    @property
    def rate(self) -> float:
        """Items finished (failures included) per second over the whole run."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    def retry_items(self) -> list[ItemT]:
        """The failed items, then the unfinished ones: what a new run should go over."""
        return [outcome.item for outcome in self.failed] + list(self.unfinished)


class BulkRun(Generic[ItemT, ResultT]):
    """``operation(item)`` for every item, at most ``concurrency`` at once.

    Usually made by :meth:`CalBookings.bulk`. Nothing runs until the run is iterated or
    collected; it can be iterated once::

        async with cal.bulk(uids, lambda uid: cal.bookings.cancel(uid), concurrency=20) as run:
            async for outcome in run:           # completion order
                if not outcome.ok:
                    print(outcome.item, outcome.error)
        if run.stop_reason:                     # a 401, 403 or closed client stopped it
            print(run.stop_reason)
        retry = run.retry_items()              # failed + unfinished

        report = await cal.bulk(uids, operation).collect()   # or cal.bulk_all(...)

    While and after it runs, :attr:`succeeded_items`, :attr:`failed` and :attr:`unfinished`
    partition the items taken so far (plus, for a source with a length, those never taken once
    the run stopped early). The run keeps the successful items but not their results: those are
    in the outcomes it yields, or in the report :meth:`collect` returns.

    Args:
        items: Any iterable or async iterable, consumed lazily (an item is taken only when a
            worker is free to start it).
        operation: Makes the call for one item: ``async def op(item) -> result``, or a lambda
            returning an awaitable. If it returns anything else (a plain function), the run
            stops at once and iterating it raises :class:`InvalidArgumentError`.
        concurrency: Most items in flight at once (at least 1). Items running plus finished
            outcomes not yet taken by the consumer never exceed twice this number.
        stop_on_error: Stop taking new items after the first failure; items in flight finish
            (their outcomes are still yielded) and the items not started are unfinished.
            Whatever this says, an ``AuthenticationError`` (401), ``PermissionDeniedError``
            (403) or ``ClientClosedError`` stops the run the same way (see
            :attr:`stop_reason`).
        on_progress: Called with a :class:`Progress` after each item finishes. A plain
            function; an exception it raises is logged and ignored.
        clock: Monotonic seconds (for tests).
        attempt_hooks: A list of hooks called before every HTTP attempt (a client's): the run
            adds its :meth:`count_attempt` to it while it runs and removes it when it ends.
            :meth:`CalBookings.bulk` passes its own; without it, ``attempts`` counts only
            what something else reports through :meth:`count_attempt`.
        journal: Record each item's outcome there, under ``bulk:<key>``: the same items run
            again with the same journal skip the items done (:attr:`Outcome.skipped`), settle
            the items an earlier run left in flight (:attr:`Outcome.settled`, with
            :func:`item_left_in_flight` true in their call) and send the rest. A path: a
            SQLite file the run opens (creating it) and closes when it ends, shared safely by
            every process of the machine; or a :class:`Journal`.
        key: The journal key of an item (a non-empty string). Defaults to the item itself
            when it is a string; an item that is not, with no ``key``, stops the run at that
            item and iterating it raises :class:`InvalidArgumentError` naming ``key``.

    Raises:
        InvalidArgumentError: ``concurrency`` is not a positive integer, ``operation`` or
            ``on_progress`` is not callable, ``items`` is not iterable, or ``key`` is given
            without a journal or is not callable.
    """

    def __init__(
        self,
        items: Iterable[ItemT] | AsyncIterable[ItemT],
        operation: Callable[[ItemT], Awaitable[ResultT]],
        *,
        concurrency: int = 20,
        stop_on_error: bool = False,
        on_progress: Callable[[Progress], object] | None = None,
        clock: Callable[[], float] = time.monotonic,
        attempt_hooks: MutableSequence[Callable[[], object]] | None = None,
        journal: Journal | str | os.PathLike[str] | None = None,
        key: Callable[[ItemT], str] | None = None,
    ) -> None:
        _check_arguments(items, operation, concurrency, stop_on_error, on_progress)
        self._resume, self._owned_journal = _open_journal(journal, key)
        self._items = items
        self._operation = operation
        self._concurrency = concurrency
        self._stop_on_error = stop_on_error
        self._on_progress = on_progress
        self._clock = clock
        self._attempt_hooks = attempt_hooks
        # The run's own: an item's counter is visible to this run's count_attempt only, in the
        # item's worker and in every task its call starts. (Set and reset around each call, so
        # no context keeps it once the tasks of the run's items have ended.)
        self._attempts: ContextVar[list[int] | None] = ContextVar(
            "calbookings_async_bulk_attempts", default=None
        )
        self._total: int | None = len(items) if isinstance(items, Sized) else None
        self._sync: Iterator[ItemT] | None = None
        self._async: AsyncIterator[ItemT] | None = None
        self._owns_source = False
        self._reading = asyncio.Lock()  # one worker awaits an async source at a time
        # Finished outcomes on their way to the consumer (``None``: look again, the run may
        # be over). Bounded: a worker whose outcome finds it full waits for the consumer.
        self._ready: asyncio.Queue[Outcome[ItemT, ResultT] | None] = asyncio.Queue(concurrency)
        self._workers: set[asyncio.Task[None]] = set()
        self._running: dict[int, ItemT] = {}  # worker number -> its item
        self._succeeded: list[ItemT] = []
        self._failed: list[Outcome[ItemT, ResultT]] = []
        self._unfinished: list[ItemT] = []
        self._attempt_total = 0
        self._skipped = 0
        self._settled = 0
        self._outcomes: list[Outcome[ItemT, ResultT]] | None = None  # kept by collect() only
        self._recent: collections.deque[float] = collections.deque()
        self._started_at: float | None = None
        self._ended_at: float | None = None
        self._iterated = False
        self._exhausted = False
        self._stopping = False  # no new item starts
        self._cancelled = False
        self._stopped_on_error = False
        self._finished = False
        self._stop_reason: str | None = None
        self._stop_error: BaseException | None = None
        self._raise: BaseException | None = None  # raised to the consumer once the run ends
        self._generator: weakref.ref[AsyncGenerator[Outcome[ItemT, ResultT], None]] | None = None

    def __repr__(self) -> str:
        started = self._started_at is not None
        state = "finished" if self._finished else "running" if started else "not started"
        return (
            f"BulkRun({state}, done={self.done}, failed={len(self._failed)}, "
            f"in_flight={len(self._running)}, concurrency={self._concurrency})"
        )

    # --- what the run knows ------------------------------------------------------------------

    @property
    def total(self) -> int | None:
        """``len(items)``, or ``None`` when the source has no length."""
        return self._total

    @property
    def done(self) -> int:
        """Items finished so far, **failures included** (``len(succeeded_items) + len(failed)``)."""
        return len(self._succeeded) + len(self._failed)

    @property
    def succeeded_items(self) -> list[ItemT]:
        """The items whose operation succeeded, in completion order (a copy)."""
        return list(self._succeeded)

    @property
    def failed(self) -> list[Outcome[ItemT, ResultT]]:
        """The outcomes of the items that failed, in completion order (a copy)."""
        return list(self._failed)

    @property
    def unfinished(self) -> list[ItemT]:
        """Items taken but not finished: in flight now, or cut off when the run stopped.

        Once the run stopped early, this also holds the items never started, for a source with
        a length (a list, a tuple, a set...). The items of any other source that were never
        taken remain in that iterator, unconsumed.
        """
        return list(self._unfinished) + list(self._running.values())

    @property
    def in_flight(self) -> int:
        """Items whose call is running now."""
        return len(self._running)

    @property
    def finished(self) -> bool:
        """Whether the run is over: every item done, or stopped."""
        return self._finished

    @property
    def cancelled(self) -> bool:
        """Whether the run was cancelled before every item finished."""
        return self._cancelled

    @property
    def stopped_on_error(self) -> bool:
        """Whether ``stop_on_error`` ended the run early."""
        return self._stopped_on_error

    @property
    def stop_reason(self) -> str | None:
        """Why the run stopped taking items, in one line; ``None`` while it has not stopped.

        For example ``"stopped: the API key or access token was refused (401
        AuthenticationError) on item 'abc'"``; also a 403, a closed client, ``stop_on_error``,
        an operation that is not async, a failing source, or ``"stopped: cancelled"``. The
        first reason wins.
        """
        return self._stop_reason

    @property
    def skipped(self) -> int:
        """Items the journal recorded done by an earlier run: skipped, nothing sent."""
        return self._skipped

    @property
    def settled(self) -> int:
        """Items an earlier run left in flight that this run settled (see
        :attr:`Outcome.settled`)."""
        return self._settled

    @property
    def stop_error(self) -> BaseException | None:
        """The error that stopped the run (``None`` when it was cancelled or has not stopped)."""
        return self._stop_error

    @property
    def elapsed(self) -> float:
        """Seconds since the run started (its whole wall time once finished)."""
        if self._started_at is None:
            return 0.0
        end = self._ended_at if self._ended_at is not None else self._clock()
        return end - self._started_at

    def retry_items(self) -> list[ItemT]:
        """The failed items, then the unfinished ones: what a new run should go over.

        Unfinished items were cut off in flight or never started. A write cut off in flight may
        have been applied; only operations that are safe to repeat (cancel, decline, confirm,
        mark-absent, ...) should be rerun blindly.
        """
        return [outcome.item for outcome in self._failed] + self.unfinished

    def count_attempt(self) -> None:
        """Count one HTTP attempt for the item of this run whose call is running here.

        The client's session calls it before every attempt it sends (retries and token
        refreshes included) while the run is registered with it (see ``attempt_hooks``).
        Outside this run's item calls it counts nothing, so several runs, and calls made
        beside them, can share one client.
        """
        counter = self._attempts.get()
        if counter is not None:
            counter[0] += 1

    # --- iteration ---------------------------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[Outcome[ItemT, ResultT]]:
        if self._iterated:
            raise RuntimeError("a bulk run can be iterated only once; start a new run")
        self._iterated = True
        generator = self._outcomes_in_order_of_completion()
        # A weak reference: a consumer that breaks out and drops the iterator must let it be
        # collected (the event loop then closes it) even while the run itself is kept.
        self._generator = weakref.ref(generator)
        return generator

    async def collect(self) -> BulkReport[ItemT, ResultT]:
        """Run every item and return the :class:`BulkReport` (with every outcome).

        If the task awaiting this is cancelled, the calls in flight are cancelled and awaited
        before the cancellation propagates; the run's attributes then tell what happened.

        Raises:
            RuntimeError: The run was already iterated.
            InvalidArgumentError: ``operation`` returned something that is not awaitable (a
                plain function instead of an async one); raised after its first item.
            Exception: Whatever the source of items raised while being read (after the
                items in flight have finished).
        """
        if self._iterated:
            raise RuntimeError("a bulk run can be iterated only once; start a new run")
        self._outcomes = []
        async for _outcome in self:
            pass
        return self.report()

    def report(self) -> BulkReport[ItemT, ResultT]:
        """The report so far. ``outcomes`` lists every outcome only when :meth:`collect` ran."""
        return BulkReport(
            outcomes=list(self._outcomes or ()),
            unfinished=self.unfinished,
            cancelled=self._cancelled,
            stopped_on_error=self._stopped_on_error,
            total=self._total,
            elapsed=self.elapsed,
            succeeded_count=len(self._succeeded),
            failed_count=len(self._failed),
            attempts=self._attempt_total,
            stop_reason=self._stop_reason,
            stop_error=self._stop_error,
            skipped_count=self._skipped,
            settled_count=self._settled,
        )

    async def cancel(self) -> None:
        """Stop: start nothing more, cancel the calls in flight and wait for them to end.

        Calls that finish anyway count as done; the others are :attr:`unfinished`. A consumer
        iterating the run sees the iteration end. Safe to call more than once, and before the
        run started (every item of a source with a length is then unfinished).
        """
        await self._end(cancelled=True)
        generator = self._generator() if self._generator is not None else None
        if generator is not None and not getattr(generator, "ag_running", True):
            # Suspended at a yield (the consumer broke out, or is in its loop body): close it
            # now rather than leave it for the event loop to close after it is collected.
            await generator.aclose()

    async def aclose(self) -> None:
        """Cancel what is still running (see :meth:`cancel`); nothing if the run is over."""
        await self.cancel()

    async def __aenter__(self) -> BulkRun[ItemT, ResultT]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.cancel()

    async def _outcomes_in_order_of_completion(
        self,
    ) -> AsyncGenerator[Outcome[ItemT, ResultT], None]:
        # An async generator, not __anext__ on the run: when a consumer breaks out of
        # ``async for`` and drops the iterator, the event loop closes the generator, which
        # cancels the calls in flight (the ``finally`` below).
        self._begin()
        completed = False
        try:
            while self._workers or not self._ready.empty():
                outcome = await self._ready.get()
                if outcome is not None:
                    yield outcome
            completed = True
        finally:
            await self._end(cancelled=not completed)
        if self._raise is not None:
            error, self._raise = self._raise, None
            raise error

    # --- the workers -------------------------------------------------------------------------

    def _begin(self) -> None:
        if self._started_at is not None or self._finished:
            return
        self._started_at = self._clock()
        items = self._items
        if isinstance(items, AsyncIterable):
            self._async = items.__aiter__()
            self._owns_source = self._async is not items
        else:
            self._sync = iter(items)
            self._owns_source = self._sync is not items
        if self._attempt_hooks is not None:
            self._attempt_hooks.append(self.count_attempt)
        workers = self._concurrency if self._total is None else min(self._concurrency, self._total)
        for number in range(max(workers, 1)):
            worker = asyncio.ensure_future(self._work(number))
            self._workers.add(worker)
            worker.add_done_callback(self._worker_ended)

    async def _work(self, number: int) -> None:
        """Take an item, run it, record and hand over its outcome; until there is none."""
        while True:
            taken = await self._take()
            if not taken:
                return
            item = self._running[number] = taken[0]
            try:
                if self._resume is None:
                    outcome, misused = await _run_item(
                        self._operation, item, self._clock, self._attempts
                    )
                else:
                    outcome, misused = await self._resume.run(
                        self._operation, item, self._clock, self._attempts
                    )
            except BaseException:
                # Cut off by cancel() (or a KeyboardInterrupt): the item did not finish, and
                # the run takes nothing more.
                self._unfinished.append(self._running.pop(number))
                self._cancelled = True
                self._stop("stopped: cancelled")
                raise
            del self._running[number]
            self._record(outcome, misused)
            await self._ready.put(outcome)

    async def _take(self) -> tuple[ItemT] | tuple[()]:
        """``(item,)``: the next item; ``()`` once no item may start."""
        try:
            if self._sync is not None:
                return () if self._stopping or self._exhausted else (next(self._sync),)
            assert self._async is not None
            async with self._reading:  # one worker awaits the async source at a time
                if self._stopping or self._exhausted:
                    return ()
                return (await self._async.__anext__(),)
        except (StopIteration, StopAsyncIteration):
            self._exhausted = True
        except Exception as error:  # the caller's source failed: stop taking items
            self._stop(f"stopped: reading the items failed ({_describe(error)}: {error})", error)
            self._raise = error
        return ()

    def _worker_ended(self, worker: asyncio.Task[None]) -> None:
        self._workers.discard(worker)
        if not self._workers:
            self._wake()

    def _wake(self) -> None:
        """Let a consumer waiting for an outcome look again (the run may be over)."""
        if self._ready.empty():
            self._ready.put_nowait(None)

    # --- outcomes and stops ------------------------------------------------------------------

    def _record(self, outcome: Outcome[ItemT, ResultT], misused: bool) -> None:
        self._attempt_total += outcome.attempts
        self._skipped += outcome.skipped
        self._settled += outcome.settled
        if outcome.error is None:
            self._succeeded.append(outcome.item)
        else:
            self._failed.append(outcome)
            self._stop_after(outcome.error, outcome.item, misused)
        if self._outcomes is not None:
            self._outcomes.append(outcome)
        if self._on_progress is not None:
            self._report_progress()

    def _stop_after(self, error: Exception, item: ItemT, misused: bool) -> None:
        """Stop the run if this item's error says no other item can succeed, or if asked to."""
        on_item = f"({_describe(error)}) on item {_short.repr(item)}"
        if misused:
            what = (
                "the item has no journal key"
                if _names(error, "key")
                else "operation is not an async function"
            )
            self._stop(f"stopped: {what} {on_item}", error)
            if self._raise is None:
                self._raise = error
            return
        for kind, what in FATAL_ERRORS:
            if isinstance(error, kind):
                self._stop(f"stopped: {what} {on_item}", error)
                return
        if self._stop_on_error and self._stop_reason is None:
            self._stopped_on_error = True
            self._stop(f"stopped: stop_on_error after a failure {on_item}", error)

    def _stop(self, reason: str, error: BaseException | None = None) -> None:
        """Start no new item; the first reason given is the one the run keeps."""
        self._stopping = True
        if self._stop_reason is None:
            self._stop_reason = reason
            self._stop_error = error
            logger.info("bulk run %s", reason)

    def _report_progress(self) -> None:
        assert self._on_progress is not None
        now = self._clock()
        recent = self._recent
        recent.append(now)
        while recent and recent[0] < now - RATE_WINDOW:
            recent.popleft()
        started = self._started_at if self._started_at is not None else now
        span = min(RATE_WINDOW, now - started)
        rate = len(recent) / span if span > 0 else 0.0
        progress = Progress(
            done=self.done,
            failed=len(self._failed),
            total=self._total,
            rate=rate,
            elapsed=now - started,
            skipped=self._skipped,
            settled=self._settled,
        )
        try:
            self._on_progress(progress)
        except Exception:
            logger.exception("bulk run: the on_progress callback raised; ignored")

    # --- the end -----------------------------------------------------------------------------

    async def _end(self, *, cancelled: bool) -> None:
        """Cancel the calls still in flight, wait for them, close the source and finish."""
        if self._finished:
            return
        if cancelled:
            self._cancelled = True
            self._stop("stopped: cancelled")
        self._stopping = True
        workers = list(self._workers)
        for worker in workers:
            worker.cancel()
        if workers:
            # Their done callbacks (registered first) have run by the time this returns, so
            # every item is accounted for as done or unfinished.
            await asyncio.wait(workers)
        if self._async is not None and self._owns_source:
            self._owns_source = False  # closed once, even when two callers end the run
            aclose = getattr(self._async, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()
        if self._owned_journal is not None:
            journal, self._owned_journal = self._owned_journal, None
            await journal.aclose()
        self._finish()

    def _finish(self) -> None:
        if self._finished:
            return
        self._finished = True
        self._ended_at = self._clock()
        if self._attempt_hooks is not None and self.count_attempt in self._attempt_hooks:
            self._attempt_hooks.remove(self.count_attempt)
        while not self._ready.empty():  # outcomes no consumer will take now
            self._ready.get_nowait()
        self._wake()
        if self._exhausted:
            return
        # Stopped early: items never started are unfinished too, when the source has a
        # length (it is then a collection, so reading the rest costs no more than it holds).
        if self._total is not None:
            with contextlib.suppress(Exception):  # a collection's iterator should not fail
                if self._sync is not None:
                    self._unfinished.extend(self._sync)
                elif self._started_at is None and not isinstance(self._items, AsyncIterable):
                    self._unfinished.extend(self._items)
        if self._sync is not None and self._owns_source:
            close = getattr(self._sync, "close", None)
            if close is not None:
                close()


def _check_arguments(
    items: object,
    operation: object,
    concurrency: object,
    stop_on_error: object,
    on_progress: object,
) -> None:
    """Refuse a bad argument of :class:`BulkRun` with an error naming it."""
    check_int("concurrency", concurrency, minimum=1)
    check_bool("stop_on_error", stop_on_error)
    if not callable(operation):
        raise InvalidArgumentError("operation", "must be callable (an async function)")
    if on_progress is not None and not callable(on_progress):
        raise InvalidArgumentError("on_progress", "must be callable")
    if not isinstance(items, (Iterable, AsyncIterable)):
        raise InvalidArgumentError(
            "items", f"expected an iterable or async iterable, got {type(items).__name__}"
        )


def _describe(error: BaseException) -> str:
    """``"401 AuthenticationError"`` for an HTTP status error, else the error's class name."""
    if isinstance(error, APIStatusError):
        return f"{error.status_code} {type(error).__name__}"
    return type(error).__name__


async def _run_item(
    operation: Callable[[ItemT], Awaitable[ResultT]],
    item: ItemT,
    clock: Callable[[], float],
    attempts: ContextVar[list[int] | None],
) -> tuple[Outcome[ItemT, ResultT], bool]:
    """One item's call: its outcome, and whether ``operation`` proved not to be async.

    A function of its own, not a method: an error's traceback keeps this frame alive, and with
    it only the item and the operation, never the whole run and its outcomes.
    """
    counter = [0]
    token = attempts.set(counter)  # the tasks the call starts inherit it
    started = clock()
    result: ResultT | None = None
    error: Exception | None = None
    misused = False
    try:
        call: object = operation(item)  # not always awaitable: a plain function is refused
        if inspect.isawaitable(call):
            result = await call
        else:
            misused = True
            error = InvalidArgumentError(
                "operation",
                f"returned {type(call).__name__}, not an awaitable: pass an async function, "
                "e.g. lambda uid: cal.bookings.cancel(uid)",
            )
    except Exception as caught:
        error = caught
    finally:
        attempts.reset(token)
    outcome = Outcome(
        item=item, result=result, error=error, attempts=counter[0], elapsed=clock() - started
    )
    return outcome, misused


# --- resuming through a journal ------------------------------------------------------------------

#: Set while the call of an item an earlier run left in flight runs (see item_left_in_flight).
_LEFT_IN_FLIGHT: ContextVar[bool] = ContextVar("calbookings_async_left_in_flight", default=False)

#: Journal keys of a bulk run's items live under this prefix, apart from the idempotency keys
#: the operation itself may pass to the SDK's unsafe writes (the same journal can hold both).
KEY_PREFIX = "bulk:"


def item_left_in_flight() -> bool:
    """Whether the bulk item whose call runs here was left in flight by an earlier run.

    True inside the operation of an item that a journal recorded as sent but not finished (the
    process was killed, or the outcome was uncertain). A state-setting write may then find its
    booking already in the state asked for by the earlier attempt: that is settled by reading
    the booking back, not reported as a failure.
    """
    return _LEFT_IN_FLIGHT.get()


def _open_journal(
    journal: Journal | str | os.PathLike[str] | None, key: Callable[[Any], str] | None
) -> tuple[_Resume | None, SQLiteJournal | None]:
    """The run's journal and, when given a path, the SQLite journal it opened (and closes).

    Raises:
        InvalidArgumentError: A journal that is not one, a bad ``key``, or a path whose
            directory cannot be created (names ``journal`` and the path).
    """
    _check_journal(journal, key)
    if journal is None:
        return None, None
    if isinstance(journal, (str, os.PathLike)):
        try:
            owned = SQLiteJournal(journal)
        except InvalidArgumentError as error:
            raise InvalidArgumentError("journal", error.problem) from None
        return _Resume(owned, key), owned
    return _Resume(journal, key), None


def _check_journal(journal: object, key: object) -> None:
    """Refuse a journal that is not one, a ``key`` without a journal, or one not callable."""
    if journal is not None and not isinstance(journal, (str, os.PathLike)):
        missing = [
            n for n in ("claim", "record", "wait") if not callable(getattr(journal, n, None))
        ]
        if missing:
            raise InvalidArgumentError(
                "journal",
                f"expected a path or a journal, got {type(journal).__name__} "
                f"(without {', '.join(missing)})",
            )
    if key is not None and not callable(key):
        raise InvalidArgumentError("key", "must be callable: key=lambda item: item.id")
    if key is not None and journal is None:
        raise InvalidArgumentError("key", "has no use without journal=")


def _names(error: Exception, argument: str) -> bool:
    """Whether ``error`` is an ``InvalidArgumentError`` about ``argument``."""
    return isinstance(error, InvalidArgumentError) and error.argument == argument


class _Resume:
    """A bulk run's journal: what an earlier run did with each item, and this run's record.

    Each item has an entry under ``bulk:<key>``. Before the item's call the run claims the
    entry: ``done`` by an earlier run means the item is skipped; an entry left in flight (its
    claimant's lease ran out, or its outcome was uncertain) means the item is settled (its
    call runs again with :func:`item_left_in_flight` true: an unsafe write's idempotency key
    reads the server's state back before sending, a state-setting write is read back when the
    server answers that the booking is already in that state); anything else means the item is
    sent. After the call the entry records ``done``, ``failed`` or ``uncertain``. A run killed
    between the two leaves the entry in flight, for the next run to settle.
    """

    def __init__(self, journal: Journal, key: Callable[[Any], str] | None) -> None:
        self._journal = journal
        self._key = key
        self._tokens: dict[str, str] = {}

    def key_of(self, item: object) -> str:
        """The item's journal key (the item itself when it is a string and no ``key`` is given).

        Raises:
            InvalidArgumentError: No ``key`` and the item is not a string, or ``key``
                returned something other than a non-empty string (names ``key``).
        """
        if self._key is None:
            if not isinstance(item, str):
                raise InvalidArgumentError(
                    "key",
                    f"missing: the items are {type(item).__name__}, not strings; "
                    "give key=lambda item: ... (a string that identifies the item)",
                )
            name: object = item
        else:
            try:
                name = self._key(item)
            except Exception as error:  # a bug in the caller's key function
                raise InvalidArgumentError(
                    "key", f"raised {type(error).__name__}: {_short.repr(str(error))}"
                ) from error
        if not isinstance(name, str) or not name:
            raise InvalidArgumentError(
                "key", f"must return a non-empty string, returned {_short.repr(name)}"
            )
        return KEY_PREFIX + name

    async def run(
        self,
        operation: Callable[[ItemT], Awaitable[ResultT]],
        item: ItemT,
        clock: Callable[[], float],
        attempts: ContextVar[list[int] | None],
    ) -> tuple[Outcome[ItemT, ResultT], bool]:
        """One item's call through the journal: its outcome, and whether it stops the run."""
        started = clock()
        try:
            name = self.key_of(item)
        except InvalidArgumentError as error:
            return _not_run(item, error, clock() - started), True
        try:
            step = await self._begin(name)
        except Exception as error:  # the journal failed: nothing is sent
            return _not_run(item, error, clock() - started), False
        if step == "done":
            outcome: Outcome[ItemT, ResultT] = Outcome(
                item=item, result=None, error=None, attempts=0, elapsed=clock() - started,
                skipped=True,
            )  # fmt: skip
            return outcome, False
        token = _LEFT_IN_FLIGHT.set(step == "settle")
        try:
            outcome, misused = await _run_item(operation, item, clock, attempts)
        except BaseException:
            # Cut off (a cancel): the write may be out. Say so, so that the next run settles
            # it at once instead of waiting for this run's lease.
            with contextlib.suppress(Exception):
                await asyncio.shield(self._end(name, _CUT_OFF))
            raise
        finally:
            _LEFT_IN_FLIGHT.reset(token)
        try:
            await self._end(name, outcome.error)
        except Exception:
            # The write's outcome stands; the entry stays in flight and the next run settles it.
            logger.warning("bulk run: the journal could not record item %s", _short.repr(item))
        if step == "settle" and outcome.error is None:
            outcome = attrs.evolve(outcome, settled=True)
        return outcome, misused

    async def _begin(self, name: str) -> str:
        """Claim the item's entry: ``"done"``, ``"settle"`` or ``"send"`` (see the class)."""
        claim = await self._journal.claim(name, name, lease=LEASE)
        if not claim.won and not _done(claim.previous):
            # Another run holds the item now: wait for its outcome, then try once more.
            await self._journal.wait(name, timeout=LEASE)
            claim = await self._journal.claim(name, name, lease=LEASE)
            if not claim.won and not _done(claim.previous):
                raise JournalBusyError(name)
        if not claim.won:
            return "done"
        # The claim itself reads as in flight ("claimed") to every later run: no "sent" step.
        self._tokens[name] = claim.token
        before = claim.previous
        return "settle" if before is not None and before.state in IN_FLIGHT else "send"

    async def _end(self, name: str, error: Exception | None) -> None:
        """Record the item's outcome: done, failed, or uncertain (the write may have been
        applied)."""
        token = self._tokens.pop(name, None)
        if token is None:
            return
        if error is None:
            await self._journal.record(name, "done", token=token)
        elif getattr(error, "may_have_been_applied", False):
            await self._journal.record(name, "uncertain", token=token)
        else:
            await self._journal.record(name, "failed", token=token, error=str(error)[:200])


class _CutOff(CalError):
    """An item's call was cancelled in flight: its write may have been applied."""

    may_have_been_applied = True


_CUT_OFF = _CutOff("cancelled in flight")


def _done(entry: JournalEntry | None) -> bool:
    return entry is not None and entry.state == "done"


def _not_run(item: ItemT, error: Exception, elapsed: float) -> Outcome[ItemT, Any]:
    """The outcome of an item whose call was never made."""
    return Outcome(item=item, result=None, error=error, attempts=0, elapsed=elapsed)
