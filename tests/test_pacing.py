"""The adaptive pacer: fixed windows learned from the server's reports, on a fake clock.

Every test here runs with waits enabled on a ``FakeClock``: sleeping advances virtual time at
once, so nothing really waits and the exact moments requests are let through can be checked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from _helpers import FakeClock

from calbookings_async import (
    AdaptivePacer,
    CalBookings,
    InvalidArgumentError,
    PacerBinding,
    RateLimitError,
    ReportedLimit,
    RouteLimit,
)
from calbookings_async._operations import op
from calbookings_async._types import Operation, Safety, SystemClock, waits

ROUTE = op("bookings.get")
GUESTS = op("bookings.add_guests")


@pytest.fixture(autouse=True)
def _waits_on() -> Iterator[None]:
    # conftest turns waits off for every test; pacing is about waiting, on a fake clock.
    with waits(True):
        yield


def pacer(clock: FakeClock, limit: int = 5, window: float = 10.0, **kwargs: Any) -> AdaptivePacer:
    return AdaptivePacer(limit=limit, window=window, clock=clock, **kwargs)


def report(
    limit: int, remaining: int, reset: float, name: str = "default"
) -> dict[str, ReportedLimit]:
    return {name: ReportedLimit(limit, remaining, reset)}


def release_at(
    p: AdaptivePacer, clock: FakeClock, at: float, ticket: Any, status: int | None, limits: Any
) -> None:
    """Release as observed at ``at`` on the fake clock (the pacer reads its own clock)."""
    clock.now, before = at, clock.now
    p.release(ticket, status, limits)
    clock.now = before


async def send(
    p: AdaptivePacer, clock: FakeClock, count: int, route: Operation = ROUTE
) -> list[Any]:
    """Acquire ``count`` tickets one after another; returns them (with the time each got one)."""
    tickets = []
    for _ in range(count):
        tickets.append((await p.acquire(route), clock.now))
    return tickets


# --- a window -----------------------------------------------------------------------------


async def test_requests_within_the_limit_are_not_held(fake_clock: FakeClock) -> None:
    p = pacer(fake_clock)
    tickets = await send(p, fake_clock, 5)
    assert [at for _, at in tickets] == [1000.0] * 5
    assert fake_clock.sleeps == []
    assert p.stats.held == 0


async def test_requests_in_flight_count_against_the_budget(fake_clock: FakeClock) -> None:
    # Five sent, none answered: the sixth must wait, although no response reported anything.
    p = pacer(fake_clock)
    await send(p, fake_clock, 5)
    waiter = asyncio.ensure_future(p.acquire(ROUTE))
    await asyncio.sleep(0)
    assert not waiter.done()
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter


async def test_the_window_end_comes_from_the_reported_reset(fake_clock: FakeClock) -> None:
    p = pacer(fake_clock)
    tickets = await send(p, fake_clock, 5)
    fake_clock.now += 0.5
    for number, (ticket, _) in enumerate(tickets, start=1):
        p.release(ticket, 200, report(5, 5 - number, 10))
    _, at = (await send(p, fake_clock, 1))[0]
    # Observed at 1000.5 with 10 s left: the window ends at 1010.5 at the latest.
    assert at == pytest.approx(1010.5)
    assert p.stats.held == 1


async def test_the_smallest_bound_wins(fake_clock: FakeClock) -> None:
    p = pacer(fake_clock, limit=3)
    tickets = await send(p, fake_clock, 3)
    release_at(p, fake_clock, 1000.1, tickets[0][0], 200, report(3, 2, 10))  # ends by 1010.1
    # Ends by 1009.6: tighter.
    release_at(p, fake_clock, 1000.6, tickets[1][0], 200, report(3, 1, 9))
    release_at(p, fake_clock, 1000.2, tickets[2][0], 200, report(3, 0, 10))  # ends by 1010.2
    _, at = (await send(p, fake_clock, 1))[0]
    assert at == pytest.approx(1009.6)


async def test_without_any_response_the_fallback_is_late_not_early(fake_clock: FakeClock) -> None:
    p = pacer(fake_clock, limit=2, window=10.0)
    await send(p, fake_clock, 2)
    _, at = (await send(p, fake_clock, 1))[0]
    # No reset seen: the window surely ended 1.25 windows plus a second after it opened.
    assert at >= 1000.0 + 10.0 * 1.25 + 1.0


async def test_a_response_moves_the_end_while_requests_wait(fake_clock: FakeClock) -> None:
    # A waiter sleeping on the fallback estimate picks up a better one: the timer is re-armed.
    p = pacer(fake_clock, limit=1, window=60.0)
    ((ticket, _),) = await send(p, fake_clock, 1)
    waiter = asyncio.ensure_future(p.acquire(ROUTE))
    await asyncio.sleep(0)
    p.release(ticket, 200, report(1, 0, 2))  # ends within 2 s after all
    await waiter
    assert fake_clock.now == pytest.approx(1000.0 + 2.0, abs=0.5)
    assert fake_clock.sleeps == [pytest.approx(2.0)]  # one timer, no polling


async def test_the_limit_is_learned_from_the_report(fake_clock: FakeClock) -> None:
    p = pacer(fake_clock, limit=120)
    ((ticket, _),) = await send(p, fake_clock, 1)
    p.release(ticket, 200, report(3, 2, 5))
    tickets = await send(p, fake_clock, 3)
    # Two more fit the learned limit of 3; the third waits for the next window.
    assert [at for _, at in tickets] == [1000.0, 1000.0, pytest.approx(1005.0)]
    assert p.stats.limits["default"] == 3


async def test_other_clients_of_the_credential_are_counted(fake_clock: FakeClock) -> None:
    # The server has counted 8 of 10 although this client sent 1: only 2 more fit.
    p = pacer(fake_clock, limit=10)
    ((ticket, _),) = await send(p, fake_clock, 1)
    p.release(ticket, 200, report(10, 2, 30))
    tickets = await send(p, fake_clock, 3)
    assert [at for _, at in tickets] == [1000.0, 1000.0, pytest.approx(1030.0)]


async def test_reconciliation_counts_requests_sent_after_the_answered_one(
    fake_clock: FakeClock,
) -> None:
    # Four sent; the answer to the first says 1 counted. The three sent after it will be
    # counted too: 4 used, 1 left.
    p = pacer(fake_clock, limit=5)
    tickets = await send(p, fake_clock, 4)
    p.release(tickets[0][0], 200, report(5, 4, 10))
    later = await send(p, fake_clock, 2)
    assert [at for _, at in later] == [1000.0, pytest.approx(1010.0)]


async def test_requests_in_flight_at_rollover_count_in_the_new_window(
    fake_clock: FakeClock,
) -> None:
    p = pacer(fake_clock, limit=3)
    tickets = await send(p, fake_clock, 3)
    p.release(tickets[0][0], 200, report(3, 2, 1))  # window ends by 1001
    # The other two are still in flight when the window rolls over: they may land in the new
    # window, so only one more fits there.
    later = await send(p, fake_clock, 2)
    assert later[0][1] == pytest.approx(1001.0)
    assert later[1][1] > 1001.0


async def test_a_report_on_an_older_window_does_not_move_the_new_one(
    fake_clock: FakeClock,
) -> None:
    p = pacer(fake_clock, limit=1)
    ((old, _),) = await send(p, fake_clock, 1)
    p.release(old, 200, report(1, 0, 1))
    ((current, at),) = await send(p, fake_clock, 1)  # a new window, from 1001
    assert at == pytest.approx(1001.0)
    stale = await send(p, fake_clock, 1)  # waits for the fallback or a report
    assert stale[0][1] > 1001.0
    del current


# --- blocks and bounds ---------------------------------------------------------------------


async def test_a_429_blocks_until_its_reset_then_a_new_window_starts(fake_clock: FakeClock) -> None:
    p = pacer(fake_clock, limit=5)
    ((ticket, _),) = await send(p, fake_clock, 1)
    p.release(ticket, 429, report(5, 0, 7))
    tickets = await send(p, fake_clock, 5)
    assert [at for _, at in tickets] == [pytest.approx(1007.0)] * 5
    assert p.stats.blocks == 1


async def test_a_wait_longer_than_max_wait_raises_without_sending(fake_clock: FakeClock) -> None:
    p = pacer(fake_clock, limit=1, max_wait=30.0)
    ((ticket, _),) = await send(p, fake_clock, 1)
    p.release(ticket, 429, report(1, 0, 600))
    with pytest.raises(RateLimitError) as caught:
        await p.acquire(ROUTE)
    assert caught.value.retry_after == pytest.approx(600.0)
    assert "nothing was sent" in str(caught.value)
    assert fake_clock.sleeps == []
    assert p.stats.requests == 1


@pytest.mark.parametrize("reset", [-5, -0.5])
async def test_a_negative_reset_counts_as_zero(fake_clock: FakeClock, reset: float) -> None:
    p = pacer(fake_clock, limit=1)
    ((ticket, _),) = await send(p, fake_clock, 1)
    p.release(ticket, 429, report(1, 0, reset))
    _, at = (await send(p, fake_clock, 1))[0]
    assert at == pytest.approx(1000.0)


async def test_an_unreadable_reset_falls_back_on_the_window_length(fake_clock: FakeClock) -> None:
    p = pacer(fake_clock, limit=1, window=10.0)
    ((ticket, _),) = await send(p, fake_clock, 1)
    p.release(ticket, 200, {"default": ReportedLimit(1, 0, None)})
    _, at = (await send(p, fake_clock, 1))[0]
    assert 1010.0 <= at <= 1000.0 + 10.0 * 1.25 + 1.0 + 0.25


# --- routes and names ------------------------------------------------------------------------


async def test_a_route_limit_replaces_the_default_on_its_route(fake_clock: FakeClock) -> None:
    # The route's limit comes from its operation, as the endpoints declare it.
    guests_route = Operation(
        name="bookings.add_guests",
        method="POST",
        path="/v2/bookings/{bookingUid}/guests",
        safety=Safety.UNSAFE,
        api_version="2024-08-13",
        limits=(RouteLimit(name="guests", limit=2, window=60.0),),
    )
    p = AdaptivePacer(limit=100, window=60.0, clock=fake_clock)
    guests = await send(p, fake_clock, 2, route=guests_route)
    others = await send(p, fake_clock, 50)
    assert {at for _, at in guests + others} == {1000.0}
    waiter = asyncio.ensure_future(p.acquire(guests_route))
    await asyncio.sleep(0)
    assert not waiter.done()  # the route's own limit of 2 is used up
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter


async def test_routes_learn_their_limit_names(fake_clock: FakeClock) -> None:
    p = pacer(fake_clock, limit=100)
    ((ticket, _),) = await send(p, fake_clock, 1, route=GUESTS)
    # This route turns out to be governed by its own limit only.
    p.release(ticket, 200, report(1, 0, 20, name="booking_guests_add"))
    _, other = (await send(p, fake_clock, 1))[0]
    _, guests = (await send(p, fake_clock, 1, route=GUESTS))[0]
    assert other == 1000.0
    assert guests == pytest.approx(1020.0)


async def test_several_named_limits_must_all_have_room(fake_clock: FakeClock) -> None:
    p = pacer(fake_clock, limit=100)
    ((ticket, _),) = await send(p, fake_clock, 1)
    p.release(
        ticket,
        200,
        {"short": ReportedLimit(2, 1, 1), "long": ReportedLimit(100, 99, 60)},
    )
    tickets = await send(p, fake_clock, 3)
    # "short" allows one more now and one the next second (the request still in flight at the
    # rollover may be counted in the new window); the third waits for that window to end.
    assert [at for _, at in tickets[:2]] == [1000.0, pytest.approx(1001.0)]
    assert tickets[2][1] >= 1002.0


async def test_a_route_without_rate_limit_headers_is_not_paced(fake_clock: FakeClock) -> None:
    p = pacer(fake_clock, limit=1)
    ((ticket, _),) = await send(p, fake_clock, 1)
    p.release(ticket, 200, None)
    tickets = await send(p, fake_clock, 20)
    assert {at for _, at in tickets} == {1000.0}


@pytest.mark.parametrize("status", [500, 502, 503, 504, 404])
async def test_an_error_without_rate_limit_headers_keeps_the_route_paced(
    fake_clock: FakeClock, status: int
) -> None:
    # A proxy's error page carries no rate-limit headers; the server's limit still applies.
    p = pacer(fake_clock, limit=2)
    tickets = await send(p, fake_clock, 2)
    p.release(tickets[0][0], 200, report(2, 1, 10))
    p.release(tickets[1][0], status, None)
    _, at = (await send(p, fake_clock, 1))[0]
    assert at == pytest.approx(1010.0)


async def test_a_failed_request_stays_counted(fake_clock: FakeClock) -> None:
    p = pacer(fake_clock, limit=1)
    ((ticket, _),) = await send(p, fake_clock, 1)
    p.release(ticket, None, None)  # no response: it may have been counted
    _, at = (await send(p, fake_clock, 1))[0]
    assert at > 1000.0


# --- many at once ----------------------------------------------------------------------------


async def test_concurrent_requests_get_exactly_the_limit_per_window(fake_clock: FakeClock) -> None:
    p = pacer(fake_clock, limit=4, window=10.0)
    sent: list[float] = []

    async def one() -> None:
        ticket = await p.acquire(ROUTE)
        sent.append(fake_clock.now)
        await asyncio.sleep(0)
        remaining = max(4 - sum(1 for t in sent if t == fake_clock.now), 0)
        reset = 10.0 - (fake_clock.now - 1000.0) % 10.0
        p.release(ticket, 200, report(4, remaining, reset))

    await asyncio.gather(*(one() for _ in range(12)))
    by_window: dict[int, int] = {}
    for at in sent:
        by_window[int((at - 1000.0) // 10)] = by_window.get(int((at - 1000.0) // 10), 0) + 1
    assert by_window == {0: 4, 1: 4, 2: 4}


async def test_a_cancelled_waiter_leaves_no_trace(fake_clock: FakeClock) -> None:
    p = pacer(fake_clock, limit=1)
    ((ticket, _),) = await send(p, fake_clock, 1)
    waiter = asyncio.ensure_future(p.acquire(ROUTE))
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    release_at(p, fake_clock, 1000.0, ticket, 200, report(1, 0, 1))
    _, at = (await send(p, fake_clock, 1))[0]
    assert at == pytest.approx(1001.0)
    assert p.stats.requests == 2


async def test_the_testing_switch_lets_everything_through(fake_clock: FakeClock) -> None:
    p = pacer(fake_clock, limit=1)
    with waits(False):
        tickets = await send(p, fake_clock, 10)
    assert {at for _, at in tickets} == {1000.0}


# --- configuration ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 1.5}, "limit"),
        ({"window": 0}, "window"),
        ({"window": -1}, "window"),
        ({"max_wait": -1}, "max_wait"),
    ],
)
def test_bad_pacer_settings_are_refused(kwargs: dict[str, Any], argument: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        AdaptivePacer(**kwargs)
    assert caught.value.argument == argument


def test_the_client_builds_the_default_pacer_per_credential_kind() -> None:
    by_key = CalBookings(api_key="cal_x")
    by_token = CalBookings(access_token="token")
    assert isinstance(by_key.pacer, AdaptivePacer)
    assert by_key.pacer.stats.limits["default"] == 120
    assert isinstance(by_token.pacer, AdaptivePacer)
    assert by_token.pacer.stats.limits["default"] == 500
    assert CalBookings(api_key="cal_x", pacing=False).pacer is None


def test_the_client_refuses_a_non_pacer() -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        CalBookings(api_key="cal_x", pacing="fast")  # type: ignore[arg-type]
    assert caught.value.argument == "pacing"


def test_a_pacer_keeps_its_own_clock(fake_clock: FakeClock) -> None:
    # The clock is given at construction; the client's clock goes only to the pacer it builds.
    own = AdaptivePacer(limit=10)
    client = CalBookings(api_key="cal_x", pacing=own, clock=fake_clock)
    assert client.pacer is own
    assert isinstance(own.clock, SystemClock)
    built = CalBookings(api_key="cal_x", clock=fake_clock).pacer
    assert isinstance(built, AdaptivePacer)
    assert built.clock is fake_clock


# --- the queue, the timer and what the pacer says while it waits -------------------------------


async def test_held_requests_go_in_the_order_they_came(fake_clock: FakeClock) -> None:
    p = pacer(fake_clock, limit=2, window=10.0)
    tickets = await send(p, fake_clock, 2)
    order: list[int] = []

    async def one(number: int) -> None:
        await p.acquire(ROUTE)
        order.append(number)

    waiters = []
    for number in range(6):
        waiters.append(asyncio.ensure_future(one(number)))
        await asyncio.sleep(0)
    for ticket, _ in tickets:
        p.release(ticket, 200, report(2, 0, 5))
    await asyncio.gather(*waiters)
    assert order == [0, 1, 2, 3, 4, 5]


async def test_a_new_request_does_not_overtake_those_waiting(fake_clock: FakeClock) -> None:
    p = pacer(fake_clock, limit=1, window=10.0)
    ((ticket, _),) = await send(p, fake_clock, 1)
    waiter = asyncio.ensure_future(p.acquire(ROUTE))
    await asyncio.sleep(0)
    assert p.try_acquire(ROUTE) is None  # someone is in line
    p.release(ticket, 200, report(1, 0, 3))
    await waiter
    assert fake_clock.now == pytest.approx(1003.0)


async def test_one_timer_wakes_the_queue_without_polling(fake_clock: FakeClock) -> None:
    p = pacer(fake_clock, limit=1, window=10.0)
    ((ticket, _),) = await send(p, fake_clock, 1)
    p.release(ticket, 200, report(1, 0, 30))
    waiters = [asyncio.ensure_future(p.acquire(ROUTE)) for _ in range(3)]
    await asyncio.gather(*waiters)
    # Three held requests, three windows of 30 s, and no sleep shorter than a window's end.
    assert len(fake_clock.sleeps) <= 3
    assert fake_clock.sleeps[0] == pytest.approx(30.0)


async def test_stats_say_what_the_first_held_request_waits_for(fake_clock: FakeClock) -> None:
    p = pacer(fake_clock, limit=3, window=60.0)
    tickets = await send(p, fake_clock, 3)
    for ticket, _ in tickets:
        p.release(ticket, 200, report(3, 0, 41))
    assert p.stats.waiting == 0
    assert p.stats.wait_reason is None
    assert p.stats.resumes_in is None
    waiters = [asyncio.ensure_future(p.acquire(ROUTE)) for _ in range(2)]
    await asyncio.sleep(0)
    stats = p.stats
    assert stats.waiting == 2
    assert stats.wait_reason == "window full: 3 of 3 used"
    assert stats.resumes_in == pytest.approx(41.0)
    await asyncio.gather(*waiters)
    assert p.stats.waiting == 0
    assert p.stats.longest_hold == pytest.approx(41.0)


async def test_stats_say_a_block_is_a_block(fake_clock: FakeClock) -> None:
    p = pacer(fake_clock, limit=5)
    ((ticket, _),) = await send(p, fake_clock, 1)
    p.release(ticket, 429, report(5, 0, 20))
    waiter = asyncio.ensure_future(p.acquire(ROUTE))
    await asyncio.sleep(0)
    assert p.stats.wait_reason == "blocked after a 429"
    assert p.stats.resumes_in == pytest.approx(20.0)
    await waiter


async def test_a_cancelled_head_of_the_queue_lets_the_next_go(fake_clock: FakeClock) -> None:
    p = pacer(fake_clock, limit=1)
    ((ticket, _),) = await send(p, fake_clock, 1)
    first = asyncio.ensure_future(p.acquire(ROUTE))
    await asyncio.sleep(0)
    second = asyncio.ensure_future(p.acquire(ROUTE))
    await asyncio.sleep(0)
    first.cancel()
    p.release(ticket, 200, report(1, 0, 2))
    with pytest.raises(asyncio.CancelledError):
        await first
    await second
    assert fake_clock.now == pytest.approx(1002.0)
    assert p.stats.waiting == 0


async def test_other_routes_are_not_held_behind_a_full_route_limit(fake_clock: FakeClock) -> None:
    p = pacer(fake_clock, limit=100)
    await send(p, fake_clock, 5, route=GUESTS)  # the declared booking_guests_add: 5 per 60 s
    guests = asyncio.ensure_future(p.acquire(GUESTS))
    await asyncio.sleep(0)
    assert not guests.done()
    _, at = (await send(p, fake_clock, 1))[0]
    assert at == 1000.0  # the default window has room: not behind the guests' queue
    guests.cancel()
    with pytest.raises(asyncio.CancelledError):
        await guests


def test_route_limits_come_from_the_operation_table() -> None:
    p = AdaptivePacer(limit=100)
    for _ in range(5):
        assert p.try_acquire(GUESTS) is not None
    assert p.try_acquire(GUESTS) is None
    assert p.stats.limits["booking_guests_add"] == 5
    assert p.try_acquire(op("bookings.update_location")) is not None
    assert p.stats.limits["booking_location_update"] == 5


# --- binding ----------------------------------------------------------------------------------


def _binding(digest: str = "ab" * 32) -> PacerBinding:
    return PacerBinding(credential_id=digest, credential_kind="api_key", attempt_timeout=30.0)


def test_a_pacer_is_bound_once_per_credential() -> None:
    p = AdaptivePacer()
    p.bind(_binding())
    p.bind(_binding())  # two clients of the same credential may share it
    with pytest.raises(InvalidArgumentError) as caught:
        p.bind(_binding("cd" * 32))
    assert caught.value.argument == "pacing"


def test_the_client_binds_its_pacer_with_a_digest_never_the_credential() -> None:
    seen: list[PacerBinding] = []

    class Recording(AdaptivePacer):
        def bind(self, binding: PacerBinding) -> None:
            seen.append(binding)
            super().bind(binding)

    shared = Recording()
    CalBookings(api_key="cal_live_one", pacing=shared, timeout=12.0)
    CalBookings(api_key="cal_live_one", pacing=shared)
    with pytest.raises(InvalidArgumentError) as caught:
        CalBookings(api_key="cal_live_two", pacing=shared)
    assert caught.value.argument == "pacing"
    first, second, third = seen
    assert first.credential_kind == "api_key"
    assert first.attempt_timeout == 12.0
    assert len(first.credential_id) == 64
    assert "cal_live_one" not in repr(first)
    assert first.credential_id == second.credential_id != third.credential_id
