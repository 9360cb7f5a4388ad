"""The shared pacer on its stores: several pacers (processes) of one credential, one budget.

Unit tests run in one process: each ``SharedPacer`` stands for a process. Time is a gate: it
stands still until a test moves it (``GateClock.advance``), and sleepers wake then. On SQLite
the store reads the same clock, so windows pass without waiting; on Redis (``fakeredis``, which
runs the store's Lua script unchanged, with Redis ``TIME``) only tests in which no time passes
run.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from _helpers import API_KEY, Reply, ScriptedServer

from calbookings_async import (
    CalBookings,
    FilePacer,
    InvalidArgumentError,
    PacerBinding,
    RateLimitError,
    ReportedLimit,
    SharedPacer,
)
from calbookings_async._operations import op
from calbookings_async._stores import KEEP, SQLiteStore, StoreUnavailable
from calbookings_async._types import waits

fakeredis_aioredis = pytest.importorskip("fakeredis.aioredis")
fakeredis = pytest.importorskip("fakeredis")
from calbookings_async.redis import RedisPacer  # noqa: E402

GET = op("bookings.get")
BINDING = PacerBinding(credential_id="ab" * 32, credential_kind="api_key", attempt_timeout=30.0)


@pytest.fixture(autouse=True)
def _waits_on() -> Iterator[None]:
    with waits(True):
        yield


class GateClock:
    """Virtual time that moves only when the test says: sleepers wake when it passes them."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.now + max(seconds, 0.0), future))
        if seconds <= 0:
            future.set_result(None)
        await future

    async def advance(self, seconds: float) -> None:
        self.now += seconds
        for due, future in self._sleepers:
            if due <= self.now and not future.done():
                future.set_result(None)
        self._sleepers = [(d, f) for d, f in self._sleepers if not f.done()]
        await settle()


async def settle() -> None:
    """Let the pumps and the store's thread finish what they started."""
    for _ in range(15):
        await asyncio.sleep(0.01)


async def flushed(gate: GateClock) -> None:
    """Let the responses' news reach the store (it waits the flush delay for company)."""
    await settle()
    await gate.advance(0.05)


@pytest.fixture
def gate() -> GateClock:
    return GateClock()


def report(limit: int, remaining: int, reset: float, name: str = "default") -> Any:
    return {name: ReportedLimit(limit, remaining, reset)}


@pytest.fixture(params=["sqlite", "redis"])
async def make_pacer(
    request: pytest.FixtureRequest, tmp_path: Path, gate: GateClock
) -> AsyncIterator[Callable[..., SharedPacer]]:
    made: list[SharedPacer] = []
    server = fakeredis.FakeServer()

    def make(**options: Any) -> SharedPacer:
        options.setdefault("limit", 10)
        options.setdefault("clock", gate)
        # These tests count slot by slot; slots taken ahead have tests of their own.
        options.setdefault("take_ahead", 0)
        pacer: SharedPacer
        if request.param == "sqlite":
            path = tmp_path / "pacing.sqlite3"
            pacer = SharedPacer(
                lambda _id: SQLiteStore(path, clock=gate.monotonic),
                description=str(path),
                **options,
            )
        else:
            pacer = RedisPacer(fakeredis_aioredis.FakeRedis(server=server), **options)
        pacer.bind(BINDING)
        made.append(pacer)
        return pacer

    make.kind = request.param  # type: ignore[attr-defined]
    try:
        yield make
    finally:
        for pacer in made:
            await pacer.aclose()


async def take(pacer: SharedPacer, count: int) -> list[Any]:
    return [await pacer.acquire(GET) for _ in range(count)]


async def held(pacer: SharedPacer) -> asyncio.Future[Any]:
    """An acquire that does not complete at once (checked), still pending."""
    waiter = asyncio.ensure_future(pacer.acquire(GET))
    await settle()
    assert not waiter.done()
    return waiter


async def cancel(waiter: asyncio.Future[Any]) -> None:
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter


async def test_processes_share_one_budget(make_pacer: Any) -> None:
    first, second = make_pacer(), make_pacer()
    await take(first, 6)
    await take(second, 4)
    waiter = await held(second)
    assert second.stats.waiting == 1
    assert second.stats.wait_reason == "window full: 10 of 10 used"
    assert second.stats.limits == {"default": 10}
    await cancel(waiter)


async def test_a_429_in_one_process_holds_the_others(make_pacer: Any) -> None:
    first, second = make_pacer(), make_pacer()
    (ticket,) = await take(first, 1)
    first.release(ticket, 429, report(10, 0, 40))
    await settle()  # flushed at once: no time passes
    waiter = await held(second)
    assert second.stats.wait_reason == "blocked after a 429"
    assert first.stats.blocks == 1
    await cancel(waiter)


async def test_a_limit_learned_by_one_process_serves_all(make_pacer: Any, gate: GateClock) -> None:
    first, second = make_pacer(limit=100), make_pacer(limit=100)
    (ticket,) = await take(first, 1)
    first.release(ticket, 200, report(3, 2, 50))
    await flushed(gate)
    await take(second, 2)
    waiter = await held(second)
    assert second.stats.limits["default"] == 3
    await cancel(waiter)


async def test_a_route_without_headers_is_not_paced_anywhere(
    make_pacer: Any, gate: GateClock
) -> None:
    first, second = make_pacer(limit=1), make_pacer(limit=1)
    (ticket,) = await take(first, 1)
    first.release(ticket, 200, None)
    await flushed(gate)
    await take(second, 1)  # asks the store once, learns the route is not paced
    tickets = [second.try_acquire(GET) for _ in range(20)]
    assert all(ticket is not None for ticket in tickets)


async def test_batched_acquires_cost_one_round_trip(make_pacer: Any) -> None:
    pacer = make_pacer(limit=100)
    tickets = await asyncio.gather(*(pacer.acquire(GET) for _ in range(50)))
    assert len(tickets) == 50
    assert pacer.round_trips <= 2


@pytest.mark.parametrize("make_pacer", ["sqlite"], indirect=True)
async def test_the_window_end_comes_from_any_processs_report(
    make_pacer: Any, gate: GateClock
) -> None:
    # Time passes in this test: only the SQLite store reads the gate clock.
    first, second = make_pacer(limit=2), make_pacer(limit=2)
    tickets = await take(first, 2)
    for ticket in tickets:
        first.release(ticket, 200, report(2, 0, 7))
    await flushed(gate)  # the news reaches the store
    waiter = await held(second)
    assert second.stats.resumes_in == pytest.approx(6.95, abs=0.01)  # slept in one go
    await gate.advance(6.9)
    assert not waiter.done()
    await gate.advance(0.1)
    assert waiter.done()


@pytest.mark.parametrize("make_pacer", ["sqlite"], indirect=True)
async def test_a_killed_process_slots_return_after_the_ttl(
    make_pacer: Any, gate: GateClock
) -> None:
    # Time passes in this test: only the SQLite store reads the gate clock.
    doomed, survivor = make_pacer(in_flight_ttl=100.0), make_pacer(in_flight_ttl=100.0)
    await take(doomed, 10)
    await doomed.aclose()  # killed: it never steps again, its ten requests never answered
    waiter = await held(survivor)
    await gate.advance(80.0)  # the window ended (fallback end, 76 s): the ten still count
    assert not waiter.done()
    await gate.advance(100.0)  # past their TTL, and one more window end at most
    assert waiter.done()


async def test_a_wait_longer_than_max_wait_raises_unsent(make_pacer: Any) -> None:
    pacer = make_pacer(max_wait=30.0)
    (ticket,) = await take(pacer, 1)
    pacer.release(ticket, 429, report(10, 0, 600))
    await settle()
    with pytest.raises(RateLimitError) as caught:
        await pacer.acquire(GET)
    assert "nothing was sent" in str(caught.value)


async def test_answers_out_of_order_count_each_request_once(
    make_pacer: Any, gate: GateClock
) -> None:
    first, second = make_pacer(), make_pacer()
    tickets = await take(first, 4)
    # The server counted them 4, 3, 2, 1 (and answered the first sent last): 4 counted in all.
    for counted, ticket in zip((1, 2, 3, 4), reversed(tickets), strict=True):
        first.release(ticket, 200, report(10, 10 - counted, 50))
    await flushed(gate)
    await take(second, 6)  # "4 counted plus 3 of ours sent after the first" would leave 3
    waiter = await held(second)
    assert second.stats.wait_reason == "window full: 10 of 10 used"
    await cancel(waiter)


class GatedStore:
    """A store whose next step waits until the test lets it through."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.gate: asyncio.Event | None = None

    async def transact(self, key: str, update: Any, *, ttl: float | None = None) -> Any:
        if self.gate is not None:
            await self.gate.wait()
        return await self.inner.transact(key, update, ttl=ttl)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_news_during_a_step_reaches_the_store_before_the_window_ends(
    tmp_path: Path, gate: GateClock
) -> None:
    inner = SQLiteStore(tmp_path / "s.sqlite3", clock=gate.monotonic)
    store = GatedStore(inner)
    pacer = SharedPacer(lambda _id: store, description="gated", limit=2, clock=gate)
    pacer.bind(BINDING)
    one, two = await take(pacer, 2)
    pacer.release(one, 200, report(2, 0, 7))
    await flushed(gate)  # the store knows the window ends in 7 s
    store.gate = asyncio.Event()
    waiter = asyncio.ensure_future(pacer.acquire(GET))
    await settle()  # its step is under way...
    pacer.release(two, 200, report(2, 0, 7))  # ... when the last answer comes
    store.gate.set()
    await flushed(gate)  # the pump sleeps on the window, but flushes the answer first

    def read(record: bytes | None, _now: float) -> tuple[Any, Any]:
        return KEEP, json.loads(record or b"{}")

    record = await inner.transact("pacer:" + BINDING.credential_id, read)
    assert [entry["n"] for entry in record["f"].values()] == [{}]  # nothing in flight there
    await cancel(waiter)
    await pacer.aclose()


# --- the store down ---------------------------------------------------------------------------


class FlakyStore:
    """A store that is down until ``up`` is set (wrapping a real one)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.up = False

    async def transact(self, key: str, update: Any, *, ttl: float | None = None) -> Any:
        if not self.up:
            raise StoreUnavailable("flaky", "connection refused")
        return await self.inner.transact(key, update, ttl=ttl)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_store_down_paces_locally_at_a_share_and_says_so_once(
    tmp_path: Path, gate: GateClock, caplog: pytest.LogCaptureFixture
) -> None:
    store = FlakyStore(SQLiteStore(tmp_path / "s.sqlite3", clock=gate.monotonic))
    pacer = SharedPacer(lambda _id: store, description="flaky", limit=100, clock=gate)
    pacer.bind(BINDING)
    with caplog.at_level(logging.INFO, logger="calbookings_async"):
        tickets = [await pacer.acquire(GET) for _ in range(25)]
        # A quarter of 100 goes at once (it never reached the store), then it holds.
        waiter = await held(pacer)
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1
        assert "flaky cannot be reached (connection refused)" in warnings[0].getMessage()
        assert "1/4" in warnings[0].getMessage()
        store.up = True
        for ticket in tickets:
            pacer.release(ticket, 200, report(100, 75, 30))
        await gate.advance(1.0)  # it tries the store again every second
        await flushed(gate)
        assert any("answers again" in r.getMessage() for r in caplog.records)
        await gate.advance(30.0)
        await waiter
    await pacer.aclose()


async def test_a_store_restarted_empty_holds_what_a_newcomer_opened_when_the_others_return(
    tmp_path: Path, gate: GateClock
) -> None:
    store = FlakyStore(SQLiteStore(tmp_path / "before.sqlite3", clock=gate.monotonic))
    store.up = True
    veteran = SharedPacer(
        lambda _id: store, description="flaky", limit=100, clock=gate, take_ahead=0
    )
    veteran.bind(BINDING)
    await veteran.acquire(GET)
    store.up = False
    alone = await veteran.acquire(GET)  # paced alone
    # The store comes back empty; a process that never saw the old record steps first.
    store.inner = SQLiteStore(tmp_path / "after.sqlite3", clock=gate.monotonic)
    newcomer = SharedPacer(
        lambda _id: store.inner, description="new", limit=100, clock=gate, take_ahead=0
    )
    newcomer.bind(BINDING)
    store.up = True
    assert len(await take(newcomer, 10)) == 10  # nothing tells it the store lost anything
    veteran.release(alone, 200, report(100, 88, 30))
    await gate.advance(0.3)  # the veteran brings the news to the store, and says it paced alone
    await flushed(gate)
    waiter = await held(newcomer)
    assert newcomer.stats.wait_reason is not None
    assert "restarted empty" in newcomer.stats.wait_reason
    await cancel(waiter)
    await veteran.aclose()
    await newcomer.aclose()


async def test_store_down_with_fallback_wait_sends_nothing(tmp_path: Path, gate: GateClock) -> None:
    store = FlakyStore(SQLiteStore(tmp_path / "s.sqlite3", clock=gate.monotonic))
    pacer = SharedPacer(
        lambda _id: store, description="flaky", clock=gate, fallback="wait", max_wait=5.0
    )
    pacer.bind(BINDING)
    waiter = await held(pacer)
    for _ in range(6):
        await gate.advance(1.0)
    with pytest.raises(StoreUnavailable):
        await waiter
    assert pacer.stats.requests == 0
    await pacer.aclose()


# --- building them ----------------------------------------------------------------------------


def test_file_pacer_lives_in_the_users_cache_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    pacer = FilePacer()
    assert pacer.path == tmp_path / "cache" / "calbookings" / "pacing.sqlite3"


async def test_a_corrupt_pacing_file_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "pacing.sqlite3"
    path.write_bytes(b"garbage" * 1000)
    pacer = FilePacer(path)
    pacer.bind(BINDING)
    with pytest.raises(InvalidArgumentError) as caught:
        await pacer.acquire(GET)
    assert str(path) in str(caught.value)
    await pacer.aclose()


@pytest.mark.parametrize(
    ("make", "argument"),
    [
        (lambda: RedisPacer.from_url("http://localhost:6379"), "url"),
        (lambda: RedisPacer.from_url("redis://localhost:notaport/0"), "url"),
        (lambda: RedisPacer.from_url(5), "url"),
        (lambda: RedisPacer(client=object()), "client"),
        (lambda: RedisPacer(fakeredis_aioredis.FakeRedis(), prefix=""), "prefix"),
        (lambda: RedisPacer(fakeredis_aioredis.FakeRedis(), fallback="open"), "fallback"),
        (lambda: RedisPacer(fakeredis_aioredis.FakeRedis(), in_flight_ttl=0), "in_flight_ttl"),
        (lambda: FilePacer(path=5), "path"),
        (lambda: FilePacer(limit=0), "limit"),
    ],
)
def test_bad_settings_are_refused(make: Callable[[], Any], argument: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        make()
    assert caught.value.argument == argument


def test_a_shared_pacer_paces_one_credential(tmp_path: Path) -> None:
    pacer = FilePacer(tmp_path / "p.sqlite3")
    CalBookings(api_key="cal_live_one", pacing=pacer)
    with pytest.raises(InvalidArgumentError) as caught:
        CalBookings(api_key="cal_live_two", pacing=pacer)
    assert caught.value.argument == "pacing"


async def test_a_client_paces_through_the_file(
    tmp_path: Path, loopback_server: ScriptedServer
) -> None:
    loopback_server.default = Reply(
        headers={
            "X-RateLimit-Limit-Default": "3",
            "X-RateLimit-Remaining-Default": "2",
            "X-RateLimit-Reset-Default": "60",
        }
    )
    async with (
        FilePacer(tmp_path / "p.sqlite3", limit=5) as pacer,
        CalBookings(api_key=API_KEY, base_url=loopback_server.url, pacing=pacer) as cal,
    ):
        await cal.bookings.decline("uid-1", reason="r")
        await asyncio.sleep(0.1)  # the response's news reaches the file
        await cal.bookings.decline("uid-2", reason="r")
        assert cal.pacer is pacer
        assert pacer.stats.limits == {"default": 3}
        assert pacer.stats.requests == 2


# --- slots taken ahead ----------------------------------------------------------------------------


async def test_slots_taken_ahead_go_without_a_round_trip(make_pacer: Any) -> None:
    pacer = make_pacer(limit=100, take_ahead=8)
    await pacer.acquire(GET)
    assert pacer.round_trips == 1
    # 99 left, one kept back for the one process, a quarter of that: 24, at most 8.
    ahead = [pacer.try_acquire(GET) for _ in range(9)]
    assert all(ticket is not None for ticket in ahead[:8])
    assert ahead[8] is None  # used up: the next request asks the store
    assert pacer.round_trips == 1
    assert pacer.stats.requests == 9
    assert pacer.stats.held == 0


@pytest.mark.parametrize("make_pacer", ["sqlite"], indirect=True)
async def test_slots_taken_ahead_and_not_used_go_back_to_the_others(
    make_pacer: Any, gate: GateClock
) -> None:
    # Time passes in this test: only the SQLite store reads the gate clock.
    first, second = make_pacer(limit=20, take_ahead=8), make_pacer(limit=20)
    await first.acquire(GET)  # 1, and 4 ahead (19 left, 1 kept back, a quarter of 18)
    assert first.try_acquire(GET) is not None  # its own, without a round trip
    await take(second, 15)  # 20 of 20 counted: 2 in flight, 3 ahead, 15 for second
    waiter = await held(second)
    await gate.advance(0.5)  # first's 3 unused expire, given back by its next step
    await settle()
    assert first.try_acquire(GET) is None
    await gate.advance(0.5)  # second looks again (no response bounded the window: 0.5 s naps)
    assert waiter.done()  # one of the three given back, in the same window
    assert len(await take(second, 2)) == 2  # and the other two
    await cancel(await held(second))  # 20 counted again: nothing more


@pytest.mark.parametrize("make_pacer", ["sqlite"], indirect=True)
async def test_a_429_anywhere_stops_the_use_of_slots_taken_ahead(
    make_pacer: Any, gate: GateClock
) -> None:
    # Time passes in this test: only the SQLite store reads the gate clock.
    first, second = make_pacer(limit=100, take_ahead=8), make_pacer(limit=100, take_ahead=8)
    ours = await second.acquire(GET)  # and 8 ahead
    (theirs,) = await take(first, 1)  # and some ahead
    first.release(theirs, 429, report(100, 0, 40))
    assert first.try_acquire(GET) is None  # its own 429: at once
    await settle()  # the 429 reaches the store at once
    assert second.try_acquire(GET) is not None  # second has not heard yet
    second.release(ours, 200, report(100, 90, 40))
    await flushed(gate)  # second's next step hears of the block
    assert second.try_acquire(GET) is None
    assert second.stats.waiting == 0
