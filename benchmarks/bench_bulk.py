"""CPU instructions the bulk runner adds per item, counted by callgrind.

Runs a trivial async operation (one ``asyncio.sleep(0)``) over N items at concurrency 20 two
ways, each under ``valgrind --tool=callgrind`` with two item counts, and divides the difference
in instructions by the difference in items (startup excluded):

* **pool**: a hand-written pool of 20 coroutines sharing a counter (``bench_decline.worker_pool``):
  what the work costs with no bookkeeping at all;
* **bulk**: ``BulkRun(range(n), op, concurrency=20).collect()``: the runner with its outcomes,
  completion order, attempt counting and report.

``bulk - pool`` is what the runner itself costs per item. Instruction counts do not drift with
the machine's load, so runs of different versions of the package compare directly (point
``PYTHONPATH`` at the other version's source).

Run: ``python benchmarks/bench_bulk.py`` (needs valgrind: ``apt-get install valgrind``).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_decline  # noqa: E402

from calbookings_async import BulkRun  # noqa: E402

CONCURRENCY = 20


async def op(item: int) -> int:
    await asyncio.sleep(0)
    return item


async def client_loop(stack: str, items: int) -> None:
    """The measured loop: ``items`` calls of ``op`` with one stack."""
    if stack == "pool":
        await bench_decline.worker_pool(lambda: op(0), items, CONCURRENCY)
        return
    report = await BulkRun(range(items), op, concurrency=CONCURRENCY).collect()
    assert report.done == items


def count(stack: str, items: int) -> int:
    """Instructions callgrind counts for one run of the loop."""
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--client",
        stack,
        str(items),
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stderr
    match = re.search(r"Collected : (\d+)", output)
    if match is None:
        raise RuntimeError(f"no callgrind total in:\n{output[-2000:]}")
    return int(match.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=2_000, help="items in the short run")
    parser.add_argument("--large", type=int, default=12_000, help="items in the long run")
    parser.add_argument("--client", nargs=2, metavar=("STACK", "ITEMS"), help="internal")
    args = parser.parse_args(argv)
    if args.client:
        stack, items = args.client
        asyncio.run(client_loop(stack, int(items)))
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)")
        return 1
    per_item = {}
    for stack in ("pool", "bulk"):
        small = count(stack, args.small)
        large = count(stack, args.large)
        per_item[stack] = (large - small) / (args.large - args.small)
        print(f"{stack}: {per_item[stack]:,.0f} instructions per item")
    extra = per_item["bulk"] - per_item["pool"]
    ratio = per_item["pool"] / per_item["bulk"]
    print(f"the runner adds {extra:,.0f} instructions per item; pool/bulk = {ratio:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
