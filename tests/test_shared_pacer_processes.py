"""The shared pacer across real processes: workers on one key against the emulator's limiter.

Each test starts the emulator in this process (a limiter of 30 requests per 1 s window and a
1 s block) and worker processes that share the budget through a real ``redis-server`` (started
on a free loopback port, stopped by its pid) or a real SQLite file. The server's own count of
429s is the verdict.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

import pytest
from _servers import RedisServer  # the type; the redis_server fixture is in conftest

from calbookings_async.testing import CalEmulator, RateLimit

pytest.importorskip("redis.asyncio")

LIMIT = 30
WORK = 30  # requests per worker


class OffsetClock:
    """The system clock an hour ahead."""

    def monotonic(self) -> float:
        return time.monotonic() + 3600.0

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0))


def _worker(job: dict[str, Any]) -> None:
    asyncio.run(_work(job))


async def _work(job: dict[str, Any]) -> None:
    from calbookings_async import CalBookings, FilePacer, RetryPolicy
    from calbookings_async._operations import op
    from calbookings_async.redis import RedisPacer

    options: dict[str, Any] = {"limit": LIMIT, "window": 1.0, "in_flight_ttl": 3.0}
    if job.get("skewed"):
        options["clock"] = OffsetClock()
    if job["store"] == "redis":
        pacer: Any = RedisPacer.from_url(job["url"], **options)
    else:
        pacer = FilePacer(job["path"], **options)
    retry = RetryPolicy(attempts=20, deadline=None)
    async with CalBookings(
        api_key=job["api_key"], base_url=job["base_url"], pacing=pacer, retry=retry
    ) as cal:
        if job.get("die"):
            # Take slots, send nothing, and die: the slots must come back after the TTL.
            operation = op("bookings.get")
            for _ in range(10):
                await pacer.acquire(operation)
            os._exit(9)
        left = [job["count"]]

        async def loop() -> None:
            while left[0] > 0:
                left[0] -= 1
                await cal.bookings.get(job["uid"])

        await asyncio.gather(*(loop() for _ in range(8)))
    await pacer.aclose()


async def run_workers(emu: CalEmulator, uid: str, jobs: list[dict[str, Any]]) -> list[int | None]:
    context = multiprocessing.get_context("spawn")
    processes = []
    for job in jobs:
        job.update(api_key=emu.api_key, base_url=emu.base_url, uid=uid)
        job.setdefault("count", WORK)
        process = context.Process(target=_worker, args=(job,))
        process.start()
        processes.append(process)
    for process in processes:
        await asyncio.to_thread(process.join, 120)
    return [process.exitcode for process in processes]


async def emulator() -> CalEmulator:
    emu = CalEmulator(seed=5, rate_limit=RateLimit(LIMIT, ttl=1.0, block=1.0))
    await emu.start()
    return emu


@pytest.mark.parametrize("store", ["redis", "file"])
async def test_workers_sharing_a_store_get_no_429(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("redis_server").url if store == "redis" else ""
    emu = await emulator()
    try:
        uid = emu.seed(bookings=1, oddities=False).booking_uids[0]
        jobs = [{"store": store, "url": url, "path": str(tmp_path / "p.sqlite3")} for _ in range(3)]
        codes = await run_workers(emu, uid, jobs)
        assert codes == [0, 0, 0]
        assert emu.throttler.rejected == 0
        assert emu.status_counts[200] == 3 * WORK
    finally:
        await emu.stop()


@pytest.mark.parametrize("store", ["redis", "file"])
async def test_a_worker_whose_clock_is_an_hour_off_changes_nothing(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("redis_server").url if store == "redis" else ""
    emu = await emulator()
    try:
        uid = emu.seed(bookings=1, oddities=False).booking_uids[0]
        base = {"store": store, "url": url, "path": str(tmp_path / "p.sqlite3")}
        jobs = [dict(base, skewed=True), dict(base), dict(base)]
        codes = await run_workers(emu, uid, jobs)
        assert codes == [0, 0, 0]
        assert emu.throttler.rejected == 0
    finally:
        await emu.stop()


async def test_a_killed_workers_slots_come_back(tmp_path: Path) -> None:
    emu = await emulator()
    try:
        uid = emu.seed(bookings=1, oddities=False).booking_uids[0]
        base = {"store": "file", "url": "", "path": str(tmp_path / "p.sqlite3")}
        codes = await run_workers(emu, uid, [dict(base, die=True)])
        assert codes == [9]
        started = time.monotonic()
        codes = await run_workers(emu, uid, [dict(base), dict(base)])
        assert codes == [0, 0]
        assert emu.throttler.rejected == 0
        # The dead worker's 10 slots came back: the survivors were not stopped for long
        # (in-flight TTL 3 s, plus a window or two).
        assert time.monotonic() - started < 60
    finally:
        await emu.stop()


async def test_redis_killed_and_restarted_empty_mid_run(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    emu = await emulator()
    try:
        uid = emu.seed(bookings=1, oddities=False).booking_uids[0]
        base = {"store": "redis", "url": redis_server.url, "count": 90}
        running = asyncio.ensure_future(run_workers(emu, uid, [dict(base), dict(base)]))
        await asyncio.sleep(3.0)  # both workers started and paced through Redis
        redis_server.stop()
        await asyncio.sleep(2.0)  # they pace locally, at a share each
        redis_server.start()
        codes = await running
        assert codes == [0, 0]
        assert emu.throttler.rejected == 0
        assert emu.status_counts[200] == 180
    finally:
        await emu.stop()
