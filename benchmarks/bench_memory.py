"""Peak memory while streaming 10k, 50k and 100k bookings page by page, against collecting them.

For each total, a server process serves an emulator seeded with exactly that many bookings
(throttling off), so the server's memory is never counted. Each measurement then runs in a fresh
client process (``--client``): it builds the client, takes a baseline, and walks every booking
one of three ways:

- ``stream``: ``async for booking in cal.bookings.list(take=250)``, keeping nothing;
- ``stream-c4``: the same with ``concurrency=4`` (up to four pages fetched ahead);
- ``list``: the baseline, ``[b async for b in cal.bookings.list(take=250)]``, keeping them all.

It reports the peak of memory traced by ``tracemalloc`` during the walk above the baseline, and
the growth of the process's peak RSS (``ru_maxrss``) over the baseline. Streaming should stay
flat as the total grows; collecting grows with it.

Run: ``python benchmarks/bench_memory.py`` (``--help`` for options; about two minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import multiprocessing
import resource
import subprocess
import sys
import time
import tracemalloc
from typing import Any

SIZES = (10_000, 50_000, 100_000)
MODES = ("stream", "stream-c4", "list")


def serve(bookings: int, port_queue: multiprocessing.Queue[int]) -> None:
    """The server process: an emulator seeded with ``bookings`` bookings, no throttling."""
    from calbookings_async.testing import CalEmulator

    async def main() -> None:
        emulator = CalEmulator(rate_limit=None, seed=1)
        emulator.seed(bookings=bookings)
        async with emulator:
            port_queue.put(emulator.port)
            await asyncio.Event().wait()

    asyncio.run(main())


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def client(base_url: str, mode: str, expect: int) -> dict[str, Any]:
    """One measurement, in this (fresh) process."""
    from calbookings_async import CalBookings, RetryPolicy
    from calbookings_async.testing import DEFAULT_API_KEY

    options: dict[str, Any] = {"retry": RetryPolicy.disabled()}
    if "pacing" in inspect.signature(CalBookings).parameters:
        options["pacing"] = False
    async with CalBookings(api_key=DEFAULT_API_KEY, base_url=base_url, **options) as cal:
        # Warm up (connection, code paths, the decoder's caches) before the baseline.
        await cal.bookings.list(take=250)
        concurrency = 4 if mode == "stream-c4" else 1
        tracemalloc.start()
        baseline_traced = tracemalloc.get_traced_memory()[0]
        baseline_rss = _rss_mb()
        started = time.perf_counter()
        pager = cal.bookings.list(take=250, concurrency=concurrency)
        if mode == "list":
            kept = [booking async for booking in pager]
            count = len(kept)
        else:
            count = 0
            async for _booking in pager:
                count += 1
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] - baseline_traced
        tracemalloc.stop()
        rss_growth = _rss_mb() - baseline_rss
    assert count == expect, f"walked {count}, expected {expect}"
    return {
        "mode": mode,
        "bookings": count,
        "traced_peak_mb": peak / 2**20,
        "rss_growth_mb": rss_growth,
        "seconds": seconds,
    }


def measure(bookings: int) -> list[dict[str, Any]]:
    ctx = multiprocessing.get_context("spawn")
    ports: multiprocessing.Queue[int] = ctx.Queue()
    server = ctx.Process(target=serve, args=(bookings, ports), daemon=True)
    server.start()
    results = []
    try:
        base_url = f"http://127.0.0.1:{ports.get(timeout=300)}"
        for mode in MODES:
            done = subprocess.run(
                [sys.executable, __file__, "--client", base_url, mode, str(bookings)],
                capture_output=True,
                text=True,
                check=True,
            )
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    finally:
        server.kill()
        server.join()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument(
        "--client", nargs=3, metavar=("URL", "MODE", "EXPECT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.client:
        url, mode, expect = args.client
        print(json.dumps(asyncio.run(client(url, mode, int(expect)))))
        return 0

    print(
        f"python {sys.version.split()[0]}; take=250; each figure from a fresh client process; "
        "the server runs in another process"
    )
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    for size in args.sizes:
        for result in measure(size):
            rows[(result["mode"], size)] = result
    header = "".join(f"{size:>12,}" for size in args.sizes)
    first, last = args.sizes[0], args.sizes[-1]
    for measure_name, key in (
        ("peak traced memory above baseline, MB", "traced_peak_mb"),
        ("peak RSS growth, MB", "rss_growth_mb"),
        ("wall time with tracemalloc on, s", "seconds"),
    ):
        print(f"\n{measure_name}")
        print(f"{'mode':<10}{header}{f'{last // 1000}k/{first // 1000}k':>12}")
        for mode in MODES:
            values = [rows[(mode, size)][key] for size in args.sizes]
            ratio = values[-1] / values[0] if values[0] else float("nan")
            cells = "".join(f"{value:>12.1f}" for value in values)
            print(f"{mode:<10}{cells}{ratio:>12.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
