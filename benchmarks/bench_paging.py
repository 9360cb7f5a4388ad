"""Walking 10,000 bookings: sequential pages against concurrent pages, in the same run.

The emulator (``calbookings_async.testing.CalEmulator``, throttling off) serves 10,000 seeded
bookings from a second process, so the server's JSON encoding and the client's decoding run on
different cores. The client walks every booking with
``async for booking in cal.bookings.list(take=T, concurrency=C)`` for T in (250, 100) and C in
(1, 4, 8); each round runs every configuration once, in a rotating order, and the figures are
medians over the rounds, with the ratio concurrent/sequential taken within each round (this
machine's speed drifts over minutes, docs/PERF-NOTES.md).

Two servers are measured: one that answers at once (loopback, no latency: the client's decoding
is all the work) and one that takes ``--latency`` seconds per page before answering (the
emulator's ``DELAY`` fault on ``GET /v2/bookings``), which stands for the time api.cal.com takes
to run the query plus the network's round trip.

With throttling off the emulator sends no rate-limit headers, and the pacer does not pace routes
whose responses carry none; the client is built with ``pacing=False`` anyway, to be explicit.

Run: ``python benchmarks/bench_paging.py`` (``--help`` for options; about a minute and a half).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import inspect
import multiprocessing
import statistics
import sys
import time
from typing import Any

import aiohttp

from calbookings_async import CalBookings, RetryPolicy

TAKES = (250, 100)
CONCURRENCIES = (1, 4, 8)


def serve(bookings: int, latency: float, port_queue: multiprocessing.Queue[int]) -> None:
    """The server process: a seeded emulator without throttling, ``latency`` s per page."""
    from calbookings_async.testing import CalEmulator, FaultKind

    async def main() -> None:
        emulator = CalEmulator(rate_limit=None, seed=1)
        emulator.seed(bookings=bookings)
        if latency > 0:
            emulator.faults.inject(
                FaultKind.DELAY, route="GET /v2/bookings", times=None, delay=latency
            )
        async with emulator:
            port_queue.put(emulator.port)
            await asyncio.Event().wait()

    asyncio.run(main())


def client_options() -> dict[str, Any]:
    options: dict[str, Any] = {"retry": RetryPolicy.disabled(), "max_concurrency": 16}
    if "pacing" in inspect.signature(CalBookings).parameters:
        options["pacing"] = False
    return options


async def walk(cal: CalBookings, take: int, concurrency: int) -> tuple[float, int]:
    """Seconds to walk every booking, and how many there were."""
    started = time.perf_counter()
    count = 0
    async for _booking in cal.bookings.list(take=take, concurrency=concurrency):
        count += 1
    return time.perf_counter() - started, count


async def rounds(base_url: str, api_key: str, count: int) -> dict[tuple[int, int], list[float]]:
    times: dict[tuple[int, int], list[float]] = {}
    configs = [(take, concurrency) for take in TAKES for concurrency in CONCURRENCIES]
    async with CalBookings(api_key=api_key, base_url=base_url, **client_options()) as cal:
        await walk(cal, 250, 1)  # warm up: connections, code paths
        for index in range(count):
            shift = index % len(configs)
            for take, concurrency in configs[shift:] + configs[:shift]:
                gc.collect()
                seconds, items = await walk(cal, take, concurrency)
                times.setdefault((take, concurrency), []).append(seconds)
                times.setdefault((take, 0), []).append(items)  # items walked, for the check
    return times


def measure(bookings: int, latency: float, count: int) -> dict[tuple[int, int], list[float]]:
    """Start a server process with ``latency`` and run ``count`` rounds against it."""
    from calbookings_async.testing import DEFAULT_API_KEY

    ctx = multiprocessing.get_context("spawn")
    ports: multiprocessing.Queue[int] = ctx.Queue()
    server = ctx.Process(target=serve, args=(bookings, latency, ports), daemon=True)
    server.start()
    try:
        base_url = f"http://127.0.0.1:{ports.get(timeout=120)}"
        times = asyncio.run(rounds(base_url, DEFAULT_API_KEY, count))
    finally:
        server.kill()
        server.join()
    for take in TAKES:
        walked = set(times[(take, 0)])
        assert walked == {bookings}, f"walked {walked} bookings, expected {bookings}"
    return times


def table(title: str, bookings: int, times: dict[tuple[int, int], list[float]]) -> None:
    print(f"\n{title}")
    print(f"{'take':>4} {'concurrency':>11} {'wall s':>7} {'items/s':>8}  concurrent/sequential")
    for take in TAKES:
        sequential = times[(take, 1)]
        for concurrency in CONCURRENCIES:
            seconds = times[(take, concurrency)]
            ratios = [s / c for s, c in zip(sequential, seconds, strict=True)]
            median = statistics.median(seconds)
            spread = f"{min(ratios):.2f}-{max(ratios):.2f}"
            print(
                f"{take:>4} {concurrency:>11} {median:>7.3f} {bookings / median:>8.0f}"
                f"  {statistics.median(ratios):>5.2f}x (rounds {spread})"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--latency", type=float, default=0.05, help="seconds per page of the slow server (0.05)"
    )
    args = parser.parse_args(argv)
    print(
        f"python {sys.version.split()[0]}, aiohttp {aiohttp.__version__}; "
        f"{args.bookings:,} bookings, emulator in a second process, "
        f"median of {args.rounds} rounds"
    )
    table(
        "server answers at once (loopback):",
        args.bookings,
        measure(args.bookings, 0.0, args.rounds),
    )
    if args.latency > 0:
        table(
            f"server takes {args.latency * 1000:.0f} ms per page:",
            args.bookings,
            measure(args.bookings, args.latency, args.rounds),
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
