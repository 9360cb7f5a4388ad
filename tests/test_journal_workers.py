"""At-least-once delivery: two worker processes take the same 1,000 jobs, each write once.

A job queue that delivers at least once hands the same "create this booking" job to more than
one worker (a redelivery after a timeout, a rebalance). Here every job is delivered to both
workers, in different orders, at the same time: two real processes, each with its own client,
sharing one ``RedisJournal`` on a real ``redis-server`` (started by the test on a free loopback
port, stopped by its pid). Each job is a create with ``idempotency_key=<job id>``. The emulator
serves from a thread of the test process, losing the answer of one create in twenty after
applying it (``DROP_AFTER``), so some keys are settled by reading back rather than answered.

The verdict is the emulator's ledger: every job's booking created exactly once, no duplicates,
and both workers returned the same booking for every job.

Run it alone, with the figures printed::

    python -m pytest tests/test_journal_workers.py -s
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from _emulator_thread import EmulatorThread
from _servers import RedisServer  # the type; the redis_server fixture is in conftest

from calbookings_async.testing import CalEmulator, FaultKind

pytest.importorskip("redis.asyncio")

JOBS = 1000
CONCURRENCY = 16
#: How long one worker may take before the test gives up on it (a hang, not a timing check).
RUN_LIMIT = 300.0
START = (datetime.now(timezone.utc) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)


# --- the worker process ---------------------------------------------------------------------------


async def _work(base_url: str, api_key: str, redis_url: str, plan: dict[str, Any]) -> list[Any]:
    """Take every job of the plan, in the plan's order; one line per job: key, uid, how."""
    import asyncio

    from calbookings_async import (
        CalBookings,
        CreateBookingAttendee,
        CreateBookingInput,
        RetryPolicy,
    )
    from calbookings_async.redis import RedisJournal

    lines: list[Any] = []
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for job in plan["jobs"]:
        queue.put_nowait(job)
    journal = RedisJournal.from_url(redis_url)
    retry = RetryPolicy(wait_initial=0.01, wait_max=0.05, jitter=0.0)
    async with (
        journal,
        CalBookings(
            api_key=api_key, base_url=base_url, journal=journal, pacing=False, retry=retry
        ) as cal,
    ):

        async def worker() -> None:
            while not queue.empty():
                job = queue.get_nowait()
                attendee = CreateBookingAttendee(
                    name=job["key"], email=job["email"], time_zone="Europe/Paris"
                )
                booking = CreateBookingInput(
                    start=datetime.fromisoformat(job["start"]),
                    event_type_id=plan["event_type"],
                    attendee=attendee,
                )
                # A job whose answer was lost is taken again, as a queue would redeliver it.
                for _ in range(5):
                    try:
                        result = await cal.bookings.create(booking, idempotency_key=job["key"])
                    except Exception as error:
                        if not getattr(error, "may_have_been_applied", False):
                            raise
                        continue
                    how = "replayed" if result.replayed else "settled" if result.settled else "sent"
                    lines.append([job["key"], result.uid, how])
                    break
                else:
                    lines.append([job["key"], None, "unfinished"])

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return lines


def _main(argv: list[str]) -> int:
    import asyncio

    base_url, api_key, redis_url, plan_path, out_path = argv
    plan = json.loads(Path(plan_path).read_text())
    lines = asyncio.run(_work(base_url, api_key, redis_url, plan))
    Path(out_path).write_text(json.dumps(lines))
    return 0


# --- the test ------------------------------------------------------------------------------------


def test_two_workers_with_the_same_jobs_write_each_once(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    emulator = CalEmulator(seed=7, rate_limit=None)
    event_type = emulator.add_event_type(slug="queue", length=15)
    jobs = [
        {
            "key": f"job-{n}",
            "email": f"job-{n}@queue.example",
            "start": (START + timedelta(minutes=15 * n)).isoformat(),
        }
        for n in range(JOBS)
    ]
    plans = [jobs, jobs[::-1]]  # both workers get every job, in opposite orders
    emulator.faults.inject(
        FaultKind.DROP_AFTER, route="POST /v2/bookings", times=None, probability=0.05
    )
    server = EmulatorThread(emulator)
    server.start()
    try:
        workers = []
        for n, order in enumerate(plans):
            plan_path = tmp_path / f"plan-{n}.json"
            plan_path.write_text(json.dumps({"event_type": event_type, "jobs": order}))
            out = tmp_path / f"out-{n}.json"
            args = [server.url, emulator.api_key, redis_server.url, str(plan_path), str(out)]
            process = subprocess.Popen(
                [sys.executable, __file__, *args], stderr=subprocess.PIPE, cwd=Path(__file__).parent
            )
            workers.append((process, out))
        for process, _ in workers:
            _, stderr = process.communicate(timeout=RUN_LIMIT)
            assert process.returncode == 0, stderr.decode()[-3000:]
        results = [json.loads(out.read_text()) for _, out in workers]
    finally:
        server.stop()

    ledger = list(emulator.ledger)
    creates = Counter(e.body["attendee"]["email"] for e in ledger if e.operation == "create")
    lost = [job["key"] for job in jobs if creates[job["email"]] == 0]
    twice = {email: times for email, times in creates.items() if times > 1}
    by_worker = [{key: uid for key, uid, _ in lines} for lines in results]
    unfinished = [key for lines in results for key, uid, _ in lines if uid is None]
    disagree = [job["key"] for job in jobs if by_worker[0][job["key"]] != by_worker[1][job["key"]]]
    how = Counter(h for lines in results for _, _, h in lines)
    print(  # noqa: T201  (pytest -s)
        f"\n{JOBS} jobs x 2 workers: {sum(creates.values())} creates applied, "
        f"{len(twice)} twice, {len(lost)} lost, {len(unfinished)} unfinished, "
        f"{emulator.faults.count(FaultKind.DROP_AFTER)} answers lost; outcomes {dict(how)}"
    )
    assert emulator.ledger.duplicates() == {}
    assert twice == {}
    assert lost == []
    assert unfinished == []
    assert disagree == []
    assert sum(creates.values()) == JOBS
    assert all(len(lines) == JOBS for lines in results)
    # Both paths of the journal were taken: some jobs were answered from the other worker's
    # record, and some answers lost in flight were settled by reading back.
    assert how["replayed"] > 0
    assert how["settled"] > 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
