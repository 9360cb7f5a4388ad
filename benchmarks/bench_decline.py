"""Throughput of ``cal.bookings.decline`` against raw aiohttp, in paired rounds.

A loopback aiohttp server in a separate process answers every request with the decline seed's
booking (compact JSON, ~1.1 KB) and Cal.com's rate-limit headers, with a budget no run can use
up: the SDK's pacer does its bookkeeping on every request but never holds one. Raw aiohttp
(``session.post(json=...)`` then ``json.loads`` of the body) and the SDK
(``await cal.bookings.decline(...)``, which also percent-encodes the uid, serialises the body
through the converter, paces, parses the rate-limit headers and decodes a typed ``Booking``)
run in interleaved chunks in one event loop, and the ratio is taken within each round because
this machine's speed drifts over minutes (docs/PERF-NOTES.md). Also reports the microseconds
to decode one booking.

Run: ``python benchmarks/bench_decline.py`` (``--help`` for options).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import multiprocessing
import os
import statistics
import sys
import time
import timeit
from pathlib import Path

import aiohttp
import orjson
from aiohttp import web

from calbookings_async import CalBookings, RetryPolicy
from calbookings_async._decode import about_booking

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "tests" / "data" / "seeds" / "000_01b4b8b7616c19be.txt"
API_KEY = "cal_live_benchmark_key"


def seed_response() -> bytes:
    """The decline seed's response body, as compact JSON."""
    text = SEED.read_text()
    start = text.index('{\n  "status"')
    decoder = json.JSONDecoder()
    document, _ = decoder.raw_decode(text[start:])
    return json.dumps(document, separators=(",", ":")).encode()


def pin(cpu: int) -> None:
    """Run this process on one CPU, when the machine has more than one (Linux only)."""
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {cpu % (os.cpu_count() or 1)})


def serve(port_queue: multiprocessing.Queue[int]) -> None:
    """The server process: answer every request with the seed body."""
    pin(1)
    body = seed_response()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        # Cal.com's headers, with a budget no run can use up: the SDK's pacer does all its
        # bookkeeping on every response (its cost is measured) but never holds a request.
        "X-RateLimit-Limit-Default": "1000000000",
        "X-RateLimit-Remaining-Default": "999999999",
        "X-RateLimit-Reset-Default": "60",
        "X-Request-Id": "benchmark",
    }

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=body, headers=headers)

    async def main() -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port_queue.put(runner.addresses[0][1])
        await asyncio.Event().wait()

    asyncio.run(main())


RAW_HEADERS = {
    "Authorization": f"Bearer {API_KEY}",
    "cal-api-version": "2024-08-13",
    "Accept": "application/json",
}
PAYLOAD = {"reason": "Host has to take another call"}


STACKS = ("raw", "sdk", "sdk-unpaced")


async def paired_round(
    base_url: str, chunks: int, chunk_size: int, concurrency: int
) -> dict[str, float]:
    """Requests per second of raw aiohttp and of the SDK, measured in interleaved chunks.

    The stacks are open at once in one event loop: raw aiohttp, the SDK as it ships (pacing
    on), and the SDK with ``pacing=False``. Chunks rotate through every order of the three so
    that a drift in machine speed during the round weighs on each equally.
    """
    url = f"{base_url}/v2/bookings/booking_uid_123/decline"
    connector = aiohttp.TCPConnector(limit=concurrency)
    options = {"api_key": API_KEY, "base_url": base_url, "max_concurrency": concurrency}
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        CalBookings(**options, retry=RetryPolicy.disabled()) as cal,  # type: ignore[arg-type]
        CalBookings(**options, retry=RetryPolicy.disabled(), pacing=False) as unpaced,  # type: ignore[arg-type]
    ):

        async def raw_one() -> None:
            async with session.post(url, json=PAYLOAD, headers=RAW_HEADERS) as response:
                json.loads(await response.read())

        async def sdk_one() -> None:
            await cal.bookings.decline("booking_uid_123", reason=PAYLOAD["reason"])

        async def unpaced_one() -> None:
            await unpaced.bookings.decline("booking_uid_123", reason=PAYLOAD["reason"])

        jobs = {"raw": raw_one, "sdk": sdk_one, "sdk-unpaced": unpaced_one}
        for job in jobs.values():
            await worker_pool(job, concurrency * 4, concurrency)
        elapsed = dict.fromkeys(STACKS, 0.0)
        orders = list(itertools.permutations(STACKS))
        for index in range(chunks):
            for name in orders[index % len(orders)]:
                started = time.perf_counter()
                await worker_pool(jobs[name], chunk_size, concurrency)
                elapsed[name] += time.perf_counter() - started
        done = chunks * chunk_size
        return {name: done / seconds for name, seconds in elapsed.items()}


async def worker_pool(job, total: int, concurrency: int) -> None:  # type: ignore[no-untyped-def]
    """Run ``job`` ``total`` times with ``concurrency`` concurrent workers."""
    remaining = total

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await job()

    await asyncio.gather(*(worker() for _ in range(min(concurrency, total))))


def decode_micros() -> tuple[float, float]:
    """Microseconds to decode one booking (orjson + typed model), and json.loads alone.

    The decoder is the one ``cal.bookings.decline`` uses: it checks that the answer is about the
    booking asked for, then decodes it.
    """
    body = seed_response()
    number = 20000

    def decode_one() -> object:
        return about_booking("booking_uid_123")(orjson.loads(body))

    sdk = timeit.timeit(decode_one, number=number)
    stdlib = timeit.timeit(lambda: json.loads(body), number=number)
    return sdk / number * 1e6, stdlib / number * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--chunks", type=int, default=18, help="chunks per stack per round")
    parser.add_argument("--chunk", type=int, default=500, help="requests per chunk")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 100])
    args = parser.parse_args(argv)

    ctx = multiprocessing.get_context("spawn")
    ports: multiprocessing.Queue[int] = ctx.Queue()
    server = ctx.Process(target=serve, args=(ports,), daemon=True)
    server.start()
    pin(0)  # the client on one core, the server on the other: they never take turns on one
    try:
        base_url = f"http://127.0.0.1:{ports.get(timeout=30)}"
        print(f"python {sys.version.split()[0]}, aiohttp {aiohttp.__version__}")
        sdk_us, json_us = decode_micros()
        print(
            f"decode one booking: SDK {sdk_us:.1f} us (orjson + typed model),"
            f" json.loads {json_us:.1f} us"
        )
        header = f"{'concurrency':>11} {'raw req/s':>10} {'sdk req/s':>10} {'ratio':>6}"
        print(f"{header}  (median of {args.rounds} rounds of interleaved chunks)")
        for concurrency in args.concurrency:
            chunk = args.chunk if concurrency > 1 else max(100, args.chunk // 4)
            rates: dict[str, list[float]] = {name: [] for name in STACKS}
            ratios: dict[str, list[float]] = {"sdk": [], "sdk-unpaced": []}
            for _ in range(args.rounds):
                gc.collect()
                round_rates = asyncio.run(paired_round(base_url, args.chunks, chunk, concurrency))
                for name, rate in round_rates.items():
                    rates[name].append(rate)
                for name in ratios:
                    ratios[name].append(round_rates[name] / round_rates["raw"])
            for name, label in (("sdk", "paced (default)"), ("sdk-unpaced", "pacing=False")):
                rounds = ", ".join(f"{ratio:.3f}" for ratio in ratios[name])
                print(
                    f"{concurrency:>11} {statistics.median(rates['raw']):>10.0f}"
                    f" {statistics.median(rates[name]):>10.0f}"
                    f" {statistics.median(ratios[name]):>6.3f}  SDK {label}; rounds: {rounds}"
                )
    finally:
        server.kill()
        server.join()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
