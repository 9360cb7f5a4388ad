"""Two processes run the same items through one SQLite journal at once: each item is sent once.

Both processes take the same 150 uids (in different orders, started together) and cancel each
through
``cal.bulk(uids, cancel, journal=path)`` against one emulator serving from this process. Claiming
an item's entry is atomic, so for each uid one process sends and the other waits for that outcome
and skips the item: every booking is cancelled exactly once, and no item fails.

The worker is this file run as a script (``python tests/test_bulk_processes.py worker ...``).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

API_KEY = "cal_test_bulk_processes_k3y"
ITEMS = 150


async def _worker(base_url: str, journal: str, uids_path: str, out_path: str) -> int:
    from calbookings_async import CalBookings

    with open(uids_path, encoding="utf-8") as source:  # noqa: ASYNC230 - before the run
        uids = json.load(source)
    print("ready", flush=True)  # noqa: T201 - the test's start gate
    sys.stdin.readline()  # both start together once both are ready
    async with CalBookings(api_key=API_KEY, base_url=base_url) as cal:

        async def cancel(uid: str) -> Any:
            # Spread each run over about two seconds, so that the two overlap even when one
            # process starts late on a loaded machine (no result depends on this time).
            await asyncio.sleep(0.025)
            return await cal.bookings.cancel(uid)

        report = await cal.bulk_all(uids, cancel, concurrency=2, journal=journal)
    counts = {
        "skipped": report.skipped_count,
        "settled": report.settled_count,
        "sent": report.sent_count,
        "failed": [repr(outcome.error) for outcome in report.failed],
    }
    with open(out_path, "w", encoding="utf-8") as out:  # noqa: ASYNC230 - after the run
        json.dump(counts, out)
    return 0 if report.ok else 1


@pytest.fixture
def served() -> Iterator[Any]:
    from _emulator_thread import EmulatorThread

    from calbookings_async.testing import CalEmulator

    server = EmulatorThread(
        CalEmulator(seed=4, api_key=API_KEY, rate_limit=None), bookings=ITEMS * 4
    )
    server.start()
    yield server
    server.stop()


def test_two_processes_one_journal_each_item_sent_once(served: Any, tmp_path: Path) -> None:
    uids = list(served.uids("regular"))[:ITEMS]
    assert len(uids) == ITEMS
    journal = tmp_path / "journal.sqlite3"
    workers = []
    for number in range(2):
        order = list(uids)
        random.Random(number).shuffle(order)
        source = tmp_path / f"uids-{number}.json"
        source.write_text(json.dumps(order))
        out = tmp_path / f"counts-{number}.json"
        argv = [sys.executable, __file__, "worker", served.url, str(journal), str(source), str(out)]
        child = subprocess.Popen(
            argv,
            env=os.environ.copy(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        workers.append((child, out))
    for child, _ in workers:
        assert child.stdout is not None
        assert child.stdout.readline() == b"ready\n"
    for child, _ in workers:
        assert child.stdin is not None
        child.stdin.write(b"go\n")
        child.stdin.flush()
    counts = []
    for child, out in workers:
        _, stderr = child.communicate(timeout=120)
        assert child.returncode == 0, stderr.decode()[-2000:]
        counts.append(json.loads(out.read_text()))
    ledger = served.emulator.ledger
    assert all(ledger.count("cancel", uid) == 1 for uid in uids)
    assert sum(c["sent"] for c in counts) == ITEMS
    assert sum(c["skipped"] for c in counts) == ITEMS
    assert all(c["settled"] == 0 and c["failed"] == [] for c in counts)
    assert all(c["sent"] > 0 for c in counts)  # they ran at the same time


if __name__ == "__main__" and len(sys.argv) == 6 and sys.argv[1] == "worker":
    sys.exit(asyncio.run(_worker(*sys.argv[2:6])))
