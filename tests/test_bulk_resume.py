"""Bulk runs through a journal: items done are skipped, items left in flight are settled, the rest
are sent; the counts in the outcomes, the progress and the report; a missing key."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from calbookings_async import (
    BulkRun,
    InvalidArgumentError,
    NotFoundError,
    Progress,
    TransportError,
)
from calbookings_async._bulk import item_left_in_flight
from calbookings_async._journal import StoreJournal as StoreItemJournal
from calbookings_async._stores import SQLiteStore, StoreUnavailable

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def journal(tmp_path: Path) -> AsyncIterator[StoreItemJournal]:
    """Item entries in a real SQLite file."""
    entries = StoreItemJournal(SQLiteStore(tmp_path / "journal.sqlite3"))
    yield entries
    await entries.aclose()


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


async def test_a_second_run_skips_the_items_done_and_sends_nothing(
    journal: StoreItemJournal,
) -> None:
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


async def test_uncertain_items_are_settled_and_failed_ones_sent_again(
    journal: StoreItemJournal,
) -> None:
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


async def test_items_cut_off_in_flight_are_settled_by_the_next_run(
    journal: StoreItemJournal,
) -> None:
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


async def test_the_key_function_names_items_that_are_not_strings(journal: StoreItemJournal) -> None:
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


async def test_a_missing_key_is_refused_naming_key(journal: StoreItemJournal) -> None:
    calls = Calls()
    run = BulkRun([{"id": 1}, {"id": 2}], calls, journal=journal)
    with pytest.raises(InvalidArgumentError) as raised:
        await run.collect()
    assert raised.value.argument == "key"
    assert "key=lambda item" in str(raised.value)
    assert calls.items == []
    assert run.stop_reason is not None
    assert "no journal key" in run.stop_reason

    bad = BulkRun(["x"], calls, journal=journal, key=lambda item: "")
    with pytest.raises(InvalidArgumentError) as raised:
        await bad.collect()
    assert raised.value.argument == "key"


async def test_key_needs_a_journal_and_must_be_callable(journal: StoreItemJournal) -> None:
    with pytest.raises(InvalidArgumentError) as raised:
        BulkRun(["x"], Calls(), key=lambda item: item)
    assert raised.value.argument == "key"
    with pytest.raises(InvalidArgumentError) as raised:
        BulkRun(["x"], Calls(), journal=journal, key="id")  # type: ignore[arg-type]
    assert raised.value.argument == "key"


async def test_without_a_journal_nothing_is_skipped() -> None:
    calls = Calls()
    items = ["a", "b"]
    await BulkRun(items, calls).collect()
    report = await BulkRun(items, calls).collect()
    assert sorted(calls.items) == ["a", "a", "b", "b"]
    assert (report.skipped_count, report.settled_count, report.sent_count) == (0, 0, 2)
    assert not item_left_in_flight()


def _dead_pid() -> int:
    """The pid of a process that has ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


async def test_an_item_held_by_a_process_that_died_is_settled_at_once(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "journal.sqlite3")
    owner = f"{socket.gethostname()}:{_dead_pid()}:x"
    held = json.dumps({"v": 1, "state": "sent", "owner": owner, "until": 1e12, "error": None})
    await store.transact("bulk:a", lambda record, now: (held.encode(), None))
    journal = StoreItemJournal(store)
    calls = Calls()
    report = await BulkRun(["a", "b"], calls, journal=journal).collect()
    await journal.aclose()
    assert calls.left_in_flight == {"a": True, "b": False}
    assert (report.skipped_count, report.settled_count, report.sent_count) == (0, 1, 1)


async def test_an_entry_of_another_format_is_refused_and_nothing_sent(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "journal.sqlite3")
    await store.transact("bulk:a", lambda record, now: (b'{"v": 99, "state": "done"}', None))
    journal = StoreItemJournal(store)
    calls = Calls()
    report = await BulkRun(["a", "b"], calls, journal=journal).collect()
    await journal.aclose()
    assert calls.items == ["b"]
    [failed] = report.failed
    assert isinstance(failed.error, InvalidArgumentError)
    assert failed.error.argument == "journal"
    assert "'bulk:a'" in str(failed.error)
    assert "format 99" in str(failed.error)


async def test_a_journal_that_fails_sends_nothing(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "journal.sqlite3")
    journal = StoreItemJournal(store)
    await store.aclose()  # a closed store refuses every step
    calls = Calls()
    report = await BulkRun(["a", "b"], calls, journal=journal).collect()
    assert calls.items == []
    assert report.failed_count == 2
    assert all(isinstance(o.error, StoreUnavailable) for o in report.failed)


async def test_a_path_is_a_sqlite_journal_the_run_opens_and_closes(tmp_path: Path) -> None:
    path = tmp_path / "runs" / "journal.sqlite3"
    calls = Calls()
    report = await BulkRun(["a", "b"], calls, journal=path).collect()
    assert report.sent_count == 2
    assert path.exists()
    again = Calls()
    report = await BulkRun(["a", "b", "c"], again, journal=str(path)).collect()
    assert again.items == ["c"]
    assert (report.skipped_count, report.sent_count) == (2, 1)


async def test_a_journal_that_is_not_one_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError) as raised:
        BulkRun(["a"], Calls(), journal=42)  # type: ignore[arg-type]
    assert raised.value.argument == "journal"
    blocked = tmp_path / "file"
    blocked.write_text("")
    with pytest.raises(InvalidArgumentError) as raised:
        BulkRun(["a"], Calls(), journal=blocked / "journal.sqlite3")
    assert raised.value.argument == "journal"
    assert str(blocked) in str(raised.value)
