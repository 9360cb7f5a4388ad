"""Memory under huge answers: 24 concurrent 50 MB chunked responses, SDK against raw aiohttp.

A loopback server in its own process answers every request with a 50 MB body sent chunked
(no ``Content-Length``), as a misbehaving proxy or server might. A client process sends 24
requests at once and reports the growth of its peak RSS (``ru_maxrss``) over a baseline taken
after imports and one warm-up request. Each stack runs in a fresh process, so one's peak does
not hide the other's:

- **raw**: ``aiohttp`` with ``await response.read()`` (the whole body buffered);
- **sdk**: ``cal.bookings.get(uid)`` with the default ``max_response_bytes`` (2 MiB): each call
  raises a ``DecodeError`` that gives the size, and the connection is dropped at the cap.

Run: ``python benchmarks/bench_big_answers.py`` (about half a minute).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import resource
import sys
import time
from typing import Any

BODY_MB = 50
CONCURRENCY = 24
CHUNK = b"x" * 65536
API_KEY = "cal_test_big_answers_0123456789"


def serve(ports: Any) -> None:
    from aiohttp import web

    async def huge(request: web.Request) -> web.StreamResponse:
        if request.query.get("small"):
            return web.json_response({"status": "error", "error": {"message": "warm-up"}})
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            for _ in range(BODY_MB * 1024 * 1024 // len(CHUNK)):
                await response.write(CHUNK)
        except (ConnectionError, RuntimeError):
            pass  # the client hung up at its cap
        return response

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/v2/bookings/{uid}", huge)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        ports.put(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        await asyncio.Event().wait()

    asyncio.run(main())


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def client(stack: str, base_url: str) -> tuple[float, str]:
    import aiohttp

    from calbookings_async import CalBookings, CalError, RetryPolicy

    outcome = ""
    if stack == "raw":
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{base_url}/v2/bookings/warm?small=1") as response:
                await response.read()
            baseline = peak_mb()

            async def one(n: int) -> int:
                async with session.get(f"{base_url}/v2/bookings/uid{n}") as response:
                    return len(await response.read())

            sizes = await asyncio.gather(*(one(n) for n in range(CONCURRENCY)))
            outcome = f"{len(sizes)} bodies of {sizes[0] / 2**20:.0f} MiB read"
    else:
        async with CalBookings(
            api_key=API_KEY,
            base_url=base_url,
            retry=RetryPolicy.disabled(),
            max_concurrency=CONCURRENCY,
            pacing=False,
        ) as cal:
            with contextlib.suppress(CalError):
                await cal.bookings.get("warm")
            baseline = peak_mb()

            async def one_sdk(n: int) -> str:
                try:
                    await cal.bookings.get(f"uid{n}")
                except CalError as error:
                    return type(error).__name__
                return "ok"

            kinds = await asyncio.gather(*(one_sdk(n) for n in range(CONCURRENCY)))
            outcome = ", ".join(sorted({f"{kinds.count(k)} x {k}" for k in kinds}))
    return peak_mb() - baseline, outcome


def run_client(stack: str, base_url: str, results: Any) -> None:
    started = time.monotonic()
    growth, outcome = asyncio.run(client(stack, base_url))
    results.put((stack, growth, outcome, time.monotonic() - started))


def main() -> int:
    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    server = context.Process(target=serve, args=(ports,), daemon=True)
    server.start()
    try:
        base_url = f"http://127.0.0.1:{ports.get(timeout=30)}"
        print(f"{CONCURRENCY} concurrent answers of {BODY_MB} MB each, chunked")
        print("| stack | peak RSS growth | outcome | seconds |")
        print("|---|---|---|---|")
        for stack in ("raw", "sdk"):
            results = context.Queue()
            worker = context.Process(target=run_client, args=(stack, base_url, results))
            worker.start()
            name, growth, outcome, seconds = results.get(timeout=300)
            worker.join()
            print(f"| {name} | {growth:,.0f} MB | {outcome} | {seconds:.1f} |")
    finally:
        server.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
