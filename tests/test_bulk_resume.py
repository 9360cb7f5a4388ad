"""Bulk runs through a journal: items done are skipped, items left in flight are settled, the rest
are sent; the counts in the outcomes, the progress and the report; a missing key."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from _journal_double import JournalDouble as MemoryJournal

from calbookings_async import (
    BulkRun,
    InvalidArgumentError,
    NotFoundError,
    Progress,
    TransportError,
)
from calbookings_async._bulk import item_left_in_flight

pytestmark = pytest.mark.asyncio


class Calls:
    """An operation that records its calls, and whether each saw its item left in flight."""

    def __init__(self, fail: dict[str, Exception] | None = None) -> None:
        self.items: list[Any] = []
        self.left_in_flight: dict[Any, bool] = {}
        self.fail = fail or {}

    async def __call__(self, item: Any) -> str:
        self.items.append(item)
        self.left_in_flight[item] = item_left_in_flight()
        await asyncio.sleep(0)
        error = self.fail.get(str(item))
        if error is not None:
            raise error
        return f"done {item}"


def uncertain() -> TransportError:
    error = TransportError("connection dropped after the request was sent", request_sent=True)
    assert error.may_have_been_applied
    return error


async def test_a_second_run_skips_the_items_done_and_sends_nothing() -> None:
    journal = MemoryJournal()
    items = [f"uid-{n}" for n in range(30)]
    first = Calls()
    report = await BulkRun(items, first, concurrency=5, journal=journal).collect()
    assert sorted(first.items) == sorted(items)
    assert (report.skipped_count, report.settled_count, report.sent_count) == (0, 0, 30)
    assert report.ok

    again = Calls()
    progress: list[Progress] = []
    run = BulkRun(items, again, concurrency=5, journal=journal, on_progress=progress.append)
    report = await run.collect()
    assert again.items == []
    assert (report.skipped_count, report.settled_count, report.sent_count) == (30, 0, 0)
    assert all(outcome.skipped and outcome.ok for outcome in report.outcomes)
    assert all(outcome.result is None and outcome.attempts == 0 for outcome in report.outcomes)
    assert (run.skipped, run.settled) == (30, 0)
    assert progress[-1].skipped == 30
    assert progress[-1].done == 30


async def test_uncertain_items_are_settled_and_failed_ones_sent_again() -> None:
    journal = MemoryJournal()
    items = ["a", "b", "c", "d"]
    missing = NotFoundError(status_code=404, message="no such booking")
    first = Calls(fail={"b": uncertain(), "c": missing})
    report = await BulkRun(items, first, journal=journal).collect()
    assert report.failed_count == 2
    assert not any(first.left_in_flight.values())

    again = Calls()
    report = await BulkRun(items, again, journal=journal).collect()
    assert sorted(again.items) == ["b", "c"]  # "a" and "d" were done
    assert again.left_in_flight == {"b": True, "c": False}
    by_item = {outcome.item: outcome for outcome in report.outcomes}
    assert by_item["b"].settled
    assert not by_item["b"].skipped
    assert not by_item["c"].settled  # a definite failure was not applied: sent again
    assert by_item["a"].skipped
    assert by_item["d"].skipped
    assert (report.skipped_count, report.settled_count, report.sent_count) == (2, 1, 1)


async def test_items_cut_off_in_flight_are_settled_by_the_next_run() -> None:
    journal = MemoryJournal()
    gate = asyncio.Event()
    started: list[str] = []

    async def stuck(item: str) -> str:
        started.append(item)
        if item.startswith("slow"):
            await gate.wait()  # never set: cut off by the cancel
        return item

    items = ["fast-1", "slow-1", "slow-2", "fast-2"]
    fast_done = asyncio.Event()

    def progress(state: Progress) -> None:
        if state.done == 2:
            fast_done.set()

    run = BulkRun(items, stuck, concurrency=4, journal=journal, on_progress=progress)
    task = asyncio.ensure_future(run.collect())
    await fast_done.wait()
    await run.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert sorted(run.unfinished) == ["slow-1", "slow-2"]

    again = Calls()
    report = await BulkRun(items, again, journal=journal).collect()
    assert sorted(again.items) == ["slow-1", "slow-2"]
    assert again.left_in_flight == {"slow-1": True, "slow-2": True}
    assert (report.skipped_count, report.settled_count, report.sent_count) == (2, 2, 0)


async def test_the_key_function_names_items_that_are_not_strings() -> None:
    journal = MemoryJournal()
    items = [{"id": n} for n in range(6)]
    calls = Calls()
    first = BulkRun(
        items, lambda item: calls(item["id"]), journal=journal, key=lambda i: str(i["id"])
    )
    assert (await first.collect()).sent_count == 6
    again = Calls()
    report = await BulkRun(
        items, lambda item: again(item["id"]), journal=journal, key=lambda i: str(i["id"])
    ).collect()
    assert again.items == []
    assert report.skipped_count == 6


async def test_a_missing_key_is_refused_naming_key() -> None:
    calls = Calls()
    run = BulkRun([{"id": 1}, {"id": 2}], calls, journal=MemoryJournal())
    with pytest.raises(InvalidArgumentError) as raised:
        await run.collect()
    assert raised.value.argument == "key"
    assert "key=lambda item" in str(raised.value)
    assert calls.items == []
    assert run.stop_reason is not None
    assert "no journal key" in run.stop_reason

    bad = BulkRun(["x"], calls, journal=MemoryJournal(), key=lambda item: "")
    with pytest.raises(InvalidArgumentError) as raised:
        await bad.collect()
    assert raised.value.argument == "key"


async def test_key_needs_a_journal_and_must_be_callable() -> None:
    with pytest.raises(InvalidArgumentError) as raised:
        BulkRun(["x"], Calls(), key=lambda item: item)
    assert raised.value.argument == "key"
    with pytest.raises(InvalidArgumentError) as raised:
        BulkRun(["x"], Calls(), journal=MemoryJournal(), key="id")  # type: ignore[arg-type]
    assert raised.value.argument == "key"


async def test_without_a_journal_nothing_is_skipped() -> None:
    calls = Calls()
    items = ["a", "b"]
    await BulkRun(items, calls).collect()
    report = await BulkRun(items, calls).collect()
    assert sorted(calls.items) == ["a", "a", "b", "b"]
    assert (report.skipped_count, report.settled_count, report.sent_count) == (0, 0, 2)
    assert not item_left_in_flight()
