"""Bulk work at the rate limit: the SDK's adaptive pacing against the naive approach.

Both run the same job, 2,000 ``cal.bookings.get`` calls, against their own ``CalEmulator``
whose rate limiter behaves like Cal.com's (fixed window per credential, a block once the
limit is passed), scaled down to L requests per W seconds with a block of W:

* **paced**: ``cal.bulk_all(uids, cal.bookings.get, concurrency=20)`` with pacing on (the
  default); the pacer learns the limit from the first responses and holds requests back.
* **naive**: ``asyncio.gather`` over a semaphore of 20 with pacing off; every 429 is retried by
  the SDK after the server's reset (which is what a careful hand-written loop would do).

For each it reports the wall time, the achieved rate as a fraction of the budget L/W, the
windows used against the fewest possible (ceil(N/L): the last window's burst finishes just after
it opens, so a perfect run takes ceil(N/L) - 1 windows plus that burst), the 429s the server
sent, and those after the first window. Targets for the paced run: at least 0.95 of the budget
and no 429 after the first window.

Run: ``python benchmarks/bench_pacing.py`` (about 2 minutes; ``--help`` for options).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from collections.abc import Callable, Coroutine
from typing import Any

from calbookings_async import CalBookings, RateLimitError, RetryAttempt, RetryPolicy
from calbookings_async.testing import CalEmulator, RateLimit


async def run(approach: str, operations: int, limit: int, window: float) -> dict[str, Any]:
    """One job with one approach against a fresh emulator; returns its figures."""
    throttle = RateLimit(limit, ttl=window, block=window)
    async with CalEmulator(seed=11, rate_limit=throttle) as emu:
        uids = list(emu.seed(bookings=operations, oddities=False).booking_uids[:operations])
        throttled: list[float] = []
        retries = [0]
        started = time.monotonic()

        def on_retry(attempt: RetryAttempt) -> None:
            retries[0] += 1
            if isinstance(attempt.error, RateLimitError):
                throttled.append(time.monotonic() - started)

        policy = RetryPolicy(attempts=100, deadline=None, on_retry=on_retry)
        async with CalBookings(
            api_key=emu.api_key,
            base_url=emu.base_url,
            retry=policy,
            pacing=approach == "paced",
        ) as cal:
            started = time.monotonic()
            if approach == "paced":
                report = await cal.bulk_all(uids, cal.bookings.get, concurrency=20)
                failures = len(report.failed)
            else:
                failures = await naive(uids, cal.bookings.get, concurrency=20)
            elapsed = time.monotonic() - started
        served_429 = emu.status_counts.get(429, 0)
    rate = operations / elapsed
    return {
        "approach": approach,
        "seconds": elapsed,
        "rate": rate,
        "budget": rate / (limit / window),
        "windows": elapsed / window,
        "fewest": math.ceil(operations / limit) - 1,
        "429s": served_429,
        "late_429s": sum(1 for at in throttled if at > window),
        "retries": retries[0],
        "failures": failures,
    }


async def naive(
    items: list[str],
    operation: Callable[[str], Coroutine[Any, Any, Any]],
    concurrency: int,
) -> int:
    """``gather`` over a semaphore: the usual way; returns the number of failed items."""
    slots = asyncio.Semaphore(concurrency)

    async def one(item: str) -> bool:
        async with slots:
            try:
                await operation(item)
            except Exception:
                return False
            return True

    outcomes = await asyncio.gather(*(one(item) for item in items))
    return outcomes.count(False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operations", type=int, default=2000)
    parser.add_argument("--limit", type=int, default=100, help="requests per window (L)")
    parser.add_argument("--window", type=float, default=2.0, help="window and block (W), s")
    args = parser.parse_args(argv)
    budget = args.limit / args.window
    print(
        f"{args.operations} operations, limit {args.limit} per {args.window:g} s window"
        f" (budget {budget:g}/s), block {args.window:g} s, 20 concurrent"
    )
    header = (
        f"{'approach':>8} {'seconds':>8} {'req/s':>7} {'of L/W':>7} {'windows':>8}"
        f" {'fewest':>7} {'429s':>5} {'late 429s':>9} {'retries':>8} {'failed':>7}"
    )
    print(header)
    for approach in ("paced", "naive"):
        r = asyncio.run(run(approach, args.operations, args.limit, args.window))
        print(
            f"{r['approach']:>8} {r['seconds']:>8.1f} {r['rate']:>7.1f} {r['budget']:>7.3f}"
            f" {r['windows']:>8.1f} {r['fewest']:>7} {r['429s']:>5} {r['late_429s']:>9}"
            f" {r['retries']:>8} {r['failures']:>7}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
