"""The hostile-server suite: every answer belongs to its request, whatever the wire does.

Against :class:`HostileServer` (tests/_hostile_server.py: raw asyncio streams, malformed HTTP
on purpose, a ledger of every write it applied, the connection each came on and whether that
connection was fresh):

* targeted tests, one per invariant, small and fast: an unsolicited response on an idle pooled
  connection is never the next request's answer; one that lands ahead of a state-setting write's
  own answer never leaves the write "definitely not applied" (it is settled by reading the booking
  back); unsafe writes go out on fresh connections only; a request that provably was not
  written (the server closed the pooled connection first; the connection was refused) is
  ``may_have_been_applied=False`` and retried, for every operation; a
  2xx error envelope may have been applied; a call ends by its deadline whatever the body does;
  the memory for 24 concurrent 50 MB answers is bounded; ``with_options`` chains keep their
  timeout; a bulk run stops on errors no item can survive; redirects are never followed;
* the mixed run (marker ``hostile``): a few thousand operations of every kind through
  ``cal.bulk`` with every fault mixed in and the server killed and restarted mid-run, then
  checked against the ledger: 0 unsafe writes applied twice, 0 successes missing from the
  ledger, 0 results that belong to another request, 0 "definitely not applied" writes that were
  applied, 0 exceptions that are not ``CalError``, 0 calls past their deadline, no leaked file
  descriptor or task after ``aclose()``, no credential in any message, log record or rendered
  frame.

Run the mixed run alone, with its table printed::

    python -m pytest tests/test_hostile.py -m hostile -s
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import math
import os
import random
import re
import tracemalloc
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from _helpers import ACCESS_TOKEN, API_KEY, CLIENT_ID, SECRET_KEY
from _hostile_server import MB, UNSAFE, HostileServer
from test_frames import credentials_in, error_of, failure_of, leaking_locals, rendered

from calbookings_async import (
    APIStatusError,
    BulkRun,
    CalBookings,
    CalError,
    ClientClosedError,
    CreateBookingAttendee,
    CreateBookingInput,
    DecodeError,
    Guest,
    MarkAbsentAttendee,
    Outcome,
    Progress,
    RawRequest,
    RawResponse,
    RequestTimeout,
    RetryAttempt,
    RetryPolicy,
    Timeout,
)
from calbookings_async._transport import AiohttpTransport
from calbookings_async._types import waits

#: Every operation the suite runs, and the ones that write.
KINDS = (
    "create",
    "reschedule",
    "add_guests",
    "reassign",
    "cancel",
    "confirm",
    "decline",
    "mark_absent",
    "get",
    "list",
)
WRITES = frozenset(KINDS) - {"get", "list"}
START = datetime(2026, 4, 1, 9, 0, tzinfo=timezone.utc)

#: How far past its deadline a call may end: the event loop's lag on a loaded machine.
DEADLINE_TOLERANCE = 0.5


# --- the operations, as a service would run them ----------------------------------------------


@dataclass(slots=True)
class Op:
    """One operation and what came of it (reduced to what the checks need)."""

    kind: str
    n: int
    uid: str = ""  # the booking it acts on (not for create)
    email: str = ""  # the create's attendee, the guest added, the attendee marked or listed
    result: Any = None
    error: str | None = None  # the error's class name
    maybe_applied: bool = False
    attempts: int = 0
    elapsed: float = 0.0

    @property
    def subject(self) -> str:
        """What the server's ledger keys this operation by."""
        return self.email if self.kind in ("create", "add_guests", "list") else self.uid


def make_op(server: HostileServer, kind: str, n: int) -> Op:
    """An operation with its own booking (or its own attendee, for a create)."""
    email = f"{kind}-{n}@hostile.example"
    if kind == "create":
        return Op(kind, n, email=email)
    uid = server.add_booking(
        email, status="pending" if kind in ("confirm", "decline") else "accepted"
    )
    if kind == "add_guests":
        email = f"guest-{n}@hostile.example"
    return Op(kind, n, uid=uid, email=email)


async def perform(cal: CalBookings, op: Op) -> Any:
    """Run ``op`` and return its result reduced to identities (no model is kept).

    A booking comes back as ``(uid, status, attendee emails)``; a series (which none of these
    requests asks for, so it is another request's answer) as ``("series", uids, ())``.
    """
    bookings = cal.bookings
    kind = op.kind
    if kind == "reassign":
        reassigned = await bookings.reassign(op.uid)
        return (reassigned.booking_uid, reassigned.reassigned_to.id)
    if kind == "list":
        page = await bookings.list(attendee_email=op.email, take=5)
        return tuple(item.uid for item in page.items)
    if kind == "reschedule":
        new = await bookings.reschedule(op.uid, start=START + timedelta(hours=op.n), reason="r")
        return (new.uid, new.rescheduled_from_uid)
    if kind == "create":
        attendee = CreateBookingAttendee(name=f"C {op.n}", email=op.email, time_zone="UTC")
        start = START + timedelta(hours=op.n)
        answer = await bookings.create(
            CreateBookingInput(start=start, event_type_id=7, attendee=attendee)
        )
    elif kind == "add_guests":
        answer = await bookings.add_guests(op.uid, [Guest(email=op.email, name="Guest")])
    elif kind == "mark_absent":
        attendees = [MarkAbsentAttendee(email=op.email, absent=True)]
        answer = await bookings.mark_absent(op.uid, attendees=attendees)
    elif kind in ("cancel", "decline"):
        answer = await getattr(bookings, kind)(op.uid, reason=f"op {op.n}")
    else:
        answer = await getattr(bookings, kind)(op.uid)  # get, confirm
    if isinstance(answer, list):
        return ("series", tuple(booking.uid for booking in answer), ())
    return (answer.uid, str(answer.status), tuple(a.email for a in answer.attendees))


def belongs(op: Op, result: Any) -> bool:
    """Whether ``result`` is an answer to ``op`` (and not to some other request)."""
    kind = op.kind
    if kind == "create":
        return bool(result[2][:1] == (op.email,))
    if kind == "reschedule":
        return bool(result[1] == op.uid)
    if kind == "add_guests":
        return bool(result[0] == op.uid and op.email in result[2])
    if kind == "list":
        return bool(result == (op.uid,))
    return bool(result[0] == op.uid)


def in_ledger(server: HostileServer, op: Op, result: Any) -> bool:
    """Whether a write reported as a success is one the server applied (the same booking)."""
    entries = server.ledger.of(op.kind, op.subject)
    if op.kind in ("create", "reschedule"):
        return any(entry.uid == result[0] for entry in entries)
    return bool(entries)


def client(server: HostileServer, **options: Any) -> CalBookings:
    options.setdefault("pacing", False)
    return CalBookings(api_key=API_KEY, base_url=server.base_url, **options)


@pytest.fixture
async def server() -> AsyncIterator[HostileServer]:
    async with HostileServer(seed=11) as hostile:
        yield hostile


async def settle() -> None:
    """Let the event loop deliver what the server has written (no timing involved)."""
    for _ in range(20):
        await asyncio.sleep(0)


# --- an answer nobody asked for ---------------------------------------------------------------


async def after_a_pooled_call(
    server: HostileServer,
    kind: str,
    then: Callable[[], Awaitable[object]] | None = None,
    on_retry: Callable[[RetryAttempt], None] | None = None,
) -> tuple[Op, CalError | None]:
    """A get (which leaves its connection idle in the pool), ``then()``, then one ``kind``.

    Without ``then`` the second call starts right after the first returns, before the event
    loop has read anything more from the server (a close, an extra response).

    Returns:
        The operation (with its result) and the error it ended with, if any, once the server
        has read whatever the client sent.
    """
    warm, op = make_op(server, "get", 0), make_op(server, kind, 1)
    retry = RetryPolicy(attempts=3, on_retry=() if on_retry is None else on_retry)
    async with client(server, retry=retry) as cal:
        await perform(cal, warm)
        if then is not None:
            await then()  # else the next call starts at once, before the loop reads anything
        error = await error_of(_store_result(cal, op))
        await settle()  # the server reads whatever else the client sent
    await settle()
    return op, error


def assert_answered_once(server: HostileServer, op: Op, error: CalError | None) -> None:
    """The operation succeeded, with its own answer, and a write was applied exactly once."""
    assert error is None, f"{op.kind} failed: {error!r}"
    assert belongs(op, op.result), f"{op.kind} returned {op.result!r}, another request's answer"
    if op.kind in WRITES:
        assert in_ledger(server, op, op.result), f"{op.kind} succeeded but was never applied"
        assert len(server.ledger.of(op.kind, op.subject)) == 1


async def _store_result(cal: CalBookings, op: Op) -> None:
    op.result = await perform(cal, op)


@pytest.mark.parametrize("stale", ["copy", "429"])
@pytest.mark.parametrize("when", ["right_after_an_answer", "while_idle_in_the_pool"])
@pytest.mark.parametrize("kind", ["get", "decline", "create", "reschedule"])
async def test_an_unsolicited_response_is_never_the_next_answer(
    server: HostileServer, kind: str, when: str, stale: str
) -> None:
    # The extra response is the last answer again, or a 429 meant for someone else; it comes
    # right behind the get's answer, or later, on the connection idle in the pool.
    server.stale = stale

    async def push() -> None:
        assert server.push_unsolicited(stale) == 1
        await settle()

    if when == "right_after_an_answer":
        server.script("unsolicited_now")
        op, error = await after_a_pooled_call(server, kind)
    else:
        op, error = await after_a_pooled_call(server, kind, then=push)
    assert_answered_once(server, op, error)


# --- an answer nobody asked for, ahead of a write's own ---------------------------------------

#: The writes that set a state (safe to repeat; settled by reading the booking back).
SETS_STATE = ("cancel", "decline", "confirm", "mark_absent")


async def write_behind_a_late_answer(
    server: HostileServer, kind: str, stale: str, *, settling: bool
) -> tuple[Op, Any, CalError | None]:
    """A get (its connection left idle in the pool), then one ``kind`` on that connection,
    whose own answer comes after a ``stale`` response nobody asked for: an unsolicited
    response that landed after the pool's check (``unsolicited_ahead``). The write is applied.

    Returns:
        The operation, what the write returned (``None`` if it failed), and its error.
    """
    warm, op = make_op(server, "get", 0), make_op(server, kind, 1)
    server.stale = stale
    server.script("normal", "unsolicited_ahead")
    result: Any = None
    async with client(server, retry=RetryPolicy(attempts=3), settle=settling) as cal:
        await perform(cal, warm)
        bookings = cal.bookings
        if kind == "mark_absent":
            attendees = [MarkAbsentAttendee(email=op.email, absent=True)]
            call = bookings.mark_absent(op.uid, attendees=attendees)
        else:
            call = getattr(bookings, kind)(op.uid)
        try:
            result = await call
        except CalError as failure:
            error: CalError | None = failure
        else:
            error = None
        await settle()  # the server reads whatever else the client sent
    await settle()
    return op, result, error


@pytest.mark.parametrize("stale", ["redirect", "503", "429", "copy"])
@pytest.mark.parametrize("kind", SETS_STATE)
async def test_a_write_behind_an_answer_nobody_asked_for_ends_with_its_own_booking(
    server: HostileServer, kind: str, stale: str
) -> None:
    # The client reads the extra response as the write's answer; the write's own answer (it
    # was applied) is lost. A redirect or an HTML 503 names no path, so nothing shows it is not
    # this write's answer: the write's outcome is uncertain, and reading the booking back
    # settles it. The 503 is retried first, as the 429 and the copy are (they are about another
    # request); the retry is refused as already done (then settled) or, on the same connection,
    # finds the lost answer. Repeating a state-setting write may apply it again (mark-absent).
    op, result, error = await write_behind_a_late_answer(server, kind, stale, settling=True)
    assert server.ledger.of(kind, op.subject), f"{kind} was never applied"
    assert error is None, f"{kind} behind a stale {stale}: {error!r}"
    assert result.uid == op.uid
    if stale == "redirect":  # refused for good, never retried: only the read-back tells
        assert result.settled, f"{kind} behind a stale redirect returned without a read-back"


@pytest.mark.parametrize("stale", ["redirect", "503", "429", "copy"])
@pytest.mark.parametrize("kind", SETS_STATE)
async def test_a_write_behind_an_answer_nobody_asked_for_is_never_definitely_not_applied(
    server: HostileServer, kind: str, stale: str
) -> None:
    # Without settling, the error itself says what is known: the write may have been applied.
    op, result, error = await write_behind_a_late_answer(server, kind, stale, settling=False)
    assert server.ledger.of(kind, op.subject), f"{kind} was never applied"
    if error is None:
        assert stale != "redirect", f"{kind} succeeded with a redirect meant for another request"
        assert result.uid == op.uid
    else:
        assert error.may_have_been_applied is True, f"{kind} behind a stale {stale}: {error!r}"


# --- unsafe writes and pooled connections ------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(UNSAFE))
async def test_unsafe_writes_go_out_on_fresh_connections_only(
    server: HostileServer, kind: str
) -> None:
    warm = make_op(server, "get", 0)
    ops = [make_op(server, kind, n) for n in (1, 2)]
    async with client(server) as cal:
        await perform(cal, warm)  # leaves a connection idle in the pool
        for op in ops:
            await perform(cal, op)  # the second one also finds the first one's connection idle
    entries = [entry for op in ops for entry in server.ledger.of(kind, op.subject)]
    assert len(entries) == 2
    reused = [entry for entry in entries if not entry.fresh]
    assert reused == [], f"{kind} sent on a connection that sat idle in the pool: {reused}"


# --- requests that provably were not written --------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
async def test_a_request_on_a_pooled_connection_the_server_closed_is_retried(
    server: HostileServer, kind: str
) -> None:
    retries: list[RetryAttempt] = []
    server.script("close_after_answer")  # the get's keep-alive answer, then the server closes
    op, error = await after_a_pooled_call(server, kind, on_retry=retries.append)
    assert_answered_once(server, op, error)
    flagged = [attempt.error for attempt in retries if attempt.error.may_have_been_applied]
    assert flagged == [], f"{kind}: an unsent request was called uncertain: {flagged}"


@pytest.mark.parametrize("kind", KINDS)
async def test_a_refused_connection_is_not_applied_and_is_retried(
    server: HostileServer, kind: str
) -> None:
    retries: list[RetryAttempt] = []

    def back_up(attempt: RetryAttempt) -> None:
        retries.append(attempt)
        if len(retries) == 1:
            server.listen_now()  # the retry's connection waits in the listen queue

    async def kill() -> None:
        await server.kill()
        await settle()

    op, error = await after_a_pooled_call(server, kind, then=kill, on_retry=back_up)
    assert_answered_once(server, op, error)
    assert retries, "the first attempt should have been refused"
    assert retries[0].error.may_have_been_applied is False


# --- a 2xx error envelope ---------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["envelope_applied", "envelope_unapplied"])
@pytest.mark.parametrize("kind", ["create", "decline", "get"])
async def test_a_2xx_error_envelope_may_have_been_applied(
    server: HostileServer, kind: str, fault: str
) -> None:
    op = make_op(server, kind, 1)
    server.always(fault)
    async with client(server) as cal:
        error = await failure_of(perform(cal, op))
    applied = server.ledger.of(kind, op.subject)
    assert bool(applied) == (fault == "envelope_applied" and kind in WRITES)
    # The client cannot tell the two apart: either way the write may have happened.
    assert error.may_have_been_applied is True, repr(error)


# --- deadlines --------------------------------------------------------------------------------

DEADLINE = 1.0
#: When a test stops waiting for a call that should have ended long before.
GIVE_UP = 3.0


@pytest.mark.parametrize(
    "fault",
    ["trickle_forever", "stall_forever", "unsolicited_trickle", "unsolicited_trickle_while_idle"],
)
async def test_a_call_ends_by_its_deadline(server: HostileServer, fault: str) -> None:
    # A body that trickles in forever (never a gap as long as the read timeout), a server that
    # never answers, and an unsolicited response with such a body on a pooled connection (right
    # behind an answer, or later while it sits idle): the call still ends by its deadline.
    warm, op = make_op(server, "get", 0), make_op(server, "get", 1)
    options = {"timeout": Timeout(total=30, read=0.5), "retry": RetryPolicy(deadline=DEADLINE)}
    async with client(server, **options) as cal:
        if fault == "unsolicited_trickle":
            server.script("unsolicited_trickle")
            await perform(cal, warm)
        elif fault == "unsolicited_trickle_while_idle":
            await perform(cal, warm)
            assert server.push_unsolicited("trickle") == 1
            await settle()
        else:
            server.always(fault)
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            error = await asyncio.wait_for(error_of(_store_result(cal, op)), GIVE_UP)
        except asyncio.TimeoutError:
            pytest.fail(f"still running {GIVE_UP:g} s after it started; its deadline was 1 s")
        elapsed = loop.time() - started
    assert elapsed <= DEADLINE + DEADLINE_TOLERANCE, f"ran {elapsed:.2f} s: {error!r}"
    if error is None:
        assert belongs(op, op.result)
    else:
        assert isinstance(error, CalError)


# --- memory -----------------------------------------------------------------------------------

HUGE_ANSWERS = 24
MEMORY_BOUND = 100 * MB
SIZE_IN_MESSAGE = re.compile(r"\d[\d,._]*\s*(bytes|[KMG]i?B)\b")


async def test_concurrent_huge_answers_stay_within_a_memory_bound() -> None:
    async with HostileServer(seed=5, huge_bytes=50 * MB) as server:
        op = make_op(server, "get", 1)
        server.always("huge_chunked")
        async with client(server) as cal:
            peak, errors = await _peak_while(
                lambda: asyncio.gather(*(error_of(perform(cal, op)) for _ in range(HUGE_ANSWERS)))
            )
    assert peak < MEMORY_BOUND, f"{peak / MB:.0f} MB peak for {HUGE_ANSWERS} huge answers"
    assert errors is not None
    for error in errors:
        assert isinstance(error, DecodeError), repr(error)
        assert SIZE_IN_MESSAGE.search(str(error)), f"no size in: {error}"


async def _peak_while(work: Callable[[], Any]) -> tuple[int, Any]:
    """Traced peak memory (bytes above the start) while ``work()`` runs; stops it once the
    peak is past twice the bound (the verdict is known by then), returning ``None``."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        task = asyncio.ensure_future(work())
        while not task.done():
            await asyncio.wait({task}, timeout=0.01)
            if tracemalloc.get_traced_memory()[1] - base > 2 * MEMORY_BOUND:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                return tracemalloc.get_traced_memory()[1] - base, None
        return tracemalloc.get_traced_memory()[1] - base, task.result()
    finally:
        tracemalloc.stop()


async def test_a_huge_answer_is_refused_with_its_size(server: HostileServer) -> None:
    op = make_op(server, "get", 1)
    server.always("huge_chunked")
    async with client(server) as cal:
        error = await failure_of(perform(cal, op))
    assert isinstance(error, DecodeError)
    assert SIZE_IN_MESSAGE.search(str(error)), f"no size in: {error}"


# --- with_options -----------------------------------------------------------------------------

VIEW_TIMEOUT = 0.3
CHAINS: dict[str, Callable[[CalBookings], CalBookings]] = {
    "timeout, then retry_unsafe": lambda cal: cal.with_options(timeout=VIEW_TIMEOUT).with_options(
        retry_unsafe=True
    ),
    "retry_unsafe, then timeout": lambda cal: cal.with_options(retry_unsafe=True).with_options(
        timeout=VIEW_TIMEOUT
    ),
    "timeout, then retry": lambda cal: cal.with_options(timeout=VIEW_TIMEOUT).with_options(
        retry=RetryPolicy(attempts=1)
    ),
    "three deep, timeout first": lambda cal: (
        cal.with_options(timeout=VIEW_TIMEOUT)
        .with_options(retry_unsafe=True)
        .with_options(retry_unsafe=False)
    ),
    "three deep, timeout second": lambda cal: (
        cal.with_options(retry_unsafe=True)
        .with_options(timeout=VIEW_TIMEOUT)
        .with_options(retry_unsafe=False)
    ),
    "three deep, timeout last": lambda cal: (
        cal.with_options(retry_unsafe=True)
        .with_options(retry_unsafe=False)
        .with_options(timeout=VIEW_TIMEOUT)
    ),
}


class CountingTransport:
    """The SDK's own transport, counting the attempts handed to it (the wire may see fewer:
    an attempt whose timeout ends before the server has read it leaves no trace there)."""

    def __init__(self) -> None:
        self.inner = AiohttpTransport()
        self.sent = 0

    @property
    def closed(self) -> bool:
        return self.inner.closed

    async def send(self, request: RawRequest) -> RawResponse:
        self.sent += 1
        return await self.inner.send(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.parametrize("chain", list(CHAINS))
async def test_with_options_chains_keep_the_timeout(server: HostileServer, chain: str) -> None:
    # The server never answers: the call ends when the timeout in use on the wire expires.
    # The client's own timeout is 30 s; the view's is 0.3 s.
    op = make_op(server, "get", 1)
    server.always("stall_forever")
    transport = CountingTransport()
    options = {"timeout": 30, "retry": RetryPolicy(attempts=1), "transport": transport}
    async with client(server, **options) as cal:
        view = CHAINS[chain](cal)
        try:
            error = await asyncio.wait_for(error_of(perform(view, op)), GIVE_UP)
        except asyncio.TimeoutError:
            pytest.fail(f"{chain}: still waiting after {GIVE_UP:g} s: the view's timeout was lost")
    assert isinstance(error, RequestTimeout), repr(error)
    assert transport.sent == 1  # the client's retry policy (1 attempt) was kept too
    assert len(server.served) <= 1


# --- bulk runs and errors no item can survive -------------------------------------------------

BULK_ITEMS = 200
BULK_CONCURRENCY = 4


@pytest.mark.parametrize(
    ("fault", "words"), [("unauthorized", "401"), ("forbidden", "403"), (None, "closed")]
)
async def test_a_bulk_run_stops_on_a_fatal_error(
    server: HostileServer, fault: str | None, words: str
) -> None:
    uids = [make_op(server, "get", n).uid for n in range(BULK_ITEMS)]
    async with client(server) as cal:
        if fault is None:
            await cal.aclose()
        else:
            server.always(fault)
        report = await cal.bulk_all(uids, cal.bookings.get, concurrency=BULK_CONCURRENCY)
    # Items already in flight finish; nothing new starts; the rest are unfinished.
    assert report.done <= BULK_CONCURRENCY, f"{report.done} items ran"
    assert len(server.served) <= BULK_CONCURRENCY
    assert len(report.unfinished) == BULK_ITEMS - report.done
    reason = getattr(report, "stop_reason", None)
    assert isinstance(reason, str), "the report does not say why the run stopped"
    assert words in reason, reason
    if fault is None:
        assert all(isinstance(outcome.error, ClientClosedError) for outcome in report.outcomes)


# --- redirects --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [302, 307])
@pytest.mark.parametrize("kind", ["get", "create", "decline"])
async def test_redirects_are_never_followed(server: HostileServer, kind: str, status: int) -> None:
    op = make_op(server, kind, 1)
    server.always("redirect")
    server.redirect_status = status
    async with client(server) as cal:
        error = await failure_of(perform(cal, op))
    assert isinstance(error, APIStatusError)
    assert error.status_code == status
    assert server.sink_arrivals == []  # nothing, not even a connection, reached the other port
    assert server.ledger == []


# --- the mixed run ----------------------------------------------------------------------------

SEED = 9
#: Operations of the mixed run, by kind.
MIX = {
    "create": 450,
    "reschedule": 250,
    "add_guests": 250,
    "reassign": 100,
    "cancel": 300,
    "confirm": 200,
    "decline": 200,
    "mark_absent": 250,
    "get": 600,
    "list": 400,
}
#: Faults of the mixed run: the share of all requests each hits (the rest are answered well).
FAULT_MIX = {
    "unsolicited_now": 0.02,
    "unsolicited_later": 0.03,
    "close_after_answer": 0.03,
    "idle_close": 0.03,
    "drop_before": 0.01,
    "drop_after": 0.01,
    "stall": 0.004,
    "slow_headers": 0.004,
    "slow_body": 0.004,
    "cut_body": 0.008,
    "long_content_length": 0.008,
    "malformed_status": 0.005,
    "malformed_header": 0.005,
    "bad_chunked": 0.005,
    "corrupt_gzip": 0.005,
    "gzip_bomb": 0.001,
    "huge_chunked": 0.001,
    "huge_content_length": 0.001,
    "html_200": 0.005,
    "envelope_applied": 0.008,
    "envelope_unapplied": 0.008,
    "wrong_types": 0.005,
    "redirect": 0.005,
    "rate_limited": 0.008,
    "rate_limited_absurd": 0.005,
    "retry_after": 0.004,
    "token_expired": 0.003,
    "html_5xx": 0.008,
}
#: Connection-level faults: they hurt the requests that come after them on the connection.
CONNECTION_FAULTS = frozenset(
    {"unsolicited_now", "unsolicited_later", "close_after_answer", "idle_close"}
)
CONCURRENCY = 48
MIXED_TIMEOUT = Timeout(total=1.5)
MIXED_POLICY = RetryPolicy(
    attempts=4, wait_initial=0.05, wait_max=0.4, jitter=0.05, deadline=8.0, rate_limit_wait_max=2.0
)
#: A call still running this long is cut off (and counted past its deadline, which it is).
CALL_GUARD = MIXED_POLICY.deadline + 5.0
#: Longest the whole run may take, a backstop: calls still running then are cut off too.
RUN_GUARD = 120.0
KILL_AFTER = 1500  # operations finished when the server is killed
DOWN_FOR = 0.3  # seconds it stays down
CREDENTIAL_KINDS = (
    {"api_key": API_KEY},
    {"access_token": ACCESS_TOKEN},
    {"client_id": CLIENT_ID, "secret_key": SECRET_KEY},
)
INVARIANTS = (
    "unsafe writes applied twice",
    "successes missing from the ledger",
    "results that belong to another request",
    "definitely-not-applied writes that were applied",
    "exceptions that are not CalError",
    "calls past their deadline",
    "credentials in messages, logs or frames",
)


@dataclass
class Tally:
    """What the mixed run saw: figures for the table and the violations, with their causes."""

    outcomes: Counter[str] = field(default_factory=Counter)
    attempts: int = 0
    violations: dict[str, list[str]] = field(
        default_factory=lambda: {name: [] for name in INVARIANTS}
    )
    causes: dict[str, Counter[str]] = field(
        default_factory=lambda: {name: Counter() for name in INVARIANTS}
    )
    log_records: int = 0
    rendered_errors: int = 0
    kills: int = 0


class CredentialWatch(logging.Handler):
    """Checks every log record, at every level, for a credential as it is emitted."""

    def __init__(self, tally: Tally) -> None:
        super().__init__(logging.DEBUG)
        self.tally = tally

    def emit(self, record: logging.LogRecord) -> None:
        self.tally.log_records += 1
        text = f"{record.getMessage()} {record.args!r}"
        if record.exc_info and record.exc_info[1] is not None:
            text += rendered(record.exc_info[1])
        if credentials_in(text):
            leak = f"log record {record.name}: {record.getMessage()[:120]}"
            self.tally.violations["credentials in messages, logs or frames"].append(leak)


class StillRunning(Exception):
    """A call of the mixed run cut off after :data:`CALL_GUARD` seconds."""


async def guarded(cal: CalBookings, op: Op) -> Any:
    """:func:`perform`, cut off after :data:`CALL_GUARD` seconds (far past any deadline)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        return await asyncio.wait_for(perform(cal, op), CALL_GUARD)
    except asyncio.TimeoutError:
        if loop.time() - started < CALL_GUARD:
            raise  # not the guard: whatever the call raised
        raise StillRunning(f"{op.kind} #{op.n} still running after {CALL_GUARD:g} s") from None


def _record(op: Op, outcome: Outcome[Op, Any], tally: Tally) -> None:
    op.attempts, op.elapsed = outcome.attempts, outcome.elapsed
    error = outcome.error
    if error is None:
        op.result = outcome.result
        tally.outcomes["ok"] += 1
        return
    op.error = type(error).__name__
    if isinstance(error, StillRunning):
        tally.outcomes[f"still running after {CALL_GUARD:g} s, cut off"] += 1
        return  # counted past its deadline by the checks
    if not isinstance(error, CalError):
        tally.outcomes[f"not a CalError: {op.error}"] += 1
        tally.violations["exceptions that are not CalError"].append(f"{op.kind}: {error!r}")
        return
    op.maybe_applied = error.may_have_been_applied
    tally.outcomes[f"{op.error}{' (may have been applied)' if op.maybe_applied else ''}"] += 1
    # Rendered now, then dropped: a kept error keeps every frame of its traceback alive.
    tally.rendered_errors += 1
    leaked = credentials_in(str(error)) + credentials_in(rendered(error))
    if leaked:
        where = leaking_locals(error)
        tally.violations["credentials in messages, logs or frames"].append(
            f"{op.kind} #{op.n}: {', '.join(sorted(set(leaked)))} in {where or 'the message'}"
        )


def _causes(op: Op, server: HostileServer) -> list[str]:
    """The faults behind an operation's outcome: its own requests' faults, and the connection
    faults that came before them on the connections they used."""
    served = [s for s in server.served if (s.operation, s.subject) == (op.kind, op.subject)]
    if not served:
        return ["never reached the server"]
    causes = []
    for request in served:
        if request.fault != "normal":
            causes.append(request.fault)
        history = server.histories[request.conn][: request.index]
        causes.extend(
            f"on its connection before it: {kind.split(' ')[0]}"
            for kind in history
            if kind in CONNECTION_FAULTS or kind.startswith("unsolicited")
        )
    return causes or ["no fault on its requests"]


def _check(op: Op, server: HostileServer, tally: Tally) -> None:
    entries = server.ledger.of(op.kind, op.subject)
    found = []
    if op.kind in UNSAFE and len(entries) > 1:
        found.append("unsafe writes applied twice")
    if op.kind in WRITES and op.error is None and not in_ledger(server, op, op.result):
        found.append("successes missing from the ledger")
    if op.error is None and not belongs(op, op.result):
        found.append("results that belong to another request")
    if op.kind in WRITES and op.error is not None and not op.maybe_applied and entries:
        found.append("definitely-not-applied writes that were applied")
    if op.elapsed > MIXED_POLICY.deadline + DEADLINE_TOLERANCE:
        found.append("calls past their deadline")
    if not found:
        return
    causes = _causes(op, server)
    for invariant in found:
        tally.violations[invariant].append(f"{op.kind} #{op.n} ({op.error or 'ok'}): {causes}")
        tally.causes[invariant].update(set(causes))


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _table(tally: Tally, server: HostileServer, ops: list[Op], reused: int) -> str:
    lines = ["", "hostile-server suite", "=" * 72]

    def section(title: str, rows: Iterable[tuple[str, Any]]) -> None:
        lines.append(title)
        lines.extend(f"  {label:<58} {value!s:>10}" for label, value in rows)

    kinds = Counter(op.kind for op in ops)
    section("operations", [*sorted(kinds.items()), ("total", len(ops))])
    # The draw for a request depends on the seed and the request only; which retries happen
    # depends on timing too, so first attempts are the part two runs must agree on.
    faults = Counter(s.fault for s in server.served if s.fault != "normal")
    first = Counter(s.fault for s in server.served if s.fault != "normal" and s.seen == 0)
    rows = [(name, f"{count:>5} {first[name]:>5}") for name, count in sorted(faults.items())]
    total = f"{sum(faults.values()):>5} {sum(first.values()):>5}"
    section("faults injected: requests, of which first attempts", [*rows, ("total", total)])
    section(
        "requests and retries",
        [
            ("HTTP attempts (SDK count)", tally.attempts),
            ("requests the server read", len(server.served)),
            ("retries (attempts - operations)", tally.attempts - len(ops)),
            ("connections the server accepted", server.connections),
            ("unsolicited responses written to idle connections", server.late_writes),
            ("server killed and restarted", tally.kills),
            ("unsafe writes applied on a reused connection", reused),
            ("requests that reached the redirect target", len(server.sink_arrivals)),
        ],
    )
    section("outcomes by class", sorted(tally.outcomes.items()))
    section(
        "checked",
        [
            ("errors rendered with capture_locals", tally.rendered_errors),
            ("log records checked (DEBUG and up)", tally.log_records),
        ],
    )
    section("invariants (each must be 0)", [(n, len(v)) for n, v in tally.violations.items()])
    for name, causes in tally.causes.items():
        if causes:
            section(f"  caused by, for {name}", causes.most_common())
    return "\n".join(lines)


@contextlib.contextmanager
def watching_logs(tally: Tally) -> Iterator[None]:
    """Every log record, at DEBUG and up, checked for credentials as it is emitted.

    The SDK's own records stop at the watch (they are thousands; pytest need not keep them);
    everything else also goes on to the root logger's other handlers as usual.
    """
    watch = CredentialWatch(tally)
    sdk, root = logging.getLogger("calbookings_async"), logging.getLogger()
    saved = (sdk.level, sdk.propagate, root.level)
    sdk.setLevel(logging.DEBUG)
    sdk.propagate = False
    root.setLevel(logging.DEBUG)
    sdk.addHandler(watch)
    root.addHandler(watch)
    try:
        yield
    finally:
        sdk.removeHandler(watch)
        root.removeHandler(watch)
        sdk.level, sdk.propagate = saved[0], saved[1]
        root.setLevel(saved[2])


@pytest.mark.hostile
async def test_mixed_run_every_answer_belongs_to_its_request() -> None:
    tally = Tally()
    fds_before = _fds()
    with watching_logs(tally), waits(True):  # real backoff: deadlines are wall time
        server, ops = await _mixed_run(tally)
    await settle()
    gc.collect()
    leftover = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    fds_after = _fds()

    for op in ops:
        _check(op, server, tally)
    reused = sum(1 for e in server.ledger if e.operation in UNSAFE and not e.fresh)
    print(_table(tally, server, ops, reused))  # noqa: T201  (shown with pytest -s)

    assert len(ops) >= 2500
    for name in FAULT_MIX:
        assert server.faults[name] > 0, f"the fault {name} never fired"
    assert tally.kills == 1
    assert server.sink_arrivals == []
    assert leftover == [], f"tasks left after aclose(): {leftover}"
    assert fds_after == fds_before, f"file descriptors: {fds_before} before, {fds_after} after"
    broken = [
        f"{name}: {len(found)}, e.g. " + "; ".join(found[:3])
        for name, found in tally.violations.items()
        if found
    ]
    assert not broken, "\n".join(["invariants broken (the table above, with -s):", *broken])


def _workload(server: HostileServer) -> list[Op]:
    """Every operation of :data:`MIX`, each on its own booking, in an order fixed by the seed."""
    kinds = [kind for kind, count in MIX.items() for _ in range(count)]
    ops = [make_op(server, kind, n) for n, kind in enumerate(kinds, start=1)]
    random.Random(SEED).shuffle(ops)
    return ops


async def _mixed_run(tally: Tally) -> tuple[HostileServer, list[Op]]:
    """The run itself: the server, three clients (one per credential kind), one bulk run."""
    server = HostileServer(SEED, mix=FAULT_MIX, huge_bytes=40 * MB)
    await server.start()
    ops = _workload(server)
    clients = [
        CalBookings(
            base_url=server.base_url,
            timeout=MIXED_TIMEOUT,
            retry=MIXED_POLICY,
            max_concurrency=CONCURRENCY,
            pacing=False,
            **credentials,
        )
        for credentials in CREDENTIAL_KINDS
    ]
    outage: list[asyncio.Task[None]] = []

    async def kill_and_restart() -> None:
        tally.kills += 1
        await server.kill()
        await asyncio.sleep(DOWN_FOR)
        await server.restart()

    def progress(state: Progress) -> None:
        if state.done == KILL_AFTER and not outage:
            outage.append(asyncio.ensure_future(kill_and_restart()))

    run = clients[0].bulk(
        ops,
        lambda op: guarded(clients[op.n % len(clients)], op),
        concurrency=CONCURRENCY,
        on_progress=progress,
    )
    try:
        await _consume(run, tally)
    finally:
        # The run counts attempts per item only for the client it belongs to; the clients
        # themselves count every request they sent.
        tally.attempts = sum(cal.requests_sent for cal in clients)
        for cal in clients:
            await cal.aclose()
        await asyncio.gather(*outage)
        await server.drained()
        await server.close()
    return server, ops


async def _consume(run: BulkRun[Op, Any], tally: Tally) -> None:
    """Record every outcome; past :data:`RUN_GUARD`, stop the run (what still runs is late)."""

    async def consume() -> None:
        async with run:
            async for outcome in run:
                _record(outcome.item, outcome, tally)

    consuming = asyncio.ensure_future(consume())
    await asyncio.wait({consuming}, timeout=RUN_GUARD)
    if not consuming.done():
        for op in run.unfinished:
            op.error, op.elapsed = "still running", math.inf
            tally.outcomes["still running when the run was stopped"] += 1
        consuming.cancel()
    await asyncio.gather(consuming, return_exceptions=True)
