"""The cost of the write journal per create: ``idempotency_key=`` against no journal.

Every write is ``await cal.bookings.create(booking, ...)`` with a new key (except the replay
rows). Stacks, each a client of its own, measured side by side in one run:

* **no journal**: ``create(booking)``, the baseline;
* **MemoryJournal**, **SQLiteJournal** (a file in a temporary directory) and **RedisJournal**
  (a ``redis-server`` the benchmark starts on a free loopback port, nothing on disk, stopped by
  its pid): ``create(booking, idempotency_key=<new key>)``: claim, record ``sent``, send,
  record ``done``;
* **replay**: ``create`` again with a key already recorded ``done``: the recorded answer is
  returned and nothing is sent (one per journal).

Two settings: **mock** (``MockTransport`` answering every create at once with a 1 KB booking:
the SDK's and the journal's own cost) and **emulator** (``CalEmulator`` in this process,
``rate_limit=None``, over loopback HTTP: end to end). Writes run one at a time (concurrency 1)
and 16 at a time. Rounds interleave the stacks (rotating their order) so that the machine's
drift weighs on each alike; "added" is the stack's figure minus the baseline's in the same
round, the median over rounds. CPU is the process's CPU time (every thread: the SQLite worker
thread, and in the emulator setting the emulator too) per write; redis-server's own CPU is not
counted.

Run: ``python benchmarks/bench_journal.py`` (``--help`` for options; ``--quick`` for a short
run).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from _redis_server import RedisServer  # benchmarks/_redis_server.py, beside this script

from calbookings_async import (
    CalBookings,
    CreateBookingAttendee,
    CreateBookingInput,
    MemoryJournal,
    RetryPolicy,
    SQLiteJournal,
)
from calbookings_async.testing import CalEmulator, MockTransport, json_response

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "tests" / "data" / "seeds" / "000_01b4b8b7616c19be.txt"
API_KEY = "cal_live_benchmark_key"
EMAIL = "ann@example.org"
JOURNALS = ("memory", "sqlite", "redis")
LABELS = {
    "none": "no journal",
    "memory": "MemoryJournal",
    "sqlite": "SQLiteJournal",
    "redis": "RedisJournal",
    "replay-memory": "replay, MemoryJournal",
    "replay-sqlite": "replay, SQLiteJournal",
    "replay-redis": "replay, RedisJournal",
}


# --- Redis ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def redis_server(wanted: bool) -> Iterator[RedisServer | None]:
    """A running redis-server, or ``None`` (with a message) when it is not installed."""
    if not wanted:
        yield None
        return
    if shutil.which("redis-server") is None:
        print("redis-server is not installed (apt-get install redis-server): no Redis rows")
        yield None
        return
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- the writes ----------------------------------------------------------------------------------


def mock_envelope(start: datetime) -> dict[str, Any]:
    """The decline seed's booking (a real 1 KB answer), as a create's answer for ``start``."""
    text = SEED.read_text()
    document, _ = json.JSONDecoder().raw_decode(text[text.index('{\n  "status"') :])
    data = document["data"]
    data["start"] = start.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    data["end"] = (start + timedelta(minutes=60)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    data["attendees"][0]["email"] = EMAIL
    data["metadata"] = {}
    return {"status": "success", "data": data}


class Writes:
    """The bookings to create: one start for the mock; a new free slot each for the emulator."""

    def __init__(self, event_type_id: int, first: datetime, *, spread: bool) -> None:
        self._event_type_id = event_type_id
        self._first = first
        self._spread = spread
        self._next = 0
        self._attendee = CreateBookingAttendee(
            name="Ann Example", email=EMAIL, time_zone="Europe/Paris"
        )
        self._same = self._booking(first)

    def _booking(self, start: datetime) -> CreateBookingInput:
        return CreateBookingInput(
            start=start, event_type_id=self._event_type_id, attendee=self._attendee
        )

    def new(self) -> tuple[str, CreateBookingInput]:
        """A unique key and its booking."""
        self._next += 1
        if not self._spread:
            return f"bench-{self._next}", self._same
        start = self._first + timedelta(minutes=30 * self._next)
        return f"bench-{self._next}", self._booking(start)


class Stacks:
    """One client per journal (and one without), the write each stack makes, and the keys
    recorded ``done`` that the replay stacks take."""

    def __init__(self, writes: Writes, clients: dict[str, CalBookings]) -> None:
        self.writes = writes
        self.clients = clients
        self.transports: list[MockTransport] = []
        self.done: dict[str, deque[tuple[str, CreateBookingInput]]] = {
            name: deque() for name in clients if name != "none"
        }

    def names(self) -> list[str]:
        replays = [f"replay-{name}" for name in JOURNALS if name in self.clients]
        return [name for name in ("none", *JOURNALS) if name in self.clients] + replays

    def job(self, name: str) -> Callable[[], Awaitable[None]]:
        """One write of the stack ``name``."""
        if name == "none":
            plain = self.clients["none"]

            async def unkeyed() -> None:
                await plain.bookings.create(self.writes.new()[1])

            return unkeyed
        if name.startswith("replay-"):
            journal = name.removeprefix("replay-")
            again, recorded = self.clients[journal], self.done[journal]

            async def replay() -> None:
                key, booking = recorded.popleft()
                answer = await again.bookings.create(booking, idempotency_key=key)
                if not answer.replayed:
                    raise RuntimeError(f"{key}: a replay sent the write")

            return replay
        cal, pool = self.clients[name], self.done[name]

        async def keyed() -> None:
            key, booking = self.writes.new()
            await cal.bookings.create(booking, idempotency_key=key)
            pool.append((key, booking))

        return keyed


async def timed_chunk(
    job: Callable[[], Awaitable[None]], total: int, concurrency: int
) -> tuple[list[float], float, float]:
    """Run ``job`` ``total`` times, ``concurrency`` at once: each write's latency (s), and the
    chunk's CPU time and wall time."""
    latencies: list[float] = []
    remaining = total

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            await job()
            latencies.append(time.perf_counter() - started)

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(concurrency, total))))
    return latencies, time.process_time() - cpu, time.perf_counter() - wall


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(stacks: Stacks, rounds: int, chunk: int, concurrency: int) -> dict[str, Any]:
    """Interleaved rounds: every stack runs one chunk per round, in a rotating order (reversed
    every other round); the first chunk of each stack warms up and is not counted."""
    names = stacks.names()
    jobs = {name: stacks.job(name) for name in names}
    for name in names:  # warm up
        await timed_chunk(jobs[name], chunk, concurrency)
    for name in stacks.done:  # one chunk of keys ahead for the replay stacks
        await timed_chunk(jobs[name], chunk, concurrency)
    results: dict[str, Any] = {
        name: {"latencies": [], "cpu": 0.0, "wall": 0.0, "p50s": [], "p99s": [], "cpus": []}
        for name in names
    }
    for index in range(rounds):
        gc.collect()
        shift = index % len(names)
        order = names[shift:] + names[:shift]
        if index % 2:
            order.reverse()
        for name in order:
            for transport in stacks.transports:
                transport.requests.clear()
            latencies, cpu, wall = await timed_chunk(jobs[name], chunk, concurrency)
            result = results[name]
            result["latencies"].extend(latencies)
            result["cpu"] += cpu
            result["wall"] += wall
            result["p50s"].append(quantile(latencies, 0.50))
            result["p99s"].append(quantile(latencies, 0.99))
            result["cpus"].append(cpu / chunk)
    return results


# --- the two settings ----------------------------------------------------------------------------


def journals(
    wanted: list[str], folder: Path, setting: str, redis_url: str | None
) -> dict[str, Any]:
    """A fresh journal of each kind wanted (Redis only when a server runs)."""
    made: dict[str, Any] = {}
    for name in wanted:
        if name == "memory":
            made[name] = MemoryJournal()
        elif name == "sqlite":
            made[name] = SQLiteJournal(folder / f"journal-{setting}.sqlite3")
        elif name == "redis" and redis_url is not None:
            from calbookings_async.redis import RedisJournal

            made[name] = RedisJournal.from_url(redis_url, prefix=f"bench-{setting}")
    return made


async def run_setting(
    setting: str, args: argparse.Namespace, folder: Path, redis_url: str | None
) -> dict[int, dict[str, Any]]:
    """Every concurrency of one setting: results by concurrency, then by stack."""
    made = journals(args.stacks, folder, setting, redis_url)
    by_concurrency: dict[int, dict[str, Any]] = {}
    async with contextlib.AsyncExitStack() as stack:
        for journal in made.values():
            stack.push_async_callback(journal.aclose)
        if setting == "mock":
            first = datetime(2030, 1, 7, 9, tzinfo=timezone.utc)
            answer = json_response(201, mock_envelope(first))
            writes = Writes(50, first, spread=False)
            transports: list[MockTransport] = []

            def make(journal: Any) -> CalBookings:
                transport = MockTransport(lambda request: answer)
                transports.append(transport)
                return CalBookings(
                    api_key=API_KEY,
                    transport=transport,
                    pacing=False,
                    retry=RetryPolicy.disabled(),
                    journal=journal,
                )
        else:
            emulator = await stack.enter_async_context(CalEmulator(seed=7, rate_limit=None))
            event_type = emulator.add_event_type(slug="bench")
            first = (datetime.now(timezone.utc) + timedelta(days=2)).replace(
                minute=0, second=0, microsecond=0
            )
            writes = Writes(event_type, first, spread=True)
            transports = []

            def make(journal: Any) -> CalBookings:
                return CalBookings(
                    api_key=emulator.api_key,
                    base_url=emulator.base_url,
                    pacing=False,
                    retry=RetryPolicy.disabled(),
                    journal=journal,
                )

        clients = {"none": make(None)} | {name: make(journal) for name, journal in made.items()}
        for cal in clients.values():
            await stack.enter_async_context(cal)
        stacks = Stacks(writes, clients)
        stacks.transports = transports
        for concurrency in args.concurrency:
            by_concurrency[concurrency] = await measure(
                stacks, args.rounds, args.chunk, concurrency
            )
            print(f"  {setting}, concurrency {concurrency}: done", file=sys.stderr, flush=True)
    return by_concurrency


# --- the report ----------------------------------------------------------------------------------

HEADER = (
    "| setting | concurrency | stack | p50 ms | p99 ms | added p50 ms | added p99 ms"
    " | CPU µs/write | added CPU µs/write | writes/s |"
)


def rows(setting: str, concurrency: int, results: dict[str, Any]) -> list[str]:
    """Table rows: pooled quantiles; "added" is the median over rounds of the difference with
    the baseline's figure in the same round (p50, p99, CPU)."""
    base = results["none"]
    lines = []
    for name, result in results.items():
        writes = len(result["latencies"])
        p50 = quantile(result["latencies"], 0.50) * 1e3
        p99 = quantile(result["latencies"], 0.99) * 1e3
        cpu = result["cpu"] / writes * 1e6
        added = ["-", "-", "-"]
        if name != "none":
            p50s, p99s, cpus = (
                statistics.median(a - b for a, b in zip(result[k], base[k], strict=True))
                for k in ("p50s", "p99s", "cpus")
            )
            added = [f"{p50s * 1e3:+.3f}", f"{p99s * 1e3:+.3f}", f"{cpus * 1e6:+.0f}"]
        lines.append(
            f"| {setting} | {concurrency} | {LABELS[name]} | {p50:.3f} | {p99:.3f}"
            f" | {added[0]} | {added[1]} | {cpu:.0f} | {added[2]} | {writes / result['wall']:.0f} |"
        )
    return lines


def verdict(results: dict[str, dict[int, dict[str, Any]]]) -> list[str]:
    """The SQLite target: at most 1 ms added at p50 per write (every setting, concurrency 1)."""
    lines = []
    for setting, by_concurrency in results.items():
        for concurrency, stacks in by_concurrency.items():
            if "sqlite" not in stacks:
                continue
            added = statistics.median(
                a - b for a, b in zip(stacks["sqlite"]["p50s"], stacks["none"]["p50s"], strict=True)
            )
            met = "met" if added <= 1e-3 else "NOT met"
            lines.append(
                f"SQLite target (<= 1 ms p50 added), {setting}, concurrency {concurrency}:"
                f" {added * 1e3:+.3f} ms: {met}"
            )
    return lines


def machine() -> str:
    import aiohttp

    return (
        f"python {platform.python_version()}, sqlite {sqlite3.sqlite_version},"
        f" aiohttp {aiohttp.__version__}, {platform.machine()}, {platform.system()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=12, help="rounds per concurrency (12)")
    parser.add_argument("--chunk", type=int, default=200, help="writes per stack per round (200)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--settings", nargs="+", default=["mock", "emulator"])
    parser.add_argument("--stacks", nargs="+", default=list(JOURNALS), help="journals to measure")
    parser.add_argument("--dir", help="where the SQLite journal lives (a temporary directory)")
    parser.add_argument("--quick", action="store_true", help="3 rounds of 50 writes")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.chunk = 3, 50
    print(machine())
    print(
        f"{args.rounds} rounds x {args.chunk} writes per stack per concurrency"
        " (after one warm-up chunk each)"
    )
    results: dict[str, dict[int, dict[str, Any]]] = {}
    with (
        redis_server("redis" in args.stacks) as redis,
        tempfile.TemporaryDirectory(dir=args.dir) as folder,
    ):
        url = None if redis is None else redis.url
        for setting in args.settings:
            results[setting] = asyncio.run(run_setting(setting, args, Path(folder), url))
    print(HEADER)
    print("|" + "---|" * 10)
    for setting, by_concurrency in results.items():
        for concurrency, stacks in by_concurrency.items():
            print("\n".join(rows(setting, concurrency, stacks)))
    print("\n".join(verdict(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
