"""The fault suite: 10,000+ operations over real HTTP under faults; nothing lost or doubled.

A mixed workload (creates, reschedules, add-guests, automatic reassigns, cancels, declines,
confirms, mark-absents, gets and listings) runs through ``cal.bulk`` against a
:class:`CalEmulator` that answers 5% of requests with 503, drops 2% of connections before
processing and 1% after applying the write, delays 1% past the client's timeout, throws bursts
of 429s, and throttles with its real fixed-window limiter (a second, unpaced client sharing the
credential drives it into its block). Then every operation is checked against the emulator's
ledger and state:

* every operation ended with a result or a typed ``CalError`` (nothing else escaped);
* no unsafe write (create, reschedule, add guests, automatic reassign) was applied twice;
* nothing was lost: no success missing from the ledger, and no error with
  ``may_have_been_applied`` false whose write the ledger shows applied;
* every repeatable write that was retried converged to the state it asks for;
* each uncertain create, reschedule and add-guests is settled by the README's reconciliation
  recipe, and the recipe's answer matches the ledger;
* no unclosed session, connection or task (``filterwarnings = error``, ``asyncio.all_tasks``);
* the memory the SDK retains does not grow from phase 1 to phase 3.

Every operation targets its own booking (or creates one with its own attendee email and
metadata), so each outcome can be matched to the ledger without ambiguity.

Run it alone, with the table printed::

    python -m pytest tests/test_faults.py -m faults -s
"""

from __future__ import annotations

import asyncio
import gc
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, cast

import pytest
from _helpers import Internals

from calbookings_async import (
    AdaptivePacer,
    CalBookings,
    CalError,
    CreateBookingAttendee,
    CreateBookingInput,
    Guest,
    MarkAbsentAttendee,
    Outcome,
    Progress,
    RetryPolicy,
    Timeout,
)
from calbookings_async._types import waits
from calbookings_async.testing import CalEmulator, FaultKind, RateLimit

pytestmark = pytest.mark.faults

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
SEED = 6
#: The emulator's limit per credential: a 1 s window, then a 1 s block.
LIMIT = RateLimit(limit=600, ttl=1.0, block=1.0)
SHORT = RateLimit(limit=60, ttl=1.0, block=1.0)
GUESTS_LIMIT = RateLimit(limit=600, ttl=1.0, block=1.0, name="booking_guests_add")
#: The client's per-attempt timeout, and the DELAY fault that outlasts it.
CLIENT_TIMEOUT = 1.0
DELAY = 1.6
#: Faults by kind: the share of all requests each should hit.
RATES = [
    (FaultKind.HTTP_503, 0.05),
    (FaultKind.DROP_BEFORE, 0.02),
    (FaultKind.DROP_AFTER, 0.01),
    (FaultKind.DELAY, 0.01),
]
BURST_EVERY = 1500  # operations between two bursts of 429s
BURST = 25  # 429s per burst
BURST_RESET = 1  # seconds the burst's 429s announce
CONCURRENCY = 48
HAMMER_REQUESTS = 900  # the unpaced second client's reads in phase 3

#: Operations per phase (the same mix each time, so phase 1 and phase 3 are comparable).
MIX = {
    "create": 700,
    "reschedule": 300,
    "add_guests": 300,
    "reassign": 80,
    "cancel": 350,
    "confirm": 220,
    "decline": 220,
    "mark_absent": 250,
    "get": 700,
    "list": 280,
}
UNSAFE = ("create", "reschedule", "add_guests", "reassign")
WRITES = (*UNSAFE, "cancel", "confirm", "decline", "mark_absent")
PHASES = 3


@dataclass(slots=True)
class Op:
    """One operation of the workload and what came of it."""

    kind: str
    n: int  # unique over the whole run
    uid: str = ""  # the booking it acts on (not for create)
    email: str = ""  # the create's attendee, the add-guests guest, the mark-absent attendee
    start: datetime | None = None  # the create's or reschedule's start
    result: Any = None
    error: str | None = None  # the error's class name (the error itself is not kept: see below)
    maybe_applied: bool = False  # the error's may_have_been_applied
    attempts: int = 0


@dataclass
class Tally:
    """What the run did, for the assertions and the table."""

    ops: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    ambiguous: Counter[str] = field(default_factory=Counter)
    attempts: int = 0
    retried_ops: int = 0
    retried_converged: int = 0
    reconciled: Counter[str] = field(default_factory=Counter)
    non_sdk_errors: list[BaseException] = field(default_factory=list)
    duplicates: int = 0
    lost: list[str] = field(default_factory=list)
    wrong_state: list[str] = field(default_factory=list)


class Workload:
    """Builds the operations of each phase on bookings made for them, and runs them."""

    def __init__(self, emu: CalEmulator) -> None:
        self.emu = emu
        self.rng = random.Random(SEED)
        self.n = 0
        self.hour = 0
        self.personal = emu.add_event_type(slug="faults-intro", length=30)
        self.pending_type = emu.add_event_type(
            slug="faults-approval", length=30, requires_confirmation=True
        )
        hosts = [emu.add_user(name=f"Host {i}") for i in range(3)]
        team = emu.add_team(slug="faults-team")
        self.round_robin = emu.add_event_type(
            slug="faults-rr", team_id=team, scheduling_type="ROUND_ROBIN", host_ids=hosts
        )
        self.first_host = hosts[0]

    def _next_start(self) -> datetime:
        # A fresh hour for every booking, so no slot is ever taken twice.
        self.hour += 1
        return NOW + timedelta(days=1, hours=self.hour)

    def _existing(self, kind: str, status: str = "accepted") -> tuple[str, str]:
        self.n += 1
        email = f"target-{self.n}@faults.example"
        event_type = {"pending": self.pending_type, "rr": self.round_robin}.get(
            status, self.personal
        )
        uid = self.emu.add_booking(
            event_type_id=event_type,
            start=self._next_start(),
            attendee_email=email,
            attendee_name=f"Target {self.n}",
            status="pending" if status == "pending" else "accepted",
            host_id=self.first_host if status == "rr" else None,
        )
        return uid, email

    def phase(self) -> list[Op]:
        ops: list[Op] = []
        for kind, count in MIX.items():
            for _ in range(count):
                if kind == "create":
                    self.n += 1
                    ops.append(
                        Op(kind, self.n, email=f"create-{self.n}@faults.example",
                           start=self._next_start())
                    )  # fmt: skip
                elif kind in ("confirm", "decline"):
                    uid, email = self._existing(kind, "pending")
                    ops.append(Op(kind, self.n, uid=uid, email=email))
                elif kind == "reassign":
                    uid, email = self._existing(kind, "rr")
                    ops.append(Op(kind, self.n, uid=uid, email=email))
                elif kind == "reschedule":
                    uid, email = self._existing(kind)
                    ops.append(Op(kind, self.n, uid=uid, email=email, start=self._next_start()))
                elif kind == "add_guests":
                    uid, _ = self._existing(kind)
                    ops.append(Op(kind, self.n, uid=uid, email=f"guest-{self.n}@faults.example"))
                else:
                    uid, email = self._existing(kind)
                    ops.append(Op(kind, self.n, uid=uid, email=email))
        self.rng.shuffle(ops)
        return ops

    def operation(self, cal: CalBookings) -> Callable[[Op], Any]:
        personal = self.personal

        async def run(op: Op) -> Any:
            # Results are reduced to what the checks need, so the run keeps no models alive.
            kind = op.kind
            if kind == "create":
                assert op.start is not None
                booking = await cal.bookings.create(
                    CreateBookingInput(
                        start=op.start,
                        event_type_id=personal,
                        attendee=CreateBookingAttendee(
                            name=f"Create {op.n}", email=op.email, time_zone="Europe/Paris"
                        ),
                        metadata={"fault_op": f"create-{op.n}"},
                    )
                )
                assert not isinstance(booking, list)
                return booking.uid
            if kind == "reschedule":
                assert op.start is not None
                new = await cal.bookings.reschedule(op.uid, start=op.start, reason=f"op {op.n}")
                return new.uid
            if kind == "add_guests":
                booking = await cal.bookings.add_guests(
                    op.uid, [Guest(email=op.email, name=f"Guest {op.n}")]
                )
                return [attendee.email for attendee in booking.attendees]
            if kind == "reassign":
                return (await cal.bookings.reassign(op.uid)).reassigned_to.id
            if kind == "cancel":
                booking = await cal.bookings.cancel(op.uid, reason=f"op {op.n}")
            elif kind == "confirm":
                booking = await cal.bookings.confirm(op.uid)
            elif kind == "decline":
                booking = await cal.bookings.decline(op.uid, reason=f"op {op.n}")
            elif kind == "mark_absent":
                booking = await cal.bookings.mark_absent(
                    op.uid, attendees=[MarkAbsentAttendee(email=op.email, absent=True)]
                )
            elif kind == "get":
                booking = await cal.bookings.get(op.uid)
            else:
                page = await cal.bookings.list(attendee_email=op.email, take=5)
                return [item.uid for item in page.items]
            assert not isinstance(booking, list)
            return (booking.uid, str(booking.status))

        return run


def _arm_faults(emu: CalEmulator) -> None:
    # Rules are tried in order, each with its own draw: scale each probability so that its
    # share of all requests is the rate asked for.
    left = 1.0
    for kind, rate in RATES:
        emu.faults.inject(kind, probability=rate / left, times=None, delay=DELAY)
        left -= rate


def _record(op: Op, outcome: Outcome[Op, Any], tally: Tally) -> None:
    op.attempts = outcome.attempts
    tally.attempts += outcome.attempts
    if outcome.error is None:
        op.result = outcome.result
        tally.outcomes["ok"] += 1
        return
    if not isinstance(outcome.error, CalError):
        tally.non_sdk_errors.append(outcome.error)
        return
    # Only what the checks need: a kept exception keeps its traceback's frames, and with them
    # the bulk run and the aiohttp objects of the call, which would hide a real leak.
    op.error = type(outcome.error).__name__
    op.maybe_applied = outcome.error.may_have_been_applied
    tally.outcomes[op.error] += 1
    tally.failures[
        f"{op.kind}: {op.error}{' (may have been applied)' if op.maybe_applied else ''}"
    ] += 1
    if op.maybe_applied:
        tally.ambiguous[op.kind] += 1


async def _run_phase(
    cal: CalBookings, workload: Workload, ops: list[Op], tally: Tally, emu: CalEmulator
) -> None:
    def progress(state: Progress) -> None:
        if state.done % BURST_EVERY == 0:
            emu.faults.inject(FaultKind.RATE_LIMIT, times=BURST, reset=BURST_RESET)

    run = cal.bulk(ops, workload.operation(cal), concurrency=CONCURRENCY, on_progress=progress)
    async with run:
        async for outcome in run:
            _record(outcome.item, outcome, tally)
    assert run.unfinished == []
    for op in ops:
        tally.ops[op.kind] += 1


async def _hammer(emu: CalEmulator, uids: list[str], tally: Tally) -> None:
    """A second client of the same credential, unpaced and unretried: it trips the block.

    While it runs the credential's limit is cut to :data:`SHORT` (same name, so the same
    window), which it is sure to pass whatever the machine's speed; the paced client then meets
    the block it caused.
    """
    emu.add_api_key(emu.api_key, limits=[SHORT])
    try:
        await _hammer_reads(emu, uids, tally)
    finally:
        emu.add_api_key(emu.api_key)


async def _hammer_reads(emu: CalEmulator, uids: list[str], tally: Tally) -> None:
    async with CalBookings(
        api_key=emu.api_key,
        base_url=emu.base_url,
        pacing=False,
        retry=RetryPolicy.disabled(),
        timeout=CLIENT_TIMEOUT,
        max_concurrency=32,
    ) as other:
        report = await other.bulk_all(uids[:HAMMER_REQUESTS], other.bookings.get, concurrency=32)
    tally.ops["get (unpaced client)"] += report.done
    tally.attempts += report.attempts
    for outcome in report.outcomes:
        if outcome.error is None:
            tally.outcomes["ok (unpaced client)"] += 1
        elif isinstance(outcome.error, CalError):
            tally.outcomes[f"{type(outcome.error).__name__} (unpaced client)"] += 1
            if outcome.error.may_have_been_applied:
                tally.ambiguous["get (unpaced client)"] += 1
        else:
            tally.non_sdk_errors.append(outcome.error)


#: aiohttp's client connections: how many the pool keeps idle after a phase varies.
POOLED = "aiohttp.client_proto.ResponseHandler"


def held(footprint: dict[str, int]) -> dict[str, int]:
    """A footprint without the pooled connections (bounded by the pool size, not by the run)."""
    return {name: count for name, count in footprint.items() if name != POOLED}


def _footprint(cal: CalBookings) -> dict[str, int]:
    """What the client holds after a phase, once every call has ended.

    Counts live objects of the SDK's own classes and of aiohttp's client side (requests,
    responses, connections), live asyncio tasks, and the entries of every collection the
    client and the SDK's modules keep (the pacer's windows and routes, the rate-limit state,
    the timeout and option caches, the header-name cache). Tracemalloc would say the same in
    bytes but slows this process (emulator included) about fivefold.
    """
    gc.collect()
    census: Counter[str] = Counter()
    for obj in gc.get_objects():
        module = getattr(type(obj), "__module__", "")
        if not isinstance(module, str):
            continue
        if (
            module.startswith("calbookings_async")
            and not module.startswith("calbookings_async.testing")
        ) or module in ("aiohttp.client_reqrep", "aiohttp.client_proto"):
            census[f"{module}.{type(obj).__qualname__}"] += 1
    internals = Internals(cal)
    census["pacer windows"] = internals.pacer_windows
    census["pacer routes"] = internals.pacer_routes
    census["rate limits reported"] = len(cal.rate_limits)
    census["transport timeouts"] = internals.transport_timeouts
    census["header layouts cached"] = internals.header_layouts_cached
    census["slots waiting"] = cal.requests_queued
    census["slots taken"] = cal.requests_in_flight
    census["pacer in flight"] = internals.pacer_in_flight
    return dict(census)


# --- the checks ------------------------------------------------------------------------------


def _entries_by(emu: CalEmulator) -> dict[tuple[str, str], list[Any]]:
    """Ledger entries by (operation, identity): the attendee email of a create, else the uid."""
    found: dict[tuple[str, str], list[Any]] = {}
    for entry in emu.ledger:
        if entry.operation == "create":
            key = entry.body["attendee"]["email"]
        elif entry.operation == "add_guests":
            key = entry.body["guests"][0]["email"]
        else:
            key = entry.uids[0]
        found.setdefault((entry.operation, key), []).append(entry)
    return found


def _check(
    op: Op,
    emu: CalEmulator,
    ledger: dict[tuple[str, str], list[Any]],
    tally: Tally,
    first_host: int,
) -> None:
    kind = op.kind
    key = op.email if kind in ("create", "add_guests") else op.uid
    applied = ledger.get((kind, key), [])
    error = op.error
    name = f"{kind} #{op.n}"
    if kind in UNSAFE and len(applied) > 1:
        tally.duplicates += 1
    if kind in WRITES:
        if error is None and not applied:
            tally.lost.append(f"{name}: reported as succeeded, not in the ledger")
        if error is not None and not op.maybe_applied and applied:
            tally.lost.append(f"{name}: definite failure ({error}) but applied")
    state = emu.get_booking(op.uid) if op.uid else None
    # Whether the state shows the operation's effect, and whether the ledger says it ran.
    if kind == "create":
        effect = bool(applied)
        correct = error is not None or (len(applied) == 1 and applied[0].uids[0] == op.result)
    elif kind == "reschedule":
        assert state is not None
        effect = state.get("rescheduledToUid") is not None
        correct = error is not None or (
            len(applied) == 1 and state["rescheduledToUid"] == op.result == applied[0].uids[1]
        )
    elif kind == "add_guests":
        assert state is not None
        effect = any(attendee["email"] == op.email for attendee in state["attendees"])
        correct = error is not None or (len(applied) == 1 and op.email in op.result)
    elif kind == "reassign":
        assert state is not None
        effect = state["hosts"][0]["id"] != first_host
        correct = error is not None or (len(applied) == 1 and op.result != first_host)
    elif kind == "mark_absent":
        assert state is not None
        effect = state["attendees"][0]["absent"] is True
        correct = error is not None or effect
    elif kind in ("cancel", "confirm", "decline"):
        assert state is not None
        wanted = {"cancel": "cancelled", "confirm": "accepted", "decline": "rejected"}[kind]
        effect = state["status"] == wanted
        correct = error is not None or (effect and op.result == (op.uid, wanted))
    else:  # reads
        effect = False
        correct = error is not None or (
            op.result[0] == op.uid if kind == "get" else op.uid in op.result
        )
    if kind in WRITES and effect != bool(applied):
        tally.wrong_state.append(f"{name}: state shows it {effect}, ledger has {len(applied)}")
    if not correct:
        tally.wrong_state.append(f"{name}: succeeded with {op.result!r}, ledger {applied!r}")
    if error is None and op.attempts > 1:
        tally.retried_ops += 1
        tally.retried_converged += correct


async def _reconcile(op: Op, cal: CalBookings, first_host: int) -> bool:
    """The README's recipe for an uncertain write: was it applied? (Faults are off by now.)"""
    if op.kind == "create":
        assert op.start is not None
        page = await cal.bookings.list(
            attendee_email=op.email, after_start=op.start - timedelta(minutes=1), take=10
        )
        return any(booking.start == op.start for booking in page.items)
    booking = await cal.bookings.get(op.uid)
    assert not isinstance(booking, list)
    if op.kind == "reschedule":
        return booking.rescheduled_to_uid is not None
    if op.kind == "add_guests":
        return any(attendee.email == op.email for attendee in booking.attendees)
    if op.kind == "reassign":
        return booking.hosts[0].id != first_host
    raise AssertionError(op.kind)


def _table(
    tally: Tally, emu: CalEmulator, pacer_stats: Any, footprints: list[dict[str, int]]
) -> str:
    lines = ["", "fault-injection suite", "=" * 60]

    def section(title: str, rows: Iterator[tuple[str, Any]]) -> None:
        lines.append(title)
        for label, value in rows:
            lines.append(f"  {label:<40} {value:>10}")

    section("operations", iter([*sorted(tally.ops.items()), ("total", sum(tally.ops.values()))]))
    faults = Counter[str]()
    for (kind, _route), count in emu.faults.counts.items():
        faults[kind] += count
    requests = sum(emu.status_counts.values()) + faults["drop_before"] + faults["drop_after"]
    section(
        "faults injected",
        iter(
            [
                *sorted(faults.items()),
                ("429 from the limiter (its block included)", emu.throttler.rejected),
            ]
        ),
    )
    section(
        "requests and retries",
        iter(
            [
                ("HTTP attempts (SDK count)", tally.attempts),
                ("requests the server handled", requests),
                ("retries (attempts - operations)", tally.attempts - sum(tally.ops.values())),
                ("operations retried that then succeeded", tally.retried_ops),
                ("of those, state read back as asked", tally.retried_converged),
                ("requests held by the pacer", pacer_stats.held),
                ("blocks the pacer learned from 429s", pacer_stats.blocks),
            ]
        ),
    )
    section("outcomes by class", iter(sorted(tally.outcomes.items())))
    section("failures of the paced client by operation", iter(sorted(tally.failures.items())))
    section(
        "ambiguous outcomes (may_have_been_applied)",
        iter([*sorted(tally.ambiguous.items()), ("total", sum(tally.ambiguous.values()))]),
    )
    section("reconciled by the recipe (applied / not)", iter(sorted(tally.reconciled.items())))
    section(
        "verdict",
        iter(
            [
                ("duplicates (must be 0)", tally.duplicates),
                ("lost (must be 0)", len(tally.lost)),
                ("wrong state (must be 0)", len(tally.wrong_state)),
                ("non-SDK exceptions (must be 0)", len(tally.non_sdk_errors)),
                ("SDK objects and cache entries, phase 1", sum(held(footprints[0]).values())),
                (
                    f"SDK objects and cache entries, phase {PHASES}",
                    sum(held(footprints[-1]).values()),
                ),
                ("pooled connections after phase 1", footprints[0].get(POOLED, 0)),
                (f"pooled connections after phase {PHASES}", footprints[-1].get(POOLED, 0)),
            ]
        ),
    )
    return "\n".join(lines)


async def test_nothing_lost_nothing_written_twice() -> None:
    tally = Tally()
    footprints: list[dict[str, int]] = []
    with waits(True):  # real backoff and pacing: the limiter's windows are real time
        async with CalEmulator(
            seed=SEED,
            wall_clock=NOW.timestamp,
            rate_limit=LIMIT,
            route_limits={"POST /v2/bookings/{bookingUid}/guests": GUESTS_LIMIT},
        ) as emu:
            workload = Workload(emu)
            phases = [workload.phase() for _ in range(PHASES)]
            _arm_faults(emu)
            async with CalBookings(
                api_key=emu.api_key,
                base_url=emu.base_url,
                timeout=Timeout(total=CLIENT_TIMEOUT),
                retry=RetryPolicy(
                    attempts=8,
                    wait_initial=0.02,
                    wait_max=0.25,
                    jitter=0.05,
                    deadline=60.0,
                    rate_limit_wait_max=5.0,
                ),
                max_concurrency=CONCURRENCY,
            ) as cal:
                for number, ops in enumerate(phases, start=1):
                    if number == PHASES:
                        reads = [op.uid for op in phases[0] if op.uid]
                        await asyncio.gather(
                            _run_phase(cal, workload, ops, tally, emu),
                            _hammer(emu, reads, tally),
                        )
                    else:
                        await _run_phase(cal, workload, ops, tally, emu)
                    footprints.append(_footprint(cal))
                pacer_stats = cast(AdaptivePacer, cal.pacer).stats
            emu.faults.clear()
            await asyncio.sleep(DELAY + 0.5)  # delayed requests still in the server land

            ledger = _entries_by(emu)
            all_ops = [op for ops in phases for op in ops]
            for op in all_ops:
                _check(op, emu, ledger, tally, workload.first_host)
            async with CalBookings(api_key=emu.api_key, base_url=emu.base_url) as settle:
                uncertain = [
                    op
                    for op in all_ops
                    if op.kind in UNSAFE and op.error is not None and op.maybe_applied
                ]
                for op in uncertain:
                    found = await _reconcile(op, settle, workload.first_host)
                    key = op.email if op.kind in ("create", "add_guests") else op.uid
                    if found != bool(ledger.get((op.kind, key))):
                        tally.wrong_state.append(f"{op.kind} #{op.n}: the recipe is wrong")
                    tally.reconciled[f"{op.kind}: {'applied' if found else 'not applied'}"] += 1
            ledger_duplicates = emu.ledger.duplicates()
            assert emu.errors == []

    print(_table(tally, emu, pacer_stats, footprints))  # noqa: T201  (shown with pytest -s)

    assert sum(tally.ops.values()) >= 10_000
    assert tally.non_sdk_errors == []
    assert ledger_duplicates == {}
    assert tally.duplicates == 0
    assert tally.lost == []
    assert tally.wrong_state == []
    # Each fault kind fired, and the limiter blocked the credential.
    for kind, _rate in RATES:
        assert emu.faults.count(kind) > 0, kind
    assert emu.faults.count(FaultKind.RATE_LIMIT) > 0
    assert emu.throttler.rejected > 0
    # Faults that leave a write in doubt did leave some in doubt, and retries happened.
    assert sum(tally.ambiguous.values()) > 0
    assert tally.retried_ops > 0
    assert tally.retried_converged == tally.retried_ops
    # Memory: after phase 3 the client holds what it held after phase 1 (the same objects,
    # the same cache entries; pooled connections aside), nothing in flight.
    pooled = "aiohttp.client_proto.ResponseHandler"
    assert all(footprint.get(pooled, 0) <= CONCURRENCY for footprint in footprints)
    first, last = (
        {k: v for k, v in f.items() if k != pooled} for f in (footprints[0], footprints[-1])
    )
    assert last == first, {
        k: (first.get(k), last.get(k))
        for k in first.keys() | last.keys()
        if first.get(k) != last.get(k)
    }
    assert last["slots taken"] == 0
    assert last["pacer in flight"] == 0
    # Nothing left running.
    await asyncio.sleep(0)
    others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    assert others == []
