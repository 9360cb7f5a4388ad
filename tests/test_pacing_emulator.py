"""Pacing against the emulator's real fixed-window rate limiter, in real time (a few seconds)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from calbookings_async import CalBookings, RateLimitError, RetryAttempt, RetryPolicy
from calbookings_async._types import waits
from calbookings_async.testing import CalEmulator, RateLimit

LIMIT = 20
WINDOW = 1.0


@pytest.fixture(autouse=True)
def _real_waits() -> Iterator[None]:
    with waits(True):
        yield


async def run_job(pacing: bool, requests: int) -> tuple[float, int, list[float]]:
    """``requests`` gets at concurrency 10; returns (seconds, 429s served, 429 times)."""
    async with CalEmulator(seed=3, rate_limit=RateLimit(LIMIT, ttl=WINDOW, block=WINDOW)) as emu:
        uids = emu.seed(bookings=requests).booking_uids[:requests]
        started = time.monotonic()
        throttled: list[float] = []

        def record(attempt: RetryAttempt) -> None:
            if isinstance(attempt.error, RateLimitError):
                throttled.append(time.monotonic() - started)

        policy = RetryPolicy(attempts=20, on_retry=record, deadline=None)
        async with CalBookings(
            api_key=emu.api_key, base_url=emu.base_url, retry=policy, pacing=pacing
        ) as cal:
            slots = asyncio.Semaphore(10)

            async def one(uid: str) -> None:
                async with slots:
                    await cal.bookings.get(uid)

            await asyncio.gather(*(one(uid) for uid in uids))
        return time.monotonic() - started, emu.status_counts.get(429, 0), throttled


async def test_paced_job_gets_no_429_after_the_first_window() -> None:
    seconds, served_429, throttled = await run_job(pacing=True, requests=80)
    assert [at for at in throttled if at > WINDOW] == []
    assert served_429 == len(throttled)
    # 80 requests at 20 per second need at least 3 full windows after the first.
    assert seconds >= (80 / LIMIT - 1) * WINDOW
