"""Cancelling calls and bulk runs, and closing the client, while requests are in flight.

The loopback server holds every request at a gate, so each test stops the client in the middle
of a request. Afterwards nothing may be left behind: no connection checked out of the pool (and
none still open on the server's side), no task, the concurrency slots and the pacer's in-flight
counts back to zero, and a closed client refusing new calls with ``ClientClosedError``.
``filterwarnings = error`` turns any unclosed-resource warning into a failure.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from typing import Any

import pytest
from _helpers import Internals, Reply, ScriptedServer, wait_until

from calbookings_async import CalBookings, ClientClosedError, RetryPolicy
from calbookings_async._types import waits

MakeClient = Callable[..., CalBookings]

CONCURRENCY = 4


def _held(cal: CalBookings) -> dict[str, int]:
    """What the client still holds for calls in flight: slots, pacer counts, pool connections."""
    internals = Internals(cal)
    return {
        "slots": cal.requests_in_flight,
        "slot waiters": cal.requests_queued,
        "pacer in flight": internals.pacer_in_flight,
        "connections checked out": internals.connections_checked_out,
    }


NOTHING = {"slots": 0, "slot waiters": 0, "pacer in flight": 0, "connections checked out": 0}


async def _no_other_tasks() -> None:
    await asyncio.sleep(0)
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    # The loopback server's own handlers end once their connections are gone.
    await wait_until(
        lambda: all(t.done() for t in others if "_handle" not in repr(t.get_coro())), 5
    )


@pytest.fixture
def gated(loopback_server: ScriptedServer) -> ScriptedServer:
    loopback_server.gate = asyncio.Event()
    return loopback_server


async def test_cancelling_a_call_while_the_server_holds_the_response(
    gated: ScriptedServer, make_client: MakeClient
) -> None:
    cal = make_client(max_concurrency=CONCURRENCY)
    call = asyncio.ensure_future(cal.bookings.decline("uid-1", reason="r"))
    await wait_until(lambda: gated.in_flight == 1)
    assert _held(cal)["slots"] == 1
    assert _held(cal)["pacer in flight"] == 1
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert _held(cal) == NOTHING
    # The connection was dropped, not returned to the pool half-read: the server sees it go.
    await wait_until(lambda: gated.in_flight == 0)
    # The client is still usable.
    gated.gate = None
    await asyncio.wait_for(cal.bookings.decline("uid-1", reason="r"), 5)
    assert _held(cal) == NOTHING
    await _no_other_tasks()


async def test_cancelling_calls_waiting_for_a_slot_and_in_flight(
    gated: ScriptedServer, make_client: MakeClient
) -> None:
    cal = make_client(max_concurrency=2)
    calls = [asyncio.ensure_future(cal.bookings.get(f"uid-{i}")) for i in range(6)]
    await wait_until(lambda: gated.in_flight == 2)
    assert _held(cal)["slot waiters"] == 4
    for call in calls:
        call.cancel()
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert all(isinstance(result, asyncio.CancelledError) for result in results)
    assert _held(cal) == NOTHING
    await wait_until(lambda: gated.in_flight == 0)
    await _no_other_tasks()


async def test_cancelling_a_bulk_run_in_flight(
    gated: ScriptedServer, make_client: MakeClient
) -> None:
    cal = make_client(max_concurrency=CONCURRENCY)
    uids = [f"uid-{i}" for i in range(20)]
    run = cal.bulk(uids, lambda uid: cal.bookings.cancel(uid, reason="r"), concurrency=CONCURRENCY)
    seen: list[Any] = []

    async def consume() -> None:
        async for outcome in run:
            seen.append(outcome)

    consumer = asyncio.ensure_future(consume())
    await wait_until(lambda: gated.in_flight == CONCURRENCY)
    await run.cancel()
    await asyncio.wait_for(consumer, 5)
    assert seen == []
    assert run.cancelled
    assert run.in_flight == 0
    assert sorted(run.unfinished) == sorted(uids)  # four cut off in flight, sixteen never sent
    assert _held(cal) == NOTHING
    await wait_until(lambda: gated.in_flight == 0)
    assert gated.count == CONCURRENCY
    await _no_other_tasks()


async def test_cancelling_the_task_that_collects_a_bulk_run(
    gated: ScriptedServer, make_client: MakeClient
) -> None:
    cal = make_client(max_concurrency=CONCURRENCY)
    run = cal.bulk([f"uid-{i}" for i in range(10)], cal.bookings.get, concurrency=CONCURRENCY)
    collector = asyncio.ensure_future(run.collect())
    await wait_until(lambda: gated.in_flight == CONCURRENCY)
    collector.cancel()
    with pytest.raises(asyncio.CancelledError):
        await collector
    assert run.finished
    assert run.in_flight == 0
    assert len(run.unfinished) == 10
    assert _held(cal) == NOTHING
    await wait_until(lambda: gated.in_flight == 0)
    await _no_other_tasks()


async def test_closing_the_client_with_requests_in_flight(
    gated: ScriptedServer, make_client: MakeClient
) -> None:
    cal = make_client(max_concurrency=2, retry=RetryPolicy(attempts=3))
    # Two in flight at the server, two waiting for a concurrency slot.
    calls = [asyncio.ensure_future(cal.bookings.cancel(f"uid-{i}", reason="r")) for i in range(4)]
    await wait_until(lambda: gated.in_flight == 2)
    await asyncio.wait_for(cal.aclose(), 5)
    assert cal.closed
    results = await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), 5)
    assert all(isinstance(result, ClientClosedError) for result in results), results
    sent = [r for r in results if isinstance(r, ClientClosedError) and r.may_have_been_applied]
    unsent = [
        r for r in results if isinstance(r, ClientClosedError) and not r.may_have_been_applied
    ]
    # The two cut off at the server may have been applied; the two never sent were not.
    assert len(sent) == 2
    assert len(unsent) == 2
    assert all(r.attempts == 1 for r in results if isinstance(r, ClientClosedError))
    assert gated.count == 2  # nothing retried, nothing sent after the close
    assert _held(cal) == NOTHING
    await wait_until(lambda: gated.in_flight == 0)
    # A closed client refuses new calls before sending anything.
    with pytest.raises(ClientClosedError) as caught:
        await cal.bookings.get("uid-9")
    assert caught.value.may_have_been_applied is False
    assert gated.count == 2
    await cal.aclose()  # closing twice is fine
    await _no_other_tasks()
    gc.collect()  # an unclosed session or connector would warn here (an error in this suite)


async def test_a_call_asleep_in_its_backoff_when_the_client_closes(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.default = Reply(status=503)
    cal = make_client(retry=RetryPolicy(attempts=5, wait_initial=30.0, wait_max=30.0))
    with waits(True):
        call = asyncio.ensure_future(cal.bookings.get("uid-1"))
        await wait_until(lambda: loopback_server.count == 1)
        await cal.aclose()
        # The call is asleep in its backoff; its next attempt finds the client closed.
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
    assert _held(cal) == NOTHING
    await _no_other_tasks()


async def test_async_with_closes_the_pool_even_when_the_body_raises(
    loopback_server: ScriptedServer,
) -> None:
    clients: list[CalBookings] = []

    async def work() -> None:
        async with CalBookings(api_key="cal_test_x", base_url=loopback_server.url) as cal:
            clients.append(cal)
            await cal.bookings.get("uid-1")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await work()
    [cal] = clients
    assert cal.closed
    with pytest.raises(ClientClosedError):
        await cal.bookings.get("uid-1")
    await _no_other_tasks()
