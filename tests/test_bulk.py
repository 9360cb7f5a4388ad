"""The bulk runner: bounded concurrency, isolated failures, attempts, progress, cancellation.

Most tests drive :class:`BulkRun` with a gated fake operation (each item waits for its own
gate), so that which items are in flight, and in which order they finish, is the test's choice.
The attempt counting and the client wiring run against the emulator over real HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import weakref
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from calbookings_async import (
    AuthenticationError,
    BookingStatus,
    BulkReport,
    BulkRun,
    CalBookings,
    ClientClosedError,
    InvalidArgumentError,
    NotFoundError,
    Outcome,
    PermissionDeniedError,
    Progress,
    RetryPolicy,
    ServerError,
)
from calbookings_async.testing import CalEmulator, FaultKind


class Gates:
    """A fake operation whose calls each wait for their item's gate to open."""

    def __init__(self) -> None:
        self.gates: dict[Any, asyncio.Event] = {}
        self.started: list[Any] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.fail: set[Any] = set()
        self.errors: dict[Any, Exception] = {}  # raised instead of the NotFoundError of ``fail``
        self.cancelled: list[Any] = []

    def gate(self, item: Any) -> asyncio.Event:
        return self.gates.setdefault(item, asyncio.Event())

    def open(self, *items: Any) -> None:
        for item in items:
            self.gate(item).set()

    async def __call__(self, item: Any) -> str:
        self.started.append(item)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await self.gate(item).wait()
        except asyncio.CancelledError:
            self.cancelled.append(item)
            raise
        finally:
            self.in_flight -= 1
        if item in self.errors:
            raise self.errors[item]
        if item in self.fail:
            raise NotFoundError(status_code=404, message=f"no booking {item}")
        return f"done-{item}"


async def noop(item: Any) -> Any:
    return item


async def settle() -> None:
    """Let every ready callback and task step run."""
    for _ in range(5):
        await asyncio.sleep(0)


async def consume(run: BulkRun[Any, Any], into: list[Outcome[Any, Any]]) -> None:
    async for outcome in run:
        into.append(outcome)


# --- concurrency, order, laziness ----------------------------------------------------------------


async def test_never_more_than_concurrency_in_flight_and_completion_order() -> None:
    op = Gates()
    items = list(range(30))
    run = BulkRun(items, op, concurrency=4)
    seen: list[Outcome[int, str]] = []
    consumer = asyncio.create_task(consume(run, seen))
    await settle()
    assert op.started == [0, 1, 2, 3]
    assert run.in_flight == 4
    # Finish them in another order than they started: outcomes follow completion.
    op.open(2)
    await settle()
    op.open(0)
    await settle()
    assert [o.item for o in seen] == [2, 0]
    assert op.started == [0, 1, 2, 3, 4, 5]
    for item in reversed(items):
        op.open(item)
        await settle()
    await consumer
    assert op.max_in_flight == 4
    assert sorted(o.item for o in seen) == items
    assert all(o.ok and o.result == f"done-{o.item}" for o in seen)
    assert run.finished
    assert not run.cancelled
    assert run.done == 30
    assert run.unfinished == []
    assert sorted(run.succeeded_items) == items


async def test_a_generator_is_read_lazily() -> None:
    taken: list[int] = []

    def numbers() -> Iterator[int]:
        for n in itertools.count():  # endless: materialising it would never end
            taken.append(n)
            yield n

    op = Gates()
    run = BulkRun(numbers(), op, concurrency=3)
    assert run.total is None
    seen: list[Outcome[int, str]] = []
    consumer = asyncio.create_task(consume(run, seen))
    await settle()
    assert taken == [0, 1, 2]
    op.open(1)
    await settle()
    assert taken == [0, 1, 2, 3]
    consumer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await consumer
    assert [o.item for o in seen] == [1]
    assert sorted(run.unfinished) == [0, 2, 3]  # in flight when cancelled; the rest untaken
    assert run.retry_items() == run.unfinished


async def test_a_million_items_never_make_a_million_tasks() -> None:
    async def double(n: int) -> int:
        await asyncio.sleep(0)
        return 2 * n

    tasks_seen = 0
    run = BulkRun(iter(range(1_000_000)), double, concurrency=50)
    async with run:
        async for outcome in run:
            tasks_seen = max(tasks_seen, len(asyncio.all_tasks()))
            if outcome.item >= 2_000:
                break
    assert tasks_seen <= 50 + 1  # the workers and this test's task
    assert run.done <= 2_000 + 2 * 50
    assert run.cancelled
    assert len(asyncio.all_tasks()) == 1  # only this test's task is left


async def test_a_slow_consumer_does_not_stall_the_calls() -> None:
    started: list[int] = []

    async def op(n: int) -> int:
        started.append(n)
        return n

    run = BulkRun(range(100), op, concurrency=5)
    iterator = aiter(run)
    first = await anext(iterator)
    await settle()
    # While the consumer holds the first outcome, more items ran, up to the buffer bound.
    assert 5 < len(started) <= 2 * 5 + 1
    rest = [outcome async for outcome in iterator]
    assert sorted([first.item] + [o.item for o in rest]) == list(range(100))


async def test_an_async_iterable_is_read_lazily_too() -> None:
    taken: list[int] = []

    async def numbers() -> AsyncIterator[int]:
        for n in range(20):
            await asyncio.sleep(0)
            taken.append(n)
            yield n

    op = Gates()
    run = BulkRun(numbers(), op, concurrency=2)
    seen: list[Outcome[int, str]] = []
    consumer = asyncio.create_task(consume(run, seen))
    await settle()
    await settle()
    assert taken == [0, 1]
    op.open(*range(20))
    await consumer
    assert sorted(o.item for o in seen) == list(range(20))
    assert run.finished
    assert not run.cancelled


# --- failures ------------------------------------------------------------------------------------


async def test_one_failure_never_stops_the_others() -> None:
    op = Gates()
    op.fail = {3, 7}
    op.open(*range(10))
    report = await BulkRun(range(10), op, concurrency=3).collect()
    assert isinstance(report, BulkReport)
    assert report.done == 10
    assert sorted(o.item for o in report.failed) == [3, 7]
    assert all(isinstance(o.error, NotFoundError) for o in report.failed)
    assert all(o.result is None for o in report.failed)
    assert sorted(o.item for o in report.succeeded) == [0, 1, 2, 4, 5, 6, 8, 9]
    assert sorted(report.results) == sorted(f"done-{n}" for n in (0, 1, 2, 4, 5, 6, 8, 9))
    assert not report.ok
    assert report.unfinished == []
    assert sorted(report.retry_items()) == [3, 7]


async def test_errors_that_are_not_cal_errors_are_captured_too() -> None:
    def broken(item: int) -> Any:
        if item == 1:
            raise KeyError("a bug in the caller's lambda, raised before any awaitable")
        return asyncio.sleep(0, result=item)

    async def also_broken(item: int) -> int:
        if item == 2:
            raise ZeroDivisionError("a bug inside the coroutine")
        return item

    report = await BulkRun(range(4), broken, concurrency=2).collect()
    assert [type(o.error) for o in report.failed] == [KeyError]
    assert report.done == 4
    report = await BulkRun(range(4), also_broken, concurrency=2).collect()
    assert [type(o.error) for o in report.failed] == [ZeroDivisionError]
    assert report.failed[0].attempts == 0


async def test_stop_on_error_lets_the_calls_in_flight_finish_and_starts_nothing_more() -> None:
    op = Gates()
    op.fail = {1}
    run = BulkRun(list(range(10)), op, concurrency=3, stop_on_error=True)
    seen: list[Outcome[int, str]] = []
    consumer = asyncio.create_task(consume(run, seen))
    await settle()
    op.open(1)  # fails while 0 and 2 are in flight
    await settle()
    assert op.started == [0, 1, 2]
    op.open(0, 2)
    await consumer
    assert seen[0].item == 1
    assert sorted(o.item for o in seen) == [0, 1, 2]
    assert run.stopped_on_error
    assert not run.cancelled
    assert run.unfinished == [3, 4, 5, 6, 7, 8, 9]
    assert run.retry_items() == [1, 3, 4, 5, 6, 7, 8, 9]
    assert op.cancelled == []


async def test_a_failing_source_ends_the_run_with_its_error_after_the_calls_in_flight() -> None:
    def items() -> Iterator[int]:
        yield 0
        yield 1
        raise OSError("the file went away")

    op = Gates()
    op.open(0, 1)
    run = BulkRun(items(), op, concurrency=5)
    seen: list[Outcome[int, str]] = []
    with pytest.raises(OSError, match="went away"):
        await consume(run, seen)
    assert sorted(o.item for o in seen) == [0, 1]
    assert run.finished


async def test_a_failing_source_says_why_the_run_stopped() -> None:
    def items() -> Iterator[int]:
        yield 0
        raise OSError("the file went away")

    run = BulkRun(items(), noop, concurrency=2)
    with pytest.raises(OSError, match="went away"):
        await run.collect()
    assert run.stop_reason == "stopped: reading the items failed (OSError: the file went away)"
    assert isinstance(run.stop_error, OSError)
    assert run.report().stop_reason == run.stop_reason
    assert run.succeeded_items == [0]


# --- errors no item can survive ------------------------------------------------------------------

FATAL = [
    (
        AuthenticationError(status_code=401, message="Invalid API Key"),
        "stopped: the API key or access token was refused (401 AuthenticationError) on item 1",
    ),
    (
        PermissionDeniedError(status_code=403, message="Forbidden resource"),
        "stopped: the credentials are not allowed to do this (403 PermissionDeniedError) on item 1",
    ),
    (
        ClientClosedError("the client is closed"),
        "stopped: the client is closed (ClientClosedError) on item 1",
    ),
]


@pytest.mark.parametrize(("error", "reason"), FATAL, ids=["401", "403", "closed"])
async def test_a_fatal_error_stops_the_run_and_lets_the_calls_in_flight_finish(
    error: Exception, reason: str
) -> None:
    op = Gates()
    op.errors = {1: error}
    run = BulkRun(list(range(10)), op, concurrency=3)
    seen: list[Outcome[int, str]] = []
    consumer = asyncio.create_task(consume(run, seen))
    await settle()
    op.open(1)  # fails while 0 and 2 are in flight
    await settle()
    assert run.stop_reason == reason
    assert run.stop_error is error
    assert op.started == [0, 1, 2]  # nothing new started after the error
    op.open(0, 2)
    await consumer
    assert [o.item for o in seen] == [1, 0, 2]
    assert op.cancelled == []  # the calls in flight finished
    assert run.succeeded_items == [0, 2]
    assert [o.item for o in run.failed] == [1]
    assert run.unfinished == [3, 4, 5, 6, 7, 8, 9]
    assert run.retry_items() == [1, 3, 4, 5, 6, 7, 8, 9]
    assert not run.stopped_on_error  # stop_on_error was not asked for
    assert not run.cancelled
    report = run.report()
    assert (report.stop_reason, report.stop_error) == (reason, error)
    assert not report.ok


async def test_the_first_reason_to_stop_is_the_one_kept() -> None:
    op = Gates()
    op.fail = {0}
    op.errors = {1: AuthenticationError(status_code=401, message="Invalid API Key")}
    run = BulkRun(list(range(5)), op, concurrency=2, stop_on_error=True)
    consumer = asyncio.create_task(consume(run, []))
    await settle()
    op.open(0)
    await settle()
    op.open(1)
    await consumer
    assert run.stop_reason == "stopped: stop_on_error after a failure (404 NotFoundError) on item 0"
    assert isinstance(run.stop_error, NotFoundError)
    assert run.stopped_on_error
    assert [o.item for o in run.failed] == [0, 1]
    assert run.unfinished == [2, 3, 4]


async def test_any_other_error_stops_the_run_only_with_stop_on_error() -> None:
    op = Gates()
    op.errors = {2: ServerError(status_code=500, message="oops")}
    op.open(*range(6))
    report = await BulkRun(range(6), op, concurrency=2).collect()
    assert report.stop_reason is None
    assert report.stop_error is None
    assert (report.succeeded_count, report.failed_count, report.unfinished) == (5, 1, [])
    op.started.clear()
    run = BulkRun(range(6), op, concurrency=1, stop_on_error=True)
    report = await run.collect()
    assert report.stop_reason == (
        "stopped: stop_on_error after a failure (500 ServerError) on item 2"
    )
    assert op.started == [0, 1, 2]
    assert report.unfinished == [3, 4, 5]


async def test_the_stop_reason_shows_a_long_item_shortened() -> None:
    long_uid = "u" * 200
    op = Gates()
    op.errors = {long_uid: AuthenticationError(status_code=401, message="Invalid API Key")}
    op.open(long_uid, "next")
    report = await BulkRun([long_uid, "next"], op, concurrency=1).collect()
    assert report.stop_reason == (
        "stopped: the API key or access token was refused (401 AuthenticationError) on item "
        "'uuuuuuuuuuuuuuuuuuuuuuuuuuu...uuuuuuuuuuuuuuuuuuuuuuuuuuuu'"
    )
    assert report.unfinished == ["next"]


async def test_cancelling_says_so() -> None:
    op = Gates()
    run = BulkRun(list(range(4)), op, concurrency=2)
    consumer = asyncio.create_task(consume(run, []))
    await settle()
    await run.cancel()
    await consumer
    assert run.stop_reason == "stopped: cancelled"
    assert run.stop_error is None
    assert run.report().stop_reason == "stopped: cancelled"
    assert sorted(run.unfinished) == [0, 1, 2, 3]


# --- an operation that is not async --------------------------------------------------------------

NOT_AWAITABLE = (
    "operation: returned str, not an awaitable: pass an async function, "
    "e.g. lambda uid: cal.bookings.cancel(uid)"
)


async def test_a_plain_function_fails_the_whole_run_at_once() -> None:
    calls: list[int] = []

    def plain(item: int) -> str:
        calls.append(item)
        return f"cancelled {item}"

    run = BulkRun(list(range(50)), plain, concurrency=5)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError) as caught:
        await run.collect()
    assert str(caught.value) == NOT_AWAITABLE
    assert caught.value.argument == "operation"
    assert calls == [0]  # not once per item
    assert [o.item for o in run.failed] == [0]
    assert run.failed[0].error is caught.value
    assert run.unfinished == list(range(1, 50))
    assert run.stop_reason == (
        "stopped: operation is not an async function (InvalidArgumentError) on item 0"
    )
    assert run.stop_error is caught.value


async def test_a_plain_function_is_reported_to_an_async_for_after_its_outcome() -> None:
    run = BulkRun(["a", "b"], lambda item: item.upper(), concurrency=1)  # type: ignore[arg-type,return-value]
    seen: list[Outcome[str, Any]] = []
    with pytest.raises(InvalidArgumentError, match=r"^operation: returned str, not an awaitable"):
        await consume(run, seen)
    assert [(o.item, type(o.error)) for o in seen] == [("a", InvalidArgumentError)]
    assert run.unfinished == ["b"]


# --- counts --------------------------------------------------------------------------------------


async def test_done_counts_failures_too_in_the_run_and_in_the_report() -> None:
    op = Gates()
    op.fail = {1, 4}
    op.open(*range(6))
    run = BulkRun(range(6), op, concurrency=2)
    async for _outcome in run:  # iterated, not collected: the report keeps no outcomes
        pass
    report = run.report()
    assert report.outcomes == []
    assert (run.done, len(run.succeeded_items), len(run.failed)) == (6, 4, 2)
    assert (report.done, report.succeeded_count, report.failed_count) == (6, 4, 2)
    collected = await BulkRun(range(6), op, concurrency=2).collect()
    assert (collected.done, collected.succeeded_count, collected.failed_count) == (6, 4, 2)
    assert (len(collected.succeeded), len(collected.failed)) == (4, 2)


# --- attempts ------------------------------------------------------------------------------------


async def test_attempts_are_counted_for_the_item_whose_call_makes_them() -> None:
    run: BulkRun[int, int]

    async def op(item: int) -> int:
        run.count_attempt()  # as the session does before each HTTP attempt
        # Calls made by tasks the item's call starts count for the item too.
        children = [asyncio.create_task(child()) for _ in range(item)]
        await asyncio.gather(*children)
        return item

    async def child() -> None:
        await asyncio.sleep(0)
        run.count_attempt()

    run = BulkRun(range(4), op, concurrency=2)
    run.count_attempt()  # outside any item of the run: counts for nobody
    report = await run.collect()
    assert sorted((o.item, o.attempts) for o in report.outcomes) == [(0, 1), (1, 2), (2, 3), (3, 4)]
    assert report.attempts == 10


async def test_a_run_counts_only_its_own_items() -> None:
    hooks: list[Any] = []
    gate = asyncio.Event()
    first: BulkRun[int, int]
    second: BulkRun[int, int]

    async def attempt() -> None:  # a client's session: every hook, before each attempt
        for hook in list(hooks):
            hook()

    async def op_first(item: int) -> int:
        await attempt()
        await gate.wait()
        return item

    async def op_second(item: int) -> int:
        await attempt()
        await attempt()
        return item

    first = BulkRun(range(3), op_first, concurrency=3, attempt_hooks=hooks)
    second = BulkRun(range(2), op_second, concurrency=1, attempt_hooks=hooks)
    assert hooks == []  # nothing registered before a run starts
    running = asyncio.create_task(first.collect())
    await settle()
    assert hooks == [first.count_attempt]
    await attempt()  # a call beside the runs
    second_report = await second.collect()
    gate.set()
    first_report = await running
    assert [o.attempts for o in first_report.outcomes] == [1, 1, 1]
    assert [o.attempts for o in second_report.outcomes] == [2, 2]
    assert hooks == []  # each run removed itself when it ended


# --- progress ------------------------------------------------------------------------------------


async def test_progress_after_each_item() -> None:
    now = [100.0]
    reports: list[Progress] = []

    async def op(item: int) -> int:
        now[0] += 0.5  # every item takes half a second of the fake clock
        if item % 4 == 3:
            raise ValueError(item)
        return item

    run = BulkRun(
        list(range(8)), op, concurrency=1, on_progress=reports.append, clock=lambda: now[0]
    )
    report = await run.collect()
    assert [p.done for p in reports] == list(range(1, 9))
    assert [p.failed for p in reports] == [0, 0, 0, 1, 1, 1, 1, 2]
    assert {p.total for p in reports} == {8}
    assert reports[-1].succeeded == 6
    assert reports[-1].fraction == 1.0
    assert reports[0].rate == pytest.approx(2.0)  # one item in 0.5 s
    # Eight items over 4 s, and the window is 5 s: two per second.
    assert reports[-1].rate == pytest.approx(2.0)
    assert reports[-1].elapsed == pytest.approx(4.0)
    assert report.elapsed == pytest.approx(4.0)
    assert report.rate == pytest.approx(2.0)


async def test_progress_rate_is_over_a_recent_window() -> None:
    now = [0.0]
    reports: list[Progress] = []

    async def op(item: int) -> int:
        now[0] += 1.0 if item < 10 else 0.1  # slow first, then ten times faster
        return item

    await BulkRun(
        iter(range(110)), op, concurrency=1, on_progress=reports.append, clock=lambda: now[0]
    ).collect()
    assert reports[-1].total is None
    assert reports[-1].fraction is None
    # The last 5 s saw 50 items: 10 per second, not the run's average (5.5 per second).
    assert reports[-1].rate == pytest.approx(10.0, rel=0.05)


async def test_a_progress_callback_that_raises_is_logged_and_ignored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def explode(_progress: Progress) -> None:
        raise RuntimeError("bad callback")

    report = await BulkRun(range(3), noop, on_progress=explode).collect()
    assert report.done == 3
    assert report.ok
    assert "on_progress" in caplog.text


# --- cancellation --------------------------------------------------------------------------------


async def test_cancelling_the_consumer_partitions_the_items_exactly() -> None:
    op = Gates()
    op.fail = {1, 5}
    items = list(range(40))
    run = BulkRun(items, op, concurrency=6)
    seen: list[Outcome[int, str]] = []
    consumer = asyncio.create_task(consume(run, seen))
    await settle()
    op.open(0, 1, 3, 5, 7)
    await settle()
    consumer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await consumer
    assert run.finished
    assert run.cancelled
    assert run.in_flight == 0
    succeeded = set(run.succeeded_items)
    failed = {o.item for o in run.failed}
    unfinished = set(run.unfinished)
    assert succeeded == {0, 3, 7}
    assert failed == {1, 5}
    assert not succeeded & failed
    assert not succeeded & unfinished
    assert not failed & unfinished
    assert succeeded | failed | unfinished == set(items)
    assert len(run.unfinished) == len(unfinished)  # no item twice
    assert sorted(op.cancelled) == sorted(set(op.started) - {0, 1, 3, 5, 7})
    assert len(asyncio.all_tasks()) == 1


async def test_cancel_from_another_task_ends_the_iteration() -> None:
    op = Gates()
    run = BulkRun(list(range(10)), op, concurrency=3)
    seen: list[Outcome[int, str]] = []
    consumer = asyncio.create_task(consume(run, seen))
    await settle()
    op.open(0)
    await settle()
    await run.cancel()
    await consumer  # ends normally
    assert [o.item for o in seen] == [0]
    assert run.succeeded_items == [0]
    assert sorted(run.unfinished) == list(range(1, 10))
    await run.cancel()  # twice is harmless


async def test_cancel_before_the_start_leaves_every_item_unfinished() -> None:
    run = BulkRun([1, 2, 3], noop)
    await run.cancel()
    assert run.unfinished == [1, 2, 3]
    assert run.done == 0
    assert [o async for o in run] == []


async def test_break_inside_async_with_cancels_the_calls_in_flight() -> None:
    op = Gates()
    op.open(0)
    async with BulkRun(range(10), op, concurrency=3) as run:
        async for outcome in run:
            assert outcome.item == 0
            break
    assert run.finished
    assert sorted(op.cancelled) == [1, 2, 3]  # 3 started when 0 finished
    assert sorted(run.unfinished) == list(range(1, 10))
    await asyncio.sleep(0)  # the loop's own close of the dropped iterator (a no-op by now)
    assert len(asyncio.all_tasks()) == 1


async def test_break_without_closing_still_cancels_once_the_iterator_is_dropped() -> None:
    op = Gates()
    op.open(0)
    run = BulkRun(range(10), op, concurrency=3)
    async for _outcome in run:
        break
    gc.collect()
    for _ in range(20):  # the event loop closes the dropped generator in a task of its own
        if run.finished:
            break
        await asyncio.sleep(0)
    assert run.finished
    assert sorted(op.cancelled) == [1, 2, 3]  # 3 started when 0 finished


async def test_aclose_of_the_iterator_cancels() -> None:
    op = Gates()
    run = BulkRun(range(10), op, concurrency=2)
    iterator = aiter(run)
    waiting = asyncio.ensure_future(anext(iterator))
    await settle()
    waiting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await waiting
    await iterator.aclose()  # type: ignore[attr-defined]
    assert run.finished
    assert sorted(run.unfinished) == list(range(10))


async def test_rerunning_failed_and_unfinished_items_completes_the_batch() -> None:
    op = Gates()
    op.fail = {2}
    items = list(range(12))
    run = BulkRun(items, op, concurrency=4)
    seen: list[Outcome[int, str]] = []
    consumer = asyncio.create_task(consume(run, seen))
    await settle()
    op.open(0, 1, 2)
    await settle()
    consumer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await consumer
    done_first = set(run.succeeded_items)
    op.fail = set()
    op.open(*items)
    report = await BulkRun(run.retry_items(), op, concurrency=4).collect()
    assert report.ok
    assert done_first | {o.item for o in report.succeeded} == set(items)
    assert not done_first & {o.item for o in report.succeeded}


async def test_a_run_is_iterated_once() -> None:
    run = BulkRun([1], noop)
    await run.collect()
    with pytest.raises(RuntimeError, match="once"):
        aiter(run)
    with pytest.raises(RuntimeError, match="once"):
        await run.collect()


def test_arguments_are_checked() -> None:
    with pytest.raises(InvalidArgumentError, match="concurrency"):
        BulkRun([1], asyncio.sleep, concurrency=0)
    with pytest.raises(InvalidArgumentError, match="operation"):
        BulkRun([1], "cancel")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="items"):
        BulkRun(42, asyncio.sleep)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="on_progress"):
        BulkRun([1], asyncio.sleep, on_progress=3)  # type: ignore[arg-type]


async def test_outcome_and_report_shapes() -> None:
    outcome: Outcome[str, int] = Outcome(item="a", result=1, error=None, attempts=1, elapsed=0.1)
    assert outcome.ok
    with pytest.raises(AttributeError):
        outcome.item = "b"  # type: ignore[misc]
    run = BulkRun(["a"], asyncio.sleep)
    assert "not started" in repr(run)
    assert run.elapsed == 0.0
    assert run.report().outcomes == []


# --- against the emulator ------------------------------------------------------------------------


@pytest.fixture
async def emulator() -> AsyncIterator[CalEmulator]:
    async with CalEmulator(seed=11, rate_limit=None) as emu:
        emu.seed(bookings=120)
        yield emu


async def test_attempts_count_every_http_attempt(emulator: CalEmulator) -> None:
    uids = list(emulator.bookings)[:6]
    emulator.faults.inject(FaultKind.HTTP_503, route="GET /v2/bookings/{bookingUid}", times=3)
    async with CalBookings(
        api_key=emulator.api_key, base_url=emulator.base_url, retry=RetryPolicy(attempts=5)
    ) as cal:
        report = await cal.bulk_all(uids, cal.bookings.get, concurrency=1)
    assert report.ok
    assert [o.attempts for o in report.outcomes] == [4, 1, 1, 1, 1, 1]
    assert report.attempts == len(uids) + 3 == emulator.status_counts[200] + 3


async def test_attempts_of_a_failed_item_and_of_an_item_never_sent(emulator: CalEmulator) -> None:
    uid = next(iter(emulator.bookings))
    emulator.faults.inject(FaultKind.HTTP_503, route="GET /v2/bookings/{bookingUid}", times=10)
    async with CalBookings(
        api_key=emulator.api_key, base_url=emulator.base_url, retry=RetryPolicy(attempts=3)
    ) as cal:
        report = await cal.bulk_all([uid, ""], cal.bookings.get)
    by_item = {o.item: o for o in report.outcomes}
    assert isinstance(by_item[uid].error, ServerError)
    assert by_item[uid].attempts == 3
    assert isinstance(by_item[""].error, InvalidArgumentError)
    assert by_item[""].attempts == 0


async def test_client_bulk_cancels_bookings_once_each(emulator: CalEmulator) -> None:
    async with CalBookings(api_key=emulator.api_key, base_url=emulator.base_url) as cal:
        upcoming = [
            booking.uid
            async for booking in cal.bookings.list(status=["upcoming"], take=50)  # type: ignore[list-item]
            if booking.status is BookingStatus.ACCEPTED and not booking.is_seated
        ][:25]
        upcoming.append("no-such-booking")
        progress: list[Progress] = []
        outcomes = []
        async with cal.bulk(
            upcoming,
            lambda uid: cal.bookings.cancel(uid, reason="bulk test"),
            concurrency=8,
            on_progress=progress.append,
        ) as run:
            async for outcome in run:
                outcomes.append(outcome)
    assert len(outcomes) == 26
    assert [o.item for o in run.failed] == ["no-such-booking"]
    assert isinstance(run.failed[0].error, NotFoundError)
    assert (progress[-1].done, progress[-1].failed, progress[-1].total) == (26, 1, 26)
    for outcome in outcomes:
        if outcome.ok:
            assert outcome.result.status is BookingStatus.CANCELLED  # type: ignore[union-attr]
            assert emulator.ledger.count("cancel", outcome.item) == 1
    assert emulator.ledger.count("cancel") == 25


async def test_a_listing_feeds_a_run_directly(emulator: CalEmulator) -> None:
    async with CalBookings(api_key=emulator.api_key, base_url=emulator.base_url) as cal:
        report = await cal.bulk_all(
            cal.bookings.list(take=25, concurrency=2),
            lambda booking: cal.bookings.calendar_links(booking.uid),
            concurrency=5,
        )
    assert report.ok
    assert report.done == len(emulator.bookings)
    assert report.total is None


async def test_a_kept_error_does_not_keep_the_run_alive() -> None:
    # A service that stores failed outcomes must not hold every run (and all its outcomes)
    # through the errors' tracebacks.
    import gc
    import weakref

    from calbookings_async import BulkRun, NotFoundError

    async def fail(item: int) -> None:
        raise NotFoundError(status_code=404, message=f"no booking {item}")

    run: BulkRun[int, None] = BulkRun(range(3), fail, concurrency=2)
    report = await run.collect()
    kept = report.failed[0].error
    watched = weakref.ref(run)
    del run, report
    gc.collect()
    assert watched() is None
    assert isinstance(kept, NotFoundError)
    assert kept.__traceback__ is not None  # the traceback itself is kept, for debugging


async def test_attempts_of_calls_beside_a_run_and_of_nested_runs(emulator: CalEmulator) -> None:
    uids = list(emulator.bookings)[:4]
    gate = asyncio.Event()
    async with CalBookings(api_key=emulator.api_key, base_url=emulator.base_url) as cal:

        async def held(uid: str) -> Any:
            await gate.wait()
            return await cal.bookings.get(uid)

        async def nested(uids: list[str]) -> int:
            inner = await cal.bulk_all(uids, cal.bookings.calendar_links, concurrency=2)
            return inner.attempts

        outer = cal.bulk(uids[:1], held)
        running = asyncio.create_task(outer.collect())
        await settle()
        await cal.bookings.get(uids[1])  # beside the run, while its item is in flight
        gate.set()
        held_report = await running
        # Every attempt of the inner run, made by its worker tasks, counts for the outer item.
        nested_report = await cal.bulk_all([uids], nested)
    assert held_report.outcomes[0].attempts == 1
    assert nested_report.outcomes[0].result == 4
    assert nested_report.outcomes[0].attempts == 4


async def test_the_client_does_not_keep_a_finished_run(emulator: CalEmulator) -> None:
    uids = list(emulator.bookings)[:3]
    async with CalBookings(api_key=emulator.api_key, base_url=emulator.base_url) as cal:
        run = cal.bulk(uids, cal.bookings.get)
        report = await run.collect()
        never_started = cal.bulk(uids, cal.bookings.get)
        watched = [weakref.ref(run), weakref.ref(never_started)]
        del run, never_started
        gc.collect()
        assert [ref() for ref in watched] == [None, None]
        assert report.attempts == 3


async def test_a_wrong_api_key_stops_the_run_at_the_first_401(emulator: CalEmulator) -> None:
    uids = list(emulator.bookings)[:60]
    async with CalBookings(api_key="cal_not_a_key", base_url=emulator.base_url) as cal:
        report = await cal.bulk_all(uids, cal.bookings.get, concurrency=1)
    assert report.stop_reason == (
        "stopped: the API key or access token was refused (401 AuthenticationError) "
        f"on item {uids[0]!r}"
    )
    assert isinstance(report.stop_error, AuthenticationError)
    assert (report.done, report.failed_count, report.succeeded_count) == (1, 1, 0)
    assert report.unfinished == uids[1:]
    assert emulator.status_counts == {401: 1}  # one request spent, not sixty


async def test_every_item_in_flight_at_a_401_finishes_and_nothing_else_starts(
    emulator: CalEmulator,
) -> None:
    uids = list(emulator.bookings)[:60]
    async with CalBookings(api_key="cal_not_a_key", base_url=emulator.base_url) as cal:
        report = await cal.bulk_all(uids, cal.bookings.get, concurrency=4)
    assert report.stop_reason is not None
    assert report.stop_reason.startswith(
        "stopped: the API key or access token was refused (401 AuthenticationError) on item "
    )
    assert report.failed_count == emulator.status_counts[401] <= 4
    assert sorted(report.retry_items()) == sorted(uids)
    assert all(isinstance(o.error, AuthenticationError) for o in report.outcomes)


async def test_a_403_stops_the_run(emulator: CalEmulator) -> None:
    uids = list(emulator.bookings)[:5]
    other = emulator.add_user(name="Another Host")
    emulator.add_api_key("cal_another_host", user_id=other)
    async with CalBookings(api_key="cal_another_host", base_url=emulator.base_url) as cal:
        report = await cal.bulk_all(uids, cal.bookings.calendar_links, concurrency=1)
    assert report.stop_reason == (
        "stopped: the credentials are not allowed to do this (403 PermissionDeniedError) "
        f"on item {uids[0]!r}"
    )
    assert isinstance(report.stop_error, PermissionDeniedError)
    assert report.unfinished == uids[1:]
    assert emulator.status_counts == {403: 1}


async def test_a_run_on_a_closed_client_stops_at_once(emulator: CalEmulator) -> None:
    uids = list(emulator.bookings)[:11]
    async with CalBookings(api_key=emulator.api_key, base_url=emulator.base_url) as cal:
        pass
    report = await cal.bulk_all(uids, cal.bookings.confirm)  # outdented by mistake
    assert report.stop_reason == (
        f"stopped: the client is closed (ClientClosedError) on item {uids[0]!r}"
    )
    assert isinstance(report.stop_error, ClientClosedError)
    assert report.done == 1
    assert report.unfinished == uids[1:]
    assert not report.ok
    assert emulator.status_counts == {}


async def test_forgetting_to_call_the_method_fails_the_run_at_once(emulator: CalEmulator) -> None:
    uids = list(emulator.bookings)[:5]
    async with CalBookings(api_key=emulator.api_key, base_url=emulator.base_url) as cal:
        with pytest.raises(InvalidArgumentError) as caught:
            await cal.bulk_all(uids, lambda uid: cal.bookings.cancel)  # type: ignore[arg-type,return-value]
    assert str(caught.value) == (
        "operation: returned method, not an awaitable: pass an async function, "
        "e.g. lambda uid: cal.bookings.cancel(uid)"
    )
    assert emulator.status_counts == {}
