"""The emulator's throttler: Cal.com's fixed windows, blocks, named limits and headers (§8).

The semantics are stepped through with an injectable clock (a fake callable, or the public
``ManualClock``); no test waits on real time, and one checks that the default clock is the real one.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from calbookings_async.testing import (
    API_VERSION,
    SYSTEM_CLOCK,
    CalEmulator,
    ManualClock,
    RateLimit,
    Throttler,
)

BODY_429 = {
    "code": "ThrottlerException",
    "message": "CustomThrottlerGuard - Too many requests. Please try again later.",
    "details": "CustomThrottlerGuard - Too many requests. Please try again later.",
}


class FakeClock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


def triplet(headers: list[tuple[str, str]], suffix: str = "Default") -> tuple[int, int, int]:
    found = dict(headers)
    return (
        int(found[f"X-RateLimit-Limit-{suffix}"]),
        int(found[f"X-RateLimit-Remaining-{suffix}"]),
        int(found[f"X-RateLimit-Reset-{suffix}"]),
    )


def test_fixed_window_block_and_restart() -> None:
    clock = FakeClock()
    throttler = Throttler(clock)
    limit = [RateLimit(limit=3, ttl=60, block=30)]
    seen = []
    for _ in range(3):
        allowed, headers = throttler.hit("api_key_x", limit)
        seen.append((allowed, triplet(headers)))
        clock.now += 1
    assert seen == [(True, (3, 2, 60)), (True, (3, 1, 59)), (True, (3, 0, 58))]
    allowed, headers = throttler.hit("api_key_x", limit)  # the 4th hit starts the block
    assert (allowed, triplet(headers)) == (False, (3, 0, 30))
    clock.now += 10.5
    allowed, headers = throttler.hit("api_key_x", limit)  # still blocked, Reset counts down
    assert (allowed, triplet(headers)) == (False, (3, 0, 20))
    clock.now += 19.4
    assert throttler.hit("api_key_x", limit)[0] is False
    clock.now += 0.2  # the block is over: the window restarts at one hit
    allowed, headers = throttler.hit("api_key_x", limit)
    assert (allowed, triplet(headers)) == (True, (3, 2, 60))
    assert throttler.rejected == 3
    assert throttler.rejected_by_tracker["api_key_x"] == 3


def test_window_expiry_resets_the_count_and_trackers_are_separate() -> None:
    clock = FakeClock()
    throttler = Throttler(clock)
    limit = [RateLimit(limit=2, ttl=1.0, block=1.0)]
    assert throttler.hit("a", limit)[0]
    assert throttler.hit("a", limit)[0]
    assert throttler.hit("b", limit)[0]  # another tracker has its own window
    clock.now += 1.0
    allowed, headers = throttler.hit("a", limit)
    assert (allowed, triplet(headers)) == (True, (2, 1, 1))


@pytest.mark.parametrize(
    ("elapsed", "reset"),
    [(0.0, 60), (0.001, 60), (0.999, 60), (1.0, 59), (58.5, 2), (59.2, 1), (59.999, 1)],
)
def test_reset_is_ceil_of_remaining_milliseconds(elapsed: float, reset: int) -> None:
    clock = FakeClock()
    throttler = Throttler(clock)
    limit = [RateLimit(limit=100)]
    throttler.hit("t", limit)
    clock.now += elapsed
    assert triplet(throttler.hit("t", limit)[1])[2] == reset


def test_several_named_limits_reject_only_when_all_are_blocked() -> None:
    clock = FakeClock()
    throttler = Throttler(clock)
    limits = [RateLimit(2, 1.0, 5.0, name="short"), RateLimit(4, 60, 60, name="long")]
    results = [throttler.hit("k", limits) for _ in range(5)]
    assert [allowed for allowed, _ in results] == [True, True, True, True, False]
    assert triplet(results[2][1], "Short") == (2, 0, 5)
    assert triplet(results[2][1], "Long") == (4, 1, 60)
    assert triplet(results[4][1], "Long") == (4, 0, 60)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def emu(clock: FakeClock) -> AsyncIterator[CalEmulator]:
    async with CalEmulator(
        clock=clock,
        rate_limit=RateLimit(limit=3, ttl=60, block=60),
        access_tokens={"tok": None},
        oauth_clients={"cid": "secret"},
        api_keys={
            "cal_multi": [RateLimit(1, 1.0, 1.0, name="short"), RateLimit(3, 60, 60, name="long")]
        },
    ) as emulator:
        emulator.seed(bookings=5)
        yield emulator


async def get(session: aiohttp.ClientSession, path: str = "/v2/bookings", **kw: Any) -> Any:
    async with session.get(path, **kw) as response:
        return response.status, dict(response.headers), await response.json()


async def test_headers_on_every_response_and_the_429_body(
    emu: CalEmulator, clock: FakeClock
) -> None:
    async with aiohttp.ClientSession(emu.base_url, headers=emu.headers()) as http:
        results = [await get(http) for _ in range(4)]
        assert [status for status, _, _ in results] == [200, 200, 200, 429]
        assert [h["X-RateLimit-Remaining-Default"] for _, h, _ in results] == ["2", "1", "0", "0"]
        status, headers, body = results[3]
        assert headers["X-RateLimit-Limit-Default"] == "3"
        assert headers["X-RateLimit-Reset-Default"] == "60"
        assert "Retry-After" not in headers
        assert "X-RateLimit-Limit" not in headers
        assert body["status"] == "error"
        assert body["path"] == "/v2/bookings"
        assert body["error"] == BODY_429
        clock.now += 30
        status, headers, _ = await get(http)
        assert (status, headers["X-RateLimit-Reset-Default"]) == (429, "30")
        clock.now += 30
        status, headers, _ = await get(http)
        assert (status, headers["X-RateLimit-Remaining-Default"]) == (200, "2")
        # Errors behind the guard carry the headers too.
        status, headers, _ = await get(http, "/v2/bookings/missing")
        assert (status, headers["X-RateLimit-Remaining-Default"]) == (404, "1")
    assert emu.throttler.rejected == 2
    assert emu.status_counts[429] == 2


async def test_unknown_key_is_rejected_by_the_throttler_without_headers(emu: CalEmulator) -> None:
    async with aiohttp.ClientSession(emu.base_url, headers=emu.headers(token="cal_nope")) as http:
        status, headers, body = await get(http)
    assert status == 401
    assert body["error"]["message"] == "CustomThrottlerGuard - Invalid API Key"
    assert not any(h.startswith("X-RateLimit") for h in headers)


async def test_credentials_get_their_own_trackers_and_default_limits(emu: CalEmulator) -> None:
    async with aiohttp.ClientSession(emu.base_url) as http:
        versioned = {"cal-api-version": API_VERSION}
        _, token_headers, _ = await get(http, headers={**versioned, "Authorization": "Bearer tok"})
        assert token_headers["X-RateLimit-Limit-Default"] == "500"
        client = {**versioned, "x-cal-client-id": "cid", "x-cal-secret-key": "secret"}
        _, client_headers, _ = await get(http, headers=client)
        assert client_headers["X-RateLimit-Limit-Default"] == "500"
        uid = next(iter(emu.bookings))
        anonymous = [await get(http, f"/v2/bookings/{uid}", headers=versioned) for _ in range(4)]
        assert [s for s, _, _ in anonymous] == [200, 200, 200, 429]  # the IP tracker: limit 3
        status, _, _ = await get(http, headers={**versioned, **emu.headers()})
        assert status == 200  # the API key is a different tracker


async def test_anonymous_limit_can_differ(clock: FakeClock) -> None:
    emu = CalEmulator(
        clock=clock, rate_limit=RateLimit(limit=50), anonymous_rate_limit=RateLimit(limit=2)
    )
    uid = emu.add_booking(event_type_id=emu.add_event_type(slug="x"), start="2099-01-01")
    async with emu, aiohttp.ClientSession(emu.base_url) as http:
        versioned = {"cal-api-version": API_VERSION}
        statuses = [
            (await get(http, f"/v2/bookings/{uid}", headers=versioned))[0] for _ in range(3)
        ]
        assert statuses == [200, 200, 429]
        _, headers, _ = await get(http, headers={**versioned, **emu.headers()})
        assert headers["X-RateLimit-Limit-Default"] == "50"


async def test_named_key_limits_e2e(emu: CalEmulator, clock: FakeClock) -> None:
    async with aiohttp.ClientSession(emu.base_url, headers=emu.headers(token="cal_multi")) as http:
        statuses = []
        for _ in range(4):
            status, headers, _ = await get(http)
            statuses.append(status)
        assert statuses == [200, 200, 200, 429]  # "short" is blocked after one; "long" holds out
        assert {"X-RateLimit-Limit-Short", "X-RateLimit-Limit-Long"} <= set(headers)
        assert "X-RateLimit-Limit-Default" not in headers
        clock.now += 61
        assert (await get(http))[0] == 200


async def test_route_limit_replaces_the_default(clock: FakeClock) -> None:
    guests_limit = RateLimit(limit=2, ttl=60, block=60, name="booking_guests_add")
    async with CalEmulator(
        clock=clock,
        rate_limit=RateLimit(limit=100),
        route_limits={"POST /v2/bookings/{bookingUid}/guests": guests_limit},
    ) as emu:
        event_type = emu.add_event_type(slug="intro")
        uid = emu.add_booking(event_type_id=event_type, start="2099-01-01T10:00:00Z")
        async with aiohttp.ClientSession(emu.base_url, headers=emu.headers()) as http:
            results = []
            for i in range(3):
                payload = {"guests": [{"email": f"g{i}@example.org"}]}
                async with http.post(f"/v2/bookings/{uid}/guests", json=payload) as response:
                    results.append((response.status, dict(response.headers)))
            assert [s for s, _ in results] == [200, 200, 429]
            headers = results[0][1]
            assert headers["X-RateLimit-Limit-Booking_guests_add"] == "2"
            assert headers["X-RateLimit-Remaining-Booking_guests_add"] == "1"
            assert "X-RateLimit-Limit-Default" not in headers
            status, headers, _ = await get(http)
            assert (status, headers["X-RateLimit-Remaining-Default"]) == (200, "99")
        assert emu.ledger.count(operation="add_guests") == 2


async def test_default_limits_are_cal_coms() -> None:
    async with CalEmulator() as emu, aiohttp.ClientSession(emu.base_url) as http:
        _, headers, _ = await get(http, headers=emu.headers())
        assert headers["X-RateLimit-Limit-Default"] == "120"
        assert headers["X-RateLimit-Reset-Default"] == "60"
        uid = emu.add_booking(event_type_id=emu.add_event_type(slug="x"), start="2099-01-01")
        async with http.post(
            f"/v2/bookings/{uid}/guests",
            json={"guests": [{"email": "g@example.org"}]},
            headers=emu.headers(),
        ) as response:
            assert response.headers["X-RateLimit-Limit-Booking_guests_add"] == "5"


async def test_windows_and_blocks_follow_the_manual_clock() -> None:
    clock = ManualClock()
    emu = CalEmulator(clock=clock, rate_limit=RateLimit(limit=5, ttl=0.3, block=0.3))
    async with emu, aiohttp.ClientSession(emu.base_url, headers=emu.headers()) as http:
        statuses = [(await get(http))[0] for _ in range(6)]
        assert statuses == [200] * 5 + [429]
        clock.advance(0.35)
        status, headers, _ = await get(http)
        assert (status, headers["X-RateLimit-Remaining-Default"]) == (200, "4")


def test_the_default_clock_is_the_real_one() -> None:
    assert SYSTEM_CLOCK.monotonic is time.monotonic
    assert SYSTEM_CLOCK.time is time.time
    emu = CalEmulator()
    assert emu.clock is time.monotonic
    assert emu.wall_clock is time.time
