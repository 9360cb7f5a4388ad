"""The crash phase of the fault suite: a bulk run killed with SIGKILL five times, resumed each time.

A client **process** runs a 2,000-item mixed run of unsafe writes (create, reschedule, add
guests) and state-setting writes (cancel, confirm, decline, mark-absent) through
``cal.bulk(..., journal=path, key=...)`` (a SQLite journal) against a :class:`CalEmulator`
serving on loopback from this process. The test kills the client with
SIGKILL at five points drawn from a seeded RNG (when the emulator's ledger reaches a drawn number
of applied writes, so some writes are always applied with their answers not yet read), and
starts it again with the same journal and the same input each time; the sixth run finishes.
Then, against the emulator's ledger:

* 0 writes applied twice: no unsafe write's identity twice in the ledger
  (``Ledger.duplicates()``) and every booking's state-setting write applied once;
* 0 items lost: every item's write is in the ledger exactly once;
* every item finished: the last run reports every item done (skipped as done by an earlier run,
  settled, or sent) and none failed;
* every item in flight at a kill (its journal entry claimed or sent, its outcome not recorded)
  was settled by the next run that reached it, not re-sent blindly: those whose write the
  ledger had applied before the kill were found by reading the server's state back and were
  not applied again.

The client settles items left in flight with the SDK alone: the unsafe writes carry
``idempotency_key=<item key>``, kept by the client in the same SQLite file (a
``SQLiteJournal``), so a key left ``sent`` is read back before anything is sent again; the
state-setting writes are read back by the SDK when the server refuses an item left in flight
("already cancelled", "not pending").

The client is this file run as a script (``python tests/test_crash_phase.py client ...``).
Run it alone, with the table printed::

    python -m pytest tests/test_crash_phase.py -m faults -s
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

API_KEY = "cal_test_crash_phase_k3y"
SEED = 11
KILLS = 5
CONCURRENCY = 16
#: Bookings start from the next whole hour on (the emulator refuses starts in the past).
NOW = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
#: Items per kind: 2,000 in all, shuffled.
MIX = {
    "create": 600,
    "reschedule": 250,
    "add_guests": 250,
    "cancel": 300,
    "confirm": 200,
    "decline": 200,
    "mark_absent": 200,
}
UNSAFE = ("create", "reschedule", "add_guests")
#: The ledger's name of each kind's write.
LEDGER_NAME = {"mark_absent": "mark_absent", "add_guests": "add_guests"}
#: How long one client run may take before the test gives up on it (a hang, not a timing check).
RUN_LIMIT = 120.0


# --- the client process ---------------------------------------------------------------------------


async def _send(bookings: Any, event_type: int, item: dict[str, Any]) -> Any:
    """The item's write."""
    from calbookings_async import (
        CreateBookingAttendee,
        CreateBookingInput,
        Guest,
        MarkAbsentAttendee,
    )

    kind, key, uid = item["kind"], item["key"], item.get("uid", "")
    if kind == "create":
        attendee = CreateBookingAttendee(
            name=f"Crash {key}", email=item["email"], time_zone="Europe/Paris"
        )
        start = datetime.fromisoformat(item["start"])
        create = CreateBookingInput(start=start, event_type_id=event_type, attendee=attendee)
        return await bookings.create(create, idempotency_key=key)
    if kind == "reschedule":
        start = datetime.fromisoformat(item["start"])
        return await bookings.reschedule(uid, start=start, idempotency_key=key)
    if kind == "add_guests":
        guests = [Guest(email=item["email"], name=key)]
        return await bookings.add_guests(uid, guests, idempotency_key=key)
    if kind == "cancel":
        return await bookings.cancel(uid, reason=f"crash {key}")
    if kind == "confirm":
        return await bookings.confirm(uid)
    if kind == "decline":
        return await bookings.decline(uid, reason=f"crash {key}")
    absent = [MarkAbsentAttendee(email=item["email"], absent=True)]
    return await bookings.mark_absent(uid, attendees=absent)


def _operation(cal: Any, event_type: int) -> Any:
    """The call for one item of the plan (a dict): the item's write, nothing more."""

    async def run(item: dict[str, Any]) -> Any:
        return await _send(cal.bookings, event_type, item)

    return run


async def _client(base_url: str, journal_path: str, plan_path: str, out_path: str) -> int:
    """Run the plan through ``cal.bulk`` with the journal; one JSON line per outcome."""
    from calbookings_async import CalBookings, SQLiteJournal

    with open(plan_path, encoding="utf-8") as source:  # noqa: ASYNC230 - before the run
        plan = json.load(source)
    out = open(out_path, "a", encoding="utf-8")  # noqa: ASYNC230, SIM115 - one small line each
    failed = 0
    keys = SQLiteJournal(journal_path)  # the idempotency keys, in the run's journal file
    async with keys, CalBookings(api_key=API_KEY, base_url=base_url, journal=keys) as cal:
        run = cal.bulk(
            plan["items"],
            _operation(cal, plan["event_type"]),
            concurrency=CONCURRENCY,
            journal=journal_path,  # a SQLite file, opened and closed by the run
            key=lambda item: item["key"],
        )
        async with run:
            async for outcome in run:
                failed += not outcome.ok
                line = {
                    "key": outcome.item["key"],
                    "ok": outcome.ok,
                    "skipped": outcome.skipped,
                    "settled": outcome.settled,
                    "error": None if outcome.ok else repr(outcome.error),
                }
                out.write(json.dumps(line) + "\n")
                out.flush()
    out.close()
    return 1 if failed else 0


# --- the test ------------------------------------------------------------------------------------


def _plan(emu: Any, rng: random.Random) -> dict[str, Any]:
    """Bookings for every item of :data:`MIX` (each item its own booking or attendee)."""
    event_type = emu.add_event_type(slug="crash-intro", length=30)
    pending = emu.add_event_type(slug="crash-approval", length=30, requires_confirmation=True)
    hour = 0

    def start() -> datetime:
        nonlocal hour
        hour += 1
        return NOW + timedelta(days=1, hours=hour)

    items: list[dict[str, Any]] = []
    for kind, count in MIX.items():
        for n in range(count):
            key = f"crash-{kind}-{n}"
            email = f"{key}@crash.example"
            item: dict[str, Any] = {"kind": kind, "key": key, "email": email}
            if kind == "create":
                item["start"] = start().isoformat()
            else:
                item["uid"] = emu.add_booking(
                    event_type_id=pending if kind in ("confirm", "decline") else event_type,
                    start=start(),
                    attendee_email=email,
                    attendee_name=f"Target {key}",
                    status="pending" if kind in ("confirm", "decline") else "accepted",
                )
                if kind == "reschedule":
                    item["start"] = start().isoformat()
                if kind == "add_guests":
                    item["email"] = f"guest-{key}@crash.example"
            items.append(item)
    rng.shuffle(items)
    return {"event_type": event_type, "items": items}


def _start_client(url: str, journal: Path, plan: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, __file__, "client", url, str(journal), str(plan), str(out)],
        env={**os.environ, "PYTHONHASHSEED": "0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _kill_at(client: subprocess.Popen[bytes], ledger: Any, applied: int) -> int:
    """SIGKILL the client once the ledger holds ``applied`` writes; the ledger's length then."""
    deadline = time.monotonic() + RUN_LIMIT
    while len(ledger) < applied:
        assert client.poll() is None, client.stderr.read() if client.stderr else b""
        assert time.monotonic() < deadline, "the client made no progress"
        time.sleep(0.001)  # a gate polled, not a timing assumption
    client.send_signal(signal.SIGKILL)
    client.wait(RUN_LIMIT)
    if client.stderr is not None:
        client.stderr.close()
    return len(ledger)


def _outcomes(out: Path) -> list[dict[str, Any]]:
    if not out.exists():
        return []
    lines = out.read_text().splitlines()
    # A run killed mid-write may leave its last line cut short.
    return [json.loads(line) for line in lines if line.endswith("}")]


def _applied_once(ledger: Any, items: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """Keys whose write the ledger lacks, and keys whose write it holds more than once."""
    creates = Counter(
        entry.body["attendee"]["email"] for entry in ledger if entry.operation == "create"
    )
    lost, doubled = [], []
    for item in items:
        kind = item["kind"]
        if kind == "create":
            times = creates[item["email"]]
        else:
            times = ledger.count(LEDGER_NAME.get(kind, kind), item["uid"])
        if times == 0:
            lost.append(item["key"])
        elif times > 1:
            doubled.append(item["key"])
    return lost, doubled


def _first_applied(ledger: Any, items: list[dict[str, Any]]) -> dict[str, int]:
    """Each key's first ledger sequence number."""
    by_uid = {item["uid"]: item["key"] for item in items if "uid" in item}
    by_email = {item["email"]: item["key"] for item in items if item["kind"] == "create"}
    first: dict[str, int] = {}
    for entry in ledger:
        if entry.operation == "create":
            key = by_email.get(entry.body["attendee"]["email"])
        else:
            key = by_uid.get(entry.uids[0]) if entry.uids else None
        if key is not None:
            first.setdefault(key, entry.seq)
    return first


@pytest.fixture
def served() -> Iterator[Any]:
    from _emulator_thread import EmulatorThread

    from calbookings_async.testing import CalEmulator, RateLimit

    # No rate limit: the run is about crashes (add guests' own throttle raised to match).
    guests = RateLimit(limit=100_000, ttl=1.0, block=1.0, name="booking_guests_add")
    server = EmulatorThread(
        CalEmulator(
            seed=SEED,
            api_key=API_KEY,
            rate_limit=None,
            route_limits={"POST /v2/bookings/{bookingUid}/guests": guests},
        )
    )
    yield server
    server.stop()


def _left_in_flight(journal: Path, items: list[dict[str, Any]]) -> set[str]:
    """The keys whose entry a killed run left claimed or sent (started, outcome not recorded)."""
    from calbookings_async._journal import IN_FLIGHT
    from calbookings_async._journal import StoreJournal as StoreItemJournal
    from calbookings_async._stores import SQLiteStore

    async def read() -> set[str]:
        entries = StoreItemJournal(SQLiteStore(journal, durable=True))
        try:
            left = set()
            for item in items:
                entry = await entries.wait("bulk:" + item["key"], timeout=0)
                if entry is not None and entry.state in IN_FLIGHT:
                    left.add(item["key"])
            return left
        finally:
            await entries.aclose()

    return asyncio.run(read())


@pytest.mark.faults
def test_killed_five_times_every_item_once(served: Any, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    emu = served.emulator
    plan = _plan(emu, rng)
    items: list[dict[str, Any]] = plan["items"]
    plan_path, journal = tmp_path / "plan.json", tmp_path / "journal.sqlite3"
    plan_path.write_text(json.dumps(plan))
    served.start()
    # At least 50 applied writes apart, so that each restarted run gets going before its kill.
    kill_points = sorted(rng.sample(range(150, len(items) - 150, 50), KILLS))
    ledger = emu.ledger
    killed_at: list[int] = []
    in_flight: list[set[str]] = []
    outs = [tmp_path / f"run-{number}.jsonl" for number in range(KILLS + 1)]
    for number, point in enumerate(kill_points):
        client = _start_client(served.url, journal, plan_path, outs[number])
        killed_at.append(_kill_at(client, ledger, point))
        in_flight.append(_left_in_flight(journal, items))
    last = _start_client(served.url, journal, plan_path, outs[-1])
    _, stderr = last.communicate(timeout=RUN_LIMIT)
    assert last.returncode == 0, stderr.decode()[-2000:]

    runs = [_outcomes(out) for out in outs]
    lost, doubled = _applied_once(ledger, items)
    first = _first_applied(ledger, items)
    found = [
        key
        for number, keys in enumerate(in_flight)
        for key in keys
        if key in first and first[key] <= killed_at[number]
    ]
    print(_table(runs, killed_at, in_flight, found, lost, doubled))  # noqa: T201  (pytest -s)

    assert ledger.duplicates() == {}
    assert doubled == []
    assert lost == []
    final = runs[-1]
    assert {line["key"] for line in final} == {item["key"] for item in items}
    assert all(line["ok"] for line in final)
    for number, keys in enumerate(in_flight):
        # Every item in flight at a kill was settled by the first later run that finished it
        # (not skipped, not sent afresh), and none was applied twice (the ledger checks above).
        assert keys, f"kill {number + 1} caught no item in flight"
        assert all(_first_report(runs, number + 1, key)["settled"] for key in keys)
    # Of those, the ones whose write was applied before the kill were found by the read-back.
    assert found


def _first_report(runs: list[list[dict[str, Any]]], start: int, key: str) -> dict[str, Any]:
    """The first line about ``key`` in the runs from ``start`` on."""
    return next(line for run in runs[start:] for line in run if line["key"] == key)


def _table(
    runs: list[list[dict[str, Any]]],
    killed_at: list[int],
    in_flight: list[set[str]],
    found: list[str],
    lost: list[str],
    doubled: list[str],
) -> str:
    rows = [("run", "ledger at kill", "reported", "skipped as done", "settled", "sent")]
    for number, run in enumerate(runs):
        skipped = sum(line["skipped"] for line in run)
        settled = sum(line["settled"] for line in run)
        rows.append(
            (
                str(number + 1),
                str(killed_at[number]) if number < len(killed_at) else "(finished)",
                str(len(run)),
                str(skipped),
                str(settled),
                str(len(run) - skipped - settled),
            )
        )
    width = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["", "crash phase: 2,000 items, SIGKILL x5, resumed from a SQLite journal"]
    lines += [
        "  " + "  ".join(cell.rjust(w) for cell, w in zip(row, width, strict=True)) for row in rows
    ]
    lines += [
        f"  in flight at a kill, settled by a later run: {sum(len(k) for k in in_flight)}",
        f"    of which already applied, found by read-back (not re-sent): {len(found)}",
        f"  writes applied twice: {len(doubled)}; items lost: {len(lost)}",
    ]
    return "\n".join(lines)


if __name__ == "__main__" and len(sys.argv) == 6 and sys.argv[1] == "client":
    sys.exit(asyncio.run(_client(*sys.argv[2:6])))
