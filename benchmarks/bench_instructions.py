"""CPU instructions per request: raw aiohttp against the SDK, counted by callgrind.

Wall-clock throughput on a shared machine drifts by up to 2x over minutes; instruction counts do
not. This runs the client loop of ``bench_decline.py`` (concurrency 100 against a loopback server
in another process) under ``valgrind --tool=callgrind`` twice per stack, with two request counts,
and reports the difference divided by the difference in requests: the instructions one more
request costs, startup excluded. The server process is not instrumented.

Run: ``python benchmarks/bench_instructions.py`` (needs valgrind: ``apt-get install valgrind``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import re
import shutil
import subprocess
import sys
from pathlib import Path

import aiohttp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_decline  # noqa: E402

from calbookings_async import CalBookings, RetryPolicy  # noqa: E402


async def client_loop(stack: str, requests: int, base_url: str) -> None:
    """The measured loop: ``requests`` declines at concurrency 100 with one stack."""
    url = f"{base_url}/v2/bookings/booking_uid_123/decline"
    connector = aiohttp.TCPConnector(limit=100)
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        CalBookings(
            api_key=bench_decline.API_KEY,
            base_url=base_url,
            max_concurrency=100,
            retry=RetryPolicy.disabled(),
        ) as cal,
    ):

        async def raw_one() -> None:
            async with session.post(
                url, json=bench_decline.PAYLOAD, headers=bench_decline.RAW_HEADERS
            ) as response:
                json.loads(await response.read())

        async def sdk_one() -> None:
            await cal.bookings.decline("booking_uid_123", reason=bench_decline.PAYLOAD["reason"])

        job = raw_one if stack == "raw" else sdk_one
        await bench_decline.worker_pool(job, 300, 100)  # warm up both pools
        await bench_decline.worker_pool(job, requests, 100)


def count(stack: str, requests: int, base_url: str) -> int:
    """Instructions callgrind counts for one run of the client loop."""
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--client",
        stack,
        str(requests),
        base_url,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stderr
    match = re.search(r"Collected : (\d+)", output)
    if match is None:
        raise RuntimeError(f"no callgrind total in:\n{output[-2000:]}")
    return int(match.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=500, help="requests in the short run")
    parser.add_argument("--large", type=int, default=2500, help="requests in the long run")
    parser.add_argument("--client", nargs=3, metavar=("STACK", "REQUESTS", "URL"), help="internal")
    args = parser.parse_args(argv)
    if args.client:
        stack, requests, base_url = args.client
        asyncio.run(client_loop(stack, int(requests), base_url))
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)")
        return 1
    ctx = multiprocessing.get_context("spawn")
    ports: multiprocessing.Queue[int] = ctx.Queue()
    server = ctx.Process(target=bench_decline.serve, args=(ports,), daemon=True)
    server.start()
    try:
        base_url = f"http://127.0.0.1:{ports.get(timeout=30)}"
        per_request = {}
        for stack in ("raw", "sdk"):
            small = count(stack, args.small, base_url)
            large = count(stack, args.large, base_url)
            per_request[stack] = (large - small) / (args.large - args.small)
            print(f"{stack}: {per_request[stack]:,.0f} instructions per request")
        extra = per_request["sdk"] - per_request["raw"]
        print(
            f"the SDK adds {extra:,.0f} instructions per request"
            f" ({extra / per_request['raw']:+.1%});"
            f" raw/sdk = {per_request['raw'] / per_request['sdk']:.3f}"
        )
    finally:
        server.kill()
        server.join()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
