"""One rate budget, many processes: the shared pacer against per-process pacing and none.

The emulator runs in its own process with a scaled-down limiter (100 requests per 2 s window,
a 2 s block once passed, like Cal.com's 120 per 60 s). N worker processes (1, 2, 4, 8) use one
API key, each with its own ``CalBookings``, and call ``cal.bookings.get`` for ``--duration``
seconds under one of two loads:

* **saturate**: 32 requests in flight per process, back to back, as fast as the pacer allows;
* **steady**: 1.2 x the budget (60 requests/s) in total, spread over the processes, each
  request started on schedule (an open loop); **light**: the same at 0.8 x the budget (the
  pacer's added hold when nothing needs holding).

Four stacks side by side in the same run: the shared pacer on Redis (``RedisPacer``, a
``redis-server`` the benchmark starts on a free loopback port) and on a SQLite file
(``FilePacer``), today's per-process ``AdaptivePacer`` (``pacing=True``), and no pacing (the
SDK's retries wait out each 429's reset). Per row: the share of the budget the server accepted
(per full server window, and over the whole run), 429s, blocks, the pacer's hold per request
(p50/p99), store round trips per request, and client CPU per request (process time of the
workers over their requests).

Scenarios beyond the matrix (``--scenario``): ``outage`` (Redis killed 6 s into the run and
restarted empty 5 s later, N = 4, saturate), ``skew`` (one of 4 workers with its clock an hour
ahead, on both stores), ``kill`` (one of 4 workers killed with 32 requests in flight).

Run: ``python benchmarks/bench_shared_budget.py`` (about 15 minutes; ``--help`` for options).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _redis_server import RedisServer  # benchmarks/_redis_server.py, beside this script

LIMIT, WINDOW, BLOCK = 100, 2.0, 2.0
STACKS = ("redis", "file", "adaptive", "none")
OUTAGE = (6.0, 11.0)  # the outage scenario: Redis killed, then restarted empty (seconds in)


# --- the emulator's process ---------------------------------------------------------------------


def serve(ports: Any, results: Any, stop: Any) -> None:
    """The emulator with an instrumented limiter; reports what it accepted when told to stop."""
    asyncio.run(_serve(ports, results, stop))


async def _serve(ports: Any, results: Any, stop: Any) -> None:
    from calbookings_async.testing import CalEmulator, RateLimit

    throttle = RateLimit(LIMIT, ttl=WINDOW, block=BLOCK)
    async with CalEmulator(seed=3, rate_limit=throttle) as emu:
        uid = emu.seed(bookings=1, oddities=False).booking_uids[0]
        log = _instrument(emu.throttler)
        ports.put((emu.base_url, emu.api_key, uid))
        loop = asyncio.get_running_loop()
        while True:
            command = await loop.run_in_executor(None, stop.get)
            if command == "quit":
                return
            results.put(dict(log))
            log.update(accepted={}, rejected=0, blocks=0, times=[], trace=[])
            # Each row starts on a fresh server window, as its fresh pacer file or key prefix
            # assumes: a window the previous row left half used (or a block it left) is not
            # this row's doing.
            emu.reset_rate_limits()


def _instrument(throttler: Any) -> dict[str, Any]:
    """Count, per server window, the requests the limiter accepted; and 429s and blocks."""
    log: dict[str, Any] = {"accepted": {}, "rejected": 0, "blocks": 0, "times": [], "trace": []}
    log["offset"] = 0.0
    original = throttler._hit_one

    def hit_one(tracker: str, limit: Any, now: float) -> tuple[bool, int, int]:
        window = throttler._windows.get((tracker, limit.name))
        was_blocked = window is not None and window.block_end is not None
        blocked, remaining, reset = original(tracker, limit, now)
        log["offset"] = time.time() - now  # the wall clock minus the limiter's
        window = throttler._windows[(tracker, limit.name)]
        if log.get("trace") is not None:
            wall = time.time()
            log["trace"].append((wall, blocked, window.window_end - now + wall, remaining))
        if blocked:
            log["rejected"] += 1
            if not was_blocked and window.block_end is not None:
                log["blocks"] += 1
        else:
            key = round(window.window_end, 6)
            log["accepted"][key] = log["accepted"].get(key, 0) + 1
            log["times"].append(time.time())
        return blocked, remaining, reset

    throttler._hit_one = hit_one
    return log


# --- a worker process ---------------------------------------------------------------------------


class OffsetClock:
    """The system clock, an hour off (what a worker with a wrong clock sees)."""

    def __init__(self, offset: float) -> None:
        self.offset = offset

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0))


def work(job: dict[str, Any], results: Any, ready: Any, go: Any) -> None:
    """One worker process: its own client, the given stack and load, for the run's duration
    (all workers start together, once every one has imported the SDK)."""
    results.put(asyncio.run(_work(job, ready, go)))


def _pacing(job: dict[str, Any]) -> Any:
    from calbookings_async import FilePacer
    from calbookings_async.redis import RedisPacer

    clock = OffsetClock(job["clock_offset"]) if job["clock_offset"] else None
    if job["stack"] == "redis":
        return RedisPacer.from_url(job["redis_url"], limit=LIMIT, window=WINDOW, clock=clock)
    if job["stack"] == "file":
        return FilePacer(job["file"], limit=LIMIT, window=WINDOW, clock=clock)
    return job["stack"] == "adaptive"


async def _work(job: dict[str, Any], ready: Any, go: Any) -> dict[str, Any]:
    from calbookings_async import AdaptivePacer, CalBookings, RetryPolicy

    steps = _record_steps() if job.get("trace") else []
    pacing = _pacing(job)
    if pacing is True:
        pacing = AdaptivePacer(limit=LIMIT, window=WINDOW)
    holds: list[float] = []
    sends: list[tuple[float, str]] = []
    events = _record_events()
    _time_acquires(pacing, holds, sends)
    retry = RetryPolicy(attempts=50, deadline=None, rate_limit_wait_max=10.0)
    async with CalBookings(
        api_key=job["api_key"], base_url=job["base_url"], pacing=pacing, retry=retry, timeout=2.0
    ) as cal:
        ready.put(os.getpid())
        await asyncio.to_thread(go.wait)
        job["start_at"] = go_time = time.time()
        if job["die_at"] is not None:
            job["die_at"] = go_time + job["die_at"]
        cpu = time.process_time()
        done = await _load(cal, job)
        cpu = time.process_time() - cpu
    trips = getattr(pacing, "round_trips", 0)
    if hasattr(pacing, "aclose"):
        await pacing.aclose()
    return {
        "requests": done,
        "cpu": cpu,
        "holds": holds,
        "round_trips": trips,
        "sends": sends,
        "events": events,
        "steps": steps,
    }


def _record_steps() -> list[Any]:
    """Every step that landed in the store, as this worker saw it (``--trace``)."""
    import json

    from calbookings_async import _shared_pacer

    steps: list[Any] = []
    run = _shared_pacer._run_step

    def recorded(record: bytes | None, now: float, given: Any) -> Any:
        new, output = run(record, now, given)
        window = json.loads(new)["w"].get("default", {})
        steps.append(
            (time.time(), sum(g.count for g in output.grants), dict(window), dict(given.in_flight))
        )
        return new, output

    _shared_pacer._run_step = recorded  # type: ignore[attr-defined]
    return steps


def _record_events() -> list[tuple[float, str]]:
    """The pacer's log messages (fallback and return), timed, for ``--trace``."""
    import logging

    events: list[tuple[float, str]] = []

    class Recorder(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            events.append((time.time(), record.getMessage()))

    logger = logging.getLogger("calbookings_async")
    logger.addHandler(Recorder(logging.INFO))
    logger.setLevel(logging.INFO)
    return events


def _time_acquires(pacing: Any, holds: list[float], sends: list[tuple[float, str]]) -> None:
    """Record how long each request waited in the pacer (try_acquire's None, then acquire),
    and when each was let through, by whom (the store, or the local fallback)."""
    if pacing is False:
        return
    acquire = pacing.acquire

    async def timed(operation: Any) -> Any:
        started = time.monotonic()
        try:
            ticket = await acquire(operation)
        finally:
            holds.append(time.monotonic() - started)
        sends.append((time.time(), "local" if getattr(ticket, "local", None) else "store"))
        return ticket

    pacing.acquire = timed
    try_acquire = pacing.try_acquire

    def counted(operation: Any) -> Any:
        ticket = try_acquire(operation)
        if ticket is not None:
            holds.append(0.0)
            sends.append((time.time(), "local" if getattr(ticket, "local", None) else "store"))
        return ticket

    pacing.try_acquire = counted


async def _load(cal: Any, job: dict[str, Any]) -> int:
    end = job["start_at"] + job["duration"]
    done = [0]
    die_at = job["die_at"]

    async def one() -> None:
        with contextlib.suppress(Exception):
            await cal.bookings.get(job["uid"])
            done[0] += 1

    if die_at is not None:
        asyncio.get_running_loop().call_at(
            asyncio.get_running_loop().time() + die_at - time.time(), os._exit, 9
        )
    if job["load"] == "saturate":

        async def loop() -> None:
            while time.time() < end:
                await one()

        await asyncio.gather(*(loop() for _ in range(32)))
    else:
        factor = 1.2 if job["load"] == "steady" else 0.8
        interval = job["workers"] / (factor * LIMIT / WINDOW)
        tasks = []
        next_at = job["start_at"]
        while next_at < end:
            await asyncio.sleep(max(next_at - time.time(), 0.0))
            tasks.append(asyncio.ensure_future(one()))
            next_at += interval
        await asyncio.gather(*tasks)
    return done[0]


# --- one run -----------------------------------------------------------------------------------


def run_once(
    env: dict[str, Any], stack: str, load: str, workers: int, **extra: Any
) -> dict[str, Any]:
    """N workers with one stack and load; the server's and the workers' figures, merged."""
    ctx = multiprocessing.get_context("spawn")
    results, ready, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    jobs = []
    for index in range(workers):
        job = {
            "stack": stack,
            "load": load,
            "workers": workers,
            "duration": env["duration"],
            "start_at": 0.0,
            "clock_offset": 3600.0 if extra.get("skew") and index == 0 else 0.0,
            "die_at": 5.0 if extra.get("kill") and index == 0 else None,
            "trace": bool(env.get("trace")),
            **env["target"],
        }
        jobs.append(ctx.Process(target=work, args=(job, results, ready, go)))
    for process in jobs:
        process.start()
    for _ in jobs:
        ready.get(timeout=300)
    start_at = time.time()
    go.set()
    if extra.get("outage"):
        _outage(env["redis"], start_at)
    outcomes = [
        results.get(timeout=env["duration"] + 300) for _ in range(workers - ("kill" in extra))
    ]
    for process in jobs:
        process.join(30)
    env["stop"].put("report")
    server = env["server_results"].get(timeout=30)
    if env.get("trace"):
        _write_trace(env["trace"], stack, load, workers, server, outcomes, start_at)
    return _figures(server, outcomes, start_at, env["duration"])


def _write_trace(
    folder: str,
    stack: str,
    load: str,
    workers: int,
    server: dict[str, Any],
    outcomes: list[dict[str, Any]],
    start_at: float,
) -> None:
    """Every request the server saw and every request each worker let through, for study."""
    import json

    path = Path(folder) / f"{stack}-{load}-{workers}-{time.strftime('%H%M%S')}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "start_at": start_at,
        "server": server["trace"],
        "workers": [
            {"sends": o["sends"], "events": o["events"], "steps": o["steps"]} for o in outcomes
        ],
    }
    path.write_text(json.dumps(record))


def _outage(redis: Any, start_at: float) -> None:
    time.sleep(max(start_at + OUTAGE[0] - time.time(), 0.0))
    redis.stop()
    time.sleep(OUTAGE[1] - OUTAGE[0])
    redis.start()


def _figures(
    server: dict[str, Any], outcomes: list[dict[str, Any]], start_at: float, duration: float
) -> dict[str, Any]:
    windows = sorted(server["accepted"].items())
    full = [count for _end, count in windows[1:-1]] or [count for _end, count in windows]
    requests = sum(o["requests"] for o in outcomes)
    holds = sorted(h for o in outcomes for h in o["holds"])
    accepted = sum(1 for at in server["times"] if start_at <= at < start_at + duration)
    # The server's windows that began while Redis was down (their ends are on its clock, as
    # are the accepted times: each window began one length before its end).
    down = [
        count
        for end, count in windows
        if OUTAGE[0] <= end + server["offset"] - WINDOW - start_at < OUTAGE[1]
    ]
    return {
        "share_outage": statistics.fmean(down) / LIMIT if down else 0.0,
        "share_window": statistics.fmean(full) / LIMIT if full else 0.0,
        "share_run": accepted / (duration / WINDOW * LIMIT),
        "429s": server["rejected"],
        "blocks": server["blocks"],
        "hold_p50_ms": _quantile(holds, 0.5) * 1000,
        "hold_p99_ms": _quantile(holds, 0.99) * 1000,
        "trips_per_request": sum(o["round_trips"] for o in outcomes) / max(requests, 1),
        "cpu_us_per_request": sum(o["cpu"] for o in outcomes) / max(requests, 1) * 1e6,
        "requests": requests,
    }


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(q * len(values)))]


# --- the pacer's own CPU --------------------------------------------------------------------------


def pacer_cpu(stack: str, redis_url: str, path: str, requests: int = 20_000) -> tuple[float, float]:
    """Client CPU per request of the pacer alone (µs) and store round trips per request, at
    concurrency 32 with a budget nothing exhausts; each request is a loop turn, not HTTP."""
    return asyncio.run(_pacer_cpu(stack, redis_url, path, requests))


async def _pacer_cpu(stack: str, redis_url: str, path: str, requests: int) -> tuple[float, float]:
    from calbookings_async import AdaptivePacer, FilePacer, PacerBinding, ReportedLimit
    from calbookings_async._operations import op
    from calbookings_async.redis import RedisPacer

    pacer: Any
    if stack == "redis":
        pacer = RedisPacer.from_url(redis_url, limit=10**9)
    elif stack == "file":
        pacer = FilePacer(path, limit=10**9)
    else:
        pacer = AdaptivePacer(limit=10**9)
    pacer.bind(PacerBinding(credential_id="cd" * 32, credential_kind="api_key"))
    operation = op("bookings.get")
    report = {"default": ReportedLimit(10**9, 10**9 - 1, 60)}
    left = [requests]

    async def loop() -> None:
        while left[0] > 0:
            left[0] -= 1
            ticket = pacer.try_acquire(operation)
            if ticket is None:
                ticket = await pacer.acquire(operation)
            await asyncio.sleep(0)  # the request
            pacer.release(ticket, 200, report)

    await asyncio.gather(*(loop() for _ in range(32)))  # warm up
    left[0] = requests
    trips = getattr(pacer, "round_trips", 0)
    cpu = time.process_time()
    await asyncio.gather(*(loop() for _ in range(32)))
    cpu = time.process_time() - cpu
    trips = getattr(pacer, "round_trips", 0) - trips
    if hasattr(pacer, "aclose"):
        await pacer.aclose()
    return cpu / requests * 1e6, trips / requests


# --- main --------------------------------------------------------------------------------------

HEADER = (
    "| stack | N | load | share/window | share/run | 429s | blocks | hold p50 ms | hold p99 ms"
    " | store trips/request | client CPU µs/request |"
)


def row(label: str, workers: int, load: str, f: dict[str, Any]) -> str:
    return (
        f"| {label} | {workers} | {load} | {f['share_window']:.3f} | {f['share_run']:.3f}"
        f" | {f['429s']} | {f['blocks']} | {f['hold_p50_ms']:.1f} | {f['hold_p99_ms']:.1f}"
        f" | {f['trips_per_request']:.2f} | {f['cpu_us_per_request']:.0f} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per run (20)")
    parser.add_argument("--workers", default="1,2,4,8", help="worker counts (1,2,4,8)")
    parser.add_argument("--loads", default="saturate,steady")
    parser.add_argument("--stacks", default=",".join(STACKS))
    parser.add_argument("--scenario", choices=("matrix", "outage", "skew", "kill", "cpu", "all"))
    parser.add_argument("--trace", help="a folder: write every run's requests there as JSON")
    args = parser.parse_args(argv)
    if shutil.which("redis-server") is None:
        print("redis-server is not installed (apt-get install redis-server)")
        return 1
    scenario = args.scenario or "matrix"
    ctx = multiprocessing.get_context("spawn")
    ports, server_results, stop = ctx.Queue(), ctx.Queue(), ctx.Queue()
    emulator = ctx.Process(target=serve, args=(ports, server_results, stop), daemon=True)
    emulator.start()
    redis = RedisServer()
    redis.start()
    try:
        base_url, api_key, uid = ports.get(timeout=60)
        with tempfile.TemporaryDirectory() as folder:
            target = {"base_url": base_url, "api_key": api_key, "uid": uid}
            target["redis_url"] = redis.url
            env = {"duration": args.duration, "stop": stop, "server_results": server_results}
            env.update(redis=redis, target=target, trace=args.trace)
            if scenario in ("cpu", "all"):
                print("| stack | pacer CPU µs/request (concurrency 32) | store trips/request |")
                print("|---|---|---|")
                for stack in ("redis", "file", "adaptive"):
                    cpu, trips = pacer_cpu(stack, redis.url, str(Path(folder) / "cpu.sqlite3"))
                    print(f"| {stack} | {cpu:.1f} | {trips:.3f} |", flush=True)
                if scenario == "cpu":
                    return 0
            print(HEADER)
            print("|" + "---|" * 11)
            for label, workers, load, extra in _plan(args, scenario):
                target["file"] = str(Path(folder) / f"pacing-{time.monotonic_ns()}.sqlite3")
                figures = run_once(env, label.split(" ")[0], load, workers, **extra)
                print(row(label, workers, load, figures), flush=True)
                if extra.get("outage"):
                    share = figures["share_outage"]
                    print(f"(share accepted while Redis was down: {share:.3f})", flush=True)
    finally:
        stop.put("quit")
        emulator.join(10)
        redis.stop()
    return 0


def _plan(args: argparse.Namespace, scenario: str) -> list[tuple[str, int, str, dict[str, Any]]]:
    plan: list[tuple[str, int, str, dict[str, Any]]] = []
    if scenario in ("matrix", "all"):
        for load in args.loads.split(","):
            for workers in (int(n) for n in args.workers.split(",")):
                for stack in args.stacks.split(","):
                    plan.append((stack, workers, load, {}))
    if scenario in ("matrix", "all"):
        for stack in ("redis", "file"):
            plan.append((stack, 4, "light", {}))
    if scenario in ("outage", "all"):
        plan.append(("redis (killed at 6 s, back empty at 11 s)", 4, "saturate", {"outage": True}))
    if scenario in ("skew", "all"):
        for stack in ("redis", "file"):
            plan.append((f"{stack} (one worker's clock +1 h)", 4, "saturate", {"skew": True}))
    if scenario in ("kill", "all"):
        for stack in ("redis", "file"):
            plan.append((f"{stack} (one worker killed at 5 s)", 4, "saturate", {"kill": True}))
    return plan


if __name__ == "__main__":
    sys.exit(main())
