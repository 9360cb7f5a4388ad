"""``calbookings demo``: a whole bulk job against an in-process emulator, then what it cost.

The emulator starts on loopback with a scaled-down rate limit (``--limit`` requests per
``--window`` seconds, blocked for a window when passed), so the job takes seconds instead of the
minutes Cal.com's 120 requests per minute would take. It is seeded with ``--bookings`` bookings
of every kind, and a "proxy" answers a small share of requests with 503 before the server sees
them. The job then does what a service would: list every booking (paging), confirm the pending
ones still to come, decline the pending ones whose time has passed, mark no-shows on some past
ones and cancel a batch of upcoming ones, each through the bulk runner with a progress bar.

The summary gives the operations, the wall time, the share of the budget the job used (the
requests the server accepted against what the fixed windows it spanned allow), the retries
(counted by a ``RetryPolicy(on_retry=...)`` hook), the 429 responses (counted by the emulator),
how many requests the pacer held back and the longest hold, the failures, and a check of the
emulator's ledger: every write the job made was applied exactly once.

Needs no credentials, no network and nothing beyond the package's own dependencies. Imports
the public package, the emulator (``testing``) and the command line's modules.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timezone
from typing import Any

import attrs

from .. import (
    Booking,
    BookingStatus,
    CalBookings,
    MarkAbsentAttendee,
    RecurringBooking,
    RetryPolicy,
)
from ._common import EXIT_FAILED, EXIT_OK, Tally, describe, make_client
from ._progress import BulkProgress, PacerReport, pacer_report

__all__ = ["run_demo"]

#: The ledger's name of each operation the demo runs.
_LEDGER_NAMES = {
    "confirm": "confirm",
    "decline": "decline",
    "mark-absent": "mark_absent",
    "cancel": "cancel",
}


@attrs.define
class _Phase:
    name: str
    items: int = 0
    failed: int = 0
    attempts: int = 0
    elapsed: float = 0.0
    succeeded: list[str] = attrs.field(factory=list)
    errors: list[str] = attrs.field(factory=list)


@attrs.define
class _Plan:
    confirm: list[str] = attrs.field(factory=list)
    decline: list[str] = attrs.field(factory=list)
    absent: list[tuple[str, str]] = attrs.field(factory=list)
    cancel: list[str] = attrs.field(factory=list)
    listed: int = 0
    pages: int = 0


def _one_in(uid: str, n: int) -> bool:
    """A stable pseudo-random choice of one booking in ``n``."""
    return zlib.crc32(uid.encode()) % n == 0


def _plan(bookings: Sequence[Booking], now: datetime) -> _Plan:
    plan = _Plan(listed=len(bookings))
    series_seen: set[str] = set()
    for booking in bookings:
        if booking.status == BookingStatus.PENDING:
            # Confirming or declining one occurrence of a series does every pending one, so
            # each series is decided once.
            series = (
                booking.recurring_booking_uid if isinstance(booking, RecurringBooking) else None
            )
            if series is not None:
                if series in series_seen:
                    continue
                series_seen.add(series)
            (plan.decline if booking.end < now else plan.confirm).append(booking.uid)
        elif booking.status == BookingStatus.ACCEPTED and not booking.is_seated:
            if booking.end < now:
                if booking.attendees and _one_in(booking.uid, 4):
                    plan.absent.append((booking.uid, booking.attendees[0].email))
            elif booking.start > now and _one_in(booking.uid, 3):
                plan.cancel.append(booking.uid)
    return plan


async def _list_everything(cal: CalBookings, plan_now: datetime, quiet: bool) -> _Plan:
    sent_before = cal.requests_sent  # the listing's requests, pages fetched ahead included
    bookings: list[Booking] = []
    pages = 0
    started = time.monotonic()
    tty = sys.stderr.isatty()
    async for page in cal.bookings.list(take=250, concurrency=4).pages():
        pages += 1
        bookings.extend(page.items)
        if tty and not quiet:
            total = page.pagination.total_items
            sys.stderr.write(f"\r{'list':<13}{len(bookings)}/{total} bookings, {pages} pages")
            sys.stderr.flush()
    if not quiet:
        start_of_line = "\r" if tty else ""
        sys.stderr.write(
            f"{start_of_line}{'list':<13}{len(bookings)} bookings, {pages} pages  "
            f"{time.monotonic() - started:.1f}s\n"
        )
    plan = _plan(bookings, plan_now)
    plan.pages = cal.requests_sent - sent_before
    return plan


async def _phase(
    name: str,
    cal: CalBookings,
    items: Sequence[Any],
    operation: Callable[[Any], Awaitable[Any]],
    concurrency: int,
    quiet: bool,
) -> _Phase:
    phase = _Phase(name, items=len(items))
    if not items:
        return phase
    shown = BulkProgress(
        f"{name:<11}", total=len(items), pacer=lambda: pacer_report(cal.pacer), visible=not quiet
    )
    async with (
        shown,
        cal.bulk(items, operation, concurrency=concurrency, on_progress=shown) as run,
    ):
        async for outcome in run:
            phase.attempts += outcome.attempts
            uid = outcome.item if isinstance(outcome.item, str) else outcome.item[0]
            if outcome.error is None:
                phase.succeeded.append(uid)
            else:
                phase.failed += 1
                phase.errors.append(f"{name} {uid}: {describe(outcome.error)}")
    phase.elapsed = run.elapsed
    return phase


def _ledger_check(emulator: Any, phases: Sequence[_Phase]) -> tuple[bool, str]:
    applied: Counter[tuple[str, str]] = Counter()
    writes = 0
    for entry in emulator.ledger:
        writes += 1
        for uid in entry.uids:
            applied[(entry.operation, uid)] += 1
    twice = [key for key, count in applied.items() if count > 1]
    lost = [
        (phase.name, uid)
        for phase in phases
        for uid in phase.succeeded
        if applied[(_LEDGER_NAMES[phase.name], uid)] != 1
    ]
    unasked = writes - sum(len(phase.succeeded) for phase in phases)
    duplicates = emulator.ledger.duplicates()
    if twice or lost or unasked or duplicates:
        return False, (
            f"FAILED: {len(twice)} applied twice, {len(lost)} successes without exactly one "
            f"write, {unasked} writes nobody asked for"
        )
    return True, f"{writes} writes, each applied exactly once; none lost: OK"


async def _phases(cal: CalBookings, plan: _Plan, concurrency: int, quiet: bool) -> list[_Phase]:
    bookings = cal.bookings

    def absent(pair: tuple[str, str]) -> Awaitable[Booking]:
        return bookings.mark_absent(
            pair[0], attendees=[MarkAbsentAttendee(email=pair[1], absent=True)]
        )

    work: list[tuple[str, Sequence[Any], Callable[[Any], Awaitable[Any]]]] = [
        ("confirm", plan.confirm, bookings.confirm),
        ("decline", plan.decline, lambda uid: bookings.decline(uid, reason="The time has passed")),
        ("mark-absent", plan.absent, absent),
        ("cancel", plan.cancel, lambda uid: bookings.cancel(uid, reason="Event cancelled")),
    ]
    return [
        await _phase(name, cal, items, operation, concurrency, quiet)
        for name, items, operation in work
    ]


def _heading(args: argparse.Namespace, emulator: Any, seeded_in: float) -> str:
    window = args.window
    pacing = "off" if args.no_pacing else "on"
    return (
        f"calbookings demo: {args.bookings:,} bookings seeded in {seeded_in:.1f} s into an "
        f"emulator at {emulator.base_url}\n"
        f"rate limit: {args.limit} requests per {window:g} s, blocked {window:g} s when "
        f"passed (a budget of {args.limit / window:.1f} requests/s); {args.fault_rate:.0%} of "
        f"requests answered 503 by a proxy; pacing {pacing}; concurrency {args.concurrency}\n\n"
    )


async def run_demo(args: argparse.Namespace) -> int:
    """Run the demo job and print its summary; 0 when nothing failed and the ledger is clean."""
    from ..testing import CalEmulator, FaultKind, RateLimit

    out = sys.stdout
    limit = RateLimit(limit=args.limit, ttl=args.window, block=args.window)
    emulator = CalEmulator(rate_limit=limit, seed=args.seed)
    seeding = time.perf_counter()
    emulator.seed(bookings=args.bookings)
    seeded_in = time.perf_counter() - seeding
    if args.fault_rate > 0:
        emulator.faults.inject(FaultKind.HTTP_503, times=None, probability=args.fault_rate)
    tally = Tally(clock=time.monotonic)
    # More attempts than the default: without pacing, a request may meet several blocks.
    retry = RetryPolicy(attempts=10, deadline=None, rate_limit_wait_max=65.0, on_retry=tally)
    async with emulator:
        out.write(_heading(args, emulator, seeded_in))
        out.flush()
        credentials = {"api_key": emulator.api_key, "base_url": emulator.base_url}
        async with make_client(args, tally, retry=retry, **credentials) as cal:
            started = time.monotonic()
            plan = await _list_everything(cal, datetime.now(timezone.utc), args.quiet)
            phases = await _phases(cal, plan, args.concurrency, args.quiet)
            wall = time.monotonic() - started
            pacing = pacer_report(cal.pacer)
    return _report(out, args, emulator, plan, phases, wall, tally, started, pacing)


def _budget_lines(args: argparse.Namespace, accepted: int, wall: float) -> list[str]:
    # The server counts in fixed windows of `window` seconds, `limit` requests each: the one
    # honest measure is what the job got out of the windows it spanned.
    windows = max(1, math.ceil(wall / args.window))
    allowed = args.limit * windows
    return [
        f"  request rate      {accepted / allowed:.2f} of the budget ({accepted} requests "
        f"accepted / {allowed} allowed)",
        f"                    the server allows {args.limit} per {args.window:g} s window; the "
        f"job spanned {windows} windows",
    ]


def _table(plan: _Plan, phases: Sequence[_Phase]) -> list[str]:
    failed = sum(phase.failed for phase in phases)
    items = sum(phase.items for phase in phases)
    attempts = sum(phase.attempts for phase in phases) + plan.pages
    rows = [
        ("list (pages)", plan.pages, 0, plan.pages),
        *((phase.name, phase.items, phase.failed, phase.attempts) for phase in phases),
        ("total", items + plan.pages, failed, attempts),
    ]
    lines = [f"  {'operation':<14}{'items':>7}{'failed':>8}{'attempts':>10}"]
    return lines + [f"  {name:<14}{n:>7}{f:>8}{a:>10}" for name, n, f, a in rows]


def _report(
    out: Any,
    args: argparse.Namespace,
    emulator: Any,
    plan: _Plan,
    phases: Sequence[_Phase],
    wall: float,
    tally: Tally,
    started: float,
    pacing: PacerReport | None,
) -> int:
    counts = emulator.status_counts
    served = sum(counts.values())
    throttled = counts.get(429, 0)
    faults = emulator.faults.count()
    accepted = served - throttled - faults  # what the rate limiter let through
    late_429 = sum(1 for moment in tally.throttled_at if moment - started > args.window)
    failed = sum(phase.failed for phase in phases)
    ok, ledger = _ledger_check(emulator, phases)
    lines = [
        *_table(plan, phases),
        "",
        f"  listed            {plan.listed:,} bookings",
        f"  wall time         {wall:.1f} s",
        f"  requests          {served} served: {accepted} within the limit, {throttled} answered "
        f"429, {faults} answered 503 by the proxy",
        *_budget_lines(args, accepted, wall),
        f"  retries           {tally.retries} ({tally.throttled} after a 429, "
        f"{tally.retries - tally.throttled} after a 503)",
        f"  429s received     {throttled} ({late_429} after the first window)",
    ]
    if pacing is not None:
        lines.append(
            f"  pacing            held {pacing.held} requests back; the longest hold "
            f"{pacing.longest_hold:.1f} s"
        )
    lines += [f"  failures          {failed}", f"  ledger            {ledger}"]
    errors = [error for phase in phases for error in phase.errors]
    lines += [f"    {error}" for error in errors[:10]]
    out.write("\n".join(lines) + "\n")
    out.flush()
    return EXIT_OK if ok and not failed else EXIT_FAILED
