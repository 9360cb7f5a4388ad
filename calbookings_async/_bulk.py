"""Run one async operation over many items with bounded concurrency, one outcome per item.

:class:`BulkRun` takes items from any iterable or async iterable lazily: an item is taken from
the source only when a slot is free, so a run over a million uids read from a file holds at most
``concurrency`` calls in flight (and at most ``concurrency`` finished outcomes waiting for the
consumer), never a million tasks. Each item runs in its own task; when it finishes, its
:class:`Outcome` (the item, the result or the error, the HTTP attempts made, the time taken) is
recorded and handed to the consumer in completion order, and the next item starts at once, even
while the consumer is busy with an earlier outcome.

One item's failure never stops the others: every ``Exception`` the operation raises, a typed
``CalError`` or a bug in the caller's lambda, becomes that item's ``error``. Stopping early
(cancelling the consuming task, ``await run.cancel()``, ``aclose()``, leaving ``async with``, or
``break`` out of ``async for`` once the iterator is collected) cancels the calls in flight and
waits for them, so no task outlives the run. The run then knows exactly which items succeeded,
which failed and which are unfinished, and :meth:`BulkRun.retry_items` feeds the last two into a
new run.

How many HTTP attempts an item's call made is counted through :data:`CALL_ATTEMPTS`, a context
variable each item's task sets and the session increments once per attempt.

This module imports ``_validate``, ``_errors`` and ``_types``; never ``_client``, ``_session`` or
``_bookings``: it runs any coroutine function, not only the SDK's.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
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
    Sized,
)
from types import TracebackType
from typing import Any, Generic, TypeVar, cast

import attrs

from ._errors import InvalidArgumentError
from ._types import CALL_ATTEMPTS
from ._validate import check_bool, check_int

__all__ = ["BulkReport", "BulkRun", "Outcome", "Progress"]

logger = logging.getLogger("calbookings_async")

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")

#: Completions within this many seconds make up the "current rate" of :class:`Progress`.
RATE_WINDOW = 5.0


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
    """

    item: ItemT
    result: ResultT | None
    error: Exception | None
    attempts: int
    elapsed: float

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
    """

    done: int
    failed: int
    total: int | None
    rate: float
    elapsed: float

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
        outcomes: One :class:`Outcome` per finished item, in completion order.
        unfinished: Items that never finished: in flight when the run was stopped (a write
            among them may or may not have been applied), or never started. Items of a
            source without a length that were never taken stay in that iterator.
        cancelled: Whether the run was cancelled before every item finished.
        stopped_on_error: Whether ``stop_on_error`` ended the run early.
        total: ``len(items)``, or ``None`` when the source has no length.
        elapsed: Wall time of the run in seconds.
    """

    outcomes: list[Outcome[ItemT, ResultT]]
    unfinished: list[ItemT]
    cancelled: bool
    stopped_on_error: bool
    total: int | None
    elapsed: float

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
        """How many items finished, failures included."""
        return len(self.outcomes)

    @property
    def ok(self) -> bool:
        """Whether every item finished and none failed."""
        return (
            not self.unfinished
            and not self.cancelled
            and not self.stopped_on_error
            and all(outcome.error is None for outcome in self.outcomes)
        )

    @property
    def attempts(self) -> int:
        """HTTP attempts made over all items (retries are ``attempts - done``)."""
        return sum(outcome.attempts for outcome in self.outcomes)

    @property
    def rate(self) -> float:
        """Items finished per second over the whole run."""
        return len(self.outcomes) / self.elapsed if self.elapsed > 0 else 0.0

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
        retry = run.retry_items()              # failed + unfinished

        report = await cal.bulk(uids, operation).collect()   # or cal.bulk_all(...)

    While and after it runs, :attr:`succeeded_items`, :attr:`failed` and :attr:`unfinished`
    partition the items taken so far (plus, for a source with a length, those never taken once
    the run stopped early). The run keeps the successful items but not their results: those are
    in the outcomes it yields, or in the report :meth:`collect` returns.

    Args:
        items: Any iterable or async iterable, consumed lazily (one item per free slot).
        operation: Makes the call for one item: ``async def op(item) -> result``, or a lambda
            returning an awaitable.
        concurrency: Most items in flight at once (at least 1). Items running plus finished
            outcomes not yet taken by the consumer never exceed twice this number.
        stop_on_error: Stop taking new items after the first failure; items in flight finish
            (their outcomes are still yielded) and the items not started are unfinished.
        on_progress: Called with a :class:`Progress` after each item finishes. A plain
            function; an exception it raises is logged and ignored.
        clock: Monotonic seconds (for tests).

    Raises:
        InvalidArgumentError: ``concurrency`` is not a positive integer, ``operation`` or
            ``on_progress`` is not callable, or ``items`` is not iterable.
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
    ) -> None:
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
        self._items = items
        self._operation = operation
        self._concurrency = concurrency
        self._stop_on_error = stop_on_error
        self._on_progress = on_progress
        self._clock = clock
        self._total: int | None = len(items) if isinstance(items, Sized) else None
        self._sync: Iterator[ItemT] | None = None
        self._async: AsyncIterator[ItemT] | None = None
        self._owns_source = False
        self._feed: asyncio.Task[tuple[bool, ItemT | None]] | None = None
        self._running: dict[asyncio.Task[Outcome[ItemT, ResultT]], ItemT] = {}
        self._ready: collections.deque[Outcome[ItemT, ResultT]] = collections.deque()
        self._waiter: asyncio.Future[None] | None = None
        self._succeeded: list[ItemT] = []
        self._failed: list[Outcome[ItemT, ResultT]] = []
        self._unfinished: list[ItemT] = []
        self._outcomes: list[Outcome[ItemT, ResultT]] | None = None  # kept by collect() only
        self._recent: collections.deque[float] = collections.deque()
        self._started_at: float | None = None
        self._ended_at: float | None = None
        self._begun = False
        self._iterated = False
        self._exhausted = False
        self._stopping = False  # no new item starts
        self._cancelled = False
        self._stopped_on_error = False
        self._finished = False
        self._source_error: BaseException | None = None
        self._generator: weakref.ref[AsyncGenerator[Outcome[ItemT, ResultT], None]] | None = None

    def __repr__(self) -> str:
        state = "finished" if self._finished else "running" if self._begun else "not started"
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
        """Items finished so far, failures included."""
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
        )

    async def cancel(self) -> None:
        """Stop: start nothing more, cancel the calls in flight and wait for them to end.

        Calls that finish anyway count as done; the others are :attr:`unfinished`. A consumer
        iterating the run sees the iteration end. Safe to call more than once, and before the
        run started (every item of a source with a length is then unfinished).
        """
        if not self._finished:
            self._cancelled = True
            self._stopping = True
            try:
                await self._stop_everything()
            finally:
                self._finish()
                self._wake()
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
        try:
            while True:
                if self._ready:
                    outcome = self._ready.popleft()
                    self._fill()  # the buffer has room again
                    yield outcome
                    continue
                if self._finished or (
                    not self._running and self._feed is None and (self._exhausted or self._stopping)
                ):
                    break
                self._waiter = asyncio.get_running_loop().create_future()
                try:
                    await self._waiter
                finally:
                    self._waiter = None
            self._finish()
            if self._source_error is not None:
                error, self._source_error = self._source_error, None
                raise error
        finally:
            if not self._finished:  # stopped early: cancelled, closed, or an error above
                self._cancelled = True
                try:
                    await self._stop_everything()
                finally:
                    self._finish()

    # --- the machinery -----------------------------------------------------------------------

    def _begin(self) -> None:
        if self._begun:
            return
        self._begun = True
        self._started_at = self._clock()
        items = self._items
        if isinstance(items, AsyncIterable):
            self._async = items.__aiter__()
            self._owns_source = self._async is not items
        else:
            self._sync = iter(items)
            self._owns_source = self._sync is not items
        self._fill()

    def _has_room(self) -> bool:
        return (
            not self._stopping
            and not self._exhausted
            and len(self._running) < self._concurrency
            and len(self._running) + len(self._ready) < 2 * self._concurrency
        )

    def _fill(self) -> None:
        """Start items while there is room: lazily, one taken from the source per free slot."""
        if self._sync is not None:
            source = self._sync
            while self._has_room():
                try:
                    item = next(source)
                except StopIteration:
                    self._exhausted = True
                except Exception as error:  # the caller's generator failed: stop taking items
                    self._source_error = error
                    self._stopping = True
                else:
                    self._launch(item)
        elif self._async is not None and self._feed is None and self._has_room():
            # Reading an async source is itself awaited, in a task of its own, so that the
            # outcomes of running items keep flowing while the source is slow (a page fetch).
            self._feed = asyncio.ensure_future(_next_of(self._async))
            self._feed.add_done_callback(self._fed)

    def _fed(self, feed: asyncio.Task[tuple[bool, ItemT | None]]) -> None:
        self._feed = None
        if feed.cancelled():
            return  # cancelled by _stop_everything
        error = feed.exception()
        if error is not None:
            self._source_error = error
            self._stopping = True
        else:
            more, item = feed.result()
            if more:
                self._launch(item)  # type: ignore[arg-type]  # ItemT when ``more``
            else:
                self._exhausted = True
        self._fill()
        self._wake()

    def _launch(self, item: ItemT) -> None:
        task = asyncio.ensure_future(_run_item(self._operation, item, self._clock))
        self._running[task] = item
        task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[Outcome[ItemT, ResultT]]) -> None:
        item = self._running.pop(task)
        if task.cancelled():
            # Cut off by cancel(), or the operation cancelled itself: it did not finish.
            self._unfinished.append(item)
        elif task.exception() is not None:
            # Only a BaseException that is not an Exception gets here (KeyboardInterrupt,
            # SystemExit): asyncio raises it out of the event loop too. Stop taking items.
            self._unfinished.append(item)
            self._stopping = True
        else:
            self._record(task.result())
        self._fill()
        self._wake()

    def _record(self, outcome: Outcome[ItemT, ResultT]) -> None:
        if outcome.error is None:
            self._succeeded.append(outcome.item)
        else:
            self._failed.append(outcome)
            if self._stop_on_error and not self._stopping:
                self._stopping = True
                self._stopped_on_error = True
        if self._outcomes is not None:
            self._outcomes.append(outcome)
        if not self._finished:
            self._ready.append(outcome)
        if self._on_progress is not None:
            self._report_progress()

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
        )
        try:
            self._on_progress(progress)
        except Exception:
            logger.exception("bulk run: the on_progress callback raised; ignored")

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _stop_everything(self) -> None:
        """Cancel the source read and the calls in flight, and wait until all have ended."""
        self._stopping = True
        tasks: list[asyncio.Future[Any]] = list(self._running)
        if self._feed is not None:
            tasks.append(self._feed)
        for task in tasks:
            task.cancel()
        if tasks:
            # Their done callbacks (registered first) have run by the time this returns, so
            # every item is accounted for as done or unfinished.
            await asyncio.wait(tasks)
        if self._async is not None and self._owns_source:
            aclose = getattr(self._async, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()

    def _finish(self) -> None:
        if self._finished:
            return
        self._finished = True
        self._ended_at = self._clock()
        self._ready.clear()
        if self._exhausted:
            return
        # Stopped early: items never started are unfinished too, when the source has a
        # length (it is then a collection, so reading the rest costs no more than it holds).
        if self._total is not None:
            with contextlib.suppress(Exception):  # a collection's iterator should not fail
                if self._sync is not None:
                    self._unfinished.extend(self._sync)
                elif not self._begun and not isinstance(self._items, AsyncIterable):
                    self._unfinished.extend(self._items)
        if self._sync is not None and self._owns_source:
            close = getattr(self._sync, "close", None)
            if close is not None:
                close()


async def _next_of(source: AsyncIterator[ItemT]) -> tuple[bool, ItemT | None]:
    """The next item of an async source, as ``(True, item)``, or ``(False, None)`` at its end."""
    try:
        return True, await source.__anext__()
    except StopAsyncIteration:
        return False, None


async def _run_item(
    operation: Callable[[ItemT], Awaitable[ResultT]],
    item: ItemT,
    clock: Callable[[], float],
) -> Outcome[ItemT, ResultT]:
    """One item's call and its outcome.

    A function of its own, not a method: an error's traceback keeps this frame alive, and with
    it only the item and the operation, never the whole run and its outcomes.
    """
    # Each item runs in its own task, so this counter belongs to this item alone; tasks the
    # operation starts inherit it. The session adds one per HTTP attempt.
    counter = [0]
    CALL_ATTEMPTS.set(counter)
    started = clock()
    try:
        result = await operation(item)
    except Exception as error:
        return Outcome(
            item=item, result=None, error=error, attempts=counter[0], elapsed=clock() - started
        )
    return Outcome(
        item=item, result=result, error=None, attempts=counter[0], elapsed=clock() - started
    )
